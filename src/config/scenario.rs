//! Scenario files -> validated `Scenario`s: names, load shape, transaction, timeout,
//! and the checks across files (unique names). Must not touch the database.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::Spanned;

use super::diagnostics::{SourceText, suggestion_suffix};
use super::expect::build_expectations;
use super::model::{LoadAmount, LoadShape, Origin, Scenario, TransactionMode};
use super::raw::{RawDefaults, RawScenario, RawScenarioFile};
use super::sources::{ScenarioSource, scenario_sources};
use super::sql_scan::SqlScan;
use super::steps::build_steps;
use crate::{Error, Result};

/// Statement timeout when neither the scenario nor `[defaults]` sets one.
pub const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(30);

/// Loads and validates every scenario, in file order.
///
/// `paths` empty: `./scenarios/*.toml` when the current directory has such files, else
/// the built-in files. A path may be a file or a directory (its `*.toml`, sorted). The
/// group of a scenario is its file stem; names are unique across all files.
pub fn load_scenarios(paths: &[PathBuf]) -> Result<Vec<Scenario>> {
    let sources = scenario_sources(paths)?;
    let mut scenarios = Vec::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    for file in &sources {
        for (scenario, name_position) in load_file(file)? {
            if let Some(first) = seen.get(&scenario.name) {
                return Err(Error::config(format!(
                    "{name_position}: scenario name `{}` is already used at {first}; names must be unique across all scenario files: rename one",
                    scenario.name
                )));
            }
            seen.insert(scenario.name.clone(), name_position);
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

/// One file's scenarios, each with the "file:line:column" of its name.
fn load_file(file: &ScenarioSource) -> Result<Vec<(Scenario, String)>> {
    let source = &file.source;
    let raw: RawScenarioFile =
        toml::from_str(&source.text).map_err(|error| source.toml_error(&error))?;
    let defaults = raw.defaults.unwrap_or_default();
    raw.scenario
        .iter()
        .map(|entry| {
            let scenario = build_scenario(source, &file.group, &file.path, entry, &defaults)?;
            let name_at = entry
                .get_ref()
                .name
                .as_ref()
                .map(|n| n.span().start)
                .unwrap_or(entry.span().start);
            Ok((scenario, source.position(name_at)))
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
        load: load_shape(source, raw, defaults, header.clone())?,
        steps,
        transaction,
        expect: build_expectations(source, raw.expect.as_ref(), header)?,
        statement_timeout: statement_timeout(source, raw, defaults)?,
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
        let suggestion: String = text
            .to_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
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

/// The load shape: scenario values override `[defaults]`; iterations and duration
/// are one choice (a scenario's own choice replaces the default one).
fn load_shape(
    source: &SourceText,
    raw: &RawScenario,
    defaults: &RawDefaults,
    header: Range<usize>,
) -> Result<LoadShape> {
    let amount = match load_amount(source, raw.iterations.as_ref(), raw.duration.as_ref())? {
        Some(amount) => amount,
        None => load_amount(
            source,
            defaults.iterations.as_ref(),
            defaults.duration.as_ref(),
        )?
        .ok_or_else(|| {
            source.error_at(
                header,
                "this scenario has no load amount",
                "set iterations = N or duration = \"10s\" here or in [defaults]",
            )
        })?,
    };
    let warmup = match raw.warmup.as_ref().or(defaults.warmup.as_ref()) {
        None => 0,
        Some(w) => u64::try_from(*w.get_ref()).map_err(|_| {
            source.error_at(
                w.span(),
                "`warmup` must be >= 0",
                "warmup counts iterations per client that are run but not recorded",
            )
        })?,
    };
    let clients = match raw.clients.as_ref().or(defaults.clients.as_ref()) {
        None => 1,
        Some(c) => u32::try_from(*c.get_ref())
            .ok()
            .filter(|&n| n >= 1)
            .ok_or_else(|| {
                source.error_at(
                    c.span(),
                    "`clients` must be >= 1",
                    "each client is one connection, e.g. clients = 4",
                )
            })?,
    };
    let rate = match raw.rate.as_ref().or(defaults.rate.as_ref()) {
        None => None,
        Some(r) if r.get_ref().is_finite() && *r.get_ref() > 0.0 => Some(*r.get_ref()),
        Some(r) => {
            return Err(source.error_at(
                r.span(),
                "`rate` must be > 0",
                "iterations per second across all clients, e.g. rate = 100",
            ));
        }
    };
    Ok(LoadShape {
        amount,
        warmup,
        clients,
        rate,
    })
}

fn load_amount(
    source: &SourceText,
    iterations: Option<&Spanned<i64>>,
    duration: Option<&Spanned<String>>,
) -> Result<Option<LoadAmount>> {
    match (iterations, duration) {
        (Some(_), Some(d)) => Err(source.error_at(
            d.span(),
            "both `iterations` and `duration` are set",
            "keep one: a run stops after N iterations or after a duration",
        )),
        (Some(i), None) => u64::try_from(*i.get_ref())
            .ok()
            .filter(|&n| n >= 1)
            .map(|n| Some(LoadAmount::Iterations(n)))
            .ok_or_else(|| {
                source.error_at(
                    i.span(),
                    "`iterations` must be >= 1",
                    "e.g. iterations = 1000",
                )
            }),
        (None, Some(d)) => Ok(Some(LoadAmount::Duration(positive_duration(
            source, d, "duration",
        )?))),
        (None, None) => Ok(None),
    }
}

fn statement_timeout(
    source: &SourceText,
    raw: &RawScenario,
    defaults: &RawDefaults,
) -> Result<Duration> {
    match raw
        .statement_timeout
        .as_ref()
        .or(defaults.statement_timeout.as_ref())
    {
        None => Ok(DEFAULT_STATEMENT_TIMEOUT),
        Some(text) => positive_duration(source, text, "statement_timeout"),
    }
}

fn positive_duration(source: &SourceText, text: &Spanned<String>, key: &str) -> Result<Duration> {
    match humantime::parse_duration(text.get_ref()) {
        Ok(duration) if !duration.is_zero() => Ok(duration),
        Ok(_) => Err(source.error_at(
            text.span(),
            &format!("`{key}` must be > 0"),
            "e.g. \"10s\" or \"500ms\"",
        )),
        Err(error) => Err(source.error_at(
            text.span(),
            &format!(
                "`{key}` = \"{}\" is not a duration: {error}",
                text.get_ref()
            ),
            "write a number with a unit, e.g. \"10s\", \"500ms\" or \"2m\"",
        )),
    }
}
