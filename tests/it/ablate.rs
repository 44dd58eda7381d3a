//! `techspec-bench ablate` end to end against real PostgreSQL: the refusal of a named
//! database without --yes, a measured read and write ablation, and the guarantee that an
//! index is still there after the process is killed (SIGKILL) mid-measurement.

use std::time::{Duration, Instant};

use crate::cli_support::{assert_exit, command_in, run_tool, seeded};
use crate::common::TestDb;

#[tokio::test]
async fn a_named_database_is_refused_without_yes() {
    let db = TestDb::create("ablate_refuse").await;
    let outcome = run_tool(&db.url, &["ablate", "--filter", "session_by_id"]);
    assert_exit(&outcome, 2);
    assert!(outcome.stderr.contains("--yes"), "{outcome:?}");
    assert!(outcome.stderr.contains("ACCESS EXCLUSIVE"), "{outcome:?}");
}

#[tokio::test]
async fn ablate_reports_what_an_index_buys_and_what_a_foreign_key_costs() {
    let db = seeded("ablate_measure", 300).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let json = dir.path().join("ablation.json");
    let markdown = dir.path().join("ablation.md");
    let outcome = run_tool(
        &db.url,
        &[
            "ablate",
            "--yes",
            "--filter",
            "sessions_of_design_job",
            "--filter",
            "fk_insert",
            "--json",
            json.to_str().unwrap(),
            "--markdown",
            markdown.to_str().unwrap(),
        ],
    );
    assert_exit(&outcome, 0);
    assert!(outcome.stdout.contains("fallback plan"), "{outcome:?}");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).expect("json written")).expect("valid JSON");
    assert_eq!(report["format"], "techspec-bench-ablate/1");
    let read = &report["reads"][0];
    assert_eq!(read["index"]["name"], "ix_tech_spec_sessions_design_job_id");
    assert_eq!(read["scenario"], "sessions_of_design_job");
    assert!(read["without"]["buffers"].as_u64() > read["with"]["buffers"].as_u64());
    assert!(
        read["fallback_plan"]
            .as_str()
            .unwrap()
            .contains("on tech_spec_sessions"),
        "{read}"
    );
    let writes = report["writes"].as_array().expect("writes");
    let fk = writes
        .iter()
        .find(|w| w["object"]["kind"] == "foreign key")
        .expect("the foreign key of tech_spec_sessions is measured");
    assert_eq!(fk["scenario"], "fk_insert");
    assert!(fk["cost"]["value"].as_f64().unwrap() > 0.0, "{fk}");
    let markdown = std::fs::read_to_string(&markdown).expect("markdown written");
    assert!(markdown.contains("| `ix_tech_spec_sessions_design_job_id` |"));
    assert_indexes_intact(&db).await;
}

#[tokio::test]
async fn an_index_is_still_there_after_ablate_is_killed_mid_measurement() {
    let db = seeded("ablate_kill", 2000).await;
    let cwd = tempfile::tempdir().expect("temp cwd");
    let stderr_path = cwd.path().join("stderr.txt");
    let stderr = std::fs::File::create(&stderr_path).expect("stderr file");
    let mut child = command_in(
        cwd.path(),
        &db.url,
        &[
            "-q",
            "ablate",
            "--yes",
            "--filter",
            "session_list_by_status",
        ],
    )
    .stdout(std::process::Stdio::null())
    .stderr(stderr)
    .spawn()
    .expect("spawn techspec-bench");
    let said = || std::fs::read_to_string(&stderr_path).unwrap_or_default();
    let watcher = db.client().await;
    let deadline = Instant::now() + Duration::from_secs(120);
    while !table_locked_by_another_session(&watcher).await {
        if let Some(status) = child.try_wait().expect("poll child") {
            panic!(
                "ablate ended ({status}) before it was seen holding the lock: {}",
                said()
            );
        }
        assert!(
            Instant::now() < deadline,
            "ablate never locked the table: {}",
            said()
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    // The index is dropped in ablate's open transaction right now: kill -9.
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");
    wait_for_other_sessions_to_end(&watcher).await;
    assert_indexes_intact(&db).await;
}

/// True while another backend holds ACCESS EXCLUSIVE on tech_spec_sessions (the DROP).
async fn table_locked_by_another_session(client: &tokio_postgres::Client) -> bool {
    let row = client
        .query_one(
            "SELECT count(*) FROM pg_locks l \
             WHERE l.relation = 'tech_spec_sessions'::regclass \
               AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
               AND l.mode = 'AccessExclusiveLock' AND l.granted AND l.pid <> pg_backend_pid()",
            &[],
        )
        .await
        .expect("read pg_locks");
    row.get::<_, i64>(0) > 0
}

/// Waits until the killed process's backend has gone (and rolled back).
async fn wait_for_other_sessions_to_end(client: &tokio_postgres::Client) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let row = client
            .query_one(
                "SELECT count(*) FROM pg_stat_activity \
                 WHERE datname = current_database() AND pid <> pg_backend_pid()",
                &[],
            )
            .await
            .expect("read pg_stat_activity");
        if row.get::<_, i64>(0) == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "the killed session never ended");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// All 15 indexes and the 5 foreign keys of the Tech Spec tables exist and are valid, and
/// the sessions table can be locked (no transaction is left holding it).
async fn assert_indexes_intact(db: &TestDb) {
    let client = db.client().await;
    let indexes: Vec<String> = client
        .query(
            "SELECT indexname::text FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1",
            &[],
        )
        .await
        .expect("read pg_indexes")
        .iter()
        .map(|row| row.get(0))
        .collect();
    for wanted in [
        "idx_session_status_created",
        "ix_tech_spec_sessions_design_job_id",
        "tech_spec_sessions_pkey",
    ] {
        assert!(
            indexes.iter().any(|i| i == wanted),
            "{wanted} missing: {indexes:?}"
        );
    }
    assert_eq!(indexes.len(), 15, "{indexes:?}");
    let invalid: i64 = client
        .query_one("SELECT count(*) FROM pg_index WHERE NOT indisvalid", &[])
        .await
        .expect("read pg_index")
        .get(0);
    assert_eq!(invalid, 0);
    let foreign_keys: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace \
             WHERE c.contype = 'f' AND n.nspname = 'public'",
            &[],
        )
        .await
        .expect("read pg_constraint")
        .get(0);
    assert_eq!(foreign_keys, 5);
    client
        .batch_execute(
            "BEGIN; SET LOCAL lock_timeout = '5s'; \
             LOCK TABLE tech_spec_sessions IN ACCESS EXCLUSIVE MODE; ROLLBACK",
        )
        .await
        .expect("nothing still holds the sessions table");
}
