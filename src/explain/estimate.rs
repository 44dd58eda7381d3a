//! A scenario's plans without executing it: `EXPLAIN (VERBOSE, FORMAT JSON)` of each step
//! with one draw of its parameters, in a read-only transaction that is rolled back.
//! PostgreSQL plans an INSERT, UPDATE or DELETE without running it, so a read-only
//! connection can explain a write this way; the plans have no actual rows and no buffers.
//! For callers that may not execute (`capture` only reads). Later steps get no captures.
//! Must not execute statements or judge plans.

use tokio_postgres::Client;

use crate::Error;
use crate::config::Scenario;
use crate::db::missing;
use crate::explain::plan::Plan;
use crate::explain::runner::{as_sql, plan_from_row, prepare_read_only};
use crate::outcome::Outcome;
use crate::params::{Captures, PrepareFailure};

/// The estimated plan of every step; `Skip`/`Error` with the server's reason when a
/// statement cannot be planned here; errors only for connection-level problems.
pub async fn estimated_plans(
    client: &mut Client,
    scenario: &Scenario,
    rng_seed: u64,
) -> crate::Result<Outcome<Vec<Plan>>> {
    let mut drawer = match prepare_read_only(client, scenario, rng_seed).await? {
        Ok(drawer) => drawer,
        Err(PrepareFailure::Skip(reason)) => return Ok(Outcome::Skip(reason)),
        Err(PrepareFailure::Error(error)) => return Err(error),
    };
    let failed = |doing: &str, e: &tokio_postgres::Error| {
        Error::database(format!("planning scenario {} ({doing})", scenario.name), e)
    };
    let tx = client
        .build_transaction()
        .read_only(true)
        .start()
        .await
        .map_err(|e| failed("BEGIN", &e))?;
    let mut plans = Vec::new();
    let captures = Captures::new();
    for step in &scenario.steps {
        let params = drawer.draw(step, &captures);
        let explain = format!("EXPLAIN (VERBOSE, FORMAT JSON) {}", step.sql);
        match tx.query_one(&explain, &as_sql(&params)).await {
            Ok(row) => plans.push(plan_from_row(&row)),
            Err(error) if error.as_db_error().is_some() => {
                let reason = missing::skip_reason(&error)
                    .map(Outcome::Skip)
                    .unwrap_or_else(|| {
                        Outcome::Error(format!(
                            "EXPLAIN failed: {}",
                            crate::error::describe_pg_error(&error)
                        ))
                    });
                tx.rollback().await.map_err(|e| failed("ROLLBACK", &e))?;
                return Ok(reason);
            }
            Err(error) => return Err(failed("EXPLAIN", &error)),
        }
    }
    tx.rollback().await.map_err(|e| failed("ROLLBACK", &e))?;
    Ok(Outcome::Ok(plans))
}
