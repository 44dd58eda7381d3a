//! The baseline gate: refuses a baseline that cannot be compared (another dataset, a
//! changed scenario definition), warns about another server or machine, and judges each
//! scenario against the baseline runs, failing it on a regression. Also the offline
//! `techspec-bench compare OLD NEW`. Must not hold statistics (`stats`, `verdict`) or SQL.

use std::collections::BTreeMap;

use crate::app::ui::Ui;
use crate::cli::{Cli, CompareArgs, RegressionArgs};
use crate::config::{RegressionOverride, Scenario};
use crate::report::regression::{method_note, regression_reason, run_change_reason};
use crate::report::{self, BaselineRun, Reporter, TableReporter};
use crate::results::{RunReport, ScenarioResult, Status, Summary};
use crate::stats::{DEFAULT_CONFIDENCE, per_comparison};
use crate::verdict::definition::definition_hash;
use crate::verdict::machine::{
    MachineReference, RunWideChange, machine_reference, run_wide_change,
};
use crate::verdict::regression::{BaselineComparison, Change, RegressionLimits, compare_scenario};
use crate::{Error, Result, exit_code};

/// The baseline runs and the limits every scenario is judged with.
#[derive(Debug, Clone)]
pub struct BaselineGate {
    pub runs: Vec<BaselineRun>,
    pub limits: RegressionLimits,
    /// `[regression]` of the thresholds file: per-scenario limits.
    pub overrides: BTreeMap<String, RegressionOverride>,
}

impl BaselineGate {
    /// Loads `--baseline` (none: no gate) with the flags' limits.
    pub fn load(
        args: &RegressionArgs,
        overrides: &BTreeMap<String, RegressionOverride>,
    ) -> Result<Option<Self>> {
        if args.baseline.is_empty() {
            return Ok(None);
        }
        Ok(Some(BaselineGate {
            runs: report::load_baselines(&args.baseline)?,
            limits: limits_of(args),
            overrides: overrides.clone(),
        }))
    }

    /// Shares the 95% confidence out over the comparisons of a run of `names`: three
    /// percentiles of every one the baseline measured too (see `stats::per_comparison`).
    pub fn comparing<'a>(mut self, names: impl Iterator<Item = &'a str>) -> Self {
        let compared = names
            .filter(|name| {
                self.runs
                    .iter()
                    .any(|run| run.report.scenarios.iter().any(|s| s.name == *name))
            })
            .count();
        self.limits.confidence = per_comparison(DEFAULT_CONFIDENCE, 3 * compared);
        self
    }

    /// The newest baseline run, which the Δ columns compare with.
    pub fn newest(&self) -> Option<&RunReport> {
        self.runs.last().map(|run| &run.report)
    }

    /// Refuses the baseline when a selected scenario's definition differs from the one
    /// the baseline measured (before any database work).
    pub fn check_definitions(&self, scenarios: &[Scenario]) -> Result<()> {
        for scenario in scenarios {
            check_definition(&self.runs, &scenario.name, &definition_hash(scenario))?;
        }
        Ok(())
    }

    /// Refuses another dataset; returns warnings for another server version or machine.
    pub fn check_dataset(&self, current: &RunReport) -> Result<Vec<String>> {
        let mut warnings = Vec::new();
        for run in &self.runs {
            check_same_dataset(run, current)?;
            warnings.extend(environment_warnings(run, current));
        }
        warnings.dedup();
        Ok(warnings)
    }

    /// Compares every measured result with the baseline runs, each after dividing out the
    /// machine's change (the reference probes of both runs), fails each result that
    /// regressed, then judges the change of the whole run beyond the reference and fails
    /// the scenarios that carry it. Call once, when every scenario of the run is measured.
    pub fn apply_all(&self, report: &mut RunReport) {
        let machine: Vec<Option<MachineReference>> = self
            .runs
            .iter()
            .map(|run| machine_reference(&report.reference, &run.report.reference))
            .collect();
        for result in report.scenarios.iter_mut() {
            result.baseline = self.compare(result, &machine);
            fail_on_regression(result);
        }
        let compared: Vec<&BaselineComparison> = report
            .scenarios
            .iter()
            .filter_map(|r| r.baseline.as_ref())
            .collect();
        let newest = machine.last().cloned().flatten();
        report.run_change = run_wide_change(&compared, newest, self.limits.max_percent);
        if let Some(change) = report
            .run_change
            .as_ref()
            .filter(|c| c.verdict == Change::Regression)
        {
            fail_on_run_change(&mut report.scenarios, change, self.limits.max_percent);
        }
    }

    /// `result` compared with the same scenario in every baseline run.
    fn compare(
        &self,
        result: &ScenarioResult,
        machine: &[Option<MachineReference>],
    ) -> Option<BaselineComparison> {
        let mut then = Vec::new();
        let mut factors = Vec::new();
        for (run, factor) in self.runs.iter().zip(machine) {
            if let Some(found) = run.report.scenarios.iter().find(|s| s.name == result.name) {
                then.push(found);
                factors.push(factor.clone());
            }
        }
        let limits = self
            .overrides
            .get(&result.name)
            .map_or(self.limits, |o| o.apply(self.limits));
        compare_scenario(result, &then, &factors, limits)
    }
}

