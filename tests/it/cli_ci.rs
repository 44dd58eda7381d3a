//! End-to-end tests of the CI outputs of `run`: the GitHub job summary, `::error` and
//! `::warning` annotations at the scenario's line, progress lines when stderr is not a
//! terminal, and the warning about settings that make timings unrealistic.
//! Must not prepare data other than through the binary, nor touch any database but its own.

use crate::cli_support::{Outcome, assert_exit, command_in, fixture, seeded};

/// `run` on `url` with the given extra environment, from an empty directory.
fn run_with_env(url: &str, env: &[(&str, &str)], args: &[&str]) -> Outcome {
    let cwd = tempfile::tempdir().unwrap();
    let mut command = command_in(cwd.path(), url, args);
    command
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_ACTIONS");
    command.envs(env.iter().copied());
    let output = command.output().expect("run techspec-bench");
    Outcome {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[tokio::test]
async fn github_actions_gets_a_step_summary_and_annotations_at_the_scenario_line() {
    let db = seeded("e2e_ci_github", 10).await;
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let scenarios = fixture("small.toml");
    let thresholds = dir.path().join("t.toml");
    std::fs::write(
        &thresholds,
        "[thresholds]\nsmall_research_count = \"1us\"\n",
    )
    .unwrap();
    let outcome = run_with_env(
        &db.url,
        &[
            ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
            ("GITHUB_ACTIONS", "true"),
        ],
        &[
            "run",
            "--scenarios",
            &scenarios,
            "--thresholds",
            thresholds.to_str().unwrap(),
        ],
    );
    assert_exit(&outcome, 1);
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(
        text.starts_with("earlier step\n## techspec-bench results"),
        "{text}"
    );
    assert!(text.contains("small_research_count"), "{text}");
    let annotation = outcome
        .stdout
        .lines()
        .find(|line| line.starts_with("::error "))
        .unwrap_or_else(|| panic!("no annotation: {outcome:?}"));
    let expected = format!("::error file={scenarios},line=12,title=small_research_count failed::");
    assert!(annotation.starts_with(&expected), "{annotation}");
    assert_eq!(outcome.stdout.matches("::error ").count(), 1, "{outcome:?}");
}

#[tokio::test]
async fn without_a_terminal_each_scenario_gets_one_line_in_order_as_it_ends() {
    let db = seeded("e2e_ci_lines", 10).await;
    let outcome = run_with_env(
        &db.url,
        &[],
        &["run", "--scenarios", &fixture("small.toml")],
    );
    assert_exit(&outcome, 0);
    assert!(!outcome.stderr.contains("started"), "{outcome:?}");
    let ends: Vec<&str> = outcome
        .stderr
        .lines()
        .filter(|l| l.starts_with('['))
        .collect();
    assert_eq!(ends.len(), 3, "{outcome:?}");
    assert!(
        ends[0].starts_with("[1/3] small_session_by_id: PASS in "),
        "{outcome:?}"
    );
    assert!(
        ends[2].starts_with("[3/3] small_eager_load: PASS in "),
        "{outcome:?}"
    );
    assert!(!outcome.text().contains("::error"), "{outcome:?}");
}

#[tokio::test]
async fn unrealistic_settings_are_warned_about_and_named_in_the_outputs() {
    let db = crate::cli_support::migrated("e2e_ci_settings").await;
    let admin = db.client().await;
    let sql = format!("ALTER DATABASE {} SET synchronous_commit = off", db.name);
    admin.execute(&sql, &[]).await.expect("alter database");
    let status = run_with_env(&db.url, &[], &["migrate", "--status"]);
    assert_exit(&status, 0);
    assert!(
        status
            .stderr
            .contains("warning: the server runs with synchronous_commit=off"),
        "{status:?}"
    );
    let seed = run_with_env(&db.url, &[], &["-q", "seed", "--sessions", "5"]);
    assert_exit(&seed, 0);
    assert!(seed.stderr.contains("synchronous_commit=off"), "{seed:?}");
    let dir = tempfile::tempdir().unwrap();
    let markdown = dir.path().join("r.md");
    let run = run_with_env(
        &db.url,
        &[],
        &[
            "run",
            "--scenarios",
            &fixture("small.toml"),
            "--iterations",
            "3",
            "--markdown",
            markdown.to_str().unwrap(),
        ],
    );
    assert_exit(&run, 0);
    assert!(
        run.stdout.contains("notes: synchronous_commit=off"),
        "{run:?}"
    );
    let text = std::fs::read_to_string(&markdown).unwrap();
    assert!(text.contains("synchronous_commit=off"), "{text}");
}
