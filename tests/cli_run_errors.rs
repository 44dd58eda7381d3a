//! End-to-end: scenarios whose statements fail. A statement that cannot prepare errors its
//! scenario, one that times out is measured as query errors, and the run goes on.
//! Must not share databases with other tests.

mod cli_support;
mod common;

use cli_support::{assert_exit, fixture, migrated, read_json, run_tool, scenario};

#[tokio::test]
async fn failing_statements_fail_the_gate_without_stopping_the_run() {
    let db = migrated("e2e_run_errors").await;
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("results.json");
    let outcome = run_tool(
        &db.url,
        &[
            "run",
            "--scenarios",
            &fixture("failing_statements.toml"),
            "--json",
            json.to_str().unwrap(),
        ],
    );
    assert_exit(&outcome, 1);
    let results = read_json(&json);

    let bad = scenario(&results, "bad_sql");
    assert_eq!(bad["status"], "error", "{bad}");
    assert!(bad["reason"].as_str().unwrap().contains("SELEC"), "{bad}");

    let timeout = scenario(&results, "always_times_out");
    assert_eq!(timeout["status"], "fail", "{timeout}");
    assert_eq!(timeout["iterations"], 4, "{timeout}");
    assert_eq!(timeout["errors"], 4, "{timeout}");
    assert!(
        timeout["reason"]
            .as_str()
            .unwrap()
            .contains("statement timeout"),
        "{timeout}"
    );

    assert_eq!(scenario(&results, "fine")["status"], "pass");
    assert!(
        outcome
            .stdout
            .contains("1 passed, 1 failed, 0 skipped, 1 error"),
        "{outcome:?}"
    );
}
