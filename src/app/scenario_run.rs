//! One scenario of `run`: plan check before timing, timing on the engine's client threads,
//! plan re-check after (drift, and the generic plans the timed loop used), thresholds and
//! status. In one go (`run_one`), or in stages so that `run` can interleave the windows of
//! every scenario (`begin`, `measure_window`, `finish`). In an A/B run (`--against`) the
//! same stages carry the base side too: its plan checks, its preflight, and windows
//! measured in pairs with the target (`bench::paired`). Must not print or write files.

use crate::app::ab::Against;
use crate::app::database::OpenDatabase;
use crate::app::ui::Ui;
use crate::bench::paired::measure_paired_window;
use crate::bench::schedule::Window;
use crate::bench::{self, EngineOptions, Measurement, PgExecutor, Prepared};
use crate::config::{LoadAmount, Scenario, ThresholdExpr};
use crate::db::prepared::PlanCounts;
use crate::explain::{self, ExplainedScenario, GenericPlans};
use crate::outcome::Outcome;
use crate::report::cells::failure_reason;
use crate::results::{PlanVerdict, ScenarioResult, Status, StepResult};
use crate::stats::histogram::{Recorded, decode};
use crate::stats::precision::{MIN_WINDOWS, p50_precision, precise_enough};
use crate::verdict::{self, Observed};
use crate::{Error, Result};

/// Runs one scenario end to end, in one window. A failed gate is a result; only database
/// or environment problems (and Ctrl-C) are errors.
pub async fn run_one(
    database: &OpenDatabase,
    client: &mut tokio_postgres::Client,
    scenario: &Scenario,
    thresholds: Option<&Vec<ThresholdExpr>>,
    rng_seed: u64,
    ui: &Ui,
) -> Result<ScenarioResult> {
    let stage = begin(database, client, None, scenario, rng_seed, 1).await?;
    let stage = measure_window(database, None, scenario, stage, rng_seed, ui).await?;
    finish(client, scenario, thresholds, stage, rng_seed).await
}

/// A scenario between `begin` and `finish`.
pub enum Stage {
    /// Its result is known without (more) measuring: skipped, or it cannot work here.
    Done(Box<ScenarioResult>),
    /// Plan checked, preflight passed; windows measured so far.
    Measuring(Box<InProgress>),
}

/// What a scenario being measured in windows carries from window to window.
pub struct InProgress {
    before: std::result::Result<ExplainedScenario, String>,
    prepared: Prepared,
    /// Windows of this scenario (at most the run's rounds).
    pub windows: u32,
    /// Windows measured so far.
    pub measured: u32,
    measurement: Option<Measurement>,
    /// The base side of an A/B run.
    base: Option<BaseProgress>,
}

/// The base side of a scenario in an A/B run: its plan check before timing and what its
/// windows measured (in pairs with the target's).
struct BaseProgress {
    before: std::result::Result<ExplainedScenario, String>,
    measurement: Option<Measurement>,
}

/// Checks the plan before timing and runs the preflight, once for all windows of
/// `scenario`, which will be measured in `windows` windows.
pub async fn begin(
    database: &OpenDatabase,
    client: &mut tokio_postgres::Client,
    against: Option<&mut Against>,
    scenario: &Scenario,
    rng_seed: u64,
    windows: u32,
) -> Result<Stage> {
    let before = match explain::explain_scenario(client, scenario, rng_seed).await? {
        Outcome::Ok(explained) => Ok(explained),
        Outcome::Skip(reason) => {
            return Ok(Stage::Done(Box::new(unmeasured(
                scenario,
                Status::Skip,
                reason,
            ))));
        }
        // Still measured: a statement that times out or fails for some parameters is
        // counted as query errors; one that cannot run at all errors in the engine too.
        Outcome::Error(reason) => Err(reason),
    };
    let (target, owned) = (database.target.clone(), scenario.clone());
    let prepared = off_runtime(scenario, move || {
        bench::prepare_scenario(&target, &owned, rng_seed)
    })
    .await?;
    let base = match against {
        None => None,
        Some(against) => match begin_base(against, scenario, rng_seed).await? {
            Ok(base) => Some(base),
            Err(done) => return Ok(done),
        },
    };
    Ok(match prepared {
        Outcome::Ok(prepared) => Stage::Measuring(Box::new(InProgress {
            before,
            prepared,
            windows: windows.max(1),
            measured: 0,
            measurement: None,
            base,
        })),
        Outcome::Skip(reason) => Stage::Done(Box::new(unmeasured(scenario, Status::Skip, reason))),
        Outcome::Error(reason) => {
            Stage::Done(Box::new(unmeasured(scenario, Status::Error, reason)))
        }
    })
}

