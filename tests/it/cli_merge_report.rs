//! End-to-end tests of `merge` and `report`: two real runs merged (counts add up, the
//! percentiles are those of the added histograms, thresholds judged again), refusals, and
//! saved results rendered without a database.

use crate::cli_support;
use crate::export_formats::{assert_bmf, assert_github_benchmark};
use crate::results_schema::assert_matches_schema;

use std::path::Path;

use base64::Engine as _;
use cli_support::{assert_exit, fixture, read_json, run_in, run_tool, scenario, seeded};
use hdrhistogram::Histogram;
use hdrhistogram::serialization::Deserializer;

/// A URL nothing listens on: `report` and `merge` must never need it.
const UNREACHABLE: &str = "postgres://x@127.0.0.1:1/x";

fn histogram(entry: &serde_json::Value) -> Histogram<u64> {
    let text = entry["histogram"].as_str().expect("a histogram");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap();
    Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .unwrap()
}

fn path_text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// Two runs of small.toml into `a.json` and `b.json` in `directory`.
async fn two_runs(label: &str, directory: &Path) {
    let db = seeded(label, 10).await;
    for name in ["a", "b"] {
        let out = path_text(&directory.join(format!("{name}.json")));
        let bmf = path_text(&directory.join(format!("{name}.bmf.json")));
        let gab = path_text(&directory.join(format!("{name}.gab.json")));
        let outcome = run_tool(
            &db.url,
            &[
                "-q",
                "run",
                "--scenarios",
                &fixture("small.toml"),
                "--thresholds",
                &fixture("small_thresholds.toml"),
                "--json",
                &out,
                "--bmf",
                &bmf,
                "--github-benchmark",
                &gab,
            ],
        );
        assert_exit(&outcome, 0);
    }
}

#[tokio::test]
async fn merge_adds_counts_and_takes_percentiles_from_the_merged_histogram() {
    let directory = tempfile::tempdir().unwrap();
    two_runs("e2e_merge", directory.path()).await;
    let outcome = run_in(
        directory.path(),
        UNREACHABLE,
        &[
            "merge",
            "a.json",
            "b.json",
            "--json",
            "merged.json",
            "--bmf",
            "merged.bmf.json",
        ],
    );
    assert_exit(&outcome, 0);
    for name in ["a.bmf.json", "b.bmf.json", "merged.bmf.json"] {
        let bmf = read_json(&directory.path().join(name));
        assert_bmf(&bmf);
        assert!(bmf["small_session_by_id"]["latency-p99"]["value"].is_number());
    }
    assert_github_benchmark(&read_json(&directory.path().join("a.gab.json")));
    assert!(
        outcome.stdout.contains("small_session_by_id"),
        "{outcome:?}"
    );
    let (a, b) = (
        read_json(&directory.path().join("a.json")),
        read_json(&directory.path().join("b.json")),
    );
    assert_matches_schema(&a, "run --json");
    assert_matches_schema(&b, "run --json");
    let merged = read_json(&directory.path().join("merged.json"));
    assert_matches_schema(&merged, "merge --json");
    for name in [
        "small_session_by_id",
        "small_research_count",
        "small_eager_load",
    ] {
        let (x, y, m) = (
            scenario(&a, name),
            scenario(&b, name),
            scenario(&merged, name),
        );
        let sum = x["iterations"].as_u64().unwrap() + y["iterations"].as_u64().unwrap();
        assert_eq!(m["iterations"].as_u64(), Some(sum), "{name}");
        let mut added = histogram(x);
        added.auto(true);
        added.add(histogram(y)).unwrap();
        let merged_histogram = histogram(m);
        assert_eq!(merged_histogram.len(), added.len(), "{name}");
        for (field, quantile) in [("p50", 0.5), ("p95", 0.95), ("p99", 0.99)] {
            assert_eq!(
                m["latency_us"][field].as_u64(),
                Some(added.value_at_quantile(quantile)),
                "{name} {field}"
            );
        }
        assert_eq!(m["latency_us"]["max"].as_u64(), Some(added.max()), "{name}");
    }
    assert_eq!(merged["summary"]["pass"], 3);
}

