//! The generic plan of a step: the plan a prepared statement reuses for any parameter
//! values once PostgreSQL switches to it (`plan_cache_mode = auto`, after five executions)
//! or always (`force_generic_plan`). On PostgreSQL 16 and later `EXPLAIN (GENERIC_PLAN)`
//! plans it without executing (no actual rows, buffers unknown). Before, the step is
//! prepared under `SET LOCAL plan_cache_mode = force_generic_plan` and explained with
//! `EXPLAIN (ANALYZE, BUFFERS, VERBOSE, FORMAT JSON) EXECUTE`, its drawn values rendered as
//! literals by the server. Runs inside the caller's transaction under a savepoint that is
//! always rolled back, and deallocates what it prepared. Must not judge plans.

use std::sync::atomic::{AtomicU64, Ordering};

use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{GenericClient, SimpleQueryMessage, Transaction};

use crate::explain::plan::{self, Plan};
use crate::params::value::ParamValue;

/// The first server version (`server_version_num`) with `EXPLAIN (GENERIC_PLAN)`.
const GENERIC_PLAN_OPTION: i32 = 160_000;

/// Makes every PREPARE name unique on its connection, even after a failed attempt.
static NEXT_NAME: AtomicU64 = AtomicU64::new(0);

/// What the server offers for explaining generic plans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Server {
    /// `server_version_num`, e.g. 150004.
    pub version_num: i32,
}

impl Server {
    /// Reads the server version on `client`.
    pub async fn detect(client: &impl GenericClient) -> Result<Server, tokio_postgres::Error> {
        let row = client
            .query_one("SELECT current_setting('server_version_num')::int4", &[])
            .await?;
        Ok(Server {
            version_num: row.get(0),
        })
    }

    /// True when `EXPLAIN (GENERIC_PLAN)` is available (PostgreSQL 16+).
    fn has_generic_plan_option(self) -> bool {
        self.version_num >= GENERIC_PLAN_OPTION
    }
}

/// The generic plan of `sql` (with `params`, the values its custom plan was explained with).
pub async fn explain(
    tx: &mut Transaction<'_>,
    server: Server,
    sql: &str,
    params: &[ParamValue],
) -> Result<Plan, tokio_postgres::Error> {
    if server.has_generic_plan_option() {
        return explain_without_executing(tx, sql).await;
    }
    let name = format!(
        "techspec_bench_generic_{}",
        NEXT_NAME.fetch_add(1, Ordering::Relaxed)
    );
    let savepoint = tx.savepoint("techspec_bench_generic").await?;
    let (prepared, explained) = prepare_and_explain(&savepoint, &name, sql, params).await;
    savepoint.rollback().await?;
    // Prepared statements outlive a rollback: remove this one by hand.
    if prepared {
        tx.batch_execute(&format!("DEALLOCATE {name}")).await?;
    }
    explained
}

/// `EXPLAIN (GENERIC_PLAN)` (PostgreSQL 16+): planned for any values, never executed.
async fn explain_without_executing(
    tx: &mut Transaction<'_>,
    sql: &str,
) -> Result<Plan, tokio_postgres::Error> {
    // The simple protocol: `$n` stay unbound placeholders, as GENERIC_PLAN requires.
    let explain = format!("EXPLAIN (GENERIC_PLAN, VERBOSE, FORMAT JSON) {sql}");
    let messages = tx.simple_query(&explain).await?;
    let text: String = messages
        .iter()
        .filter_map(|message| match message {
            SimpleQueryMessage::Row(row) => row.get(0).map(str::to_string),
            _ => None,
        })
        .collect();
    Ok(super::runner::plan_or_unparsed(plan::parse_str(&text)))
}

