//! Regression decisions against a baseline: one run (seeded bootstrap of both runs'
//! measurement windows, or of their histograms when windows are missing) or a history of
//! runs (spread between runs), after dividing out the machine's own change measured by
//! the reference probes of both runs (`MachineReference`); an A/B run pairs its two sides
//! window by window instead (`compare_paired`). A change of the whole run that the
//! reference does not explain is judged on its own (`run_wide_change`). A percentile regresses when its relative
//! change exceeds `max_percent` and the lower bound of its interval (at the limits'
//! confidence: 95% shared by all the comparisons of a run) exceeds `min_us`;
//! buffers regress when the plan reads more than `max_buffers_ratio` × the baseline.
//! A tail percentile is judged only when each run recorded at least `TAIL_SAMPLES`
//! latencies beyond it (p95: 400 iterations, p99: 2,000): below that its value is a
//! handful of extremes, and it is reported as not judged. An improvement is reported,
//! never failed. Pure: must not read files or render text.

use serde::{Deserialize, Serialize};

use crate::results::{LatencySummary, ScenarioResult};
use crate::stats::bootstrap::{SEED, change_spread, windowed_change_spread};
use crate::stats::histogram::{Recorded, decode};
use crate::stats::history::{against_history, median};
use crate::stats::paired::{log_ratio_estimate, paired_ratio};
use crate::stats::{DEFAULT_CONFIDENCE, Interval, normal_interval};
use crate::verdict::machine::MachineReference;
pub use crate::verdict::plan_change::{PlanChange, plan_change};

/// When a change counts as a regression.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RegressionLimits {
    /// Relative change, in percent, a regression must exceed (`--max-regression`).
    pub max_percent: f64,
    /// Microseconds the interval's lower bound must exceed (`--min-regression`).
    pub min_us: f64,
    /// Buffers per execution, as a multiple of the baseline's (`--max-buffers-ratio`).
    pub max_buffers_ratio: f64,
    /// Confidence of each latency interval: 95% shared out over the comparisons of the
    /// run (`stats::per_comparison`), 95% for a comparison on its own.
    #[serde(default = "default_confidence")]
    pub confidence: f64,
}

fn default_confidence() -> f64 {
    DEFAULT_CONFIDENCE
}

impl Default for RegressionLimits {
    fn default() -> Self {
        RegressionLimits {
            max_percent: 10.0,
            min_us: 50.0,
            max_buffers_ratio: 1.5,
            confidence: DEFAULT_CONFIDENCE,
        }
    }
}

/// How the interval of a change was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// One baseline run: seeded bootstrap of both histograms.
    Bootstrap,
    /// Two or more baseline runs: prediction interval from the spread between runs.
    History,
    /// An A/B run (`--against`): both sides measured alternately in the same windows; the
    /// change is the mean of the windows' log ratios, its interval Student's t over windows.
    Paired,
}

/// What a comparison found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Regression,
    Improvement,
    Unchanged,
}

/// One percentile compared with the baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PercentileChange {
    /// "p50", "p95" or "p99".
    pub percentile: String,
    /// The baseline's value (the mean over runs with a history), µs.
    pub baseline_us: f64,
    pub current_us: f64,
    /// `current − baseline`, µs; positive is slower.
    pub change_us: f64,
    /// The change relative to the baseline; `None` when the baseline is 0.
    pub change_percent: Option<f64>,
    /// Interval of the change at the limits' confidence, µs; `None` when a histogram is
    /// missing.
    pub interval_us: Option<Interval>,
    /// With a history: (current − mean) / spread between runs.
    pub z_score: Option<f64>,
    /// The machine factor (reference now / then) the current value was divided by before
    /// the change was computed; `None` when either run has no machine reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine_factor: Option<f64>,
    pub verdict: Change,
    /// False when a run recorded fewer than `TAIL_SAMPLES` latencies beyond this
    /// percentile: the change is shown, its verdict is `unchanged`.
    #[serde(default = "judged_by_default", skip_serializing_if = "is_judged")]
    pub judged: bool,
}

fn judged_by_default() -> bool {
    true
}

fn is_judged(judged: &bool) -> bool {
    *judged
}

/// Fewest latencies beyond a tail percentile, in each run, for its change to be judged.
pub const TAIL_SAMPLES: f64 = 20.0;

