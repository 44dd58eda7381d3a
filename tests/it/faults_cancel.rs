//! Ctrl-C (and SIGTERM) during a 30-second statement on a named database, end to end: the
//! tool sends a cancel request for every query in flight before exiting 130, so no query
//! of the tool is still active in pg_stat_activity 2 s after the signal.
//! Must not share databases with other tests.

use crate::cli_support;
use crate::faults::{scenario_file, spawn_run};

use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

const SLEEPER: &str = "[[scenario]]\nname = \"sleeper\"\nsql = \"SELECT pg_sleep(30)\"\n\
     iterations = 1\nwarmup = 0\nstatement_timeout = \"60s\"\n";

/// Active statements of other sessions that sleep 30 s.
async fn sleeping(client: &tokio_postgres::Client) -> i64 {
    client
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' \
             AND query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid() \
             AND datname = current_database()",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

async fn interrupted_mid_statement(signal: Signal, label: &str) {
    let db = cli_support::migrated(label).await;
    let client = db.client().await;
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(dir.path(), SLEEPER);
    let (tool, _json) = spawn_run(dir.path(), &db.url, &file, &[]);
    let deadline = Instant::now() + Duration::from_secs(120);
    while sleeping(&client).await == 0 {
        assert!(Instant::now() < deadline, "the statement never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let sent = Instant::now();
    kill(Pid::from_raw(tool.0.id() as i32), signal).unwrap();
    while sleeping(&client).await > 0 {
        assert!(
            sent.elapsed() < Duration::from_secs(2),
            "a statement of the tool still runs 2 s after {signal}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let outcome = tool.finish(Duration::from_secs(30));
    cli_support::assert_exit(&outcome, 130);
}

#[tokio::test]
async fn ctrl_c_during_a_30_second_statement_cancels_it_at_once() {
    interrupted_mid_statement(Signal::SIGINT, "cancel_int").await;
}

#[tokio::test]
async fn sigterm_during_a_30_second_statement_cancels_it_at_once() {
    interrupted_mid_statement(Signal::SIGTERM, "cancel_term").await;
}
