//! The JSON results against docs/results.schema.json: the reporter's output for every
//! fixture report, and (from other modules, through `assert_matches_schema`) the files that
//! real `run` and `merge` invocations write. Also keeps docs/results-format.md in step with
//! the schema: every field the schema lists is documented.

use crate::report_fixtures;

use std::path::PathBuf;
use std::sync::OnceLock;

use techspec_bench::report::{JsonReporter, Reporter};

fn docs_file(name: &str) -> PathBuf {
    [env!("CARGO_MANIFEST_DIR"), "docs", name].iter().collect()
}

fn schema() -> &'static serde_json::Value {
    static SCHEMA: OnceLock<serde_json::Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let text = std::fs::read_to_string(docs_file("results.schema.json")).expect("schema");
        serde_json::from_str(&text).expect("the schema is JSON")
    })
}

/// Panics with every violation when `document` (what `origin` wrote) breaks the schema.
#[track_caller]
pub fn assert_matches_schema(document: &serde_json::Value, origin: &str) {
    let validator = jsonschema::validator_for(schema()).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(document)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{origin} does not match docs/results.schema.json:\n{}",
        errors.join("\n")
    );
}

#[test]
fn every_fixture_report_matches_the_schema() {
    use report_fixtures::*;
    let reports = [
        full_report(),
        report_of(vec![passing()]),
        report_of(vec![skipped(), errored()]),
        report_of(vec![with_steps(), with_service_time()]),
        report_of(Vec::new()),
    ];
    for report in reports {
        let bytes = JsonReporter.render(&report).expect("renders");
        let document: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
        assert_matches_schema(&document, "the JSON reporter");
    }
}

#[test]
fn the_schema_rejects_what_readers_could_not_use() {
    let validator = jsonschema::validator_for(schema()).expect("the schema compiles");
    let bytes = JsonReporter
        .render(&report_fixtures::full_report())
        .unwrap();
    let good: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let mut other_format = good.clone();
    other_format["format"] = "techspec-bench/2".into();
    let mut bad_status = good.clone();
    bad_status["scenarios"][0]["status"] = "passed".into();
    let mut no_name = good.clone();
    no_name["scenarios"][0]
        .as_object_mut()
        .unwrap()
        .remove("name");
    let mut text_latency = good.clone();
    text_latency["scenarios"][0]["latency_us"]["p95"] = "1.2ms".into();
    for broken in [other_format, bad_status, no_name, text_latency] {
        assert!(!validator.is_valid(&broken), "{broken:#}");
    }
    let mut extended = good;
    extended["scenarios"][0]["a_later_field"] = serde_json::json!({"x": 1});
    extended["a_later_top_level_field"] = 1.into();
    assert!(
        validator.is_valid(&extended),
        "later additions must stay valid"
    );
}

/// Every property name in the schema, recursively.
fn property_names(value: &serde_json::Value, names: &mut Vec<String>) {
    if let Some(object) = value.as_object() {
        if let Some(properties) = object.get("properties").and_then(|p| p.as_object()) {
            names.extend(properties.keys().cloned());
        }
        for child in object.values() {
            property_names(child, names);
        }
    }
}

#[test]
fn the_format_document_describes_every_field_of_the_schema() {
    let document = std::fs::read_to_string(docs_file("results-format.md")).expect("docs");
    let mut names = Vec::new();
    property_names(schema(), &mut names);
    let undocumented: Vec<&String> = names
        .iter()
        .filter(|name| !document.contains(&format!("`{name}`")))
        .collect();
    assert!(
        undocumented.is_empty(),
        "docs/results-format.md does not describe {undocumented:?}"
    );
}