/// True when runs of `then` and `now` successful iterations both hold `TAIL_SAMPLES`
/// latencies beyond `quantile` (the median always counts as judged).
pub fn tail_judgeable(quantile: f64, then: u64, now: u64) -> bool {
    quantile <= 0.5 || then.min(now) as f64 * (1.0 - quantile) >= TAIL_SAMPLES
}

/// Marks the tail percentiles of `changes` that too few iterations support as not judged.
fn unjudged_tails(changes: &mut [PercentileChange], then: u64, now: u64) {
    for (change, &(_, quantile)) in changes.iter_mut().zip(PERCENTILES.iter()) {
        if !tail_judgeable(quantile, then, now) {
            change.judged = false;
            change.verdict = Change::Unchanged;
        }
    }
}

/// Successful iterations of a result.
fn successes(result: &ScenarioResult) -> u64 {
    result.iterations.saturating_sub(result.errors)
}

/// Shared buffers (hit + read) per execution, then and now.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BuffersChange {
    /// The baseline's count (the median over runs with a history).
    pub baseline: u64,
    pub current: u64,
    /// `current / baseline`; `None` when the baseline is 0.
    pub ratio: Option<f64>,
    pub verdict: Change,
}

/// A scenario compared with its baseline: the evidence and the verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineComparison {
    pub method: Method,
    /// Baseline runs compared with.
    pub runs: usize,
    pub limits: RegressionLimits,
    pub percentiles: Vec<PercentileChange>,
    pub buffers: Option<BuffersChange>,
    /// A/B only: how the target's plan differs from the base's, when it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<PlanChange>,
    /// Regression when any part regressed; improvement when some part improved and none
    /// regressed; unchanged otherwise.
    pub verdict: Change,
}

impl BaselineComparison {
    /// True when the comparison fails the gate.
    pub fn is_regression(&self) -> bool {
        self.verdict == Change::Regression
    }
}

/// The percentiles compared, with their quantile.
const PERCENTILES: [(&str, f64); 3] = [("p50", 0.50), ("p95", 0.95), ("p99", 0.99)];

/// Compares `current` with the same scenario in each baseline run (oldest first), after
/// dividing by the machine factor between each baseline run and this one (`machine`,
/// aligned with `baselines`; empty or `None` for runs without a reference); `None` when
/// either side has no latency to compare (skipped, errored, absent).
pub fn compare_scenario(
    current: &ScenarioResult,
    baselines: &[&ScenarioResult],
    machine: &[Option<MachineReference>],
    limits: RegressionLimits,
) -> Option<BaselineComparison> {
    let now = current.latency_us.as_ref()?;
    let then: Vec<(&ScenarioResult, Option<&MachineReference>)> = baselines
        .iter()
        .enumerate()
        .filter(|(_, b)| b.latency_us.is_some())
        .map(|(i, b)| (*b, machine.get(i).and_then(Option::as_ref)))
        .collect();
    let (method, percentiles) = match then.as_slice() {
        [] => return None,
        [(single, machine)] => (
            Method::Bootstrap,
            bootstrap_changes(single, current, now, *machine, limits),
        ),
        many => (Method::History, history_changes(many, now, limits)),
    };
    let mut percentiles = percentiles;
    let fewest_then = then.iter().map(|(r, _)| successes(r)).min().unwrap_or(0);
    unjudged_tails(&mut percentiles, fewest_then, successes(current));
    let results: Vec<&ScenarioResult> = then.iter().map(|(r, _)| *r).collect();
    let buffers = buffers_change(current, &results, limits.max_buffers_ratio);
    let verdicts = percentiles
        .iter()
        .map(|p| p.verdict)
        .chain(buffers.map(|b| b.verdict));
    Some(BaselineComparison {
        method,
        runs: then.len(),
        limits,
        verdict: overall(verdicts),
        percentiles,
        buffers,
        plan: None,
    })
}

