//! The threshold grammar (docs/scenario-format.md): `"5ms"`, `"p95 < 30ms"`, `"errors == 0"`,
//! `"throughput > 500/s"`, and the ratio form `"p50 faster_than OTHER by 5x"` (`ratio_expr`).
//! A small hand-written parser with helpful errors.
//! Must not read files or know scenario names: `thresholds.rs` does that.
//!
//! ```text
//! threshold  := ws (metric ws comparison ws)? quantity ws
//! metric     := min | mean | p50 | p90 | p95 | p99 | p99.9 | max | errors | throughput | buffers
//! comparison := < | <= | > | >= | ==
//! quantity   := number ws unit        latency: us µs ms s; errors, buffers: none; throughput: /s
//! ```
//! A bare quantity uses the default metric with `<` (latency), `<=` (errors) or `>=` (throughput).

use super::diagnostics::suggestion_suffix;
use super::model::{Comparison, Metric, ThresholdExpr};
use super::ratio_expr::{is_ratio_form, parse_ratio};

/// Every metric with its name in the grammar.
const METRICS: &[(Metric, &str)] = &[
    (Metric::Min, "min"),
    (Metric::Mean, "mean"),
    (Metric::P50, "p50"),
    (Metric::P90, "p90"),
    (Metric::P95, "p95"),
    (Metric::P99, "p99"),
    (Metric::P999, "p99.9"),
    (Metric::Max, "max"),
    (Metric::Errors, "errors"),
    (Metric::Throughput, "throughput"),
    (Metric::Buffers, "buffers"),
];

/// Latency units and their size in microseconds; the first spelling is canonical.
const LATENCY_UNITS: &[(&str, f64, &str)] = &[
    ("us", 1.0, "us"),
    ("µs", 1.0, "us"),
    ("μs", 1.0, "us"),
    ("ms", 1_000.0, "ms"),
    ("s", 1_000_000.0, "s"),
];

/// The allowed metric names, for messages.
pub const METRIC_NAMES: &str = "min mean p50 p90 p95 p99 p99.9 max errors throughput buffers";
const UNIT_NAMES: &str = "us µs ms s";

impl Metric {
    /// The metric's name in the grammar, e.g. "p99.9".
    pub fn name(self) -> &'static str {
        METRICS
            .iter()
            .find(|(metric, _)| *metric == self)
            .map(|(_, name)| *name)
            .unwrap_or("?")
    }

    /// Parses a metric name; the error lists the allowed names and a did-you-mean.
    pub fn parse(name: &str) -> Result<Metric, String> {
        METRICS
            .iter()
            .find(|(_, known)| *known == name)
            .map(|(metric, _)| *metric)
            .ok_or_else(|| {
                format!(
                    "unknown metric `{name}` (metrics: {METRIC_NAMES}){}",
                    suggestion_suffix(name, METRICS.iter().map(|(_, known)| *known))
                )
            })
    }

    /// True for the latency metrics (measured in microseconds).
    pub fn is_latency(self) -> bool {
        !matches!(self, Metric::Errors | Metric::Throughput | Metric::Buffers)
    }
}

impl Comparison {
    /// The operator as written: "<", "<=", ">", ">=", "==".
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::Lt => "<",
            Comparison::Le => "<=",
            Comparison::Gt => ">",
            Comparison::Ge => ">=",
            Comparison::Eq => "==",
        }
    }

    /// True when `actual <op> limit` holds.
    pub fn holds(self, actual: f64, limit: f64) -> bool {
        match self {
            Comparison::Lt => actual < limit,
            Comparison::Le => actual <= limit,
            Comparison::Gt => actual > limit,
            Comparison::Ge => actual >= limit,
            Comparison::Eq => actual == limit,
        }
    }

    /// The symbol that says the comparison was broken: `<` broken reads "≥".
    pub fn broken_symbol(self) -> &'static str {
        match self {
            Comparison::Lt => "≥",
            Comparison::Le => ">",
            Comparison::Gt => "≤",
            Comparison::Ge => "<",
            Comparison::Eq => "≠",
        }
    }
}

/// Parses one threshold; `default_metric` is what a bare quantity ("5ms") measures.
pub fn parse_threshold(text: &str, default_metric: Metric) -> Result<ThresholdExpr, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("empty threshold; write a limit such as \"p95 < 5ms\" or \"5ms\"".to_string());
    }
    let starts_with_letter = trimmed.chars().next().is_some_and(|c| c.is_alphabetic());
    if is_ratio_form(trimmed) {
        return parse_ratio(default_metric, trimmed);
    }
    let (metric, comparison, quantity) = if starts_with_letter {
        let (metric_text, rest) = split_word(trimmed);
        let metric = Metric::parse(metric_text)?;
        if is_ratio_form(rest) {
            return parse_ratio(metric, rest);
        }
        let (comparison, rest) = parse_comparison(rest.trim_start(), metric)?;
        (metric, comparison, rest.trim_start())
    } else {
        (default_metric, bare_comparison(default_metric), trimmed)
    };
    let (number, unit) = split_number(quantity, metric)?;
    let limit_value: f64 = number
        .parse()
        .map_err(|_| format!("`{number}` is not a number; write digits such as 5 or 1.5"))?;
    let (scale, canonical_unit) = parse_unit(unit.trim(), metric, number)?;
    let limit = limit_value * scale;
    if !limit.is_finite() {
        let shown: String = number.chars().take(20).collect();
        return Err(format!(
            "the limit `{shown}…` is too large to compare with; write a realistic limit such as 5s"
        ));
    }
    Ok(ThresholdExpr {
        text: format!(
            "{} {} {limit_value}{canonical_unit}",
            metric.name(),
            comparison.symbol()
        ),
        metric,
        comparison,
        limit,
        relative_to: None,
    })
}

