//! End-to-end tests of the baseline gate (`run --baseline`, `compare`) and `calibrate`
//! against named test databases. Must not prepare data other than through the binary
//! (an index dropped by hand aside), nor touch any database but its own.

use std::path::Path;

use crate::cli_support::{assert_exit, fixture, read_json, run_tool, scenario, seeded};

const UNREACHABLE: &str = "postgres://x@127.0.0.1:1/x";

fn gate_run(url: &str, extra: &[&str]) -> crate::cli_support::Outcome {
    let mut args = vec!["run", "--scenarios", &fixture("gate.toml")[..]]
        .into_iter()
        .map(str::to_string)
        .collect::<Vec<_>>();
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run_tool(url, &args)
}

fn path_text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

#[tokio::test]
async fn a_run_compared_with_its_own_baseline_passes_and_every_output_shows_it() {
    let db = seeded("gate_same", 200).await;
    let dir = tempfile::tempdir().unwrap();
    let (base, json) = (dir.path().join("base.json"), dir.path().join("now.json"));
    let (md, html, junit) = (
        dir.path().join("r.md"),
        dir.path().join("r.html"),
        dir.path().join("r.xml"),
    );
    assert_exit(
        &gate_run(&db.url, &["--save-baseline", &path_text(&base)]),
        0,
    );
    let saved = read_json(&base);
    let first = scenario(&saved, "gate_research_by_session");
    assert!(first["buffers"].as_u64().unwrap() > 0, "{first}");
    assert!(first["definition"].as_str().unwrap().starts_with("sha256:"));
    assert_eq!(saved["rng_seed"], 42);
    // Measured in interleaved windows (at least 10 iterations each, at most 8).
    let windows = first["windows"].as_array().unwrap().len() as u64;
    let iterations = first["iterations"].as_u64().unwrap();
    assert_eq!(windows, (iterations / 10).clamp(1, 8), "{first}");
    let outcome = gate_run(
        &db.url,
        &[
            "--baseline",
            &path_text(&base),
            // Timing noise on a shared machine must not fail this test of the outputs.
            "--min-regression",
            "10s",
            "--json",
            &path_text(&json),
            "--markdown",
            &path_text(&md),
            "--html",
            &path_text(&html),
            "--junit",
            &path_text(&junit),
        ],
    );
    assert_exit(&outcome, 0);
    assert!(
        outcome.stdout.contains("Compared with 1 baseline run"),
        "{outcome:?}"
    );
    let results = read_json(&json);
    crate::results_schema::assert_matches_schema(&results, "run --baseline --json");
    let compared = &scenario(&results, "gate_research_by_session")["baseline"];
    assert_eq!(compared["method"], "bootstrap");
    // Both runs measured the machine reference: the comparison divides by its change.
    let probes: Vec<&str> = results["reference"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        probes,
        [
            "reference_round_trip",
            "reference_cpu",
            "reference_catalog_scan"
        ]
    );
    assert!(
        compared["percentiles"][0]["machine_factor"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    // 95% shared out over three percentiles of every compared scenario.
    let confidence = compared["limits"]["confidence"].as_f64().unwrap();
    let compared_scenarios = results["scenarios"].as_array().unwrap().len() as f64;
    assert!(
        (confidence - (1.0 - 0.05 / (3.0 * compared_scenarios))).abs() < 1e-9,
        "{compared}"
    );
    assert_eq!(compared["percentiles"][1]["percentile"], "p95");
    assert!(
        compared["percentiles"][1]["interval_us"]["low"].is_number(),
        "{compared}"
    );
    assert_eq!(compared["buffers"]["verdict"], "unchanged");
    let markdown = std::fs::read_to_string(&md).unwrap();
    assert!(markdown.contains("### Baseline gate"), "{markdown}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("Compared with the baseline"), "{page}");
}

#[tokio::test]
async fn a_dropped_index_fails_the_gate_naming_the_scenario_and_the_size() {
    let db = seeded("gate_index", 300).await;
    let dir = tempfile::tempdir().unwrap();
    let (base, junit) = (dir.path().join("base.json"), dir.path().join("junit.xml"));
    assert_exit(
        &gate_run(&db.url, &["--save-baseline", &path_text(&base)]),
        0,
    );
    let client = db.client().await;
    client
        .batch_execute("DROP INDEX ix_tech_research_session_id")
        .await
        .unwrap();
    let outcome = gate_run(
        &db.url,
        &[
            "--baseline",
            &path_text(&base),
            "--junit",
            &path_text(&junit),
        ],
    );
    assert_exit(&outcome, 1);
    let text = outcome.text();
    assert!(text.contains("gate_research_by_session"), "{text}");
    assert!(text.contains("regression against the baseline"), "{text}");
    assert!(text.contains("buffers"), "{text}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("regression against the baseline: "), "{xml}");
}

#[tokio::test]
async fn a_baseline_of_another_scenario_definition_or_seed_is_refused() {
    let db = seeded("gate_refuse", 10).await;
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.json");
    assert_exit(
        &gate_run(&db.url, &["--save-baseline", &path_text(&base)]),
        0,
    );
    let mut changed = std::fs::read_to_string(&base).unwrap();
    changed = changed.replacen("\"definition\": \"sha256:", "\"definition\": \"sha256:0", 1);
    let tampered = dir.path().join("changed.json");
    std::fs::write(&tampered, changed).unwrap();
    let outcome = gate_run(&db.url, &["--baseline", &path_text(&tampered)]);
    assert_exit(&outcome, 2);
    assert!(
        outcome.stderr.contains("its definition changed"),
        "{outcome:?}"
    );
    let outcome = gate_run(
        &db.url,
        &["--baseline", &path_text(&base), "--rng-seed", "7"],
    );
    assert_exit(&outcome, 2);
    assert!(outcome.stderr.contains("another dataset"), "{outcome:?}");
    assert!(
        outcome.stderr.contains("--rng-seed 42 then, 7 now"),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn compare_judges_two_saved_files_offline() {
    let db = seeded("gate_compare", 10).await;
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.json");
    assert_exit(&gate_run(&db.url, &["--json", &path_text(&base)]), 0);
    let same = run_tool(
        UNREACHABLE,
        &["compare", &path_text(&base), &path_text(&base)],
    );
    assert_exit(&same, 0);
    assert!(same.stdout.contains("unchanged"), "{same:?}");
    let mut results = read_json(&base);
    for entry in results["scenarios"].as_array_mut().unwrap() {
        let buffers = entry["buffers"].as_u64().unwrap();
        entry["buffers"] = serde_json::json!(buffers * 3 + 2);
    }
    let worse = dir.path().join("worse.json");
    std::fs::write(&worse, serde_json::to_string_pretty(&results).unwrap()).unwrap();
    let outcome = run_tool(
        UNREACHABLE,
        &["compare", &path_text(&base), &path_text(&worse)],
    );
    assert_exit(&outcome, 1);
    assert!(outcome.stdout.contains("regression"), "{outcome:?}");
    let history_dir = dir.path().join("history");
    std::fs::create_dir(&history_dir).unwrap();
    std::fs::copy(&base, history_dir.join("a.json")).unwrap();
    std::fs::copy(&base, history_dir.join("b.json")).unwrap();
    let history = run_tool(
        UNREACHABLE,
        &["compare", &path_text(&history_dir), &path_text(&worse)],
    );
    assert_exit(&history, 1);
    assert!(history.stdout.contains("2 baseline runs"), "{history:?}");
}

#[tokio::test]
async fn calibrate_then_run_passes_and_a_3x_slowdown_fails() {
    let db = seeded("gate_calibrate", 10).await;
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("calibrated.toml");
    let outcome = run_tool(
        &db.url,
        &[
            "calibrate",
            "--scenarios",
            &fixture("sleepy.toml"),
            "--output",
            &path_text(&output),
            // 2× (not the default 2.5×) keeps a 3× slowdown beyond the limit even when a
            // busy machine stretches the calibrating run's sleeps by a quarter.
            "--headroom",
            "2x",
        ],
    );
    assert_exit(&outcome, 0);
    assert!(
        outcome.stdout.contains("headroom") && outcome.stdout.contains("2.0×"),
        "{outcome:?}"
    );
    let written = std::fs::read_to_string(&output).unwrap();
    assert!(written.contains("sleepy = [\"p95 < "), "{written}");
    assert!(written.contains("buffers <= "), "{written}");
    let run = |file: &str| {
        run_tool(
            &db.url,
            &[
                "run",
                "--scenarios",
                &fixture(file),
                "--thresholds",
                &path_text(&output),
            ],
        )
    };
    assert_exit(&run("sleepy.toml"), 0);
    let slower = run("sleepy_3x.toml");
    assert_exit(&slower, 1);
    assert!(slower.text().contains("p95"), "{slower:?}");
}

#[tokio::test]
async fn compare_judges_a_gated_run_afresh_without_repeating_its_reason() {
    let db = seeded("gate_regate", 300).await;
    let dir = tempfile::tempdir().unwrap();
    let (base, gated) = (dir.path().join("base.json"), dir.path().join("gated.json"));
    assert_exit(&gate_run(&db.url, &["--json", &path_text(&base)]), 0);
    let client = db.client().await;
    client
        .batch_execute("DROP INDEX ix_tech_research_session_id")
        .await
        .unwrap();
    let args = [
        "--baseline",
        &path_text(&base),
        "--json",
        &path_text(&gated),
    ];
    assert_exit(&gate_run(&db.url, &args), 1);
    let outcome = run_tool(
        UNREACHABLE,
        &["compare", &path_text(&base), &path_text(&gated)],
    );
    assert_exit(&outcome, 1);
    let line = outcome
        .stdout
        .lines()
        .find(|line| line.starts_with("FAIL gate_research_by_session"))
        .unwrap_or_else(|| panic!("{outcome:?}"));
    assert_eq!(
        line.matches("regression against the baseline").count(),
        1,
        "{line}"
    );
}

#[tokio::test]
async fn one_round_measures_each_scenario_in_one_window() {
    let db = seeded("gate_rounds", 50).await;
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("now.json");
    assert_exit(
        &gate_run(&db.url, &["--rounds", "1", "--json", &path_text(&json)]),
        0,
    );
    let results = read_json(&json);
    for entry in results["scenarios"].as_array().unwrap() {
        assert_eq!(entry["windows"].as_array().unwrap().len(), 1, "{entry}");
        assert_eq!(entry["windows"][0], entry["histogram"], "{entry}");
    }
}
