//! One client's lean session (`db::wire`): connect (read-only unless the scenario
//! declares a transaction), statement timeout, the read-only guard verified before
//! timing, each step described once in the scenario's protocol, then iterations on the
//! calling thread with one write and blocking reads per step. Transactions are
//! pipelined: `BEGIN` goes in the same write as the first step and `COMMIT`/`ROLLBACK`
//! in the same write as the last, so they cost no round trip. Scenarios without
//! `transaction` run each iteration in `BEGIN READ ONLY` ... `COMMIT` where the
//! connection's own read-only setting cannot be trusted (the startup option was refused
//! or dropped by a pooler, or the protocol is `extended`/`simple`, as used behind a
//! transaction pooler). An error that ends the connection marks the session closed, so
//! the client reopens it. A sibling shares the connection (a ratio gate measured in pairs).
//! Must not time or record anything beyond the per-step durations it is asked to fill.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use postgres_protocol::message::frontend;

use crate::bench::wire_step::{StepFailure, WireStep, describe_server_error};
use crate::config::model::{Protocol, Scenario, TransactionMode};
use crate::db::DbTarget;
use crate::db::prepared::PlanCounts;
use crate::db::wire::{WireConnection, WireError, is_timeout};
use crate::params::{Captures, ParamDrawer, PrepareFailure};

/// What a connection's sessions share.
struct Shared {
    conn: RefCell<WireConnection>,
    /// Set by an error that ended the connection.
    lost: Cell<bool>,
    /// True when reads of a scenario without `transaction` are wrapped in
    /// `BEGIN READ ONLY` ... `COMMIT` (always on a connection opened read-write).
    in_band: bool,
    /// Reads wait at most this long (the client's response limit).
    read_limit: Option<Duration>,
    /// Scratch space for `simple` statements.
    text: RefCell<String>,
}

/// A lean session with one scenario's steps described.
pub struct WireSession {
    shared: Rc<Shared>,
    steps: Vec<WireStep>,
}

impl WireSession {
    /// Connects, sets the statement timeout, checks the read-only guard (scenarios
    /// without `transaction`) and describes every step. Reads wait at most `read_limit`.
    pub async fn open(
        target: &DbTarget,
        scenario: &Scenario,
        read_limit: Option<Duration>,
    ) -> Result<WireSession, PrepareFailure> {
        let read_only = scenario.transaction.is_none();
        let (mut conn, option_held) = WireConnection::open(target, read_only, read_limit)
            .await
            .map_err(PrepareFailure::Error)?;
        let fail = |doing: &str, e: WireError| {
            PrepareFailure::Error(crate::Error::environment(format!(
                "{}: {doing}: {}",
                target.display,
                e.describe()
            )))
        };
        conn.simple_query(&timeout_statement(scenario.statement_timeout))
            .map_err(|e| fail("cannot set statement_timeout", e))?;
        let mut in_band = !read_only;
        if read_only {
            let trust_session = option_held && scenario.protocol == Protocol::Prepared;
            in_band = !(trust_session
                && read_only_holds(&mut conn, false).map_err(|e| fail("SHOW", e))?);
            if in_band && !read_only_holds(&mut conn, true).map_err(|e| fail("SHOW", e))? {
                return Err(PrepareFailure::Error(crate::Error::environment(format!(
                    "{}: the read-only guard does not hold: transaction_read_only is off inside \
                     BEGIN READ ONLY; check what sits between the tool and the server",
                    target.display
                ))));
            }
        }
        let shared = Rc::new(Shared {
            conn: RefCell::new(conn),
            lost: Cell::new(false),
            in_band,
            read_limit,
            text: RefCell::new(String::new()),
        });
        let steps = prepare_steps(&shared, scenario)?;
        Ok(WireSession { shared, steps })
    }

    /// A session for `scenario` on this session's connection.
    pub fn sibling(&self, scenario: &Scenario) -> Result<WireSession, PrepareFailure> {
        Ok(WireSession {
            shared: Rc::clone(&self.shared),
            steps: prepare_steps(&self.shared, scenario)?,
        })
    }

    /// True when the connection is gone.
    pub fn is_closed(&self) -> bool {
        self.shared.lost.get()
    }

    /// True when reads run in `BEGIN READ ONLY` ... `COMMIT` on this connection.
    pub fn guards_in_band(&self) -> bool {
        self.shared.in_band
    }

    /// Pins the calling thread and this session's backend to the CPU of client `client`
    /// (best effort).
    pub fn pin(&self, client: u32) {
        let rows = self
            .shared
            .conn
            .borrow_mut()
            .simple_query("SELECT pg_backend_pid()");
        let backend = rows.ok().and_then(|rows| {
            rows.first()
                .and_then(|row| row.first().cloned().flatten())
                .and_then(|pid| pid.parse::<i32>().ok())
        });
        if let Some(backend) = backend {
            crate::bench::pinning::pin_pair(client, backend);
        }
    }

