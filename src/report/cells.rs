//! The short texts every human-facing format shares: threshold and plan verdicts, the
//! failure reason of a scenario, status names (values in units come from `units`). Pure
//! text; must not decide verdicts or know about any output format's markup or colours.

use super::units::{format_limit, format_measured};
use crate::config::ThresholdExpr;
use crate::results::{PlanKind, PlanVerdict, ScenarioResult, Status, ThresholdOutcome, TimedPlan};
use crate::verdict::Cause;

/// Shown where there is no value (no measurement, no plan check).
pub const NONE: &str = "—";

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

/// Why a threshold could not be judged: nothing it measures succeeded.
pub const NO_DATA: &str = "no successful iterations";

/// One threshold: `p95 < 5ms ✓`, or when broken `✗ p95 12.3ms ≥ 5ms`, or without data
/// `✗ p95 < 5ms: no successful iterations`.
pub fn threshold_text(outcome: &ThresholdOutcome) -> String {
    if outcome.ok {
        match within_noise(outcome) {
            Some(note) => format!("{} ✓ ({note})", expression_text(&outcome.threshold)),
            None => format!("{} ✓", expression_text(&outcome.threshold)),
        }
    } else {
        format!("✗ {}", broken_threshold_text(outcome))
    }
}

/// A ratio gate that held only within its noise: `measured 1.2x, interval 0.9x–1.6x`.
fn within_noise(outcome: &ThresholdOutcome) -> Option<String> {
    let (actual, interval) = (outcome.actual?, outcome.interval?);
    let threshold = &outcome.threshold;
    if threshold.comparison.holds(actual, threshold.limit) {
        return None;
    }
    Some(format!(
        "within noise: {}, interval {}–{}",
        format_factor(actual),
        format_factor(interval.low),
        format_factor(interval.high)
    ))
}

/// A threshold as written: `p95 < 5ms`, `errors == 0`, `throughput > 500/s`.
fn expression_text(threshold: &ThresholdExpr) -> String {
    let metric = threshold.metric;
    if let Some(other) = &threshold.relative_to {
        let factor = format_factor(threshold.limit);
        return format!("{} ≥{factor} faster than {other}", metric.name());
    }
    format!(
        "{} {} {}",
        metric.name(),
        threshold.comparison.symbol(),
        format_limit(metric, threshold.limit)
    )
}

/// A broken threshold, the measured value against the limit: `p95 12.3ms ≥ 5ms`.
fn broken_threshold_text(outcome: &ThresholdOutcome) -> String {
    let threshold = &outcome.threshold;
    let metric = threshold.metric;
    let Some(actual) = outcome.actual else {
        return format!("{}: {NO_DATA}", expression_text(threshold));
    };
    if let Some(other) = &threshold.relative_to {
        let interval = outcome.interval.map_or(String::new(), |i| {
            format!(
                ", interval {}–{}",
                format_factor(i.low),
                format_factor(i.high)
            )
        });
        return format!(
            "{} only {} faster than {other} (< {}{interval})",
            metric.name(),
            format_factor(actual),
            format_factor(threshold.limit)
        );
    }
    format!(
        "{} {} {} {}",
        metric.name(),
        format_measured(metric, actual),
        threshold.comparison.broken_symbol(),
        format_limit(metric, threshold.limit)
    )
}

/// A speed-up factor: `5x`, `1.5x`, `12.3x` (one decimal at most).
pub fn format_factor(factor: f64) -> String {
    let rounded = (factor * 10.0).round() / 10.0;
    format!("{rounded}x")
}

/// All thresholds of a scenario, one per line; `—` when it has none.
pub fn thresholds_text(result: &ScenarioResult) -> String {
    if result.thresholds.is_empty() {
        return NONE.to_string();
    }
    let lines: Vec<String> = result.thresholds.iter().map(threshold_text).collect();
    lines.join("\n")
}

