//! Integration tests of the scenario engine against a real PostgreSQL: latency accuracy,
//! open-loop rate, multi-step captures, transactions, timeouts, lost connections, skips
//! and determinism.
//! Must not depend on the seed module: each test inserts the few rows it needs.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use techspec_bench::bench::{EngineOptions, Measurement, run_scenario, summarize};
use techspec_bench::config::model::{
    Capture, IntDist, LoadAmount, ParamGen, Scenario, Step, TransactionMode,
};
use techspec_bench::db::DbTarget;
use techspec_bench::outcome::Outcome;

use common::step;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn scenario(steps: Vec<Step>, amount: LoadAmount) -> Scenario {
    common::scenario("test_scenario", steps, amount)
}

fn options(seed: u64) -> EngineOptions {
    EngineOptions {
        rng_seed: seed,
        cancel: Arc::new(AtomicBool::new(false)),
        progress: None,
    }
}

fn target(db: &common::TestDb) -> DbTarget {
    common::target(&db.url)
}

fn measure(db: &common::TestDb, scenario: &Scenario) -> Measurement {
    match run_scenario(&target(db), scenario, &options(1)).unwrap() {
        Outcome::Ok(m) => m,
        other => panic!("expected a measurement, got {:?}", other.reason()),
    }
}

/// A database with the schema, one design job and `sessions` sessions (status 'completed'),
/// each with two research rows.
fn database_with_sessions(
    rt: &tokio::runtime::Runtime,
    label: &str,
    sessions: u32,
) -> common::TestDb {
    let db = rt.block_on(common::TestDb::create(label));
    rt.block_on(async {
        db.apply_schema_files().await;
        let client = db.client().await;
        client
            .batch_execute(&format!(
                "INSERT INTO shared.design_jobs (id, project_id, user_id, title)
                   VALUES (gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), 'job');
                 INSERT INTO tech_spec_sessions (id, design_job_id, project_id, user_id, status, current_stage, completed_at)
                   SELECT gen_random_uuid(), (SELECT id FROM shared.design_jobs), gen_random_uuid(),
                          gen_random_uuid(), 'completed', 'research', now()
                   FROM generate_series(1, {sessions});
                 INSERT INTO tech_research (id, session_id, technology_category)
                   SELECT gen_random_uuid(), s.id, c FROM tech_spec_sessions s, (VALUES ('db'), ('api')) v(c);"
            ))
            .await
            .unwrap();
    });
    db
}

fn count(rt: &tokio::runtime::Runtime, db: &common::TestDb, sql: &str) -> i64 {
    rt.block_on(async { db.client().await.query_one(sql, &[]).await.unwrap().get(0) })
}

#[test]
fn a_five_millisecond_sleep_reads_a_p50_between_5_0_and_5_8_ms() {
    let rt = runtime();
    let db = rt.block_on(common::TestDb::create("bench_sleep"));
    let mut sleep = scenario(
        vec![step("SELECT pg_sleep(0.005)", vec![])],
        LoadAmount::Iterations(200),
    );
    sleep.load.warmup = 5;
    let m = measure(&db, &sleep);
    let summary = summarize(&m.latency);
    assert_eq!((m.iterations, m.errors), (200, 0));
    assert!(
        (5_000..=5_800).contains(&summary.p50),
        "p50 = {} µs",
        summary.p50
    );
    assert!(m.service_time.is_none() && m.steps.is_empty());
}

/// The 1-minute load average when it exceeds the number of cores.
fn overloaded() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    let load: f64 = text.split_whitespace().next()?.parse().ok()?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (load > cores as f64).then_some(load)
}

