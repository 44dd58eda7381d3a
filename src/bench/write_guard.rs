//! The preflight's write guard: one probe iteration, in the preflight's read-only
//! transaction (rolled back), of a scenario without `transaction`, so a statement that
//! writes although it is not declared a write scenario makes the scenario an error with the
//! server's message instead of a run of failed iterations. Must not time or
//! record anything, nor judge errors other than read-only violations (the measured loop
//! counts those).

use futures_util::TryStreamExt;
use tokio_postgres::error::SqlState;

use crate::bench::session::ClientSession;
use crate::config::model::Scenario;
use crate::error::describe_pg_error;
use crate::params::{Captures, ParamDrawer, PrepareFailure, value};

/// For a scenario without `transaction`: runs its steps once in the preflight's
/// read-only transaction (call it last: a failed step aborts that transaction); a
/// read-only violation (SQLSTATE 25006) is the scenario's error. Other failures are left
/// to the measured iterations.
pub async fn refuse_undeclared_writes(
    session: &ClientSession,
    scenario: &Scenario,
    drawer: &mut ParamDrawer,
) -> Result<(), PrepareFailure> {
    if scenario.transaction.is_some() {
        return Ok(());
    }
    match probe(session, scenario, drawer).await {
        Err((index, error)) if error.code() == Some(&SqlState::READ_ONLY_SQL_TRANSACTION) => {
            Err(PrepareFailure::Error(crate::Error::config(
                undeclared_write(scenario, index, &error),
            )))
        }
        _ => Ok(()),
    }
}

/// Runs every step with drawn parameters and captures; the failing step's index and error.
async fn probe(
    session: &ClientSession,
    scenario: &Scenario,
    drawer: &mut ParamDrawer,
) -> Result<(), (usize, tokio_postgres::Error)> {
    let mut captures = Captures::new();
    for (index, step) in scenario.steps.iter().enumerate() {
        let params = drawer.draw(step, &captures);
        let rows: Vec<tokio_postgres::Row> = session
            .client
            .query_raw(&session.statements[index], params.iter())
            .await
            .map_err(|e| (index, e))?
            .try_collect()
            .await
            .map_err(|e| (index, e))?;
        for capture in &step.captures {
            if let Ok(value) = value::capture_column(&rows, &capture.column) {
                captures.insert(capture.name.clone(), value);
            }
        }
    }
    Ok(())
}

/// The scenario's error: the server's message, the statement, and the two ways to fix it.
fn undeclared_write(scenario: &Scenario, index: usize, error: &tokio_postgres::Error) -> String {
    let step = if scenario.is_multi_step() {
        format!("step {} ", index + 1)
    } else {
        String::new()
    };
    format!(
        "scenario `{}` ({}:{}) {step}writes to the database: {} in `{}`. Scenarios without \
         `transaction` run read-only; declare transaction = \"rollback\" to measure a write \
         (it is rolled back), or remove the write",
        scenario.name,
        scenario.origin.file.display(),
        scenario.origin.line,
        describe_pg_error(error),
        scenario.steps[index].sql.trim()
    )
}
