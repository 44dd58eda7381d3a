//! `techspec-bench merge A.json B.json … --json OUT [--thresholds FILE]`: the results of
//! the same scenarios run from several machines at once, as one run. Histograms are added
//! (HdrHistogram add), iterations and errors summed, throughputs summed (the machines ran
//! side by side), percentiles recomputed from the merged histogram, thresholds and the
//! status decided again. Scenarios whose definitions differ are refused. Must not connect
//! to a database, and must never average percentiles.

use std::path::{Path, PathBuf};

use hdrhistogram::Histogram;

use crate::app::ratio_pairs::apply_ratio_gates;
use crate::app::report::add_terminal_output;
use crate::app::ui::Ui;
use crate::bench::histogram::{merge_into, new_latency_histogram};
use crate::bench::{encode_histogram, summarize};
use crate::cli::{Cli, MergeArgs};
use crate::config::{self, LoadAmount, LoadShape, Origin, Scenario, ThresholdExpr, Thresholds};
use crate::report::cells::failure_reason;
use crate::report::{self, JsonReporter, ResultSink, Target};
use crate::results::{
    DatabaseInfo, PlanVerdict, RESULTS_FORMAT, RunReport, ScenarioResult, Status, Summary,
};
use crate::saved::{self, decode_histogram};
use crate::verdict::ratio::PairedGates;
use crate::verdict::{self, Observed};
use crate::{Error, Result, TOOL_VERSION};

/// The per-scenario field that identifies a definition (a hash of SQL, parameters, load
/// shape and expectations), compared when both files have it.
pub const DEFINITION_HASH_FIELD: &str = "definition";

/// One results file to merge.
#[derive(Debug, Clone)]
pub struct MergeInput {
    pub path: PathBuf,
    pub report: RunReport,
    /// The definition hash of each scenario (same order), when the file records one.
    pub definition_hashes: Vec<Option<serde_json::Value>>,
}

impl MergeInput {
    /// Reads and checks a results file.
    pub fn read(path: &Path) -> Result<MergeInput> {
        let value = saved::read_json(path, saved::RESULTS)?;
        let definition_hashes = value
            .get("scenarios")
            .and_then(|s| s.as_array())
            .map(|scenarios| {
                let hash = |s: &serde_json::Value| s.get(DEFINITION_HASH_FIELD).cloned();
                scenarios.iter().map(hash).collect()
            })
            .unwrap_or_default();
        Ok(MergeInput {
            path: path.to_path_buf(),
            report: saved::typed(path, value, saved::RESULTS)?,
            definition_hashes,
        })
    }

    fn hash_of(&self, index: usize) -> Option<&serde_json::Value> {
        self.definition_hashes.get(index).and_then(Option::as_ref)
    }
}

/// The commit every input measured, when they all name the same one.
fn common_commit(inputs: &[MergeInput]) -> Option<String> {
    let first = inputs.first()?.report.commit.clone()?;
    inputs
        .iter()
        .all(|input| input.report.commit.as_deref() == Some(first.as_str()))
        .then_some(first)
}

/// The merged run and what the user should know about it (printed on stderr).
#[derive(Debug, Clone)]
pub struct Merged {
    pub report: RunReport,
    pub warnings: Vec<String>,
}

/// Runs `merge` and returns the gate's exit code.
pub fn run(cli: &Cli, args: &MergeArgs) -> Result<i32> {
    let ui = Ui::from_cli(cli);
    report::check_writable("--json", &args.json)?;
    let inputs = args
        .inputs
        .iter()
        .map(|path| MergeInput::read(path))
        .collect::<Result<Vec<_>>>()?;
    let thresholds = match &args.thresholds {
        Some(path) => Some(load_thresholds(path, &inputs)?),
        None => None,
    };
    let merged = merge(&inputs, thresholds.as_ref())?;
    for warning in &merged.warnings {
        ui.note(format!("warning: {warning}"));
    }
    let mut sink = ResultSink::default().with(JsonReporter, Target::File(args.json.clone()));
    crate::app::exports::add_files(&mut sink, crate::app::exports::files(&args.exports))?;
    add_terminal_output(&mut sink, &ui);
    sink.write_files(&merged.report)?;
    sink.write_stdout(&merged.report)?;
    Ok(verdict::gate_exit_code(&merged.report.summary, false))
}

