//! `--filter GLOB`: select scenarios whose name or group matches any of the globs; the
//! `run` flags (`--clients`, `--duration`, ...) that override every selected scenario's
//! load shape, with their value checks. Must not load or validate files.

use std::time::Duration;

use glob::Pattern;

use super::model::{LoadAmount, Protocol, Scenario};
use crate::{Error, Result};

/// Load-shape values given on the command line; each replaces the scenario's own value.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LoadOverride {
    pub clients: Option<u32>,
    /// `--iterations` or `--duration` (never both).
    pub amount: Option<LoadAmount>,
    pub warmup: Option<u64>,
    pub rate: Option<f64>,
    /// `--protocol`: replaces every scenario's `protocol`.
    pub protocol: Option<Protocol>,
}

impl LoadOverride {
    /// True when no flag was given.
    pub fn is_empty(&self) -> bool {
        *self == LoadOverride::default()
    }
}

/// Every scenario with the overridden parts of its load shape replaced.
pub fn override_load(mut scenarios: Vec<Scenario>, with: &LoadOverride) -> Vec<Scenario> {
    for scenario in &mut scenarios {
        let load = &mut scenario.load;
        load.clients = with.clients.unwrap_or(load.clients);
        load.amount = with.amount.unwrap_or(load.amount);
        load.warmup = with.warmup.unwrap_or(load.warmup);
        load.rate = with.rate.or(load.rate);
        scenario.protocol = with.protocol.unwrap_or(scenario.protocol);
    }
    scenarios
}

/// `--clients N`: checked like `clients` in a scenario file.
pub fn clients_flag(text: &str) -> std::result::Result<u32, String> {
    match text.trim().parse::<i64>() {
        Ok(n) if n < 1 => {
            Err("must be >= 1 (each client is one connection, e.g. --clients 4)".into())
        }
        Ok(n) => u32::try_from(n).map_err(|_| format!("must be between 1 and {}", u32::MAX)),
        Err(_) => Err(format!("`{text}` is not a whole number; e.g. --clients 4")),
    }
}

/// `--protocol NAME`: checked like `protocol` in a scenario file.
pub fn protocol_flag(text: &str) -> std::result::Result<Protocol, String> {
    let names = Protocol::ALL.map(Protocol::name);
    Protocol::from_name(text.trim()).ok_or_else(|| {
        format!(
            "unknown protocol `{text}`{}: use prepared, extended or simple",
            super::diagnostics::suggestion_suffix(text.trim(), names)
        )
    })
}

/// `--iterations N`: checked like `iterations` in a scenario file.
pub fn iterations_flag(text: &str) -> std::result::Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "`{text}` is not a count >= 1; e.g. --iterations 1000"
        )),
    }
}

/// `--duration D`: checked like `duration` in a scenario file.
pub fn duration_flag(text: &str) -> std::result::Result<Duration, String> {
    match humantime::parse_duration(text) {
        Ok(duration) if !duration.is_zero() => Ok(duration),
        Ok(_) => Err("must be > 0; e.g. --duration 30s".into()),
        Err(error) => Err(format!(
            "`{text}` is not a duration: {error}; write a number with a unit, e.g. 10s, 500ms or 2m"
        )),
    }
}

/// `--rate R`: checked like `rate` in a scenario file.
pub fn rate_flag(text: &str) -> std::result::Result<f64, String> {
    match text.trim().trim_end_matches("/s").parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        Ok(_) => {
            Err("must be a finite number > 0 (iterations per second across all clients)".into())
        }
        Err(_) => Err(format!("`{text}` is not a number; e.g. --rate 200")),
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::model::{LoadShape, Origin};

    fn scenario(amount: LoadAmount) -> Scenario {
        Scenario {
            name: "s".into(),
            group: "g".into(),
            description: None,
            origin: Origin {
                file: "g.toml".into(),
                line: 1,
            },
            load: LoadShape {
                amount,
                warmup: 5,
                clients: 2,
                rate: Some(10.0),
            },
            steps: Vec::new(),
            transaction: None,
            expect: Default::default(),
            max_growth: None,
            protocol: Default::default(),
            statement_timeout: Duration::from_secs(30),
        }
    }

    #[test]
    fn an_override_replaces_only_what_it_names() {
        let with = LoadOverride {
            clients: Some(8),
            amount: Some(LoadAmount::Duration(Duration::from_secs(3))),
            ..LoadOverride::default()
        };
        let out = override_load(vec![scenario(LoadAmount::Iterations(100))], &with);
        let load = &out[0].load;
        assert_eq!(load.clients, 8);
        assert_eq!(load.amount, LoadAmount::Duration(Duration::from_secs(3)));
        assert_eq!((load.warmup, load.rate), (5, Some(10.0)));
        assert!(LoadOverride::default().is_empty());
        assert!(!with.is_empty());
        let same = override_load(
            vec![scenario(LoadAmount::Iterations(7))],
            &LoadOverride::default(),
        );
        assert_eq!(same, vec![scenario(LoadAmount::Iterations(7))]);
    }

    #[test]
    fn the_protocol_flag_takes_pgbench_names_and_suggests_the_nearest() {
        assert_eq!(protocol_flag("extended"), Ok(Protocol::Extended));
        assert_eq!(protocol_flag(" simple "), Ok(Protocol::Simple));
        let error = protocol_flag("prepard").unwrap_err();
        assert!(error.contains("did you mean `prepared`?"), "{error}");
        let scenarios = override_load(
            vec![scenario(LoadAmount::Iterations(7))],
            &LoadOverride {
                protocol: Some(Protocol::Simple),
                ..LoadOverride::default()
            },
        );
        assert_eq!(scenarios[0].protocol, Protocol::Simple);
    }

    #[test]
    fn flags_are_checked_like_the_toml_values() {
        assert_eq!(clients_flag("4"), Ok(4));
        assert!(clients_flag("0").unwrap_err().contains(">= 1"));
        assert!(
            clients_flag("4294967296")
                .unwrap_err()
                .contains("between 1 and")
        );
        assert!(
            clients_flag("four")
                .unwrap_err()
                .contains("not a whole number")
        );
        assert_eq!(iterations_flag("1000"), Ok(1000));
        assert!(iterations_flag("0").is_err());
        assert_eq!(duration_flag("1m"), Ok(Duration::from_secs(60)));
        assert!(duration_flag("0s").unwrap_err().contains("> 0"));
        assert!(duration_flag("ten").unwrap_err().contains("not a duration"));
        assert_eq!(rate_flag("200"), Ok(200.0));
        assert_eq!(rate_flag("50/s"), Ok(50.0));
        for bad in ["0", "-1", "nan", "inf"] {
            assert!(rate_flag(bad).is_err(), "{bad}");
        }
    }
}
