//! Baselines: load results files saved earlier (one, several, or a directory: a history)
//! and gather the Δ columns the reporters show. Where the gate compared a scenario, its Δ
//! is the change the gate judged (`verdict::regression`: divided by the machine factor, or
//! the paired estimate of an A/B run), so a column never says what the verdict did not;
//! only a scenario the gate did not compare shows the plain difference of the summaries.
//! Must not decide regressions nor change statuses (`app::compare` applies the gate).

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Reporter;
use super::json::JsonReporter;
use super::write::write_atomic;
use crate::results::{LatencySummary, RunReport, ScenarioResult};
use crate::verdict::regression::PercentileChange;

/// How the current run differs from a baseline, scenario by scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// When the baseline run started (RFC 3339), to say what is compared with what.
    pub baseline_started_at: String,
    /// One entry per current scenario that the baseline also measured, in run order.
    pub scenarios: Vec<ScenarioDelta>,
    /// Scenarios in the baseline that this run did not report.
    pub missing_from_current: Vec<String>,
}

/// The latency deltas of one scenario.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ScenarioDeltaValues {
    pub p50: Delta,
    pub p95: Delta,
    pub p99: Delta,
}

/// One scenario's deltas; `None` when either side has no latency (skipped, errored).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioDelta {
    pub name: String,
    pub deltas: Option<ScenarioDeltaValues>,
}

/// One percentile, then and now.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Delta {
    pub baseline_us: u64,
    pub current_us: u64,
    /// `current - baseline`, in microseconds; positive is slower.
    pub change_us: i64,
    /// The change relative to the baseline; `None` when the baseline is 0.
    pub change_percent: Option<f64>,
}

impl Delta {
    /// The difference between a baseline value and a current one.
    pub fn between(baseline_us: u64, current_us: u64) -> Self {
        let change_us = current_us as i64 - baseline_us as i64;
        let change_percent =
            (baseline_us > 0).then(|| change_us as f64 * 100.0 / baseline_us as f64);
        Delta {
            baseline_us,
            current_us,
            change_us,
            change_percent,
        }
    }
}

impl Delta {
    /// The change a comparison judged: the baseline's value, this run's as measured, and
    /// the change after the machine factor (or the paired estimate).
    pub fn judged(change: &PercentileChange) -> Self {
        Delta {
            baseline_us: change.baseline_us.round() as u64,
            current_us: change.current_us.round() as u64,
            change_us: change.change_us.round() as i64,
            change_percent: change.change_percent,
        }
    }
}

impl Comparison {
    /// The deltas of a scenario; `None` when the baseline did not have it (a new scenario).
    pub fn scenario(&self, name: &str) -> Option<&ScenarioDelta> {
        self.scenarios.iter().find(|delta| delta.name == name)
    }
}

/// Reads a results file written by `--json` or `--save-baseline` (the shared loader).
pub use crate::saved::load_baseline;

/// How many of the newest runs a history keeps.
pub const HISTORY_RUNS: usize = 10;

/// A baseline run and the file it came from.
pub type BaselineRun = crate::saved::SavedRun;

/// Loads every baseline: each path is a results file or a directory whose `*.json` files
/// are results files. Oldest first by `started_at`, at most the newest [`HISTORY_RUNS`].
pub fn load_baselines(paths: &[PathBuf]) -> crate::Result<Vec<BaselineRun>> {
    let mut runs = crate::saved::load_history(paths, crate::saved::BASELINE)?;
    let keep_from = runs.len().saturating_sub(HISTORY_RUNS);
    Ok(runs.split_off(keep_from))
}

/// Saves `report` as a baseline (the same JSON as `--json`), atomically.
pub fn save_baseline(path: &Path, report: &RunReport) -> crate::Result<()> {
    write_atomic(path, &JsonReporter.render(report)?)
}

/// Compares each current scenario with the baseline scenario of the same name (the Δ
/// columns; the gate's verdict is each scenario's `baseline` field).
pub fn compare(current: &RunReport, baseline: &RunReport) -> Comparison {
    let scenarios = current
        .scenarios
        .iter()
        .filter_map(|now| {
            let then = baseline
                .scenarios
                .iter()
                .find(|then| then.name == now.name)?;
            let deltas = judged_deltas(now).or_else(|| match (&then.latency_us, &now.latency_us) {
                (Some(then), Some(now)) => Some(latency_deltas(then, now)),
                _ => None,
            });
            Some(ScenarioDelta {
                name: now.name.clone(),
                deltas,
            })
        })
        .collect();
    let missing_from_current = baseline
        .scenarios
        .iter()
        .filter(|then| !current.scenarios.iter().any(|now| now.name == then.name))
        .map(|then| then.name.clone())
        .collect();
    Comparison {
        baseline_started_at: baseline.started_at.clone(),
        scenarios,
        missing_from_current,
    }
}

