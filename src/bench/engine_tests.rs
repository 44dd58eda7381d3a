//! Unit tests of the engine over the scripted executor (`bench::mock`): scheduling,
//! warmup, error accounting, reconnects, histogram merging, refusals and cancellation,
//! without a database. Timing assertions are lower bounds only (a sleep never ends early), so a
//! busy machine cannot make them fail. Must not connect to PostgreSQL.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::*;
use crate::bench::mock::{MockExecutor, Refusal, Reply};
use crate::bench::schedule::client_plans;
use crate::config::model::{Expectations, LoadAmount, LoadShape, Origin, Step};

const MS: Duration = Duration::from_millis(1);

fn step(sql: &str) -> Step {
    Step {
        sql: sql.into(),
        params: Vec::new(),
        captures: Vec::new(),
    }
}

pub(crate) fn scenario(amount: LoadAmount, clients: u32) -> Scenario {
    Scenario {
        name: "mocked".into(),
        group: "tests".into(),
        description: None,
        origin: Origin {
            file: "tests/inline.toml".into(),
            line: 1,
        },
        load: LoadShape {
            amount,
            warmup: 0,
            clients,
            rate: None,
        },
        steps: vec![step("SELECT 1")],
        transaction: None,
        expect: Expectations::default(),
        statement_timeout: Duration::from_secs(30),
        max_growth: None,
        protocol: Default::default(),
    }
}

fn options() -> EngineOptions {
    EngineOptions {
        rng_seed: 1,
        cancel: Arc::new(AtomicBool::new(false)),
        progress: None,
    }
}

fn measure(executor: &MockExecutor, scenario: &Scenario) -> Measurement {
    measure_with(executor, scenario, &options())
}

fn measure_with(executor: &MockExecutor, scenario: &Scenario, opts: &EngineOptions) -> Measurement {
    match run_with(executor, scenario, opts) {
        Ok(Outcome::Ok(m)) => {
            assert_accounting(&m);
            m
        }
        Ok(Outcome::Skip(reason)) => panic!("unexpected skip: {reason}"),
        Ok(Outcome::Error(reason)) => panic!("unexpected error outcome: {reason}"),
        Err(e) => panic!("unexpected error: {e}"),
    }
}

/// Every recorded iteration is either one success (one latency sample) or one error
/// (one error-latency sample).
fn assert_accounting(m: &Measurement) {
    assert!(
        m.errors <= m.iterations,
        "{} errors in {} iterations",
        m.errors,
        m.iterations
    );
    assert_eq!(m.latency.len() + m.errors, m.iterations);
    assert_eq!(m.error_latency.len(), m.errors);
    assert_eq!(m.successes(), m.latency.len());
    let windowed: u64 = windows_of(m).iter().map(Histogram::len).sum();
    assert_eq!(
        windowed,
        m.successes(),
        "every success is in exactly one window"
    );
    let windowed: u64 = windows_of(m).iter().map(Histogram::len).sum();
    assert_eq!(
        windowed,
        m.successes(),
        "every success is in exactly one window"
    );
    assert_eq!(m.errors > 0, m.first_error.is_some());
    if let Some(lag) = &m.schedule_lag {
        assert_eq!(lag.len(), m.iterations);
    }
}

fn calls_per_client(executor: &MockExecutor, clients: u32) -> Vec<usize> {
    (0..clients).map(|c| executor.calls_of(c).len()).collect()
}

#[test]
fn iterations_are_split_across_clients_and_add_up_to_the_total() {
    let executor = MockExecutor::succeeding(Duration::ZERO);
    let m = measure(&executor, &scenario(LoadAmount::Iterations(10), 3));
    assert_eq!((m.iterations, m.errors), (10, 0));
    assert_eq!(calls_per_client(&executor, 3), vec![4, 3, 3]);
    assert!(m.service_time.is_none() && m.steps.is_empty());
}

/// Measures `scenario` in `count` windows, one after the other, absorbed into one.
fn measure_in_windows(executor: &MockExecutor, scenario: &Scenario, count: u32) -> Measurement {
    let Ok(Outcome::Ok(prepared)) = prepare_with(executor, scenario, 1) else {
        panic!("the preflight failed");
    };
    let mut total: Option<Measurement> = None;
    for index in 0..count {
        let window = Window { index, count };
        let Ok(Outcome::Ok(m)) =
            measure_window_with(executor, scenario, &prepared, window, &options())
        else {
            panic!("window {index} failed");
        };
        match &mut total {
            None => total = Some(m),
            Some(total) => total.absorb(m).unwrap(),
        }
    }
    let total = total.unwrap();
    assert_accounting(&total);
    total
}

