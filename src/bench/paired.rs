//! Paired measurement: one window of a scenario on two databases at once. Each client
//! thread opens a new session on each side, warms both up, then runs pairs: the same drawn
//! parameters on both sides, the side that goes first alternating pair by pair (A B, B A,
//! A B, …, so order effects cancel). Each side keeps its own histograms, errors and plan
//! counts; window by window they are paired by the caller's statistics. Closed loop: a
//! pair runs as soon as the last one ended (a scenario's `rate` is not applied here).
//! Must not evaluate thresholds, compare the sides or format output.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::bench::client::{
    AttemptTimes, ClientOutcome, ResponseGuard, SharedRun, StartLine, open_and_warm_up,
    read_plan_counts, response_guard,
};
use crate::bench::engine::{EngineOptions, Measurement, Prepared, STREAMS_PER_WINDOW, merge};
use crate::bench::executor::{Executor, Session};
use crate::bench::reconnect::reconnect;
use crate::bench::schedule::{ClientPlan, StopAt, Window, window_plans};
use crate::config::model::Scenario;
use crate::outcome::Outcome;
use crate::params::ParamDrawer;

/// One window measured on both sides.
#[derive(Debug)]
pub struct PairedMeasurement {
    /// The database under test (`--database-url`).
    pub target: Measurement,
    /// The database it is compared with (`--against`).
    pub base: Measurement,
}

/// Which side of a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Target,
    Base,
}

impl Side {
    /// The side that goes first in pair `k`: target first in even pairs.
    pub fn first_in_pair(k: u64) -> Side {
        if k % 2 == 0 { Side::Target } else { Side::Base }
    }
}

/// Measures `window` of a prepared scenario on both sides, on new connections (blocking).
/// `Outcome::Error` when the scenario cannot work on a side; `Err` for the environment
/// (a side unreachable) and Ctrl-C.
pub fn measure_paired_window<E: Executor>(
    target: &E,
    base: &E,
    scenario: &Scenario,
    prepared: &Prepared,
    window: Window,
    opts: &EngineOptions,
) -> crate::Result<Outcome<PairedMeasurement>> {
    let plans: Vec<ClientPlan> = window_plans(&scenario.load, window)
        .into_iter()
        .map(|plan| ClientPlan {
            schedule: None,
            ..plan
        })
        .collect();
    let shared = SharedRun {
        start_line: StartLine::new(plans.len()),
        setup_failed: AtomicBool::new(false),
        cancel: std::sync::Arc::clone(&opts.cancel),
        progress: opts.progress.clone(),
    };
    if let Some(bar) = &opts.progress {
        bar.set_length(match plans[0].stop {
            StopAt::Iterations(_) => plans.iter().filter_map(ClientPlan::share).sum(),
            StopAt::Elapsed(limit) => u64::try_from(limit.as_millis()).unwrap_or(u64::MAX),
        });
    }
    let first_stream = window.index.saturating_mul(STREAMS_PER_WINDOW);
    let outcomes: Vec<crate::Result<(ClientOutcome, ClientOutcome)>> =
        std::thread::scope(|scope| {
            let handles: Vec<_> = plans
                .iter()
                .map(|plan| {
                    let drawer = prepared.drawer.fork(first_stream.saturating_add(plan.index));
                    let shared = &shared;
                    std::thread::Builder::new()
                        .name(format!("bench-pair-{}", plan.index))
                        .spawn_scoped(scope, move || {
                            run_pair_client(target, base, scenario, plan, drawer, shared)
                        })
                })
                .collect();
            for _ in handles.iter().filter(|h| h.is_err()) {
                shared.setup_failed.store(true, Ordering::SeqCst);
                shared.start_line.arrive();
            }
            handles
                .into_iter()
                .map(|handle| match handle {
                    Ok(handle) => handle.join().unwrap_or_else(|_| {
                        Err(crate::Error::environment("a benchmark client thread panicked"))
                    }),
                    Err(e) => Err(crate::Error::environment(format!(
                        "cannot start a benchmark client thread: {e}"
                    ))),
                })
                .collect()
        });
    if opts.cancel.load(Ordering::SeqCst) {
        return Err(crate::Error::Interrupted);
    }
    let (mut targets, mut bases) = (Vec::new(), Vec::new());
    for outcome in outcomes {
        let (target, base) = match outcome {
            Ok(pair) => (Ok(pair.0), Ok(pair.1)),
            Err(crate::Error::Config(reason)) => return Ok(Outcome::Error(reason)),
            Err(other) => return Err(other),
        };
        targets.push(target);
        bases.push(base);
    }
    let target = match merge(scenario, targets) {
        Err(crate::Error::Config(reason)) => return Ok(Outcome::Error(reason)),
        other => other?,
    };
    let base = match merge(scenario, bases) {
        Err(crate::Error::Config(reason)) => return Ok(Outcome::Error(reason)),
        Err(crate::Error::Environment(why)) => {
            return Err(crate::Error::environment(format!("--against: {why}")));
        }
        other => other?,
    };
    Ok(Outcome::Ok(PairedMeasurement { target, base }))
}