/// The changes the gate judged for `now`, when it compared all three percentiles.
fn judged_deltas(now: &ScenarioResult) -> Option<ScenarioDeltaValues> {
    let percentiles = &now.baseline.as_ref()?.percentiles;
    let delta = |name: &str| {
        percentiles
            .iter()
            .find(|p| p.percentile == name)
            .map(Delta::judged)
    };
    Some(ScenarioDeltaValues {
        p50: delta("p50")?,
        p95: delta("p95")?,
        p99: delta("p99")?,
    })
}

fn latency_deltas(then: &LatencySummary, now: &LatencySummary) -> ScenarioDeltaValues {
    ScenarioDeltaValues {
        p50: Delta::between(then.p50, now.p50),
        p95: Delta::between(then.p95, now.p95),
        p99: Delta::between(then.p99, now.p99),
    }
}

/// A delta as people read it: `+1.20ms (+12.0%)`, `-850µs (-4.1%)`.
pub fn delta_text(delta: &Delta) -> String {
    let change = super::units::format_signed_latency_us(delta.change_us as f64);
    match delta.change_percent {
        Some(percent) => format!(
            "{change} ({})",
            super::cells::format_signed_percent(percent)
        ),
        None => change,
    }
}

/// The Δ p95 cell of a scenario: a delta, `new` when the baseline lacks it, `—` without latency.
pub fn p95_delta_cell(comparison: &Comparison, name: &str) -> String {
    match comparison.scenario(name) {
        None => "new".to_string(),
        Some(ScenarioDelta { deltas: None, .. }) => super::cells::NONE.to_string(),
        Some(ScenarioDelta {
            deltas: Some(values),
            ..
        }) => delta_text(&values.p95),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::Status;
    use crate::verdict::regression::{BaselineComparison, Change, Method};

    #[test]
    fn a_delta_is_signed_and_relative_to_the_baseline() {
        let slower = Delta::between(1_000, 1_250);
        assert_eq!(slower.change_us, 250);
        assert_eq!(slower.change_percent, Some(25.0));
        assert_eq!(delta_text(&slower), "+250µs (+25.0%)");
        let faster = Delta::between(10_000, 8_800);
        assert_eq!(delta_text(&faster), "-1.20ms (-12.0%)");
        let from_zero = Delta::between(0, 5);
        assert_eq!(from_zero.change_percent, None);
        assert_eq!(delta_text(&from_zero), "+5µs");
    }

    fn run_with(name: &str, p95: u64) -> RunReport {
        let mut result = ScenarioResult::unmeasured(name, "g", Status::Pass, String::new());
        result.latency_us = Some(LatencySummary {
            p50: p95 / 2,
            p95,
            p99: p95 * 2,
            ..Default::default()
        });
        let mut report = RunReport::default();
        report.scenarios.push(result);
        report
    }

    #[test]
    fn a_compared_scenario_shows_the_change_the_gate_judged_not_the_raw_difference() {
        let (then, mut now) = (run_with("q", 1_000), run_with("q", 1_500));
        // Raw: +50%. The machine was 1.4× slower: the gate judged +7.1%.
        assert_eq!(
            p95_delta_cell(&compare(&now, &then), "q"),
            "+500µs (+50.0%)"
        );
        let judged = |percentile: &str, base: f64| PercentileChange {
            percentile: percentile.into(),
            baseline_us: base,
            current_us: base * 1.5,
            change_us: base * 0.0714,
            change_percent: Some(7.14),
            interval_us: None,
            z_score: None,
            machine_factor: Some(1.4),
            verdict: Change::Unchanged,
            judged: true,
        };
        now.scenarios[0].baseline = Some(BaselineComparison {
            method: Method::Bootstrap,
            runs: 1,
            limits: Default::default(),
            percentiles: vec![
                judged("p50", 500.0),
                judged("p95", 1000.0),
                judged("p99", 2000.0),
            ],
            buffers: None,
            plan: None,
            verdict: Change::Unchanged,
        });
        assert_eq!(p95_delta_cell(&compare(&now, &then), "q"), "+71µs (+7.1%)");
    }
}
