//! End-to-end tests of `techspec-bench seed` through the binary on named test databases:
//! printed counts, idempotence, --clear keeping foreign rows, determinism, the refusals,
//! and interruption leaving nothing behind.
//! Must not prepare data other than through the binary, except rows a test says another
//! service wrote.

use crate::cli_support;
use crate::common;
use crate::seed_support::wait_until_idle;

use std::time::{Duration, Instant};

use cli_support::{assert_exit, checksum, checksums, count, migrated, run_tool, seeded};
use common::DATA_TABLES;

const UNREACHABLE: &str = "postgres://x@127.0.0.1:1/x";
const DEFAULT_COUNTS: [(&str, i64); 8] = [
    ("shared.design_jobs", 5),
    ("shared.design_outputs", 10),
    ("shared.design_decisions", 15),
    ("tech_spec_sessions", 10),
    ("tech_research", 30),
    ("tech_conversations", 80),
    ("trd_documents", 6),
    ("tech_error_logs", 15),
];

/// Row count of every data table, in `DATA_TABLES` order.
async fn data_counts(client: &tokio_postgres::Client) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in DATA_TABLES {
        counts.push(count(client, table).await);
    }
    counts
}

/// Checksums of the data tables, in `DATA_TABLES` order.
async fn data_checksums(client: &tokio_postgres::Client) -> Vec<String> {
    let mut sums = Vec::new();
    for table in DATA_TABLES {
        sums.push(checksum(client, table).await);
    }
    sums
}