#[test]
fn each_window_runs_on_its_own_warmed_up_connections_and_adds_up() {
    // Client 0's iterations answer more slowly as they go: windows keep their time order.
    let executor = MockExecutor::new(|_, n| Reply::Success(Duration::from_millis(1 + n / 28)));
    let mut windowed = scenario(LoadAmount::Iterations(100), 1);
    windowed.load.warmup = 3;
    let m = measure_in_windows(&executor, &windowed, 4);
    assert_eq!((m.iterations, m.windows.len()), (100, 4));
    assert!(windows_of(&m).iter().all(|w| w.len() == 25));
    assert_eq!(executor.sessions_of(0), 4, "one connection per window");
    // 3 warmup iterations first, then 3 (a tenth of a window) on each later connection.
    assert_eq!(executor.calls_of(0).len(), 100 + 3 + 3 * 3);
    // Timer granularity adds about a millisecond to each, so compare the order.
    let medians: Vec<u64> = windows_of(&m)
        .iter()
        .map(|w| w.value_at_quantile(0.5))
        .collect();
    assert!(
        medians.windows(2).all(|pair| pair[0] + 500 < pair[1]),
        "{medians:?}"
    );
}

#[test]
fn windows_add_their_errors_durations_and_plan_counts() {
    let executor = MockExecutor::new(|_, n| {
        if n % 10 == 0 {
            Reply::QueryError(format!("failed {n}"))
        } else {
            Reply::Success(Duration::ZERO)
        }
    });
    let whole = measure_in_windows(&executor, &scenario(LoadAmount::Iterations(60), 2), 2);
    assert_eq!(whole.iterations, 60);
    assert!(whole.errors > 0 && whole.first_error.is_some());
    assert_eq!(whole.windows.len(), 2);
    assert_eq!(executor.sessions_of(0) + executor.sessions_of(1), 4);
}

#[test]
fn warmup_iterations_run_first_on_every_client_and_are_never_recorded() {
    // Warmup iterations fail: neither their errors nor their latency may show.
    let executor = MockExecutor::new(|_, n| {
        if n < 5 {
            Reply::QueryError(format!("warmup {n}"))
        } else {
            Reply::Success(2 * MS)
        }
    });
    let mut warm = scenario(LoadAmount::Iterations(6), 2);
    warm.load.warmup = 5;
    let m = measure(&executor, &warm);
    assert_eq!((m.iterations, m.errors), (6, 0));
    assert_eq!(calls_per_client(&executor, 2), vec![8, 8]);
    assert!(m.latency.min() >= 2_000, "{}", m.latency.min());
}

#[test]
fn a_duration_run_stops_every_client_at_the_limit() {
    let executor = MockExecutor::succeeding(5 * MS);
    let m = measure(&executor, &scenario(LoadAmount::Duration(150 * MS), 2));
    assert!(m.duration >= 150 * MS, "{:?}", m.duration);
    for client in 0..2 {
        let calls = executor.calls_of(client).len();
        // Each iteration takes at least 5 ms: at most 30 start before the limit.
        assert!((1..=30).contains(&calls), "client {client}: {calls}");
    }
    assert_eq!(m.iterations, executor.calls().len() as u64);
}

#[test]
fn with_a_rate_each_iteration_is_sent_no_earlier_than_its_scheduled_offset() {
    let executor = MockExecutor::succeeding(Duration::ZERO);
    let mut paced = scenario(LoadAmount::Iterations(8), 2);
    paced.load.rate = Some(200.0);
    let before = Instant::now();
    let m = measure(&executor, &paced);
    assert_eq!(m.iterations, 8);
    let plans = client_plans(&paced.load);
    for plan in &plans {
        let schedule = plan.schedule.unwrap();
        for (k, call) in executor.calls_of(plan.index).iter().enumerate() {
            let due = before + schedule.offset(k as u64);
            assert!(
                call.sent >= due,
                "client {} iteration {k} sent early",
                plan.index
            );
        }
    }
    // 2 clients at 200/s: each every 10 ms, the second 5 ms after the first.
    assert_eq!(plans[1].schedule.unwrap().phase, 5 * MS);
    assert_eq!(m.service_time.as_ref().map(|h| h.len()), Some(8));
}

