//! Unit tests of `watch`: readings, the interval's activity, limits and breaches, rendering.

use std::time::Duration;

use super::*;
use crate::config::watch_limits::{StatementLimits, StatementMatch};

fn counters(query: &str, calls: u64, total_ms: f64) -> Counters {
    Counters {
        query: query.into(),
        calls,
        total_ms,
    }
}

fn reading_of(entries: &[(i64, &str, u64, f64)]) -> Reading {
    entries
        .iter()
        .map(|(id, query, calls, total)| (*id, counters(query, *calls, *total)))
        .collect()
}

#[test]
fn readings_sum_per_queryid_and_leave_the_tool_out() {
    let rows = [
        StatRow {
            queryid: 1,
            query: "SELECT 1".into(),
            calls: 2,
            total_ms: 1.0,
        },
        StatRow {
            queryid: 1,
            query: "SELECT 1".into(),
            calls: 3,
            total_ms: 2.0,
        },
        StatRow {
            queryid: 2,
            query: "/* techspec-bench */ SELECT x".into(),
            calls: 9,
            total_ms: 9.0,
        },
    ];
    let reading = reading(&rows);
    assert_eq!(reading.len(), 1);
    assert_eq!(reading[&1], counters("SELECT 1", 5, 3.0));
}

#[test]
fn activity_is_the_difference_with_the_mean_before() {
    let before = reading_of(&[(1, "a", 100, 100.0), (2, "b", 10, 10.0), (3, "c", 50, 5.0)]);
    let after = reading_of(&[
        (1, "a", 110, 400.0),
        (2, "b", 10, 10.0),
        (3, "c", 4, 2.0),
        (4, "d", 2, 1.0),
    ]);
    let active = activity(&before, &after, None);
    let ids: Vec<i64> = active.iter().map(|a| a.queryid).collect();
    assert_eq!(ids, vec![1, 3, 4], "busiest first; b was not called");
    assert_eq!((active[0].calls, active[0].mean_ms), (10, 30.0));
    assert_eq!(active[0].previous_mean_ms, Some(1.0));
    assert_eq!(active[0].growth(), Some(30.0));
    assert_eq!(
        (active[1].calls, active[1].previous_mean_ms),
        (4, None),
        "a reset counts from zero"
    );
    let later = reading_of(&[(1, "a", 120, 500.0)]);
    let next = activity(&after, &later, Some(&active));
    assert_eq!(
        next[0].previous_mean_ms,
        Some(30.0),
        "the previous interval's mean"
    );
}

fn one(
    queryid: i64,
    query: &str,
    calls: u64,
    mean_ms: f64,
    previous: Option<f64>,
) -> Vec<Activity> {
    vec![Activity {
        queryid,
        query: query.into(),
        calls,
        total_ms: mean_ms * calls as f64,
        mean_ms,
        previous_mean_ms: previous,
        previous_calls: if previous.is_some() { 50 } else { 0 },
    }]
}

#[test]
fn the_default_mean_limit_and_the_growth_flag_are_judged() {
    let none = LimitSet::default();
    let slow = judge(
        one(1, "SELECT pg_sleep($1)", 5, 250.0, None),
        none,
        &WatchLimits::default(),
    );
    assert_eq!(
        slow[0].breaches,
        vec![Breach::MaxMean {
            mean_ms: 250.0,
            limit_ms: 100.0
        }]
    );
    let fast = judge(
        one(1, "q", 5, 2.0, Some(0.5)),
        none,
        &WatchLimits::default(),
    );
    assert!(
        fast[0].breaches.is_empty(),
        "growth is not judged unless asked for"
    );
    let flags = LimitSet {
        max_growth: Some(2.0),
        ..none
    };
    let grown = judge(
        one(1, "q", 5, 2.0, Some(0.5)),
        flags,
        &WatchLimits::default(),
    );
    assert_eq!(
        grown[0].breaches,
        vec![Breach::MaxGrowth {
            growth: 4.0,
            limit: 2.0,
            previous_mean_ms: 0.5
        }]
    );
}

