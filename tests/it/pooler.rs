//! End to end through a real PgBouncer (see pooler_support) in session mode, transaction
//! mode, and transaction mode with `ignore_startup_parameters = options`: the hidden
//! writes (a sequence, a writing function, DDL) write nothing in any setup and protocol
//! (the read-only guard does not depend on the startup option), a declared rollback write
//! still runs, and the shipped suite (all of it, 10 iterations a scenario) ends through
//! session mode, and through transaction mode with `--protocol extended`, as it does directly.
//! Skipped with a message when pgbouncer is not installed and CI is not set.
//! Must not share databases with other tests.

use crate::cli_support;
use crate::pooler_support::{Mode, PgBouncer, binary};
use crate::safety_read_only::{assert_error_with, assert_nothing_written, with_probe_objects};

use cli_support::{fixture, read_json, run_tool, scenario};

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
    let declared = scenario(&results, "declared_rollback");
    assert_eq!(
        declared["status"], "pass",
        "{mode:?} {extra:?}: {results:#}"
    );
    let protocol = extra.get(1).copied().unwrap_or("prepared");
    assert_eq!(declared["protocol"], protocol, "{declared:#}");
    assert!(
        outcome.stdout.contains(&format!("protocol: {protocol}")),
        "{outcome:?}"
    );
    assert_nothing_written(&db.client().await).await;
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

/// Each shipped scenario's status from `run` on `url` with `extra` flags (10 iterations,
/// one window, no thresholds: plans and errors decide).
fn shipped_statuses(url: &str, extra: &[&str]) -> Vec<(String, String, String)> {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("results.json");
    let thresholds = dir.path().join("thresholds.toml");
    std::fs::write(&thresholds, "[thresholds]\n").unwrap();
    let mut args = vec![
        "run",
        "--iterations",
        "10",
        "--warmup",
        "1",
        "--rounds",
        "1",
        "--thresholds",
        thresholds.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let outcome = run_tool(url, &args);
    assert!(
        matches!(outcome.code, Some(0 | 1)),
        "{extra:?}: {outcome:?}"
    );
    read_json(&json)["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let field = |key: &str| s[key].as_str().unwrap_or_default().to_string();
            (field("name"), field("status"), field("reason"))
        })
        .collect()
}

/// The shipped suite through PgBouncer in `mode` with `extra` flags: every scenario ends
/// as it does directly (no scenario errors only behind the pooler).
async fn shipped_suite_as_directly(mode: Mode, extra: &[&str], label: &str) {
    let Some(binary) = binary() else { return };
    let db = cli_support::seeded(label, 200).await;
    let direct = shipped_statuses(&db.url, extra);
    let bouncer = PgBouncer::start(&binary, mode);
    let pooled = shipped_statuses(&bouncer.url_for(&db.url), extra);
    assert!(direct.len() >= 30, "{direct:?}");
    for ((name, status, _), (pooled_name, pooled_status, reason)) in direct.iter().zip(&pooled) {
        assert_eq!(name, pooled_name);
        assert_eq!(status, pooled_status, "{mode:?} {extra:?} {name}: {reason}");
    }
    assert!(
        pooled.iter().all(|(_, status, _)| status != "error"),
        "{mode:?} {extra:?}: {pooled:?}"
    );
}

#[tokio::test]
async fn session_mode_runs_the_shipped_suite_as_directly() {
    shipped_suite_as_directly(Mode::Session, &[], "pool_suite_session").await;
}

#[tokio::test]
async fn transaction_mode_extended_runs_the_shipped_suite_as_directly() {
    let extra = ["--protocol", "extended"];
    shipped_suite_as_directly(Mode::Transaction, &extra, "pool_suite_tx").await;
}

#[tokio::test]
async fn ignored_startup_options_extended_runs_the_shipped_suite_as_directly() {
    let extra = ["--protocol", "extended"];
    shipped_suite_as_directly(Mode::TransactionIgnoringOptions, &extra, "pool_suite_ign").await;
}