#[test]
fn paced_waits_end_at_the_scheduled_start_so_latency_tracks_service_time() {
    let rt = runtime();
    let db = rt.block_on(common::TestDb::create("bench_pacing"));
    let mut paced = scenario(vec![step("SELECT 1", vec![])], LoadAmount::Iterations(2000));
    paced.load.rate = Some(1000.0);
    let m = measure(&db, &paced);
    let latency = summarize(&m.latency);
    let service = summarize(m.service_time.as_ref().expect("service time with rate"));
    let lag = summarize(m.schedule_lag.as_ref().expect("schedule lag with rate"));
    assert_eq!((m.iterations, m.errors), (2000, 0));
    assert_eq!(m.schedule_lag.as_ref().map(|h| h.len()), Some(2000));
    // Microsecond precision needs a core when the start is due: on a machine with more
    // runnable threads than cores, a wake-up waits for a time slice whatever the client does.
    if let Some(load) = overloaded() {
        eprintln!("pacing precision not checked: load average {load} exceeds the cores");
        return;
    }
    assert!(
        latency.p50 <= service.p50 + 50,
        "latency p50 {} µs vs service p50 {} µs (schedule lag p50 {} µs)",
        latency.p50,
        service.p50,
        lag.p50
    );
}

#[test]
fn an_open_loop_rate_above_capacity_shows_queueing_in_latency_not_in_service_time() {
    let rt = runtime();
    let db = rt.block_on(common::TestDb::create("bench_rate"));
    let mut paced = scenario(
        vec![step("SELECT pg_sleep(0.02)", vec![])],
        LoadAmount::Iterations(60),
    );
    paced.load.rate = Some(100.0);
    let m = measure(&db, &paced);
    let latency = summarize(&m.latency);
    let service = summarize(m.service_time.as_ref().expect("service time with rate"));
    assert_eq!(m.errors, 0);
    assert!(service.p99 >= 20_000, "service p99 {} µs", service.p99);
    // 60 iterations scheduled over 0.6 s take at least 1.2 s: the last waits about 0.6 s.
    assert!(
        latency.p99 > 5 * service.p99,
        "latency p99 {} vs service p99 {}",
        latency.p99,
        service.p99
    );
}

#[test]
fn a_multi_step_scenario_binds_the_captured_ids_as_an_array() {
    let rt = runtime();
    let db = database_with_sessions(&rt, "bench_capture", 3);
    let mut first = step(
        "SELECT id FROM tech_spec_sessions WHERE status = $1",
        vec![ParamGen::Choice(vec![
            techspec_bench::config::model::Literal::Text("completed".into()),
        ])],
    );
    first.captures = vec![Capture {
        name: "ids".into(),
        column: "id".into(),
    }];
    // Fails with division_by_zero unless all 3 sessions' 6 research rows match.
    let second = step(
        "SELECT 1 / (count(*) / 6) FROM tech_research WHERE session_id = ANY($1)",
        vec![ParamGen::Captured("ids".into())],
    );
    let m = measure(
        &db,
        &scenario(vec![first, second], LoadAmount::Iterations(20)),
    );
    assert_eq!((m.iterations, m.errors), (20, 0), "{:?}", m.first_error);
    assert_eq!(m.steps.len(), 2);
    assert!(m.steps.iter().all(|(_, h)| h.len() == 20));
    assert!(m.steps[1].0.contains("ANY($1)"));
}

#[test]
fn rollback_leaves_the_table_unchanged_and_commit_keeps_the_rows() {
    let rt = runtime();
    let db = database_with_sessions(&rt, "bench_tx", 1);
    let insert = step(
        "INSERT INTO shared.design_jobs (id, project_id, user_id, title) VALUES ($1, $2, $2, $3)",
        vec![
            ParamGen::Uuid,
            ParamGen::Uuid,
            ParamGen::Value(techspec_bench::config::model::Literal::Text("t".into())),
        ],
    );
    let mut write = scenario(vec![insert], LoadAmount::Iterations(25));
    write.load.clients = 2;
    write.transaction = Some(TransactionMode::Rollback);
    let before = count(&rt, &db, "SELECT count(*) FROM shared.design_jobs");
    let m = measure(&db, &write);
    assert_eq!((m.iterations, m.errors), (25, 0), "{:?}", m.first_error);
    assert_eq!(
        count(&rt, &db, "SELECT count(*) FROM shared.design_jobs"),
        before
    );
    write.transaction = Some(TransactionMode::Commit);
    measure(&db, &write);
    assert_eq!(
        count(&rt, &db, "SELECT count(*) FROM shared.design_jobs"),
        before + 25
    );
}

