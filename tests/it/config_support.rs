//! Helpers shared by the config integration tests: write a scenario file, load it,
//! and assert on configuration errors. Must not touch a database.

use std::path::{Path, PathBuf};

use techspec_bench::config::{Scenario, load_scenarios};

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config")
        .join(name)
}

/// Writes `text` to `<tmp>/t.toml` and loads it.
pub fn load(text: &str) -> techspec_bench::Result<Vec<Scenario>> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("t.toml");
    std::fs::write(&path, text).expect("write scenario file");
    load_scenarios(&[path])
}

pub fn load_one(text: &str) -> Scenario {
    let mut scenarios = load(text).unwrap_or_else(|e| panic!("should load: {e}\n{text}"));
    assert_eq!(scenarios.len(), 1);
    scenarios.remove(0)
}

/// The error message, after checking it is a configuration error.
pub fn error(text: &str) -> String {
    match load(text) {
        Ok(scenarios) => panic!("should fail, loaded {scenarios:?}"),
        Err(error) => {
            assert_eq!(error.exit_code(), 2, "{error}");
            error.to_string()
        }
    }
}

pub fn assert_error(text: &str, position: &str, parts: &[&str]) {
    let message = error(text);
    assert!(
        message.contains(&format!("t.toml:{position}:")),
        "expected t.toml:{position} in:\n{message}"
    );
    for part in parts {
        assert!(message.contains(part), "expected {part:?} in:\n{message}");
    }
}

pub const MINIMAL: &str = "[[scenario]]\nname = \"one\"\niterations = 10\nsql = \"SELECT 1\"\n";
