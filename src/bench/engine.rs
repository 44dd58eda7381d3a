//! Runs one scenario: a preflight on its own connection (relations, samples, parameter
//! types), then the measurement, whole or one window at a time (each window on new
//! connections: one OS thread per client), and the merge of the clients' histograms;
//! windows measured apart are added together with `Measurement::absorb`.
//! Generic over the `Executor` that talks to the database. Must not evaluate thresholds
//! or format output.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::bench::client::{ClientOutcome, SharedRun, StartLine, run_client};
use crate::bench::executor::{Executor, PgExecutor};
use crate::bench::histogram::{encode_histogram, merge_into, new_latency_histogram};
use crate::bench::schedule::{ClientPlan, StopAt, Window, window_plans};
use crate::config::model::Scenario;
use crate::db::DbTarget;
use crate::db::prepared::PlanCounts;
use crate::outcome::Outcome;
use crate::params::{ParamDrawer, PrepareFailure};

/// How to run a scenario.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Seed of the parameter RNG (`--rng-seed`): the same seed draws the same values.
    pub rng_seed: u64,
    /// Set on Ctrl-C; checked between iterations.
    pub cancel: Arc<AtomicBool>,
    /// Advanced by iterations done (or elapsed milliseconds for a `duration` run);
    /// the engine sets its length, the caller styles and finishes it.
    pub progress: Option<indicatif::ProgressBar>,
}

/// The merged measurement of all clients (warmup excluded).
#[derive(Debug)]
pub struct Measurement {
    /// Recorded iterations, errors included.
    pub iterations: u64,
    pub errors: u64,
    /// Wall clock of the measured part (first client start to last client end).
    pub duration: Duration,
    /// Successful iterations (all steps, BEGIN..COMMIT/ROLLBACK included), µs: from the
    /// scheduled start with `rate`, from the send otherwise.
    pub latency: Histogram<u64>,
    /// Failed iterations, µs, measured as `latency` (one sample per error).
    pub error_latency: Histogram<u64>,
    /// With `rate`: successful iterations from the actual send, µs. None without `rate`.
    pub service_time: Option<Histogram<u64>>,
    /// With `rate`: actual send minus scheduled start of every iteration, µs.
    pub schedule_lag: Option<Histogram<u64>>,
    /// Per-step latency (SQL, µs) for multi-step scenarios; empty for a single statement.
    pub steps: Vec<(String, Histogram<u64>)>,
    /// `latency` of each window measured, in the order measured, encoded as the results
    /// store them (`encode_histogram`): a few hundred bytes each instead of a full
    /// histogram's 140 kB, so that the memory of a run does not grow with its windows.
    pub windows: Vec<String>,
    /// Paired runs (target side): per connection draw, the median of target / base
    /// latency over its pairs. Empty otherwise.
    pub pair_ratios: Vec<f64>,
    /// The first error seen (server message, SQLSTATE and statement).
    pub first_error: Option<String>,
    /// Per step, summed over clients: executions with a custom and with the generic plan
    /// (warmup included). Empty when the server keeps no such counts.
    pub plan_counts: Vec<PlanCounts>,
}

impl Measurement {
    /// Adds the measurement of a later window: counts, durations and histograms add up,
    /// the first error seen stays, and its latency becomes one more window.
    pub fn absorb(&mut self, later: Measurement) -> crate::Result<()> {
        self.iterations += later.iterations;
        self.errors += later.errors;
        self.duration += later.duration;
        merge_into(&mut self.latency, &later.latency)?;
        merge_into(&mut self.error_latency, &later.error_latency)?;
        for (total, part) in [
            (&mut self.service_time, &later.service_time),
            (&mut self.schedule_lag, &later.schedule_lag),
        ] {
            if let (Some(total), Some(part)) = (total, part) {
                merge_into(total, part)?;
            }
        }
        for ((_, total), (_, part)) in self.steps.iter_mut().zip(&later.steps) {
            merge_into(total, part)?;
        }
        if self.first_error.is_none() {
            self.first_error = later.first_error;
        }
        self.plan_counts =
            sum_plan_counts([&self.plan_counts[..], &later.plan_counts[..]].into_iter());
        self.windows.extend(later.windows);
        self.pair_ratios.extend(later.pair_ratios);
        Ok(())
    }

