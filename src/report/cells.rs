//! The short texts every human-facing format shares: latencies ("850µs", "12.3ms"),
//! threshold and plan verdicts, status names. Pure text; must not decide verdicts or
//! know about any output format's markup or colours.

use crate::results::{PlanVerdict, ScenarioResult, Status, ThresholdOutcome};

/// Shown where there is no value (no measurement, no plan check).
pub const NONE: &str = "—";

/// A latency in microseconds with three significant digits and a unit:
/// `850µs`, `1.50ms`, `12.3ms`, `250ms`, `1.52s`.
pub fn format_latency_us(us: f64) -> String {
    if !us.is_finite() {
        return NONE.to_string();
    }
    if us < 0.0 {
        return format!("-{}", format_latency_us(-us));
    }
    if us < 999.5 {
        return format!("{:.0}µs", us);
    }
    if us < 999_500.0 {
        return format!("{}ms", three_digits(us / 1_000.0));
    }
    format!("{}s", three_digits(us / 1_000_000.0))
}

/// A number with three significant digits (at least one), no unit.
fn three_digits(value: f64) -> String {
    if value < 9.995 {
        format!("{value:.2}")
    } else if value < 99.95 {
        format!("{value:.1}")
    } else {
        format!("{value:.0}")
    }
}

/// A signed latency difference: `+1.20ms`, `-850µs`, `±0µs`.
pub fn format_signed_latency_us(us: f64) -> String {
    if us == 0.0 {
        return "±0µs".to_string();
    }
    let sign = if us > 0.0 { "+" } else { "-" };
    format!("{sign}{}", format_latency_us(us.abs()))
}

/// A signed percentage with one decimal: `+12.0%`, `-4.1%`.
pub fn format_signed_percent(percent: f64) -> String {
    if percent == 0.0 {
        return "±0.0%".to_string();
    }
    format!("{percent:+.1}%")
}

/// The status as shown to people: PASS, FAIL, SKIP, ERROR.
pub fn status_label(status: Status) -> &'static str {
    match status {
        Status::Pass => "PASS",
        Status::Fail => "FAIL",
        Status::Skip => "SKIP",
        Status::Error => "ERROR",
    }
}

/// One threshold: `p95 < 5ms ✓`, or when broken `✗ p95 12.3ms ≥ 5ms`.
pub fn threshold_text(outcome: &ThresholdOutcome) -> String {
    if outcome.ok {
        return format!("{} ✓", outcome.expr);
    }
    match split_threshold(&outcome.expr) {
        Some((metric, op, limit)) => format!(
            "✗ {metric} {} {} {limit}",
            format_actual(metric, outcome.actual_us),
            negate_operator(op)
        ),
        None => format!("✗ {} (measured {})", outcome.expr, outcome.actual_us),
    }
}

/// All thresholds of a scenario, one per line; `—` when it has none.
pub fn thresholds_text(result: &ScenarioResult) -> String {
    if result.thresholds.is_empty() {
        return NONE.to_string();
    }
    let lines: Vec<String> = result.thresholds.iter().map(threshold_text).collect();
    lines.join("\n")
}

/// `metric op limit` of an expression such as `p95 < 5ms` or `errors == 0`.
fn split_threshold(expr: &str) -> Option<(&str, &str, &str)> {
    let mut parts = expr.split_whitespace();
    let (metric, op, limit) = (parts.next()?, parts.next()?, parts.next()?);
    let known = ["<", "<=", ">", ">=", "==", "!="].contains(&op);
    (known && parts.next().is_none()).then_some((metric, op, limit))
}

/// The operator that held instead of the one the threshold asked for.
fn negate_operator(op: &str) -> &'static str {
    match op {
        "<" => "≥",
        "<=" => ">",
        ">" => "≤",
        ">=" => "<",
        "==" => "≠",
        _ => "=",
    }
}

/// The measured value of a metric in its own unit: a latency, a count or a rate.
fn format_actual(metric: &str, actual: f64) -> String {
    match metric {
        "errors" => format!("{actual:.0}"),
        "throughput" => format!("{actual:.1}/s"),
        _ => format_latency_us(actual),
    }
}

/// The plan verdict in a few words: `ok`, `drift`, `✗ seq scan on x`, or `—` when unchecked.
pub fn plan_text(plan: Option<&PlanVerdict>) -> String {
    let Some(plan) = plan else {
        return NONE.to_string();
    };
    if plan.ok {
        return match plan.drift {
            Some(_) => "drift".to_string(),
            None => "ok".to_string(),
        };
    }
    if !plan.seq_scans.is_empty() {
        return format!("✗ seq scan on {}", plan.seq_scans.join(", "));
    }
    match plan.failures.first() {
        Some(first) => format!("✗ {first}"),
        None => format!("✗ expected {}", plan.expect),
    }
}

