//! Unit tests of the trend's words, summary and page, on a history built in memory.

use super::*;
use crate::results::Status;

fn history() -> History {
    let runs = (0..6)
        .map(|index| RunInfo {
            number: index + 1,
            file: format!("{index}.json"),
            started_at: format!("2026-01-0{}T00:00:00Z", index + 1),
            commit: (index != 0).then(|| format!("abcdef0123456789{index}")),
            failed: if index == 5 { vec!["q".into()] } else { vec![] },
        })
        .collect();
    let points = (0..6)
        .map(|run| {
            let p50 = if run < 3 { 1_000.0 } else { 1_380.0 };
            Point {
                run,
                status: if run == 5 { Status::Fail } else { Status::Pass },
                values: [p50, p50 * 2.0, p50 * 3.0],
                intervals: [Some((p50 * 0.9, p50 * 1.1)), None, None],
                reason: (run == 5).then(|| "p95 2.76ms ≥ 2ms".to_string()),
            }
        })
        .collect();
    History {
        runs,
        scenarios: vec![ScenarioTrend {
            name: "session_by_id".into(),
            points,
            change_points: vec![ChangePoint {
                run: 3,
                before: [1_000.0, 2_000.0, 3_000.0],
                after: [1_380.0, 2_760.0, 3_300.0],
            }],
            plan_changes: vec![Shift {
                run: 4,
                before: "0:Index Scan".into(),
                after: "0:Seq Scan".into(),
            }],
            definition_changes: Vec::new(),
        }],
    }
}

#[test]
fn a_change_reads_as_percent_since_a_run_and_commit() {
    let history = history();
    let scenario = &history.scenarios[0];
    let line = change_line(&history, scenario, &scenario.change_points[0]);
    assert_eq!(
        line,
        "p50 of session_by_id: +38% since run 4, commit abcdef0123 (2026-01-04T00:00:00Z) \
         (1.00ms → 1.38ms); p95 +38%, p99 +10%"
    );
    assert_eq!(
        run_label(&history.runs[0]),
        "run 1 (0.json, 2026-01-01T00:00:00Z)"
    );
    assert_eq!(percent(-0.004), "-0.4%");
}

#[test]
fn the_summary_lists_changes_plans_failures_and_the_latest_values() {
    let summary = markdown(&history());
    assert!(summary.contains("6 runs, 2026-01-01T00:00:00Z to 2026-01-06T00:00:00Z"));
    assert!(
        summary.contains("binary segmentation of ln p50"),
        "{summary}"
    );
    assert!(
        summary.contains("- p50 of session_by_id: +38% since run 4"),
        "{summary}"
    );
    assert!(summary.contains("plan changed at run 5"), "{summary}");
    assert!(
        summary.contains("### Runs the gate failed\n\n- run 6, commit"),
        "{summary}"
    );
    assert!(!summary.contains("Definition changes"), "{summary}");
    assert!(
        summary.contains("| `session_by_id` | 6 | 1.38ms | 2.76ms | 4.14ms | +38% | 1 |"),
        "{summary}"
    );
}

#[test]
fn the_page_has_lines_bands_marks_rules_and_hover_text_per_run() {
    let page = html(&history());
    assert!(!page.contains("<script"));
    assert!(!page.contains("src=\"http") && !page.contains("href=\"http"));
    assert_eq!(page.matches("<figure class=\"chart\"").count(), 1);
    assert_eq!(page.matches("<polyline").count(), 3, "p50, p95, p99");
    assert_eq!(
        page.matches("<polygon").count(),
        1,
        "only p50 has intervals"
    );
    assert_eq!(
        page.matches("r=\"4\" fill=\"#cf222e\"").count(),
        1,
        "run 6 failed"
    );
    assert!(page.contains(">p50 +38%</text>"), "the change point's rule");
    assert!(page.contains(">plan</text>"), "the plan change's rule");
    assert_eq!(
        page.matches("fill=\"transparent\"").count(),
        6,
        "a hover column per run"
    );
    assert!(
        page.contains("session_by_id · run 2, commit abcdef0123"),
        "hover text"
    );
    assert!(page.contains("p50 1.00ms (95%: 900µs to 1.10ms)"));
    assert!(page.contains("<ul class=\"change-points\">"));
}
