//! The async shell: runs `EXPLAIN (ANALYZE, BUFFERS, VERBOSE, FORMAT JSON)` for each step
//! of a scenario with parameters drawn as in a run, inside a transaction that is always
//! rolled back (and read-only unless the scenario declares a transaction; samples are always
//! drawn read-only), then checks and diagnoses. Must not time scenarios or print anything.

use serde::Serialize;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Row, Transaction};

use crate::Error;
use crate::config::{Scenario, Step};
use crate::db::missing;
use crate::explain::catalog;
use crate::explain::check::{self, PlanCheck};
use crate::explain::diagnose::{self, Diagnosis, Statement};
use crate::explain::generic;
use crate::explain::plan::{self, Plan};
use crate::explain::summary::plan_fingerprint;
use crate::explain::timed;
use crate::outcome::Outcome;
use crate::params::value::{ParamValue, capture_column};
use crate::params::{Captures, ParamDrawer, PrepareFailure};

/// The plan of one step, with what it ran with.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepPlan {
    pub sql: String,
    /// The drawn parameter values, as text.
    pub params: Vec<String>,
    pub plan: Plan,
    /// The generic plan, when it was asked for: the plan a prepared statement reuses for
    /// any values (see `generic`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generic_plan: Option<Plan>,
}

/// The plans, the combined check over all steps, and the diagnoses of failed paths.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExplainedScenario {
    pub steps: Vec<StepPlan>,
    pub check: PlanCheck,
    pub diagnoses: Vec<Diagnosis>,
    /// `plan_fingerprint` of the steps' plans, for plan-drift detection.
    pub fingerprint: String,
    /// The check of a generic-plan iteration (each step's generic plan where one was
    /// explained, its custom plan otherwise); None when no generic plan was explained.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generic_check: Option<PlanCheck>,
    /// The session's `plan_cache_mode` when generic plans were explained.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan_cache_mode: Option<String>,
}

impl ExplainedScenario {
    /// The steps' plans.
    pub fn plans(&self) -> Vec<Plan> {
        self.steps.iter().map(|s| s.plan.clone()).collect()
    }

    /// True when the server always runs prepared statements on their generic plan.
    pub fn generic_plan_forced(&self) -> bool {
        self.plan_cache_mode.as_deref() == Some("force_generic_plan")
    }

    /// The gate of `explain`: the custom plan's check, and the generic plan's when the
    /// server is set to always use it (`plan_cache_mode = force_generic_plan`).
    pub fn passes(&self) -> bool {
        let generic_ok = self.generic_check.as_ref().is_none_or(|check| check.ok);
        self.check.ok && (generic_ok || !self.generic_plan_forced())
    }
}

/// Which steps get their generic plan explained too.
#[derive(Debug, Clone, Copy)]
pub enum GenericPlans<'a> {
    /// None: the custom plans only.
    None,
    /// Every step.
    All,
    /// Step `i` when `steps[i]` is true.
    Steps(&'a [bool]),
}

impl GenericPlans<'_> {
    fn wanted(self, step: usize) -> bool {
        match self {
            GenericPlans::None => false,
            GenericPlans::All => true,
            GenericPlans::Steps(steps) => steps.get(step).copied().unwrap_or(false),
        }
    }

    fn any(self, step_count: usize) -> bool {
        (0..step_count).any(|step| self.wanted(step))
    }
}

/// Explains every step of `scenario`. Earlier steps also run for real (after their
/// EXPLAIN is undone) so later steps get their captures and see their writes; all of it
/// is rolled back. `Outcome::Skip` when the scenario cannot run here (missing relation or
/// schema), `Outcome::Error` when a statement failed (syntax error, bad parameter,
/// timeout) with the server's message. Errors only for connection-level
/// problems and for a `sample` query without rows (exit 3).
pub async fn explain_scenario(
    client: &mut Client,
    scenario: &Scenario,
    rng_seed: u64,
) -> crate::Result<Outcome<ExplainedScenario>> {
    explain_scenario_with(client, scenario, rng_seed, GenericPlans::None).await
}

/// `explain_scenario`, also explaining the generic plan of the steps `generic` names
/// (with the same drawn values) and checking a generic-plan iteration.
pub async fn explain_scenario_with(
    client: &mut Client,
    scenario: &Scenario,
    rng_seed: u64,
    generic: GenericPlans<'_>,
) -> crate::Result<Outcome<ExplainedScenario>> {
    let mut drawer = match prepare_read_only(client, scenario, rng_seed).await? {
        Ok(drawer) => drawer,
        Err(PrepareFailure::Skip(reason)) => return Ok(Outcome::Skip(reason)),
        Err(PrepareFailure::Error(error)) => return Err(error),
    };
    let index_tables = match catalog::index_tables(client, &scenario.expect.indexes).await {
        Ok(tables) => tables,
        Err(error) => return classify(scenario, "reading the catalog", error),
    };
    let mut builder = client.build_transaction();
    if scenario.transaction.is_none() {
        // A write the scenario does not declare fails with the server's own error.
        builder = builder.read_only(true);
    }
    let mut tx = builder
        .start()
        .await
        .map_err(|e| explain_error(scenario, "BEGIN", &e))?;
    let outcome = explain_in(&mut tx, scenario, &mut drawer, &index_tables, generic).await;
    tx.rollback()
        .await
        .map_err(|e| explain_error(scenario, "ROLLBACK", &e))?;
    match outcome {
        Ok(explained) => Ok(Outcome::Ok(explained)),
        Err((doing, error)) => classify(scenario, &doing, error),
    }
}

