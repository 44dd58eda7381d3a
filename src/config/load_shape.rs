//! A scenario's load and timeout: iterations, duration or budget (the default budget when
//! none is set), warmup, clients, rate and statement_timeout, from the scenario or its
//! file's `[defaults]`, range-checked.
//! `[defaults]` are checked on their own too, so a bad default is an error even when
//! every scenario overrides it. Must not know about SQL, steps or expectations.

use std::ops::Range;
use std::time::Duration;

use toml::Spanned;

use super::diagnostics::SourceText;
use super::model::{LoadAmount, LoadShape};
use super::raw::{RawDefaults, RawScenario};
use crate::Result;

/// The measuring time of a scenario that fixes neither iterations, duration nor budget.
pub const DEFAULT_BUDGET: Duration = Duration::from_millis(125);

/// Statement timeout when neither the scenario nor `[defaults]` sets one.
pub const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(30);

/// PostgreSQL's `statement_timeout` is a 32-bit count of milliseconds.
const MAX_STATEMENT_TIMEOUT: Duration = Duration::from_millis(i32::MAX as u64);

/// Validates every value of `[defaults]`, used or not.
pub fn check_defaults(source: &SourceText, defaults: &RawDefaults) -> Result<()> {
    load_amount(source, &amount_keys(defaults))?;
    warmup(source, defaults.warmup.as_ref())?;
    clients(source, defaults.clients.as_ref())?;
    rate(source, defaults.rate.as_ref())?;
    if let Some(timeout) = &defaults.statement_timeout {
        statement_timeout_value(source, timeout)?;
    }
    Ok(())
}

/// The load shape: scenario values override `[defaults]`; iterations, duration and
/// budget are one choice (a scenario's own choice replaces the default one), and
/// `DEFAULT_BUDGET` applies when neither sets one.
pub fn load_shape(
    source: &SourceText,
    raw: &RawScenario,
    defaults: &RawDefaults,
) -> Result<LoadShape> {
    let own = AmountKeys {
        iterations: raw.iterations.as_ref(),
        duration: raw.duration.as_ref(),
        budget: raw.budget.as_ref(),
    };
    let amount = match load_amount(source, &own)? {
        Some(amount) => amount,
        None => load_amount(source, &amount_keys(defaults))?
            .unwrap_or(LoadAmount::Budget(DEFAULT_BUDGET)),
    };
    Ok(LoadShape {
        amount,
        warmup: warmup(source, raw.warmup.as_ref().or(defaults.warmup.as_ref()))?,
        clients: clients(source, raw.clients.as_ref().or(defaults.clients.as_ref()))?,
        rate: rate(source, raw.rate.as_ref().or(defaults.rate.as_ref()))?,
    })
}

/// The scenario's `statement_timeout`, else the default one, else 30 s.
pub fn statement_timeout(
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
        Some(text) => statement_timeout_value(source, text),
    }
}

fn statement_timeout_value(source: &SourceText, text: &Spanned<String>) -> Result<Duration> {
    let timeout = positive_duration(source, text, "statement_timeout")?;
    if timeout > MAX_STATEMENT_TIMEOUT {
        return Err(source.error_at(
            text.span(),
            "`statement_timeout` is longer than PostgreSQL allows (2147483647ms, about 24 days)",
            "a statement timeout is per statement: write e.g. \"30s\" or \"5m\"",
        ));
    }
    Ok(timeout)
}

fn warmup(source: &SourceText, warmup: Option<&Spanned<i64>>) -> Result<u64> {
    let Some(w) = warmup else {
        return Ok(0);
    };
    u64::try_from(*w.get_ref()).map_err(|_| {
        source.error_at(
            w.span(),
            "`warmup` must be >= 0",
            "warmup counts iterations per client that are run but not recorded",
        )
    })
}

fn clients(source: &SourceText, clients: Option<&Spanned<i64>>) -> Result<u32> {
    let Some(c) = clients else {
        return Ok(1);
    };
    let message = match u32::try_from(*c.get_ref()) {
        Ok(n) if n >= 1 => return Ok(n),
        _ if *c.get_ref() < 1 => "`clients` must be >= 1".to_string(),
        _ => format!("`clients` must be between 1 and {}", u32::MAX),
    };
    Err(source.error_at(
        c.span(),
        &message,
        "each client is one connection, e.g. clients = 4",
    ))
}

