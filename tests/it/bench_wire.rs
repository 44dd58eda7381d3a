//! The lean timed path against a real PostgreSQL: every protocol (prepared, extended,
//! simple) runs parameters, captures and transactions alike; reads without a declared
//! transaction cannot write through any protocol; and a cancel request stops a long
//! statement on a timed connection at once. Must not share databases with other tests.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use techspec_bench::bench::{EngineOptions, Measurement, run_scenario};
use techspec_bench::config::model::{
    Capture, Literal, LoadAmount, ParamGen, Protocol, Scenario, TransactionMode,
};
use techspec_bench::outcome::Outcome;

use common::step;

fn options() -> EngineOptions {
    EngineOptions {
        rng_seed: 5,
        cancel: Arc::new(AtomicBool::new(false)),
        progress: None,
    }
}

fn measure(url: &str, scenario: &Scenario) -> Measurement {
    match run_scenario(&common::target(url), scenario, &options()).unwrap() {
        Outcome::Ok(m) => m,
        other => panic!("expected a measurement, got {:?}", other.reason()),
    }
}

async fn database(label: &str) -> common::TestDb {
    let db = common::TestDb::create(label).await;
    db.client()
        .await
        .batch_execute(
            "CREATE TABLE items (id int PRIMARY KEY, name text, tags text[]);
             INSERT INTO items SELECT g, 'item '' ' || g, ARRAY['a', 'b\"c'] FROM generate_series(1, 50) g;
             CREATE SEQUENCE probe_seq;
             CREATE TABLE probe_rows (note text);
             CREATE FUNCTION probe_insert() RETURNS int LANGUAGE sql
               AS $$ INSERT INTO probe_rows VALUES ('written') RETURNING 1 $$;",
        )
        .await
        .unwrap();
    db
}

/// Two steps: names by id range (captured), then a check that fails (division by zero)
/// unless the captured names find exactly the rows of the range.
fn captured_lookup(protocol: Protocol) -> Scenario {
    let mut first = step(
        "SELECT name, id FROM items WHERE id BETWEEN $1 AND $1 + 4 AND name <> $2",
        vec![
            ParamGen::Int {
                low: 1,
                high: 40,
                dist: techspec_bench::config::model::IntDist::Uniform,
            },
            ParamGen::Value(Literal::Text("it's not".into())),
        ],
    );
    first.captures = vec![Capture {
        name: "names".into(),
        column: "name".into(),
    }];
    let second = step(
        "SELECT 1 / (count(*) / 5)::int FROM items WHERE name = ANY($1) AND 'b\"c' = ANY(tags)",
        vec![ParamGen::Captured("names".into())],
    );
    let mut scenario = common::scenario("lookup", vec![first, second], LoadAmount::Iterations(40));
    scenario.protocol = protocol;
    scenario.load.clients = 2;
    scenario
}

