//! `--filter GLOB`: select scenarios whose name or group matches any of the globs.
//! Must not load or validate files.

use glob::Pattern;

use super::model::Scenario;
use crate::{Error, Result};

/// Keeps the scenarios whose name or group matches one of `filters` (glob syntax:
/// `*`, `?`, `[abc]`), in their original order. No filter keeps everything. A filter
/// that matches nothing is a configuration error listing what is available.
pub fn select(scenarios: Vec<Scenario>, filters: &[String]) -> Result<Vec<Scenario>> {
    if filters.is_empty() {
        return Ok(scenarios);
    }
    let patterns: Vec<Pattern> = filters
        .iter()
        .map(|filter| {
            Pattern::new(filter).map_err(|error| {
                Error::config(format!(
                    "--filter {filter:?} is not a valid glob: {error}; use * ? and [..], e.g. --filter 'session_*'"
                ))
            })
        })
        .collect::<Result<_>>()?;
    let matches = |pattern: &Pattern, scenario: &Scenario| {
        pattern.matches(&scenario.name) || pattern.matches(&scenario.group)
    };
    if let Some((filter, _)) = filters
        .iter()
        .zip(&patterns)
        .find(|(_, pattern)| !scenarios.iter().any(|scenario| matches(pattern, scenario)))
    {
        return Err(Error::config(format!(
            "--filter {filter:?} matches no scenario name or group. Groups: {}. Scenarios: {}",
            unique(scenarios.iter().map(|s| s.group.as_str())).join(", "),
            scenarios
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(scenarios
        .into_iter()
        .filter(|scenario| patterns.iter().any(|pattern| matches(pattern, scenario)))
        .collect())
}

fn unique<'a>(items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen: Vec<&str> = Vec::new();
    for item in items {
        if !seen.contains(&item) {
            seen.push(item);
        }
    }
    seen
}
