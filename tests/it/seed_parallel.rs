//! `seed --jobs N` through the binary: the same rows for any N, the same schema afterwards,
//! and a `kill -9` during COPY, index rebuild or ANALYZE leaving a dataset that `run`
//! refuses as incomplete and that the next `seed` clears, repairs and seeds again.
//! Must not depend on timing beyond "the phase has started".

use crate::cli_support;
use crate::common;
use crate::seed_support::wait_until_idle;

use std::time::{Duration, Instant};

use cli_support::{assert_exit, checksum, migrated, run_tool};
use common::DATA_TABLES;
use techspec_bench::seed::{DatasetState, dataset_state};

const AS_OF: &str = "2026-01-01T00:00:00Z";

fn seed_args<'a>(sessions: &'a str, jobs: &'a str) -> Vec<&'a str> {
    vec![
        "-q",
        "seed",
        "--sessions",
        sessions,
        "--rng-seed",
        "5",
        "--as-of",
        AS_OF,
        "--jobs",
        jobs,
    ]
}

async fn data_checksums(client: &tokio_postgres::Client) -> Vec<String> {
    let mut sums = Vec::new();
    for table in DATA_TABLES {
        sums.push(checksum(client, table).await);
    }
    sums
}

/// Every index and constraint of the data tables as the server renders it, sorted.
async fn schema_definitions(client: &tokio_postgres::Client) -> Vec<String> {
    let rows = client
        .query(
            "SELECT indexdef FROM pg_indexes WHERE schemaname IN ('public', 'shared') \
             UNION ALL SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) \
             || ' ' || convalidated FROM pg_constraint WHERE connamespace IN ('public'::regnamespace, 'shared'::regnamespace) \
             ORDER BY 1",
            &[],
        )
        .await
        .unwrap();
    rows.iter().map(|r| r.get(0)).collect()
}

async fn stored_definitions(client: &tokio_postgres::Client) -> i64 {
    client
        .query_one(
            "SELECT count(*) FROM techspec_bench.seed_deferred_objects",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn jobs_1_and_jobs_3_write_identical_rows_and_leave_the_schema_as_it_was() {
    let one = migrated("seed_jobs_one").await;
    let three = migrated("seed_jobs_three").await;
    let (client_one, client_three) = (one.client().await, three.client().await);
    let schema = schema_definitions(&client_three).await;
    assert_exit(&run_tool(&one.url, &seed_args("3000", "1")), 0);
    let outcome = run_tool(
        &three.url,
        &[
            "-v",
            "seed",
            "--sessions",
            "3000",
            "--rng-seed",
            "5",
            "--as-of",
            AS_OF,
            "--jobs",
            "3",
        ],
    );
    assert_exit(&outcome, 0);
    for phase in [
        "generation",
        "COPY",
        "index build",
        "key validation",
        "ANALYZE",
        "conn 3",
    ] {
        assert!(
            outcome.stderr.contains(phase),
            "-v profiles {phase}: {}",
            outcome.stderr
        );
    }
    assert_eq!(
        data_checksums(&client_one).await,
        data_checksums(&client_three).await
    );
    assert_eq!(
        schema_definitions(&client_three).await,
        schema,
        "keys and indexes are back"
    );
    assert_eq!(schema_definitions(&client_one).await, schema);
    assert_eq!(stored_definitions(&client_three).await, 0);
    assert!(matches!(
        dataset_state(&client_three).await.unwrap(),
        DatasetState::Complete { sessions: 3000, .. }
    ));
    let again = run_tool(&three.url, &seed_args("3000", "3"));
    assert_exit(&again, 0);
    assert!(
        again.stderr.is_empty() || !again.stderr.contains("error"),
        "{again:?}"
    );
}

#[tokio::test]
async fn a_small_parallel_seed_with_keys_in_place_loads_parents_first() {
    let db = migrated("seed_jobs_small").await;
    let reference = migrated("seed_jobs_small_ref").await;
    assert_exit(&run_tool(&db.url, &seed_args("50", "4")), 0);
    assert_exit(&run_tool(&reference.url, &seed_args("50", "1")), 0);
    assert_eq!(
        data_checksums(&db.client().await).await,
        data_checksums(&reference.client().await).await
    );
}

/// Polls `sql` (a count) until it is positive (panics after two minutes).
async fn wait_for(client: &tokio_postgres::Client, sql: &str, what: &str) {
    let started = Instant::now();
    loop {
        let found: i64 = client.query_one(sql, &[]).await.unwrap().get(0);
        if found > 0 {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "{what} never started"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Seeds 12,000 sessions on 2 connections, `kill -9`s the binary once `phase_sql` counts
/// a backend in that phase, then checks the refusal, the repair and the data.
async fn kill_during(label: &str, phase_sql: &str, what: &str) {
    let db = migrated(label).await;
    let reference = migrated(&format!("{label}_ref")).await;
    let client = db.client().await;
    let schema = schema_definitions(&client).await;
    let cwd = tempfile::tempdir().unwrap();
    let mut child = cli_support::command_in(cwd.path(), &db.url, &seed_args("12000", "2"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn seed");
    wait_for(&client, phase_sql, what).await;
    child.kill().expect("kill -9 the seed");
    child.wait().expect("wait for seed");
    wait_until_idle(&client, &db.name).await;

    assert!(
        matches!(
            dataset_state(&client).await.unwrap(),
            DatasetState::Incomplete { .. }
        ),
        "killed during {what}"
    );
    let refused = run_tool(&db.url, &["run", "--duration", "1s"]);
    assert_ne!(refused.code, Some(0), "{refused:?}");
    assert!(refused.stderr.contains("not fit to measure"), "{refused:?}");

    assert_exit(&run_tool(&db.url, &seed_args("12000", "2")), 0);
    assert_eq!(
        schema_definitions(&client).await,
        schema,
        "after a kill during {what}"
    );
    assert_eq!(stored_definitions(&client).await, 0);
    assert_exit(&run_tool(&reference.url, &seed_args("12000", "1")), 0);
    assert_eq!(
        data_checksums(&client).await,
        data_checksums(&reference.client().await).await,
        "after a kill during {what}"
    );
}

#[tokio::test]
async fn a_kill_during_copy_is_refused_by_run_and_repaired_by_the_next_seed() {
    kill_during(
        "seed_kill_copy",
        "SELECT count(*) FROM pg_stat_progress_copy WHERE relid::regclass::text = 'tech_conversations' \
         AND datname = current_database() AND tuples_processed > 0",
        "COPY",
    )
    .await;
}

#[tokio::test]
async fn a_kill_during_the_index_rebuild_is_refused_by_run_and_repaired_by_the_next_seed() {
    kill_during(
        "seed_kill_index",
        "SELECT count(*) FROM pg_stat_progress_create_index WHERE datname = current_database()",
        "the index rebuild",
    )
    .await;
}

#[tokio::test]
async fn a_kill_during_analyze_is_refused_by_run_and_repaired_by_the_next_seed() {
    kill_during(
        "seed_kill_analyze",
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
         AND query ILIKE 'ANALYZE%' AND state = 'active'",
        "ANALYZE",
    )
    .await;
}