#[tokio::test(flavor = "multi_thread")]
async fn every_protocol_binds_parameters_and_captures_alike() {
    let db = database("wire_protocols").await;
    for protocol in Protocol::ALL {
        let url = db.url.clone();
        let m = tokio::task::spawn_blocking(move || measure(&url, &captured_lookup(protocol)))
            .await
            .unwrap();
        assert_eq!(
            (m.iterations, m.errors),
            (40, 0),
            "{protocol:?}: {:?}",
            m.first_error
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_protocol_rolls_back_a_declared_write_and_reports_an_error_in_a_step() {
    let db = database("wire_tx").await;
    for protocol in Protocol::ALL {
        let insert = step(
            "INSERT INTO probe_rows VALUES ($1)",
            vec![ParamGen::Value(Literal::Text("declared".into()))],
        );
        let mut write = common::scenario("write", vec![insert], LoadAmount::Iterations(10));
        write.transaction = Some(TransactionMode::Rollback);
        write.protocol = protocol;
        let url = db.url.clone();
        let failing = {
            let mut s = write.clone();
            s.steps.push(step("SELECT 1 / 0", vec![]));
            s.transaction = Some(TransactionMode::Commit);
            s
        };
        let (ok, failed) =
            tokio::task::spawn_blocking(move || (measure(&url, &write), measure(&url, &failing)))
                .await
                .unwrap();
        assert_eq!(
            (ok.iterations, ok.errors),
            (10, 0),
            "{protocol:?}: {:?}",
            ok.first_error
        );
        assert_eq!(failed.errors, 10, "{protocol:?}");
        let error = failed.first_error.unwrap();
        assert!(error.starts_with("step 2: division by zero"), "{error}");
    }
    let rows: i64 = db
        .client()
        .await
        .query_one("SELECT count(*) FROM probe_rows", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn hidden_writes_fail_read_only_in_every_protocol_and_change_nothing() {
    let db = database("wire_guard").await;
    for protocol in Protocol::ALL {
        for sql in [
            "SELECT nextval('probe_seq')",
            "SELECT probe_insert()",
            "CREATE TABLE made_here (a int)",
        ] {
            let mut scenario =
                common::scenario("hidden", vec![step(sql, vec![])], LoadAmount::Iterations(3));
            scenario.protocol = protocol;
            let target = common::target(&db.url);
            let outcome =
                tokio::task::spawn_blocking(move || run_scenario(&target, &scenario, &options()))
                    .await
                    .unwrap()
                    .unwrap();
            let reason = outcome.reason().unwrap_or_default().to_string();
            assert!(
                matches!(outcome, Outcome::Error(_)) && reason.contains("SQLSTATE 25006"),
                "{protocol:?} {sql}: {reason}"
            );
        }
    }
    // The timed connections themselves, past the preflight: every iteration fails.
    for protocol in Protocol::ALL {
        let mut writing = common::scenario(
            "hidden",
            vec![step("SELECT nextval('probe_seq') + probe_insert()", vec![])],
            LoadAmount::Iterations(4),
        );
        writing.protocol = protocol;
        let target = common::target(&db.url);
        let m = tokio::task::spawn_blocking(move || timed_only(&target, &writing))
            .await
            .unwrap();
        assert_eq!(m.errors, 4, "{protocol:?}");
        let error = m.first_error.unwrap();
        assert!(error.contains("SQLSTATE 25006"), "{protocol:?}: {error}");
    }
    let client = db.client().await;
    let row = client
        .query_one("SELECT last_value, is_called FROM probe_seq", &[])
        .await
        .unwrap();
    assert_eq!((row.get::<_, i64>(0), row.get::<_, bool>(1)), (1, false));
    let rows: i64 = client
        .query_one("SELECT count(*) FROM probe_rows", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows, 0);
    let made: bool = client
        .query_one("SELECT to_regclass('made_here') IS NOT NULL", &[])
        .await
        .unwrap()
        .get(0);
    assert!(!made);
}

/// Measures `scenario` after the preflight of a harmless stand-in (`SELECT 1`), so
/// only the timed connections run its statements.
fn timed_only(target: &techspec_bench::db::DbTarget, scenario: &Scenario) -> Measurement {
    let mut stand_in = scenario.clone();
    for step in &mut stand_in.steps {
        step.sql = "SELECT 1".into();
    }
    let Outcome::Ok(prepared) =
        techspec_bench::bench::prepare_scenario(target, &stand_in, 5).unwrap()
    else {
        panic!("preflight of the stand-in")
    };
    let window = techspec_bench::bench::schedule::Window::WHOLE;
    match techspec_bench::bench::measure_window(target, scenario, &prepared, window, &options())
        .unwrap()
    {
        Outcome::Ok(m) => m,
        other => panic!("expected a measurement, got {:?}", other.reason()),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cancel_request_stops_a_long_statement_on_a_timed_connection_at_once() {
    let db = database("wire_cancel").await;
    let mut sleepy = common::scenario(
        "sleepy",
        vec![step("SELECT pg_sleep(30)", vec![])],
        LoadAmount::Iterations(1),
    );
    sleepy.statement_timeout = Duration::from_secs(60);
    let target = common::target(&db.url);
    let cancel = Arc::new(AtomicBool::new(false));
    let opts = EngineOptions {
        cancel: Arc::clone(&cancel),
        ..options()
    };
    // The preflight probe runs the statement too: give it a rolled-back instant version.
    let prepared = {
        let mut quick = sleepy.clone();
        quick.steps[0].sql = "SELECT pg_sleep(0)".into();
        let target = target.clone();
        tokio::task::spawn_blocking(move || {
            techspec_bench::bench::prepare_scenario(&target, &quick, 5).unwrap()
        })
        .await
        .unwrap()
    };
    let Outcome::Ok(prepared) = prepared else {
        panic!("preflight")
    };
    let run = tokio::task::spawn_blocking(move || {
        techspec_bench::bench::measure_window(
            &target,
            &sleepy,
            &prepared,
            techspec_bench::bench::schedule::Window::WHOLE,
            &opts,
        )
    });
    let client = db.client().await;
    let sleeping = "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' \
                    AND query = 'SELECT pg_sleep(30)' AND pid <> pg_backend_pid()";
    let deadline = Instant::now() + Duration::from_secs(60);
    while client
        .query_one(sleeping, &[])
        .await
        .unwrap()
        .get::<_, i64>(0)
        == 0
    {
        assert!(Instant::now() < deadline, "the statement never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let sent = Instant::now();
    cancel.store(true, std::sync::atomic::Ordering::SeqCst);
    techspec_bench::db::cancel::cancel_all(Duration::from_secs(1)).await;
    let result = run.await.unwrap();
    assert!(
        sent.elapsed() < Duration::from_secs(2),
        "{:?}",
        sent.elapsed()
    );
    assert!(
        matches!(result, Err(techspec_bench::Error::Interrupted)),
        "{result:?}"
    );
    assert_eq!(
        client
            .query_one(sleeping, &[])
            .await
            .unwrap()
            .get::<_, i64>(0),
        0
    );
}
