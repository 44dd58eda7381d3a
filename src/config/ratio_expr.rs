//! The ratio form of a threshold: `"faster_than OTHER by 5x"` or
//! `"p50 faster_than OTHER by 5x"` (this scenario's metric at least 5 times below
//! OTHER's). Pure text -> `ThresholdExpr` with `relative_to` set. Must not check that
//! OTHER exists (`thresholds.rs` does, with the file position) nor evaluate the gate.

use super::model::{Comparison, Metric, ThresholdExpr};

/// The keyword that starts the ratio form.
pub const FASTER_THAN: &str = "faster_than";

/// True when `rest` (after an optional metric) is the ratio form.
pub fn is_ratio_form(rest: &str) -> bool {
    rest.trim_start()
        .strip_prefix(FASTER_THAN)
        .is_some_and(|after| after.is_empty() || after.starts_with(char::is_whitespace))
}

/// Parses `faster_than OTHER by Nx` (`rest`) for `metric`.
pub fn parse_ratio(metric: Metric, rest: &str) -> Result<ThresholdExpr, String> {
    if !metric.is_latency() {
        return Err(format!(
            "`{FASTER_THAN}` compares latencies, not {}; write e.g. \"p50 {FASTER_THAN} other_scenario by 5x\"",
            metric.name()
        ));
    }
    let words: Vec<&str> = rest.split_whitespace().collect();
    let (other, factor) = match words.as_slice() {
        [_, other, "by", factor] => (*other, *factor),
        _ => {
            return Err(format!(
                "expected `{FASTER_THAN} SCENARIO by FACTOR`, e.g. \"p50 {FASTER_THAN} relationship_n_plus_one by 5x\""
            ));
        }
    };
    check_scenario_name(other)?;
    let factor_value = parse_factor(factor)?;
    Ok(ThresholdExpr {
        text: format!("{} {FASTER_THAN} {other} by {factor_value}x", metric.name()),
        metric,
        comparison: Comparison::Ge,
        limit: factor_value,
        relative_to: Some(other.to_string()),
    })
}

fn check_scenario_name(name: &str) -> Result<(), String> {
    let valid = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid && !name.is_empty() {
        return Ok(());
    }
    Err(format!(
        "`{name}` is not a scenario name: names are lowercase letters, digits and `_`"
    ))
}

/// `5x` -> 5.0; the factor is a number above 0 followed by `x` (below 1: "at most 1/x slower").
fn parse_factor(text: &str) -> Result<f64, String> {
    let Some(number) = text.strip_suffix('x') else {
        return Err(format!(
            "the factor `{text}` needs an `x` after the number, e.g. `5x`"
        ));
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{number}` is not a number; write a factor such as 5x or 1.5x"))?;
    if !(value.is_finite() && value > 0.0) {
        return Err(format!(
            "the factor `{text}` must be above 0x: 5x means at least 5 times faster, 0.5x at most 2 times slower"
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_threshold;

    #[test]
    fn the_ratio_form_parses_with_or_without_a_metric() {
        let with = parse_threshold("p50 faster_than n_plus_one by 5x", Metric::P95).unwrap();
        assert_eq!(with.text, "p50 faster_than n_plus_one by 5x");
        assert_eq!(
            (with.metric, with.comparison, with.limit),
            (Metric::P50, Comparison::Ge, 5.0)
        );
        assert_eq!(with.relative_to.as_deref(), Some("n_plus_one"));
        let bare = parse_threshold("  faster_than  slow   by 1.5x ", Metric::P95).unwrap();
        assert_eq!(bare.text, "p95 faster_than slow by 1.5x");
        assert!(bare.is_ratio());
        assert!(!parse_threshold("5ms", Metric::P95).unwrap().is_ratio());
    }

    #[test]
    fn a_bad_ratio_form_says_what_to_write() {
        let error = |text| parse_threshold(text, Metric::P95).unwrap_err();
        assert!(error("faster_than x").contains("faster_than SCENARIO by FACTOR"));
        assert!(error("faster_than x by 5").contains("needs an `x`"));
        assert!(error("faster_than x by 0x").contains("above 0x"));
        assert!(error("faster_than x by fivex").contains("not a number"));
        assert!(error("faster_than X-Y by 5x").contains("not a scenario name"));
        assert!(error("errors faster_than x by 5x").contains("compares latencies"));
    }
}