#[test]
fn an_error_inside_a_transaction_is_counted_and_rolled_back() {
    let rt = runtime();
    let db = database_with_sessions(&rt, "bench_txerr", 1);
    let insert = step(
        "INSERT INTO shared.design_jobs (id, project_id, user_id, title) VALUES ($1, $1, $1, 'x')",
        vec![ParamGen::Uuid],
    );
    let failing = step("SELECT 1 / 0", vec![]);
    let mut write = scenario(vec![insert, failing], LoadAmount::Iterations(5));
    write.transaction = Some(TransactionMode::Commit);
    let m = measure(&db, &write);
    assert_eq!((m.iterations, m.errors), (5, 5));
    let first_error = m.first_error.unwrap();
    assert!(
        first_error.contains("step 2") && first_error.contains("division by zero"),
        "{first_error}"
    );
    assert_eq!(
        count(&rt, &db, "SELECT count(*) FROM shared.design_jobs"),
        1
    );
}

#[test]
fn a_connection_killed_by_the_server_is_one_error_and_the_client_reconnects() {
    let rt = runtime();
    let db = rt.block_on(common::TestDb::create("bench_killed"));
    let suicide = scenario(
        vec![step(
            "SELECT pg_terminate_backend(pg_backend_pid())",
            vec![],
        )],
        LoadAmount::Iterations(5),
    );
    let m = measure(&db, &suicide);
    // Every iteration kills its own backend: one error each, then a new connection.
    assert_eq!((m.iterations, m.errors), (5, 5), "{:?}", m.first_error);
    assert_eq!(m.error_latency.len(), 5);
}

#[test]
fn a_statement_past_the_timeout_counts_as_an_error_and_the_run_returns() {
    let rt = runtime();
    let db = rt.block_on(common::TestDb::create("bench_timeout"));
    let mut slow = scenario(
        vec![step("SELECT pg_sleep(30)", vec![])],
        LoadAmount::Iterations(2),
    );
    slow.statement_timeout = Duration::from_millis(100);
    let m = measure(&db, &slow);
    assert_eq!((m.iterations, m.errors), (2, 2));
    assert!(m.first_error.unwrap().contains("statement timeout"));
    assert!(m.latency.is_empty());
}

#[test]
fn a_missing_relation_skips_the_scenario_naming_it() {
    let rt = runtime();
    let db = rt.block_on(common::TestDb::create("bench_missing"));
    let join = scenario(
        vec![step("SELECT count(*) FROM shared.design_jobs", vec![])],
        LoadAmount::Iterations(1),
    );
    match run_scenario(&target(&db), &join, &options(1)).unwrap() {
        Outcome::Skip(reason) => {
            assert_eq!(reason, "relation shared.design_jobs does not exist")
        }
        other => panic!("expected a skip, got {:?}", other.reason()),
    }
}

#[test]
fn an_empty_sample_is_an_environment_error_naming_the_scenario_query_and_seed() {
    let rt = runtime();
    let db = database_with_sessions(&rt, "bench_empty_sample", 0);
    let sql = "SELECT id FROM tech_spec_sessions";
    let by_id = scenario(
        vec![step(
            "SELECT * FROM tech_spec_sessions WHERE id = $1",
            vec![ParamGen::Sample(sql.into())],
        )],
        LoadAmount::Iterations(1),
    );
    let error = run_scenario(&target(&db), &by_id, &options(1)).unwrap_err();
    assert_eq!(error.exit_code(), 3);
    let text = error.to_string();
    for part in [
        "scenario `test_scenario`",
        &format!("sample `{sql}` returned no rows"),
        "techspec-bench seed",
    ] {
        assert!(text.contains(part), "{part}: {text}");
    }
}

#[test]
fn a_parameter_of_the_wrong_type_is_an_error_outcome_of_the_scenario() {
    let rt = runtime();
    let db = database_with_sessions(&rt, "bench_wrong_type", 1);
    let wrong = scenario(
        vec![step(
            "SELECT * FROM tech_spec_sessions WHERE id = $1",
            vec![ParamGen::Int {
                low: 1,
                high: 9,
                dist: IntDist::Uniform,
            }],
        )],
        LoadAmount::Iterations(1),
    );
    let Outcome::Error(reason) = run_scenario(&target(&db), &wrong, &options(1)).unwrap() else {
        panic!("a parameter of the wrong type ran")
    };
    assert!(
        reason.contains("parameter $1") && reason.contains("uuid"),
        "{reason}"
    );
}

