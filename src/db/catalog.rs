//! Catalog queries: server version, relation and index existence and resolution, the
//! user's relations and indexes, ownership and privileges, row counts and sizes, settings
//! that affect timings. Must not change anything in the database.

use std::collections::BTreeMap;

use tokio_postgres::GenericClient;

use crate::db::stat_statements::TOOL_MARKER;

/// The eight dataset tables, schema-qualified, as `table_row_counts` reports them.
pub const DATASET_TABLES: [&str; 8] = [
    "shared.design_jobs",
    "shared.design_outputs",
    "shared.design_decisions",
    "tech_spec_sessions",
    "tech_research",
    "tech_conversations",
    "trd_documents",
    "tech_error_logs",
];

/// Settings whose non-default values make timings unrealistic, with the value that is.
const TIMING_SETTINGS: [(&str, &str); 3] = [
    ("fsync", "off"),
    ("synchronous_commit", "off"),
    ("full_page_writes", "off"),
];

/// Leaves out the system schemas (`n` is the pg_namespace of the object).
const USER_SCHEMAS: &str =
    "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'";

/// A schema-qualified object name as the catalog holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualifiedName {
    pub schema: String,
    pub name: String,
}

/// The relations of the database outside the system schemas, sorted by schema and name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserRelations {
    /// Every index with its table.
    pub indexes: Vec<(QualifiedName, QualifiedName)>,
    /// Tables, partitioned tables, views, materialized views and foreign tables.
    pub tables: Vec<QualifiedName>,
    /// Every schema, system schemas included.
    pub schemas: Vec<String>,
}

fn failed(doing: &str) -> impl Fn(tokio_postgres::Error) -> crate::Error + '_ {
    move |e| crate::Error::database(doing, &e)
}

/// The server version, e.g. "15.18" (without the distribution suffix).
pub async fn server_version(client: &impl GenericClient) -> crate::Result<String> {
    let row = client
        .query_one("SELECT current_setting('server_version')", &[])
        .await
        .map_err(failed("cannot read the server version"))?;
    let full: String = row.get(0);
    Ok(full
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string())
}

/// True when a table, view or other relation exists ("schema.name", or "name" through
/// the search path).
pub async fn relation_exists(client: &impl GenericClient, name: &str) -> crate::Result<bool> {
    let row = client
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&name])
        .await
        .map_err(failed("cannot look up a relation"))?;
    Ok(row.get(0))
}

/// True when an index of that name exists ("schema.name", or "name" through the search path).
pub async fn index_exists(client: &impl GenericClient, name: &str) -> crate::Result<bool> {
    let row = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_class WHERE oid = to_regclass($1) AND relkind IN ('i', 'I'))",
            &[&name],
        )
        .await
        .map_err(failed("cannot look up an index"))?;
    Ok(row.get(0))
}

/// The schema and name of each relation in `names` ("schema.name", or "name" through the
/// search path), in the same order; an error names a relation that does not exist.
pub async fn resolve_relations(
    client: &impl GenericClient,
    names: &[&str],
) -> crate::Result<Vec<QualifiedName>> {
    let rows = client
        .query(
            "SELECT n.nspname, c.relname FROM unnest($1::text[]) WITH ORDINALITY AS t(name, i) \
             JOIN pg_class c ON c.oid = t.name::regclass JOIN pg_namespace n ON n.oid = c.relnamespace \
             ORDER BY t.i",
            &[&names],
        )
        .await
        .map_err(|e| {
            crate::Error::database(
                format!("cannot look up the tables {} (apply the schema with `techspec-bench migrate`)", names.join(", ")),
                &e,
            )
        })?;
    Ok(rows
        .iter()
        .map(|r| QualifiedName {
            schema: r.get(0),
            name: r.get(1),
        })
        .collect())
}

/// True when the current role owns (or is a member of the owner of) every one of `tables`.
pub async fn owns_all(client: &impl GenericClient, tables: &[&str]) -> crate::Result<bool> {
    let row = client
        .query_one(
            "SELECT bool_and(pg_has_role(c.relowner, 'USAGE')) FROM pg_class c WHERE c.oid = ANY($1::text[]::regclass[])",
            &[&tables],
        )
        .await
        .map_err(failed("cannot check who owns the tables"))?;
    Ok(row.get::<_, Option<bool>>(0).unwrap_or(false))
}

