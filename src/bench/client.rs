//! One benchmark client: an OS thread with its own current_thread runtime holding the
//! session its `Executor` opened (keeping client and connection on one thread is what
//! makes the loop cheap), warmup, then the measured loop (closed or open) into per-client
//! histograms. A failed iteration counts once, its latency into the error histogram; a
//! lost connection is one failed iteration, then the client reconnects (bounded backoff,
//! `reconnect`) and keeps its schedule. Paced waits are precise (`pacing`) and their lag
//! is recorded. Ctrl-C stops warmup, waits, reconnects and the loop.
//! Must not merge results across clients or decide verdicts.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use indicatif::ProgressBar;

use crate::bench::executor::{Executor, Session};
use crate::bench::histogram::{new_latency_histogram, record};
use crate::bench::pacing::wait_until;
use crate::bench::reconnect::reconnect;
use crate::bench::schedule::ClientPlan;
use crate::config::model::Scenario;
use crate::db::prepared::PlanCounts;
use crate::params::{ParamDrawer, PrepareFailure};

/// The error of an attempt that found the connection already gone.
pub const CONNECTION_LOST: &str = "the connection to the server was lost";

/// State shared by the clients of one scenario run.
pub struct SharedRun {
    /// Every client waits here after connecting and warming up, so recording starts together.
    pub start_line: StartLine,
    /// Set by a client whose setup failed: the others then do not measure.
    pub setup_failed: AtomicBool,
    /// Ctrl-C: checked between iterations.
    pub cancel: std::sync::Arc<AtomicBool>,
    pub progress: Option<ProgressBar>,
}

/// A barrier that a client which never started can be counted at (`arrive`), so the
/// others are released instead of waiting forever.
pub struct StartLine {
    expected: usize,
    arrived: Mutex<usize>,
    all_here: Condvar,
}

impl StartLine {
    pub fn new(expected: usize) -> StartLine {
        StartLine {
            expected,
            arrived: Mutex::new(0),
            all_here: Condvar::new(),
        }
    }

    /// Counts one arrival without waiting.
    pub fn arrive(&self) {
        let mut arrived = self
            .arrived
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *arrived += 1;
        if *arrived >= self.expected {
            self.all_here.notify_all();
        }
    }

    /// Counts one arrival and waits until everyone has arrived.
    pub(crate) fn arrive_and_wait(&self) {
        self.arrive();
        let arrived = self
            .arrived
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let _all = self
            .all_here
            .wait_while(arrived, |arrived| *arrived < self.expected)
            .unwrap_or_else(|poisoned| poisoned.into_inner());
    }
}

/// What one client measured.
pub struct ClientOutcome {
    /// Successful iterations.
    pub latency: Histogram<u64>,
    /// Failed iterations, measured the same way as `latency`.
    pub error_latency: Histogram<u64>,
    /// With `rate`: successful iterations from the actual send.
    pub service_time: Option<Histogram<u64>>,
    /// With `rate`: actual send minus scheduled start, every iteration.
    pub schedule_lag: Option<Histogram<u64>>,
    /// Per step, for multi-step scenarios only.
    pub steps: Vec<Histogram<u64>>,
    pub iterations: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    /// Measurement window of this client (None when it did not measure).
    pub window: Option<(Instant, Instant)>,
    /// Per step: executions with a custom and with the generic plan (warmup included);
    /// empty when unknown.
    pub plan_counts: Vec<PlanCounts>,
    /// Set when the connection was lost and could not be opened again: why.
    pub unreachable: Option<String>,
    /// `latency` of each connection draw, in order, when the client re-drew its
    /// connections within the window (paired runs); empty otherwise.
    pub draws: Vec<Histogram<u64>>,
    /// Paired runs, on the target's outcome: per connection draw, the median over its
    /// pairs of target / base latency. Empty otherwise.
    pub pair_ratios: Vec<f64>,
}