/// Fails every compared scenario whose p50 moved beyond `max_percent` with the whole run.
fn fail_on_run_change(results: &mut [ScenarioResult], change: &RunWideChange, max_percent: f64) {
    let reason = run_change_reason(change);
    for result in results.iter_mut() {
        let moved = result
            .baseline
            .as_ref()
            .and_then(|c| c.percentiles.first())
            .and_then(|p| p.change_percent)
            .is_some_and(|percent| percent > max_percent);
        if !moved {
            continue;
        }
        result.reason = Some(match result.reason.take() {
            Some(earlier) if result.status == Status::Fail => format!("{earlier}; {reason}"),
            _ => reason.clone(),
        });
        result.status = Status::Fail;
    }
}

/// Fails `result` when its comparison is a regression, the numbers in the reason.
pub(crate) fn fail_on_regression(result: &mut ScenarioResult) {
    let Some(comparison) = result.baseline.as_ref().filter(|c| c.is_regression()) else {
        return;
    };
    let reason = regression_reason(comparison);
    result.reason = Some(match result.reason.take() {
        Some(earlier) if result.status == Status::Fail => format!("{earlier}; {reason}"),
        _ => reason,
    });
    result.status = Status::Fail;
}

pub(crate) fn limits_of(args: &RegressionArgs) -> RegressionLimits {
    RegressionLimits {
        max_percent: args.max_regression,
        min_us: args.min_regression.as_secs_f64() * 1e6,
        max_buffers_ratio: args.max_buffers_ratio,
        confidence: DEFAULT_CONFIDENCE,
    }
}

/// A baseline scenario of the same name must have the same definition hash.
fn check_definition(runs: &[BaselineRun], name: &str, hash: &str) -> Result<()> {
    for run in runs {
        let Some(then) = run.report.scenarios.iter().find(|s| s.name == name) else {
            continue;
        };
        let how = match then.definition.as_deref() {
            Some(found) if found == hash => continue,
            Some(found) => format!("its definition changed ({found} then, {hash} now)"),
            None => "the baseline does not record its definition (saved by an older version)"
                .to_string(),
        };
        return Err(Error::config(format!(
            "{}: cannot compare scenario `{name}` with this baseline: {how}; the SQL, \
             parameters, load shape or expectations differ, so the numbers measure different \
             work. Save a fresh baseline from the main branch (`run --save-baseline`)",
            run.path.display()
        )));
    }
    Ok(())
}

/// The dataset must be the same: row counts, parameter seed, and the seed run (its
/// `as_of` only between named databases: a throwaway cluster seeds relative to its start).
fn check_same_dataset(run: &BaselineRun, current: &RunReport) -> Result<()> {
    dataset_difference_of(&run.report, current, ("then", "now")).map_or(Ok(()), |what| {
        Err(Error::config(format!(
            "{}: the baseline measured another dataset ({what}); compare runs on the same \
             dataset, or save a fresh baseline with `run --save-baseline`",
            run.path.display()
        )))
    })
}

/// What differs between the datasets of two runs (`then` and `current`, named `labels` in
/// the text); `None` when they are the same: row counts, parameter seed, and the seed run.
pub(crate) fn dataset_difference_of(
    then: &RunReport,
    current: &RunReport,
    labels: (&str, &str),
) -> Option<String> {
    let (was, is) = labels;
    if then.dataset != current.dataset {
        return Some(format!(
            "row counts differ: {}",
            dataset_difference(then, current, labels)
        ));
    }
    if then.rng_seed != current.rng_seed {
        return Some(format!(
            "--rng-seed {} {was}, {} {is}",
            shown(then.rng_seed),
            shown(current.rng_seed)
        ));
    }
    if let (Some(old), Some(new)) = (&then.seed, &current.seed) {
        if (old.rng_seed, old.sessions) != (new.rng_seed, new.sessions) {
            return Some(format!(
                "seeded with --rng-seed {} and {} sessions {was}, --rng-seed {} and {} {is}",
                old.rng_seed, old.sessions, new.rng_seed, new.sessions
            ));
        }
        let named = !then.database.throwaway && !current.database.throwaway;
        if named && old.as_of != new.as_of {
            return Some(format!("--as-of {} {was}, {} {is}", old.as_of, new.as_of));
        }
    }
    None
}

fn shown(value: Option<u64>) -> String {
    value.map_or("unknown".to_string(), |v| v.to_string())
}

