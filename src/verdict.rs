//! Thresholds evaluated on a latency summary, and a scenario's status with its typed
//! causes. Pure: no I/O. Must not measure, print, format text (report/ renders the causes)
//! or decide skips/errors (the engine knows when a scenario could not run); this only
//! judges what was measured. Ratio gates between two scenarios are in `ratio`.

pub mod definition;
pub mod machine;
pub mod plan_change;
pub mod ratio;
pub mod regression;

use crate::config::{Metric, ThresholdExpr};
use crate::exit_code;
use crate::results::{LatencySummary, PlanVerdict, Status, Summary, ThresholdOutcome};

/// What a scenario run measured, as thresholds see it.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Observed {
    /// Of the successful iterations.
    pub latency: LatencySummary,
    /// Successful iterations: latency and throughput mean nothing without one.
    pub successes: u64,
    pub errors: u64,
    /// Successful iterations per second.
    pub throughput_per_s: f64,
    /// Shared buffers per execution from the plan; `None` when the plan was not explained.
    pub buffers: Option<u64>,
}

impl Observed {
    /// The measured value of `metric`: microseconds, an error count or a rate per second.
    /// `None` ("no data") for latency and throughput when no iteration succeeded.
    fn value_of(&self, metric: Metric) -> Option<f64> {
        let latency = &self.latency;
        if metric == Metric::Errors {
            return Some(self.errors as f64);
        }
        if self.successes == 0 {
            return None;
        }
        Some(match metric {
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
            // Unknown buffers break any `buffers` threshold (NaN compares false).
            Metric::Buffers => self.buffers.map_or(f64::NAN, |b| b as f64),
        })
    }
}

/// Checks every threshold against what was measured, in order. A threshold with no
/// data to judge (no successful iteration) fails. Ratio gates are left out: they need the
/// other scenario too, and `ratio::apply_ratio_gates` judges them once all are measured.
pub fn evaluate(thresholds: &[ThresholdExpr], observed: &Observed) -> Vec<ThresholdOutcome> {
    thresholds
        .iter()
        .filter(|threshold| !threshold.is_ratio())
        .map(|threshold| {
            let actual = observed.value_of(threshold.metric);
            ThresholdOutcome {
                threshold: threshold.clone(),
                actual,
                ok: actual.is_some_and(|value| threshold.comparison.holds(value, threshold.limit)),
                interval: None,
                paired: None,
            }
        })
        .collect()
}

/// One reason a scenario failed, as data; `report::reason` puts it in words.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cause<'a> {
    /// A threshold that did not hold.
    Threshold(&'a ThresholdOutcome),
    /// A plan check that failed (expectations or drift).
    Plan(&'a PlanVerdict),
    /// Query errors while no `errors` threshold decides how many are acceptable.
    QueryErrors { count: u64, first: Option<&'a str> },
}

/// A scenario's status and everything that made it fail (empty on pass).
#[derive(Debug, Clone, PartialEq)]
pub struct Decision<'a> {
    pub status: Status,
    pub causes: Vec<Cause<'a>>,
}

/// Pass, or fail with every cause: each broken threshold, the plan, and query errors.
///
/// Query errors fail a scenario unless an `errors` threshold is set: then that threshold
/// alone decides how many errors are acceptable.
pub fn decide_status<'a>(
    outcomes: &'a [ThresholdOutcome],
    plan: Option<&'a PlanVerdict>,
    errors: u64,
    first_error: Option<&'a str>,
) -> Decision<'a> {
    let mut causes: Vec<Cause> = outcomes
        .iter()
        .filter(|outcome| !outcome.ok)
        .map(Cause::Threshold)
        .collect();
    if let Some(plan) = plan.filter(|plan| !plan.ok) {
        causes.push(Cause::Plan(plan));
    }
    let errors_gated = outcomes
        .iter()
        .any(|outcome| outcome.threshold.metric == Metric::Errors);
    if errors > 0 && !errors_gated {
        causes.push(Cause::QueryErrors {
            count: errors,
            first: first_error,
        });
    }
    let status = if causes.is_empty() {
        Status::Pass
    } else {
        Status::Fail
    };
    Decision { status, causes }
}

