//! Measures one scenario with and without one index or foreign key, on one connection and
//! inside ONE transaction that is always rolled back: the scenario's statements are
//! prepared once, then each batch runs "with" (as the database is) and "without" (the
//! object dropped under a savepoint, rolled back after the batch), in alternating order
//! from batch to batch, each side drawing the same parameters, timed into HdrHistograms. Each side is also EXPLAINed (ANALYZE,
//! BUFFERS). Must not commit anything, open other connections or format results.

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Row, Statement, Transaction};

use crate::bench::histogram::{merge_into, new_latency_histogram, record};
use crate::config::{LoadAmount, Scenario};
use crate::db::ablation::{self, Ablatable};
use crate::explain::plan::{self, Plan};
use crate::outcome::Outcome;
use crate::params::value::capture_column;
use crate::params::{Captures, ParamDrawer, ParamValue};
use crate::{Error, Result};

/// Batches per side; their spread gives the interval of the ratio.
pub const BATCHES: u32 = 5;
/// Timed iterations per side when the scenario is given as a duration.
const DEFAULT_ITERATIONS: u64 = 500;

/// How many iterations each batch runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Effort {
    pub batches: u32,
    /// Timed iterations per batch and side.
    pub iterations: u64,
    /// Untimed iterations before each batch (they also absorb the re-planning a DROP causes).
    pub warmup: u64,
}

impl Effort {
    /// The scenario's iterations and warmup, spread over [`BATCHES`] batches per side.
    pub fn for_scenario(scenario: &Scenario) -> Effort {
        let total = match scenario.load.amount {
            LoadAmount::Iterations(n) => n,
            LoadAmount::Duration(_) | LoadAmount::Budget(_) => DEFAULT_ITERATIONS,
        };
        let batches = u64::from(BATCHES);
        Effort {
            batches: BATCHES,
            iterations: (total / batches).max(10),
            warmup: (scenario.load.warmup / batches).clamp(2, 20),
        }
    }
}

/// Both sides of one ablation.
#[derive(Debug)]
pub struct Measurement {
    pub with: Histogram<u64>,
    pub without: Histogram<u64>,
    /// Per batch: the two sides' histograms.
    pub batches: Vec<(Histogram<u64>, Histogram<u64>)>,
    pub plans_with: Vec<Plan>,
    pub plans_without: Vec<Plan>,
}

/// Measures `scenario` with and without `object`. `Outcome::Error` when a statement or the
/// DROP failed on the server (the reason names it); `Err` when the connection failed.
pub async fn measure(
    client: &mut Client,
    scenario: &Scenario,
    object: &Ablatable,
    drawer: &ParamDrawer,
    effort: Effort,
) -> Result<Outcome<Measurement>> {
    let mut tx = client
        .transaction()
        .await
        .map_err(|e| Error::database("BEGIN of the ablation transaction", &e))?;
    let measured = measure_in(&mut tx, scenario, object, drawer, effort).await;
    // Rolled back whatever happened; a killed process never reaches this, and the server
    // rolls the open transaction back when the connection drops.
    tx.rollback()
        .await
        .map_err(|e| Error::database("ROLLBACK of the ablation transaction", &e))?;
    match measured {
        Ok(measurement) => Ok(Outcome::Ok(measurement)),
        Err(error) if error.sqlstate().is_some() => Ok(Outcome::Error(error.to_string())),
        Err(error) => Err(error),
    }
}

async fn measure_in(
    tx: &mut Transaction<'_>,
    scenario: &Scenario,
    object: &Ablatable,
    drawer: &ParamDrawer,
    effort: Effort,
) -> Result<Measurement> {
    ablation::limit_transaction(&*tx, scenario.statement_timeout.as_millis().max(1)).await?;
    let statements = prepare(tx, scenario).await?;
    // Both plans are taken with the same parameters (a stream of their own).
    let explain_stream = u32::MAX;
    let plans_with = explain_steps(tx, scenario, &mut drawer.fork(explain_stream)).await?;
    let mut ablated = savepoint(tx, "techspec_bench_ablated").await?;
    ablation::drop_object(&ablated, object).await?;
    let plans_without =
        explain_steps(&mut ablated, scenario, &mut drawer.fork(explain_stream)).await?;
    rollback(ablated).await?;
    let mut measurement = Measurement {
        with: new_latency_histogram(),
        without: new_latency_histogram(),
        batches: Vec::new(),
        plans_with,
        plans_without,
    };
    for batch in 0..effort.batches {
        // Odd batches measure "without" first, so the order of the sides cancels out.
        let without_first = batch % 2 == 1;
        let mut without = None;
        if without_first {
            without =
                Some(run_ablated(tx, &statements, scenario, object, drawer, batch, effort).await?);
        }
        let with = run_batch(tx, &statements, scenario, &mut drawer.fork(batch), effort).await?;
        let without = match without {
            Some(without) => without,
            None => run_ablated(tx, &statements, scenario, object, drawer, batch, effort).await?,
        };
        merge_into(&mut measurement.with, &with)?;
        merge_into(&mut measurement.without, &without)?;
        measurement.batches.push((with, without));
    }
    Ok(measurement)
}

/// One batch with `object` dropped under a savepoint that is rolled back afterwards.
async fn run_ablated(
    tx: &mut Transaction<'_>,
    statements: &[Statement],
    scenario: &Scenario,
    object: &Ablatable,
    drawer: &ParamDrawer,
    batch: u32,
    effort: Effort,
) -> Result<Histogram<u64>> {
    let mut ablated = savepoint(tx, "techspec_bench_ablated").await?;
    ablation::drop_object(&ablated, object).await?;
    let histogram = run_batch(
        &mut ablated,
        statements,
        scenario,
        &mut drawer.fork(batch),
        effort,
    )
    .await?;
    rollback(ablated).await?;
    Ok(histogram)
}

