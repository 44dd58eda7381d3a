//! End-to-end tests of `techspec-bench run` against named test databases: the gate's exit
//! codes and messages, configuration checked before the database, skips, safety of the
//! dataset, result files and the measured numbers.
//! Must not prepare data other than through the binary, nor touch any database but its own.

use crate::cli_support;
use crate::common;

use std::time::{Duration, Instant};

use base64::Engine as _;
use cli_support::{
    assert_exit, checksums, count, fixture, migrated, read_json, run_tool, scenario, seeded,
};

const UNREACHABLE: &str = "postgres://x@127.0.0.1:1/x";

/// Tests that measure a known duration hold this exclusively; the other tests of this file
/// that run scenarios share it, so they never load the CPU during a timing measurement.
static CPU: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

#[tokio::test]
async fn a_small_scenario_file_passes_and_prints_the_table() {
    let _cpu = CPU.read().await;
    let db = seeded("e2e_run_pass", 10).await;
    let outcome = run_tool(
        &db.url,
        &[
            "run",
            "--scenarios",
            &fixture("small.toml"),
            "--thresholds",
            &fixture("small_thresholds.toml"),
        ],
    );
    assert_exit(&outcome, 0);
    for name in [
        "small_session_by_id",
        "small_research_count",
        "small_eager_load",
    ] {
        let row = outcome
            .stdout
            .lines()
            .find(|line| line.contains(name))
            .unwrap_or_else(|| panic!("no table row for {name}: {outcome:?}"));
        assert!(row.contains("PASS") && row.contains("20"), "{row}");
    }
    for header in [
        "scenario",
        "iter",
        "p50",
        "p95",
        "p99",
        "thresholds",
        "plan",
        "status",
    ] {
        assert!(outcome.stdout.contains(header), "{outcome:?}");
    }
    assert!(outcome.text().contains("3 passed, 0 failed"), "{outcome:?}");
}

#[tokio::test]
async fn a_threshold_of_1us_fails_the_gate_and_says_which_limit() {
    let _cpu = CPU.read().await;
    let db = seeded("e2e_run_1us", 10).await;
    let json = tempfile::NamedTempFile::new().unwrap();
    let outcome = run_tool(
        &db.url,
        &[
            "run",
            "--thresholds",
            &fixture("session_by_id_1us.toml"),
            "--filter",
            "session_by_id",
            "--json",
            json.path().to_str().unwrap(),
        ],
    );
    assert_exit(&outcome, 1);
    let row = outcome
        .stdout
        .lines()
        .find(|line| line.starts_with("session_by_id"))
        .unwrap_or_else(|| panic!("no row: {outcome:?}"));
    assert!(row.contains("FAIL") && row.contains("✗ p95"), "{row}");
    let why = outcome
        .text()
        .lines()
        .find(|line| line.starts_with("FAIL session_by_id"))
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("no reason line: {outcome:?}"));
    assert!(why.contains("p95") && why.contains("≥ 1µs"), "{why}");
    let results = read_json(json.path());
    let threshold = &scenario(&results, "session_by_id")["thresholds"][0];
    assert_eq!(threshold["ok"], false, "{threshold}");
    assert!(
        threshold["actual_us"].as_f64().unwrap() > 1.0,
        "{threshold}"
    );
}

