//! End-to-end tests of `trend` on a synthetic history (`trend_history`): the injected
//! step is the change point found and listed, the plan change and the failed runs are
//! marked, the page holds a chart per scenario with its lines, bands and rules, and an
//! unreadable file is refused naming it. No database.

use crate::cli_support::{assert_exit, run_in};
use crate::trend_history::{Events, write_history};

/// A URL nothing listens on: `trend` must never need it.
const UNREACHABLE: &str = "postgres://x@127.0.0.1:1/x";

#[test]
fn trend_finds_the_injected_step_and_marks_plans_and_failures() {
    let directory = tempfile::tempdir().unwrap();
    let history = directory.path().join("history");
    write_history(
        &history,
        30,
        Events {
            step_at: 20,
            plan_at: 10,
        },
    );
    let outcome = run_in(
        directory.path(),
        UNREACHABLE,
        &[
            "trend",
            "history",
            "--html",
            "out/trends.html",
            "--markdown",
            "out/trends.md",
        ],
    );
    assert_exit(&outcome, 0);
    let summary = std::fs::read_to_string(directory.path().join("out/trends.md")).unwrap();
    assert_eq!(outcome.stdout, summary, "the summary is printed too");
    assert!(summary.contains("30 runs, "), "{summary}");
    let changes: Vec<&str> = summary
        .lines()
        .filter(|line| line.starts_with("- p50 of "))
        .collect();
    assert_eq!(changes.len(), 1, "{summary}");
    assert!(
        changes[0].starts_with("- p50 of session_by_id: +4")
            && changes[0].contains("since run 20, commit "),
        "{summary}"
    );
    assert!(
        summary.contains("session_list_by_status: plan changed at run 10"),
        "{summary}"
    );
    assert!(summary.contains("- run 25, commit"), "{summary}");
    let page = std::fs::read_to_string(directory.path().join("out/trends.html")).unwrap();
    assert_eq!(page.matches("<figure class=\"chart\"").count(), 4);
    assert_eq!(
        page.matches("<polyline").count(),
        12,
        "p50, p95, p99 of 4 scenarios"
    );
    assert_eq!(
        page.matches("<polygon").count(),
        12,
        "an interval band each"
    );
    assert_eq!(page.matches(">p50 +4").count(), 1, "one change point rule");
    assert_eq!(page.matches(">plan</text>").count(), 1);
    assert_eq!(page.matches("fill=\"transparent\"").count(), 4 * 30);
    assert!(!page.contains("<script") && !page.contains("src=\"http"));
}

#[test]
fn trend_keeps_the_newest_runs_and_refuses_an_unreadable_file() {
    let directory = tempfile::tempdir().unwrap();
    let history = directory.path().join("history");
    write_history(
        &history,
        8,
        Events {
            step_at: 100,
            plan_at: 100,
        },
    );
    let outcome = run_in(
        directory.path(),
        UNREACHABLE,
        &["trend", "history", "--last", "5"],
    );
    assert_exit(&outcome, 0);
    assert!(outcome.stdout.contains("5 runs, "), "{outcome:?}");
    assert!(
        outcome.stdout.contains("No change point in any scenario."),
        "{outcome:?}"
    );
    std::fs::write(
        history.join("broken.json"),
        "{\"format\": \"techspec-bench/1\", ",
    )
    .unwrap();
    let refused = run_in(directory.path(), UNREACHABLE, &["trend", "history"]);
    assert_exit(&refused, 2);
    assert!(refused.stderr.contains("broken.json:1:"), "{refused:?}");
}
