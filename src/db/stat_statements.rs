//! pg_stat_statements, read: where the extension lives, its rows for the current database,
//! and the catalog facts `capture` needs about the tables a statement names (columns, their
//! types, single-column unique indexes). Statements the tool sends about the user's tables
//! start with [`TOOL_MARKER`], which pg_stat_statements keeps in the text it records, so
//! `capture` and `watch` can leave the tool's own statements out.
//! Must not write: callers pass a read-only connection.

use std::collections::BTreeMap;

use tokio_postgres::GenericClient;
use tokio_postgres::error::SqlState;

use crate::Error;

/// The comment the tool's own statements start with.
pub const TOOL_MARKER: &str = "/* techspec-bench */";

/// True for a statement the tool itself sent.
pub fn is_tool_statement(query: &str) -> bool {
    query.trim_start().starts_with(TOOL_MARKER)
}

/// How to enable the extension, for every error that finds it missing.
pub const HOW_TO_ENABLE: &str = "enable it: in postgresql.conf set \
    shared_preload_libraries = 'pg_stat_statements' and restart the server, then run \
    CREATE EXTENSION pg_stat_statements; in this database (as a superuser). On a managed \
    service, add pg_stat_statements to shared_preload_libraries in its parameter settings";

/// One row of pg_stat_statements (one statement, user and nesting level).
#[derive(Debug, Clone, PartialEq)]
pub struct StatRow {
    pub queryid: i64,
    /// The normalized text: constants replaced by `$n`.
    pub query: String,
    pub calls: u64,
    /// Total execution time, milliseconds.
    pub total_ms: f64,
}

/// A column of a table, as `capture` needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnInfo {
    pub name: String,
    /// As `format_type` shows it (`uuid`, `text`, `timestamp with time zone`).
    pub type_name: String,
    /// The type's oid (to tell whether values of it can be drawn and bound).
    pub type_oid: u32,
    /// True when a unique index (or primary key) covers this column alone.
    pub unique: bool,
    /// True when a CHECK constraint ties this column to other columns of its table.
    pub checked_with_others: bool,
}

/// The schema pg_stat_statements is installed in; an environment error saying how to
/// enable it when this database does not have it.
pub async fn locate(client: &impl GenericClient, target: &str) -> crate::Result<String> {
    let row = client
        .query_opt(
            "SELECT n.nspname::text FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace \
             WHERE e.extname = 'pg_stat_statements'",
            &[],
        )
        .await
        .map_err(|e| Error::database(format!("{target}: looking for pg_stat_statements"), &e))?;
    match row {
        Some(row) => Ok(row.get(0)),
        None => Err(Error::environment(format!(
            "{target}: the pg_stat_statements extension is not installed in this database, so \
             there are no recorded statements to read; {HOW_TO_ENABLE}"
        ))),
    }
}

/// Every row recorded for the current database (rows hidden from this role are left out).
pub async fn read(
    client: &impl GenericClient,
    schema: &str,
    target: &str,
) -> crate::Result<Vec<StatRow>> {
    let sql = format!(
        "{TOOL_MARKER} SELECT queryid, query, calls, total_exec_time \
         FROM {}.pg_stat_statements \
         WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) \
         AND queryid IS NOT NULL AND query IS NOT NULL",
        crate::db::ddl::quote_ident(schema)
    );
    let rows = client
        .query(&sql, &[])
        .await
        .map_err(|e| read_error(target, &e))?;
    Ok(rows
        .iter()
        .map(|row| StatRow {
            queryid: row.get(0),
            query: row.get(1),
            calls: row.get::<_, i64>(2).max(0) as u64,
            total_ms: row.get(3),
        })
        .filter(|row| row.query != "<insufficient privilege>")
        .collect())
}

fn read_error(target: &str, error: &tokio_postgres::Error) -> Error {
    if error.code() == Some(&SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE) {
        return Error::environment(format!(
            "{target}: pg_stat_statements is installed but the server did not load it ({}); {HOW_TO_ENABLE}",
            crate::error::describe_pg_error(error)
        ));
    }
    if error.code() == Some(&SqlState::UNDEFINED_COLUMN) {
        return Error::environment(format!(
            "{target}: this pg_stat_statements has no total_exec_time column ({}); it needs \
             PostgreSQL 13 or later (pg_stat_statements 1.8+): run ALTER EXTENSION \
             pg_stat_statements UPDATE; after upgrading",
            crate::error::describe_pg_error(error)
        ));
    }
    Error::database(format!("{target}: reading pg_stat_statements"), error)
}

/// The columns of each named relation that exists (a table, view or materialized view),
/// by the name as given (`name` or `schema.name`, unquoted; unqualified names follow the
/// connection's search_path). Names that are no relation here are absent.
pub async fn columns(
    client: &impl GenericClient,
    names: &[(Option<String>, String)],
) -> crate::Result<BTreeMap<(Option<String>, String), Vec<ColumnInfo>>> {
    let quoted: Vec<String> = names
        .iter()
        .map(|(s, n)| quoted_name(s.as_deref(), n))
        .collect();
    let rows = client
        .query(
            "SELECT t.i::int, a.attname::text, format_type(a.atttypid, a.atttypmod), a.atttypid, \
             EXISTS (SELECT 1 FROM pg_index x WHERE x.indrelid = c.oid AND x.indisunique \
                     AND x.indnkeyatts = 1 AND x.indkey[0] = a.attnum AND x.indpred IS NULL), \
             EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'c' \
                     AND cardinality(k.conkey) > 1 AND a.attnum = ANY(k.conkey)) \
             FROM unnest($1::text[]) WITH ORDINALITY AS t(name, i) \
             JOIN pg_class c ON c.oid = to_regclass(t.name) \
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
             ORDER BY t.i, a.attnum",
            &[&quoted],
        )
        .await
        .map_err(|e| {
            Error::database("reading the columns of the captured statements' tables", &e)
        })?;
    let mut found: BTreeMap<(Option<String>, String), Vec<ColumnInfo>> = BTreeMap::new();
    for row in rows {
        let index = row.get::<_, i32>(0) as usize - 1;
        found
            .entry(names[index].clone())
            .or_default()
            .push(ColumnInfo {
                name: row.get(1),
                type_name: row.get(2),
                type_oid: row.get(3),
                unique: row.get(4),
                checked_with_others: row.get(5),
            });
    }
    Ok(found)
}

/// `"schema"."name"` / `"name"`, for `to_regclass`.
fn quoted_name(schema: Option<&str>, name: &str) -> String {
    let quote = crate::db::ddl::quote_ident;
    match schema {
        Some(schema) => format!("{}.{}", quote(schema), quote(name)),
        None => quote(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tool_s_statements_are_recognised_by_their_leading_marker() {
        assert!(is_tool_statement(
            "/* techspec-bench */ SELECT count(*) FROM t"
        ));
        assert!(is_tool_statement("  /* techspec-bench */\nSELECT 1"));
        assert!(!is_tool_statement("SELECT 1 /* techspec-bench */"));
        assert!(!is_tool_statement("SELECT * FROM t WHERE id = $1"));
    }

    #[test]
    fn names_are_quoted_for_to_regclass() {
        assert_eq!(quoted_name(None, "t"), "\"t\"");
        assert_eq!(quoted_name(Some("Shared"), "a\"b"), "\"Shared\".\"a\"\"b\"");
    }
}
