//! The thresholds file: `[defaults] metric` and `[thresholds] name = "expr" | ["expr", ...]`
//! -> `Thresholds`, checked against the loaded scenarios (a ratio gate's partner too). Must not evaluate thresholds
//! (`verdict.rs` does) or touch the database.

use std::path::{Path, PathBuf};

use super::diagnostics::SourceText;
use super::diagnostics::suggestion_suffix;
use super::model::{Metric, Scenario, ThresholdExpr, Thresholds};
use super::ratio_expr::FASTER_THAN;
use super::raw::RawThresholdsFile;
use super::scenario::{load_built_in_scenarios, load_scenarios};
use super::sources::{DEFAULT_SCENARIO_DIR, thresholds_source};
use super::threshold_expr::{METRIC_NAMES, parse_threshold};
use crate::Result;

/// What a bare limit ("5ms") measures when `[defaults] metric` is not set.
pub const DEFAULT_METRIC: Metric = Metric::P95;

/// Loads the thresholds: `path` (`--thresholds FILE`), else `./thresholds.toml` when the
/// current directory has one, else the built-in file. Names of known but unloaded
/// scenarios are dropped; see [`load_thresholds_noting`] to learn which.
pub fn load_thresholds(path: Option<&Path>, scenarios: &[Scenario]) -> Result<Thresholds> {
    load_thresholds_noting(path, scenarios).map(|(thresholds, _)| thresholds)
}

/// [`load_thresholds`], also returning the scenario names whose thresholds were ignored
/// because that scenario is known but not loaded (for a note under `-v`).
///
/// Pass every loaded scenario, *before* `--filter` selects some: filtering must not turn
/// thresholds into errors.
///
/// Unknown scenario names — the rule: a name is an error (file:line:column and a
/// did-you-mean) only when it matches no scenario the tool knows: the loaded ones, those
/// in `./scenarios/`, and the built-in ones. A typo never switches a gate off silently,
/// and a project's `./thresholds.toml` does not break an ad-hoc `run --scenarios my.toml`.
/// A known but unloaded name is ignored.
pub fn load_thresholds_noting(
    path: Option<&Path>,
    scenarios: &[Scenario],
) -> Result<(Thresholds, Vec<String>)> {
    let (source, _) = thresholds_source(path)?;
    let raw: RawThresholdsFile =
        toml::from_str(&source.text).map_err(|error| {
            source.toml_error_hinted(
                &error,
                "write one threshold or a list of them, e.g. name = \"p95 < 5ms\" or name = [\"p95 < 5ms\", \"errors == 0\"]",
            )
        })?;
    let default_metric = match raw.defaults.and_then(|defaults| defaults.metric) {
        None => DEFAULT_METRIC,
        Some(metric) => Metric::parse(metric.get_ref()).map_err(|message| {
            source.error_at(
                metric.span(),
                &message,
                "set [defaults] metric to a latency metric such as \"p95\"",
            )
        })?,
    };
    let loaded: Vec<&str> = scenarios
        .iter()
        .map(|scenario| scenario.name.as_str())
        .collect();
    let mut thresholds = Thresholds::default();
    let mut ignored = Vec::new();
    let mut entries: Vec<_> = raw.thresholds.iter().collect();
    entries.sort_by_key(|(name, _)| name.span().start);
    let mut known: Option<Vec<String>> = None;
    for (name, expressions) in entries {
        let is_loaded = loaded.contains(&name.get_ref().as_str());
        if !is_loaded {
            let known = known.get_or_insert_with(|| known_scenario_names(scenarios));
            if !known.contains(name.get_ref()) {
                return Err(unknown_scenario(&source, name, known));
            }
        }
        if expressions.0.is_empty() {
            let hint = "list at least one threshold, e.g. [\"p95 < 5ms\"], or remove the entry";
            return Err(source.error_at(
                name.span(),
                &format!("no threshold listed for `{}`", name.get_ref()),
                hint,
            ));
        }
        let parsed = expressions
            .0
            .iter()
            .map(|text| parse_located(&source, text, default_metric))
            .collect::<Result<Vec<_>>>()?;
        for (text, expr) in expressions.0.iter().zip(&parsed) {
            if let Some(other) = &expr.relative_to {
                let known = known.get_or_insert_with(|| known_scenario_names(scenarios));
                check_ratio_partner(&source, text, name.get_ref(), other, known)?;
            }
        }
        if !is_loaded {
            // Checked all the same, so a bad expression is never waiting to surface.
            ignored.push(name.get_ref().clone());
            continue;
        }
        thresholds
            .by_scenario
            .insert(name.get_ref().clone(), parsed);
    }
    if !raw.regression.is_empty() {
        let names = known.unwrap_or_else(|| known_scenario_names(scenarios));
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        thresholds.regression =
            super::regression::regression_limits(&source, &raw.regression, &names)?;
    }
    Ok((thresholds, ignored))
}