/// `ParamDrawer::prepare` inside `BEGIN READ ONLY` ... `ROLLBACK`: samples only read.
pub(crate) async fn prepare_read_only(
    client: &Client,
    scenario: &Scenario,
    rng_seed: u64,
) -> crate::Result<Result<ParamDrawer, PrepareFailure>> {
    client
        .batch_execute("BEGIN READ ONLY")
        .await
        .map_err(|e| explain_error(scenario, "BEGIN READ ONLY", &e))?;
    let prepared = ParamDrawer::prepare(client, scenario, rng_seed).await;
    client
        .batch_execute("ROLLBACK")
        .await
        .map_err(|e| explain_error(scenario, "ROLLBACK", &e))?;
    Ok(prepared)
}

type StepError = (String, tokio_postgres::Error);

async fn explain_in(
    tx: &mut Transaction<'_>,
    scenario: &Scenario,
    drawer: &mut ParamDrawer,
    index_tables: &check::IndexTables,
    generic: GenericPlans<'_>,
) -> Result<ExplainedScenario, StepError> {
    let timeout_ms = scenario.statement_timeout.as_millis().max(1);
    let set_timeout = format!("SET LOCAL statement_timeout = {timeout_ms}");
    tx.batch_execute(&set_timeout)
        .await
        .map_err(|e| ("setting statement_timeout".to_string(), e))?;
    let server = generic_server(tx, generic, scenario.steps.len()).await?;
    let (steps, drawn) = explain_steps(tx, scenario, drawer, server.as_ref(), generic).await?;
    let plans: Vec<Plan> = steps.iter().map(|s| s.plan.clone()).collect();
    let mut check = check::check_plans(&plans, &scenario.expect, index_tables);
    let generic_plans: Vec<Option<Plan>> = steps.iter().map(|s| s.generic_plan.clone()).collect();
    let generic_check = timed::generic_iteration(&plans, &generic_plans)
        .map(|plans| check::check_plans(&plans, &scenario.expect, index_tables));
    let statements: Vec<Statement> = scenario
        .steps
        .iter()
        .zip(&drawn)
        .map(|(step, params)| Statement {
            sql: &step.sql,
            params: as_sql(params),
        })
        .collect();
    let diagnoses = diagnose::diagnose(tx, &statements, &mut check)
        .await
        .map_err(|e| ("diagnosing with enable_seqscan = off".to_string(), e))?;
    Ok(ExplainedScenario {
        fingerprint: plan_fingerprint(&plans),
        steps,
        check,
        diagnoses,
        generic_check,
        plan_cache_mode: server.map(|(_, mode)| mode),
    })
}

/// The server version and `plan_cache_mode`, read only when generic plans are wanted.
async fn generic_server(
    tx: &mut Transaction<'_>,
    generic: GenericPlans<'_>,
    step_count: usize,
) -> Result<Option<(generic::Server, String)>, StepError> {
    if !generic.any(step_count) {
        return Ok(None);
    }
    let doing = |e| ("reading the server version".to_string(), e);
    let server = generic::Server::detect(&*tx).await.map_err(doing)?;
    let row = tx
        .query_one("SELECT current_setting('plan_cache_mode')", &[])
        .await
        .map_err(doing)?;
    Ok(Some((server, row.get(0))))
}

/// Explains each step (custom plan, and generic plan when wanted), running earlier steps
/// for real so later ones see their captures. Returns the plans and the drawn values.
async fn explain_steps(
    tx: &mut Transaction<'_>,
    scenario: &Scenario,
    drawer: &mut ParamDrawer,
    server: Option<&(generic::Server, String)>,
    generic: GenericPlans<'_>,
) -> Result<(Vec<StepPlan>, Vec<Vec<ParamValue>>), StepError> {
    let mut captures = Captures::new();
    let mut drawn: Vec<Vec<ParamValue>> = Vec::new();
    let mut steps = Vec::new();
    for (index, step) in scenario.steps.iter().enumerate() {
        let doing = format!("step {}", index + 1);
        let params = drawer.draw(step, &captures);
        let plan = explain_step(tx, step, &params)
            .await
            .map_err(|e| (doing.clone(), e))?;
        let generic_plan = match server.filter(|_| generic.wanted(index)) {
            Some((server, _)) => Some(
                generic::explain(tx, *server, &step.sql, &params)
                    .await
                    .map_err(|e| (format!("{doing} (generic plan)"), e))?,
            ),
            None => None,
        };
        if index + 1 < scenario.steps.len() {
            run_step(tx, step, &params, &mut captures)
                .await
                .map_err(|e| (doing, e))?;
        }
        steps.push(StepPlan {
            sql: step.sql.clone(),
            params: params.iter().map(display_param).collect(),
            plan,
            generic_plan,
        });
        drawn.push(params);
    }
    Ok((steps, drawn))
}

