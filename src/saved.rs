//! The one reader of saved files: a results file (`run --json`, `--save-baseline`,
//! `merge`), a sweep (`scale --json`) or an ablation (`ablate --json`) is read as JSON, its
//! `format` checked (another format, or another version of this one, is refused with what
//! to pass instead), then turned into its typed model; a directory stands for its `*.json`
//! files; a history is sorted oldest first. Also the decoding of a result's stored
//! histograms (merged and per window). Every problem is a configuration error (exit 2)
//! naming the file (`file:line:column` for bad JSON). Must not decide, render or write.

use std::path::{Path, PathBuf};

use hdrhistogram::Histogram;
use serde::de::DeserializeOwned;

use crate::results::{RESULTS_FORMAT, RunReport, ScenarioResult};
use crate::stats::histogram::Recorded;
use crate::{Error, Result};

/// What a file must be: how to name it in messages, its `format`, and how to make one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileKind {
    /// "results file", "baseline", "sweep" …
    pub what: &'static str,
    /// The `format` field it must carry, e.g. `techspec-bench/1`.
    pub format: &'static str,
    /// How to get a good one, e.g. "pass a file written by `techspec-bench run --json FILE`".
    pub fix: &'static str,
}

/// A results file read by `report`, `merge`, `guide` and `trend`.
pub const RESULTS: FileKind = FileKind {
    what: "results file",
    format: RESULTS_FORMAT,
    fix: "pass a file written by `techspec-bench run --json FILE` (or `merge`)",
};

/// A results file read as a baseline by `run --baseline` and `compare`.
pub const BASELINE: FileKind = FileKind {
    what: "baseline",
    format: RESULTS_FORMAT,
    fix: "save one with `techspec-bench run --save-baseline FILE` (or `--json FILE`)",
};

/// Reads `path` as JSON and checks its `format`.
pub fn read_json(path: &Path, kind: FileKind) -> Result<serde_json::Value> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|error| {
        Error::config(format!(
            "cannot read the {} {shown}: {error}; {}",
            kind.what, kind.fix
        ))
    })?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|error| {
        Error::config(format!(
            "{shown}:{}:{}: the {} is not valid JSON: {error}; {}, not an edited or \
             truncated copy",
            error.line(),
            error.column(),
            kind.what,
            kind.fix
        ))
    })?;
    check_format(path, &value, kind)?;
    Ok(value)
}

/// Refuses a file whose `format` is not `kind.format`, saying whether it is another
/// version of the same format.
pub fn check_format(path: &Path, value: &serde_json::Value, kind: FileKind) -> Result<()> {
    let found = value.get("format").and_then(|format| format.as_str());
    if found == Some(kind.format) {
        return Ok(());
    }
    let shown = path.display();
    let (what, expected) = (kind.what, kind.format);
    let message = match found {
        None => format!("{shown}: the {what} has no \"format\" field, expected \"{expected}\""),
        Some(found) if same_family(found, expected) => format!(
            "{shown}: the {what} has format \"{found}\", another version of the format than \
             this techspec-bench reads (\"{expected}\"); render it with the version that \
             wrote it, or measure again"
        ),
        Some(found) => {
            format!("{shown}: the {what} has format \"{found}\", expected \"{expected}\"")
        }
    };
    Err(Error::config(format!(
        "{message}; {} (see docs/results-format.md)",
        kind.fix
    )))
}

/// True when two format names differ only in their version (`name/1`, `name/2`).
fn same_family(found: &str, expected: &str) -> bool {
    match (found.rsplit_once('/'), expected.rsplit_once('/')) {
        (Some((a, _)), Some((b, _))) => a == b,
        _ => false,
    }
}

/// The typed model of a file already read by [`read_json`].
pub fn typed<T: DeserializeOwned>(
    path: &Path,
    value: serde_json::Value,
    kind: FileKind,
) -> Result<T> {
    serde_json::from_value(value).map_err(|error| {
        Error::config(format!(
            "{}: the {} does not match format {}: {error}; {}",
            path.display(),
            kind.what,
            kind.format,
            kind.fix
        ))
    })
}

/// Reads, checks and types one file.
pub fn read<T: DeserializeOwned>(path: &Path, kind: FileKind) -> Result<T> {
    typed(path, read_json(path, kind)?, kind)
}

/// Reads a results file (`report`, `merge`, `guide`, `trend`).
pub fn load_results(path: &Path) -> Result<RunReport> {
    read(path, RESULTS)
}

/// Reads a baseline (`run --baseline`, `compare`).
pub fn load_baseline(path: &Path) -> Result<RunReport> {
    read(path, BASELINE)
}

/// A results file and its typed run.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedRun {
    pub path: PathBuf,
    pub report: RunReport,
}

