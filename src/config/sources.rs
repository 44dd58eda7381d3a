//! Where configuration text comes from: paths given by flag, `./scenarios` and
//! `./thresholds.toml` in the current directory, or the files built into the binary.
//! Must not parse or validate: it only finds files and reads their text.

use std::path::{Path, PathBuf};

use super::diagnostics::SourceText;
use crate::{Error, Result};

/// The shipped scenario files, compiled in: (group, text).
const BUILT_IN_SCENARIOS: &[(&str, &str)] = &[
    ("queries", include_str!("../../scenarios/queries.toml")),
    (
        "cross_schema",
        include_str!("../../scenarios/cross_schema.toml"),
    ),
    (
        "access_paths",
        include_str!("../../scenarios/access_paths.toml"),
    ),
    ("patterns", include_str!("../../scenarios/patterns.toml")),
];

/// The shipped thresholds, compiled in.
const BUILT_IN_THRESHOLDS: &str = include_str!("../../thresholds.toml");

/// Directory searched in the current directory when no scenario path is given.
pub const DEFAULT_SCENARIO_DIR: &str = "scenarios";
/// File searched in the current directory when no thresholds file is given.
pub const DEFAULT_THRESHOLDS_FILE: &str = "thresholds.toml";

/// A scenario file's text and its group (the file stem).
#[derive(Debug, Clone)]
pub struct ScenarioSource {
    pub source: SourceText,
    pub group: String,
    /// The file name as given, or `<built-in>/<group>.toml`.
    pub path: PathBuf,
}

/// Who chose the thresholds file; decides how strict unknown scenario names are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThresholdsOrigin {
    /// `--thresholds FILE`.
    Named,
    /// `./thresholds.toml` found in the current directory.
    FoundInCurrentDir,
    /// The thresholds shipped in the binary.
    BuiltIn,
}

/// The scenario files to load: each path (a file, or a directory of `*.toml`, sorted);
/// with no path, `./scenarios/*.toml` when that directory holds any, else the built-in files.
pub fn scenario_sources(paths: &[PathBuf]) -> Result<Vec<ScenarioSource>> {
    if paths.is_empty() {
        let default_dir = Path::new(DEFAULT_SCENARIO_DIR);
        if default_dir.is_dir() {
            let files = toml_files_in(default_dir)?;
            if !files.is_empty() {
                return files.iter().map(|file| read_scenario_file(file)).collect();
            }
        }
        return Ok(built_in_scenarios());
    }
    let mut files: Vec<PathBuf> = Vec::new();
    for path in paths {
        let found = if path.is_dir() {
            let in_dir = toml_files_in(path)?;
            if in_dir.is_empty() {
                return Err(Error::config(format!(
                    "{}: no *.toml scenario file in this directory; pass a directory holding scenario files, or the file itself",
                    path.display()
                )));
            }
            in_dir
        } else {
            vec![path.clone()]
        };
        for file in found {
            if !files.contains(&file) {
                files.push(file);
            }
        }
    }
    files.iter().map(|file| read_scenario_file(file)).collect()
}

/// The shipped scenario files.
pub fn built_in_scenarios() -> Vec<ScenarioSource> {
    BUILT_IN_SCENARIOS
        .iter()
        .map(|(group, text)| {
            let path = PathBuf::from(format!("<built-in>/{group}.toml"));
            ScenarioSource {
                source: SourceText {
                    name: path.display().to_string(),
                    text: text.to_string(),
                },
                group: group.to_string(),
                path,
            }
        })
        .collect()
}

/// The thresholds text: the named file, else `./thresholds.toml`, else the built-in one.
pub fn thresholds_source(path: Option<&Path>) -> Result<(SourceText, ThresholdsOrigin)> {
    if let Some(path) = path {
        return Ok((read_text(path, "thresholds")?, ThresholdsOrigin::Named));
    }
    let in_current_dir = Path::new(DEFAULT_THRESHOLDS_FILE);
    if in_current_dir.is_file() {
        return Ok((
            read_text(in_current_dir, "thresholds")?,
            ThresholdsOrigin::FoundInCurrentDir,
        ));
    }
    Ok((built_in_thresholds(), ThresholdsOrigin::BuiltIn))
}

