//! The thresholds file: `[defaults] metric` and `[thresholds] name = "expr" | ["expr", ...]`
//! -> `Thresholds`, checked against the loaded scenarios. Must not evaluate thresholds
//! (`verdict.rs` does) or touch the database.

use std::path::Path;

use super::diagnostics::suggestion_suffix;
use super::model::{Metric, Scenario, Thresholds};
use super::raw::RawThresholdsFile;
use super::sources::{ThresholdsOrigin, thresholds_source};
use super::threshold_expr::{METRIC_NAMES, parse_threshold};
use crate::Result;

/// What a bare limit ("5ms") measures when `[defaults] metric` is not set.
pub const DEFAULT_METRIC: Metric = Metric::P95;

/// Loads the thresholds: `path` (`--thresholds FILE`), else `./thresholds.toml` when the
/// current directory has one, else the built-in file.
///
/// Pass every loaded scenario, *before* `--filter` selects some: filtering must not turn
/// thresholds into errors.
///
/// Unknown scenario names — the rule:
/// - A thresholds file the user wrote (named by `--thresholds`, or `./thresholds.toml`
///   found in the current directory) is strict: every name must be a loaded scenario,
///   else a configuration error with file:line:column and a did-you-mean. A typo in a
///   user's file must never switch a gate off silently.
/// - The built-in thresholds are lenient: they name the built-in scenarios (a test keeps
///   them in step), so when the user replaces the scenarios (`--scenarios`, or
///   `./scenarios/`), built-in thresholds for scenarios that are not loaded are dropped,
///   and those for a user scenario with a built-in name still apply.
pub fn load_thresholds(path: Option<&Path>, scenarios: &[Scenario]) -> Result<Thresholds> {
    let (source, origin) = thresholds_source(path)?;
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
    let known: Vec<&str> = scenarios
        .iter()
        .map(|scenario| scenario.name.as_str())
        .collect();
    let mut thresholds = Thresholds::default();
    let mut entries: Vec<_> = raw.thresholds.iter().collect();
    entries.sort_by_key(|(name, _)| name.span().start);
    for (name, expressions) in entries {
        if !known.contains(&name.get_ref().as_str()) {
            if origin == ThresholdsOrigin::BuiltIn {
                continue;
            }
            let message = format!(
                "threshold for unknown scenario `{}`{}",
                name.get_ref(),
                suggestion_suffix(name.get_ref(), known.iter().copied())
            );
            let hint = format!(
                "fix the name or remove the threshold; to run a subset keep every scenario file and use --filter. Loaded scenarios: {}",
                known.join(", ")
            );
            return Err(source.error_at(name.span(), &message, &hint));
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
            .map(|text| {
                parse_threshold(text.get_ref(), default_metric).map_err(|message| {
                    let hint = format!(
                        "write e.g. \"p95 < 5ms\", \"errors == 0\" or \"throughput > 500/s\"; metrics: {METRIC_NAMES}; units: us µs ms s"
                    );
                    source.error_at(text.span(), &format!("bad threshold \"{}\": {message}", shortened(text.get_ref())), &hint)
                })
            })
            .collect::<Result<Vec<_>>>()?;
        thresholds
            .by_scenario
            .insert(name.get_ref().clone(), parsed);
    }
    thresholds.regression = super::regression::regression_limits(&source, &raw.regression, &known)?;
    Ok(thresholds)
}

/// At most 60 characters of `text`, for quoting a long value back in a message.
fn shortened(text: &str) -> String {
    match text.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}