/// Loads `--thresholds FILE`, knowing the scenarios of the results besides those the
/// tool knows itself (./scenarios/ or the built-in ones).
fn load_thresholds(path: &Path, inputs: &[MergeInput]) -> Result<Thresholds> {
    let mut known = config::load_scenarios(&[])?;
    for result in inputs.iter().flat_map(|input| &input.report.scenarios) {
        if !known.iter().any(|scenario| scenario.name == result.name) {
            known.push(stand_in(result, path));
        }
    }
    config::load_thresholds(Some(path), &known)
}

/// A scenario known only by name and group (from saved results), for checking names.
fn stand_in(result: &ScenarioResult, path: &Path) -> Scenario {
    Scenario {
        name: result.name.clone(),
        group: result.group.clone(),
        description: None,
        origin: Origin {
            file: path.to_path_buf(),
            line: 0,
        },
        load: LoadShape {
            amount: LoadAmount::Iterations(0),
            warmup: 0,
            clients: 1,
            rate: None,
        },
        steps: Vec::new(),
        transaction: None,
        expect: config::Expectations::default(),
        max_growth: None,
        protocol: Default::default(),
        statement_timeout: std::time::Duration::ZERO,
    }
}

/// Merges the inputs scenario by scenario, in the order of the first file. `thresholds`
/// replaces the thresholds recorded in the results.
pub fn merge(inputs: &[MergeInput], thresholds: Option<&Thresholds>) -> Result<Merged> {
    let first = inputs
        .first()
        .ok_or_else(|| Error::config("merge needs at least one results file"))?;
    check_same_scenarios(inputs)?;
    let mut scenarios = Vec::new();
    let mut gates = Thresholds::default();
    for (index, result) in first.report.scenarios.iter().enumerate() {
        let parts = parts_of(inputs, &result.name, index)?;
        let limits = match thresholds {
            Some(file) => file
                .by_scenario
                .get(&result.name)
                .cloned()
                .unwrap_or_default(),
            None => recorded_thresholds(result),
        };
        scenarios.push(merge_scenario(&parts, &limits)?);
        gates.by_scenario.insert(result.name.clone(), limits);
    }
    let mut report = RunReport {
        format: RESULTS_FORMAT.to_string(),
        tool_version: TOOL_VERSION.to_string(),
        started_at: earliest_start(inputs),
        database: merged_database(inputs),
        dataset: first.report.dataset.clone(),
        rng_seed: first.report.rng_seed,
        seed: first.report.seed.clone(),
        // Several machines drove the load: none of them is "the" machine.
        machine: None,
        commit: common_commit(inputs),
        against: None,
        reference: Vec::new(),
        run_change: None,
        summary: Summary::of(&scenarios),
        scenarios,
    };
    // Ratio gates compare two scenarios, so they are judged once all are merged (from the
    // windows: the shards measured them apart, never in pairs).
    apply_ratio_gates(&mut report, &gates, &PairedGates::new());
    Ok(Merged {
        report,
        warnings: warnings(inputs),
    })
}

/// One scenario as one file recorded it.
struct Part<'a> {
    path: &'a Path,
    result: &'a ScenarioResult,
    hash: Option<&'a serde_json::Value>,
}

/// Refuses inputs that did not run the same scenarios: a merge would miss load.
fn check_same_scenarios(inputs: &[MergeInput]) -> Result<()> {
    let first = &inputs[0];
    let names = |input: &MergeInput| -> Vec<String> {
        let mut names: Vec<String> = input
            .report
            .scenarios
            .iter()
            .map(|s| s.name.clone())
            .collect();
        names.sort();
        names
    };
    let expected = names(first);
    for other in &inputs[1..] {
        let found = names(other);
        let missing = expected.iter().find(|name| !found.contains(name));
        let extra = found.iter().find(|name| !expected.contains(name));
        let (name, has, lacks) = match (missing, extra) {
            (Some(name), _) => (name, &first.path, &other.path),
            (None, Some(name)) => (name, &other.path, &first.path),
            (None, None) => continue,
        };
        return Err(Error::config(format!(
            "cannot merge: scenario `{name}` is in {} but not in {}; merge the results of \
             runs of the same scenarios (the same --scenarios and --filter on every machine)",
            has.display(),
            lacks.display()
        )));
    }
    Ok(())
}