/// Why a scenario did not pass: its own reason, else the broken thresholds and plan checks.
pub fn reason_text(result: &ScenarioResult) -> Option<String> {
    if result.status == Status::Pass {
        return None;
    }
    if let Some(reason) = result.reason.as_deref().filter(|r| !r.trim().is_empty()) {
        return Some(reason.to_string());
    }
    let mut parts: Vec<String> = result
        .thresholds
        .iter()
        .filter(|t| !t.ok)
        .map(threshold_text)
        .collect();
    if let Some(plan) = result.plan.as_ref().filter(|p| !p.ok) {
        parts.extend(plan.failures.iter().cloned());
    }
    if result.errors > 0 {
        parts.push(format!("{} query errors", result.errors));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// `tech_research 30000, tech_spec_sessions 10000`: row counts at the start of the run.
pub fn dataset_text(dataset: &std::collections::BTreeMap<String, i64>) -> String {
    let parts: Vec<String> = dataset
        .iter()
        .map(|(table, rows)| format!("{table} {rows}"))
        .collect();
    parts.join(", ")
}

/// Reduces `text` to at most `max_chars` characters, ending with `…` when cut.
pub fn truncate_chars(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let kept: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    format!("{kept}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_use_three_significant_digits_and_the_right_unit() {
        assert_eq!(format_latency_us(0.0), "0µs");
        assert_eq!(format_latency_us(850.0), "850µs");
        assert_eq!(format_latency_us(999.4), "999µs");
        assert_eq!(format_latency_us(999.6), "1.00ms");
        assert_eq!(format_latency_us(1_500.0), "1.50ms");
        assert_eq!(format_latency_us(12_345.0), "12.3ms");
        assert_eq!(format_latency_us(99_990.0), "100ms");
        assert_eq!(format_latency_us(250_000.0), "250ms");
        assert_eq!(format_latency_us(999_700.0), "1.00s");
        assert_eq!(format_latency_us(1_520_000.0), "1.52s");
        assert_eq!(format_latency_us(125_000_000.0), "125s");
        assert_eq!(format_latency_us(f64::NAN), "—");
    }

    #[test]
    fn signed_values_show_their_sign() {
        assert_eq!(format_signed_latency_us(1_200.0), "+1.20ms");
        assert_eq!(format_signed_latency_us(-850.0), "-850µs");
        assert_eq!(format_signed_latency_us(0.0), "±0µs");
        assert_eq!(format_signed_percent(12.04), "+12.0%");
        assert_eq!(format_signed_percent(-4.06), "-4.1%");
    }

    fn outcome(expr: &str, ok: bool, actual_us: f64) -> ThresholdOutcome {
        ThresholdOutcome {
            expr: expr.to_string(),
            ok,
            actual_us,
        }
    }

    #[test]
    fn a_held_threshold_shows_its_expression_and_a_tick() {
        assert_eq!(
            threshold_text(&outcome("p95 < 5ms", true, 66.0)),
            "p95 < 5ms ✓"
        );
    }

    #[test]
    fn a_broken_threshold_shows_the_measured_value_against_the_limit() {
        assert_eq!(
            threshold_text(&outcome("p95 < 5ms", false, 12_300.0)),
            "✗ p95 12.3ms ≥ 5ms"
        );
        assert_eq!(
            threshold_text(&outcome("errors == 0", false, 3.0)),
            "✗ errors 3 ≠ 0"
        );
        assert_eq!(
            threshold_text(&outcome("throughput > 500/s", false, 321.44)),
            "✗ throughput 321.4/s ≤ 500/s"
        );
        assert_eq!(
            threshold_text(&outcome("weird", false, 1.0)),
            "✗ weird (measured 1)"
        );
    }

    #[test]
    fn plan_text_names_the_problem() {
        assert_eq!(plan_text(None), "—");
        let ok = PlanVerdict {
            ok: true,
            ..PlanVerdict::default()
        };
        assert_eq!(plan_text(Some(&ok)), "ok");
        let drift = PlanVerdict {
            drift: Some("changed".into()),
            ..ok.clone()
        };
        assert_eq!(plan_text(Some(&drift)), "drift");
        let seq = PlanVerdict {
            seq_scans: vec!["public.x".into()],
            ..PlanVerdict::default()
        };
        assert_eq!(plan_text(Some(&seq)), "✗ seq scan on public.x");
        let failed = PlanVerdict {
            failures: vec!["no index y".into()],
            ..PlanVerdict::default()
        };
        assert_eq!(plan_text(Some(&failed)), "✗ no index y");
    }

    #[test]
    fn truncation_counts_characters_not_bytes() {
        assert_eq!(truncate_chars("µµµµ", 4), "µµµµ");
        assert_eq!(truncate_chars("µµµµµ", 4), "µµµ…");
    }
}