    /// Successful iterations.
    pub fn successes(&self) -> u64 {
        self.iterations - self.errors
    }

    /// Successful iterations per second of the measured wall clock.
    pub fn throughput_per_s(&self) -> f64 {
        self.per_second(self.successes())
    }

    /// Failed iterations per second of the measured wall clock.
    pub fn errors_per_s(&self) -> f64 {
        self.per_second(self.errors)
    }

    fn per_second(&self, count: u64) -> f64 {
        let seconds = self.duration.as_secs_f64();
        if seconds > 0.0 {
            count as f64 / seconds
        } else {
            0.0
        }
    }
}

/// Runs `scenario` against `target`. Blocking: call it from `spawn_blocking` or a plain thread.
/// `Outcome::Skip` when the scenario cannot run on this database (the reason names the
/// relation or sample), `Outcome::Error` when it cannot work (bad SQL, a parameter of the
/// wrong type). Errors: `Environment` for the database (including a connection lost and
/// not opened again within the connect timeout), `Interrupted` when `opts.cancel` was set.
pub fn run_scenario(
    target: &DbTarget,
    scenario: &Scenario,
    opts: &EngineOptions,
) -> crate::Result<Outcome<Measurement>> {
    run_with(&PgExecutor::new(target), scenario, opts)
}

/// `run_scenario` with the database behind `executor` (`PgExecutor` for PostgreSQL).
/// A scenario that cannot work here (bad SQL, wrong parameter type) is an error outcome;
/// `Err` is left for the environment and interruption.
pub fn run_with<E: Executor>(
    executor: &E,
    scenario: &Scenario,
    opts: &EngineOptions,
) -> crate::Result<Outcome<Measurement>> {
    let prepared = match prepare_with(executor, scenario, opts.rng_seed)? {
        Outcome::Ok(prepared) => prepared,
        Outcome::Skip(reason) => return Ok(Outcome::Skip(reason)),
        Outcome::Error(reason) => return Ok(Outcome::Error(reason)),
    };
    measure_window_with(executor, scenario, &prepared, Window::WHOLE, opts)
}

/// A scenario that passed its preflight, ready to be measured window by window.
pub struct Prepared {
    pub(crate) drawer: ParamDrawer,
}

/// The preflight of `scenario` on `target` (relations, samples, parameter types), once
/// for all its windows. Blocking. Skip or error outcomes as `run_scenario`'s.
pub fn prepare_scenario(
    target: &DbTarget,
    scenario: &Scenario,
    rng_seed: u64,
) -> crate::Result<Outcome<Prepared>> {
    prepare_with(&PgExecutor::new(target), scenario, rng_seed)
}

/// `prepare_scenario` with the database behind `executor`.
pub fn prepare_with<E: Executor>(
    executor: &E,
    scenario: &Scenario,
    rng_seed: u64,
) -> crate::Result<Outcome<Prepared>> {
    match preflight_on_own_thread(executor, scenario, rng_seed) {
        Ok(Preflight::Ready(drawer)) => Ok(Outcome::Ok(Prepared { drawer: *drawer })),
        Ok(Preflight::Skip(reason)) => Ok(Outcome::Skip(reason)),
        Err(crate::Error::Config(reason)) => Ok(Outcome::Error(reason)),
        Err(other) => Err(other),
    }
}

/// Measures `window` of a prepared scenario on `target`, on new connections. Blocking.
/// Its parameters are drawn from their own streams, so each window draws other values
/// and the same seed draws the same ones.
pub fn measure_window(
    target: &DbTarget,
    scenario: &Scenario,
    prepared: &Prepared,
    window: Window,
    opts: &EngineOptions,
) -> crate::Result<Outcome<Measurement>> {
    measure_window_with(&PgExecutor::new(target), scenario, prepared, window, opts)
}

/// `measure_window` with the database behind `executor`.
pub fn measure_window_with<E: Executor>(
    executor: &E,
    scenario: &Scenario,
    prepared: &Prepared,
    window: Window,
    opts: &EngineOptions,
) -> crate::Result<Outcome<Measurement>> {
    match measure(executor, scenario, prepared, window, opts) {
        Err(crate::Error::Config(reason)) => Ok(Outcome::Error(reason)),
        other => other.map(Outcome::Ok),
    }
}