/// The base side's plan check and preflight; a scenario that cannot run on the base is
/// done (skipped or an error, saying it is the base's problem).
async fn begin_base(
    against: &mut Against,
    scenario: &Scenario,
    rng_seed: u64,
) -> Result<std::result::Result<BaseProgress, Stage>> {
    let on_base = |reason: String| format!("on the base database (--against): {reason}");
    let explained = explain::explain_scenario(&mut against.client, scenario, rng_seed).await;
    let before = match explained.map_err(|e| e.in_context("the base database (--against)"))? {
        Outcome::Ok(explained) => Ok(explained),
        Outcome::Skip(reason) => {
            let result = unmeasured(scenario, Status::Skip, on_base(reason));
            return Ok(Err(Stage::Done(Box::new(result))));
        }
        Outcome::Error(reason) => Err(reason),
    };
    let (target, owned) = (against.target.clone(), scenario.clone());
    let preflight = off_runtime(scenario, move || {
        bench::prepare_scenario(&target, &owned, rng_seed)
    })
    .await?;
    let status = match preflight {
        Outcome::Ok(_) => {
            return Ok(Ok(BaseProgress {
                before,
                measurement: None,
            }));
        }
        Outcome::Skip(reason) => (Status::Skip, reason),
        Outcome::Error(reason) => (Status::Error, reason),
    };
    let result = unmeasured(scenario, status.0, on_base(status.1));
    Ok(Err(Stage::Done(Box::new(result))))
}

/// Measures the next window of a scenario in progress, on new connections. A window that
/// finds the scenario cannot run (any more) ends it as a skip or an error.
pub async fn measure_window(
    database: &OpenDatabase,
    against: Option<&Against>,
    scenario: &Scenario,
    stage: Stage,
    rng_seed: u64,
    ui: &Ui,
) -> Result<Stage> {
    let Stage::Measuring(mut progress) = stage else {
        return Ok(stage);
    };
    let window = Window {
        index: progress.measured,
        count: progress.windows,
    };
    let label = if window.count > 1 {
        format!("{} ({}/{})", scenario.name, window.index + 1, window.count)
    } else {
        scenario.name.clone()
    };
    let bar = ui.scenario_bar(&label);
    let options = EngineOptions {
        rng_seed,
        cancel: crate::app::cancel_flag(),
        progress: bar.clone(),
    };
    let (target, owned) = (database.target.clone(), scenario.clone());
    let base_target = against
        .filter(|_| progress.base.is_some())
        .map(|a| a.target.clone());
    let prepared = progress.prepared;
    let (prepared, outcome) = off_runtime(scenario, move || {
        let outcome = match &base_target {
            None => bench::measure_window(&target, &owned, &prepared, window, &options)
                .map(|o| o.map(|m| (m, None))),
            Some(base) => {
                let (a, b) = (PgExecutor::new(&target), PgExecutor::new(base));
                measure_paired_window(&a, &b, &owned, &prepared, window, &options)
                    .map(|o| o.map(|pair| (pair.target, Some(pair.base))))
            }
        };
        Ok((prepared, outcome))
    })
    .await?;
    progress.prepared = prepared;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let (measured, base_measured) = match outcome? {
        Outcome::Ok(measured) => measured,
        Outcome::Skip(reason) => {
            return Ok(Stage::Done(Box::new(unmeasured(
                scenario,
                Status::Skip,
                reason,
            ))));
        }
        Outcome::Error(reason) => {
            return Ok(Stage::Done(Box::new(unmeasured(
                scenario,
                Status::Error,
                reason,
            ))));
        }
    };
    absorb(&mut progress.measurement, measured)?;
    if let (Some(base), Some(measured)) = (&mut progress.base, base_measured) {
        absorb(&mut base.measurement, measured)?;
    }
    progress.measured += 1;
    // A budget ends early once its windows agree on the p50, or once it is spent (a
    // query slower than a window's share still gets its fewest windows).
    if let LoadAmount::Budget(budget) = scenario.load.amount
        && let Some(measurement) = &progress.measurement
        && (precise_enough(&recorded_windows(measurement))
            || budget_spent(measurement, budget, progress.measured))
    {
        progress.windows = progress.measured;
    }
    Ok(Stage::Measuring(progress))
}

