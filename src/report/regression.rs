//! Puts a scenario's comparison with its baseline into words: the failure reason of a
//! regression, one line per compared scenario, and a note on the method. Must not decide
//! regressions (`verdict::regression` does) nor escape markup (each reporter does).

use super::cells::format_signed_percent;
use super::units::{format_latency_us, format_signed_latency_us};
use crate::results::{RunReport, ScenarioResult};
use crate::verdict::machine::{MachineReference, RunWideChange};
use crate::verdict::regression::{
    BaselineComparison, BuffersChange, Change, Method, PercentileChange, PlanChange,
};

/// Why the gate failed a scenario: the regressed percentiles and buffers with their numbers.
pub fn regression_reason(comparison: &BaselineComparison) -> String {
    let mut parts: Vec<String> = comparison
        .percentiles
        .iter()
        .filter(|p| p.verdict == Change::Regression)
        .map(|p| percentile_text(p, comparison.limits.confidence))
        .collect();
    if let Some(buffers) = comparison
        .buffers
        .filter(|b| b.verdict == Change::Regression)
    {
        let limit = comparison.limits.max_buffers_ratio;
        parts.push(format!("{}, limit {limit}×", buffers_text(&buffers)));
    }
    if let Some(plan) = comparison
        .plan
        .as_ref()
        .filter(|p| p.verdict == Change::Regression)
    {
        parts.push(plan_text(plan));
    }
    let against = match comparison.method {
        Method::Paired => "regression against the base (A/B)",
        _ => "regression against the baseline",
    };
    format!("{against}: {}", parts.join("; "))
}

/// `99.955%` for 0.99955: the confidence as a percentage, without trailing zeros.
pub fn confidence_text(confidence: f64) -> String {
    let text = format!("{:.3}", confidence * 100.0);
    format!("{}%", text.trim_end_matches('0').trim_end_matches('.'))
}

/// `p95 +120µs (+35.0%, 95% interval +80µs … +160µs)`; with a history also the z-score.
fn percentile_text(change: &PercentileChange, confidence: f64) -> String {
    let mut details = vec![];
    if let Some(percent) = change.change_percent {
        details.push(format_signed_percent(percent));
    }
    if let Some(interval) = change.interval_us {
        details.push(format!(
            "{} interval {} … {}",
            confidence_text(confidence),
            format_signed_latency_us(interval.low),
            format_signed_latency_us(interval.high)
        ));
    }
    if let Some(z) = change.z_score {
        details.push(format!("z {z:+.1}"));
    }
    if !change.judged {
        details.push("not judged: too few iterations beyond it".to_string());
    }
    format!(
        "{} {} → {} {} ({})",
        change.percentile,
        format_latency_us(change.baseline_us),
        format_latency_us(change.current_us),
        format_signed_latency_us(change.change_us),
        details.join(", ")
    )
}

/// `buffers 4 → 12 (3.00×)`.
fn buffers_text(buffers: &BuffersChange) -> String {
    match buffers.ratio {
        Some(ratio) => format!(
            "buffers {} → {} ({ratio:.2}×)",
            buffers.baseline, buffers.current
        ),
        None => format!("buffers {} → {}", buffers.baseline, buffers.current),
    }
}

/// `plan: seq scan on public.t on the target; index idx_t_a used on the base only`.
pub fn plan_text(plan: &PlanChange) -> String {
    let mut parts = Vec::new();
    if !plan.new_seq_scans.is_empty() {
        parts.push(format!(
            "seq scan on {} on the target, not on the base",
            plan.new_seq_scans.join(", ")
        ));
    }
    if !plan.lost_indexes.is_empty() {
        parts.push(format!(
            "index {} used on the base, not on the target",
            plan.lost_indexes.join(", ")
        ));
    }
    if !plan.new_indexes.is_empty() {
        parts.push(format!(
            "index {} used on the target only",
            plan.new_indexes.join(", ")
        ));
    }
    format!("plan: {}", parts.join("; "))
}

/// The verdict as a word: `regression`, `improvement`, `unchanged`.
fn change_word(change: Change) -> &'static str {
    match change {
        Change::Regression => "regression",
        Change::Improvement => "improvement",
        Change::Unchanged => "unchanged",
    }
}

/// One line per compared scenario: `name: regression — p50 … · p95 … · p99 … · buffers …`.
pub fn comparison_lines(report: &RunReport) -> Vec<String> {
    report
        .scenarios
        .iter()
        .filter_map(|result| Some((result, result.baseline.as_ref()?)))
        .map(|(result, comparison)| comparison_line(result, comparison))
        .collect()
}