/// Client streams of window w are numbered from w × this, so no two windows share one.
pub(crate) const STREAMS_PER_WINDOW: u32 = 1 << 16;

fn measure<E: Executor>(
    executor: &E,
    scenario: &Scenario,
    prepared: &Prepared,
    window: Window,
    opts: &EngineOptions,
) -> crate::Result<Measurement> {
    let plans = window_plans(&scenario.load, window);
    let shared = SharedRun {
        start_line: StartLine::new(plans.len()),
        setup_failed: AtomicBool::new(false),
        cancel: Arc::clone(&opts.cancel),
        progress: opts.progress.clone(),
    };
    size_progress(opts, &plans);
    let first_stream = window.index.saturating_mul(STREAMS_PER_WINDOW);
    let outcomes = run_clients(
        executor,
        scenario,
        &plans,
        &prepared.drawer,
        first_stream,
        &shared,
    );
    if opts.cancel.load(Ordering::SeqCst) {
        return Err(crate::Error::Interrupted);
    }
    merge(scenario, outcomes)
}

fn run_clients<E: Executor>(
    executor: &E,
    scenario: &Scenario,
    plans: &[ClientPlan],
    drawer: &ParamDrawer,
    first_stream: u32,
    shared: &SharedRun,
) -> Vec<crate::Result<ClientOutcome>> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = plans
            .iter()
            .map(|plan| {
                let client_drawer = drawer.fork(first_stream.saturating_add(plan.index));
                std::thread::Builder::new()
                    .name(format!("bench-client-{}", plan.index))
                    .spawn_scoped(scope, move || {
                        run_client(executor, scenario, plan, client_drawer, shared)
                    })
            })
            .collect();
        join_clients(handles, shared)
    })
}

/// Sets the progress bar's length for a window of `plans`: its iterations, or the
/// milliseconds of its duration.
pub(crate) fn size_progress(opts: &EngineOptions, plans: &[ClientPlan]) {
    if let Some(bar) = &opts.progress {
        bar.set_length(match plans[0].stop {
            StopAt::Iterations(_) => plans.iter().filter_map(ClientPlan::share).sum(),
            StopAt::Elapsed(limit) | StopAt::Budget { limit, .. } => {
                u64::try_from(limit.as_millis()).unwrap_or(u64::MAX)
            }
        });
    }
}

/// Joins the client threads of a window: a thread that could not start is counted at the
/// start line (so the others go on) and, like one that panicked, is an environment error.
pub(crate) fn join_clients<T>(
    handles: Vec<std::io::Result<std::thread::ScopedJoinHandle<'_, crate::Result<T>>>>,
    shared: &SharedRun,
) -> Vec<crate::Result<T>> {
    let unstarted = handles.iter().filter(|handle| handle.is_err()).count();
    for _ in 0..unstarted {
        // This client never reaches the start line: count it there so the others go on.
        shared.setup_failed.store(true, Ordering::SeqCst);
        shared.start_line.arrive();
    }
    handles
        .into_iter()
        .map(|handle| match handle {
            Ok(handle) => handle.join().unwrap_or_else(|_| {
                Err(crate::Error::environment(
                    "a benchmark client thread panicked",
                ))
            }),
            Err(e) => Err(crate::Error::environment(format!(
                "cannot start a benchmark client thread: {e}"
            ))),
        })
        .collect()
}