#[tokio::test]
async fn merge_judges_again_with_other_thresholds_and_refuses_other_definitions() {
    let directory = tempfile::tempdir().unwrap();
    two_runs("e2e_merge_gate", directory.path()).await;
    let strict = directory.path().join("strict.toml");
    std::fs::write(
        &strict,
        "[thresholds]\nsmall_session_by_id = \"p50 < 1us\"\n",
    )
    .unwrap();
    let outcome = run_in(
        directory.path(),
        UNREACHABLE,
        &[
            "merge",
            "a.json",
            "b.json",
            "--json",
            "merged.json",
            "--thresholds",
            &path_text(&strict),
        ],
    );
    assert_exit(&outcome, 1);
    let merged = read_json(&directory.path().join("merged.json"));
    assert_eq!(scenario(&merged, "small_session_by_id")["status"], "fail");

    let mut other = read_json(&directory.path().join("b.json"));
    other["scenarios"][0]["group"] = "elsewhere".into();
    std::fs::write(directory.path().join("c.json"), other.to_string()).unwrap();
    let refused = run_in(
        directory.path(),
        UNREACHABLE,
        &["merge", "a.json", "c.json", "--json", "never.json"],
    );
    assert_exit(&refused, 2);
    assert!(
        refused.stderr.contains("its definition differs"),
        "{refused:?}"
    );
    assert!(!directory.path().join("never.json").exists());
}

#[tokio::test]
async fn report_renders_saved_results_without_a_database() {
    let directory = tempfile::tempdir().unwrap();
    two_runs("e2e_report", directory.path()).await;
    let outcome = run_in(
        directory.path(),
        UNREACHABLE,
        &[
            "report",
            "a.json",
            "--html",
            "out/r.html",
            "--markdown",
            "out/r.md",
            "--junit",
            "out/r.xml",
            "--bmf",
            "out/r.bmf.json",
            "--github-benchmark",
            "out/r.gab.json",
        ],
    );
    assert_exit(&outcome, 0);
    assert_bmf(&read_json(&directory.path().join("out/r.bmf.json")));
    let entries = read_json(&directory.path().join("out/r.gab.json"));
    assert_github_benchmark(&entries);
    assert!(
        entries.to_string().contains("small_eager_load p95"),
        "{entries}"
    );
    assert!(outcome.stdout.contains("small_eager_load"), "{outcome:?}");
    assert!(outcome.stdout.contains("3 passed"), "{outcome:?}");
    let html = std::fs::read_to_string(directory.path().join("out/r.html")).unwrap();
    assert_eq!(
        html.matches("<figure class=\"chart\">").count(),
        3,
        "{html}"
    );
    assert!(!html.contains("no histogram stored"));
    let junit = std::fs::read_to_string(directory.path().join("out/r.xml")).unwrap();
    assert!(junit.contains("small_research_count"));
    assert!(directory.path().join("out/r.md").exists());
}

#[test]
fn report_refuses_a_file_of_another_format_naming_it() {
    let directory = tempfile::tempdir().unwrap();
    std::fs::write(
        directory.path().join("old.json"),
        r#"{"format": "techspec-bench/0"}"#,
    )
    .unwrap();
    let outcome = run_in(directory.path(), UNREACHABLE, &["report", "old.json"]);
    assert_exit(&outcome, 2);
    assert!(outcome.stderr.contains("old.json"), "{outcome:?}");
    assert!(outcome.stderr.contains("techspec-bench/0"), "{outcome:?}");
    let missing = run_in(
        directory.path(),
        UNREACHABLE,
        &["merge", "nope.json", "--json", "m.json"],
    );
    assert_exit(&missing, 2);
    assert!(missing.stderr.contains("nope.json"), "{missing:?}");
}
