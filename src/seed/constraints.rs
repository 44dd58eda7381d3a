//! Bulk-load tuning inside the seed transaction: drops the Tech Spec tables' secondary
//! indexes, foreign keys and (when nothing else references them) primary keys before a
//! large load and recreates them, identical, after it (keys re-checked by the server);
//! when the `shared` schema is the tool's own stand-in, also its two foreign keys to
//! shared.design_jobs. Must not touch any other table, nor the Design Agent's real schema.

use tokio_postgres::GenericClient;

use crate::Error;
use crate::seed::tables::TECH_SPEC_TABLES;

/// Sessions from which dropping and rebuilding keys and indexes is used. On two cores
/// (release build): 10,000 sessions 2.9-4.0 s deferred vs 4.2-4.6 s with everything in
/// place; 100,000 sessions 27.7 s vs 47.6 s. Below about a thousand sessions the fixed
/// cost of twenty DDL statements outweighs the gain.
pub const DEFER_FROM_SESSIONS: u64 = 1_000;

/// How to treat indexes and foreign keys during the load (`None` = decide by size).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadTuning {
    pub defer_indexes: Option<bool>,
    pub defer_foreign_keys: Option<bool>,
}

impl LoadTuning {
    fn decide(choice: Option<bool>, sessions: u64, tables_empty: bool) -> bool {
        tables_empty && choice.unwrap_or(sessions >= DEFER_FROM_SESSIONS)
    }
}

/// The stand-in's tables whose foreign keys (to shared.design_jobs) may be deferred.
const STAND_IN_CHILD_TABLES: [&str; 2] = ["shared.design_outputs", "shared.design_decisions"];

/// Definitions dropped for the load, to recreate after it.
#[derive(Debug, Default)]
pub struct Deferred {
    primary_keys: Vec<(String, String, String)>,
    indexes: Vec<String>,
    foreign_keys: Vec<(String, String, String)>,
}

impl Deferred {
    pub fn describe(&self) -> String {
        format!(
            "{} primary keys, {} secondary indexes, {} foreign keys",
            self.primary_keys.len(),
            self.indexes.len(),
            self.foreign_keys.len()
        )
    }
}

fn table_array() -> Vec<String> {
    TECH_SPEC_TABLES.iter().map(|t| t.to_string()).collect()
}

async fn owns_tables(client: &impl GenericClient, tables: &[String]) -> crate::Result<bool> {
    let row = client
        .query_one(
            "SELECT bool_and(pg_has_role(c.relowner, 'USAGE')) FROM pg_class c WHERE c.oid = ANY($1::text[]::regclass[])",
            &[&tables],
        )
        .await
        .map_err(|e| Error::database("seed: checking ownership of the Tech Spec tables", &e))?;
    Ok(row.get::<_, Option<bool>>(0).unwrap_or(false))
}

/// Drops what `tuning` says to defer (only on empty tables the role owns).
pub async fn defer(
    client: &impl GenericClient,
    tuning: LoadTuning,
    sessions: u64,
    tables_empty: bool,
) -> crate::Result<Deferred> {
    let indexes = LoadTuning::decide(tuning.defer_indexes, sessions, tables_empty);
    let foreign_keys = LoadTuning::decide(tuning.defer_foreign_keys, sessions, tables_empty);
    let mut deferred = Deferred::default();
    if !(indexes || foreign_keys) || !owns_tables(client, &table_array()).await? {
        return Ok(deferred);
    }
    let fail = |e: tokio_postgres::Error| {
        Error::database(
            "seed: dropping indexes and foreign keys for the bulk load",
            &e,
        )
    };
    if foreign_keys {
        deferred.foreign_keys = drop_constraints(client, b'f' as i8, &table_array()).await?;
        if indexes && !referenced_from_elsewhere(client).await? {
            deferred.primary_keys = drop_constraints(client, b'p' as i8, &table_array()).await?;
        }
        let stand_in: Vec<String> = STAND_IN_CHILD_TABLES.map(String::from).to_vec();
        if shared_is_stand_in(client).await? && owns_tables(client, &stand_in).await? {
            let shared = drop_constraints(client, b'f' as i8, &stand_in).await?;
            deferred.foreign_keys.extend(shared);
        }
    }
    if indexes {
        let rows = client
            .query(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i \
                 WHERE i.indrelid = ANY($1::text[]::regclass[]) AND NOT i.indisprimary \
                 AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1",
                &[&table_array()],
            )
            .await
            .map_err(fail)?;
        for row in rows {
            let (name, definition): (String, String) = (row.get(0), row.get(1));
            client
                .batch_execute(&format!("DROP INDEX {name}"))
                .await
                .map_err(fail)?;
            deferred.indexes.push(definition);
        }
    }
    Ok(deferred)
}