/// True once a budgeted scenario measured its fewest windows and its iterations took its
/// whole budget: the sum of its recorded latencies, errors included (not the windows'
/// wall time, which also holds warm-ups and, in an A/B run, the other side and the
/// connection draws).
fn budget_spent(measurement: &Measurement, budget: std::time::Duration, windows: u32) -> bool {
    let spent_us = |h: &hdrhistogram::Histogram<u64>| h.mean() * h.len() as f64;
    let spent = spent_us(&measurement.latency) + spent_us(&measurement.error_latency);
    windows as usize >= MIN_WINDOWS && spent >= budget.as_secs_f64() * 1e6
}

/// Each window's successful latencies, as the statistics read them (a window that does
/// not decode, which the engine never writes, counts as empty).
fn recorded_windows(measurement: &Measurement) -> Vec<Recorded> {
    let decoded = |encoded: &String| decode(encoded).map(|h| Recorded::of(&h));
    measurement
        .windows
        .iter()
        .filter_map(|w| decoded(w).ok())
        .collect()
}

/// The result of a scenario whose windows are measured: plan re-check, thresholds, status.
pub async fn finish(
    client: &mut tokio_postgres::Client,
    scenario: &Scenario,
    thresholds: Option<&Vec<ThresholdExpr>>,
    stage: Stage,
    rng_seed: u64,
) -> Result<ScenarioResult> {
    let progress = match stage {
        Stage::Done(result) => return Ok(*result),
        Stage::Measuring(progress) => progress,
    };
    let Some(measurement) = progress.measurement else {
        return Ok(unmeasured(
            scenario,
            Status::Error,
            "no window was measured".into(),
        ));
    };
    let before = progress.before;
    let buffers = before
        .as_ref()
        .ok()
        .map(|b| buffers_per_execution(&b.plans()));
    let plan = match before {
        Ok(before) => {
            checked_plan(client, scenario, rng_seed, before, &measurement.plan_counts).await?
        }
        Err(reason) => unchecked_plan(scenario, reason),
    };
    Ok(assemble(scenario, thresholds, measurement, plan, buffers))
}

fn absorb(total: &mut Option<Measurement>, window: Measurement) -> Result<()> {
    match total {
        None => *total = Some(window),
        Some(total) => total.absorb(window)?,
    }
    Ok(())
}

/// `finish` for an A/B run: the target's result, and the base side's (its own plan check
/// after timing; no thresholds) when both sides were measured.
pub async fn finish_pair(
    client: &mut tokio_postgres::Client,
    against: &mut Against,
    scenario: &Scenario,
    thresholds: Option<&Vec<ThresholdExpr>>,
    mut stage: Stage,
    rng_seed: u64,
) -> Result<(ScenarioResult, Option<ScenarioResult>)> {
    let base = match &mut stage {
        Stage::Measuring(progress) => progress.base.take(),
        Stage::Done(_) => None,
    };
    let target = finish(client, scenario, thresholds, stage, rng_seed).await?;
    let Some(BaseProgress {
        before,
        measurement: Some(measurement),
    }) = base
    else {
        return Ok((target, None));
    };
    let buffers = before
        .as_ref()
        .ok()
        .map(|b| buffers_per_execution(&b.plans()));
    let plan = match before {
        Ok(before) => {
            let counts = measurement.plan_counts.clone();
            checked_plan(&mut against.client, scenario, rng_seed, before, &counts).await?
        }
        Err(reason) => unchecked_plan(scenario, reason),
    };
    let base = assemble(scenario, None, measurement, plan, buffers);
    Ok((target, Some(base)))
}

/// The result of a scenario the run could not finish: an error saying why, with what its
/// windows measured so far (no plan re-check: the database is gone).
pub fn unfinished(scenario: &Scenario, stage: Stage, reason: String) -> ScenarioResult {
    let measured = match stage {
        Stage::Measuring(progress) => progress.measurement,
        Stage::Done(_) => None,
    };
    let Some(measurement) = measured else {
        return unmeasured(scenario, Status::Error, reason);
    };
    let plan = unchecked_plan(scenario, reason.clone());
    let mut result = assemble(scenario, None, measurement, plan, None);
    result.status = Status::Error;
    result.reason = Some(reason);
    result
}

/// Runs blocking engine work on its own thread, off the async runtime.
async fn off_runtime<T: Send + 'static>(
    scenario: &Scenario,
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work).await.map_err(|e| {
        Error::environment(format!(
            "the benchmark thread of `{}` failed: {e}",
            scenario.name
        ))
    })?
}

