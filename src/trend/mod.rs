//! A history of saved runs at a glance (`techspec-bench trend`): the runs in time order
//! (run 1 the oldest), and per scenario its p50/p95/p99 in each run with their 95%
//! intervals (`stats::interval`), the runs whose gate it failed, the change points of its
//! ln p50 (`changepoint`), and the runs where its plan or its definition changed (from the
//! plan fingerprints, or the indexes and sequential scans when a file has none, and the
//! definition hashes). Pure: the files are read by `saved`, the page and summary rendered
//! by `report::trend_*`; nothing here decides a gate.

pub mod changepoint;

use std::collections::BTreeMap;

use crate::results::{PlanVerdict, ScenarioResult, Status};
use crate::saved::{Decoded, SavedRun};
use crate::stats::history::median;
use crate::stats::interval::percentile_interval;

/// The percentiles followed, with their quantiles.
pub const PERCENTILES: [(&str, f64); 3] = [("p50", 0.5), ("p95", 0.95), ("p99", 0.99)];

/// One run of the history.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInfo {
    /// 1 for the oldest.
    pub number: usize,
    /// The file's name.
    pub file: String,
    pub started_at: String,
    pub commit: Option<String>,
    /// Scenarios that failed or errored in this run.
    pub failed: Vec<String>,
}

/// One scenario in one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// Index into `History::runs`.
    pub run: usize,
    pub status: Status,
    /// p50, p95, p99 in µs.
    pub values: [f64; 3],
    /// Their 95% intervals (low, high), when known.
    pub intervals: [Option<(f64, f64)>; 3],
    /// Why it failed, when it did.
    pub reason: Option<String>,
}

/// A lasting change of a scenario's latency.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangePoint {
    /// Index into `History::runs` of the first run after the change.
    pub run: usize,
    /// Medians of p50, p95, p99 over the segment before and the segment after.
    pub before: [f64; 3],
    pub after: [f64; 3],
}

impl ChangePoint {
    /// The relative change of percentile `index` (0.38 = +38 %).
    pub fn change(&self, index: usize) -> f64 {
        self.after[index] / self.before[index].max(f64::MIN_POSITIVE) - 1.0
    }
}

/// A change between two consecutive runs of a scenario (plan or definition).
#[derive(Debug, Clone, PartialEq)]
pub struct Shift {
    /// Index into `History::runs` of the run that first shows the new state.
    pub run: usize,
    pub before: String,
    pub after: String,
}

/// One scenario over the history.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioTrend {
    pub name: String,
    /// The runs that measured it, oldest first.
    pub points: Vec<Point>,
    pub change_points: Vec<ChangePoint>,
    pub plan_changes: Vec<Shift>,
    pub definition_changes: Vec<Shift>,
}

/// The whole history.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    pub runs: Vec<RunInfo>,
    /// In order of first appearance.
    pub scenarios: Vec<ScenarioTrend>,
}

/// What one run says about one scenario, before the scenarios are put together.
struct Observation {
    point: Point,
    plan: Option<String>,
    definition: Option<String>,
}

/// The history of `runs` (already oldest first).
pub fn history(runs: &[SavedRun]) -> History {
    let indexed: Vec<(usize, &SavedRun)> = runs.iter().enumerate().collect();
    let observed = crate::parallel::map(&indexed, |(index, run)| observe(*index, run));
    let mut order: Vec<String> = Vec::new();
    let mut by_name: BTreeMap<String, Vec<Observation>> = BTreeMap::new();
    for (name, observation) in observed.into_iter().flatten() {
        if !by_name.contains_key(&name) {
            order.push(name.clone());
        }
        by_name.entry(name).or_default().push(observation);
    }
    let scenarios = order
        .into_iter()
        .map(|name| {
            let observations = by_name.remove(&name).unwrap_or_default();
            scenario_trend(name, observations)
        })
        .collect();
    History {
        runs: runs.iter().enumerate().map(run_info).collect(),
        scenarios,
    }
}

