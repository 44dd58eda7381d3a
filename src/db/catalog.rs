//! Catalog queries: server version, relation and index existence, the user's relations
//! and indexes, row counts, settings that affect timings. Must not change anything in
//! the database.

use std::collections::BTreeMap;

use tokio_postgres::GenericClient;

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
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])
            .await
            .map_err(failed("cannot count rows"))?;
        counts.insert(table.to_string(), row.get(0));
    }
    Ok(counts)
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