/// The comparison a bare quantity means for `metric`.
fn bare_comparison(metric: Metric) -> Comparison {
    match metric {
        Metric::Errors | Metric::Buffers => Comparison::Le,
        Metric::Throughput => Comparison::Ge,
        _ => Comparison::Lt,
    }
}

/// Splits a leading metric word (letters, digits, `.`, `_`) from the rest.
fn split_word(text: &str) -> (&str, &str) {
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '.' || c == '_'))
        .unwrap_or(text.len());
    text.split_at(end)
}

fn parse_comparison(text: &str, metric: Metric) -> Result<(Comparison, &str), String> {
    for (symbol, comparison) in [
        ("<=", Comparison::Le),
        (">=", Comparison::Ge),
        ("==", Comparison::Eq),
        ("<", Comparison::Lt),
        (">", Comparison::Gt),
    ] {
        if let Some(rest) = text.strip_prefix(symbol) {
            return Ok((comparison, rest));
        }
    }
    let found = text.split_whitespace().next().unwrap_or("");
    let hint = if found.starts_with('=') {
        "; write `==` to compare for equality"
    } else {
        ""
    };
    Err(format!(
        "expected a comparison after `{}`, found `{found}`{hint}; comparisons: < <= > >= ==",
        metric.name()
    ))
}

/// Splits "1.5ms" into ("1.5", "ms"); the number is digits with an optional fraction.
fn split_number(text: &str, metric: Metric) -> Result<(&str, &str), String> {
    if let Some(size) = text.strip_prefix('-') {
        return Err(format!(
            "a limit is never negative (found `{text}`): latencies, counts and rates are >= 0; write e.g. `{}`",
            size.trim_start()
        ));
    }
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(end);
    if number.is_empty() || !number.starts_with(|c: char| c.is_ascii_digit()) {
        let example = match metric {
            Metric::Errors => "errors == 0",
            Metric::Throughput => "throughput > 500/s",
            Metric::Buffers => "buffers <= 100",
            _ => "p95 < 5ms",
        };
        let found = if text.is_empty() {
            "nothing".to_string()
        } else {
            format!("`{text}`")
        };
        return Err(format!(
            "expected a number, found {found}; write e.g. \"{example}\""
        ));
    }
    Ok((number, unit))
}

/// The multiplier to the model's unit and the canonical unit text.
fn parse_unit(unit: &str, metric: Metric, number: &str) -> Result<(f64, &'static str), String> {
    match metric {
        Metric::Errors | Metric::Buffers if unit.is_empty() => {
            if number.contains('.') {
                Err(format!(
                    "{} is a count: write a whole number, not `{number}`",
                    metric.name()
                ))
            } else {
                Ok((1.0, ""))
            }
        }
        Metric::Errors => Err(format!(
            "errors is a count of failed queries and takes no unit (found `{unit}`); write e.g. \"errors == 0\""
        )),
        Metric::Buffers => Err(format!(
            "buffers is a count of shared blocks per execution and takes no unit (found `{unit}`); write e.g. \"buffers <= 100\""
        )),
        Metric::Throughput if unit == "/s" => Ok((1.0, "/s")),
        Metric::Throughput if unit.is_empty() => Err(format!(
            "throughput is measured per second: write `{number}/s` (found no unit)"
        )),
        Metric::Throughput => Err(format!(
            "throughput is measured per second: write `{number}/s` (found unit `{unit}`)"
        )),
        _ if unit.is_empty() => Err(format!(
            "missing unit after `{number}`: write e.g. `{number}ms`; units: {UNIT_NAMES}"
        )),
        _ => LATENCY_UNITS
            .iter()
            .find(|(name, _, _)| *name == unit)
            .map(|(_, scale, canonical)| (*scale, *canonical))
            .ok_or_else(|| {
                format!(
                    "unknown unit `{unit}` (units: {UNIT_NAMES}){}",
                    suggestion_suffix(unit, LATENCY_UNITS.iter().map(|(name, _, _)| *name))
                )
            }),
    }
}

#[cfg(test)]
#[path = "threshold_expr_tests.rs"]
mod tests;
