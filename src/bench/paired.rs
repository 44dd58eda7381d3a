//! Paired measurement: one window of a scenario on two databases at once. Each client
//! thread opens a new session on each side, warms both up, then runs pairs: the same drawn
//! parameters on both sides, the side that goes first alternating pair by pair (A B, B A,
//! A B, …, so order effects cancel). Each side keeps its own histograms, errors and plan
//! counts; window by window they are paired by the caller's statistics. Each connection
//! draw also yields the median over its pairs of target / base latency: the same work on
//! both sides, so the parameters' own spread cancels out. Closed loop: a
//! pair runs as soon as the last one ended (a scenario's `rate` is not applied here).
//! A budget is spent on pairs at twice its length, so that each side gets the time a
//! plain run gives the scenario (`PAIRED_BUDGET_FACTOR`).
//! Must not evaluate thresholds, compare the sides or format output.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::bench::client::{
    AttemptTimes, ClientOutcome, ResponseGuard, SharedRun, StartLine, client_runtime,
    open_and_warm_up, read_plan_counts, response_guard,
};
use crate::bench::engine::{
    EngineOptions, Measurement, Prepared, STREAMS_PER_WINDOW, join_clients, merge, size_progress,
};
use crate::bench::executor::{Executor, Session};
use crate::bench::reconnect::reconnect;
use crate::bench::schedule::{ClientPlan, StopAt, Window, paired_load, window_plans};
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
        if k.is_multiple_of(2) {
            Side::Target
        } else {
            Side::Base
        }
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
    let plans: Vec<ClientPlan> = window_plans(&paired_load(&scenario.load), window)
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
    size_progress(opts, &plans);
    let first_stream = window.index.saturating_mul(STREAMS_PER_WINDOW);
    let outcomes: Vec<crate::Result<(ClientOutcome, ClientOutcome)>> =
        std::thread::scope(|scope| {
            let handles: Vec<_> = plans
                .iter()
                .map(|plan| {
                    let drawer = prepared
                        .drawer
                        .fork(first_stream.saturating_add(plan.index));
                    let shared = &shared;
                    std::thread::Builder::new()
                        .name(format!("bench-pair-{}", plan.index))
                        .spawn_scoped(scope, move || {
                            run_pair_client(target, base, scenario, plan, drawer, shared)
                        })
                })
                .collect();
            join_clients(handles, &shared)
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
    let runtime = client_runtime();
    let sessions = match &runtime {
        Ok(rt) => rt.block_on(async {
            // Both sides warm up on the same draws, so the caches see the same values.
            // Both sides connect at once: a window pays one connection latency, not two.
            let mut base_drawer = drawer.clone();
            let (a, b) = tokio::join!(
                open_and_warm_up(target, scenario, plan, &mut drawer, shared),
                open_and_warm_up(base, scenario, plan, &mut base_drawer, shared)
            );
            Ok((a?, b?))
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
    let mut client = PairClient {
        target,
        base,
        scenario,
        plan,
        shared,
        guard: None,
    };
    runtime.block_on(client.measure(&mut drawer, (&mut a, &mut b), &mut outcomes));
    outcomes.0.plan_counts = runtime.block_on(read_plan_counts(&a, scenario));
    outcomes.1.plan_counts = runtime.block_on(read_plan_counts(&b, scenario));
    Ok(outcomes)
}

/// Most connection draws per window and client: each draw opens new sessions on both
/// sides, so a backend's own speed (where the scheduler put it) averages out over draws
/// instead of biasing the whole window.
pub const DRAWS_PER_WINDOW: u64 = 2;
/// Fewest recorded pairs in one draw.
pub const MIN_PAIRS_PER_DRAW: u64 = 5;
/// Untimed pairs on the new sessions of a draw after the first (caches, plan choice).
pub const DRAW_WARMUP: u64 = 1;

/// How many connection draws a client makes in its window.
pub fn draws_in(plan: &ClientPlan) -> u64 {
    match plan.stop {
        StopAt::Iterations(share) => (share / MIN_PAIRS_PER_DRAW).clamp(1, DRAWS_PER_WINDOW),
        StopAt::Elapsed(_) | StopAt::Budget { .. } => DRAWS_PER_WINDOW,
    }
}

/// When draw `draw` of `draws` ends: after this many pairs, or at this elapsed time.
fn draw_ends(plan: &ClientPlan, draw: u64, draws: u64) -> ClientPlan {
    let stop = match plan.stop {
        StopAt::Iterations(share) => StopAt::Iterations(share * (draw + 1) / draws),
        StopAt::Elapsed(limit) => StopAt::Elapsed(limit.mul_f64((draw + 1) as f64 / draws as f64)),
        StopAt::Budget { limit, at_least } => StopAt::Budget {
            limit: limit.mul_f64((draw + 1) as f64 / draws as f64),
            at_least: at_least * (draw + 1),
        },
    };
    ClientPlan {
        stop,
        ..plan.clone()
    }
}

/// What one client of a paired window works with.
struct PairClient<'a, E: Executor> {
    target: &'a E,
    base: &'a E,
    scenario: &'a Scenario,
    plan: &'a ClientPlan,
    shared: &'a SharedRun,
    /// The per-iteration response limit, shared by both sides (made in `measure`, on the
    /// client's runtime: its timer needs one).
    guard: Option<ResponseGuard>,
}

impl<E: Executor> PairClient<'_, E> {
    /// The measured loop of pairs, in draws: each draw after the first opens new sessions
    /// on both sides and warms them up. A side whose connection is lost fails that attempt
    /// and is opened again before the next pair.
    async fn measure(
        &mut self,
        drawer: &mut ParamDrawer,
        sessions: (&mut E::Session, &mut E::Session),
        outcomes: &mut (ClientOutcome, ClientOutcome),
    ) {
        let (scenario, plan, shared) = (self.scenario, self.plan, self.shared);
        self.guard = response_guard(scenario).map(ResponseGuard::new);
        let cancel = &shared.cancel;
        let (a, b) = sessions;
        let start = Instant::now();
        let mut paused = Duration::ZERO;
        let mut k = 0_u64;
        let draws = draws_in(plan);
        for draw in 0..draws {
            if draw > 0 {
                let redrawn = Instant::now();
                if let Err(why) = self.redraw((a, b)).await {
                    outcomes.0.unreachable = Some(why);
                    break;
                }
                for _ in 0..DRAW_WARMUP {
                    let mut twin = drawer.clone();
                    let _ = a.run_iteration(scenario, drawer, None).await;
                    let _ = b.run_iteration(scenario, &mut twin, None).await;
                }
                paused += redrawn.elapsed();
            }
            let before = (outcomes.0.latency.clone(), outcomes.1.latency.clone());
            let mut ratios = Vec::new();
            let until = draw_ends(plan, draw, draws);
            let stop = loop {
                if until.is_done(k, start.elapsed() - paused) || cancel.load(Ordering::Relaxed) {
                    break false;
                }
                if self.pair(k, drawer, (a, b), outcomes, &mut ratios).await {
                    break true;
                }
                k += 1;
                if let Some(bar) = &shared.progress
                    && k.is_multiple_of(64)
                {
                    bar.inc(64);
                }
            };
            outcomes.0.draws.push(since(&outcomes.0.latency, &before.0));
            outcomes.1.draws.push(since(&outcomes.1.latency, &before.1));
            if !ratios.is_empty() {
                outcomes.0.pair_ratios.push(median(&mut ratios).exp());
            }
            if stop || cancel.load(Ordering::Relaxed) {
                break;
            }
        }
        // The window's measured time leaves out the re-draws (connecting and warming up).
        let window = Some((start + paused, Instant::now()));
        outcomes.0.window = window;
        outcomes.1.window = window;
    }

    /// Opens new sessions on both sides (the old ones close when dropped).
    async fn redraw(&self, sessions: (&mut E::Session, &mut E::Session)) -> Result<(), String> {
        let (scenario, client, cancel) = (self.scenario, self.plan.index, &self.shared.cancel);
        let (a, b) = tokio::join!(
            reconnect(self.target, scenario, client, cancel),
            reconnect(self.base, scenario, client, cancel)
        );
        *sessions.0 = a?;
        *sessions.1 = b.map_err(|why| format!("--against: {why}"))?;
        Ok(())
    }

    /// Pair `k`: both sides on the same draws, the first side alternating; a lost
    /// connection is opened again. True when the client must stop.
    async fn pair(
        &mut self,
        k: u64,
        drawer: &mut ParamDrawer,
        (a, b): (&mut E::Session, &mut E::Session),
        outcomes: &mut (ClientOutcome, ClientOutcome),
        ratios: &mut Vec<f64>,
    ) -> bool {
        let (scenario, plan, cancel) = (self.scenario, self.plan, &self.shared.cancel);
        let mut twin = drawer.clone();
        let order = match Side::first_in_pair(k) {
            Side::Target => [Side::Target, Side::Base],
            Side::Base => [Side::Base, Side::Target],
        };
        let mut stop = false;
        let mut latencies = [None, None];
        for (turn, side) in order.into_iter().enumerate() {
            let side_drawer: &mut ParamDrawer = if turn == 0 { &mut *drawer } else { &mut twin };
            let (session, outcome, slot) = match side {
                Side::Target => (&mut *a, &mut outcomes.0, 0),
                Side::Base => (&mut *b, &mut outcomes.1, 1),
            };
            let (unresponsive, latency) =
                attempt(scenario, session, side_drawer, outcome, &mut self.guard).await;
            stop |= unresponsive;
            latencies[slot] = latency;
        }
        if let [Some(target), Some(base)] = latencies {
            let micros = |d: Duration| (d.as_secs_f64() * 1e6).max(1.0);
            ratios.push((micros(target) / micros(base)).ln());
        }
        for side in [Side::Target, Side::Base] {
            let (session, executor, outcome) = match side {
                Side::Target => (&mut *a, self.target, &mut outcomes.0),
                Side::Base => (&mut *b, self.base, &mut outcomes.1),
            };
            if !session.is_closed() || plan.is_done(k + 1, Duration::ZERO) {
                continue;
            }
            match reconnect(executor, scenario, plan.index, cancel).await {
                Ok(reopened) => *session = reopened,
                Err(why) => {
                    outcome.unreachable = Some(why);
                    stop = true;
                }
            }
        }
        stop
    }
}

/// The median of `values` (reordered in place); `values` must not be empty.
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// The values recorded in `now` since it was `before`.
fn since(now: &Histogram<u64>, before: &Histogram<u64>) -> Histogram<u64> {
    let mut draw = now.clone();
    // `before` is a prefix of `now` (same bounds, counts only grew): cannot fail.
    let _ = draw.subtract(before);
    draw
}

/// Runs and records one side's attempt: true when the server stopped answering, and the
/// latency when it succeeded.
async fn attempt<S: Session>(
    scenario: &Scenario,
    session: &mut S,
    drawer: &mut ParamDrawer,
    outcome: &mut ClientOutcome,
    guard: &mut Option<ResponseGuard>,
) -> (bool, Option<Duration>) {
    let sent = Instant::now();
    let (result, unresponsive) = if session.is_closed() {
        (
            Err(crate::bench::client::CONNECTION_LOST.to_string()),
            false,
        )
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
    let latency = result.is_ok().then(|| times.done - times.sent);
    outcome.record_attempt(result, &times, &[]);
    (unresponsive, latency)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::engine::prepare_with;
    use crate::bench::engine::tests::scenario;
    use crate::bench::mock::{MockExecutor, Reply};
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
        let target = MockExecutor::succeeding(Duration::from_millis(4));
        let base = MockExecutor::succeeding(Duration::from_millis(2));
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
        assert!(t >= 4000 && b >= 2000);
        // The sides alternate which goes first: T B, B T, T B, B T (no warmup here).
        let mut calls: Vec<(Instant, Side)> = target
            .calls_of(0)
            .iter()
            .map(|c| (c.sent, Side::Target))
            .chain(base.calls_of(0).iter().map(|c| (c.sent, Side::Base)))
            .collect();
        calls.sort_by_key(|(sent, _)| *sent);
        let sides: Vec<Side> = calls.iter().take(8).map(|(_, side)| *side).collect();
        use Side::{Base as B, Target as T};
        assert_eq!(sides, [T, B, B, T, T, B, B, T]);
        // Each client re-drew its connections once in its window: one more session.
        assert_eq!(target.sessions_of(0), 2);
        assert_eq!(base.sessions_of(0), 2);
        assert_eq!(measured.target.windows.len(), 4, "2 clients × 2 draws");
        assert_eq!(measured.target.pair_ratios.len(), 4);
        assert!(measured.target.pair_ratios.iter().all(|r| *r > 1.0));
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
