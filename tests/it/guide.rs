//! `guide`: the committed docs/QUERY_OPTIMIZATION_GUIDE.md has the structure the command
//! emits for the committed inputs, and the shipped pattern pairs pass their ratio gates
//! on the default dataset.

use std::path::{Path, PathBuf};

use crate::cli_support::{assert_exit, read_json, run_tool, seeded};
use crate::common;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn headings(markdown: &str) -> Vec<&str> {
    markdown.lines().filter(|l| l.starts_with('#')).collect()
}

/// The `## Provenance` section: from its heading to the next one.
fn provenance(markdown: &str) -> Vec<&str> {
    markdown
        .lines()
        .skip_while(|l| *l != "## Provenance")
        .skip(1)
        .take_while(|l| !l.starts_with('#'))
        .filter(|l| !l.is_empty())
        .collect()
}

/// The guide as the documented command writes it from the committed inputs.
fn generated_guide() -> String {
    let fixture = |name: &str| repo("tests/fixtures/guide").join(name);
    let cwd = tempfile::tempdir().expect("temp cwd");
    let output = common::tool()
        .current_dir(cwd.path())
        .arg("guide")
        .arg("--run")
        .arg(fixture("run.json"))
        .arg("--scale")
        .arg(fixture("scale.json"))
        .arg("--ablate")
        .arg(fixture("ablate.json"))
        .arg("--scenarios")
        .arg(repo("scenarios/patterns.toml"))
        .output()
        .expect("run techspec-bench guide");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    String::from_utf8(output.stdout).expect("UTF-8 guide")
}

#[test]
fn the_committed_guide_has_the_structure_the_command_emits() {
    let committed = std::fs::read_to_string(repo("docs/QUERY_OPTIMIZATION_GUIDE.md"))
        .expect("docs/QUERY_OPTIMIZATION_GUIDE.md is committed");
    let generated = generated_guide();
    assert_eq!(headings(&committed), headings(&generated));
    let sections = headings(&generated)
        .iter()
        .filter(|h| h.starts_with("### "))
        .count();
    let run = read_json(&repo("tests/fixtures/guide/run.json"));
    assert_eq!(
        sections,
        run["scenarios"].as_array().expect("scenarios").len()
    );
    let block = provenance(&committed);
    assert_eq!(block, provenance(&generated));
    for field in ["- Machine:", "- PostgreSQL:", "- Dataset:", "- Date:"] {
        assert!(
            block.iter().any(|l| l.starts_with(field)),
            "{field} in {block:?}"
        );
    }
}

#[test]
fn guide_refuses_a_file_that_is_not_a_run() {
    let scale = repo("tests/fixtures/guide/scale.json");
    assert!(scale.is_file(), "the committed sweep fixture");
    let outcome = run_tool(
        "postgres://unused@127.0.0.1:1/x",
        &["guide", "--run", &scale.to_string_lossy()],
    );
    assert_exit(&outcome, 2);
    assert!(outcome.stderr.contains("techspec-bench/1"), "{outcome:?}");
}

#[tokio::test]
async fn the_shipped_pattern_pairs_pass_their_ratio_gates_on_the_default_dataset() {
    let db = seeded("guide_pairs", 10_000).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let json = dir.path().join("run.json");
    let scenarios = repo("scenarios/patterns.toml");
    let thresholds = repo("thresholds.toml");
    let outcome = run_tool(
        &db.url,
        &[
            "-q",
            "run",
            "--scenarios",
            &scenarios.to_string_lossy(),
            "--thresholds",
            &thresholds.to_string_lossy(),
            "--json",
            &json.to_string_lossy(),
        ],
    );
    assert!(matches!(outcome.code, Some(0 | 1)), "{outcome:?}");
    let results = read_json(&json);
    let mut gates = 0;
    for scenario in results["scenarios"].as_array().expect("scenarios") {
        for gate in scenario["thresholds"].as_array().expect("thresholds") {
            if gate["unit"] == "ratio" {
                gates += 1;
                assert_eq!(gate["ok"], true, "{}: {gate}", scenario["name"]);
            }
        }
    }
    assert_eq!(gates, 7, "every anti-pattern's fix is gated on its ratio");
}
