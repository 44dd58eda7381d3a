//! docs/ci.md: its GitHub Actions workflows parse as YAML, hold what the recipe promises
//! (service container, migrate and seed, outputs uploaded, baseline, matrix and merge), and
//! every step that calls techspec-bench runs here as written, against a test database in
//! place of the workflow's server, jobs in order in one directory (as the artifacts would
//! carry the files). Only the first two runners of a matrix are run: the command is the same.

use crate::common::{self, TestDb};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_yaml_ng::Value;

fn recipe() -> String {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "docs", "ci.md"]
        .iter()
        .collect();
    std::fs::read_to_string(path).expect("docs/ci.md")
}

/// The ```yaml blocks of the recipe, parsed.
fn workflows() -> Vec<Value> {
    let text = recipe();
    let blocks: Vec<&str> = text
        .split("```yaml\n")
        .skip(1)
        .map(|rest| rest.split("\n```").next().expect("a closed block"))
        .collect();
    blocks
        .iter()
        .map(|block| serde_yaml_ng::from_str(block).unwrap_or_else(|e| panic!("{e}:\n{block}")))
        .collect()
}

/// Every step of every job, with the job's name.
fn steps(workflow: &Value) -> Vec<(String, &Value)> {
    let jobs = workflow["jobs"].as_mapping().expect("jobs");
    jobs.iter()
        .flat_map(|(name, job)| {
            let name = name.as_str().unwrap().to_string();
            let steps = job["steps"].as_sequence().expect("steps");
            steps.iter().map(move |step| (name.clone(), step))
        })
        .collect()
}

