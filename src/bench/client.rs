//! One benchmark client: an OS thread with its own current_thread runtime holding the
//! session its `Executor` opened (keeping client and connection on one thread is what
//! makes the loop cheap), warmup, then the measured loop (closed or open) into per-client
//! histograms. A failed iteration counts once; Ctrl-C stops warmup, waits and the loop.
//! Must not merge results across clients or decide verdicts.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use indicatif::ProgressBar;

use crate::bench::executor::{Executor, Session};
use crate::bench::histogram::{new_latency_histogram, record};
use crate::bench::schedule::ClientPlan;
use crate::config::model::Scenario;
use crate::db::prepared::PlanCounts;
use crate::params::{ParamDrawer, PrepareFailure};

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
    pub fn arrive_and_wait(&self) {
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
    pub latency: Histogram<u64>,
    /// With `rate`: time from the actual send.
    pub service_time: Option<Histogram<u64>>,
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
}

impl ClientOutcome {
    fn new(scenario: &Scenario, paced: bool) -> ClientOutcome {
        let step_count = if scenario.is_multi_step() {
            scenario.steps.len()
        } else {
            0
        };
        ClientOutcome {
            latency: new_latency_histogram(),
            service_time: paced.then(new_latency_histogram),
            steps: (0..step_count).map(|_| new_latency_histogram()).collect(),
            iterations: 0,
            errors: 0,
            first_error: None,
            window: None,
            plan_counts: Vec::new(),
        }
    }

    fn count_error(&mut self, message: String) {
        self.errors += 1;
        self.first_error.get_or_insert(message);
    }
}

/// Runs one client to completion on the calling thread (spawn it on its own thread).
pub fn run_client<E: Executor>(
    executor: &E,
    scenario: &Scenario,
    plan: &ClientPlan,
    mut drawer: ParamDrawer,
    shared: &SharedRun,
) -> crate::Result<ClientOutcome> {
    // I/O and timers only: the signal and process drivers of `enable_all` would run on
    // every park of this hot loop for nothing.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| {
            crate::Error::environment(format!("cannot start a benchmark client runtime: {e}"))
        });
    let session = match &runtime {
        Ok(rt) => rt.block_on(open_and_warm_up(
            executor,
            scenario,
            plan,
            &mut drawer,
            &shared.cancel,
        )),
        Err(e) => Err(crate::Error::environment(e.to_string())),
    };
    if session.is_err() {
        shared.setup_failed.store(true, Ordering::SeqCst);
    }
    shared.start_line.arrive_and_wait();
    let (runtime, session) = (runtime?, session?);
    if shared.setup_failed.load(Ordering::SeqCst) {
        return Ok(ClientOutcome::new(scenario, plan.schedule.is_some()));
    }
    let mut outcome = runtime.block_on(measure(&session, scenario, plan, &mut drawer, shared));
    outcome.plan_counts = runtime.block_on(read_plan_counts(&session, scenario));
    Ok(outcome)
}

/// Which plans the session's statements ran with, read on its own connection before it
/// closes. Empty when the connection is gone or the server does not answer in time.
async fn read_plan_counts<S: Session>(session: &S, scenario: &Scenario) -> Vec<PlanCounts> {
    if session.is_closed() {
        return Vec::new();
    }
    tokio::time::timeout(Duration::from_secs(10), session.plan_counts(scenario))
        .await
        .unwrap_or_default()
}

async fn open_and_warm_up<E: Executor>(
    executor: &E,
    scenario: &Scenario,
    plan: &ClientPlan,
    drawer: &mut ParamDrawer,
    cancel: &AtomicBool,
) -> crate::Result<E::Session> {
    let session = executor
        .open(scenario, plan.index)
        .await
        .map_err(|failure| match failure {
            PrepareFailure::Error(e) => e,
            // The preflight found every relation; one vanishing now is an environment problem.
            PrepareFailure::Skip(reason) => crate::Error::environment(reason),
        })?;
    for _ in 0..plan.warmup {
        if cancel.load(Ordering::Relaxed) {
            break;
        }
        // Warmup errors are not recorded; the measured loop reports them.
        let _ = session.run_iteration(scenario, drawer, None).await;
        if session.is_closed() {
            break;
        }
    }
    Ok(session)
}