    /// Executions of each prepared statement with a custom and a generic plan; empty for
    /// the other protocols or when unknown.
    pub fn plan_counts(&self) -> Vec<PlanCounts> {
        if self.steps.iter().any(|s| s.protocol != Protocol::Prepared) {
            return Vec::new();
        }
        let names: Vec<&str> = self.steps.iter().map(|s| s.name.as_str()).collect();
        let sql = crate::db::prepared::counts_by_name_sql(&names);
        match self.shared.conn.borrow_mut().simple_query(&sql) {
            Ok(rows) => crate::db::prepared::counts_by_name(&names, &rows),
            Err(_) => Vec::new(),
        }
    }

    /// Runs one iteration: all steps in order, in the scenario's transaction (or the
    /// read-only one). With `step_times` (one slot per step), fills each step's duration.
    pub fn iterate(
        &self,
        scenario: &Scenario,
        drawer: &mut ParamDrawer,
        mut step_times: Option<&mut [Duration]>,
    ) -> Result<(), String> {
        let (begin, end) = self.wrap(scenario);
        let mut conn = self.shared.conn.borrow_mut();
        let mut captures = Captures::new();
        let last = self.steps.len().saturating_sub(1);
        for (index, (step, wire)) in scenario.steps.iter().zip(&self.steps).enumerate() {
            let started = step_times.as_ref().map(|_| Instant::now());
            let params = drawer.draw(step, &captures);
            let ends = (index == last).then_some(end).flatten();
            let begins = (index == 0).then_some(begin).flatten();
            let outcome = self.run_step(&mut conn, wire, &params, begins, ends, &mut captures);
            if let (Some(times), Some(started)) = (step_times.as_deref_mut(), started) {
                times[index] = started.elapsed();
            }
            if let Err(failure) = outcome {
                if end.is_some() && index != last && !self.shared.lost.get() {
                    self.roll_back(&mut conn);
                }
                let message = self.describe(wire, failure);
                return Err(match scenario.is_multi_step() {
                    true => format!("step {}: {message}", index + 1),
                    false => message,
                });
            }
        }
        Ok(())
    }

    /// The statements sent before the first and after the last step of an iteration.
    fn wrap(&self, scenario: &Scenario) -> (Option<&'static str>, Option<&'static str>) {
        match scenario.transaction {
            Some(TransactionMode::Rollback) => (Some("BEGIN"), Some("ROLLBACK")),
            Some(TransactionMode::Commit) => (Some("BEGIN"), Some("COMMIT")),
            None if self.shared.in_band => (Some("BEGIN READ ONLY"), Some("COMMIT")),
            None => (None, None),
        }
    }

    /// One write (`begin`, the step, `end`), then each answer up to its ReadyForQuery.
    fn run_step(
        &self,
        conn: &mut WireConnection,
        step: &WireStep,
        params: &[crate::params::ParamValue],
        begin: Option<&str>,
        end: Option<&str>,
        captures: &mut Captures,
    ) -> Result<(), StepFailure> {
        conn.out.clear();
        if let Some(sql) = begin {
            frontend::query(sql, &mut conn.out)?;
        }
        step.encode(params, &mut conn.out, &mut self.shared.text.borrow_mut())
            .map_err(StepFailure::Local)?;
        if let Some(sql) = end {
            frontend::query(sql, &mut conn.out)?;
        }
        conn.send()?;
        let mut first: Option<StepFailure> = None;
        if begin.is_some() {
            keep_first(&mut first, conn.finish().map_err(StepFailure::from))?;
        }
        keep_first(&mut first, step.read(conn, captures))?;
        if end.is_some() {
            keep_first(&mut first, conn.finish().map_err(StepFailure::from))?;
        }
        first.map_or(Ok(()), Err)
    }

    /// Ends the transaction a failed step left open (best effort).
    fn roll_back(&self, conn: &mut WireConnection) {
        conn.out.clear();
        let sent = frontend::query("ROLLBACK", &mut conn.out).is_ok() && conn.send().is_ok();
        if !sent || conn.finish().is_err_and(|e| e.ends_connection()) {
            self.shared.lost.set(true);
        }
    }

