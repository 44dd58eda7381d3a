//! End-to-end tests of the paired A/B run (`run --against BASE_URL`) between two named
//! test databases seeded identically through the binary. Timing verdicts are kept out of
//! reach of the machine's noise (`--min-regression 10s`) except where a change is
//! structural (a dropped index: a plan regression). Must not touch other databases.

use std::path::Path;

use crate::cli_support::{assert_exit, fixture, migrated, read_json, run_tool, scenario};
use crate::common::TestDb;

/// A fresh database seeded with `sessions` sessions as of a fixed time, so that two of
/// them hold the same rows.
async fn seeded_as_of(label: &str, sessions: u32) -> TestDb {
    let db = migrated(label).await;
    let sessions = sessions.to_string();
    let args = [
        "-q",
        "seed",
        "--sessions",
        &sessions,
        "--rng-seed",
        "11",
        "--as-of",
        "2026-01-01T00:00:00Z",
    ];
    assert_exit(&run_tool(&db.url, &args), 0);
    db
}

fn ab_run(target: &str, base: &str, extra: &[&str]) -> crate::cli_support::Outcome {
    let gate = fixture("gate.toml");
    let mut args = vec![
        "run",
        "--scenarios",
        &gate,
        "--against",
        base,
        "--rounds",
        "4",
    ];
    args.extend(extra);
    run_tool(target, &args)
}

fn text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

#[tokio::test]
async fn an_identical_pair_passes_and_every_output_shows_both_sides() {
    let (target, base) = (
        seeded_as_of("ab_same_t", 200).await,
        seeded_as_of("ab_same_b", 200).await,
    );
    let dir = tempfile::tempdir().unwrap();
    let (json, md, html) = (
        dir.path().join("ab.json"),
        dir.path().join("ab.md"),
        dir.path().join("ab.html"),
    );
    let outcome = ab_run(
        &target.url,
        &base.url,
        &[
            "--min-regression",
            "10s",
            "--json",
            &text(&json),
            "--markdown",
            &text(&md),
            "--html",
            &text(&html),
        ],
    );
    assert_exit(&outcome, 0);
    assert!(outcome.stdout.contains("in pairs (A/B"), "{outcome:?}");
    let results = read_json(&json);
    crate::results_schema::assert_matches_schema(&results, "run --against --json");
    let against = &results["against"];
    assert!(
        against["database"]["target"]
            .as_str()
            .unwrap()
            .contains("ab_same_b"),
        "{against}"
    );
    for name in ["gate_research_by_session", "gate_session_by_id"] {
        let now = scenario(&results, name);
        let then = scenario(against, name);
        assert_eq!(now["baseline"]["method"], "paired", "{now}");
        // Both sides ran the same iterations, window by window and draw by draw.
        assert_eq!(now["iterations"], then["iterations"]);
        let (windows, base_windows) = (
            now["windows"].as_array().unwrap().len(),
            then["windows"].as_array().unwrap().len(),
        );
        assert_eq!(windows, base_windows);
        assert!(
            windows >= 4,
            "connections re-drawn within windows: {windows}"
        );
        let ratios = now["pair_ratios"].as_array().unwrap();
        assert_eq!(ratios.len(), windows);
        assert!(ratios.iter().all(|r| r.as_f64().unwrap() > 0.0));
        assert!(then["latency_us"]["p50"].as_u64().unwrap() > 0);
    }
    let markdown = std::fs::read_to_string(&md).unwrap();
    assert!(markdown.contains("Δ p95"), "{markdown}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("in pairs (A/B"), "the method note");
}

#[tokio::test]
async fn an_index_used_on_the_base_and_missing_on_the_target_fails_with_the_plan_named() {
    let (target, base) = (
        seeded_as_of("ab_plan_t", 300).await,
        seeded_as_of("ab_plan_b", 300).await,
    );
    let client = target.client().await;
    client
        .batch_execute("DROP INDEX ix_tech_research_session_id")
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("ab.json");
    let outcome = ab_run(
        &target.url,
        &base.url,
        &["--min-regression", "10s", "--json", &text(&json)],
    );
    assert_exit(&outcome, 1);
    let results = read_json(&json);
    let regressed = scenario(&results, "gate_research_by_session");
    assert_eq!(regressed["status"], "fail");
    let reason = regressed["reason"].as_str().unwrap();
    assert!(
        reason.contains("seq scan on public.tech_research on the target, not on the base")
            && reason.contains("index ix_tech_research_session_id used on the base"),
        "{reason}"
    );
    assert_eq!(
        scenario(&results, "gate_session_by_id")["status"],
        "pass",
        "{results}"
    );
}

#[tokio::test]
async fn two_databases_with_different_data_are_refused_with_what_differs() {
    let (target, base) = (
        seeded_as_of("ab_diff_t", 120).await,
        seeded_as_of("ab_diff_b", 100).await,
    );
    let outcome = ab_run(&target.url, &base.url, &[]);
    assert_exit(&outcome, 2);
    assert!(
        outcome.stderr.contains("different datasets")
            && outcome
                .stderr
                .contains("design_jobs 50 on the base, 60 on the target"),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn against_with_a_baseline_file_is_a_usage_error() {
    let db = TestDb::create("ab_usage").await;
    let outcome = run_tool(
        &db.url,
        &["run", "--against", &db.url, "--baseline", "x.json"],
    );
    assert_exit(&outcome, 2);
    assert!(
        outcome.stderr.contains("cannot be used with"),
        "{outcome:?}"
    );
}