impl ClientOutcome {
    pub(crate) fn new(scenario: &Scenario, paced: bool) -> ClientOutcome {
        let step_count = if scenario.is_multi_step() {
            scenario.steps.len()
        } else {
            0
        };
        ClientOutcome {
            latency: new_latency_histogram(),
            error_latency: new_latency_histogram(),
            service_time: paced.then(new_latency_histogram),
            schedule_lag: paced.then(new_latency_histogram),
            steps: (0..step_count).map(|_| new_latency_histogram()).collect(),
            iterations: 0,
            errors: 0,
            first_error: None,
            window: None,
            plan_counts: Vec::new(),
            unreachable: None,
            draws: Vec::new(),
            pair_ratios: Vec::new(),
        }
    }

    /// Records one attempt: a success into the latency histograms, a failure once into
    /// the error count and the error histogram.
    pub(crate) fn record_attempt(
        &mut self,
        result: Result<(), String>,
        times: &AttemptTimes,
        steps: &[Duration],
    ) {
        self.iterations += 1;
        let latency = times.done - times.begin;
        match result {
            Ok(()) => {
                record(&mut self.latency, latency);
                if let Some(service) = &mut self.service_time {
                    record(service, times.done - times.sent);
                }
                for (histogram, elapsed) in self.steps.iter_mut().zip(steps) {
                    record(histogram, *elapsed);
                }
            }
            Err(message) => {
                self.errors += 1;
                self.first_error.get_or_insert(message);
                record(&mut self.error_latency, latency);
            }
        }
    }
}

/// When one attempt began (its scheduled start with `rate`, else its send), was sent
/// and was done.
pub(crate) struct AttemptTimes {
    pub begin: Instant,
    pub sent: Instant,
    pub done: Instant,
}

/// Runs one client to completion on the calling thread (spawn it on its own thread).
pub fn run_client<E: Executor>(
    executor: &E,
    scenario: &Scenario,
    plan: &ClientPlan,
    mut drawer: ParamDrawer,
    shared: &SharedRun,
) -> crate::Result<ClientOutcome> {
    let runtime = client_runtime();
    let session = match &runtime {
        Ok(rt) => rt.block_on(open_and_warm_up(
            executor,
            scenario,
            plan,
            &mut drawer,
            shared,
        )),
        Err(e) => Err(crate::Error::environment(e.to_string())),
    };
    if session.is_err() {
        shared.setup_failed.store(true, Ordering::SeqCst);
    }
    shared.start_line.arrive_and_wait();
    let (runtime, mut session) = (runtime?, session?);
    if shared.setup_failed.load(Ordering::SeqCst) {
        return Ok(ClientOutcome::new(scenario, plan.schedule.is_some()));
    }
    let mut client = ClientLoop {
        executor,
        scenario,
        plan,
        shared,
    };
    let mut outcome = runtime.block_on(client.measure(&mut session, &mut drawer));
    outcome.plan_counts = runtime.block_on(read_plan_counts(&session, scenario));
    Ok(outcome)
}

/// Which plans the session's statements ran with, read on its own connection before it
/// closes. Empty when the connection is gone or the server does not answer in time.
pub(crate) async fn read_plan_counts<S: Session>(
    session: &S,
    scenario: &Scenario,
) -> Vec<PlanCounts> {
    if session.is_closed() {
        return Vec::new();
    }
    tokio::time::timeout(Duration::from_secs(10), session.plan_counts(scenario))
        .await
        .unwrap_or_default()
}

/// The runtime of one client thread: current_thread, I/O and timers only (the signal and
/// process drivers of `enable_all` would run on every park of a hot loop for nothing).
pub(crate) fn client_runtime() -> crate::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| crate::Error::environment(format!("cannot start a client runtime: {e}")))
}