/// The plan verdict in a few words: `ok`, `drift`, `✗ seq scan on x`, or `—` when unchecked.
pub fn plan_text(plan: Option<&PlanVerdict>) -> String {
    let Some(plan) = plan else {
        return NONE.to_string();
    };
    if plan.ok {
        return match (&plan.drift, timed_marker(&plan.timed)) {
            (Some(_), _) => "drift".to_string(),
            (None, Some(marker)) => format!("ok ({marker})"),
            (None, None) => "ok".to_string(),
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

/// The thresholds of a scenario at a glance: `ok` when all held, `✗ p95` (the first
/// metric that broke, `ratio` for a ratio gate, and `+N` more) otherwise, `—` without
/// thresholds. The reasons below the table say which and by how much.
pub fn threshold_glance(result: &ScenarioResult) -> String {
    if result.thresholds.is_empty() {
        return NONE.to_string();
    }
    let mut broken = result.thresholds.iter().filter(|t| !t.ok);
    let Some(first) = broken.next() else {
        return "ok".to_string();
    };
    let name = match first.threshold.is_ratio() {
        true => "ratio",
        false => first.threshold.metric.name(),
    };
    match broken.count() {
        0 => format!("✗ {name}"),
        more => format!("✗ {name} +{more}"),
    }
}

/// The plan verdict in a word or two: `ok`, `drift`, `✗ seq scan`, `✗ plan`, `—`.
pub fn plan_glance(plan: Option<&PlanVerdict>) -> &'static str {
    match plan {
        None => NONE,
        Some(plan) if plan.ok && plan.drift.is_some() => "drift",
        Some(plan) if plan.ok => "ok",
        Some(plan) if !plan.seq_scans.is_empty() => "✗ seq scan",
        Some(_) => "✗ plan",
    }
}

/// Which plans ran, when a generic plan was among them: "custom 5 + generic 995",
/// "generic 1000". None when only custom plans ran (or nothing is known).
fn timed_marker(timed: &[TimedPlan]) -> Option<String> {
    let ran: Vec<&TimedPlan> = timed.iter().filter(|t| t.executions > 0).collect();
    if !ran.iter().any(|t| t.kind == PlanKind::Generic) {
        return None;
    }
    let parts: Vec<String> = ran
        .iter()
        .map(|t| format!("{} {}", t.kind.as_str(), t.executions))
        .collect();
    Some(parts.join(" + "))
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

/// The reason a failed scenario gives, from its causes in order:
/// `p95 12.3ms ≥ 5ms; plan: …; 3 query errors (first: …)`. `None` without causes.
pub fn failure_reason(causes: &[Cause]) -> Option<String> {
    let parts: Vec<String> = causes.iter().map(cause_text).collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

fn cause_text(cause: &Cause) -> String {
    match cause {
        Cause::Threshold(outcome) => broken_threshold_text(outcome),
        Cause::Plan(plan) if plan.failures.is_empty() => format!("plan: expected {}", plan.expect),
        Cause::Plan(plan) => format!("plan: {}", plan.failures.join("; ")),
        Cause::QueryErrors { count, first } => {
            let noun = if *count == 1 {
                "query error"
            } else {
                "query errors"
            };
            match first {
                Some(first) => format!("{count} {noun} (first: {first})"),
                None => format!("{count} {noun}"),
            }
        }
    }
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
    use crate::config::{Metric, parse_threshold};

    #[test]
    fn thresholds_and_plans_at_a_glance_name_only_what_broke() {
        let mut result = ScenarioResult::unmeasured("q", "g", Status::Fail, String::new());
        assert_eq!(threshold_glance(&result), NONE);
        result.thresholds = vec![
            outcome("p95 < 5ms", true, 1_000.0),
            outcome("errors == 0", true, 0.0),
        ];
        assert_eq!(threshold_glance(&result), "ok");
        result.thresholds[0].ok = false;
        result
            .thresholds
            .push(outcome("p99 < 9ms", false, 10_000.0));
        result
            .thresholds
            .push(outcome("p50 faster_than slow by 5x", false, 2.0));
        assert_eq!(threshold_glance(&result), "✗ p95 +2");
        result.thresholds.truncate(2);
        assert_eq!(threshold_glance(&result), "✗ p95");
        let mut plan = PlanVerdict {
            ok: true,
            ..Default::default()
        };
        assert_eq!(plan_glance(Some(&plan)), "ok");
        plan.drift = Some("changed".into());
        assert_eq!(plan_glance(Some(&plan)), "drift");
        plan.ok = false;
        assert_eq!(plan_glance(Some(&plan)), "✗ plan");
        plan.seq_scans = vec!["public.t".into()];
        assert_eq!(plan_glance(Some(&plan)), "✗ seq scan");
        assert_eq!(plan_glance(None), NONE);
    }

    #[test]
    fn signed_percentages_show_their_sign() {
        assert_eq!(format_signed_percent(12.04), "+12.0%");
        assert_eq!(format_signed_percent(-4.06), "-4.1%");
        assert_eq!(format_signed_percent(0.0), "±0.0%");
    }

    #[test]
    fn a_ratio_gate_reads_as_a_speed_up() {
        let held = outcome("p50 faster_than slow by 5x", true, 8.26);
        assert_eq!(threshold_text(&held), "p50 ≥5x faster than slow ✓");
        let broken = outcome("p50 faster_than slow by 5x", false, 3.04);
        assert_eq!(
            threshold_text(&broken),
            "✗ p50 only 3x faster than slow (< 5x)"
        );
        assert_eq!(format_factor(1.25), "1.3x");
    }

    fn outcome(expr: &str, ok: bool, actual: f64) -> ThresholdOutcome {
        ThresholdOutcome {
            threshold: parse_threshold(expr, Metric::P95).expect("valid threshold"),
            actual: Some(actual),
            ok,
            interval: None,
            paired: None,
        }
    }

    #[test]
    fn a_threshold_without_data_fails_saying_nothing_succeeded() {
        let no_data = ThresholdOutcome {
            actual: None,
            ..outcome("throughput > 50/s", false, 0.0)
        };
        assert_eq!(
            threshold_text(&no_data),
            "✗ throughput > 50/s: no successful iterations"
        );
    }

    #[test]
    fn a_held_threshold_shows_its_expression_and_a_tick() {
        assert_eq!(
            threshold_text(&outcome("p95 < 5ms", true, 66.0)),
            "p95 < 5ms ✓"
        );
        assert_eq!(
            threshold_text(&outcome("p50 <= 100us", true, 66.0)),
            "p50 <= 100µs ✓"
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
            threshold_text(&outcome("p50 <= 1500us", false, 1_720.0)),
            "✗ p50 1.72ms > 1.5ms"
        );
    }

    #[test]
    fn a_failure_reason_names_each_cause_in_order() {
        let broken = [
            outcome("p95 < 5ms", false, 6_000.0),
            outcome("throughput >= 500/s", false, 420.0),
        ];
        let plan = PlanVerdict {
            failures: vec!["no index".into(), "Seq Scan on x".into()],
            ..PlanVerdict::default()
        };
        let causes = [
            Cause::Threshold(&broken[0]),
            Cause::Threshold(&broken[1]),
            Cause::Plan(&plan),
            Cause::QueryErrors {
                count: 3,
                first: Some("canceling statement due to statement timeout"),
            },
        ];
        assert_eq!(
            failure_reason(&causes).as_deref(),
            Some(
                "p95 6.00ms ≥ 5ms; throughput 420.0/s < 500/s; plan: no index; Seq Scan on x; \
                 3 query errors (first: canceling statement due to statement timeout)"
            )
        );
        assert_eq!(failure_reason(&[]), None);
    }

    #[test]
    fn a_plan_without_failures_and_a_single_error_read_naturally() {
        let plan = PlanVerdict {
            expect: "index idx_x".into(),
            ..PlanVerdict::default()
        };
        let one_error = Cause::QueryErrors {
            count: 1,
            first: None,
        };
        assert_eq!(
            failure_reason(&[Cause::Plan(&plan), one_error]).as_deref(),
            Some("plan: expected index idx_x; 1 query error")
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
    fn plan_text_marks_which_plans_ran_when_a_generic_one_did() {
        let timed = |kind, executions, ok| TimedPlan {
            kind,
            executions,
            ok,
            failures: Vec::new(),
        };
        let both = PlanVerdict {
            ok: true,
            timed: vec![
                timed(PlanKind::Custom, 5, true),
                timed(PlanKind::Generic, 995, true),
            ],
            ..PlanVerdict::default()
        };
        assert_eq!(plan_text(Some(&both)), "ok (custom 5 + generic 995)");
        let generic_only = PlanVerdict {
            timed: vec![
                timed(PlanKind::Custom, 0, true),
                timed(PlanKind::Generic, 1000, true),
            ],
            ..both.clone()
        };
        assert_eq!(plan_text(Some(&generic_only)), "ok (generic 1000)");
        let custom_only = PlanVerdict {
            timed: vec![timed(PlanKind::Custom, 1000, true)],
            ..both.clone()
        };
        assert_eq!(plan_text(Some(&custom_only)), "ok");
        let broken = PlanVerdict {
            ok: false,
            failures: vec!["generic plan: Seq Scan on public.gp".into()],
            timed: vec![
                timed(PlanKind::Custom, 5, true),
                timed(PlanKind::Generic, 995, false),
            ],
            ..PlanVerdict::default()
        };
        assert_eq!(
            plan_text(Some(&broken)),
            "✗ generic plan: Seq Scan on public.gp"
        );
    }

    #[test]
    fn truncation_counts_characters_not_bytes() {
        assert_eq!(truncate_chars("µµµµ", 4), "µµµµ");
        assert_eq!(truncate_chars("µµµµµ", 4), "µµµ…");
    }
}