/// The scenario `name` from every input, its definitions checked against the first's.
fn parts_of<'a>(inputs: &'a [MergeInput], name: &str, first_index: usize) -> Result<Vec<Part<'a>>> {
    let parts: Vec<Part> = inputs
        .iter()
        .map(|input| {
            let index = input.report.scenarios.iter().position(|s| s.name == name);
            let index = index.unwrap_or(first_index);
            Part {
                path: &input.path,
                result: &input.report.scenarios[index],
                hash: input.hash_of(index),
            }
        })
        .collect();
    for other in &parts[1..] {
        if let Some(difference) = definition_difference(&parts[0], other) {
            return Err(Error::config(format!(
                "cannot merge scenario `{name}`: its definition differs between {} and {} \
                 ({difference}); merge only results of the same scenario files",
                parts[0].path.display(),
                other.path.display()
            )));
        }
    }
    Ok(parts)
}

/// What differs between two recordings of a scenario's definition, if anything: the
/// definition hash when both have one, the group, and the SQL of multi-step scenarios.
fn definition_difference(a: &Part, b: &Part) -> Option<String> {
    if let (Some(x), Some(y)) = (a.hash, b.hash)
        && x != y
    {
        return Some(format!("{DEFINITION_HASH_FIELD} {x} vs {y}"));
    }
    if a.result.group != b.result.group {
        return Some(format!(
            "group `{}` vs `{}`",
            a.result.group, b.result.group
        ));
    }
    let sql = |r: &ScenarioResult| r.steps.iter().map(|s| s.sql.clone()).collect::<Vec<_>>();
    let (x, y) = (sql(a.result), sql(b.result));
    if !x.is_empty() && !y.is_empty() && x != y {
        return Some("the SQL of its steps".to_string());
    }
    None
}

/// The thresholds a result was judged by, typed again.
fn recorded_thresholds(result: &ScenarioResult) -> Vec<ThresholdExpr> {
    result
        .thresholds
        .iter()
        .map(|outcome| outcome.threshold.clone())
        .collect()
}

/// One scenario merged: an error or a skip on any machine wins (with that file named);
/// otherwise the measurements are added and judged again.
fn merge_scenario(parts: &[Part], thresholds: &[ThresholdExpr]) -> Result<ScenarioResult> {
    for status in [Status::Error, Status::Skip] {
        if let Some(part) = parts.iter().find(|p| p.result.status == status) {
            let reason = part
                .result
                .reason
                .as_deref()
                .unwrap_or("no reason recorded");
            return Ok(ScenarioResult {
                reason: Some(format!("in {}: {reason}", part.path.display())),
                ..part.result.clone()
            });
        }
    }
    let histogram = merged_histogram(parts)?;
    let has_latency = !histogram.is_empty();
    let observed = Observed {
        latency: summarize(&histogram),
        successes: histogram.len(),
        // Every part ran the same definition on the same dataset: the plan reads the same.
        buffers: parts[0].result.buffers,
        errors: parts.iter().map(|p| p.result.errors).sum(),
        throughput_per_s: parts.iter().map(|p| p.result.throughput_per_s).sum(),
    };
    let outcomes = verdict::evaluate(thresholds, &observed);
    let plan = merged_plan(parts);
    let decision = verdict::decide_status(&outcomes, plan.as_ref(), observed.errors, None);
    let reason = failure_reason(&decision.causes);
    Ok(ScenarioResult {
        status: decision.status,
        reason,
        iterations: parts.iter().map(|p| p.result.iterations).sum(),
        errors: observed.errors,
        duration_s: parts
            .iter()
            .map(|p| p.result.duration_s)
            .fold(0.0, f64::max),
        throughput_per_s: observed.throughput_per_s,
        latency_us: has_latency.then_some(observed.latency),
        // Only the whole-iteration histogram is stored: the others cannot be merged exactly.
        service_time_us: None,
        error_latency_us: None,
        schedule_lag_us: None,
        errors_per_s: parts.iter().map(|p| p.result.errors_per_s).sum(),
        steps: Vec::new(),
        histogram: has_latency.then(|| encode_histogram(&histogram)),
        windows: merged_windows(parts),
        thresholds: outcomes,
        plan,
        // A comparison with a baseline belongs to one run, not to the merge.
        baseline: None,
        ..parts[0].result.clone()
    })
}

