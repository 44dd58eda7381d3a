//! End-to-end tests of the everyday commands and flags: `list`, `check`, `init`,
//! `completions`, `man` (no database), and on a test database `run` with load-shape
//! overrides, `--json -`, and `run --scenarios FILE` from the repository root.
//! Must not prepare data other than through the binary, nor touch any database but its own.

use std::path::Path;

use crate::cli_support::{self, Outcome, assert_exit, fixture, run_in, seeded};
use crate::common;

/// The binary without a database, from `cwd`.
fn offline(cwd: &Path, args: &[&str]) -> Outcome {
    let output = common::tool()
        .current_dir(cwd)
        .args(["--color", "never"])
        .args(args)
        .output()
        .expect("run techspec-bench");
    Outcome {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn repository_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn list_shows_every_scenario_with_load_thresholds_and_expectations() {
    let outcome = offline(repository_root(), &["list"]);
    assert_exit(&outcome, 0);
    let block = outcome
        .stdout
        .split("\n\n")
        .find(|block| block.starts_with("session_by_id  [queries]"))
        .unwrap_or_else(|| panic!("no session_by_id: {outcome:?}"));
    assert!(block.contains("scenarios/queries.toml:"), "{block}");
    assert!(block.contains("  load:       "), "{block}");
    assert!(block.contains("  thresholds: p95 < 5ms"), "{block}");
    assert!(block.contains("  expect:     "), "{block}");
    assert!(
        outcome.stdout.contains("37 scenarios in 4 groups"),
        "{outcome:?}"
    );
}

#[test]
fn check_exits_0_on_valid_files_and_2_on_a_bad_one() {
    let ok = offline(repository_root(), &["check"]);
    assert_exit(&ok, 0);
    assert!(ok.stderr.contains("ok: 37 scenarios in 4 groups"), "{ok:?}");
    let bad = offline(
        repository_root(),
        &["check", "--scenarios", &fixture("syntax_error.toml")],
    );
    assert_exit(&bad, 2);
    assert!(bad.stderr.contains("syntax_error.toml:"), "{bad:?}");
}

#[test]
fn init_writes_editable_files_that_check_accepts_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let first = offline(dir.path(), &["init", "project"]);
    assert_exit(&first, 0);
    let project = dir.path().join("project");
    for file in [
        "scenarios/queries.toml",
        "scenarios/cross_schema.toml",
        "thresholds.toml",
    ] {
        assert!(project.join(file).is_file(), "{file} missing: {first:?}");
    }
    assert_exit(&offline(&project, &["check"]), 0);
    std::fs::write(project.join("thresholds.toml"), "# mine\n").unwrap();
    let again = offline(dir.path(), &["init", "project"]);
    assert_exit(&again, 2);
    assert!(again.stderr.contains("already exist"), "{again:?}");
    assert!(again.stderr.contains("--force"), "{again:?}");
    let mine = std::fs::read_to_string(project.join("thresholds.toml")).unwrap();
    assert_eq!(mine, "# mine\n", "nothing is written when a file exists");
    assert_exit(&offline(dir.path(), &["init", "project", "--force"]), 0);
    let replaced = std::fs::read_to_string(project.join("thresholds.toml")).unwrap();
    assert!(replaced.contains("[thresholds]"), "{replaced}");
}

#[test]
fn completions_and_man_page_are_generated_from_the_cli() {
    let bash = offline(repository_root(), &["completions", "bash"]);
    assert_exit(&bash, 0);
    assert!(bash.stdout.contains("techspec-bench"), "{bash:?}");
    assert!(bash.stdout.contains("--clients"), "{bash:?}");
    let man = offline(repository_root(), &["man"]);
    assert_exit(&man, 0);
    assert!(
        man.stdout.starts_with(".ie") || man.stdout.contains(".TH"),
        "{man:?}"
    );
    assert_exit(&offline(repository_root(), &["completions", "tcsh"]), 2);
}

#[test]
fn bad_load_flags_are_usage_errors_before_any_database() {
    for (args, expected) in [
        (vec!["run", "--clients", "0"], ">= 1"),
        (vec!["run", "--rate", "-5"], "> 0"),
        (vec!["run", "--duration", "0s"], "> 0"),
        (
            vec!["run", "--iterations", "10", "--duration", "1s"],
            "cannot be used with",
        ),
    ] {
        let outcome = offline(repository_root(), &args);
        assert_exit(&outcome, 2);
        assert!(outcome.stderr.contains(expected), "{args:?}: {outcome:?}");
    }
}

#[tokio::test]
async fn load_flags_override_every_scenario_and_json_dash_goes_to_stdout() {
    let db = seeded("e2e_everyday_load", 10).await;
    let cwd = tempfile::tempdir().unwrap();
    let outcome = run_in(
        cwd.path(),
        &db.url,
        &[
            "run",
            "--scenarios",
            &fixture("small.toml"),
            "--iterations",
            "7",
            "--clients",
            "1",
            "--warmup",
            "0",
            "--json",
            "-",
        ],
    );
    assert_exit(&outcome, 0);
    let results: serde_json::Value = serde_json::from_str(&outcome.stdout)
        .unwrap_or_else(|e| panic!("stdout is not the JSON alone ({e}): {outcome:?}"));
    for name in ["small_session_by_id", "small_eager_load"] {
        assert_eq!(cli_support::scenario(&results, name)["iterations"], 7);
    }
    assert!(outcome.stderr.contains("3 passed, 0 failed"), "{outcome:?}");
    assert!(!cwd.path().join("-").exists(), "no file named -");
}

#[tokio::test]
async fn run_with_a_scenario_file_works_in_the_repository_root() {
    let db = seeded("e2e_everyday_root", 10).await;
    let outcome = run_in(
        repository_root(),
        &db.url,
        &[
            "-v",
            "run",
            "--scenarios",
            &fixture("small.toml"),
            "--iterations",
            "3",
        ],
    );
    assert_exit(&outcome, 0);
    assert!(
        outcome
            .stderr
            .contains("thresholds ignored for scenarios that are known but not loaded"),
        "{outcome:?}"
    );
    let unknown = run_in(
        repository_root(),
        &db.url,
        &[
            "run",
            "--scenarios",
            &fixture("small.toml"),
            "--thresholds",
            &fixture("thresholds_unknown_scenario.toml"),
        ],
    );
    assert_exit(&unknown, 2);
    assert!(
        unknown
            .stderr
            .contains("did you mean `small_session_by_id`?"),
        "{unknown:?}"
    );
}