/// True when the current role may TRUNCATE every one of `tables`.
pub async fn may_truncate_all(client: &impl GenericClient, tables: &[&str]) -> crate::Result<bool> {
    let row = client
        .query_one(
            "SELECT bool_and(has_table_privilege(t, 'TRUNCATE')) FROM unnest($1::text[]) AS t",
            &[&tables],
        )
        .await
        .map_err(failed("cannot check TRUNCATE privileges"))?;
    Ok(row.get::<_, Option<bool>>(0).unwrap_or(false))
}

/// Bytes on disk of `tables` with their indexes and TOAST data.
pub async fn total_relation_bytes(
    client: &impl GenericClient,
    tables: &[&str],
) -> crate::Result<u64> {
    let row = client
        .query_one(
            "SELECT sum(pg_total_relation_size(t::regclass))::bigint FROM unnest($1::text[]) AS t",
            &[&tables],
        )
        .await
        .map_err(failed("cannot measure table sizes"))?;
    Ok(row.get::<_, Option<i64>>(0).unwrap_or(0) as u64)
}

/// The indexes (with their tables), tables and schemas of the database.
pub async fn user_relations(
    client: &impl GenericClient,
) -> Result<UserRelations, tokio_postgres::Error> {
    let index_sql = format!(
        "SELECT n.nspname, c.relname, tn.nspname, t.relname FROM pg_index i \
         JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace \
         WHERE {USER_SCHEMAS} ORDER BY 1, 2"
    );
    let table_sql = format!(
        "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p', 'm', 'f', 'v') AND {USER_SCHEMAS} ORDER BY 1, 2"
    );
    let qualified = |schema: String, name: String| QualifiedName { schema, name };
    let indexes = client.query(&index_sql, &[]).await?;
    let tables = client.query(&table_sql, &[]).await?;
    let schemas = client
        .query("SELECT nspname FROM pg_namespace ORDER BY 1", &[])
        .await?;
    Ok(UserRelations {
        indexes: indexes
            .iter()
            .map(|r| (qualified(r.get(0), r.get(1)), qualified(r.get(2), r.get(3))))
            .collect(),
        tables: tables
            .iter()
            .map(|r| qualified(r.get(0), r.get(1)))
            .collect(),
        schemas: schemas.iter().map(|r| r.get(0)).collect(),
    })
}

/// Exact row counts of the dataset tables that exist (missing tables are omitted).
pub async fn table_row_counts(client: &impl GenericClient) -> crate::Result<BTreeMap<String, i64>> {
    let mut counts = BTreeMap::new();
    for table in DATASET_TABLES {
        if !relation_exists(client, table).await? {
            continue;
        }
        // The names are the constants above, never user input.
        let row = client
            .query_one(&format!("{TOOL_MARKER} SELECT count(*) FROM {table}"), &[])
            .await
            .map_err(failed("cannot count rows"))?;
        counts.insert(table.to_string(), row.get(0));
    }
    Ok(counts)
}

/// Exact row counts of `tables`, in the same order, in one query.
pub async fn row_counts(
    client: &impl GenericClient,
    tables: &[QualifiedName],
) -> crate::Result<Vec<u64>> {
    let selects: Vec<String> = tables
        .iter()
        .map(|t| format!("(SELECT count(*) FROM {})", t.quoted()))
        .collect();
    let row = client
        .query_one(&format!("{TOOL_MARKER} SELECT {}", selects.join(", ")), &[])
        .await
        .map_err(failed("cannot count rows"))?;
    Ok((0..tables.len())
        .map(|i| row.get::<_, i64>(i) as u64)
        .collect())
}

/// Notes for reports about server settings that make timings unrealistic, e.g. "fsync=off".
pub async fn settings_notes(client: &impl GenericClient) -> crate::Result<Vec<String>> {
    let mut notes = Vec::new();
    for (name, suspicious) in TIMING_SETTINGS {
        let row = client
            .query_one("SELECT current_setting($1)", &[&name])
            .await
            .map_err(failed("cannot read server settings"))?;
        let value: String = row.get(0);
        if value == suspicious {
            notes.push(format!("{name}={value}"));
        }
    }
    Ok(notes)
}
