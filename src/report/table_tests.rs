//! Tests of the terminal table: every shipped scenario fits one line at 100 columns
//! (with and without the Δ column), group lines, and the detailed table under `-v`.

use super::*;
use crate::config::{Metric, parse_threshold};
use crate::results::{LatencySummary, PlanVerdict, ThresholdOutcome};

/// Every shipped scenario with its widest cells: five-digit iterations, latencies of
/// six characters, three kinds of broken threshold, a seq scan, ERROR.
fn shipped_at_their_widest() -> RunReport {
    let scenarios = crate::config::load_built_in_scenarios().expect("built-in scenarios");
    let broken = |expr: &str| ThresholdOutcome {
        threshold: parse_threshold(expr, Metric::P95).expect("valid"),
        actual: Some(123_456.0),
        ok: false,
        interval: None,
        paired: None,
    };
    let results: Vec<ScenarioResult> = scenarios
        .iter()
        .map(|scenario| {
            let mut result = ScenarioResult::unmeasured(
                &scenario.name,
                &scenario.group,
                Status::Error,
                String::new(),
            );
            result.iterations = 10_000;
            result.latency_us = Some(LatencySummary {
                p50: 12_340,
                p95: 45_670,
                p99: 98_760,
                max: 59_000_000,
                ..Default::default()
            });
            result.thresholds = ["p95 < 5ms", "errors == 0", "p50 faster_than x by 5x"]
                .map(broken)
                .to_vec();
            result.plan = Some(PlanVerdict {
                seq_scans: vec!["public.tech_spec_sessions".into()],
                ..Default::default()
            });
            result
        })
        .collect();
    RunReport {
        summary: Summary::of(&results),
        scenarios: results,
        ..Default::default()
    }
}

fn table_lines(text: &str) -> Vec<&str> {
    text.lines()
        .take_while(|l| !l.starts_with("ERROR"))
        .collect()
}

#[test]
fn every_shipped_scenario_fits_one_line_at_100_columns() {
    let report = shipped_at_their_widest();
    let groups = group_runs(&report.scenarios).len();
    assert!(groups > 1, "the shipped suite has several files");
    let text = render_table(&report, false, None);
    let lines = table_lines(&text);
    for line in &lines {
        assert!(line.chars().count() <= 100, "wider than 100: {line}");
    }
    // Borders and header (4), one line per scenario, one per group.
    assert_eq!(lines.len(), report.scenarios.len() + 4 + groups, "{text}");
    for scenario in &report.scenarios {
        assert!(text.contains(&format!("{} ", scenario.name)), "{text}");
    }
    assert!(text.contains("✗ p95 +2"), "{text}");
    assert!(text.contains("✗ seq scan"), "{text}");
}

#[test]
fn with_a_delta_column_every_row_still_fits_one_line() {
    let report = shipped_at_their_widest();
    let comparison = super::super::baseline::compare(&report, &report);
    let text = render_table(&report, false, Some(&comparison));
    let lines = table_lines(&text);
    assert!(lines.iter().all(|l| l.chars().count() <= 100), "{text}");
    let groups = group_runs(&report.scenarios).len();
    assert_eq!(lines.len(), report.scenarios.len() + 4 + groups, "{text}");
    assert!(text.contains("±0.0%"), "{text}");
    let longest = report.scenarios.iter().map(|s| s.name.chars().count());
    assert!(longest.max() <= Some(GLANCE_NAME_WIDTH));
    let cut = report
        .scenarios
        .iter()
        .filter(|s| !text.contains(&format!("{} ", s.name)));
    assert!(cut.count() <= 4, "only the longest names are cut: {text}");
}

#[test]
fn each_group_gets_a_line_with_its_counts() {
    let mut report = shipped_at_their_widest();
    report.scenarios[0].status = Status::Pass;
    let first = report.scenarios[0].group.clone();
    let members = report.scenarios.iter().filter(|s| s.group == first).count();
    let text = render_table(&report, false, None);
    let expected = format!("{first} ({members}): 1 passed, {} errors", members - 1);
    assert!(text.contains(&expected), "{expected} in {text}");
}

#[test]
fn verbose_keeps_the_detailed_table() {
    let report = shipped_at_their_widest();
    let text = render_table_with(&report, false, None, 100, Detail::Full);
    assert!(text.contains("max"), "{text}");
    assert!(text.contains("✗ seq scan on tech_spec_sessions") || text.contains('╌'));
    assert!(!text.contains("✗ p95 +2"), "{text}");
}