/// One client of a paired window, on its own thread and current_thread runtime.
fn run_pair_client<E: Executor>(
    target: &E,
    base: &E,
    scenario: &Scenario,
    plan: &ClientPlan,
    mut drawer: ParamDrawer,
    shared: &SharedRun,
) -> crate::Result<(ClientOutcome, ClientOutcome)> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| crate::Error::environment(format!("cannot start a client runtime: {e}")));
    let sessions = match &runtime {
        Ok(rt) => rt.block_on(async {
            // Both sides warm up on the same draws, so the caches see the same values.
            let mut base_drawer = drawer.clone();
            let a = open_and_warm_up(target, scenario, plan, &mut drawer, shared).await?;
            let b = open_and_warm_up(base, scenario, plan, &mut base_drawer, shared).await?;
            Ok((a, b))
        }),
        Err(e) => Err(crate::Error::environment(e.to_string())),
    };
    if sessions.is_err() {
        shared.setup_failed.store(true, Ordering::SeqCst);
    }
    shared.start_line.arrive_and_wait();
    let (runtime, (mut a, mut b)) = (runtime?, sessions?);
    let mut outcomes = (
        ClientOutcome::new(scenario, false),
        ClientOutcome::new(scenario, false),
    );
    if shared.setup_failed.load(Ordering::SeqCst) {
        return Ok(outcomes);
    }
    let sides = Sides { target, base };
    runtime.block_on(sides.measure(scenario, plan, &mut drawer, (&mut a, &mut b), &mut outcomes, shared));
    outcomes.0.plan_counts = runtime.block_on(read_plan_counts(&a, scenario));
    outcomes.1.plan_counts = runtime.block_on(read_plan_counts(&b, scenario));
    Ok(outcomes)
}

struct Sides<'a, E: Executor> {
    target: &'a E,
    base: &'a E,
}

impl<E: Executor> Sides<'_, E> {
    /// The measured loop of pairs. A side whose connection is lost fails that attempt and
    /// is opened again before the next pair.
    async fn measure(
        &self,
        scenario: &Scenario,
        plan: &ClientPlan,
        drawer: &mut ParamDrawer,
        sessions: (&mut E::Session, &mut E::Session),
        outcomes: &mut (ClientOutcome, ClientOutcome),
        shared: &SharedRun,
    ) {
        let cancel = &shared.cancel;
        let mut guard = response_guard(scenario).map(ResponseGuard::new);
        let start = Instant::now();
        let mut now = start;
        let (a, b) = sessions;
        let mut ticked = 0_u64;
        for k in 0.. {
            if plan.is_done(k, now - start) || cancel.load(Ordering::Relaxed) {
                break;
            }
            let mut twin = drawer.clone();
            let order = match Side::first_in_pair(k) {
                Side::Target => [Side::Target, Side::Base],
                Side::Base => [Side::Base, Side::Target],
            };
            let mut stop = false;
            for (turn, side) in order.into_iter().enumerate() {
                let side_drawer: &mut ParamDrawer = if turn == 0 { &mut *drawer } else { &mut twin };
                let (session, outcome) = match side {
                    Side::Target => (&mut *a, &mut outcomes.0),
                    Side::Base => (&mut *b, &mut outcomes.1),
                };
                stop |= attempt(scenario, session, side_drawer, outcome, &mut guard).await;
            }
            now = Instant::now();
            for (side, session) in [(Side::Target, &mut *a), (Side::Base, &mut *b)] {
                if !session.is_closed() || plan.is_done(k + 1, now - start) {
                    continue;
                }
                let executor = if side == Side::Target { self.target } else { self.base };
                match reconnect(executor, scenario, plan.index, cancel).await {
                    Ok(reopened) => *session = reopened,
                    Err(why) => {
                        let outcome = if side == Side::Target {
                            &mut outcomes.0
                        } else {
                            &mut outcomes.1
                        };
                        outcome.unreachable = Some(why);
                        stop = true;
                    }
                }
            }
            ticked += 1;
            if let Some(bar) = &shared.progress
                && ticked % 64 == 0
            {
                bar.inc(64);
            }
            if stop {
                break;
            }
        }
        let window = Some((start, Instant::now()));
        outcomes.0.window = window;
        outcomes.1.window = window;
    }
}

