//! `watch --once --interval 5s` on a cluster with pg_stat_statements: exit 1 while a slow
//! query runs in a loop beside it (named in the table and the JSON), 0 once it stopped.

use std::time::{Duration, Instant};

use crate::cli_support::{assert_exit, run_tool};
use crate::stats_support::StatsCluster;

/// A 200 ms query repeated on its own connection until `done` (at most a minute).
async fn slow_loop(stats: &StatsCluster, done: impl Fn() -> bool) {
    let client = stats.client().await;
    let started = Instant::now();
    while !done() && started.elapsed() < Duration::from_secs(60) {
        client
            .batch_execute("SELECT pg_sleep(0.2)")
            .await
            .expect("pg_sleep");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_exits_1_while_a_slow_query_loops_and_0_without() {
    let stats = StatsCluster::start().await;
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("watch.json");
    let conninfo = stats.conninfo.clone();
    let json_arg = json.to_str().unwrap().to_string();
    let watching = tokio::task::spawn_blocking(move || {
        run_tool(
            &conninfo,
            &["watch", "--once", "--interval", "5s", "--json", &json_arg],
        )
    });
    // Until watch has read twice, however long the binary takes to start on a busy machine.
    slow_loop(&stats, || watching.is_finished()).await;
    let slow = watching.await.unwrap();
    assert_exit(&slow, 1);
    assert!(slow.stdout.contains("SELECT pg_sleep($1)"), "{slow:?}");
    assert!(slow.stdout.contains("✗ mean"), "{slow:?}");
    let report = crate::cli_support::read_json(&json);
    assert_eq!(report["format"], "techspec-bench-watch/1");
    assert!(report["breached"].as_u64().unwrap() >= 1, "{report}");

    let quiet = run_tool(&stats.conninfo, &["watch", "--once", "--interval", "5s"]);
    assert_exit(&quiet, 0);
    assert!(!quiet.stdout.contains("pg_sleep"), "{quiet:?}");
    assert!(
        quiet.stdout.contains("within limits") || quiet.stdout.contains("no statement was called"),
        "{quiet:?}"
    );
}