/// Every file of `paths` (a directory stands for its `*.json` files, sorted), read as
/// `kind` and sorted oldest first by `started_at` (ties keep the order given). Reading
/// uses every core: a history of hundreds of files loads in one pass.
pub fn load_history(paths: &[PathBuf], kind: FileKind) -> Result<Vec<SavedRun>> {
    let files = expand(paths, kind)?;
    let mut runs = read_all(&files, kind)?;
    runs.sort_by(|a, b| a.report.started_at.cmp(&b.report.started_at));
    Ok(runs)
}

/// Reads `files` on every core, keeping their order.
fn read_all(files: &[PathBuf], kind: FileKind) -> Result<Vec<SavedRun>> {
    crate::parallel::map(files, |path| {
        read(path, kind).map(|report| SavedRun {
            path: path.clone(),
            report,
        })
    })
    .into_iter()
    .collect()
}

/// The files `paths` name: files as given, directories replaced by their `*.json` files.
pub fn expand(paths: &[PathBuf], kind: FileKind) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            files.extend(json_files_in(path, kind)?);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

/// The `*.json` files of `directory`, sorted; an empty directory is an error.
fn json_files_in(directory: &Path, kind: FileKind) -> Result<Vec<PathBuf>> {
    let shown = directory.display();
    let entries = std::fs::read_dir(directory)
        .map_err(|error| Error::config(format!("cannot list the directory {shown}: {error}")))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Error::config(format!(
            "the directory {shown} has no *.json files; fill it with {} files ({})",
            kind.format, kind.fix
        )));
    }
    Ok(files)
}

/// Decodes a stored histogram (base64 of HdrHistogram V2 + DEFLATE); the error says what
/// is wrong with it.
pub fn decode_histogram(encoded: &str) -> std::result::Result<Histogram<u64>, String> {
    crate::stats::histogram::decode(encoded)
}

/// A result's stored histograms, decoded for intervals: its windows, and the whole run's
/// only when fewer than two windows could be read (the windows are then not enough). A
/// histogram that cannot be read is left out (the latency summary still stands).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Decoded {
    pub merged: Option<Recorded>,
    pub windows: Vec<Recorded>,
}

impl Decoded {
    /// Decodes what `result` stored.
    pub fn of(result: &ScenarioResult) -> Self {
        let recorded = |text: &String| decode_histogram(text).ok().map(|h| Recorded::of(&h));
        let windows: Vec<Recorded> = result.windows.iter().filter_map(recorded).collect();
        let merged = match windows.len() {
            0 | 1 => result.histogram.as_ref().and_then(recorded),
            _ => None,
        };
        Decoded { merged, windows }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_with(text: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        file
    }

    #[test]
    fn a_missing_file_bad_json_or_another_format_is_a_config_error_naming_the_file() {
        let missing = load_results(Path::new("/nonexistent/results.json")).unwrap_err();
        assert!(matches!(missing, Error::Config(_)), "{missing:?}");
        assert!(missing.to_string().contains("/nonexistent/results.json"));
        let bad = file_with("{\"format\": ");
        let error = load_results(bad.path()).unwrap_err().to_string();
        assert!(error.contains("is not valid JSON"), "{error}");
        let other = file_with(r#"{"format": "something-else/3"}"#);
        let error = load_results(other.path()).unwrap_err().to_string();
        assert!(error.contains("format \"something-else/3\""), "{error}");
        let shapeless = file_with(r#"{"format": "techspec-bench/1"}"#);
        let error = load_results(shapeless.path()).unwrap_err().to_string();
        assert!(error.contains("does not match format"), "{error}");
    }

    #[test]
    fn another_version_of_the_format_is_named_as_such() {
        let newer = file_with(r#"{"format": "techspec-bench/2"}"#);
        let error = load_baseline(newer.path()).unwrap_err().to_string();
        assert!(error.contains("another version of the format"), "{error}");
        assert!(error.contains("--save-baseline"), "{error}");
        assert!(!same_family("techspec-bench-scale/1", "techspec-bench/1"));
    }

    #[test]
    fn a_history_is_read_from_files_and_directories_oldest_first() {
        let directory = tempfile::tempdir().unwrap();
        let write = |name: &str, started: &str| {
            let report = RunReport {
                format: RESULTS_FORMAT.into(),
                started_at: started.into(),
                ..RunReport::default()
            };
            let path = directory.path().join(name);
            std::fs::write(&path, serde_json::to_vec(&report).unwrap()).unwrap();
            path
        };
        write("a.json", "2026-01-03T00:00:00Z");
        write("b.json", "2026-01-01T00:00:00Z");
        std::fs::write(directory.path().join("notes.txt"), "ignored").unwrap();
        let runs = load_history(&[directory.path().to_path_buf()], RESULTS).unwrap();
        let names: Vec<_> = runs.iter().map(|r| r.path.file_name().unwrap()).collect();
        assert_eq!(names, ["b.json", "a.json"]);
        let empty = tempfile::tempdir().unwrap();
        let error = load_history(&[empty.path().to_path_buf()], RESULTS).unwrap_err();
        assert!(error.to_string().contains("no *.json files"), "{error}");
    }
}