fn run_info((index, run): (usize, &SavedRun)) -> RunInfo {
    let report = &run.report;
    RunInfo {
        number: index + 1,
        file: run.path.file_name().map_or_else(
            || run.path.display().to_string(),
            |n| n.to_string_lossy().into(),
        ),
        started_at: report.started_at.clone(),
        commit: report.commit.clone(),
        failed: report
            .scenarios
            .iter()
            .filter(|s| matches!(s.status, Status::Fail | Status::Error))
            .map(|s| s.name.clone())
            .collect(),
    }
}

/// Every measured scenario of one run.
fn observe(run: usize, saved: &SavedRun) -> Vec<(String, Observation)> {
    saved
        .report
        .scenarios
        .iter()
        .filter_map(|result| Some((result.name.clone(), observation(run, result)?)))
        .collect()
}

fn observation(run: usize, result: &ScenarioResult) -> Option<Observation> {
    let latency = result.latency_us?;
    let values = [latency.p50, latency.p95, latency.p99].map(|v| v as f64);
    let decoded = Decoded::of(result);
    let intervals = std::array::from_fn(|index| {
        let interval = percentile_interval(
            values[index],
            PERCENTILES[index].1,
            &decoded.windows,
            decoded.merged.as_ref(),
        )?;
        Some((interval.low, interval.high))
    });
    let failed = matches!(result.status, Status::Fail | Status::Error);
    Some(Observation {
        point: Point {
            run,
            status: result.status,
            values,
            intervals,
            reason: failed.then(|| result.reason.clone()).flatten(),
        },
        plan: result.plan.as_ref().and_then(plan_signature),
        definition: result.definition.clone(),
    })
}

/// What identifies a plan: its fingerprint, or else the indexes it used and the tables it
/// scanned sequentially (older files); `None` when the plan was not checked.
fn plan_signature(plan: &PlanVerdict) -> Option<String> {
    if let Some(fingerprint) = &plan.fingerprint {
        return Some(fingerprint.clone());
    }
    if plan.indexes_used.is_empty() && plan.seq_scans.is_empty() {
        return None;
    }
    let sorted = |names: &[String]| {
        let mut names = names.to_vec();
        names.sort();
        names.join(", ")
    };
    Some(format!(
        "indexes [{}], seq scans [{}]",
        sorted(&plan.indexes_used),
        sorted(&plan.seq_scans)
    ))
}

fn scenario_trend(name: String, observations: Vec<Observation>) -> ScenarioTrend {
    let plan_changes = shifts(&observations, |o| o.plan.as_deref());
    let definition_changes = shifts(&observations, |o| o.definition.as_deref());
    let points: Vec<Point> = observations.into_iter().map(|o| o.point).collect();
    ScenarioTrend {
        change_points: change_points(&points),
        name,
        points,
        plan_changes,
        definition_changes,
    }
}

/// The runs where `key` differs from the previous run that had one.
fn shifts(observations: &[Observation], key: impl Fn(&Observation) -> Option<&str>) -> Vec<Shift> {
    let keyed: Vec<(usize, &str)> = observations
        .iter()
        .filter_map(|o| Some((o.point.run, key(o)?)))
        .collect();
    keyed
        .windows(2)
        .filter(|pair| pair[0].1 != pair[1].1)
        .map(|pair| Shift {
            run: pair[1].0,
            before: pair[0].1.to_string(),
            after: pair[1].1.to_string(),
        })
        .collect()
}

/// The change points of the points' ln p50, each with the segment medians around it.
fn change_points(points: &[Point]) -> Vec<ChangePoint> {
    let series: Vec<f64> = points.iter().map(|p| p.values[0].max(1.0).ln()).collect();
    let splits = changepoint::change_points(&series);
    let bounds: Vec<usize> = std::iter::once(0)
        .chain(splits.iter().copied())
        .chain(std::iter::once(points.len()))
        .collect();
    let medians = |start: usize, end: usize| -> [f64; 3] {
        std::array::from_fn(|index| {
            let values: Vec<f64> = points[start..end].iter().map(|p| p.values[index]).collect();
            median(&values)
        })
    };
    bounds
        .windows(3)
        .map(|w| ChangePoint {
            run: points[w[1]].run,
            before: medians(w[0], w[1]),
            after: medians(w[1], w[2]),
        })
        .collect()
}

#[cfg(test)]
mod tests;
