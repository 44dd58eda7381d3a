//! Thresholds evaluated on a latency summary, and a scenario's status. Pure: no I/O.
//! Must not measure, print or decide skips/errors (the engine knows when a scenario
//! could not run); this only judges what was measured.

use crate::config::{Metric, ThresholdExpr, parse_threshold};
use crate::exit_code;
use crate::results::{LatencySummary, PlanVerdict, Status, Summary, ThresholdOutcome};

/// What a scenario run measured, as thresholds see it.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Observed {
    pub latency: LatencySummary,
    pub errors: u64,
    pub throughput_per_s: f64,
}

impl Observed {
    /// The measured value of `metric`: microseconds, an error count or a rate per second.
    pub fn value_of(&self, metric: Metric) -> f64 {
        let latency = &self.latency;
        match metric {
            Metric::Min => latency.min as f64,
            Metric::Mean => latency.mean,
            Metric::P50 => latency.p50 as f64,
            Metric::P90 => latency.p90 as f64,
            Metric::P95 => latency.p95 as f64,
            Metric::P99 => latency.p99 as f64,
            Metric::P999 => latency.p99_9 as f64,
            Metric::Max => latency.max as f64,
            Metric::Errors => self.errors as f64,
            Metric::Throughput => self.throughput_per_s,
        }
    }
}

/// Checks every threshold against what was measured, in order.
pub fn evaluate(thresholds: &[ThresholdExpr], observed: &Observed) -> Vec<ThresholdOutcome> {
    thresholds
        .iter()
        .map(|threshold| {
            let actual = observed.value_of(threshold.metric);
            ThresholdOutcome {
                expr: threshold.text.clone(),
                ok: threshold.comparison.holds(actual, threshold.limit),
                actual_us: actual,
            }
        })
        .collect()
}

/// Pass, or fail with a reason naming everything broken: each threshold ("p95 12.3ms ≥ 5ms"),
/// the plan, and query errors (count and first error).
///
/// Query errors fail a scenario unless an `errors` threshold is set: then that threshold
/// alone decides how many errors are acceptable.
pub fn decide_status(
    outcomes: &[ThresholdOutcome],
    plan: Option<&PlanVerdict>,
    errors: u64,
    first_error: Option<&str>,
) -> (Status, Option<String>) {
    let mut reasons: Vec<String> = outcomes
        .iter()
        .filter(|o| !o.ok)
        .map(describe_broken)
        .collect();
    if let Some(plan) = plan.filter(|plan| !plan.ok) {
        reasons.push(describe_plan(plan));
    }
    let errors_gated = outcomes
        .iter()
        .any(|outcome| outcome.expr.starts_with("errors "));
    if errors > 0 && !errors_gated {
        let noun = if errors == 1 {
            "query error"
        } else {
            "query errors"
        };
        reasons.push(match first_error {
            Some(first) => format!("{errors} {noun} (first: {first})"),
            None => format!("{errors} {noun}"),
        });
    }
    if reasons.is_empty() {
        (Status::Pass, None)
    } else {
        (Status::Fail, Some(reasons.join("; ")))
    }
}

/// Exit 1 when any scenario failed or errored, or was skipped under `--strict`; else 0.
pub fn gate_exit_code(summary: &Summary, strict: bool) -> i32 {
    if summary.fail > 0 || summary.error > 0 || (strict && summary.skip > 0) {
        exit_code::GATE_FAILED
    } else {
        exit_code::SUCCESS
    }
}

/// "p95 12.3ms ≥ 5ms", from the canonical expression and the measured value.
fn describe_broken(outcome: &ThresholdOutcome) -> String {
    match parse_threshold(&outcome.expr, Metric::P95) {
        Ok(expr) => format!(
            "{} {} {} {}",
            expr.metric.name(),
            format_value(expr.metric, outcome.actual_us),
            expr.comparison.broken_symbol(),
            format_value(expr.metric, expr.limit)
        ),
        Err(_) => format!(
            "threshold `{}` broken (measured {})",
            outcome.expr, outcome.actual_us
        ),
    }
}