#[test]
fn with_a_rate_latency_counts_from_the_scheduled_start_and_service_time_from_the_send() {
    // Every 10 ms a new iteration is due but each takes 30 ms: the queue grows by 20 ms
    // per iteration, so the fifth waits at least 80 ms before its 30 ms of service.
    let executor = MockExecutor::succeeding(30 * MS);
    let mut late = scenario(LoadAmount::Iterations(5), 1);
    late.load.rate = Some(100.0);
    let m = measure(&executor, &late);
    let service = m.service_time.expect("a paced run records service time");
    assert_eq!((m.latency.len(), service.len()), (5, 5));
    assert!(service.min() >= 30_000, "{}", service.min());
    assert!(m.latency.max() >= 110_000, "{}", m.latency.max());
}

#[test]
fn a_failed_iteration_is_counted_once_with_the_first_message_kept() {
    let executor = MockExecutor::new(|_, n| {
        if n % 3 == 2 {
            Reply::QueryError(format!("boom {n}"))
        } else {
            Reply::Success(Duration::ZERO)
        }
    });
    let m = measure(&executor, &scenario(LoadAmount::Iterations(9), 1));
    assert_eq!((m.iterations, m.errors, m.latency.len()), (9, 3, 6));
    assert_eq!(m.first_error.as_deref(), Some("boom 2"));
}

#[test]
fn a_lost_connection_is_one_error_then_the_client_reconnects_and_goes_on() {
    let executor = MockExecutor::new(|client, n| match (client, n) {
        (0, 3) => Reply::LoseConnection,
        _ => Reply::Success(Duration::ZERO),
    });
    let m = measure(&executor, &scenario(LoadAmount::Iterations(20), 2));
    // Client 0: three successes, the failed fourth, then six more on a new session.
    assert_eq!(calls_per_client(&executor, 2), vec![10, 10]);
    assert_eq!((executor.sessions_of(0), executor.sessions_of(1)), (2, 1));
    assert_eq!((m.iterations, m.errors, m.latency.len()), (20, 1, 19));
    assert_eq!(m.first_error.as_deref(), Some("connection closed"));
}

#[test]
fn every_client_losing_its_connection_counts_one_error_each() {
    let executor = MockExecutor::new(|_, n| match n {
        5 => Reply::LoseConnection,
        _ => Reply::Success(Duration::ZERO),
    });
    let m = measure(&executor, &scenario(LoadAmount::Iterations(40), 2));
    assert_eq!((m.iterations, m.errors), (40, 2));
    assert_eq!((executor.sessions_of(0), executor.sessions_of(1)), (2, 2));
}

#[test]
fn a_connection_lost_after_a_success_fails_the_next_attempt_once() {
    let executor = MockExecutor::new(|_, n| match n {
        3 => Reply::SucceedThenLoseConnection(Duration::ZERO),
        _ => Reply::Success(Duration::ZERO),
    });
    let m = measure(&executor, &scenario(LoadAmount::Iterations(10), 1));
    assert_eq!((m.iterations, m.errors, m.latency.len()), (10, 1, 9));
    assert!(
        m.first_error
            .unwrap()
            .contains(crate::bench::client::CONNECTION_LOST)
    );
    // The failed attempt never reached the server: nine sent, on two sessions.
    assert_eq!((executor.calls().len(), executor.sessions_of(0)), (9, 2));
    // Lost after the client's last iteration: nothing was left to attempt.
    let last = MockExecutor::new(|_, n| match n {
        9 => Reply::SucceedThenLoseConnection(Duration::ZERO),
        _ => Reply::Success(Duration::ZERO),
    });
    let m = measure(&last, &scenario(LoadAmount::Iterations(10), 1));
    assert_eq!((m.iterations, m.errors), (10, 0));
}

#[test]
fn a_connection_lost_during_warmup_is_reopened_without_counting() {
    let executor = MockExecutor::new(|_, n| match n {
        1 => Reply::LoseConnection,
        _ => Reply::Success(Duration::ZERO),
    });
    let mut warm = scenario(LoadAmount::Iterations(10), 1);
    warm.load.warmup = 3;
    let m = measure(&executor, &warm);
    assert_eq!((m.iterations, m.errors), (10, 0));
    assert_eq!(executor.sessions_of(0), 2);
}