#[tokio::test]
async fn default_seed_prints_the_default_counts_and_every_foreign_key_resolves() {
    let db = migrated("e2e_seed_default").await;
    let outcome = run_tool(&db.url, &["seed"]);
    assert_exit(&outcome, 0);
    assert!(
        outcome.stdout.ends_with('\n'),
        "the table ends its line: {outcome:?}"
    );
    for (table, rows) in DEFAULT_COUNTS {
        let line = outcome
            .stdout
            .lines()
            .find(|line| line.contains(&format!(" {table} ")))
            .unwrap_or_else(|| panic!("no row for {table}: {outcome:?}"));
        assert!(line.contains(&format!(" {rows} ")), "{line}");
    }
    let client = db.client().await;
    let expected: Vec<i64> = DEFAULT_COUNTS.iter().map(|(_, rows)| *rows).collect();
    assert_eq!(data_counts(&client).await, expected);
    let dangling: i64 = client
        .query_one(
            "SELECT (SELECT count(*) FROM tech_spec_sessions s \
                       WHERE NOT EXISTS (SELECT 1 FROM shared.design_jobs j WHERE j.id = s.design_job_id)) \
                  + (SELECT count(*) FROM tech_research r \
                       WHERE NOT EXISTS (SELECT 1 FROM tech_spec_sessions s WHERE s.id = r.session_id)) \
                  + (SELECT count(*) FROM tech_conversations c \
                       WHERE NOT EXISTS (SELECT 1 FROM tech_spec_sessions s WHERE s.id = c.session_id)) \
                  + (SELECT count(*) FROM trd_documents d \
                       WHERE NOT EXISTS (SELECT 1 FROM tech_spec_sessions s WHERE s.id = d.session_id)) \
                  + (SELECT count(*) FROM tech_error_logs e \
                       WHERE NOT EXISTS (SELECT 1 FROM tech_spec_sessions s WHERE s.id = e.session_id)) \
                  + (SELECT count(*) FROM shared.design_decisions x \
                       WHERE NOT EXISTS (SELECT 1 FROM shared.design_jobs j WHERE j.id = x.job_id))",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(dangling, 0);
}

#[tokio::test]
async fn a_second_seed_adds_nothing_says_so_and_exits_0() {
    let db = seeded("e2e_seed_twice", 10).await;
    let client = db.client().await;
    let before = checksums(&client, &["public", "shared", "techspec_bench"]).await;
    let outcome = run_tool(&db.url, &["seed"]);
    assert_exit(&outcome, 0);
    assert!(outcome.text().contains("nothing added"), "{outcome:?}");
    assert_eq!(
        checksums(&client, &["public", "shared", "techspec_bench"]).await,
        before
    );
}

#[tokio::test]
async fn seed_clear_gives_the_same_counts_and_keeps_a_design_job_it_did_not_create() {
    let db = seeded("e2e_seed_clear", 10).await;
    let client = db.client().await;
    client
        .execute(
            "INSERT INTO shared.design_jobs (id, project_id, user_id, title) \
             VALUES ('0d0d0d0d-0000-4000-8000-000000000001', gen_random_uuid(), gen_random_uuid(), 'real design job')",
            &[],
        )
        .await
        .unwrap();
    let outcome = run_tool(&db.url, &["seed", "--clear"]);
    assert_exit(&outcome, 0);
    let mut expected: Vec<i64> = DEFAULT_COUNTS.iter().map(|(_, rows)| *rows).collect();
    expected[0] += 1;
    assert_eq!(data_counts(&client).await, expected);
    let kept: i64 = client
        .query_one(
            "SELECT count(*) FROM shared.design_jobs WHERE title = 'real design job'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(kept, 1);
}

#[tokio::test]
async fn without_the_shared_schema_seed_exits_3_naming_shared_design_jobs() {
    let db = migrated("e2e_seed_noshared").await;
    let client = db.client().await;
    client
        .batch_execute("DROP SCHEMA shared CASCADE")
        .await
        .unwrap();
    let outcome = run_tool(&db.url, &["seed"]);
    assert_exit(&outcome, 3);
    assert!(outcome.stderr.contains("shared.design_jobs"), "{outcome:?}");
    assert!(
        outcome.stderr.contains("Design Agent migrations")
            && outcome.stderr.contains("--create-shared-stand-in"),
        "says how to fix it: {outcome:?}"
    );
    assert_eq!(count(&client, "tech_spec_sessions").await, 0);
}

#[test]
fn a_garbage_as_of_exits_2_before_any_connection() {
    let outcome = run_tool(UNREACHABLE, &["seed", "--as-of", "garbage"]);
    assert_exit(&outcome, 2);
    assert!(
        outcome.stderr.contains("--as-of") && outcome.stderr.contains("2026-01-01T00:00:00Z"),
        "{outcome:?}"
    );
    assert!(!outcome.stderr.contains("127.0.0.1:1"), "{outcome:?}");
}

#[tokio::test]
async fn the_same_rng_seed_and_as_of_give_identical_checksums_on_two_databases() {
    let args = ["seed", "--rng-seed", "7", "--as-of", "2026-01-01T00:00:00Z"];
    let mut sums = Vec::new();
    for label in ["e2e_seed_det_a", "e2e_seed_det_b"] {
        let db = migrated(label).await;
        assert_exit(&run_tool(&db.url, &args), 0);
        sums.push(data_checksums(&db.client().await).await);
    }
    assert_eq!(sums[0], sums[1]);

    let other = migrated("e2e_seed_det_c").await;
    let other_args = ["seed", "--rng-seed", "8", "--as-of", "2026-01-01T00:00:00Z"];
    assert_exit(&run_tool(&other.url, &other_args), 0);
    let other_sums = data_checksums(&other.client().await).await;
    assert_ne!(other_sums, sums[0], "the rng seed must change the data");
}

#[tokio::test]
async fn sigint_during_a_large_seed_leaves_the_database_empty_and_exits_130() {
    let (code, signal, client, db) =
        interrupt_mid_copy("e2e_seed_sigint", nix::sys::signal::Signal::SIGINT).await;
    assert_eq!((code, signal), (Some(130), None));
    assert_nothing_seeded(&client).await;

    let again = run_tool(&db.url, &["seed"]);
    assert_exit(&again, 0);
    let expected: Vec<i64> = DEFAULT_COUNTS.iter().map(|(_, rows)| *rows).collect();
    assert_eq!(
        data_counts(&client).await,
        expected,
        "a later seed starts clean"
    );
}

#[tokio::test]
async fn sigkill_during_a_large_seed_leaves_the_database_empty() {
    let (_, signal, client, _db) =
        interrupt_mid_copy("e2e_seed_sigkill", nix::sys::signal::Signal::SIGKILL).await;
    assert_eq!(signal, Some(9));
    assert_nothing_seeded(&client).await;
}

/// Starts `seed --sessions 200000 --jobs 1` (one transaction), waits until it is streaming a COPY into the database,
/// sends `signal`, and returns the exit code, the terminating signal, and a client.
async fn interrupt_mid_copy(
    label: &str,
    signal: nix::sys::signal::Signal,
) -> (
    Option<i32>,
    Option<i32>,
    tokio_postgres::Client,
    common::TestDb,
) {
    use std::os::unix::process::ExitStatusExt;
    let db = migrated(label).await;
    let client = db.client().await;
    let cwd = tempfile::tempdir().unwrap();
    let mut child = cli_support::command_in(
        cwd.path(),
        &db.url,
        &["seed", "--sessions", "200000", "--jobs", "1"],
    )
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .spawn()
    .expect("spawn seed");
    wait_for_copy(&client, &db.name).await;
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap());
    nix::sys::signal::kill(pid, signal).expect("signal the seed");
    let status = child.wait().expect("wait for seed");
    wait_until_idle(&client, &db.name).await;
    (status.code(), status.signal(), client, db)
}

/// Polls pg_stat_activity until a COPY runs in `dbname` (panics after two minutes).
async fn wait_for_copy(client: &tokio_postgres::Client, dbname: &str) {
    let started = Instant::now();
    loop {
        let copying: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_stat_activity \
                 WHERE datname = $1 AND state = 'active' AND query ILIKE 'COPY%'",
                &[&dbname],
            )
            .await
            .unwrap()
            .get(0);
        if copying > 0 {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the seed never started a COPY"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn assert_nothing_seeded(client: &tokio_postgres::Client) {
    assert_eq!(data_counts(client).await, vec![0; DATA_TABLES.len()]);
    let complete: i64 = client
        .query_one(
            "SELECT count(*) FROM techspec_bench.seed_runs WHERE status = 'complete'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(complete, 0, "no seed run may be recorded as complete");
}
