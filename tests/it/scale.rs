//! `scale` end to end on a real PostgreSQL (DATABASE_URL): growth classes of a lookup and
//! a leading-wildcard scan, the max_growth gate, the consent rule, `max_growth` in scenario
//! files, and a grown dataset identical to a fresh seed.

use crate::cli_support::{assert_exit, fixture, migrated, run_tool};
use crate::config_support::{assert_error, load_one};
use crate::seed_support::{checksums, options};
use techspec_bench::growth::GrowthClass;
use techspec_bench::seed::{self, GrowOutcome, SeedOptions};

fn scale_fixture() -> String {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scale/growth.toml");
    path.to_string_lossy().into_owned()
}

#[tokio::test]
async fn a_lookup_is_constant_or_log_a_wildcard_like_is_linear_and_its_gate_fails() {
    let db = migrated("scale").await;
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("scale.json");
    let html = dir.path().join("scale.html");
    let scenarios = scale_fixture();
    let outcome = run_tool(
        &db.url,
        &[
            "scale",
            "--yes",
            "--sessions",
            "50,200,800",
            "--scenarios",
            &scenarios,
            "--as-of",
            "2026-01-01T00:00:00Z",
            "--json",
            json.to_str().unwrap(),
            "--html",
            html.to_str().unwrap(),
        ],
    );
    assert_exit(&outcome, 1);
    assert!(
        outcome
            .stderr
            .contains("level 2/3: growing the dataset from 50 to 200 sessions"),
        "{outcome:?}"
    );
    assert!(
        outcome
            .stdout
            .contains("FAIL conversation_like_gated: grows linear"),
        "{outcome:?}"
    );
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let datasets: Vec<&str> = report["levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["dataset"].as_str().unwrap())
        .collect();
    assert_eq!(datasets, ["seeded", "grown", "grown"]);
    let scenario = |name: &str| {
        report["scenarios"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap()
            .clone()
    };
    let by_id = scenario("session_by_id");
    assert!(
        ["constant", "log"].contains(&by_id["class"].as_str().unwrap()),
        "{by_id:#}"
    );
    assert_eq!(by_id["ok"], true);
    let like = scenario("conversation_like");
    assert_eq!(like["class"], "linear", "{like:#}");
    assert_eq!(like["ok"], true, "no max_growth, no gate");
    assert!(like["buffers"]["k"].as_f64().unwrap() > 0.8, "{like:#}");
    let gated = scenario("conversation_like_gated");
    assert_eq!(gated["ok"], false);
    assert!(
        gated["reason"]
            .as_str()
            .unwrap()
            .ends_with("but max_growth = \"log\""),
        "{gated:#}"
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert_eq!(
        page.matches("<polyline").count(),
        3,
        "one line per scenario"
    );
}

#[tokio::test]
async fn a_named_database_needs_consent() {
    let db = migrated("scale_consent").await;
    let outcome = run_tool(
        &db.url,
        &[
            "scale",
            "--sessions",
            "10,20",
            "--scenarios",
            &fixture("small.toml"),
        ],
    );
    assert_exit(&outcome, 2);
    assert!(outcome.stderr.contains("pass --yes"), "{outcome:?}");
}

#[tokio::test]
async fn a_grown_dataset_holds_the_rows_of_a_fresh_seed() {
    let sized = |sessions| SeedOptions {
        sessions,
        ..options()
    };
    let grown = migrated("scale_grown").await;
    let mut client = grown.client().await;
    seed::seed(&mut client, &sized(100)).await.unwrap();
    let outcome = seed::grow(&mut client, &sized(400)).await.unwrap();
    assert!(matches!(outcome, GrowOutcome::Grown(_)), "{outcome:?}");
    let fresh = migrated("scale_fresh").await;
    let mut fresh_client = fresh.client().await;
    seed::seed(&mut fresh_client, &sized(400)).await.unwrap();
    assert_eq!(checksums(&client).await, checksums(&fresh_client).await);
    let state = seed::dataset_state(&client).await.unwrap();
    assert!(
        matches!(state, seed::DatasetState::Complete { sessions: 400, .. }),
        "{state:?}"
    );
    // Another seed, or a smaller size, cannot grow: the caller seeds from empty.
    let other = SeedOptions {
        rng_seed: 8,
        ..sized(800)
    };
    assert!(matches!(
        seed::grow(&mut client, &other).await.unwrap(),
        GrowOutcome::Reseed(_)
    ));
}

#[test]
fn max_growth_is_read_and_a_typo_is_explained() {
    let base = "[[scenario]]\nname = \"one\"\niterations = 10\nsql = \"SELECT 1\"\n";
    let scenario = load_one(&format!("{base}max_growth = \"linear\"\n"));
    assert_eq!(scenario.max_growth, Some(GrowthClass::Linear));
    assert_eq!(load_one(base).max_growth, None);
    assert_error(
        &format!("{base}max_growth = \"lin\"\n"),
        "5:14",
        &[
            "unknown max_growth `lin`",
            "did you mean `linear`?",
            "\"constant\", \"log\" or \"linear\"",
        ],
    );
}

#[tokio::test]
async fn a_sample_without_rows_at_a_size_stops_the_sweep_naming_the_size_and_query() {
    let db = migrated("scale_empty_sample").await;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/scale/deep_sample.toml");
    let outcome = run_tool(
        &db.url,
        &[
            "scale",
            "--yes",
            "--sessions",
            "10,40",
            "--scenarios",
            &path.to_string_lossy(),
        ],
    );
    assert_exit(&outcome, 3);
    for part in [
        "scale at 10 sessions",
        "scenario `deep_session_by_id`",
        "OFFSET 20` returned no rows",
    ] {
        assert!(outcome.stderr.contains(part), "{part}: {outcome:?}");
    }
}
