//! End-to-end: on a database the user named, scenarios that do not declare a transaction
//! run read-only, so writes the keyword scan cannot see (`nextval()`, a function that
//! inserts, DDL) fail with the server's own error, make the scenario an error and change
//! nothing; a declared rollback write works and leaves nothing; a committing scenario
//! needs --allow-writes. Must not share databases with other tests.

use crate::cli_support;
use crate::common::TestDb;

use cli_support::{assert_exit, count, fixture, migrated, read_json, run_tool, scenario};

/// The objects the fixtures use: a sequence, a table, and a function that inserts into it.
const PROBE_OBJECTS: &str = "CREATE SEQUENCE tsb_probe_seq; \
     CREATE TABLE tsb_probe_rows (id bigint GENERATED ALWAYS AS IDENTITY, note text); \
     CREATE FUNCTION tsb_probe_insert() RETURNS int LANGUAGE sql \
     AS $$ INSERT INTO tsb_probe_rows (note) VALUES ('from a function') RETURNING 1 $$";

pub async fn with_probe_objects(label: &str) -> TestDb {
    let db = migrated(label).await;
    db.client()
        .await
        .batch_execute(PROBE_OBJECTS)
        .await
        .unwrap();
    db
}

/// (last_value, is_called) of the probe sequence: (1, false) until nextval() ran once.
pub async fn sequence_state(client: &tokio_postgres::Client) -> (i64, bool) {
    let row = client
        .query_one("SELECT last_value, is_called FROM tsb_probe_seq", &[])
        .await
        .unwrap();
    (row.get(0), row.get(1))
}

pub fn assert_error_with(results: &serde_json::Value, name: &str, server_message: &str) {
    let entry = scenario(results, name);
    assert_eq!(entry["status"], "error", "{entry:#}");
    let reason = entry["reason"].as_str().unwrap_or_default();
    assert!(reason.contains(server_message), "{entry:#}");
    assert!(reason.contains("SQLSTATE 25006"), "{entry:#}");
}

#[tokio::test]
async fn hidden_writes_error_with_the_servers_message_and_change_nothing() {
    let db = with_probe_objects("safety_hidden").await;
    let client = db.client().await;
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("results.json");
    let outcome = run_tool(
        &db.url,
        &[
            "run",
            "--scenarios",
            &fixture("hidden_writes.toml"),
            "--json",
            json.to_str().unwrap(),
        ],
    );
    assert_exit(&outcome, 1);
    let results = read_json(&json);
    assert_error_with(
        &results,
        "sequence_advance",
        "cannot execute nextval() in a read-only transaction",
    );
    assert_error_with(
        &results,
        "function_insert",
        "cannot execute INSERT in a read-only transaction",
    );
    assert_error_with(
        &results,
        "create_table",
        "cannot execute CREATE TABLE in a read-only transaction",
    );
    assert_eq!(
        scenario(&results, "declared_rollback")["status"],
        "pass",
        "{results:#}"
    );
    assert_nothing_written(&client).await;
}

/// The probe sequence has not moved, its table is empty, and no table was created.
pub async fn assert_nothing_written(client: &tokio_postgres::Client) {
    assert_eq!(
        sequence_state(client).await,
        (1, false),
        "the sequence moved"
    );
    assert_eq!(count(client, "tsb_probe_rows").await, 0);
    let made: Option<String> = client
        .query_one("SELECT to_regclass('tsb_probe_made')::text", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(made, None, "CREATE TABLE ran");
}

#[tokio::test]
async fn explain_runs_undeclared_writes_read_only_too() {
    let db = with_probe_objects("safety_explain").await;
    let json = tempfile::NamedTempFile::new().unwrap();
    let outcome = run_tool(
        &db.url,
        &[
            "explain",
            "--scenarios",
            &fixture("hidden_writes.toml"),
            "--filter",
            "sequence_advance",
            "--filter",
            "function_insert",
            "--json",
            json.path().to_str().unwrap(),
        ],
    );
    assert_exit(&outcome, 1);
    let entries = read_json(json.path());
    let reasons: Vec<&str> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["reason"].as_str().unwrap_or_default())
        .collect();
    assert!(
        reasons[0].contains("cannot execute nextval() in a read-only transaction")
            && reasons[1].contains("cannot execute INSERT in a read-only transaction"),
        "{entries:#}"
    );
    let client = db.client().await;
    assert_eq!(
        sequence_state(&client).await,
        (1, false),
        "the sequence moved"
    );
    assert_eq!(count(&client, "tsb_probe_rows").await, 0);
}

#[tokio::test]
async fn a_committing_scenario_needs_allow_writes_on_a_named_database() {
    let db = with_probe_objects("safety_commit").await;
    let client = db.client().await;
    let scenarios = fixture("committed_writes.toml");
    let refused = run_tool(&db.url, &["run", "--scenarios", &scenarios]);
    assert_exit(&refused, 2);
    assert!(refused.stderr.contains("--allow-writes"), "{refused:?}");
    assert!(refused.stderr.contains("`kept_insert`"), "{refused:?}");
    assert_eq!(count(&client, "tsb_probe_rows").await, 0);

    let allowed = run_tool(
        &db.url,
        &["run", "--scenarios", &scenarios, "--allow-writes"],
    );
    assert_exit(&allowed, 0);
    assert_eq!(
        count(&client, "tsb_probe_rows").await,
        5,
        "each of the 5 iterations committed its row"
    );
}