/// Whether the `shared` schema is the tool's stand-in (migration 0001_shared_stand_in was
/// applied, not skipped for an existing schema): only then may its foreign keys be deferred.
async fn shared_is_stand_in(client: &impl GenericClient) -> crate::Result<bool> {
    let history = client
        .query_one(
            "SELECT to_regclass('techspec_bench.schema_migrations') IS NOT NULL",
            &[],
        )
        .await
        .map_err(|e| Error::database("seed: looking for the migration history", &e))?;
    if !history.get::<_, bool>(0) {
        return Ok(false);
    }
    let row = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM techspec_bench.schema_migrations \
             WHERE version = 1 AND name = 'shared_stand_in' AND outcome = 'applied')",
            &[],
        )
        .await
        .map_err(|e| Error::database("seed: reading techspec_bench.schema_migrations", &e))?;
    Ok(row.get(0))
}

/// Drops the constraints of type `kind` ('f' foreign key, 'p' primary key) of `tables`;
/// returns (table, quoted name, definition) of each.
async fn drop_constraints(
    client: &impl GenericClient,
    kind: i8,
    tables: &[String],
) -> crate::Result<Vec<(String, String, String)>> {
    let fail = |e: tokio_postgres::Error| {
        Error::database("seed: dropping constraints for the bulk load", &e)
    };
    let rows = client
        .query(
            "SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid) FROM pg_constraint \
             WHERE contype = $2 AND conrelid = ANY($1::text[]::regclass[]) ORDER BY 1, 2",
            &[&tables, &kind],
        )
        .await
        .map_err(fail)?;
    let mut dropped = Vec::with_capacity(rows.len());
    for row in rows {
        let (table, name, definition): (String, String, String) =
            (row.get(0), row.get(1), row.get(2));
        client
            .batch_execute(&format!("ALTER TABLE {table} DROP CONSTRAINT {name}"))
            .await
            .map_err(fail)?;
        dropped.push((table, name, definition));
    }
    Ok(dropped)
}

/// Whether a table outside the five references one of their keys (then keys stay).
async fn referenced_from_elsewhere(client: &impl GenericClient) -> crate::Result<bool> {
    let row = client
        .query_one(
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND confrelid = ANY($1::text[]::regclass[]) \
             AND NOT conrelid = ANY($1::text[]::regclass[])",
            &[&table_array()],
        )
        .await
        .map_err(|e| Error::database("seed: looking for foreign keys into the Tech Spec tables", &e))?;
    Ok(row.get::<_, i64>(0) > 0)
}

/// Rebuilds the primary keys and indexes, then re-adds (and so validates) the foreign keys.
pub async fn restore(
    client: &impl GenericClient,
    deferred: Deferred,
    phases: &mut crate::seed::Phases,
) -> crate::Result<()> {
    if !(deferred.indexes.is_empty() && deferred.primary_keys.is_empty()) {
        client
            .batch_execute("SET LOCAL maintenance_work_mem = '256MB'")
            .await
            .map_err(|e| {
                Error::database("seed: setting maintenance_work_mem for the index build", &e)
            })?;
    }
    for (table, name, definition) in &deferred.primary_keys {
        client
            .batch_execute(&format!(
                "ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"
            ))
            .await
            .map_err(|e| {
                Error::database(
                    format!("seed: rebuilding primary key {name} on {table}"),
                    &e,
                )
            })?;
    }
    for definition in &deferred.indexes {
        client
            .batch_execute(definition)
            .await
            .map_err(|e| Error::database(format!("seed: rebuilding index ({definition})"), &e))?;
    }
    phases.mark("rebuild primary keys and indexes");
    for (table, name, definition) in &deferred.foreign_keys {
        client
            .batch_execute(&format!(
                "ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"
            ))
            .await
            .map_err(|e| {
                Error::database(format!("seed: re-adding foreign key {name} on {table}"), &e)
            })?;
    }
    phases.mark("re-add and validate foreign keys");
    Ok(())
}

/// Compresses wide values (TRDs, design documents) with lz4 instead of pglz when the server
/// supports it: pglz was the largest single cost of the load (10% of the backend's CPU).
pub async fn prefer_lz4_toast_compression(client: &impl GenericClient) -> crate::Result<()> {
    let fail =
        |e: tokio_postgres::Error| Error::database("seed: choosing the TOAST compression", &e);
    let row = client
        .query_one(
            "SELECT coalesce(bool_or('lz4' = ANY(enumvals)), false) FROM pg_settings WHERE name = 'default_toast_compression'",
            &[],
        )
        .await
        .map_err(fail)?;
    if row.get::<_, bool>(0) {
        client
            .batch_execute("SET LOCAL default_toast_compression = 'lz4'")
            .await
            .map_err(fail)?;
    }
    Ok(())
}