/// EXPLAIN ANALYZE of one step, undone by a savepoint (it executes the statement).
async fn explain_step(
    tx: &mut Transaction<'_>,
    step: &Step,
    params: &[ParamValue],
) -> Result<Plan, tokio_postgres::Error> {
    let savepoint = tx.savepoint("techspec_bench_explain").await?;
    let explain = format!(
        "EXPLAIN (ANALYZE, BUFFERS, VERBOSE, FORMAT JSON) {}",
        step.sql
    );
    let row = savepoint.query_one(&explain, &as_sql(params)).await?;
    savepoint.rollback().await?;
    Ok(plan_from_row(&row))
}

/// Runs a step for real and records its captures, as an iteration of `run` would.
async fn run_step(
    tx: &mut Transaction<'_>,
    step: &Step,
    params: &[ParamValue],
    captures: &mut Captures,
) -> Result<(), tokio_postgres::Error> {
    let rows = tx.query(&step.sql, &as_sql(params)).await?;
    for capture in &step.captures {
        // An uncapturable column leaves the name unset: the later step binds an empty array.
        if let Ok(value) = capture_column(&rows, &capture.column) {
            captures.insert(capture.name.clone(), value);
        }
    }
    Ok(())
}

/// The plan in an EXPLAIN row (json or text column). An unreadable plan becomes a
/// single "unparsed" node so the scenario's checks fail visibly rather than panic.
pub(crate) fn plan_from_row(row: &Row) -> Plan {
    let parsed = match row.try_get::<_, serde_json::Value>(0) {
        Ok(value) => plan::parse(&value),
        Err(_) => match row.try_get::<_, String>(0) {
            Ok(text) => plan::parse_str(&text),
            Err(e) => Err(format!("EXPLAIN returned an unreadable column: {e}")),
        },
    };
    plan_or_unparsed(parsed)
}

/// The parsed plan, or a visible "unparsed" node saying why it could not be read.
pub(crate) fn plan_or_unparsed(parsed: Result<Plan, String>) -> Plan {
    parsed.unwrap_or_else(|message| unparsed_plan(&message))
}

fn unparsed_plan(message: &str) -> Plan {
    plan::parse(
        &serde_json::json!({ "Plan": { "Node Type": format!("Unparsed plan: {message}") } }),
    )
    .expect("a literal one-node plan parses")
}

pub(crate) fn as_sql(params: &[ParamValue]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

/// A parameter value for reports: text quoted, long arrays summarised.
fn display_param(value: &ParamValue) -> String {
    match value {
        ParamValue::Null => "NULL".to_string(),
        ParamValue::Bool(b) => b.to_string(),
        ParamValue::Int(i) => i.to_string(),
        ParamValue::Float(f) => f.to_string(),
        ParamValue::Text(t) => format!("'{t}'"),
        ParamValue::Uuid(u) => format!("'{u}'"),
        ParamValue::Array(items) if items.len() > 5 => format!("[{} values]", items.len()),
        ParamValue::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(display_param)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A server error is the scenario's result (skip for a missing relation, failure
/// otherwise); anything else (connection lost) is an environment error.
fn classify(
    scenario: &Scenario,
    doing: &str,
    error: tokio_postgres::Error,
) -> crate::Result<Outcome<ExplainedScenario>> {
    if let Some(reason) = missing::skip_reason(&error) {
        return Ok(Outcome::Skip(reason));
    }
    if error.as_db_error().is_some() {
        let reason = format!(
            "EXPLAIN failed at {doing}: {}",
            crate::error::describe_pg_error(&error)
        );
        return Ok(Outcome::Error(reason));
    }
    Err(explain_error(scenario, doing, &error))
}

fn explain_error(scenario: &Scenario, doing: &str, error: &tokio_postgres::Error) -> Error {
    Error::database(
        format!("explaining scenario {} ({doing})", scenario.name),
        error,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_display_compactly() {
        assert_eq!(
            display_param(&ParamValue::Text("in_progress".into())),
            "'in_progress'"
        );
        assert_eq!(display_param(&ParamValue::Int(7)), "7");
        assert_eq!(
            display_param(&ParamValue::Array(vec![
                ParamValue::Int(1),
                ParamValue::Null
            ])),
            "[1, NULL]"
        );
        assert_eq!(
            display_param(&ParamValue::Array(vec![ParamValue::Int(1); 50])),
            "[50 values]"
        );
    }

    #[test]
    fn an_unparsed_plan_is_a_visible_single_node() {
        let plan = unparsed_plan("bad");
        assert_eq!(plan.root.node_type, "Unparsed plan: bad");
        assert!(plan.root.children.is_empty());
    }
}
