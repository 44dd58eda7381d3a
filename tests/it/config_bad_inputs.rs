//! The corpus of malformed configuration files under tests/fixtures/bad: every scenario
//! and thresholds file there goes through the loader the CLI uses and must fail as a
//! configuration error (exit 2) naming the file, line:column, the problem and its fix.
//! Each `NAME.toml` has a sibling `NAME.expected`:
//!
//! ```text
//! at: 4:12          where the message must point (file:4:12)
//! has: some text    a substring the message must contain (any number of lines)
//! ```
//!
//! A CLI test runs the real binary on a few of them with an unreachable database: the
//! configuration is checked first, so the answer is exit 2 without a panic.
//! Must not need a database.

use crate::common;

use std::path::{Path, PathBuf};

use techspec_bench::config::{Scenario, load_scenarios, load_thresholds};

/// What one corpus file must produce.
#[derive(Debug, Default)]
struct Expected {
    /// "line:column" the message must name after the file.
    at: String,
    /// Substrings the message must contain.
    has: Vec<String>,
}

fn corpus_dir(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/bad")
        .join(kind)
}

/// The `*.toml` files of one corpus directory, sorted, each with its expectations.
fn corpus(kind: &str) -> Vec<(PathBuf, Expected)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir(kind))
        .expect("corpus directory")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let expected = expected_of(&path);
            (path, expected)
        })
        .collect()
}

fn expected_of(path: &Path) -> Expected {
    let sibling = path.with_extension("expected");
    let text = std::fs::read_to_string(&sibling)
        .unwrap_or_else(|e| panic!("{}: every corpus file needs one: {e}", sibling.display()));
    let mut expected = Expected::default();
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        match line.split_once(": ") {
            Some(("at", at)) => expected.at = at.to_string(),
            Some(("has", part)) => expected.has.push(part.to_string()),
            _ => panic!("{}: unknown line {line:?}", sibling.display()),
        }
    }
    assert!(
        !expected.at.is_empty(),
        "{}: no `at:` line",
        sibling.display()
    );
    expected
}

fn shipped_scenarios() -> Vec<Scenario> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    load_scenarios(&[root.join("scenarios")]).expect("shipped scenarios load")
}

/// Why `result` does not meet `expected`, or None when it does.
fn mismatch<T: std::fmt::Debug>(
    path: &Path,
    result: techspec_bench::Result<T>,
    expected: &Expected,
) -> Option<String> {
    let error = match result {
        Ok(value) => return Some(format!("loaded instead of failing: {value:?}")),
        Err(error) => error,
    };
    let message = error.to_string();
    let mut problems = Vec::new();
    if error.exit_code() != 2 {
        problems.push(format!("exit code {} instead of 2", error.exit_code()));
    }
    let position = format!("{}:{}: ", path.display(), expected.at);
    if !message.starts_with(&position) {
        problems.push(format!("does not start with {position:?}"));
    }
    for part in &expected.has {
        if !message.contains(part.as_str()) {
            problems.push(format!("lacks {part:?}"));
        }
    }
    if !message.contains("\n  = help: ") {
        problems.push("suggests no fix (no `= help:` line)".to_string());
    }
    (!problems.is_empty()).then(|| format!("{}\n--- message ---\n{message}", problems.join("; ")))
}

/// Runs the whole corpus of `kind` and reports every file that misbehaves at once.
fn check_corpus(kind: &str, load: impl Fn(&Path, &Expected) -> Option<String>) -> usize {
    let files = corpus(kind);
    let failures: Vec<String> = files
        .iter()
        .filter_map(|(path, expected)| {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            let loaded = std::panic::AssertUnwindSafe(|| load(path, expected));
            let outcome = std::panic::catch_unwind(loaded)
                .unwrap_or_else(|_| Some("the loader panicked".to_string()));
            outcome.map(|problem| format!("== {name}: {problem}"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} {kind} files misbehave:\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
    files.len()
}

#[test]
fn every_bad_scenario_file_is_a_located_configuration_error_with_a_fix() {
    let count = check_corpus("scenarios", |path, expected| {
        mismatch(path, load_scenarios(&[path.to_path_buf()]), expected)
    });
    assert!(count >= 40, "only {count} bad scenario files");
}

#[test]
fn every_bad_thresholds_file_is_a_located_configuration_error_with_a_fix() {
    let scenarios = shipped_scenarios();
    let count = check_corpus("thresholds", |path, expected| {
        mismatch(path, load_thresholds(Some(path), &scenarios), expected)
    });
    assert!(count >= 20, "only {count} bad thresholds files");
}

#[test]
fn every_corpus_file_has_its_expectations_and_nothing_is_orphaned() {
    for kind in ["scenarios", "thresholds"] {
        for entry in std::fs::read_dir(corpus_dir(kind)).expect("corpus directory") {
            let path = entry.expect("directory entry").path();
            let sibling = match path.extension().and_then(|ext| ext.to_str()) {
                Some("toml") => path.with_extension("expected"),
                Some("expected") => path.with_extension("toml"),
                _ => panic!("{}: unexpected file in the corpus", path.display()),
            };
            assert!(
                sibling.is_file(),
                "{} has no {}",
                path.display(),
                sibling.display()
            );
        }
    }
}

/// The binary on a bad file with an unreachable database: exit 2, the file named, no panic.
fn assert_rejected_before_connecting(args: &[&str], file: &Path) {
    let cwd = tempfile::tempdir().expect("temp cwd");
    let output = common::tool()
        .current_dir(cwd.path())
        .args([
            "--color",
            "never",
            "--database-url",
            "postgres://nobody@127.0.0.1:1/x",
        ])
        .args(args)
        .output()
        .expect("run techspec-bench");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{args:?}\n{stderr}");
    assert!(!stderr.contains("panicked"), "{args:?}\n{stderr}");
    assert!(
        stderr.contains(&*file.display().to_string()),
        "{args:?} should name {}:\n{stderr}",
        file.display()
    );
    assert!(
        !stderr.contains("127.0.0.1:1"),
        "{args:?} touched the database:\n{stderr}"
    );
}

#[test]
fn the_binary_rejects_bad_files_with_exit_2_before_touching_the_database() {
    for name in [
        "syntax_unclosed_string",
        "non_utf8",
        "empty_file",
        "huge_clients",
        "captured_never_captured",
        "float_overflowing_range",
    ] {
        let file = corpus_dir("scenarios").join(format!("{name}.toml"));
        let scenarios = file.to_string_lossy().into_owned();
        assert_rejected_before_connecting(&["run", "--scenarios", &scenarios], &file);
        assert_rejected_before_connecting(&["explain", "--scenarios", &scenarios], &file);
    }
    for name in [
        "huge_limit",
        "negative_limit",
        "unknown_scenario",
        "non_utf8",
    ] {
        let file = corpus_dir("thresholds").join(format!("{name}.toml"));
        let thresholds = file.to_string_lossy().into_owned();
        assert_rejected_before_connecting(&["run", "--thresholds", &thresholds], &file);
    }
}