pub(crate) async fn open_and_warm_up<E: Executor>(
    executor: &E,
    scenario: &Scenario,
    plan: &ClientPlan,
    drawer: &mut ParamDrawer,
    shared: &SharedRun,
) -> crate::Result<E::Session> {
    let mut session =
        executor
            .open(scenario, plan.index)
            .await
            .map_err(|failure| match failure {
                PrepareFailure::Error(e) => e,
                // The preflight found every relation; one vanishing now is an environment problem.
                PrepareFailure::Skip(reason) => crate::Error::environment(reason),
            })?;
    let warming = std::time::Instant::now();
    for _ in 0..plan.warmup {
        if shared.cancel.load(Ordering::Relaxed)
            || plan
                .warmup_within
                .is_some_and(|limit| warming.elapsed() >= limit)
        {
            break;
        }
        // Warmup errors are not recorded, and a connection lost during warmup is opened
        // again silently: the measured loop reports what happens while it measures.
        let _ = session.run_iteration(scenario, drawer, None).await;
        if session.is_closed() {
            session = reconnect(executor, scenario, plan.index, &shared.cancel)
                .await
                .map_err(crate::Error::environment)?;
        }
    }
    Ok(session)
}

/// What the measured loop of one client works with.
struct ClientLoop<'a, E: Executor> {
    executor: &'a E,
    scenario: &'a Scenario,
    plan: &'a ClientPlan,
    shared: &'a SharedRun,
}

impl<E: Executor> ClientLoop<'_, E> {
    /// The measured loop: closed (next iteration as soon as the last ends) or open
    /// (iteration k at its scheduled start, latency counted from that start). A lost
    /// connection fails one attempt, then the session is opened again (`session` is
    /// replaced) and the loop goes on with the next iteration of its schedule.
    async fn measure(
        &mut self,
        session: &mut E::Session,
        drawer: &mut ParamDrawer,
    ) -> ClientOutcome {
        let (scenario, plan, cancel) = (self.scenario, self.plan, &self.shared.cancel);
        let mut outcome = ClientOutcome::new(scenario, plan.schedule.is_some());
        let mut step_times = vec![Duration::ZERO; outcome.steps.len()];
        let mut guard = response_guard(scenario).map(ResponseGuard::new);
        let mut progress = ProgressTicker::new(self.shared.progress.clone(), plan);
        let start = Instant::now();
        let mut now = start;
        for k in 0.. {
            if plan.is_done(k, now - start) || cancel.load(Ordering::Relaxed) {
                break;
            }
            let scheduled = plan.schedule.map(|s| start + s.offset(k));
            if scheduled.is_some_and(|at| !wait_until(at, cancel)) {
                break;
            }
            let sent = Instant::now();
            let begin = scheduled.unwrap_or(sent);
            if let Some(lag) = &mut outcome.schedule_lag {
                record(lag, sent.saturating_duration_since(begin));
            }
            let (result, unresponsive) = if session.is_closed() {
                // Lost between iterations: this attempt is the one that cannot run.
                (Err(CONNECTION_LOST.to_string()), false)
            } else {
                let times = (!step_times.is_empty()).then_some(step_times.as_mut_slice());
                let iteration = session.run_iteration(scenario, drawer, times);
                match &mut guard {
                    Some(guard) => guard.watch(sent, iteration).await,
                    None => (iteration.await, false),
                }
            };
            now = Instant::now();
            let failed = result.is_err();
            let times = AttemptTimes {
                begin,
                sent,
                done: now,
            };
            outcome.record_attempt(result, &times, &step_times);
            progress.tick(now, start);
            if unresponsive {
                break;
            }
            if failed && session.is_closed() && !plan.is_done(k + 1, now - start) {
                match reconnect(self.executor, scenario, plan.index, cancel).await {
                    Ok(reopened) => *session = reopened,
                    Err(why) => {
                        outcome.unreachable = Some(why);
                        break;
                    }
                }
                now = Instant::now();
            }
        }
        progress.flush(now, start);
        outcome.window = Some((start, now));
        outcome
    }
}

/// The server enforces `statement_timeout` per statement; this client-side limit per
/// iteration (every statement at its timeout, plus BEGIN/COMMIT and 10 s of slack) only
/// fires when the server stops answering. None when the timeout is disabled (0).
pub(crate) fn response_guard(scenario: &Scenario) -> Option<Duration> {
    let timeout = scenario.statement_timeout;
    let statements = u32::try_from(scenario.steps.len() + 2).unwrap_or(u32::MAX);
    (!timeout.is_zero()).then(|| {
        timeout
            .saturating_mul(statements)
            .saturating_add(Duration::from_secs(10))
    })
}