/// PREPARE under `force_generic_plan`, then EXPLAIN ANALYZE EXECUTE with the values as
/// literals. Returns whether the statement got prepared (to deallocate it), and the plan.
async fn prepare_and_explain(
    tx: &Transaction<'_>,
    name: &str,
    sql: &str,
    params: &[ParamValue],
) -> (bool, Result<Plan, tokio_postgres::Error>) {
    let arguments = match arguments(tx, sql, params).await {
        Ok(arguments) => arguments,
        Err(e) => return (false, Err(e)),
    };
    let prepare = match arguments.type_names.as_slice() {
        [] => format!("PREPARE {name} AS {sql}"),
        types => format!("PREPARE {name}({}) AS {sql}", types.join(", ")),
    };
    let setup = format!("SET LOCAL plan_cache_mode = force_generic_plan; {prepare}");
    if let Err(e) = tx.batch_execute(&setup).await {
        return (false, Err(e));
    }
    let execute = match arguments.expressions.as_slice() {
        [] => format!("EXECUTE {name}"),
        values => format!("EXECUTE {name}({})", values.join(", ")),
    };
    let explain = format!("EXPLAIN (ANALYZE, BUFFERS, VERBOSE, FORMAT JSON) {execute}");
    let explained = tx.query_one(&explain, &[]).await;
    (
        true,
        explained.map(|row| super::runner::plan_from_row(&row)),
    )
}

/// The parameter types of a statement and its values as typed SQL expressions.
struct Arguments {
    /// `integer`, `text[]`, ... as the server formats them.
    type_names: Vec<String>,
    /// `'42'::integer`, `NULL::uuid`, ...
    expressions: Vec<String>,
}

/// The statement's parameter types (as the server infers them for `sql`) and each value
/// rendered as a literal by the server, so any type the tool binds renders correctly.
async fn arguments(
    tx: &Transaction<'_>,
    sql: &str,
    params: &[ParamValue],
) -> Result<Arguments, tokio_postgres::Error> {
    let statement = tx.prepare(sql).await?;
    let types = statement.params();
    if types.is_empty() {
        return Ok(Arguments {
            type_names: Vec::new(),
            expressions: Vec::new(),
        });
    }
    let type_names = type_names(tx, types).await?;
    let literals = literals(tx, types, params).await?;
    let expressions = literals
        .iter()
        .zip(&type_names)
        .map(|(literal, ty)| format!("{literal}::{ty}"))
        .collect();
    Ok(Arguments {
        type_names,
        expressions,
    })
}

/// `format_type` of each type, in order.
async fn type_names(
    tx: &Transaction<'_>,
    types: &[Type],
) -> Result<Vec<String>, tokio_postgres::Error> {
    let oids: Vec<u32> = types.iter().map(Type::oid).collect();
    let rows = tx
        .query(
            "SELECT pg_catalog.format_type(t.oid, NULL) \
             FROM unnest($1::oid[]) WITH ORDINALITY AS t(oid, n) ORDER BY t.n",
            &[&oids],
        )
        .await?;
    Ok(rows.iter().map(|row| row.get(0)).collect())
}

/// Each value as a quoted literal (`'42'`, `'{a,b}'`, `NULL`), rendered by the server
/// from the value bound with its parameter type.
async fn literals(
    tx: &Transaction<'_>,
    types: &[Type],
    params: &[ParamValue],
) -> Result<Vec<String>, tokio_postgres::Error> {
    let select: Vec<String> = (1..=types.len())
        .map(|n| format!("pg_catalog.quote_nullable(${n})"))
        .collect();
    let statement = tx
        .prepare_typed(&format!("SELECT {}", select.join(", ")), types)
        .await?;
    let values: Vec<&(dyn ToSql + Sync)> =
        params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
    let row = tx.query_one(&statement, &values).await?;
    Ok((0..types.len()).map(|i| row.get(i)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generic_plan_option_starts_at_postgresql_16() {
        assert!(
            !Server {
                version_num: 150_004
            }
            .has_generic_plan_option()
        );
        assert!(
            Server {
                version_num: 160_000
            }
            .has_generic_plan_option()
        );
        assert!(
            Server {
                version_num: 170_002
            }
            .has_generic_plan_option()
        );
    }
}
