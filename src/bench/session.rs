//! The preflight's connection (tokio-postgres): everything it runs (statement timeout,
//! the steps prepared, parameter samples, the write probe) runs in one
//! `BEGIN READ ONLY` ... `ROLLBACK` transaction, so nothing it runs can write whatever
//! the connection's own settings are, and a transaction pooler keeps it on one server
//! connection from the first statement to the last (its prepared statements are closed
//! inside the transaction). The timed iterations run on `bench::wire_session` instead.
//! Must not time or record anything.

use tokio_postgres::{Client, Statement};

use crate::config::model::Scenario;
use crate::db::DbTarget;
use crate::db::{missing, pooler};
use crate::error::describe_pg_error;
use crate::params::PrepareFailure;

/// A connection inside its read-only transaction, with the scenario's statements prepared.
pub struct ClientSession {
    pub client: Client,
    pub statements: Vec<Statement>,
}

impl ClientSession {
    /// Connects (read-only when the server or pooler allows the startup option), begins
    /// the read-only transaction with the scenario's statement timeout, and prepares every
    /// step. A missing relation is a `Skip` naming it.
    pub async fn open(
        target: &DbTarget,
        scenario: &Scenario,
    ) -> Result<ClientSession, PrepareFailure> {
        let (client, _) = crate::db::connect_read_only(target)
            .await
            .map_err(PrepareFailure::Error)?;
        let timeout_ms = crate::bench::wire_session::timeout_ms(scenario.statement_timeout);
        client
            .batch_execute(&format!(
                "BEGIN READ ONLY; SET LOCAL statement_timeout = {timeout_ms}"
            ))
            .await
            .map_err(|e| {
                PrepareFailure::Error(crate::Error::database(
                    "cannot begin the preflight's read-only transaction",
                    &e,
                ))
            })?;
        let statements = prepare_steps(&client, scenario).await?;
        Ok(ClientSession { client, statements })
    }

    /// Closes the prepared statements and rolls the transaction back (best effort: on a
    /// connection the probe ended, the server has rolled it back already).
    pub async fn close(self) {
        let ClientSession { client, statements } = self;
        // Dropped first: their Close messages go out before the ROLLBACK, on the same
        // server connection.
        drop(statements);
        let _ = client.batch_execute("ROLLBACK").await;
    }
}

/// Prepares every step of `scenario` on `client`, in order.
async fn prepare_steps(
    client: &Client,
    scenario: &Scenario,
) -> Result<Vec<Statement>, PrepareFailure> {
    let mut statements = Vec::with_capacity(scenario.steps.len());
    for (index, step) in scenario.steps.iter().enumerate() {
        let statement = client
            .prepare(&step.sql)
            .await
            .map_err(|e| prepare_failure(scenario, index, &e))?;
        statements.push(statement);
    }
    Ok(statements)
}

/// Classifies a failed PREPARE of the driver's.
fn prepare_failure(
    scenario: &Scenario,
    index: usize,
    error: &tokio_postgres::Error,
) -> PrepareFailure {
    let (code, message) = error
        .as_db_error()
        .map_or(("", ""), |db| (db.code().code(), db.message()));
    classify_prepare_failure(scenario, index, code, message, describe_pg_error(error))
}

/// Classifies a step that does not prepare, from its SQLSTATE, the server's message and
/// the error in words: a missing relation skips the scenario, a SQL error (class 42) is
/// the scenario file's fault, anything else the environment's (with the pooler's way out
/// when the error means one). Shared with the lean sessions.
pub(crate) fn classify_prepare_failure(
    scenario: &Scenario,
    index: usize,
    code: &str,
    server_message: &str,
    described: String,
) -> PrepareFailure {
    if let Some(reason) = missing::skip_reason_for(code, server_message) {
        return PrepareFailure::Skip(reason);
    }
    let message = format!(
        "scenario `{}` ({}:{}): step {} does not prepare: {described}",
        scenario.name,
        scenario.origin.file.display(),
        scenario.origin.line,
        index + 1,
    );
    let message = pooler::explain(message, code, server_message);
    if code.starts_with("42") && !pooler::is_lost_statement(code) {
        PrepareFailure::Error(crate::Error::config(message))
    } else {
        PrepareFailure::Error(crate::Error::environment(message))
    }
}