/// Compares the target side of an A/B run with its base side, window by window (both
/// measured in the same windows); `None` when either side has no latency or no windows.
pub fn compare_paired(
    target: &ScenarioResult,
    base: &ScenarioResult,
    limits: RegressionLimits,
) -> Option<BaselineComparison> {
    let (now, then) = (target.latency_us.as_ref()?, base.latency_us.as_ref()?);
    let (new, old) = (recorded_windows(target)?, recorded_windows(base)?);
    let mut percentiles: Vec<PercentileChange> = PERCENTILES
        .iter()
        .map(|&(name, quantile)| {
            let baseline = percentile_of(then, name);
            let current = percentile_of(now, name);
            // The p50 change is the typical pair's: both sides ran the same draws, so the
            // spread of the work between parameter values cancels out.
            let paired = if name == "p50" && !target.pair_ratios.is_empty() {
                let logs: Vec<f64> = target.pair_ratios.iter().map(|r| r.ln()).collect();
                log_ratio_estimate(&logs, limits.confidence)
            } else {
                paired_ratio(&new, &old, quantile, limits.confidence)
            };
            let Some(paired) = paired else {
                return percentile_change(name, baseline, current, None, None, limits);
            };
            let change_us = baseline * (paired.ratio - 1.0);
            let interval_us = paired.interval.map(|i| Interval {
                low: baseline * (i.low - 1.0),
                high: baseline * (i.high - 1.0),
            });
            let change_percent = (baseline > 0.0).then_some((paired.ratio - 1.0) * 100.0);
            PercentileChange {
                percentile: name.to_string(),
                baseline_us: baseline,
                current_us: current,
                change_us,
                change_percent,
                interval_us,
                z_score: None,
                machine_factor: None,
                verdict: judge_latency(change_us, change_percent, interval_us, limits),
                judged: true,
            }
        })
        .collect();
    unjudged_tails(&mut percentiles, successes(base), successes(target));
    let buffers = buffers_change(target, &[base], limits.max_buffers_ratio);
    let plan = target
        .plan
        .as_ref()
        .zip(base.plan.as_ref())
        .and_then(|(t, b)| plan_change(t, b));
    let verdicts = percentiles
        .iter()
        .map(|p| p.verdict)
        .chain(buffers.map(|b| b.verdict))
        .chain(plan.as_ref().map(|p| p.verdict));
    Some(BaselineComparison {
        method: Method::Paired,
        runs: 1,
        limits,
        verdict: overall(verdicts),
        percentiles,
        buffers,
        plan,
    })
}

fn bootstrap_changes(
    then: &ScenarioResult,
    current: &ScenarioResult,
    now: &LatencySummary,
    machine: Option<&MachineReference>,
    limits: RegressionLimits,
) -> Vec<PercentileChange> {
    let histograms =
        recorded(then.histogram.as_deref()).zip(recorded(current.histogram.as_deref()));
    let windows = recorded_windows(then).zip(recorded_windows(current));
    let old = then.latency_us.unwrap_or_default();
    PERCENTILES
        .iter()
        .map(|&(name, quantile)| {
            let windowed = windows
                .as_ref()
                .and_then(|(old, new)| windowed_change_spread(old, new, quantile, SEED));
            let spread = windowed.or_else(|| {
                histograms
                    .as_ref()
                    .and_then(|(old, new)| change_spread(old, new, quantile, SEED))
            });
            let baseline = percentile_of(&old, name);
            let current = percentile_of(now, name);
            // On this machine's scale of then: the reference's own noise adds to the spread.
            let factor = machine.map_or(1.0, MachineReference::factor);
            let normalized = current / factor;
            let machine_noise = machine.map_or(0.0, |m| normalized * m.log_spread);
            let interval = spread.map(|s| {
                let total = ((s / factor).powi(2) + machine_noise.powi(2)).sqrt();
                normal_interval(normalized - baseline, total, limits.confidence)
            });
            let mut change = percentile_change(name, baseline, normalized, interval, None, limits);
            change.current_us = current;
            change.machine_factor = machine.map(|_| factor);
            change
        })
        .collect()
}

fn recorded(encoded: Option<&str>) -> Option<Recorded> {
    decode(encoded?)
        .ok()
        .map(|histogram| Recorded::of(&histogram))
}

/// Every window of the run; `None` when it has none or one cannot be read.
fn recorded_windows(result: &ScenarioResult) -> Option<Vec<Recorded>> {
    result
        .windows
        .iter()
        .map(|encoded| recorded(Some(encoded)))
        .collect::<Option<Vec<_>>>()
        .filter(|windows| !windows.is_empty())
}