/// Runs and records one side's attempt; true when the server stopped answering.
async fn attempt<S: Session>(
    scenario: &Scenario,
    session: &mut S,
    drawer: &mut ParamDrawer,
    outcome: &mut ClientOutcome,
    guard: &mut Option<ResponseGuard>,
) -> bool {
    let sent = Instant::now();
    let (result, unresponsive) = if session.is_closed() {
        (Err(crate::bench::client::CONNECTION_LOST.to_string()), false)
    } else {
        let iteration = session.run_iteration(scenario, drawer, None);
        match guard {
            Some(guard) => guard.watch(sent, iteration).await,
            None => (iteration.await, false),
        }
    };
    let times = AttemptTimes {
        begin: sent,
        sent,
        done: Instant::now(),
    };
    outcome.record_attempt(result, &times, &[]);
    unresponsive
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::bench::engine::prepare_with;
    use crate::bench::mock::{MockExecutor, Reply};
    use crate::bench::engine::tests::scenario;
    use crate::config::model::LoadAmount;

    fn scenario_with_load(iterations: u64, clients: u32) -> Scenario {
        scenario(LoadAmount::Iterations(iterations), clients)
    }

    #[test]
    fn pairs_alternate_which_side_goes_first() {
        let firsts: Vec<Side> = (0..4).map(Side::first_in_pair).collect();
        assert_eq!(firsts, [Side::Target, Side::Base, Side::Target, Side::Base]);
    }

    #[test]
    fn each_side_gets_its_own_histogram_and_the_same_number_of_iterations() {
        let scenario = scenario_with_load(40, 2);
        let target = MockExecutor::succeeding(Duration::from_micros(400));
        let base = MockExecutor::succeeding(Duration::from_micros(200));
        let opts = EngineOptions {
            rng_seed: 7,
            cancel: Default::default(),
            progress: None,
        };
        let Outcome::Ok(prepared) = prepare_with(&target, &scenario, 7).unwrap() else {
            panic!("preflight")
        };
        let window = Window { index: 0, count: 1 };
        let Outcome::Ok(measured) =
            measure_paired_window(&target, &base, &scenario, &prepared, window, &opts).unwrap()
        else {
            panic!("measured")
        };
        assert_eq!(measured.target.iterations, 40);
        assert_eq!(measured.base.iterations, 40);
        let (t, b) = (
            measured.target.latency.value_at_quantile(0.5),
            measured.base.latency.value_at_quantile(0.5),
        );
        assert!(t > b, "target {t} µs, base {b} µs");
        assert!(t >= 400 && b >= 200);
        // The sides alternate: each client's calls on one side interleave with the other's.
        let (target_calls, base_calls) = (target.calls_of(0), base.calls_of(0));
        let measured_target = &target_calls[target_calls.len() - 20..];
        let measured_base = &base_calls[base_calls.len() - 20..];
        assert!(measured_target[0].sent < measured_base[0].sent);
        assert!(measured_base[1].sent < measured_target[1].sent);
    }

    #[test]
    fn a_side_that_errors_counts_its_errors_alone() {
        let scenario = scenario_with_load(20, 1);
        let target = MockExecutor::succeeding(Duration::from_micros(50));
        let base = MockExecutor::new(|_, number| {
            if number % 2 == 0 {
                Reply::QueryError("boom".into())
            } else {
                Reply::Success(Duration::from_micros(50))
            }
        });
        let opts = EngineOptions {
            rng_seed: 1,
            cancel: Default::default(),
            progress: None,
        };
        let Outcome::Ok(prepared) = prepare_with(&target, &scenario, 1).unwrap() else {
            panic!("preflight")
        };
        let Outcome::Ok(measured) =
            measure_paired_window(&target, &base, &scenario, &prepared, Window::WHOLE, &opts)
                .unwrap()
        else {
            panic!("measured")
        };
        assert_eq!(measured.target.errors, 0);
        assert!(measured.base.errors > 0 && measured.base.errors < 20);
        assert_eq!(measured.base.first_error.as_deref(), Some("boom"));
    }
}