/// All `run:` scripts of a workflow, joined.
fn scripts(workflow: &Value) -> String {
    steps(workflow)
        .iter()
        .filter_map(|(_, step)| step["run"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

fn uses(workflow: &Value, action: &str) -> Vec<Value> {
    steps(workflow)
        .into_iter()
        .filter(|(_, step)| step["uses"].as_str().is_some_and(|u| u.starts_with(action)))
        .map(|(_, step)| step.clone())
        .collect()
}

#[test]
fn the_workflows_parse_and_hold_what_the_recipe_promises() {
    let workflows = workflows();
    assert_eq!(workflows.len(), 3);
    let (single, matrix) = (&workflows[0], &workflows[1]);
    let service = &single["jobs"]["bench"]["services"]["postgres"];
    assert!(service["image"].as_str().unwrap().starts_with("postgres:"));
    let gate = scripts(single);
    for needle in [
        "techspec-bench migrate --create-shared-stand-in",
        "techspec-bench seed",
        "--junit out/junit.xml",
        "--markdown out/summary.md",
        "--html out/report.html",
        "--baseline baseline/results.json",
        "gh run download",
    ] {
        assert!(gate.contains(needle), "the first workflow lacks {needle}");
    }
    let upload = &uses(single, "actions/upload-artifact")[0];
    assert_eq!(upload["if"].as_str(), Some("always()"));
    assert_eq!(upload["with"]["path"].as_str(), Some("out/"));
    let runners = matrix["jobs"]["load"]["strategy"]["matrix"]["runner"].as_sequence();
    assert!(runners.is_some_and(|r| r.len() >= 2), "a matrix of runners");
    assert!(scripts(matrix).contains("techspec-bench merge out/results-*.json --json"));
    assert_eq!(uses(matrix, "actions/download-artifact").len(), 1);
    for workflow in &workflows {
        for (job, step) in steps(workflow) {
            if let Some(script) = step["run"].as_str() {
                assert!(
                    !script.contains("${{"),
                    "{job}: pass expressions through env: {script}"
                );
            }
        }
    }
}

/// `${{ matrix.K }}` becomes the matrix value; any other expression (secrets, github) is
/// empty here.
fn substitute(text: &str, matrix_value: Option<&str>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").expect("closed expression") + start;
        let expression = rest[start + 3..end].trim();
        if expression.starts_with("matrix.") {
            out.push_str(matrix_value.expect("a matrix value"));
        }
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

fn env_of(value: &Value, matrix_value: Option<&str>, into: &mut BTreeMap<String, String>) {
    for (key, value) in value.as_mapping().into_iter().flatten() {
        let text = match value {
            Value::String(text) => text.clone(),
            other => serde_yaml_ng::to_string(other).unwrap().trim().to_string(),
        };
        into.insert(
            key.as_str().unwrap().into(),
            substitute(&text, matrix_value),
        );
    }
}

/// Runs one step's script as GitHub does (`bash -e`), with the tool on PATH.
fn run_step(directory: &Path, script: &str, env: &BTreeMap<String, String>) -> (i32, String) {
    let binary = Path::new(env!("CARGO_BIN_EXE_techspec-bench"));
    let path = format!(
        "{}:{}",
        binary.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut command = Command::new("bash");
    for variable in common::CONNECTION_ENV {
        command.env_remove(variable);
    }
    let output = command
        .args(["-e", "-c", script])
        .current_dir(directory)
        .envs(env)
        .env("PATH", path)
        .env("GITHUB_STEP_SUMMARY", directory.join("step-summary.md"))
        .output()
        .expect("bash");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), text)
}

/// Runs every techspec-bench step of `workflow` in `directory`, against `url`.
fn run_workflow(workflow: &Value, directory: &Path, url: &str) {
    let jobs = workflow["jobs"].as_mapping().expect("jobs");
    for (name, job) in jobs {
        let values: Vec<Option<String>> = match job["strategy"]["matrix"]["runner"].as_sequence() {
            Some(values) => values.iter().take(2).map(|v| Some(scalar(v))).collect(),
            None => vec![None],
        };
        for value in &values {
            for step in job["steps"].as_sequence().expect("steps") {
                run_techspec_step(workflow, job, step, value.as_deref(), directory, url, name);
            }
        }
    }
}

fn scalar(value: &Value) -> String {
    serde_yaml_ng::to_string(value).unwrap().trim().to_string()
}

fn run_techspec_step(
    workflow: &Value,
    job: &Value,
    step: &Value,
    matrix_value: Option<&str>,
    directory: &Path,
    url: &str,
    job_name: &Value,
) {
    let Some(script) = step["run"].as_str() else {
        return;
    };
    if !script.contains("techspec-bench ") {
        return;
    }
    let mut env = BTreeMap::new();
    for level in [&workflow["env"], &job["env"], &step["env"]] {
        env_of(level, matrix_value, &mut env);
    }
    env.insert("DATABASE_URL".into(), url.into());
    let (code, output) = run_step(directory, script, &env);
    // 1 is a gate's verdict on this machine's timings, not a broken command.
    let gates = script.contains("techspec-bench run") || script.contains("techspec-bench merge");
    let accepted = code == 0 || (gates && code == 1);
    assert!(
        accepted,
        "job {job_name:?}, step {:?} exited {code}:\n{script}\n{output}",
        step["name"]
    );
}

fn file(directory: &Path, name: &str) -> String {
    std::fs::read_to_string(directory.join(name))
        .unwrap_or_else(|e| panic!("{name} was not written: {e}"))
}

#[tokio::test]
async fn every_techspec_bench_step_of_the_single_runner_workflow_runs_as_written() {
    let db = TestDb::create("ci_recipe_single").await;
    let directory = tempfile::tempdir().unwrap();
    let workflow = &workflows()[0];
    run_workflow(workflow, directory.path(), &db.url);
    for name in ["out/results.json", "out/junit.xml", "out/summary.md"] {
        assert!(!file(directory.path(), name).is_empty(), "{name}");
    }
    assert!(file(directory.path(), "out/report.html").contains("<figure class=\"chart\">"));
    // As on a pull request after a run on main: the same gate with the last results as baseline.
    std::fs::create_dir(directory.path().join("baseline")).unwrap();
    std::fs::copy(
        directory.path().join("out/results.json"),
        directory.path().join("baseline/results.json"),
    )
    .unwrap();
    run_workflow(workflow, directory.path(), &db.url);
    let html = file(directory.path(), "out/report.html");
    assert!(
        html.contains(">baseline</text>"),
        "the baseline curve is drawn"
    );
}

#[tokio::test]
async fn every_techspec_bench_step_of_the_matrix_workflow_runs_as_written() {
    let db = TestDb::create("ci_recipe_matrix").await;
    let directory = tempfile::tempdir().unwrap();
    run_workflow(&workflows()[1], directory.path(), &db.url);
    let read = |name: &str| -> serde_json::Value {
        serde_json::from_str(&file(directory.path(), name)).unwrap()
    };
    let (one, two, merged) = (
        read("out/results-1.json"),
        read("out/results-2.json"),
        read("out/merged.json"),
    );
    let iterations = |results: &serde_json::Value| -> u64 {
        results["scenarios"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["iterations"].as_u64().unwrap())
            .sum()
    };
    assert_eq!(iterations(&merged), iterations(&one) + iterations(&two));
    assert!(file(directory.path(), "out/report.html").contains("<figure class=\"chart\">"));
    assert!(file(directory.path(), "step-summary.md").contains("session_by_id"));
}

#[tokio::test]
async fn every_techspec_bench_step_of_the_migrations_ab_workflow_runs_as_written() {
    let (base, pr) = (
        TestDb::create("ci_recipe_ab_base").await,
        TestDb::create("ci_recipe_ab_pr").await,
    );
    let directory = tempfile::tempdir().unwrap();
    let workflow = &workflows()[2];
    let job = &workflow["jobs"]["ab"];
    // The two databases exist already; the tool's migrations stand in for the application's.
    let mut env = BTreeMap::new();
    env.insert("BASE_URL".to_string(), base.url.clone());
    env.insert("PR_URL".to_string(), pr.url.clone());
    env.insert(
        "DATABASE_URL".to_string(),
        "postgres://unused@127.0.0.1:1/x".to_string(),
    );
    for step in job["steps"].as_sequence().expect("steps") {
        let Some(script) = step["run"].as_str() else {
            continue;
        };
        if !script.contains("techspec-bench ") {
            continue;
        }
        let (code, output) = run_step(directory.path(), script, &env);
        let gates = script.contains(" run ");
        assert!(
            code == 0 || (gates && code == 1),
            "step {:?} exited {code}:\n{script}\n{output}",
            step["name"]
        );
    }
    let results: serde_json::Value =
        serde_json::from_str(&file(directory.path(), "out/ab.json")).unwrap();
    assert!(
        results["against"]["database"]["target"]
            .as_str()
            .unwrap()
            .contains("ci_recipe_ab_base")
    );
    assert!(file(directory.path(), "out/ab.html").contains(">baseline</text>"));
}