async fn prepare(tx: &Transaction<'_>, scenario: &Scenario) -> Result<Vec<Statement>> {
    let mut statements = Vec::with_capacity(scenario.steps.len());
    for (index, step) in scenario.steps.iter().enumerate() {
        let statement = tx
            .prepare(&step.sql)
            .await
            .map_err(|e| step_error(scenario, index, "preparing", &e))?;
        statements.push(statement);
    }
    Ok(statements)
}

/// Runs `effort.warmup` untimed then `effort.iterations` timed iterations.
async fn run_batch(
    tx: &mut Transaction<'_>,
    statements: &[Statement],
    scenario: &Scenario,
    drawer: &mut ParamDrawer,
    effort: Effort,
) -> Result<Histogram<u64>> {
    let mut histogram = new_latency_histogram();
    for iteration in 0..effort.warmup + effort.iterations {
        let elapsed = run_iteration(tx, statements, scenario, drawer).await?;
        if iteration >= effort.warmup {
            record(&mut histogram, elapsed);
        }
    }
    Ok(histogram)
}

/// One iteration; a scenario with `transaction = …` (a write) runs under a savepoint that
/// is rolled back. Only the statements are timed, not the savepoint round trips.
async fn run_iteration(
    tx: &mut Transaction<'_>,
    statements: &[Statement],
    scenario: &Scenario,
    drawer: &mut ParamDrawer,
) -> Result<Duration> {
    if scenario.transaction.is_none() {
        return run_steps(tx, statements, scenario, drawer).await;
    }
    let iteration = savepoint(tx, "techspec_bench_iteration").await?;
    let elapsed = run_steps(&iteration, statements, scenario, drawer).await;
    rollback(iteration).await?;
    elapsed
}

async fn run_steps(
    tx: &Transaction<'_>,
    statements: &[Statement],
    scenario: &Scenario,
    drawer: &mut ParamDrawer,
) -> Result<Duration> {
    let mut captures = Captures::new();
    let mut elapsed = Duration::ZERO;
    for (index, (step, statement)) in scenario.steps.iter().zip(statements).enumerate() {
        let params = drawer.draw(step, &captures);
        let started = Instant::now();
        let rows = tx
            .query(statement, &as_sql(&params))
            .await
            .map_err(|e| step_error(scenario, index, "running", &e))?;
        elapsed += started.elapsed();
        capture(step, &rows, &mut captures);
    }
    Ok(elapsed)
}

/// EXPLAIN ANALYZE of every step (each undone by a savepoint); earlier steps then run for
/// real, under one more savepoint rolled back at the end, so later steps get their captures.
async fn explain_steps(
    tx: &mut Transaction<'_>,
    scenario: &Scenario,
    drawer: &mut ParamDrawer,
) -> Result<Vec<Plan>> {
    let mut scratch = savepoint(tx, "techspec_bench_explain").await?;
    let mut captures = Captures::new();
    let mut plans = Vec::with_capacity(scenario.steps.len());
    for (index, step) in scenario.steps.iter().enumerate() {
        let params = drawer.draw(step, &captures);
        let explain = savepoint(&mut scratch, "techspec_bench_explain_step").await?;
        let row = explain
            .query_one(&ablation::explain_statement(&step.sql), &as_sql(&params))
            .await
            .map_err(|e| step_error(scenario, index, "explaining", &e))?;
        rollback(explain).await?;
        plans.push(plan_of(&row));
        if index + 1 < scenario.steps.len() {
            let rows = scratch
                .query(&step.sql, &as_sql(&params))
                .await
                .map_err(|e| step_error(scenario, index, "running", &e))?;
            capture(step, &rows, &mut captures);
        }
    }
    rollback(scratch).await?;
    Ok(plans)
}

fn capture(step: &crate::config::Step, rows: &[Row], captures: &mut Captures) {
    for wanted in &step.captures {
        // An uncapturable column leaves the name unset: the later step binds an empty array.
        if let Ok(value) = capture_column(rows, &wanted.column) {
            captures.insert(wanted.name.clone(), value);
        }
    }
}

/// The plan in an EXPLAIN (FORMAT JSON) row; an unreadable one becomes a visible node.
fn plan_of(row: &Row) -> Plan {
    let parsed = row
        .try_get::<_, serde_json::Value>(0)
        .map_err(|e| e.to_string())
        .and_then(|value| plan::parse(&value));
    parsed.unwrap_or_else(|message| {
        plan::parse(
            &serde_json::json!({ "Plan": { "Node Type": format!("Unparsed plan: {message}") } }),
        )
        .expect("a literal one-node plan parses")
    })
}

async fn savepoint<'a>(tx: &'a mut Transaction<'_>, name: &str) -> Result<Transaction<'a>> {
    tx.savepoint(name)
        .await
        .map_err(|e| Error::database(format!("SAVEPOINT {name} in the ablation transaction"), &e))
}

async fn rollback(savepoint: Transaction<'_>) -> Result<()> {
    savepoint
        .rollback()
        .await
        .map_err(|e| Error::database("ROLLBACK TO SAVEPOINT in the ablation transaction", &e))
}

fn as_sql(params: &[ParamValue]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

fn step_error(
    scenario: &Scenario,
    index: usize,
    doing: &str,
    error: &tokio_postgres::Error,
) -> Error {
    Error::database(
        format!(
            "{doing} step {} of scenario {} ({}:{}) during ablation",
            index + 1,
            scenario.name,
            scenario.origin.file.display(),
            scenario.origin.line
        ),
        error,
    )
}
