//! Unit tests of the trend model on histories built in memory.

use std::path::PathBuf;

use super::*;
use crate::results::{LatencySummary, RunReport};

/// A run of one scenario `q` at `p50` µs (p95 = 2 × p50, p99 = 3 × p50).
fn run(index: usize, p50: u64, status: Status, plan: &str) -> SavedRun {
    let mut result = ScenarioResult::unmeasured("q", "g", status, "slow".into());
    result.latency_us = Some(LatencySummary {
        p50,
        p95: p50 * 2,
        p99: p50 * 3,
        ..Default::default()
    });
    result.plan = Some(PlanVerdict {
        fingerprint: Some(plan.to_string()),
        ..Default::default()
    });
    let mut report = RunReport {
        started_at: format!("2026-01-01T00:{:02}:00Z", index % 60),
        commit: Some(format!("c{index:03}")),
        ..Default::default()
    };
    report.scenarios.push(result);
    SavedRun {
        path: PathBuf::from(format!("runs/{index:03}.json")),
        report,
    }
}

#[test]
fn a_step_is_a_change_point_with_the_medians_around_it() {
    let runs: Vec<SavedRun> = (0..40)
        .map(|i| {
            let wobble = [0, 7, 3, 11, 5][i % 5];
            let level = if i < 25 { 1_000 } else { 1_400 };
            run(i, level + wobble, Status::Pass, "Index Scan")
        })
        .collect();
    let history = history(&runs);
    assert_eq!(history.runs.len(), 40);
    assert_eq!(history.runs[0].number, 1);
    assert_eq!(history.runs[24].commit.as_deref(), Some("c024"));
    let q = &history.scenarios[0];
    assert_eq!(q.points.len(), 40);
    assert_eq!(q.change_points.len(), 1, "{:?}", q.change_points);
    let change = &q.change_points[0];
    assert_eq!(change.run, 25);
    assert!((change.change(0) - 0.4).abs() < 0.02, "{change:?}");
    assert!((change.change(1) - 0.4).abs() < 0.02, "p95 moves too");
    assert!(q.plan_changes.is_empty());
}

#[test]
fn failed_runs_plan_changes_and_definition_changes_are_marked() {
    let mut runs: Vec<SavedRun> = (0..6)
        .map(|i| {
            let plan = if i < 4 { "Index Scan" } else { "Seq Scan" };
            let status = if i == 5 { Status::Fail } else { Status::Pass };
            run(i, 1_000, status, plan)
        })
        .collect();
    runs[2].report.scenarios[0].definition = Some("a".into());
    runs[3].report.scenarios[0].definition = Some("b".into());
    let history = history(&runs);
    assert_eq!(history.runs[5].failed, ["q"]);
    assert!(history.runs[4].failed.is_empty());
    let q = &history.scenarios[0];
    assert_eq!(q.points[5].reason.as_deref(), Some("slow"));
    assert_eq!(q.points[4].reason, None);
    assert_eq!(
        q.plan_changes,
        [Shift {
            run: 4,
            before: "Index Scan".into(),
            after: "Seq Scan".into()
        }]
    );
    assert_eq!(q.definition_changes.len(), 1);
    assert_eq!(q.definition_changes[0].run, 3);
}

#[test]
fn a_file_without_fingerprints_is_judged_by_its_indexes_and_a_skip_is_no_point() {
    let mut runs = vec![
        run(0, 1_000, Status::Pass, ""),
        run(1, 1_000, Status::Pass, ""),
    ];
    for (saved, index) in runs.iter_mut().zip(["ix_a", "ix_b"]) {
        saved.report.scenarios[0].plan = Some(PlanVerdict {
            indexes_used: vec![index.into()],
            ..Default::default()
        });
    }
    runs.push(run(2, 1_000, Status::Skip, ""));
    runs[2].report.scenarios[0].latency_us = None;
    let history = history(&runs);
    let q = &history.scenarios[0];
    assert_eq!(q.points.len(), 2, "the skipped run measured nothing");
    assert_eq!(q.plan_changes.len(), 1);
    assert_eq!(q.plan_changes[0].after, "indexes [ix_b], seq scans []");
}
