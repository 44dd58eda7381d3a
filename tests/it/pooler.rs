//! End to end through a real PgBouncer (see pooler_support) in session mode, transaction
//! mode, and transaction mode with `ignore_startup_parameters = options`: the hidden
//! writes (a sequence, a writing function, DDL) write nothing in any setup and protocol
//! (the read-only guard does not depend on the startup option), a declared rollback write
//! still runs, and the shipped suite runs through each setup as it does directly.
//! Skipped with a message when pgbouncer is not installed and CI is not set.
//! Must not share databases with other tests.

use crate::cli_support;
use crate::pooler_support::{Mode, PgBouncer, binary};
use crate::safety_read_only::{assert_error_with, sequence_state, with_probe_objects};

use cli_support::{count, fixture, read_json, run_tool, scenario};

/// Runs the hidden-write fixture through PgBouncer in `mode` with `extra` flags: each
/// hidden write is the scenario's error (SQLSTATE 25006), the declared rollback write
/// passes, and the database is unchanged.
async fn hidden_writes_write_nothing(mode: Mode, extra: &[&str], label: &str) {
    let Some(binary) = binary() else { return };
    let db = with_probe_objects(label).await;
    let bouncer = PgBouncer::start(&binary, mode);
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("results.json");
    let scenarios = fixture("hidden_writes.toml");
    let mut args = vec![
        "run",
        "--scenarios",
        &scenarios,
        "--json",
        json.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let outcome = run_tool(&bouncer.url_for(&db.url), &args);
    assert_eq!(outcome.code, Some(1), "{mode:?} {extra:?}: {outcome:?}");
    let results = read_json(&json);
    for (name, message) in [
        (
            "sequence_advance",
            "cannot execute nextval() in a read-only transaction",
        ),
        (
            "function_insert",
            "cannot execute INSERT in a read-only transaction",
        ),
        (
            "create_table",
            "cannot execute CREATE TABLE in a read-only transaction",
        ),
    ] {
        assert_error_with(&results, name, message);
    }
    assert_eq!(
        scenario(&results, "declared_rollback")["status"],
        "pass",
        "{mode:?} {extra:?}: {results:#}"
    );
    let client = db.client().await;
    assert_eq!(
        sequence_state(&client).await,
        (1, false),
        "the sequence moved"
    );
    assert_eq!(count(&client, "tsb_probe_rows").await, 0);
    let made: Option<String> = client
        .query_one("SELECT to_regclass('tsb_probe_made')::text", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(made, None, "CREATE TABLE ran");
}

#[tokio::test]
async fn session_mode_hidden_writes_write_nothing() {
    hidden_writes_write_nothing(Mode::Session, &[], "pool_session").await;
}

#[tokio::test]
async fn transaction_mode_hidden_writes_write_nothing() {
    hidden_writes_write_nothing(Mode::Transaction, &[], "pool_tx").await;
}

#[tokio::test]
async fn transaction_mode_extended_hidden_writes_write_nothing() {
    let extra = ["--protocol", "extended"];
    hidden_writes_write_nothing(Mode::Transaction, &extra, "pool_tx_ext").await;
}

#[tokio::test]
async fn transaction_mode_simple_hidden_writes_write_nothing() {
    let extra = ["--protocol", "simple"];
    hidden_writes_write_nothing(Mode::Transaction, &extra, "pool_tx_simple").await;
}

#[tokio::test]
async fn ignored_startup_options_hidden_writes_write_nothing() {
    hidden_writes_write_nothing(Mode::TransactionIgnoringOptions, &[], "pool_ign").await;
}

#[tokio::test]
async fn ignored_startup_options_extended_hidden_writes_write_nothing() {
    let extra = ["--protocol", "extended"];
    hidden_writes_write_nothing(Mode::TransactionIgnoringOptions, &extra, "pool_ign_ext").await;
}