/// The shipped thresholds file.
pub fn built_in_thresholds() -> SourceText {
    SourceText {
        name: "<built-in>/thresholds.toml".to_string(),
        text: BUILT_IN_THRESHOLDS.to_string(),
    }
}

fn read_scenario_file(path: &Path) -> Result<ScenarioSource> {
    let group = path
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(ScenarioSource {
        source: read_text(path, "scenario")?,
        group,
        path: path.to_path_buf(),
    })
}

pub(crate) fn read_text(path: &Path, what: &str) -> Result<SourceText> {
    let bytes = std::fs::read(path).map_err(|error| {
        Error::config(format!(
            "{}: cannot read this {what} file: {error}; check the path (relative paths start from the current directory)",
            path.display()
        ))
    })?;
    let name = path.display().to_string();
    match String::from_utf8(bytes) {
        Ok(text) => Ok(SourceText { name, text }),
        Err(error) => Err(not_utf8(name, error.as_bytes())),
    }
}

/// A file that is not UTF-8 (TOML always is): the position of the first bad byte.
fn not_utf8(name: String, bytes: &[u8]) -> Error {
    let at = match std::str::from_utf8(bytes) {
        Ok(_) => bytes.len(),
        Err(error) => error.valid_up_to(),
    };
    let byte = bytes.get(at).copied().unwrap_or_default();
    let source = SourceText {
        name,
        text: String::from_utf8_lossy(bytes).into_owned(),
    };
    source.error_at(
        at..at + 1,
        &format!("this file is not valid UTF-8 (byte 0x{byte:02X})"),
        "save the file as UTF-8: TOML files are always UTF-8 (a Latin-1 é is the byte 0xE9)",
    )
}

/// All `*.toml` files directly in `dir`, sorted by name.
fn toml_files_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|error| {
        Error::config(format!(
            "{}: cannot list this directory: {error}",
            dir.display()
        ))
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.is_file() && path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_scenarios_are_the_shipped_groups() {
        let groups: Vec<String> = built_in_scenarios().into_iter().map(|s| s.group).collect();
        assert_eq!(
            groups,
            ["queries", "cross_schema", "access_paths", "patterns"]
        );
        assert_eq!(
            built_in_scenarios()[0].source.name,
            "<built-in>/queries.toml"
        );
    }

    #[test]
    fn a_directory_yields_its_toml_files_sorted() {
        let dir = tempfile::tempdir().expect("temp dir");
        for name in ["b.toml", "a.toml", "notes.txt"] {
            std::fs::write(dir.path().join(name), "").expect("write");
        }
        let sources = scenario_sources(&[dir.path().to_path_buf()]).expect("sources");
        let groups: Vec<&str> = sources.iter().map(|s| s.group.as_str()).collect();
        assert_eq!(groups, ["a", "b"]);
    }

    #[test]
    fn a_missing_file_is_a_config_error_naming_it() {
        let error = scenario_sources(&[PathBuf::from("/nonexistent/x.toml")]).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        assert!(error.to_string().contains("/nonexistent/x.toml"), "{error}");
    }

    #[test]
    fn a_file_that_is_not_utf8_is_located_at_its_first_bad_byte() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("latin1.toml");
        std::fs::write(&path, b"a = 1\nname = \"caf\xe9\"\n").expect("write");
        let error = scenario_sources(std::slice::from_ref(&path)).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        let message = error.to_string();
        let position = format!(
            "{}:2:12: this file is not valid UTF-8 (byte 0xE9)",
            path.display()
        );
        assert!(message.starts_with(&position), "{message}");
        assert!(
            message.contains("help: save the file as UTF-8"),
            "{message}"
        );
    }

    #[test]
    fn an_empty_directory_is_a_config_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let error = scenario_sources(&[dir.path().to_path_buf()]).unwrap_err();
        assert!(error.to_string().contains("no *.toml"), "{error}");
    }
}
