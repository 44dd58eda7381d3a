//! Snapshot and behaviour tests of every output format, on fixture reports.

use crate::report_fixtures;

use report_fixtures::*;
use techspec_bench::report::{
    HtmlReporter, JsonReporter, JunitReporter, MarkdownReporter, Reporter, compare, render_table,
    table::{Detail, render_table_with, render_table_with_width},
};
use techspec_bench::results::RunReport;

fn text(reporter: &dyn Reporter, report: &RunReport) -> String {
    String::from_utf8(reporter.render(report).expect("renders")).expect("UTF-8")
}

/// A baseline where every scenario was a bit faster, and one scenario is gone.
fn baseline_for(report: &RunReport) -> RunReport {
    let mut baseline = report.clone();
    baseline.started_at = "2026-11-20T09:00:00Z".into();
    baseline
        .scenarios
        .retain(|s| s.name != "relationship_eager_load");
    for scenario in &mut baseline.scenarios {
        if let Some(latency) = scenario.latency_us.as_mut() {
            latency.p50 = latency.p50 * 9 / 10;
            latency.p95 = latency.p95 * 8 / 10;
            latency.p99 = latency.p99 * 11 / 10;
        }
    }
    let mut old = passing();
    old.name = "retired_scenario".into();
    baseline.scenarios.push(old);
    baseline
}

#[test]
fn table_without_colour() {
    insta::assert_snapshot!(render_table(&full_report(), false, None));
}

#[test]
fn table_with_a_baseline_has_a_delta_column() {
    let report = full_report();
    let comparison = compare(&report, &baseline_for(&report));
    insta::assert_snapshot!(render_table(&report, false, Some(&comparison)));
}

#[test]
fn table_fits_in_100_columns_even_with_long_names() {
    let mut long = failing();
    long.name = "a_scenario_with_a_remarkably_long_name_that_goes_on_and_on".into();
    let report = report_of(vec![passing(), long, with_steps()]);
    let table = render_table(&report, false, None);
    let widest = table
        .lines()
        .take_while(|l| !l.starts_with("FAIL"))
        .map(|l| l.chars().count());
    assert!(widest.max().unwrap() <= 100, "{table}");
    assert!(table.contains("FAIL a_scenario_with_a_remarkably_long_name_that_goes_on_and_on:"));
}

#[test]
fn table_colours_statuses_only_when_asked() {
    let report = full_report();
    assert!(!render_table(&report, false, None).contains('\u{1b}'));
    assert!(render_table(&report, true, None).contains('\u{1b}'));
}

#[test]
fn table_summary_and_notes_lines() {
    let table = render_table(&full_report(), false, None);
    assert!(
        table.contains("\n3 passed, 1 failed, 1 skipped, 1 error\n"),
        "{table}"
    );
    assert!(table.contains("\nnotes: fsync=off\n"), "{table}");
    let mut quiet = report_of(vec![passing()]);
    quiet.database.notes.clear();
    assert!(!render_table(&quiet, false, None).contains("notes:"));
}

#[test]
fn markdown_report() {
    insta::assert_snapshot!(text(&MarkdownReporter::default(), &full_report()));
}

#[test]
fn markdown_with_a_baseline() {
    let report = full_report();
    let reporter = MarkdownReporter {
        baseline: Some(compare(&report, &baseline_for(&report))),
    };
    insta::assert_snapshot!(text(&reporter, &report));
}

#[test]
fn markdown_escapes_pipes_and_markup() {
    let mut odd = failing();
    odd.name = "a|b<script>".into();
    odd.reason = Some("x | y <b>bold</b>".into());
    let markdown = text(&MarkdownReporter::default(), &report_of(vec![odd]));
    assert!(!markdown.contains("<b>"), "{markdown}");
    assert!(markdown.contains("a\\|b<script>"), "{markdown}");
    assert!(
        markdown.contains("x \\| y &lt;b&gt;bold&lt;/b&gt;"),
        "{markdown}"
    );
}

#[test]
fn junit_report() {
    insta::assert_snapshot!(text(&JunitReporter, &full_report()));
}

#[test]
fn junit_counts_match_the_statuses() {
    let xml = text(&JunitReporter, &full_report());
    assert!(
        xml.contains(r#"tests="6" skipped="1" failures="1" errors="1""#),
        "{xml}"
    );
}

#[test]
fn json_round_trips() {
    let report = full_report();
    let bytes = JsonReporter.render(&report).unwrap();
    let back: RunReport = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(back, report);
}

#[test]
fn json_has_the_documented_shape() {
    let json = text(&JsonReporter, &report_of(vec![passing(), skipped()]));
    insta::assert_snapshot!(json);
}

#[test]
fn html_names_every_scenario_and_stays_standalone() {
    let report = full_report();
    let html = text(&HtmlReporter::default(), &report);
    for scenario in &report.scenarios {
        assert!(html.contains(&scenario.name), "missing {}", scenario.name);
    }
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<svg"));
    assert!(!html.contains("<script"), "no scripts at all");
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "no external assets"
    );
    assert!(html.contains("service time"));
    assert!(html.contains("step 2: SELECT * FROM tech_research"));
}