#[test]
fn a_server_that_cannot_be_reached_again_is_an_environment_error_after_the_budget() {
    let executor = MockExecutor::new(|client, n| match (client, n) {
        (1, 2) => Reply::LoseConnection,
        _ => Reply::Success(MS),
    })
    .refusing_reconnects();
    let started = Instant::now();
    let result = run_with(
        &executor,
        &scenario(LoadAmount::Iterations(20), 2),
        &options(),
    );
    match result {
        Err(crate::Error::Environment(message)) => {
            assert!(message.contains("could not be opened again"), "{message}");
            assert!(message.contains("scenario `mocked`"), "{message}");
        }
        other => panic!("expected an environment error, got {other:?}"),
    }
    assert!(started.elapsed() >= executor.reconnect_within());
    assert!(executor.sessions_of(1) == 1 && executor.calls_of(1).len() == 3);
}

#[test]
fn failed_iterations_go_to_the_error_histogram_and_throughput_counts_successes() {
    let executor = MockExecutor::new(|_, n| match n % 2 {
        0 => Reply::QueryError("nope".into()),
        _ => Reply::Success(MS),
    });
    let m = measure(&executor, &scenario(LoadAmount::Iterations(20), 1));
    assert_eq!(
        (m.errors, m.error_latency.len(), m.latency.len()),
        (10, 10, 10)
    );
    assert!(m.latency.min() >= 1_000);
    let seconds = m.duration.as_secs_f64();
    assert!((m.throughput_per_s() * seconds - 10.0).abs() < 1e-6);
    assert!((m.errors_per_s() * seconds - 10.0).abs() < 1e-6);
}

#[test]
fn a_paced_client_keeps_its_schedule_across_a_reconnect_and_records_its_lag() {
    let executor = MockExecutor::new(|_, n| match n {
        2 => Reply::LoseConnection,
        _ => Reply::Success(Duration::ZERO),
    });
    let mut paced = scenario(LoadAmount::Iterations(8), 1);
    paced.load.rate = Some(200.0);
    let before = Instant::now();
    let m = measure(&executor, &paced);
    assert_eq!((m.iterations, m.errors), (8, 1));
    let schedule = client_plans(&paced.load)[0].schedule.unwrap();
    for (k, call) in executor.calls_of(0).iter().enumerate() {
        assert!(
            call.sent >= before + schedule.offset(k as u64),
            "iteration {k} sent early"
        );
    }
    // Eight iterations at 5 ms intervals: never more than a few intervals in all.
    assert!(m.duration < Duration::from_secs(5), "{:?}", m.duration);
    assert_eq!(m.schedule_lag.as_ref().map(|h| h.len()), Some(8));
}

#[test]
fn histograms_of_all_clients_and_steps_are_merged() {
    let executor =
        MockExecutor::new(|client, _| Reply::Success(if client == 0 { 2 * MS } else { 20 * MS }));
    let mut two_steps = scenario(LoadAmount::Iterations(10), 2);
    two_steps.steps.push(step("SELECT 2"));
    let m = measure(&executor, &two_steps);
    assert_eq!((m.iterations, m.latency.len()), (10, 10));
    assert!(m.latency.min() >= 2_000 && m.latency.max() >= 20_000);
    assert_eq!(m.steps.len(), 2);
    for (sql, histogram) in &m.steps {
        assert_eq!(histogram.len(), 10, "{sql}");
        assert!(
            histogram.min() >= 1_000 && histogram.max() >= 10_000,
            "{sql}"
        );
    }
    assert_eq!(m.steps[1].0, "SELECT 2");
}

#[test]
fn errors_of_all_clients_are_merged() {
    let executor = MockExecutor::new(|client, _| match client {
        1 => Reply::QueryError("client 1 fails".into()),
        _ => Reply::Success(Duration::ZERO),
    });
    let m = measure(&executor, &scenario(LoadAmount::Iterations(10), 2));
    assert_eq!((m.iterations, m.errors, m.latency.len()), (10, 5, 5));
    assert_eq!(m.first_error.as_deref(), Some("client 1 fails"));
}

