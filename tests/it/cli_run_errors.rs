//! End-to-end: scenarios whose statements fail. A statement that cannot prepare errors its
//! scenario, one that times out is measured as query errors, and the run goes on.
//! Must not share databases with other tests.

use crate::cli_support;

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

#[test]
fn an_unwritable_output_path_exits_2_before_any_database_work() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not_a_directory");
    std::fs::write(&blocker, b"x").unwrap();
    let json = blocker.join("results.json");
    let json = json.to_str().unwrap();
    // TEST-NET-1 is never routed: reaching for the database would hang or fail with 3.
    let started = std::time::Instant::now();
    let outcome = run_tool(
        "postgres://nobody@192.0.2.1:5432/none",
        &["--connect-timeout", "30s", "run", "--json", json],
    );
    assert_exit(&outcome, 2);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "{outcome:?}"
    );
    assert!(
        outcome.stderr.contains(&format!("--json {json}:")),
        "{outcome:?}"
    );
    assert!(outcome.stderr.contains("not a directory"), "{outcome:?}");
    assert!(
        !outcome.text().contains("192.0.2.1"),
        "the database was not reached for: {outcome:?}"
    );
}

#[test]
fn every_output_flag_is_checked_up_front() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, b"x").unwrap();
    let bad = blocker.join("out");
    let bad = bad.to_str().unwrap();
    for flag in [
        "--json",
        "--junit",
        "--markdown",
        "--html",
        "--save-baseline",
    ] {
        let outcome = run_tool("postgres://nobody@192.0.2.1:5432/none", &["run", flag, bad]);
        assert_exit(&outcome, 2);
        assert!(
            outcome.stderr.contains(&format!("{flag} {bad}:")),
            "{outcome:?}"
        );
    }
    let outcome = run_tool(
        "postgres://nobody@192.0.2.1:5432/none",
        &["explain", "--json", bad],
    );
    assert_exit(&outcome, 2);
    assert!(outcome.stderr.contains("--json"), "{outcome:?}");
}