#[test]
fn html_keeps_hostile_text_inert() {
    let mut hostile = failing();
    hostile.name = "<script>alert(1)</script>".into();
    hostile.group = "\"><img onerror=x>".into();
    hostile.reason = Some("<iframe src=x>".into());
    let html = text(&HtmlReporter::default(), &report_of(vec![hostile]));
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    assert!(!html.contains("<iframe"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
}

#[test]
fn html_snapshot() {
    let report = report_of(vec![passing(), failing(), with_steps()]);
    insta::assert_snapshot!(text(&HtmlReporter::default(), &report));
}

#[test]
fn table_is_compact_when_no_cell_wraps() {
    let report = report_of(vec![passing(), skipped()]);
    let table = render_table(&report, false, None);
    assert!(!table.contains('╌'), "{table}");
    // Borders and header, one line per group (two files) and per scenario.
    assert_eq!(
        table.lines().take_while(|l| !l.starts_with("SKIP")).count(),
        8,
        "{table}"
    );
    assert!(!render_table(&full_report(), false, None).contains('╌'));
    let detailed = render_table_with(&full_report(), false, None, 100, Detail::Full);
    assert!(detailed.contains('╌'), "{detailed}");
}

#[test]
fn a_wide_terminal_gets_one_line_per_row_and_longer_names() {
    let mut long = passing();
    long.name = "relationship_eager_load_with_thirty_four".into();
    let mut seq_scan = failing();
    seq_scan.thresholds.truncate(1);
    let report = report_of(vec![long, seq_scan, with_service_time()]);
    let table = render_table_with_width(&report, false, None, 160);
    assert!(!table.contains('╌'), "no row wraps: {table}");
    assert!(
        table.contains("relationship_eager_load_with_thirty_four "),
        "{table}"
    );
    // The detailed table (-v) names the relation too, still on one line.
    let detailed = render_table_with(&report, false, None, 160, Detail::Full);
    assert!(!detailed.contains('╌'), "no row wraps: {detailed}");
    assert!(
        detailed.contains("✗ seq scan on tech_spec_sessions"),
        "{detailed}"
    );
}

/// The failing fixture, failed by the baseline gate on p95 and buffers.
fn regressed_report() -> RunReport {
    use techspec_bench::stats::Interval;
    use techspec_bench::verdict::regression::{
        BaselineComparison, BuffersChange, Change, Method, PercentileChange, RegressionLimits,
    };
    let mut result = passing();
    result.status = techspec_bench::results::Status::Fail;
    result.reason = Some("regression against the baseline: p95 +255µs".into());
    result.baseline = Some(BaselineComparison {
        method: Method::Bootstrap,
        runs: 1,
        limits: RegressionLimits::default(),
        percentiles: vec![PercentileChange {
            percentile: "p95".into(),
            baseline_us: 1_020.0,
            current_us: 1_275.0,
            change_us: 255.0,
            change_percent: Some(25.0),
            interval_us: Some(Interval {
                low: 180.0,
                high: 330.0,
            }),
            z_score: None,
            machine_factor: None,
            verdict: Change::Regression,
            judged: true,
        }],
        buffers: Some(BuffersChange {
            baseline: 4,
            current: 40,
            ratio: Some(10.0),
            verdict: Change::Regression,
        }),
        plan: None,
        verdict: Change::Regression,
    });
    report_of(vec![result])
}

#[test]
fn every_format_shows_the_gate_verdict_with_its_numbers() {
    let report = regressed_report();
    let line = "session_by_id: regression — p95 1.02ms → 1.27ms +255µs (+25.0%, 95% interval +180µs … +330µs) · buffers 4 → 40 (10.00×)";
    let table = render_table(&report, false, None);
    assert!(table.contains("Compared with 1 baseline run"), "{table}");
    assert!(table.contains(line), "{table}");
    let markdown = text(&MarkdownReporter::default(), &report);
    assert!(markdown.contains("### Baseline gate"), "{markdown}");
    assert!(
        markdown.contains("95% interval +180µs … +330µs"),
        "{markdown}"
    );
    let html = text(&HtmlReporter::default(), &report);
    assert!(
        html.contains("<h2>Compared with the baseline</h2>"),
        "{html}"
    );
    assert!(html.contains("buffers 4 → 40 (10.00×)"), "{html}");
    let json: serde_json::Value = serde_json::from_str(&text(&JsonReporter, &report)).unwrap();
    let compared = &json["scenarios"][0]["baseline"];
    assert_eq!(compared["verdict"], "regression");
    assert_eq!(compared["percentiles"][0]["interval_us"]["low"], 180.0);
    assert_eq!(compared["buffers"]["current"], 40);
    let junit = text(&JunitReporter, &report);
    assert!(
        junit.contains("regression against the baseline: p95 +255µs"),
        "{junit}"
    );
    let read: RunReport = serde_json::from_str(&text(&JsonReporter, &report)).unwrap();
    assert_eq!(read, report, "the comparison reads back");
}