pub(crate) fn merge(
    scenario: &Scenario,
    outcomes: Vec<crate::Result<ClientOutcome>>,
) -> crate::Result<Measurement> {
    let outcomes = outcomes.into_iter().collect::<crate::Result<Vec<_>>>()?;
    if let Some(why) = outcomes.iter().find_map(|o| o.unreachable.as_deref()) {
        return Err(crate::Error::environment(format!(
            "scenario `{}`: {why}",
            scenario.name
        )));
    }
    let paced = scenario.load.rate.is_some() && outcomes.iter().any(|o| o.service_time.is_some());
    let mut merged = Measurement {
        iterations: 0,
        errors: 0,
        duration: Duration::ZERO,
        latency: new_latency_histogram(),
        error_latency: new_latency_histogram(),
        service_time: paced.then(new_latency_histogram),
        schedule_lag: paced.then(new_latency_histogram),
        steps: Vec::new(),
        windows: Vec::new(),
        pair_ratios: outcomes
            .iter()
            .flat_map(|o| o.pair_ratios.clone())
            .collect(),
        first_error: None,
        plan_counts: sum_plan_counts(outcomes.iter().map(|o| o.plan_counts.as_slice())),
    };
    if scenario.is_multi_step() {
        merged.steps = scenario
            .steps
            .iter()
            .map(|s| (s.sql.clone(), new_latency_histogram()))
            .collect();
    }
    for outcome in &outcomes {
        merged.iterations += outcome.iterations;
        merged.errors += outcome.errors;
        if merged.first_error.is_none() {
            merged.first_error.clone_from(&outcome.first_error);
        }
        merge_into(&mut merged.latency, &outcome.latency)?;
        merge_into(&mut merged.error_latency, &outcome.error_latency)?;
        if let (Some(total), Some(part)) = (&mut merged.service_time, &outcome.service_time) {
            merge_into(total, part)?;
        }
        if let (Some(total), Some(part)) = (&mut merged.schedule_lag, &outcome.schedule_lag) {
            merge_into(total, part)?;
        }
        for ((_, total), part) in merged.steps.iter_mut().zip(&outcome.steps) {
            merge_into(total, part)?;
        }
    }
    let start = outcomes.iter().filter_map(|o| o.window).map(|w| w.0).min();
    let end = outcomes.iter().filter_map(|o| o.window).map(|w| w.1).max();
    if let (Some(start), Some(end)) = (start, end) {
        merged.duration = end - start;
    }
    // Clients that re-drew their connections give one window per draw (client by client,
    // in order, so the two sides of a paired run line up); otherwise the window is whole.
    let draws: Vec<String> = outcomes
        .iter()
        .flat_map(|o| o.draws.iter().map(encode_histogram))
        .collect();
    merged.windows = if draws.is_empty() {
        vec![encode_histogram(&merged.latency)]
    } else {
        draws
    };
    Ok(merged)
}

/// Sums per-step plan counts over clients; a client that could not read its counts adds
/// nothing. Empty when no client read any.
fn sum_plan_counts<'a>(per_client: impl Iterator<Item = &'a [PlanCounts]>) -> Vec<PlanCounts> {
    let mut total: Vec<PlanCounts> = Vec::new();
    for counts in per_client {
        if total.len() < counts.len() {
            total.resize(counts.len(), PlanCounts::default());
        }
        for (sum, part) in total.iter_mut().zip(counts) {
            *sum = sum.plus(*part);
        }
    }
    total
}

enum Preflight {
    Ready(Box<ParamDrawer>),
    Skip(String),
}

/// The preflight runs on a fresh thread so `run_scenario` works from any context
/// (including a thread that is inside a tokio runtime).
fn preflight_on_own_thread<E: Executor>(
    executor: &E,
    scenario: &Scenario,
    rng_seed: u64,
) -> crate::Result<Preflight> {
    std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name("bench-preflight".into())
            .spawn_scoped(scope, || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| {
                        crate::Error::environment(format!("cannot start a runtime: {e}"))
                    })?;
                runtime.block_on(preflight(executor, scenario, rng_seed))
            });
        match spawned {
            Ok(handle) => handle.join().unwrap_or_else(|_| {
                Err(crate::Error::environment("the preflight thread panicked"))
            }),
            Err(e) => Err(crate::Error::environment(format!(
                "cannot start a thread: {e}"
            ))),
        }
    })
}

/// The executor's preflight: a scenario that cannot run here is a skip naming why.
async fn preflight<E: Executor>(
    executor: &E,
    scenario: &Scenario,
    rng_seed: u64,
) -> crate::Result<Preflight> {
    match executor.preflight(scenario, rng_seed).await {
        Ok(drawer) => Ok(Preflight::Ready(Box::new(drawer))),
        Err(PrepareFailure::Skip(reason)) => Ok(Preflight::Skip(reason)),
        Err(PrepareFailure::Error(e)) => Err(e),
    }
}

#[cfg(test)]
#[path = "engine_tests.rs"]
pub(crate) mod tests;