/// The per-iteration response limit. One timer serves every iteration: it is moved
/// only when it fires while the current iteration is still within its limit, so the hot
/// loop does not register and cancel a timer per iteration.
pub(crate) struct ResponseGuard {
    limit: Duration,
    alarm: Pin<Box<tokio::time::Sleep>>,
}

impl ResponseGuard {
    pub(crate) fn new(limit: Duration) -> ResponseGuard {
        ResponseGuard {
            limit,
            alarm: Box::pin(tokio::time::sleep(limit)),
        }
    }

    /// Awaits `iteration` (sent at `sent`) for at most the limit: its result, and true
    /// when the server stopped answering.
    pub(crate) async fn watch(
        &mut self,
        sent: Instant,
        iteration: impl Future<Output = Result<(), String>>,
    ) -> (Result<(), String>, bool) {
        let deadline = sent + self.limit;
        let mut iteration = std::pin::pin!(iteration);
        loop {
            tokio::select! {
                biased;
                result = &mut iteration => return (result, false),
                () = self.alarm.as_mut() => {
                    if Instant::now() >= deadline {
                        return (Err(no_response(self.limit)), true);
                    }
                    self.alarm.as_mut().reset(deadline.into());
                }
            }
        }
    }
}

fn no_response(limit: Duration) -> String {
    format!(
        "no response from the server within {}: this client stopped (is the server reachable?)",
        humantime::format_duration(limit)
    )
}

/// Moves the shared progress bar at most every 100 ms: iterations done, or elapsed
/// milliseconds for a duration run (client 0 only).
struct ProgressTicker {
    bar: Option<ProgressBar>,
    by_iterations: bool,
    is_first_client: bool,
    pending: u64,
    last_flush: Instant,
}

impl ProgressTicker {
    fn new(bar: Option<ProgressBar>, plan: &ClientPlan) -> ProgressTicker {
        ProgressTicker {
            bar,
            by_iterations: plan.share().is_some(),
            is_first_client: plan.index == 0,
            pending: 0,
            last_flush: Instant::now(),
        }
    }

    fn tick(&mut self, now: Instant, start: Instant) {
        self.pending += 1;
        if self.bar.is_some() && now - self.last_flush >= Duration::from_millis(100) {
            self.flush(now, start);
        }
    }

    fn flush(&mut self, now: Instant, start: Instant) {
        let Some(bar) = &self.bar else { return };
        if self.by_iterations {
            bar.inc(self.pending);
        } else if self.is_first_client {
            bar.set_position(u64::try_from((now - start).as_millis()).unwrap_or(u64::MAX));
        }
        self.pending = 0;
        self.last_flush = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
    }

    #[test]
    fn the_response_guard_lets_a_run_of_quick_iterations_outlast_its_limit() {
        let limit = Duration::from_millis(60);
        runtime().block_on(async {
            let mut guard = ResponseGuard::new(limit);
            let started = Instant::now();
            while started.elapsed() < limit * 3 {
                let quick = async {
                    tokio::time::sleep(Duration::from_millis(15)).await;
                    Ok(())
                };
                assert_eq!(guard.watch(Instant::now(), quick).await, (Ok(()), false));
            }
        });
    }

    #[test]
    fn the_response_guard_stops_an_iteration_that_never_answers() {
        let limit = Duration::from_millis(40);
        runtime().block_on(async {
            let mut guard = ResponseGuard::new(limit);
            let quick = async { Ok(()) };
            assert_eq!(guard.watch(Instant::now(), quick).await, (Ok(()), false));
            tokio::time::sleep(Duration::from_millis(30)).await;
            let sent = Instant::now();
            let (result, unresponsive) = guard.watch(sent, std::future::pending()).await;
            assert!(unresponsive);
            assert!(sent.elapsed() >= limit, "fired after {:?}", sent.elapsed());
            assert!(result.unwrap_err().contains("no response from the server"));
        });
    }
}