fn rate(source: &SourceText, rate: Option<&Spanned<f64>>) -> Result<Option<f64>> {
    let Some(r) = rate else {
        return Ok(None);
    };
    let value = *r.get_ref();
    let message = if !value.is_finite() {
        "`rate` must be a finite number > 0"
    } else if value <= 0.0 {
        "`rate` must be > 0"
    } else {
        return Ok(Some(value));
    };
    Err(source.error_at(
        r.span(),
        message,
        "iterations per second across all clients, e.g. rate = 100",
    ))
}

/// The keys that choose a load amount, where one table sets them.
struct AmountKeys<'a> {
    iterations: Option<&'a Spanned<i64>>,
    duration: Option<&'a Spanned<String>>,
    budget: Option<&'a Spanned<String>>,
}

fn amount_keys(defaults: &RawDefaults) -> AmountKeys<'_> {
    AmountKeys {
        iterations: defaults.iterations.as_ref(),
        duration: defaults.duration.as_ref(),
        budget: defaults.budget.as_ref(),
    }
}

fn load_amount(source: &SourceText, keys: &AmountKeys<'_>) -> Result<Option<LoadAmount>> {
    let set = [
        keys.iterations.map(|i| ("iterations", i.span())),
        keys.duration.map(|d| ("duration", d.span())),
        keys.budget.map(|b| ("budget", b.span())),
    ];
    let chosen: Vec<(&str, Range<usize>)> = set.into_iter().flatten().collect();
    if let [(first, _), (second, span), ..] = chosen.as_slice() {
        return Err(source.error_at(
            span.clone(),
            &format!("both `{first}` and `{second}` are set"),
            "keep one: a run stops after N iterations, after a duration, or within a budget",
        ));
    }
    if let Some(i) = keys.iterations {
        return u64::try_from(*i.get_ref())
            .ok()
            .filter(|&n| n >= 1)
            .map(|n| Some(LoadAmount::Iterations(n)))
            .ok_or_else(|| {
                source.error_at(
                    i.span(),
                    "`iterations` must be >= 1",
                    "e.g. iterations = 1000",
                )
            });
    }
    if let Some(d) = keys.duration {
        return Ok(Some(LoadAmount::Duration(positive_duration(
            source, d, "duration",
        )?)));
    }
    match keys.budget {
        Some(b) => Ok(Some(LoadAmount::Budget(positive_duration(
            source, b, "budget",
        )?))),
        None => Ok(None),
    }
}

pub(crate) fn positive_duration(
    source: &SourceText,
    text: &Spanned<String>,
    key: &str,
) -> Result<Duration> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: &str) -> SourceText {
        SourceText {
            name: "t.toml".into(),
            text: text.into(),
        }
    }

    fn defaults_error(text: &str) -> String {
        let source = source(text);
        let raw: super::super::raw::RawScenarioFile = toml::from_str(text).expect("parses");
        check_defaults(&source, &raw.defaults.unwrap_or_default())
            .expect_err("should fail")
            .to_string()
    }

    #[test]
    fn every_default_is_checked_even_when_unused() {
        for (text, expected) in [
            (
                "[defaults]\niterations = 1\nduration = \"1s\"\n",
                "t.toml:3:12: both",
            ),
            (
                "[defaults]\nclients = 0\n",
                "t.toml:2:11: `clients` must be >= 1",
            ),
            (
                "[defaults]\nwarmup = -1\n",
                "t.toml:2:10: `warmup` must be >= 0",
            ),
            (
                "[defaults]\nrate = nan\n",
                "t.toml:2:8: `rate` must be a finite",
            ),
            (
                "[defaults]\nstatement_timeout = \"0s\"\n",
                "t.toml:2:21: `statement_timeout` must be > 0",
            ),
        ] {
            let message = defaults_error(text);
            assert!(message.starts_with(expected), "{text}\n{message}");
        }
    }

    #[test]
    fn too_many_clients_and_too_long_a_timeout_are_range_errors() {
        let text = "clients = 4294967296";
        let value: Spanned<i64> = Spanned::new(10..20, 4_294_967_296);
        let message = clients(&source(text), Some(&value))
            .unwrap_err()
            .to_string();
        assert!(message.contains("between 1 and 4294967295"), "{message}");
        let timeout = Spanned::new(0..5, "25days".to_string());
        let message = statement_timeout_value(&source("25days"), &timeout)
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("longer than PostgreSQL allows"),
            "{message}"
        );
        let ok = Spanned::new(0..5, "24days".to_string());
        assert!(statement_timeout_value(&source("24days"), &ok).is_ok());
    }
}