#[test]
fn a_scenario_that_cannot_run_here_is_skipped_before_any_client_starts() {
    let executor = MockExecutor::succeeding(Duration::ZERO)
        .refusing_preflight(Refusal::Skip("relation shared.x does not exist".into()));
    match run_with(
        &executor,
        &scenario(LoadAmount::Iterations(5), 2),
        &options(),
    ) {
        Ok(Outcome::Skip(reason)) => assert_eq!(reason, "relation shared.x does not exist"),
        other => panic!("expected a skip, got {other:?}"),
    }
    assert!(executor.calls().is_empty());
}

#[test]
fn a_scenario_that_cannot_work_is_an_error_outcome() {
    let executor = MockExecutor::succeeding(Duration::ZERO).refusing_preflight(Refusal::Config(
        "step 1 has 2 parameter generator(s)".into(),
    ));
    let result = run_with(
        &executor,
        &scenario(LoadAmount::Iterations(5), 2),
        &options(),
    );
    assert!(matches!(result, Ok(Outcome::Error(m)) if m.contains("generator")));
    assert!(executor.calls().is_empty());
}

#[test]
fn a_client_that_cannot_connect_fails_the_run_and_no_other_client_measures() {
    let executor = MockExecutor::succeeding(Duration::ZERO).refusing_client(1);
    let result = run_with(
        &executor,
        &scenario(LoadAmount::Iterations(30), 3),
        &options(),
    );
    assert!(matches!(result, Err(crate::Error::Environment(m)) if m.contains("client 1")));
    assert!(executor.calls().is_empty());
}

/// A script that sets `cancel` when client 0 sends iteration `at`.
fn cancelling_at(at: u64, cancel: &Arc<AtomicBool>, service: Duration) -> MockExecutor {
    let cancel = Arc::clone(cancel);
    MockExecutor::new(move |client, n| {
        if client == 0 && n == at {
            cancel.store(true, Ordering::SeqCst);
        }
        Reply::Success(service)
    })
}

fn assert_interrupted_promptly(executor: &MockExecutor, scenario: &Scenario, opts: &EngineOptions) {
    let started = Instant::now();
    let result = run_with(executor, scenario, opts);
    assert!(
        matches!(result, Err(crate::Error::Interrupted)),
        "{result:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn cancelling_stops_every_client_before_its_next_iteration() {
    let opts = options();
    let executor = cancelling_at(10, &opts.cancel, MS);
    let endless = scenario(LoadAmount::Duration(Duration::from_secs(3600)), 3);
    assert_interrupted_promptly(&executor, &endless, &opts);
    assert_eq!(executor.calls_of(0).len(), 11);
}

#[test]
fn cancelling_wakes_a_client_waiting_for_its_scheduled_start_without_sending() {
    let opts = options();
    let executor = cancelling_at(0, &opts.cancel, Duration::ZERO);
    // Each client every 100 s; the second is due 50 s after the first.
    let mut slow = scenario(LoadAmount::Iterations(4), 2);
    slow.load.rate = Some(0.02);
    assert_interrupted_promptly(&executor, &slow, &opts);
    assert_eq!(calls_per_client(&executor, 2), vec![1, 0]);
}

#[test]
fn cancelling_stops_a_long_warmup() {
    let opts = options();
    let executor = cancelling_at(5, &opts.cancel, MS);
    let mut warm = scenario(LoadAmount::Iterations(10), 1);
    warm.load.warmup = 1_000_000;
    assert_interrupted_promptly(&executor, &warm, &opts);
    assert_eq!(executor.calls_of(0).len(), 6);
}

#[test]
fn plan_counts_add_up_per_step_over_clients() {
    use crate::db::prepared::PlanCounts;
    let counts = |custom, generic| PlanCounts { custom, generic };
    let first = [counts(5, 95), counts(100, 0)];
    let second = [counts(5, 45), counts(50, 0)];
    let unknown: [PlanCounts; 0] = [];
    let total = sum_plan_counts([&first[..], &unknown[..], &second[..]].into_iter());
    assert_eq!(total, vec![counts(10, 140), counts(150, 0)]);
    assert!(sum_plan_counts([&unknown[..]].into_iter()).is_empty());
}

/// The windows of `m`, decoded.
fn windows_of(m: &Measurement) -> Vec<Histogram<u64>> {
    m.windows
        .iter()
        .map(|w| crate::stats::histogram::decode(w).expect("the engine encodes its windows"))
        .collect()
}