/// The sum of every part's histogram; an error naming the file when one cannot be read.
fn merged_histogram(parts: &[Part]) -> Result<Histogram<u64>> {
    let mut total = new_latency_histogram();
    for part in parts {
        let result = part.result;
        let unreadable = |why: String| {
            Error::config(format!(
                "cannot merge scenario `{}` of {}: {why}; pass the file as `run --json` wrote it",
                result.name,
                part.path.display()
            ))
        };
        match (&result.histogram, &result.latency_us) {
            (Some(text), _) => {
                let histogram = decode_histogram(text).map_err(unreadable)?;
                merge_into(&mut total, &histogram)
                    .map_err(|error| unreadable(error.to_string()))?;
            }
            (None, Some(_)) => {
                return Err(unreadable(
                    "it has latencies but no histogram, and percentiles cannot be merged".into(),
                ));
            }
            (None, None) => {}
        }
    }
    Ok(total)
}

/// Window k of every machine added together, when every machine recorded the same number
/// of readable windows (machines that ran together measured window k at the same time);
/// empty otherwise, and the merged result is compared without windows.
fn merged_windows(parts: &[Part]) -> Vec<String> {
    let count = parts[0].result.windows.len();
    if count == 0 || parts.iter().any(|p| p.result.windows.len() != count) {
        return Vec::new();
    }
    let mut totals: Vec<Histogram<u64>> = (0..count).map(|_| new_latency_histogram()).collect();
    for part in parts {
        for (total, text) in totals.iter_mut().zip(&part.result.windows) {
            let added = decode_histogram(text)
                .ok()
                .and_then(|window| merge_into(total, &window).ok());
            if added.is_none() {
                return Vec::new();
            }
        }
    }
    totals.iter().map(encode_histogram).collect()
}

/// The plan verdicts together: ok only when every machine's was, every failure listed once.
fn merged_plan(parts: &[Part]) -> Option<PlanVerdict> {
    let plans: Vec<&PlanVerdict> = parts
        .iter()
        .filter_map(|p| p.result.plan.as_ref())
        .collect();
    let first = *plans.first()?;
    let mut failures: Vec<String> = Vec::new();
    for failure in plans.iter().flat_map(|plan| &plan.failures) {
        if !failures.contains(failure) {
            failures.push(failure.clone());
        }
    }
    Some(PlanVerdict {
        ok: plans.iter().all(|plan| plan.ok),
        failures,
        drift: plans.iter().find_map(|plan| plan.drift.clone()),
        ..first.clone()
    })
}

/// The earliest start (RFC 3339 UTC strings of one shape sort as times).
fn earliest_start(inputs: &[MergeInput]) -> String {
    let starts = inputs.iter().map(|input| &input.report.started_at);
    starts.min().cloned().unwrap_or_default()
}

/// The first file's server, with every file's notes.
fn merged_database(inputs: &[MergeInput]) -> DatabaseInfo {
    let mut notes: Vec<String> = Vec::new();
    for note in inputs.iter().flat_map(|input| &input.report.database.notes) {
        if !notes.contains(note) {
            notes.push(note.clone());
        }
    }
    DatabaseInfo {
        notes,
        ..inputs[0].report.database.clone()
    }
}

/// Differences worth a warning: another server version, another dataset.
fn warnings(inputs: &[MergeInput]) -> Vec<String> {
    let first = &inputs[0];
    let mut warnings = Vec::new();
    for other in &inputs[1..] {
        let (a, b) = (&first.report, &other.report);
        if a.database.server_version != b.database.server_version {
            warnings.push(format!(
                "{} measured PostgreSQL {} but {} measured {}",
                first.path.display(),
                a.database.server_version,
                other.path.display(),
                b.database.server_version
            ));
        }
        if a.dataset != b.dataset {
            warnings.push(format!(
                "{} and {} counted different rows at the start; the merged file keeps the first \
                 file's counts",
                first.path.display(),
                other.path.display()
            ));
        }
    }
    warnings
}

#[cfg(test)]
#[path = "merge_tests.rs"]
mod tests;