#[test]
fn a_limits_file_entry_overrides_and_can_ignore() {
    let limits = WatchLimits {
        defaults: LimitSet {
            max_mean: Some(Duration::from_millis(10)),
            ..LimitSet::default()
        },
        statements: vec![
            StatementLimits {
                matcher: StatementMatch::Fragment("pg_sleep".into()),
                limits: LimitSet::default(),
                ignore: true,
                origin: "l.toml:4:1".into(),
            },
            StatementLimits {
                matcher: StatementMatch::QueryId(7),
                limits: LimitSet {
                    max_mean: Some(Duration::from_millis(50)),
                    ..LimitSet::default()
                },
                ignore: false,
                origin: "l.toml:8:1".into(),
            },
        ],
    };
    let ignored = judge(
        one(1, "SELECT pg_sleep($1)", 5, 250.0, None),
        LimitSet::default(),
        &limits,
    );
    assert!(!ignored[0].judged && ignored[0].breaches.is_empty());
    assert_eq!(render::verdict(&ignored[0]), "ignored (l.toml:4:1)");
    let seven = judge(one(7, "q", 5, 20.0, None), LimitSet::default(), &limits);
    assert!(seven[0].breaches.is_empty(), "50ms for queryid 7");
    let other = judge(one(8, "q", 5, 20.0, None), LimitSet::default(), &limits);
    assert_eq!(render::verdict(&other[0]), "✗ mean 20.0ms > 10.0ms");
    let flag = LimitSet {
        max_mean: Some(Duration::from_millis(30)),
        ..LimitSet::default()
    };
    assert!(
        judge(one(8, "q", 5, 20.0, None), flag, &limits)[0]
            .breaches
            .is_empty(),
        "flags over the file's defaults"
    );
    let few = judge(
        one(8, "q", 1, 20.0, None),
        LimitSet {
            min_calls: Some(2),
            ..flag
        },
        &limits,
    );
    assert_eq!(render::verdict(&few[0]), "not judged (< 2 calls)");
}

fn report(statements: Vec<Judged>) -> WatchReport {
    let breached = statements.iter().filter(|s| !s.breaches.is_empty()).count();
    WatchReport {
        format: FORMAT,
        tool_version: "0.1.0",
        database: "postgres://app@db/app".into(),
        from: "2026-12-08T02:00:00Z".into(),
        to: "2026-12-08T02:00:05Z".into(),
        interval_s: 5.0,
        statements,
        breached,
    }
}

#[test]
fn outputs_show_breaches_first_and_json_has_every_statement() {
    let mut active = one(1, "SELECT 1", 900, 0.01, None);
    active.extend(one(2, "SELECT pg_sleep($1)", 3, 250.0, None));
    let report = report(judge(active, LimitSet::default(), &WatchLimits::default()));
    assert!(report.failed());
    let table = render::table(&report, 1);
    assert!(table.contains("pg_sleep"), "{table}");
    assert!(
        !table.contains("SELECT 1 "),
        "one row: the breach only\n{table}"
    );
    assert!(table.ends_with("1 of 2 statements broke a limit between 2026-12-08T02:00:00Z and 2026-12-08T02:00:05Z (5.0s) on postgres://app@db/app\n"), "{table}");
    let markdown = render::markdown(&report, 10);
    assert!(
        markdown.contains(
            "| 2 | 3 | 250ms | — | 100ms | ✗ mean 250ms > 100ms | `SELECT pg_sleep($1)` |"
        ),
        "{markdown}"
    );
    let json: serde_json::Value = serde_json::from_str(&render::json(&report).unwrap()).unwrap();
    assert_eq!(json["format"], "techspec-bench-watch/1");
    assert_eq!(json["statements"].as_array().unwrap().len(), 2);
    assert_eq!(json["statements"][1]["breaches"][0]["broke"], "max_mean");
    assert_eq!(json["statements"][1]["queryid"], 2);
}

#[test]
fn an_idle_interval_says_so() {
    let idle = report(Vec::new());
    assert!(!idle.failed());
    let expected = "no statement was called between 2026-12-08T02:00:00Z and 2026-12-08T02:00:05Z (5.0s) on postgres://app@db/app\n";
    assert_eq!(render::table(&idle, 10), expected);
    let markdown = render::markdown(&idle, 10);
    assert!(markdown.contains(expected.trim_end()), "{markdown}");
    assert!(!markdown.contains('|'), "no empty table: {markdown}");
}