/// A threshold naming no scenario the tool knows: where, did-you-mean, and how to fix it.
fn unknown_scenario(
    source: &SourceText,
    name: &toml::Spanned<String>,
    known: &[String],
) -> crate::Error {
    let message = format!(
        "threshold for unknown scenario `{}`{}",
        name.get_ref(),
        suggestion_suffix(name.get_ref(), known.iter().map(String::as_str))
    );
    let hint = format!(
        "fix the name or remove the threshold. Known scenarios (loaded, in ./scenarios/, built in): {}",
        known.join(", ")
    );
    source.error_at(name.span(), &message, &hint)
}

/// A ratio gate must name another scenario the tool knows (file:line:column, did-you-mean).
fn check_ratio_partner(
    source: &SourceText,
    text: &toml::Spanned<String>,
    gated: &str,
    other: &str,
    known: &[String],
) -> Result<()> {
    if other == gated {
        return Err(source.error_at(
            text.span(),
            &format!("`{gated}` cannot be compared with itself"),
            "name the slower scenario it must beat, e.g. \"p50 faster_than relationship_n_plus_one by 5x\"",
        ));
    }
    if known.iter().any(|name| name == other) {
        return Ok(());
    }
    let message = format!(
        "`{FASTER_THAN}` names unknown scenario `{other}`{}",
        suggestion_suffix(other, known.iter().map(String::as_str))
    );
    let hint = format!(
        "name a scenario the tool knows (loaded, in ./scenarios/, built in): {}",
        known.join(", ")
    );
    Err(source.error_at(text.span(), &message, &hint))
}

/// Every scenario name the tool knows: the loaded ones, then those in `./scenarios/`
/// and the built-in ones. Files that do not load add no names (they are not an error here).
pub fn known_scenario_names(loaded: &[Scenario]) -> Vec<String> {
    let mut names: Vec<String> = loaded.iter().map(|s| s.name.clone()).collect();
    let others = [
        load_scenarios(&[PathBuf::from(DEFAULT_SCENARIO_DIR)]),
        load_built_in_scenarios(),
    ];
    for scenario in others
        .into_iter()
        .flat_map(|found| found.unwrap_or_default())
    {
        if !names.contains(&scenario.name) {
            names.push(scenario.name);
        }
    }
    names
}

/// One threshold expression, or an error located at it.
fn parse_located(
    source: &SourceText,
    text: &toml::Spanned<String>,
    default_metric: Metric,
) -> Result<ThresholdExpr> {
    parse_threshold(text.get_ref(), default_metric).map_err(|message| {
        let hint = format!(
            "write e.g. \"p95 < 5ms\", \"errors == 0\" or \"throughput > 500/s\"; metrics: {METRIC_NAMES}; units: us µs ms s"
        );
        source.error_at(
            text.span(),
            &format!("bad threshold \"{}\": {message}", shortened(text.get_ref())),
            &hint,
        )
    })
}

/// At most 60 characters of `text`, for quoting a long value back in a message.
fn shortened(text: &str) -> String {
    match text.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}