    /// The failure in words ("<error> in `<sql>`"); marks the session closed when the
    /// failure ended the connection.
    fn describe(&self, step: &WireStep, failure: StepFailure) -> String {
        let error = match failure {
            StepFailure::Local(text) => return format!("{text} in `{}`", step.sql),
            StepFailure::Wire(error) => error,
        };
        if error.ends_connection() {
            self.shared.lost.set(true);
        }
        match error {
            WireError::Io(e) if is_timeout(&e) => no_response(self.shared.read_limit),
            WireError::Io(e) => format!(
                "the connection to the server was lost ({e}) in `{}`",
                step.sql
            ),
            WireError::Server(e) => describe_server_error(step, &e),
        }
    }
}

/// Keeps the first failure; an error that ended the connection is returned at once.
fn keep_first(
    first: &mut Option<StepFailure>,
    result: Result<(), StepFailure>,
) -> Result<(), StepFailure> {
    match result {
        Ok(()) => Ok(()),
        Err(StepFailure::Wire(e)) if e.ends_connection() => Err(StepFailure::Wire(e)),
        Err(failure) => {
            first.get_or_insert(failure);
            Ok(())
        }
    }
}

fn no_response(limit: Option<Duration>) -> String {
    let within = limit.map_or_else(String::new, |l| {
        format!(" within {}", humantime::format_duration(l))
    });
    format!(
        "no response from the server{within}: the connection was given up (is the server reachable?)"
    )
}

/// `SET statement_timeout`.
fn timeout_statement(timeout: Duration) -> String {
    format!("SET statement_timeout = {}", timeout_ms(timeout))
}

/// A statement timeout in milliseconds: 0 disables the timeout in PostgreSQL, so a
/// short timeout is never rounded down to it.
pub(crate) fn timeout_ms(timeout: Duration) -> u128 {
    if timeout.is_zero() {
        0
    } else {
        timeout.as_millis().max(1)
    }
}

/// True when `transaction_read_only` is on: in the session as it is, or (`in_band`)
/// inside `BEGIN READ ONLY`, as iterations will run.
fn read_only_holds(conn: &mut WireConnection, in_band: bool) -> Result<bool, WireError> {
    let sql = if in_band {
        "BEGIN READ ONLY; SHOW transaction_read_only; COMMIT"
    } else {
        "SHOW transaction_read_only"
    };
    let rows = conn.simple_query(sql)?;
    Ok(rows
        .first()
        .and_then(|row| row.first().cloned().flatten())
        .as_deref()
        == Some("on"))
}

/// A prepared statement name no other connection of this or another running process
/// uses (the process id and a process-wide count), so statements of different clients
/// never collide on a server connection a pooler shares between them.
fn statement_name() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let number = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("techspec_bench_{}_{number}", std::process::id())
}

/// Describes every step of `scenario` on the shared connection, in order.
fn prepare_steps(shared: &Shared, scenario: &Scenario) -> Result<Vec<WireStep>, PrepareFailure> {
    let mut conn = shared.conn.borrow_mut();
    let mut steps = Vec::with_capacity(scenario.steps.len());
    for (index, step) in scenario.steps.iter().enumerate() {
        let name = statement_name();
        let prepared = WireStep::prepare(&mut conn, step, scenario.protocol, name)
            .map_err(|e| prepare_failure(scenario, index, &e))?;
        steps.push(prepared);
    }
    Ok(steps)
}

/// A step that does not prepare (see `session::classify_prepare_failure`).
fn prepare_failure(scenario: &Scenario, index: usize, error: &WireError) -> PrepareFailure {
    let (code, message) = match error {
        WireError::Server(e) => (e.code.as_str(), e.message.as_str()),
        WireError::Io(_) => ("", ""),
    };
    crate::bench::session::classify_prepare_failure(
        scenario,
        index,
        code,
        message,
        error.describe(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_statement_timeout_is_never_rounded_down_to_off() {
        assert_eq!(
            timeout_statement(Duration::ZERO),
            "SET statement_timeout = 0"
        );
        assert_eq!(
            timeout_statement(Duration::from_micros(10)),
            "SET statement_timeout = 1"
        );
        assert_eq!(
            timeout_statement(Duration::from_secs(30)),
            "SET statement_timeout = 30000"
        );
    }

    #[test]
    fn a_lost_connection_is_kept_over_an_earlier_server_error() {
        let mut first = None;
        let server = WireError::Server(crate::db::wire::messages::ServerError {
            severity: "ERROR".into(),
            code: "42P01".into(),
            ..Default::default()
        });
        assert!(keep_first(&mut first, Err(StepFailure::Wire(server))).is_ok());
        let lost = std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "closed");
        assert!(keep_first(&mut first, Err(StepFailure::Wire(WireError::Io(lost)))).is_err());
        assert!(matches!(
            first,
            Some(StepFailure::Wire(WireError::Server(_)))
        ));
    }
}