#[test]
fn the_same_seed_binds_the_same_values_across_runs_and_clients() {
    let rt = runtime();
    let db = rt.block_on(common::TestDb::create("bench_determinism"));
    rt.block_on(async {
        let client = db.client().await;
        client
            .batch_execute("CREATE TABLE draws (v bigint)")
            .await
            .unwrap();
    });
    let record = step(
        "INSERT INTO draws (v) VALUES ($1)",
        vec![ParamGen::Int {
            low: 1,
            high: 1_000_000_000,
            dist: IntDist::Uniform,
        }],
    );
    let mut write = scenario(vec![record], LoadAmount::Iterations(30));
    write.load.clients = 3;
    // Undeclared writes run read-only: the rows must be committed to be read back.
    write.transaction = Some(TransactionMode::Commit);
    let drawn = |seed: u64| -> Vec<i64> {
        rt.block_on(async {
            db.client()
                .await
                .batch_execute("TRUNCATE draws")
                .await
                .unwrap()
        });
        assert!(matches!(
            run_scenario(&target(&db), &write, &options(seed)).unwrap(),
            Outcome::Ok(_)
        ));
        let mut values: Vec<i64> = rt.block_on(async {
            let rows = db
                .client()
                .await
                .query("SELECT v FROM draws", &[])
                .await
                .unwrap();
            rows.iter().map(|r| r.get(0)).collect()
        });
        // Clients interleave; each client's stream is fixed, so the multiset is.
        values.sort_unstable();
        values
    };
    let first = drawn(42);
    assert_eq!(first.len(), 30);
    assert_eq!(first, drawn(42));
    assert_ne!(first, drawn(43));
}

#[test]
fn iterations_are_split_across_clients_and_a_duration_run_measures_its_window() {
    let rt = runtime();
    let db = rt.block_on(common::TestDb::create("bench_shape"));
    let mut split = scenario(vec![step("SELECT 1", vec![])], LoadAmount::Iterations(101));
    split.load.clients = 3;
    split.load.warmup = 10;
    let mut opts = options(1);
    let bar = indicatif::ProgressBar::hidden();
    opts.progress = Some(bar.clone());
    let Outcome::Ok(m) = run_scenario(&target(&db), &split, &opts).unwrap() else {
        panic!("not measured")
    };
    assert_eq!((m.iterations, m.latency.len()), (101, 101));
    assert_eq!((bar.position(), bar.length()), (101, Some(101)));
    let timed = scenario(
        vec![step("SELECT 1", vec![])],
        LoadAmount::Duration(Duration::from_millis(300)),
    );
    let m = measure(&db, &timed);
    assert!(m.iterations > 0 && m.latency.len() == m.iterations);
    assert!(m.duration >= Duration::from_millis(300), "{:?}", m.duration);
    let expected = m.iterations as f64 / m.duration.as_secs_f64();
    assert!((m.throughput_per_s() - expected).abs() < 1e-6);
}

#[test]
fn a_cancelled_run_reports_interrupted() {
    let rt = runtime();
    let db = rt.block_on(common::TestDb::create("bench_cancel"));
    let opts = options(1);
    opts.cancel.store(true, std::sync::atomic::Ordering::SeqCst);
    let long = scenario(
        vec![step("SELECT 1", vec![])],
        LoadAmount::Duration(Duration::from_secs(3600)),
    );
    let error = run_scenario(&target(&db), &long, &opts).unwrap_err();
    assert!(matches!(error, techspec_bench::Error::Interrupted));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn it_runs_from_spawn_blocking_inside_a_multi_thread_runtime() {
    let db = common::TestDb::create("bench_spawn_blocking").await;
    let target = target(&db);
    let select = scenario(vec![step("SELECT 1", vec![])], LoadAmount::Iterations(10));
    let run = tokio::task::spawn_blocking(move || run_scenario(&target, &select, &options(1)))
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(run, Outcome::Ok(m) if m.iterations == 10 && m.errors == 0));
}