/// The first tables whose counts differ, e.g. `tech_research 30000 then, 29000 now`.
fn dataset_difference(then: &RunReport, now: &RunReport, (was, is): (&str, &str)) -> String {
    let tables: std::collections::BTreeSet<&String> =
        then.dataset.keys().chain(now.dataset.keys()).collect();
    let count = |report: &RunReport, table: &str| {
        report
            .dataset
            .get(table)
            .map_or("none".to_string(), |n| n.to_string())
    };
    tables
        .into_iter()
        .filter(|table| then.dataset.get(*table) != now.dataset.get(*table))
        .take(3)
        .map(|table| {
            format!(
                "{table} {} {was}, {} {is}",
                count(then, table),
                count(now, table)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Another server version or machine: still compared, with a warning.
fn environment_warnings(run: &BaselineRun, current: &RunReport) -> Vec<String> {
    let then = &run.report;
    let path = run.path.display();
    let mut warnings = Vec::new();
    if then.database.server_version != current.database.server_version {
        warnings.push(format!(
            "{path}: the baseline ran on PostgreSQL {}, this run on {}; timings may differ \
             for that reason alone (buffers compare fairly)",
            then.database.server_version, current.database.server_version
        ));
    }
    if let (Some(old), Some(new)) = (&then.machine, &current.machine)
        && old != new
    {
        warnings.push(format!(
            "{path}: the baseline ran on machine `{old}`, this run on `{new}`; timings may \
             differ for that reason alone (buffers compare fairly)"
        ));
    }
    warnings
}

/// `techspec-bench compare OLD NEW`: judges NEW against OLD offline and prints the table.
/// Exit 1 when a scenario regressed, else 0 (NEW's own threshold verdicts are shown, not
/// judged again); a baseline that cannot be compared is exit 2.
pub fn run(cli: &Cli, args: &CompareArgs) -> Result<i32> {
    let ui = Ui::from_cli(cli);
    let mut regression = args.regression.clone();
    regression.baseline = vec![args.old.clone()];
    let gate = BaselineGate::load(&regression, &BTreeMap::new())?
        .ok_or_else(|| Error::config("compare needs a baseline"))?;
    let mut current = report::load_baseline(&args.new)?;
    let measured = current.scenarios.iter().filter(|s| s.latency_us.is_some());
    let gate = gate.comparing(measured.map(|s| s.name.as_str()));
    check_definitions_of_results(&gate, &current, &args.new)?;
    for warning in gate.check_dataset(&current)? {
        eprintln!("warning: {warning}");
    }
    current.scenarios.iter_mut().for_each(undo_earlier_gate);
    gate.apply_all(&mut current);
    let regressions = current
        .scenarios
        .iter()
        .filter(|r| r.baseline.as_ref().is_some_and(|c| c.is_regression()))
        .count();
    current.summary = Summary::of(&current.scenarios);
    print_comparison(&ui, &gate, &current)?;
    Ok(if regressions > 0 {
        exit_code::GATE_FAILED
    } else {
        exit_code::SUCCESS
    })
}

/// A NEW file written by `run --baseline` carries that run's verdict: judge it afresh from
/// its thresholds, plan and errors (the first error message is not saved, so a reason for
/// query errors loses it).
fn undo_earlier_gate(result: &mut ScenarioResult) {
    // A comparison (its own regression, or the whole run's) may have failed it.
    if result.baseline.take().is_none() {
        return;
    }
    let decision = crate::verdict::decide_status(
        &result.thresholds,
        result.plan.as_ref(),
        result.errors,
        None,
    );
    result.status = decision.status;
    result.reason = crate::report::cells::failure_reason(&decision.causes);
}

/// `compare` has no scenario files: the NEW file's recorded hashes are checked instead.
fn check_definitions_of_results(
    gate: &BaselineGate,
    current: &RunReport,
    path: &std::path::Path,
) -> Result<()> {
    for result in &current.scenarios {
        match result.definition.as_deref() {
            Some(hash) => check_definition(&gate.runs, &result.name, hash)?,
            None => {
                return Err(Error::config(format!(
                    "{}: scenario `{}` does not record its definition (saved by an older \
                     version); write it again with this version's `run --json`",
                    path.display(),
                    result.name
                )));
            }
        }
    }
    Ok(())
}

fn print_comparison(ui: &Ui, gate: &BaselineGate, current: &RunReport) -> Result<()> {
    let comparison = gate.newest().map(|then| report::compare(current, then));
    let table = TableReporter {
        color: ui.color,
        width: report::table::stdout_width(),
        baseline: comparison,
        verbose: ui.verbose,
    };
    let bytes = table.render(current)?;
    print!("{}", String::from_utf8_lossy(&bytes));
    if let Some(note) = method_note(current) {
        println!("{note}");
    }
    Ok(())
}