/// The measured loop: closed (next iteration as soon as the last ends) or open
/// (iteration k at its scheduled start, latency counted from that start).
async fn measure<S: Session>(
    session: &S,
    scenario: &Scenario,
    plan: &ClientPlan,
    drawer: &mut ParamDrawer,
    shared: &SharedRun,
) -> ClientOutcome {
    let mut outcome = ClientOutcome::new(scenario, plan.schedule.is_some());
    let mut step_times = vec![Duration::ZERO; outcome.steps.len()];
    let guard = response_guard(scenario);
    let mut progress = ProgressTicker::new(shared.progress.clone(), plan);
    let start = Instant::now();
    let mut now = start;
    for k in 0.. {
        if plan.is_done(k, now - start) || shared.cancel.load(Ordering::Relaxed) {
            break;
        }
        let scheduled = plan.schedule.map(|s| start + s.offset(k));
        if scheduled.is_some_and(|at| !sleep_until(at, &shared.cancel)) {
            break;
        }
        let sent = Instant::now();
        let times = (!step_times.is_empty()).then_some(step_times.as_mut_slice());
        let iteration = session.run_iteration(scenario, drawer, times);
        let (result, unresponsive) = guarded(guard, iteration).await;
        now = Instant::now();
        outcome.iterations += 1;
        let succeeded = result.is_ok();
        match result {
            Ok(()) => record_success(
                &mut outcome,
                scheduled.unwrap_or(sent),
                sent,
                now,
                &step_times,
            ),
            Err(message) => outcome.count_error(message),
        }
        progress.tick(now, start);
        if unresponsive {
            break;
        }
        if session.is_closed() {
            // A failed iteration that lost the connection is counted already; after a
            // success, the next attempt (when one is due) is the one that cannot run.
            if succeeded && !plan.is_done(k + 1, now - start) {
                outcome.iterations += 1;
                outcome.count_error("the connection to the server was lost".to_string());
                progress.tick(now, start);
            }
            break;
        }
    }
    progress.flush(now, start);
    outcome.window = Some((start, now));
    outcome
}

/// The server enforces `statement_timeout` per statement; this client-side limit per
/// iteration (every statement at its timeout, plus BEGIN/COMMIT and 10 s of slack) only
/// fires when the server stops answering. None when the timeout is disabled (0).
fn response_guard(scenario: &Scenario) -> Option<Duration> {
    let timeout = scenario.statement_timeout;
    let statements = u32::try_from(scenario.steps.len() + 2).unwrap_or(u32::MAX);
    (!timeout.is_zero()).then(|| {
        timeout
            .saturating_mul(statements)
            .saturating_add(Duration::from_secs(10))
    })
}

/// Awaits `iteration` within `limit`: its result, and true when the server stopped answering.
async fn guarded(
    limit: Option<Duration>,
    iteration: impl Future<Output = Result<(), String>>,
) -> (Result<(), String>, bool) {
    match limit {
        Some(limit) => match tokio::time::timeout(limit, iteration).await {
            Ok(result) => (result, false),
            Err(_) => (Err(no_response(limit)), true),
        },
        None => (iteration.await, false),
    }
}

fn no_response(limit: Duration) -> String {
    format!(
        "no response from the server within {}: this client stopped (is the server reachable?)",
        humantime::format_duration(limit)
    )
}

fn record_success(
    outcome: &mut ClientOutcome,
    begin: Instant,
    sent: Instant,
    done: Instant,
    steps: &[Duration],
) {
    record(&mut outcome.latency, done - begin);
    if let Some(service) = &mut outcome.service_time {
        record(service, done - sent);
    }
    for (histogram, elapsed) in outcome.steps.iter_mut().zip(steps) {
        record(histogram, *elapsed);
    }
}

/// Sleeps until `at` (blocking this client's own thread is fine: nothing else runs on it
/// between iterations), waking at least every 50 ms to notice Ctrl-C.
/// False when Ctrl-C came first.
fn sleep_until(at: Instant, cancel: &AtomicBool) -> bool {
    loop {
        if cancel.load(Ordering::Relaxed) {
            return false;
        }
        let now = Instant::now();
        if now >= at {
            return true;
        }
        std::thread::sleep((at - now).min(Duration::from_millis(50)));
    }
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