#[test]
fn a_toml_syntax_error_exits_2_with_file_line_column_before_any_connection() {
    let started = Instant::now();
    let path = fixture("syntax_error.toml");
    let outcome = run_tool(UNREACHABLE, &["run", "--scenarios", &path]);
    assert_exit(&outcome, 2);
    assert!(
        outcome.stderr.contains(&format!("{path}:7:10")),
        "expected {path}:7:10 in {outcome:?}"
    );
    assert!(!outcome.text().contains("127.0.0.1:1"), "{outcome:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn a_misspelt_expect_exits_2_with_a_did_you_mean() {
    let path = fixture("misspelt_expect.toml");
    let outcome = run_tool(UNREACHABLE, &["run", "--scenarios", &path]);
    assert_exit(&outcome, 2);
    assert!(
        outcome.stderr.contains(&format!("{path}:7:1")),
        "{outcome:?}"
    );
    assert!(outcome.stderr.contains("`expct`"), "{outcome:?}");
    assert!(
        outcome.stderr.contains("did you mean `expect`"),
        "{outcome:?}"
    );
}

#[test]
fn a_threshold_for_an_unknown_scenario_exits_2_with_a_did_you_mean() {
    let path = fixture("thresholds_unknown_scenario.toml");
    let outcome = run_tool(
        UNREACHABLE,
        &[
            "run",
            "--scenarios",
            &fixture("small.toml"),
            "--thresholds",
            &path,
        ],
    );
    assert_exit(&outcome, 2);
    assert!(
        outcome.stderr.contains(&format!("{path}:3:1")),
        "{outcome:?}"
    );
    assert!(
        outcome.stderr.contains("small_sesion_by_idd"),
        "{outcome:?}"
    );
    assert!(
        outcome
            .stderr
            .contains("did you mean `small_session_by_id`"),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn without_the_shared_schema_cross_schema_scenarios_skip_naming_the_relation() {
    let _cpu = CPU.read().await;
    let db = seeded("e2e_run_noshared", 10).await;
    db.client()
        .await
        .batch_execute("DROP SCHEMA shared CASCADE")
        .await
        .unwrap();

    let mixed = run_tool(
        &db.url,
        &["run", "--scenarios", &fixture("mixed_schemas.toml")],
    );
    assert_exit(&mixed, 0);
    let text = mixed.text();
    assert!(
        text.contains("SKIP needs_design_jobs: relation shared.design_jobs does not exist"),
        "{mixed:?}"
    );
    assert!(text.contains("SKIP needs_design_outputs: relation shared.design_outputs"));
    assert!(text.contains("1 passed, 0 failed, 2 skipped"), "{mixed:?}");

    let shipped = run_tool(&db.url, &["run", "--filter", "cross_schema"]);
    assert_exit(&shipped, 0);
    assert!(
        shipped.text().contains("0 passed, 0 failed, 6 skipped"),
        "{shipped:?}"
    );
    assert!(shipped.text().contains("shared.design_jobs"), "{shipped:?}");

    let strict = run_tool(
        &db.url,
        &[
            "run",
            "--strict",
            "--scenarios",
            &fixture("mixed_schemas.toml"),
        ],
    );
    assert_exit(&strict, 1);
    assert!(
        strict
            .stdout
            .contains("--strict: 2 skipped scenarios fail the gate"),
        "a failed gate says why: {strict:?}"
    );
}

#[tokio::test]
async fn a_named_database_is_unchanged_by_a_run_with_rolled_back_writes() {
    let _cpu = CPU.read().await;
    let db = seeded("e2e_run_safe", 10).await;
    let client = db.client().await;
    let schemas = ["public", "shared", "techspec_bench"];
    let before = checksums(&client, &schemas).await;
    assert!(before.len() >= 8, "{before:?}");

    let json = tempfile::NamedTempFile::new().unwrap();
    let outcome = run_tool(
        &db.url,
        &[
            "run",
            "--scenarios",
            &fixture("writes.toml"),
            "--json",
            json.path().to_str().unwrap(),
        ],
    );
    assert_exit(&outcome, 0);
    let results = read_json(json.path());
    for name in ["insert_session", "update_session", "delete_conversations"] {
        let entry = scenario(&results, name);
        assert_eq!(entry["status"], "pass", "{entry}");
        assert_eq!(entry["errors"], 0, "{entry}");
    }
    assert_eq!(
        scenario(&results, "insert_session_then_research")["status"],
        "pass"
    );

    let after = checksums(&client, &schemas).await;
    assert_eq!(before, after, "the run changed the database");
}

#[tokio::test]
async fn json_junit_and_markdown_results_are_written() {
    let _cpu = CPU.read().await;
    let db = seeded("e2e_run_files", 10).await;
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let outcome = run_tool(
        &db.url,
        &[
            "run",
            "--scenarios",
            &fixture("small.toml"),
            "--json",
            &path("results.json"),
            "--junit",
            &path("junit.xml"),
            "--markdown",
            &path("results.md"),
        ],
    );
    assert_exit(&outcome, 0);

    let results = read_json(&dir.path().join("results.json"));
    assert_eq!(results["format"], "techspec-bench/1");
    assert_eq!(results["database"]["throwaway"], false);
    assert_eq!(results["dataset"]["tech_spec_sessions"], 10);
    assert_eq!(results["summary"]["pass"], 3, "{results:#}");
    let entry = scenario(&results, "small_session_by_id");
    assert_eq!(entry["iterations"], 20);
    let latency = &entry["latency_us"];
    for key in ["min", "mean", "p50", "p90", "p95", "p99", "p99_9", "max"] {
        assert!(latency[key].as_f64().unwrap() > 0.0, "{key}: {latency}");
    }
    assert!(latency["p50"].as_f64() <= latency["p99"].as_f64());
    assert_histogram_holds(entry, 20);
    let steps = scenario(&results, "small_eager_load")["steps"]
        .as_array()
        .unwrap();
    assert_eq!(steps.len(), 2, "per-step latency of a multi-step scenario");

    let junit = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    assert!(junit.starts_with("<?xml"), "{junit}");
    assert!(junit.contains("<testsuite") && junit.contains("small_eager_load"));
    assert!(!junit.contains("<failure"), "{junit}");

    let markdown = std::fs::read_to_string(dir.path().join("results.md")).unwrap();
    assert!(
        markdown.contains("| `small_session_by_id` | 20 |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("PASS") || markdown.contains("pass"),
        "{markdown}"
    );
}

/// The base64 histogram decodes as a standard HdrHistogram holding `iterations` samples.
fn assert_histogram_holds(entry: &serde_json::Value, iterations: u64) {
    let encoded = entry["histogram"].as_str().expect("histogram string");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .expect("histogram is base64");
    let histogram: hdrhistogram::Histogram<u64> = hdrhistogram::serialization::Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .expect("histogram is HdrHistogram V2 + DEFLATE");
    assert_eq!(histogram.len(), iterations);
    let p50 = entry["latency_us"]["p50"].as_f64().unwrap();
    let decoded_p50 = histogram.value_at_quantile(0.5) as f64;
    assert!(
        (decoded_p50 - p50).abs() <= p50 * 0.01,
        "{decoded_p50} vs {p50}"
    );
}

#[tokio::test]
async fn pg_sleep_5ms_reads_a_p50_between_5_0_and_5_8_ms() {
    let _cpu = CPU.write().await;
    let db = migrated("e2e_run_sleep").await;
    let client = db.client().await;
    let reference_before = reference_sleep_p50_us(&client).await;
    let json = tempfile::NamedTempFile::new().unwrap();
    let outcome = run_tool(
        &db.url,
        &[
            "run",
            "--scenarios",
            &fixture("sleep_5ms.toml"),
            "--json",
            json.path().to_str().unwrap(),
        ],
    );
    assert_exit(&outcome, 0);
    let reference_after = reference_sleep_p50_us(&client).await;
    let p50 = scenario(&read_json(json.path()), "sleep_5ms")["latency_us"]["p50"]
        .as_f64()
        .unwrap();
    // The 5.0..5.8 ms window allows 0.8 ms over the sleep for client and network. When the
    // machine is so loaded that a bare client reading the same query right before and after
    // is itself above 5.0 ms, that excess is the machine's: the tool still gets 0.8 ms over
    // the slower bare reading, no more.
    let reference = reference_before.max(reference_after);
    let upper = 5_800.0_f64.max(reference + 800.0);
    assert!(
        (5_000.0..=upper).contains(&p50),
        "p50 {p50} µs not in 5000..={upper} µs (bare client read {reference_before} / {reference_after} µs)"
    );
}

/// p50 of `SELECT pg_sleep(0.005)` read by a bare tokio-postgres client, in µs.
async fn reference_sleep_p50_us(client: &tokio_postgres::Client) -> f64 {
    let statement = client.prepare("SELECT pg_sleep(0.005)").await.unwrap();
    let mut samples = Vec::new();
    for _ in 0..40 {
        let started = Instant::now();
        client.query(&statement, &[]).await.unwrap();
        samples.push(started.elapsed().as_secs_f64() * 1e6);
    }
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

#[tokio::test]
async fn an_overloaded_open_loop_shows_latency_far_above_service_time() {
    let _cpu = CPU.read().await;
    let db = migrated("e2e_run_rate").await;
    let json = tempfile::NamedTempFile::new().unwrap();
    let outcome = run_tool(
        &db.url,
        &[
            "run",
            "--scenarios",
            &fixture("open_loop_overload.toml"),
            "--json",
            json.path().to_str().unwrap(),
        ],
    );
    assert_exit(&outcome, 0);
    let entry = scenario(&read_json(json.path()), "overloaded_open_loop").clone();
    let latency_p99 = entry["latency_us"]["p99"].as_f64().unwrap();
    let service = &entry["service_time_us"];
    assert!(service.is_object(), "service_time_us with rate: {entry}");
    let service_p99 = service["p99"].as_f64().unwrap();
    assert!(service["p50"].as_f64().unwrap() >= 20_000.0, "{service}");
    // After 2 s at twice what one client serves, the last iterations waited about 1 s.
    assert!(
        latency_p99 > 5.0 * service_p99 && latency_p99 > 300_000.0,
        "latency p99 {latency_p99} µs vs service time p99 {service_p99} µs"
    );
    assert!(
        entry["iterations"].as_u64().unwrap() < 150,
        "one client cannot serve 100/s: {entry}"
    );
}

#[tokio::test]
async fn a_run_on_a_named_unseeded_database_exits_3_naming_the_empty_sample_and_seeds_nothing() {
    let _cpu = CPU.read().await;
    let db = migrated("e2e_run_noseed").await;
    // The shipped scenarios, with nothing else in the way: a CI job against an empty
    // database must not go green.
    let outcome = run_tool(&db.url, &["run"]);
    assert_exit(&outcome, 3);
    let sample =
        "sample `SELECT id FROM tech_spec_sessions ORDER BY id LIMIT 1000` returned no rows";
    for part in ["scenario `session_by_id`", sample, "techspec-bench seed"] {
        assert!(outcome.stderr.contains(part), "{part}: {outcome:?}");
    }
    let client = db.client().await;
    for table in common::DATA_TABLES {
        assert_eq!(count(&client, table).await, 0, "{table} was written to");
    }
    assert_eq!(count(&client, "techspec_bench.seed_runs").await, 0);
}

#[tokio::test]
async fn a_budget_stops_once_the_windows_agree_and_every_output_says_how_precise() {
    let db = migrated("e2e_run_budget").await;
    let json = tempfile::NamedTempFile::new().unwrap();
    let outcome = run_tool(
        &db.url,
        &[
            "run",
            "--scenarios",
            &fixture("budget.toml"),
            "--json",
            json.path().to_str().unwrap(),
        ],
    );
    assert_exit(&outcome, 0);
    let results = read_json(json.path());
    crate::results_schema::assert_matches_schema(&results, "budgeted run");
    let steady = scenario(&results, "budget_steady");
    assert_eq!(steady["budget_s"], 2.0, "{steady:#}");
    let precision = steady["precision"].as_f64().unwrap();
    // A fixed sleep: its windows agree within ±5% after the fewest windows allowed, far
    // short of the 2 s budget (8 windows of 250 ms).
    assert!(precision <= 0.05, "{steady:#}");
    let windows = steady["windows"].as_array().unwrap().len();
    assert!((3..8).contains(&windows), "{windows} windows: {steady:#}");
    assert!(steady["duration_s"].as_f64().unwrap() < 1.9, "{steady:#}");
    let default = scenario(&results, "budget_default");
    assert_eq!(default["budget_s"], 0.125, "{default:#}");
    // At least one iteration in each of at least three windows.
    assert!(default["iterations"].as_u64().unwrap() >= 3, "{default:#}");
    // A query slower than a window's share stops once its iterations took the budget.
    let slow = scenario(&results, "budget_slow");
    let slow_windows = slow["windows"].as_array().unwrap().len();
    assert!(
        (3..8).contains(&slow_windows),
        "{slow_windows} windows: {slow:#}"
    );
    assert_eq!(
        slow["iterations"].as_u64().unwrap(),
        slow_windows as u64,
        "{slow:#}"
    );
    assert!(outcome.stdout.contains("p50 within ±"), "{outcome:?}");
}