fn comparison_line(result: &ScenarioResult, comparison: &BaselineComparison) -> String {
    let confidence = comparison.limits.confidence;
    let mut parts: Vec<String> = comparison
        .percentiles
        .iter()
        .map(|p| percentile_text(p, confidence))
        .collect();
    parts.extend(comparison.buffers.as_ref().map(buffers_text));
    parts.extend(comparison.plan.as_ref().map(plan_text));
    format!(
        "{}: {} — {}",
        result.name,
        change_word(comparison.verdict),
        parts.join(" · ")
    )
}

/// How the comparison was made and its limits, from the first compared scenario.
pub fn method_note(report: &RunReport) -> Option<String> {
    let comparison = report.scenarios.iter().find_map(|r| r.baseline.as_ref())?;
    let method = match comparison.method {
        Method::Bootstrap => "1 baseline run, bootstrap of both runs' windows".to_string(),
        Method::History => format!(
            "{} baseline runs, spread between runs (t prediction interval)",
            comparison.runs
        ),
        Method::Paired => {
            let base = report
                .against
                .as_ref()
                .map_or("--against".to_string(), |b| b.database.target.clone());
            format!(
                "{base} in pairs (A/B: both sides alternated on the same clients and draws, \
                 interval over the measurement windows)"
            )
        }
    };
    let limits = comparison.limits;
    let machine = match (comparison.method, &report.run_change) {
        (Method::Paired, _) => String::new(),
        (_, Some(change)) => format!(" {}", run_change_line(change)),
        (_, None) => String::new(),
    };
    Some(format!(
        "Compared with {method}; a regression is > +{}% with a {} lower bound > {}, \
         or buffers > {}× (default limits); improvements never fail.{machine}",
        limits.max_percent,
        confidence_text(limits.confidence),
        format_latency_us(limits.min_us),
        limits.max_buffers_ratio
    ))
}

/// `server work ×1.02 (±4%; round trip ×1.10)`.
fn machine_text(machine: &MachineReference) -> String {
    let round_trip = machine
        .round_trip_factor
        .map_or(String::new(), |f| format!("; round trip ×{f:.2}, not used"));
    format!(
        "server work ×{:.2} (±{:.0}%{round_trip})",
        machine.work_factor,
        machine.log_spread.exp_m1() * 100.0
    )
}

/// The machine reference and the whole run's change, in one sentence.
pub fn run_change_line(change: &RunWideChange) -> String {
    let median = format_signed_percent(change.median_change_percent);
    match &change.machine {
        Some(machine) => format!(
            "Machine reference {}: the scenarios' own p50 change (median over {}) is {median} \
             after dividing by it{}.",
            machine_text(machine),
            change.scenarios,
            if change.verdict == Change::Regression {
                ", a regression of the whole run"
            } else {
                ""
            }
        ),
        None => format!(
            "No machine reference in the baseline (saved by an older version): the scenarios' \
             p50 moved {median} (median over {}) on a machine whose own change is unknown{}.",
            change.scenarios,
            if change.verdict == Change::Regression {
                ", a regression of the whole run"
            } else {
                ""
            }
        ),
    }
}

/// Why the whole run fails a scenario: `every scenario is 1.50× slower (median over 8)
/// while the machine reference moved ×1.03`.
pub fn run_change_reason(change: &RunWideChange) -> String {
    let times = 1.0 + change.median_change_percent / 100.0;
    let machine = change
        .machine
        .as_ref()
        .map_or("no machine reference to explain it".to_string(), |m| {
            format!("the machine reference moved {}", machine_text(m))
        });
    format!(
        "regression of the whole run: the scenarios are {times:.2}× slower (median over {}) \
         while {machine}",
        change.scenarios
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confidences_read_as_short_percentages() {
        assert_eq!(confidence_text(0.95), "95%");
        assert_eq!(confidence_text(0.999_55), "99.955%");
        assert_eq!(confidence_text(0.999), "99.9%");
    }
    use crate::stats::Interval;
    use crate::verdict::regression::RegressionLimits;

    fn comparison() -> BaselineComparison {
        BaselineComparison {
            method: Method::Bootstrap,
            runs: 1,
            limits: RegressionLimits::default(),
            percentiles: vec![PercentileChange {
                percentile: "p95".into(),
                baseline_us: 400.0,
                current_us: 520.0,
                change_us: 120.0,
                change_percent: Some(30.0),
                interval_us: Some(Interval {
                    low: 80.0,
                    high: 160.0,
                }),
                z_score: None,
                machine_factor: None,
                verdict: Change::Regression,
                judged: true,
            }],
            buffers: Some(BuffersChange {
                baseline: 4,
                current: 12,
                ratio: Some(3.0),
                verdict: Change::Regression,
            }),
            plan: None,
            verdict: Change::Regression,
        }
    }

    #[test]
    fn a_regression_reason_carries_the_numbers() {
        assert_eq!(
            regression_reason(&comparison()),
            "regression against the baseline: p95 400µs → 520µs +120µs (+30.0%, 95% interval +80µs … +160µs); \
             buffers 4 → 12 (3.00×), limit 1.5×"
        );
    }
}
