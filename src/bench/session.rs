//! One client's connection: connect (read-only unless the scenario declares a transaction),
//! per-scenario statement timeout, statements prepared once, and the execution of one
//! iteration (steps in order, captures, BEGIN..ROLLBACK/COMMIT). An error that ends the
//! connection (terminated backend, server shutdown, broken socket) marks the session
//! closed at once, so the client reopens it before its next attempt. A sibling session
//! shares the connection and prepares another scenario's statements on it (a ratio gate
//! measured in pairs runs both scenarios on one backend).
//! Must not time or record anything beyond the per-step durations it is asked to fill.

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use futures_util::{TryStreamExt, pin_mut};
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Row, Statement};

use crate::config::model::{Scenario, Step, TransactionMode};
use crate::db::DbTarget;
use crate::db::missing;
use crate::error::describe_pg_error;
use crate::params::{Captures, ParamDrawer, PrepareFailure, value};

/// A connected client with the scenario's statements prepared.
pub struct ClientSession {
    /// Shared with the session's siblings (one connection, several scenarios).
    pub client: Rc<Client>,
    pub statements: Vec<Statement>,
    /// Set by an error that ends the connection, before the client notices it closed.
    lost: Rc<Cell<bool>>,
}

impl ClientSession {
    /// Connects, sets the statement timeout and prepares every step. A missing relation
    /// is a `Skip` naming it. A scenario without `transaction` gets a read-only connection,
    /// so any write it hides (a function, `nextval()`, DDL) fails with the server's error.
    pub async fn open(
        target: &DbTarget,
        scenario: &Scenario,
    ) -> Result<ClientSession, PrepareFailure> {
        let connected = match scenario.transaction {
            None => crate::db::connect_read_only(target).await,
            Some(_) => crate::db::connect(target).await,
        };
        let client = connected.map_err(PrepareFailure::Error)?;
        // 0 disables the timeout in PostgreSQL: never round a short timeout down to it.
        let timeout = scenario.statement_timeout;
        let timeout_ms = if timeout.is_zero() {
            0
        } else {
            timeout.as_millis().max(1)
        };
        client
            .batch_execute(&format!("SET statement_timeout = {timeout_ms}"))
            .await
            .map_err(|e| {
                PrepareFailure::Error(crate::Error::database("cannot set statement_timeout", &e))
            })?;
        let statements = prepare_steps(&client, scenario).await?;
        Ok(ClientSession {
            client: Rc::new(client),
            statements,
            lost: Rc::new(Cell::new(false)),
        })
    }

    /// A session for `scenario` on this session's connection (its statement timeout and
    /// read-only mode stay those this session was opened with).
    pub async fn sibling(&self, scenario: &Scenario) -> Result<ClientSession, PrepareFailure> {
        Ok(ClientSession {
            client: Rc::clone(&self.client),
            statements: prepare_steps(&self.client, scenario).await?,
            lost: Rc::clone(&self.lost),
        })
    }

    /// Pins the calling thread and this session's backend to the CPU of client `client`
    /// (best effort: a backend pid that cannot be read leaves both unpinned).
    pub async fn pin(&self, client: u32) {
        let Ok(row) = self.client.query_one("SELECT pg_backend_pid()", &[]).await else {
            return;
        };
        if let Ok(backend) = row.try_get::<_, i32>(0) {
            crate::bench::pinning::pin_pair(client, backend);
        }
    }

    /// True when the connection is gone (every further query would fail).
    pub fn is_closed(&self) -> bool {
        self.lost.get() || self.client.is_closed()
    }

    /// "<error> in `<sql>`"; notes when the error ended the connection.
    fn describe(&self, sql: &str, error: &tokio_postgres::Error) -> String {
        if ends_connection(error) {
            self.lost.set(true);
        }
        describe(sql, error)
    }