/// 1 when any scenario failed or errored, or was skipped under `--strict`; else 0.
pub fn gate_exit_code(summary: &Summary, strict: bool) -> i32 {
    if summary.fail > 0 || summary.error > 0 || (strict && summary.skip > 0) {
        exit_code::GATE_FAILED
    } else {
        exit_code::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Comparison, parse_threshold};

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
            successes: 100,
            errors: 3,
            throughput_per_s: 420.0,
            buffers: Some(77),
        }
    }

    fn outcome(expr: &str, ok: bool, actual: f64) -> ThresholdOutcome {
        ThresholdOutcome {
            threshold: threshold(expr),
            actual: Some(actual),
            ok,
            interval: None,
            paired: None,
        }
    }

    #[test]
    fn latency_and_throughput_thresholds_without_a_success_fail_with_no_data() {
        let nothing = Observed {
            errors: 4,
            ..Default::default()
        };
        let thresholds = [
            threshold("p95 < 5ms"),
            threshold("throughput > 0/s"),
            threshold("errors < 10"),
        ];
        let outcomes = evaluate(&thresholds, &nothing);
        assert_eq!(
            outcomes
                .iter()
                .map(|o| (o.actual, o.ok))
                .collect::<Vec<_>>(),
            [(None, false), (None, false), (Some(4.0), true)]
        );
        let decision = decide_status(&outcomes, None, 4, Some("x"));
        assert_eq!(decision.status, Status::Fail);
        assert_eq!(
            decision.causes,
            [
                Cause::Threshold(&outcomes[0]),
                Cause::Threshold(&outcomes[1])
            ]
        );
    }

    #[test]
    fn every_metric_reads_its_own_measurement() {
        let observed = observed();
        let value = |metric| observed.value_of(metric).unwrap();
        assert_eq!(value(Metric::Min), 40.0);
        assert_eq!(value(Metric::Mean), 52.5);
        assert_eq!(value(Metric::P50), 50.0);
        assert_eq!(value(Metric::P90), 61.0);
        assert_eq!(value(Metric::P95), 12_300.0);
        assert_eq!(value(Metric::P99), 90.0);
        assert_eq!(value(Metric::P999), 140.0);
        assert_eq!(value(Metric::Max), 2_500_000.0);
        assert_eq!(value(Metric::Errors), 3.0);
        assert_eq!(value(Metric::Throughput), 420.0);
        assert_eq!(value(Metric::Buffers), 77.0);
        let unexplained = Observed::default();
        assert!(!evaluate(&[threshold("buffers <= 100")], &unexplained)[0].ok);
    }

    #[test]
    fn evaluate_checks_each_threshold_in_order_keeping_it_typed() {
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
        assert_eq!(outcomes[2].threshold.metric, Metric::Throughput);
        assert_eq!(outcomes[2].threshold.limit, 500.0);
    }

    #[test]
    fn a_limit_equal_to_the_measurement_follows_the_comparison() {
        let at_limit = Observed {
            latency: LatencySummary {
                p95: 5_000,
                ..Default::default()
            },
            successes: 1,
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
        let decision = decide_status(&outcomes, Some(&plan), 0, None);
        assert_eq!((decision.status, decision.causes), (Status::Pass, vec![]));
        assert_eq!(decide_status(&[], None, 0, None).status, Status::Pass);
    }

    #[test]
    fn every_broken_part_is_a_cause_in_order() {
        let outcomes = [
            outcome("p95 < 5ms", false, 6_000.0),
            outcome("p50 < 5ms", true, 60.0),
            outcome("max < 1s", false, 2_500_000.0),
        ];
        let plan = PlanVerdict {
            ok: false,
            failures: vec!["no index".into()],
            ..Default::default()
        };
        let decision = decide_status(&outcomes, Some(&plan), 2, Some("boom"));
        assert_eq!(decision.status, Status::Fail);
        assert_eq!(
            decision.causes,
            [
                Cause::Threshold(&outcomes[0]),
                Cause::Threshold(&outcomes[2]),
                Cause::Plan(&plan),
                Cause::QueryErrors {
                    count: 2,
                    first: Some("boom")
                },
            ]
        );
    }

    #[test]
    fn query_errors_alone_fail() {
        let decision = decide_status(&[], None, 1, None);
        assert_eq!(decision.status, Status::Fail);
        assert_eq!(
            decision.causes,
            [Cause::QueryErrors {
                count: 1,
                first: None
            }]
        );
    }

    #[test]
    fn an_errors_threshold_decides_alone_how_many_errors_are_acceptable() {
        let tolerated = [outcome("errors <= 5", true, 3.0)];
        let decision = decide_status(&tolerated, None, 3, Some("x"));
        assert_eq!((decision.status, decision.causes), (Status::Pass, vec![]));
        let broken = [outcome("errors == 0", false, 3.0)];
        assert_eq!(
            decide_status(&broken, None, 3, Some("x")).causes,
            [Cause::Threshold(&broken[0])]
        );
    }

    #[test]
    fn gate_exit_code_fails_on_fail_error_and_strict_skip() {
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
}
