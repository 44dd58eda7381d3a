//! The seam between the engine and the database. An `Executor` runs the preflight and
//! opens one `Session` per client; a `Session` runs iterations. `PgExecutor` is the real
//! one: the preflight on tokio-postgres, and per client one lean connection
//! (`bench::wire_session`) with its statements described once.
//! The engine is generic over these traits, so the per-iteration path has no boxing or
//! dynamic dispatch; a scripted executor stands in for PostgreSQL in unit tests.
//! Must not time or record anything, nor spawn threads or runtimes (the engine does).

use std::future::Future;
use std::time::Duration;

use bytes::BytesMut;
use tokio_postgres::types::ToSql;

use crate::bench::session::ClientSession;
use crate::bench::wire_session::WireSession;
use crate::bench::write_guard;
use crate::config::model::Scenario;
use crate::db::DbTarget;
use crate::db::prepared::PlanCounts;
use crate::params::{Captures, ParamDrawer, PrepareFailure};

/// Opens what the engine runs a scenario with. Shared by every client thread, hence `Sync`;
/// its futures run on each client's own current_thread runtime, so they need not be `Send`.
pub trait Executor: Sync {
    type Session: Session;

    /// Checks once that `scenario` can run (relations exist, samples have rows, parameters
    /// encode) and returns the seeded drawer the clients fork. `Skip` when it cannot run here.
    fn preflight(
        &self,
        scenario: &Scenario,
        rng_seed: u64,
    ) -> impl Future<Output = Result<ParamDrawer, PrepareFailure>>;

    /// Opens the session of client `client` (0-based), ready to run iterations. Also
    /// called again, with the same `client`, after its connection was lost.
    fn open(
        &self,
        scenario: &Scenario,
        client: u32,
    ) -> impl Future<Output = Result<Self::Session, PrepareFailure>>;

    /// How long a client whose connection was lost keeps trying to open a new one.
    fn reconnect_within(&self) -> Duration;
}

/// One client's connection to the database.
pub trait Session {
    /// Runs one iteration: all steps in order, wrapped in the scenario's transaction.
    /// With `step_times` (one slot per step), fills each step's duration.
    /// Errors are the text reported to the user (server message, SQLSTATE, statement).
    fn run_iteration(
        &self,
        scenario: &Scenario,
        drawer: &mut ParamDrawer,
        step_times: Option<&mut [Duration]>,
    ) -> impl Future<Output = Result<(), String>>;

    /// True when the connection is gone (every further iteration would fail).
    fn is_closed(&self) -> bool;

    /// A session for `scenario` on this session's connection: both then run on one
    /// backend (a ratio gate measured in pairs).
    fn sibling(&self, scenario: &Scenario) -> impl Future<Output = Result<Self, PrepareFailure>>
    where
        Self: Sized;

    /// Executions of each step's prepared statement with a custom and with the generic
    /// plan on this connection so far (warmup included); empty when unknown.
    fn plan_counts(&self, scenario: &Scenario) -> impl Future<Output = Vec<PlanCounts>> {
        let _ = scenario;
        std::future::ready(Vec::new())
    }
}

/// The real executor: connects to `target` with tokio-postgres.
pub struct PgExecutor<'a> {
    target: &'a DbTarget,
}

impl<'a> PgExecutor<'a> {
    pub fn new(target: &'a DbTarget) -> PgExecutor<'a> {
        PgExecutor { target }
    }
}

impl Executor for PgExecutor<'_> {
    type Session = WireSession;

    /// Connects once and, in one read-only transaction that is rolled back: prepares every
    /// step (a missing relation skips the scenario), runs the samples, checks that a
    /// drawn value of every parameter encodes for its column type, and that a scenario
    /// without `transaction` does not write.
    async fn preflight(
        &self,
        scenario: &Scenario,
        rng_seed: u64,
    ) -> Result<ParamDrawer, PrepareFailure> {
        let session = ClientSession::open(self.target, scenario).await?;
        let drawer = ParamDrawer::prepare(&session.client, scenario, rng_seed).await?;
        check_parameters(scenario, &session, &mut drawer.fork(u32::MAX))
            .map_err(PrepareFailure::Error)?;
        write_guard::refuse_undeclared_writes(&session, scenario, &mut drawer.fork(u32::MAX))
            .await?;
        session.close().await;
        Ok(drawer)
    }

    /// A lean session (`WireSession`) whose reads wait at most the client's response
    /// limit. On a server on this machine, the client's thread and its backend then share
    /// a CPU (`pinning`).
    async fn open(&self, scenario: &Scenario, client: u32) -> Result<WireSession, PrepareFailure> {
        let limit = crate::bench::client::response_guard(scenario);
        let session = WireSession::open(self.target, scenario, limit).await?;
        let env = |key: &str| std::env::var(key).ok();
        let local = self.target.throwaway || crate::bench::pinning::is_local(&self.target.config);
        if crate::bench::pinning::enabled(local, &env) {
            session.pin(client);
        }
        Ok(session)
    }

    /// The target's connect timeout (10 s, the default, when it carries none).
    fn reconnect_within(&self) -> Duration {
        self.target
            .config
            .get_connect_timeout()
            .copied()
            .unwrap_or(Duration::from_secs(10))
    }
}

impl Session for WireSession {
    fn run_iteration(
        &self,
        scenario: &Scenario,
        drawer: &mut ParamDrawer,
        step_times: Option<&mut [Duration]>,
    ) -> impl Future<Output = Result<(), String>> {
        // Blocking on the client's own thread: the future is ready when polled.
        std::future::ready(self.iterate(scenario, drawer, step_times))
    }

    fn is_closed(&self) -> bool {
        WireSession::is_closed(self)
    }

    fn sibling(&self, scenario: &Scenario) -> impl Future<Output = Result<Self, PrepareFailure>> {
        std::future::ready(WireSession::sibling(self, scenario))
    }

    fn plan_counts(&self, _scenario: &Scenario) -> impl Future<Output = Vec<PlanCounts>> {
        std::future::ready(WireSession::plan_counts(self))
    }
}

/// Each step's generators match its `$n` count, and a drawn value of each encodes for
/// the parameter's type (captured values are checked as empty arrays).
fn check_parameters(
    scenario: &Scenario,
    session: &ClientSession,
    drawer: &mut ParamDrawer,
) -> crate::Result<()> {
    let at = format!(
        "scenario `{}` ({}:{})",
        scenario.name,
        scenario.origin.file.display(),
        scenario.origin.line
    );
    for (index, (step, statement)) in scenario.steps.iter().zip(&session.statements).enumerate() {
        let types = statement.params();
        if types.len() != step.params.len() {
            return Err(crate::Error::config(format!(
                "{at}: step {} has {} parameter generator(s) but its SQL uses {} (`{}`); give one per $n",
                index + 1,
                step.params.len(),
                types.len(),
                step.sql
            )));
        }
        for (n, (value, ty)) in drawer
            .draw(step, &Captures::new())
            .iter()
            .zip(types)
            .enumerate()
        {
            if let Err(e) = value.to_sql_checked(ty, &mut BytesMut::new()) {
                return Err(crate::Error::config(format!(
                    "{at}: step {}, parameter ${}: {e}; change its generator to produce a {} value",
                    index + 1,
                    n + 1,
                    ty.name()
                )));
            }
        }
    }
    Ok(())
}
