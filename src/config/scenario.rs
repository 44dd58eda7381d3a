//! Scenario files -> validated `Scenario`s: names, transaction, the write guard, and the
//! checks across files (unique names, no file without a scenario). Must not touch the
//! database.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;

use super::diagnostics::{SourceText, suggestion_suffix};
use super::expect::build_expectations;
pub use super::load_shape::DEFAULT_STATEMENT_TIMEOUT;
use super::load_shape::{check_defaults, load_shape, statement_timeout};
use super::model::{Origin, Protocol, Scenario, TransactionMode};
use super::raw::{RawDefaults, RawScenario, RawScenarioFile};
use super::sources::{ScenarioSource, built_in_scenarios, scenario_sources};
use super::sql_scan::SqlScan;
use super::steps::build_steps;
use crate::growth::GrowthClass;
use crate::{Error, Result};

/// Loads and validates every scenario, in file order.
///
/// `paths` empty: `./scenarios/*.toml` when the current directory has such files, else
/// the built-in files. A path may be a file or a directory (its `*.toml`, sorted). The
/// group of a scenario is its file stem; names are unique across all files.
pub fn load_scenarios(paths: &[PathBuf]) -> Result<Vec<Scenario>> {
    load_sources(&scenario_sources(paths)?)
}

/// Loads the scenarios built into the binary, wherever the command runs.
pub fn load_built_in_scenarios() -> Result<Vec<Scenario>> {
    load_sources(&built_in_scenarios())
}

/// Loads and validates the scenarios of `sources`, checking names across files.
fn load_sources(sources: &[ScenarioSource]) -> Result<Vec<Scenario>> {
    let mut scenarios = Vec::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    for file in sources {
        for (scenario, name_span) in load_file(file)? {
            if let Some(first) = seen.get(&scenario.name) {
                return Err(file.source.error_at(
                    name_span,
                    &format!(
                        "scenario name `{}` is already used at {first}",
                        scenario.name
                    ),
                    "names must be unique across all scenario files: rename one of them",
                ));
            }
            seen.insert(scenario.name.clone(), file.source.position(name_span.start));
            scenarios.push(scenario);
        }
    }
    if scenarios.is_empty() {
        return Err(Error::config(
            "no scenario found: add [[scenario]] entries to the scenario files, or leave out --scenarios to use the built-in ones",
        ));
    }
    Ok(scenarios)
}

/// One file's scenarios, each with the span of its name.
fn load_file(file: &ScenarioSource) -> Result<Vec<(Scenario, Range<usize>)>> {
    let source = &file.source;
    let raw: RawScenarioFile =
        toml::from_str(&source.text).map_err(|error| source.toml_error(&error))?;
    let defaults = raw.defaults.unwrap_or_default();
    check_defaults(source, &defaults)?;
    if raw.scenario.is_empty() {
        return Err(source.error_at(
            0..0,
            "no scenario found: this file has no [[scenario]] entry",
            "add a [[scenario]] with name, sql and iterations, or stop passing this file to --scenarios",
        ));
    }
    raw.scenario
        .iter()
        .map(|entry| {
            let scenario = build_scenario(source, &file.group, &file.path, entry, &defaults)?;
            let name_span = entry
                .get_ref()
                .name
                .as_ref()
                .map(Spanned::span)
                .unwrap_or(entry.span());
            Ok((scenario, name_span))
        })
        .collect()
}

