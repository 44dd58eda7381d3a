//! Catalog queries: server version, relation and index existence, row counts, settings
//! that affect timings. Must not change anything in the database.

use std::collections::BTreeMap;

use tokio_postgres::GenericClient;

/// The eight tables of DESIGN §5, schema-qualified, as `table_row_counts` reports them.
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