fn describe_plan(plan: &PlanVerdict) -> String {
    if plan.failures.is_empty() {
        format!("plan: expected {}", plan.expect)
    } else {
        format!("plan: {}", plan.failures.join("; "))
    }
}

/// A measured value in the unit a reader expects: "850us", "12.3ms", "1.5s", "3", "420/s".
pub fn format_value(metric: Metric, value: f64) -> String {
    match metric {
        Metric::Errors => format!("{value}"),
        Metric::Throughput => format!("{}/s", trim_number(value)),
        _ if value < 1_000.0 => format!("{}us", trim_number(value)),
        _ if value < 1_000_000.0 => format!("{}ms", trim_number(value / 1_000.0)),
        _ => format!("{}s", trim_number(value / 1_000_000.0)),
    }
}

/// At most three decimals, without trailing zeros.
fn trim_number(value: f64) -> String {
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Comparison;

    fn threshold(text: &str) -> ThresholdExpr {
        parse_threshold(text, Metric::P95).expect("valid threshold")
    }

    fn observed() -> Observed {
        Observed {
            latency: LatencySummary {
                min: 40,
                mean: 52.5,
                p50: 50,
                p90: 61,
                p95: 12_300,
                p99: 90,
                p99_9: 140,
                max: 2_500_000,
                stddev: 3.0,
            },
            errors: 3,
            throughput_per_s: 420.0,
        }
    }

    fn outcome(expr: &str, ok: bool, actual: f64) -> ThresholdOutcome {
        ThresholdOutcome {
            expr: expr.to_string(),
            ok,
            actual_us: actual,
        }
    }

    #[test]
    fn every_metric_reads_its_own_measurement() {
        let observed = observed();
        assert_eq!(observed.value_of(Metric::Min), 40.0);
        assert_eq!(observed.value_of(Metric::Mean), 52.5);
        assert_eq!(observed.value_of(Metric::P50), 50.0);
        assert_eq!(observed.value_of(Metric::P90), 61.0);
        assert_eq!(observed.value_of(Metric::P95), 12_300.0);
        assert_eq!(observed.value_of(Metric::P99), 90.0);
        assert_eq!(observed.value_of(Metric::P999), 140.0);
        assert_eq!(observed.value_of(Metric::Max), 2_500_000.0);
        assert_eq!(observed.value_of(Metric::Errors), 3.0);
        assert_eq!(observed.value_of(Metric::Throughput), 420.0);
    }

    #[test]
    fn evaluate_checks_each_threshold_in_order() {
        let thresholds = [
            threshold("5ms"),
            threshold("p50 < 1ms"),
            threshold("throughput > 500/s"),
        ];
        let outcomes = evaluate(&thresholds, &observed());
        assert_eq!(
            outcomes,
            [
                outcome("p95 < 5ms", false, 12_300.0),
                outcome("p50 < 1ms", true, 50.0),
                outcome("throughput > 500/s", false, 420.0),
            ]
        );
    }

    #[test]
    fn a_limit_equal_to_the_measurement_follows_the_comparison() {
        let at_limit = Observed {
            latency: LatencySummary {
                p95: 5_000,
                ..Default::default()
            },
            ..Default::default()
        };
        assert!(!evaluate(&[threshold("p95 < 5ms")], &at_limit)[0].ok);
        assert!(evaluate(&[threshold("p95 <= 5ms")], &at_limit)[0].ok);
        assert_eq!(threshold("p95 <= 5ms").comparison, Comparison::Le);
    }

    #[test]
    fn all_thresholds_held_and_no_errors_is_a_pass() {
        let outcomes = [outcome("p95 < 5ms", true, 66.0)];
        let plan = PlanVerdict {
            ok: true,
            ..Default::default()
        };
        assert_eq!(
            decide_status(&outcomes, Some(&plan), 0, None),
            (Status::Pass, None)
        );
        assert_eq!(decide_status(&[], None, 0, None), (Status::Pass, None));
    }

    #[test]
    fn a_broken_threshold_fails_naming_measurement_and_limit() {
        let outcomes = [
            outcome("p95 < 5ms", false, 12_300.0),
            outcome("max < 1s", false, 2_500_000.0),
        ];
        let (status, reason) = decide_status(&outcomes, None, 0, None);
        assert_eq!(status, Status::Fail);
        assert_eq!(reason.as_deref(), Some("p95 12.3ms ≥ 5ms; max 2.5s ≥ 1s"));
        let slow = [
            outcome("throughput >= 500/s", false, 420.0),
            outcome("p50 <= 100us", false, 850.0),
        ];
        assert_eq!(
            decide_status(&slow, None, 0, None).1.as_deref(),
            Some("throughput 420/s < 500/s; p50 850us > 100us")
        );
    }

    #[test]
    fn a_broken_plan_fails_with_its_failures() {
        let plan = PlanVerdict {
            ok: false,
            expect: "index idx_x".into(),
            failures: vec!["Seq Scan on tech_research".into()],
            ..Default::default()
        };
        let (status, reason) = decide_status(&[], Some(&plan), 0, None);
        assert_eq!(
            (status, reason.as_deref()),
            (Status::Fail, Some("plan: Seq Scan on tech_research"))
        );
        let bare = PlanVerdict {
            ok: false,
            expect: "index idx_x".into(),
            ..Default::default()
        };
        assert_eq!(
            decide_status(&[], Some(&bare), 0, None).1.as_deref(),
            Some("plan: expected index idx_x")
        );
    }

    #[test]
    fn query_errors_fail_with_count_and_first_error() {
        let (status, reason) = decide_status(
            &[],
            None,
            3,
            Some("canceling statement due to statement timeout"),
        );
        assert_eq!(status, Status::Fail);
        assert_eq!(
            reason.as_deref(),
            Some("3 query errors (first: canceling statement due to statement timeout)")
        );
        assert_eq!(
            decide_status(&[], None, 1, None).1.as_deref(),
            Some("1 query error")
        );
    }

    #[test]
    fn an_errors_threshold_decides_alone_how_many_errors_are_acceptable() {
        let tolerated = [outcome("errors <= 5", true, 3.0)];
        assert_eq!(
            decide_status(&tolerated, None, 3, Some("x")),
            (Status::Pass, None)
        );
        let broken = [outcome("errors == 0", false, 3.0)];
        assert_eq!(
            decide_status(&broken, None, 3, Some("x")).1.as_deref(),
            Some("errors 3 ≠ 0")
        );
    }

    #[test]
    fn every_broken_part_is_named_together() {
        let plan = PlanVerdict {
            ok: false,
            failures: vec!["no index".into()],
            ..Default::default()
        };
        let (_, reason) = decide_status(
            &[outcome("p95 < 5ms", false, 6_000.0)],
            Some(&plan),
            2,
            Some("boom"),
        );
        assert_eq!(
            reason.as_deref(),
            Some("p95 6ms ≥ 5ms; plan: no index; 2 query errors (first: boom)")
        );
    }

    #[test]
    fn gate_exit_code_is_1_on_failure_error_or_strict_skip() {
        let summary = |pass, fail, skip, error| Summary {
            pass,
            fail,
            skip,
            error,
        };
        assert_eq!(gate_exit_code(&summary(14, 0, 0, 0), false), 0);
        assert_eq!(gate_exit_code(&summary(14, 0, 0, 0), true), 0);
        assert_eq!(gate_exit_code(&summary(9, 0, 5, 0), false), 0);
        assert_eq!(gate_exit_code(&summary(9, 0, 5, 0), true), 1);
        assert_eq!(gate_exit_code(&summary(13, 1, 0, 0), false), 1);
        assert_eq!(gate_exit_code(&summary(13, 0, 0, 1), false), 1);
        assert_eq!(gate_exit_code(&Summary::default(), true), 0);
    }

    #[test]
    fn values_are_formatted_in_a_readable_unit() {
        assert_eq!(format_value(Metric::P95, 850.0), "850us");
        assert_eq!(format_value(Metric::P95, 5_040.0), "5.04ms");
        assert_eq!(format_value(Metric::Mean, 52.25), "52.25us");
        assert_eq!(format_value(Metric::Max, 1_500_000.0), "1.5s");
        assert_eq!(format_value(Metric::Errors, 0.0), "0");
        assert_eq!(format_value(Metric::Throughput, 499.5), "499.5/s");
    }
}