fn history_changes(
    runs: &[(&ScenarioResult, Option<&MachineReference>)],
    now: &LatencySummary,
    limits: RegressionLimits,
) -> Vec<PercentileChange> {
    PERCENTILES
        .iter()
        .map(|&(name, _)| {
            // Each earlier run brought to this run's machine speed by its own factor.
            let values: Vec<f64> = runs
                .iter()
                .map(|(run, machine)| {
                    let value = percentile_of(&run.latency_us.unwrap_or_default(), name);
                    value * machine.map_or(1.0, MachineReference::factor)
                })
                .collect();
            let current = percentile_of(now, name);
            let found = against_history(&values, current, limits.confidence);
            let baseline = found.map_or(values[0], |found| found.mean);
            let (interval, z) = found.map_or((None, None), |f| (Some(f.interval), f.z_score));
            let mut change = percentile_change(name, baseline, current, interval, z, limits);
            change.machine_factor = runs
                .last()
                .and_then(|(_, m)| m.map(MachineReference::factor));
            change
        })
        .collect()
}

fn percentile_of(latency: &LatencySummary, name: &str) -> f64 {
    match name {
        "p50" => latency.p50 as f64,
        "p95" => latency.p95 as f64,
        _ => latency.p99 as f64,
    }
}

fn percentile_change(
    name: &str,
    baseline_us: f64,
    current_us: f64,
    interval_us: Option<Interval>,
    z_score: Option<f64>,
    limits: RegressionLimits,
) -> PercentileChange {
    let change_us = current_us - baseline_us;
    let change_percent = (baseline_us > 0.0).then(|| change_us * 100.0 / baseline_us);
    PercentileChange {
        percentile: name.to_string(),
        baseline_us,
        current_us,
        change_us,
        change_percent,
        interval_us,
        z_score,
        machine_factor: None,
        verdict: judge_latency(change_us, change_percent, interval_us, limits),
        judged: true,
    }
}

/// A regression when the relative change is beyond `max_percent` and the whole interval
/// lies beyond `min_us` (without an interval: the change itself); an improvement likewise
/// in the other direction.
pub fn judge_latency(
    change_us: f64,
    change_percent: Option<f64>,
    interval: Option<Interval>,
    limits: RegressionLimits,
) -> Change {
    let percent = change_percent.unwrap_or(if change_us > 0.0 { f64::INFINITY } else { 0.0 });
    let (low, high) = interval.map_or((change_us, change_us), |i| (i.low, i.high));
    if percent > limits.max_percent && low > limits.min_us {
        Change::Regression
    } else if percent < -limits.max_percent && high < -limits.min_us {
        Change::Improvement
    } else {
        Change::Unchanged
    }
}

fn buffers_change(
    current: &ScenarioResult,
    then: &[&ScenarioResult],
    max_ratio: f64,
) -> Option<BuffersChange> {
    let now = current.buffers?;
    let counts: Vec<f64> = then
        .iter()
        .filter_map(|b| b.buffers)
        .map(|b| b as f64)
        .collect();
    if counts.is_empty() {
        return None;
    }
    let baseline = median(&counts).round() as u64;
    Some(BuffersChange {
        baseline,
        current: now,
        ratio: (baseline > 0).then(|| now as f64 / baseline as f64),
        verdict: judge_buffers(baseline, now, max_ratio),
    })
}

/// More than `max_ratio` × the baseline (and at least 2 more buffers, so 1 → 2 is not
/// "twice as many") is a regression; fewer than baseline ÷ `max_ratio` an improvement.
pub fn judge_buffers(baseline: u64, current: u64, max_ratio: f64) -> Change {
    let (then, now) = (baseline as f64, current as f64);
    if now > then * max_ratio && current >= baseline + 2 {
        Change::Regression
    } else if now * max_ratio < then && baseline >= current + 2 {
        Change::Improvement
    } else {
        Change::Unchanged
    }
}

fn overall(verdicts: impl Iterator<Item = Change>) -> Change {
    let verdicts: Vec<Change> = verdicts.collect();
    if verdicts.contains(&Change::Regression) {
        Change::Regression
    } else if verdicts.contains(&Change::Improvement) {
        Change::Improvement
    } else {
        Change::Unchanged
    }
}

#[cfg(test)]
#[path = "regression_tests.rs"]
mod tests;