fn build_scenario(
    source: &SourceText,
    group: &str,
    path: &Path,
    entry: &Spanned<RawScenario>,
    defaults: &RawDefaults,
) -> Result<Scenario> {
    let header = entry.span();
    let raw = entry.get_ref();
    let name = scenario_name(source, raw, header.clone())?;
    let steps = build_steps(source, raw, header.clone())?;
    let transaction = transaction_mode(source, raw)?;
    if transaction != Some(TransactionMode::Rollback)
        && let Some(step) = steps.iter().find(|step| SqlScan::of(&step.sql).is_write())
    {
        let span = raw
            .transaction
            .as_ref()
            .map(Spanned::span)
            .unwrap_or(header.clone());
        let first_line = step.sql.trim().lines().next().unwrap_or("");
        return Err(source.error_at(
            span,
            &format!("scenario `{name}` writes (`{first_line}`)"),
            "write scenarios must use transaction = \"rollback\" so the dataset is never changed by a run",
        ));
    }
    Ok(Scenario {
        name,
        group: group.to_string(),
        description: raw.description.clone(),
        origin: Origin {
            file: path.to_path_buf(),
            line: super::diagnostics::line_column(&source.text, header.start).0,
        },
        load: load_shape(source, raw, defaults)?,
        steps,
        transaction,
        expect: build_expectations(source, raw.expect.as_ref(), header)?,
        statement_timeout: statement_timeout(source, raw, defaults)?,
        max_growth: max_growth(source, raw)?,
        protocol: protocol(source, raw)?,
    })
}

/// `max_growth = "constant" | "log" | "linear"`.
fn max_growth(source: &SourceText, raw: &RawScenario) -> Result<Option<GrowthClass>> {
    let Some(limit) = &raw.max_growth else {
        return Ok(None);
    };
    let text = limit.get_ref().as_str();
    match GrowthClass::parse_limit(text) {
        Some(class) => Ok(Some(class)),
        None => Err(source.error_at(
            limit.span(),
            &format!(
                "unknown max_growth `{text}`{}",
                suggestion_suffix(text, GrowthClass::LIMITS)
            ),
            "write max_growth = \"constant\", \"log\" or \"linear\" (the fastest growth `scale` accepts)",
        )),
    }
}

/// `protocol = "prepared" | "extended" | "simple"` (default `prepared`).
fn protocol(source: &SourceText, raw: &RawScenario) -> Result<Protocol> {
    let Some(given) = &raw.protocol else {
        return Ok(Protocol::default());
    };
    let text = given.get_ref().as_str();
    let names = Protocol::ALL.map(Protocol::name);
    Protocol::from_name(text).ok_or_else(|| {
        source.error_at(
            given.span(),
            &format!("unknown protocol `{text}`{}", suggestion_suffix(text, names)),
            "write protocol = \"prepared\" (named prepared statements, the default), \"extended\" \
             (unnamed statements: works behind a transaction pooler) or \"simple\" (the simple query \
             protocol, parameters inlined as literals)",
        )
    })
}

fn scenario_name(source: &SourceText, raw: &RawScenario, header: Range<usize>) -> Result<String> {
    let Some(name) = &raw.name else {
        return Err(source.error_at(
            header,
            "this scenario has no name",
            "add name = \"my_scenario\" ([a-z0-9_]+, unique)",
        ));
    };
    let text = name.get_ref();
    let valid = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid {
        let suggestion: String = match text.trim() {
            "" => "my_scenario".to_string(),
            _ => text
                .to_lowercase()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect(),
        };
        return Err(source.error_at(
            name.span(),
            &format!("scenario name `{text}` is not [a-z0-9_]+"),
            &format!("use lowercase letters, digits and _, e.g. `{suggestion}`"),
        ));
    }
    Ok(text.clone())
}

fn transaction_mode(source: &SourceText, raw: &RawScenario) -> Result<Option<TransactionMode>> {
    let Some(mode) = &raw.transaction else {
        return Ok(None);
    };
    match mode.get_ref().as_str() {
        "rollback" => Ok(Some(TransactionMode::Rollback)),
        "commit" => Ok(Some(TransactionMode::Commit)),
        other => Err(source.error_at(
            mode.span(),
            &format!(
                "unknown transaction mode `{other}`{}",
                suggestion_suffix(other, ["rollback", "commit"])
            ),
            "write transaction = \"rollback\" or \"commit\"",
        )),
    }
}
