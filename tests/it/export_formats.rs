//! `--bmf` and `--github-benchmark` against each tool's published format: Bencher's BMF
//! JSON Schema and example, github-action-benchmark's `BenchmarkResult` and its own test
//! input for `customSmallerIsBetter` (tests/fixtures/formats/README.md says where each
//! file was published). The published examples must pass the same checks, so the checks
//! are the format's and not ours; real `run`, `merge` and `report` outputs are checked from
//! `cli_merge_report` through `assert_bmf` and `assert_github_benchmark`.

use crate::report_fixtures::{failing, passing, report_of, skipped};

use techspec_bench::bench::histogram::new_latency_histogram;
use techspec_bench::bench::{encode_histogram, summarize};
use techspec_bench::report::{BmfReporter, GithubBenchmarkReporter, Reporter};
use techspec_bench::results::ScenarioResult;

fn format_file(name: &str) -> serde_json::Value {
    let path: std::path::PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests/fixtures/formats", name]
        .iter()
        .collect();
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("JSON")
}

fn violations(schema: &str, document: &serde_json::Value) -> Vec<String> {
    let schema = format_file(schema);
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    validator
        .iter_errors(document)
        .map(|error| format!("{error} at {}", error.instance_path()))
        .collect()
}

/// Panics unless `document` is BMF: the published schema, and every interval around its
/// value (Bencher plots `lower_value` ≤ `value` ≤ `upper_value`).
#[track_caller]
pub fn assert_bmf(document: &serde_json::Value) {
    let errors = violations("bmf.schema.json", document);
    assert!(errors.is_empty(), "not BMF: {errors:?}\n{document}");
    for (benchmark, measures) in document.as_object().expect("an object") {
        for (measure, metric) in measures.as_object().expect("measures") {
            let value = metric["value"].as_f64().unwrap();
            if let (Some(low), Some(high)) = (
                metric["lower_value"].as_f64(),
                metric["upper_value"].as_f64(),
            ) {
                assert!(
                    low <= value && value <= high,
                    "{benchmark}/{measure}: {metric}"
                );
            }
            assert!(
                measure.len() <= 64,
                "a measure slug is at most 64 characters"
            );
        }
    }
}

/// Panics unless `document` is what github-action-benchmark's custom tools read.
#[track_caller]
pub fn assert_github_benchmark(document: &serde_json::Value) {
    let errors = violations("github-benchmark.schema.json", document);
    assert!(
        errors.is_empty(),
        "not github-action-benchmark JSON: {errors:?}\n{document}"
    );
    let mut names: Vec<&str> = document
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["name"].as_str().unwrap())
        .collect();
    let count = names.len();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), count, "the dashboard keys its series by name");
}

/// `result` with a real histogram and four windows.
fn measured(mut result: ScenarioResult, low: u64) -> ScenarioResult {
    let mut whole = new_latency_histogram();
    let mut windows = Vec::new();
    for window in 0..4 {
        let mut part = new_latency_histogram();
        for index in 0..500u64 {
            let value = low + index * 3 + window * 7;
            part.record(value).unwrap();
            whole.record(value).unwrap();
        }
        windows.push(encode_histogram(&part));
    }
    result.iterations = whole.len();
    result.latency_us = Some(summarize(&whole));
    result.histogram = Some(encode_histogram(&whole));
    result.windows = windows;
    result.buffers = Some(4);
    result
}

fn rendered(reporter: &dyn Reporter) -> serde_json::Value {
    let report = report_of(vec![
        measured(passing(), 300),
        measured(failing(), 4_000),
        skipped(),
    ]);
    serde_json::from_slice(&reporter.render(&report).unwrap()).unwrap()
}

#[test]
fn the_published_examples_pass_the_checks_and_a_broken_file_does_not() {
    assert_bmf(&format_file("bmf.example.json"));
    assert_github_benchmark(&format_file("github-benchmark.example.json"));
    let no_value = serde_json::json!({ "q": { "latency": { "lower_value": 1.0 } } });
    assert!(!violations("bmf.schema.json", &no_value).is_empty());
    let no_unit = serde_json::json!([{ "name": "q", "value": 1.0 }]);
    assert!(!violations("github-benchmark.schema.json", &no_unit).is_empty());
}

#[test]
fn bmf_has_the_shape_of_bencher_s_example_for_every_measured_scenario() {
    let bmf = rendered(&BmfReporter);
    assert_bmf(&bmf);
    let example = format_file("bmf.example.json");
    let keys = |metric: &serde_json::Value| {
        let mut keys: Vec<String> = metric.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    let session = &bmf["session_by_id"];
    assert_eq!(
        keys(&session["latency"]),
        keys(&example["benchmark_name"]["latency"])
    );
    assert_eq!(
        keys(&session["throughput"]),
        keys(&example["benchmark_name"]["throughput"])
    );
    assert!(session["latency-p95"]["upper_value"].as_f64().is_some());
    assert_eq!(
        bmf.as_object().unwrap().len(),
        2,
        "the skipped scenario is left out"
    );
}

#[test]
fn github_benchmark_has_the_fields_of_the_published_input() {
    let entries = rendered(&GithubBenchmarkReporter);
    assert_github_benchmark(&entries);
    let example = format_file("github-benchmark.example.json");
    let first = entries[0].as_object().unwrap();
    for field in example[0].as_object().unwrap().keys() {
        assert!(first.contains_key(field), "{field} missing from {first:?}");
    }
    assert_eq!(
        entries.as_array().unwrap().len(),
        8,
        "3 percentiles + buffers, twice"
    );
}