    /// Runs one iteration: all steps in order, wrapped in the scenario's transaction.
    /// With `step_times` (one slot per step), fills each step's duration.
    /// On an error inside a transaction, rolls back before returning the error text.
    pub async fn run_iteration(
        &self,
        scenario: &Scenario,
        drawer: &mut ParamDrawer,
        mut step_times: Option<&mut [Duration]>,
    ) -> Result<(), String> {
        if scenario.transaction.is_some() {
            self.client
                .batch_execute("BEGIN")
                .await
                .map_err(|e| self.describe("BEGIN", &e))?;
        }
        let mut captures = Captures::new();
        let mut outcome = Ok(());
        for (index, step) in scenario.steps.iter().enumerate() {
            let started = step_times.as_ref().map(|_| Instant::now());
            outcome = self.run_step(index, step, drawer, &mut captures).await;
            if let (Some(times), Some(started)) = (step_times.as_deref_mut(), started) {
                times[index] = started.elapsed();
            }
            if let Err(message) = &mut outcome {
                if scenario.is_multi_step() {
                    *message = format!("step {}: {message}", index + 1);
                }
                break;
            }
        }
        self.finish_transaction(scenario.transaction, outcome).await
    }

    async fn run_step(
        &self,
        index: usize,
        step: &Step,
        drawer: &mut ParamDrawer,
        captures: &mut Captures,
    ) -> Result<(), String> {
        let params = drawer.draw(step, captures);
        let describe_error = |e: tokio_postgres::Error| self.describe(&step.sql, &e);
        let rows = self
            .client
            .query_raw(&self.statements[index], params.iter())
            .await
            .map_err(describe_error)?;
        pin_mut!(rows);
        if step.captures.is_empty() {
            while rows.try_next().await.map_err(describe_error)?.is_some() {}
            return Ok(());
        }
        let rows: Vec<Row> = rows.try_collect().await.map_err(describe_error)?;
        for capture in &step.captures {
            captures.insert(
                capture.name.clone(),
                value::capture_column(&rows, &capture.column)?,
            );
        }
        Ok(())
    }

    async fn finish_transaction(
        &self,
        mode: Option<TransactionMode>,
        outcome: Result<(), String>,
    ) -> Result<(), String> {
        let end = match (mode, &outcome) {
            (None, _) => return outcome,
            (Some(TransactionMode::Commit), Ok(())) => "COMMIT",
            _ => "ROLLBACK",
        };
        let ended = self
            .client
            .batch_execute(end)
            .await
            .map_err(|e| self.describe(end, &e));
        outcome.and(ended)
    }
}

/// True for errors after which the connection is gone: a closed socket, a terminated
/// backend or a server shutting down, or a connection exception (class 08).
fn ends_connection(error: &tokio_postgres::Error) -> bool {
    if error.is_closed() {
        return true;
    }
    error.code().is_some_and(|code| {
        *code == SqlState::ADMIN_SHUTDOWN
            || *code == SqlState::CRASH_SHUTDOWN
            || *code == SqlState::CANNOT_CONNECT_NOW
            || code.code().starts_with("08")
    })
}

/// "<error> in `<sql>`" with the server's message and SQLSTATE.
fn describe(sql: &str, error: &tokio_postgres::Error) -> String {
    format!("{} in `{sql}`", describe_pg_error(error))
}

/// Classifies a failed PREPARE: a missing relation skips the scenario, a SQL error
/// (SQLSTATE class 42) is the scenario file's fault, anything else the environment's.
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

fn prepare_failure(
    scenario: &Scenario,
    index: usize,
    error: &tokio_postgres::Error,
) -> PrepareFailure {
    if let Some(reason) = missing::skip_reason(error) {
        return PrepareFailure::Skip(reason);
    }
    let message = format!(
        "scenario `{}` ({}:{}): step {} does not prepare: {}",
        scenario.name,
        scenario.origin.file.display(),
        scenario.origin.line,
        index + 1,
        describe_pg_error(error)
    );
    match error.code() {
        Some(code) if code.code().starts_with("42") => {
            PrepareFailure::Error(crate::Error::config(message))
        }
        _ => PrepareFailure::Error(crate::Error::environment(message)),
    }
}