/// Shared hit + read blocks per execution over all steps: each top node's count covers
/// its whole tree (as `expect.max_buffers` counts them).
fn buffers_per_execution(plans: &[explain::Plan]) -> u64 {
    plans
        .iter()
        .map(|plan| {
            plan.root.shared_blocks() / plan.root.actual_loops.unwrap_or(1.0).max(1.0) as u64
        })
        .sum()
}

/// The plan verdict from the check before timing, with drift from a second check after.
/// The second check also explains the generic plan of every step the timed loop ran with
/// one (`counts`), so the verdict covers every plan that was timed.
async fn checked_plan(
    client: &mut tokio_postgres::Client,
    scenario: &Scenario,
    rng_seed: u64,
    before: ExplainedScenario,
    counts: &[PlanCounts],
) -> Result<PlanVerdict> {
    let generic_steps = explain::generic_steps(counts);
    let generic = GenericPlans::Steps(&generic_steps);
    let (drift, generic_check) =
        match explain::explain_scenario_with(client, scenario, rng_seed, generic).await? {
            Outcome::Ok(after) => (
                explain::drift(&before.fingerprint, &after.fingerprint),
                after.generic_check,
            ),
            Outcome::Skip(reason) | Outcome::Error(reason) => (
                Some(format!(
                    "the plan could not be checked again after the run: {reason}"
                )),
                None,
            ),
        };
    let mut verdict = explain::timed_verdict(
        &before.check,
        generic_check.as_ref(),
        counts,
        &scenario.expect,
        drift,
    );
    verdict.fingerprint = Some(before.fingerprint);
    Ok(verdict)
}

/// The plan could not be explained: a failed check, saying why.
fn unchecked_plan(scenario: &Scenario, reason: String) -> PlanVerdict {
    PlanVerdict {
        ok: false,
        expect: explain::describe(&scenario.expect),
        failures: vec![format!("plan not checked: {reason}")],
        ..PlanVerdict::default()
    }
}

fn unmeasured(scenario: &Scenario, status: Status, reason: String) -> ScenarioResult {
    ScenarioResult::unmeasured(&scenario.name, &scenario.group, status, reason)
}

/// Builds the result: summaries, thresholds, plan verdict and status.
fn assemble(
    scenario: &Scenario,
    thresholds: Option<&Vec<ThresholdExpr>>,
    measurement: Measurement,
    plan: PlanVerdict,
    buffers: Option<u64>,
) -> ScenarioResult {
    let latency = bench::summarize(&measurement.latency);
    let observed = Observed {
        latency,
        successes: measurement.successes(),
        errors: measurement.errors,
        throughput_per_s: measurement.throughput_per_s(),
        buffers,
    };
    let outcomes = verdict::evaluate(thresholds.map(Vec::as_slice).unwrap_or(&[]), &observed);
    let decision = verdict::decide_status(
        &outcomes,
        Some(&plan),
        measurement.errors,
        measurement.first_error.as_deref(),
    );
    let (status, reason) = (decision.status, failure_reason(&decision.causes));
    let has_latency = !measurement.latency.is_empty();
    ScenarioResult {
        name: scenario.name.clone(),
        group: scenario.group.clone(),
        status,
        reason,
        iterations: measurement.iterations,
        errors: measurement.errors,
        duration_s: measurement.duration.as_secs_f64(),
        throughput_per_s: observed.throughput_per_s,
        errors_per_s: measurement.errors_per_s(),
        latency_us: has_latency.then_some(latency),
        error_latency_us: (!measurement.error_latency.is_empty())
            .then(|| bench::summarize(&measurement.error_latency)),
        service_time_us: measurement.service_time.as_ref().map(bench::summarize),
        schedule_lag_us: measurement.schedule_lag.as_ref().map(bench::summarize),
        thresholds: outcomes,
        plan: Some(plan),
        steps: measurement
            .steps
            .iter()
            .map(|(sql, histogram)| StepResult {
                sql: sql.clone(),
                latency_us: bench::summarize(histogram),
            })
            .collect(),
        histogram: has_latency.then(|| bench::encode_histogram(&measurement.latency)),
        windows: if has_latency {
            measurement.windows.clone()
        } else {
            Vec::new()
        },
        pair_ratios: measurement.pair_ratios.clone(),
        budget_s: match scenario.load.amount {
            LoadAmount::Budget(budget) => Some(budget.as_secs_f64()),
            _ => None,
        },
        precision: p50_precision(&recorded_windows(&measurement)),
        buffers,
        definition: None,
        baseline: None,
        protocol: Some(scenario.protocol),
    }
}
