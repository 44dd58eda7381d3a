//! The SQL of the tool's record of seed runs (schema `techspec_bench`, migrations
//! 0004_seed_bookkeeping and 0005_seed_deferred_objects): which tables exist, the run rows,
//! the shared design jobs the runs created, the keys and indexes a run dropped and has not
//! recreated yet, the advisory lock that serialises seed runs, and deleting what earlier
//! runs wrote. Must not judge the dataset's state
//! (the seed module does), nor delete rows no seed run recorded.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use tokio_postgres::GenericClient;

use crate::Error;
use crate::db::catalog::QualifiedName;
use crate::db::constraints::{ConstraintDefinition, ConstraintKind, Deferral, IndexDefinition};

/// The advisory lock key every seed run holds ("techspec" in ASCII): one seed at a time per
/// database, whichever connection or transaction it runs in.
const SEED_LOCK_KEY: i64 = 0x7465_6368_7370_6563;

/// Which of the tables `seed` needs exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaPresence {
    /// `shared.design_jobs` (the Design Agent's schema, or the tool's stand-in).
    pub shared: bool,
    /// `tech_spec_sessions` (the Tech Spec tables).
    pub tech_spec: bool,
    /// `techspec_bench.seed_runs` (the bookkeeping).
    pub bookkeeping: bool,
    /// `techspec_bench.seed_deferred_objects` (keys and indexes a parallel load dropped).
    pub deferred_objects: bool,
}

/// A seed run about to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewSeedRun {
    pub rng_seed: u64,
    pub as_of: DateTime<Utc>,
    pub sessions: u64,
}

/// A recorded seed run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedRunRecord {
    pub id: i64,
    /// Whether the run completed (else it only started).
    pub complete: bool,
    pub rng_seed: u64,
    pub as_of: DateTime<Utc>,
    pub sessions: u64,
    /// Rows per table the run wrote (empty until it completes).
    pub counts: BTreeMap<String, u64>,
}

/// Which of the tables `seed` writes to exist.
pub async fn schema_presence(client: &impl GenericClient) -> crate::Result<SchemaPresence> {
    let row = client
        .query_one(
            "SELECT to_regclass('shared.design_jobs') IS NOT NULL, to_regclass('tech_spec_sessions') IS NOT NULL, \
             to_regclass('techspec_bench.seed_runs') IS NOT NULL, \
             to_regclass('techspec_bench.seed_deferred_objects') IS NOT NULL",
            &[],
        )
        .await
        .map_err(|e| Error::database("seed: checking the schema", &e))?;
    Ok(SchemaPresence {
        shared: row.get(0),
        tech_spec: row.get(1),
        bookkeeping: row.get(2),
        deferred_objects: row.get(3),
    })
}

/// Serialises concurrent seed runs until the end of the transaction.
pub async fn lock_seed_runs(client: &impl GenericClient) -> crate::Result<()> {
    client
        .batch_execute("LOCK TABLE techspec_bench.seed_runs IN EXCLUSIVE MODE")
        .await
        .map_err(|e| Error::database("seed: locking techspec_bench.seed_runs", &e))
}

/// Takes the seed advisory lock until the end of the transaction (waits for a seed run
/// holding it).
pub async fn lock_seed_xact(client: &impl GenericClient) -> crate::Result<()> {
    client
        .execute("SELECT pg_advisory_xact_lock($1)", &[&SEED_LOCK_KEY])
        .await
        .map_err(|e| Error::database("seed: taking the seed advisory lock", &e))?;
    Ok(())
}

/// Takes the seed advisory lock for the whole session (released when the connection
/// ends, also when the process is killed); waits for a seed run holding it.
pub async fn lock_seed_session(client: &impl GenericClient) -> crate::Result<()> {
    client
        .execute("SELECT pg_advisory_lock($1)", &[&SEED_LOCK_KEY])
        .await
        .map_err(|e| Error::database("seed: taking the seed advisory lock", &e))?;
    Ok(())
}

/// Releases the session's seed advisory lock (after a completed run).
pub async fn unlock_seed_session(client: &impl GenericClient) -> crate::Result<()> {
    client
        .execute("SELECT pg_advisory_unlock($1)", &[&SEED_LOCK_KEY])
        .await
        .map_err(|e| Error::database("seed: releasing the seed advisory lock", &e))?;
    Ok(())
}

/// Records `run` as started; returns its id.
pub async fn insert_seed_run(client: &impl GenericClient, run: &NewSeedRun) -> crate::Result<i64> {
    let row = client
        .query_one(
            "INSERT INTO techspec_bench.seed_runs (status, rng_seed, as_of, sessions, tool_version) \
             VALUES ('started', $1, $2, $3, $4) RETURNING id",
            &[&(run.rng_seed as i64), &run.as_of, &(run.sessions as i64), &crate::TOOL_VERSION],
        )
        .await
        .map_err(|e| Error::database("seed: recording the seed run", &e))?;
    Ok(row.get(0))
}

/// Marks run `run_id` complete with the rows it wrote per table.
pub async fn complete_seed_run(
    client: &impl GenericClient,
    run_id: i64,
    rows: &[(String, u64)],
) -> crate::Result<()> {
    let counts: serde_json::Map<String, serde_json::Value> = rows
        .iter()
        .map(|(table, n)| (table.clone(), (*n).into()))
        .collect();
    client
        .execute(
            "UPDATE techspec_bench.seed_runs SET status = 'complete', counts = $2, completed_at = now() WHERE id = $1",
            &[&run_id, &serde_json::Value::Object(counts)],
        )
        .await
        .map_err(|e| Error::database("seed: completing the seed run record", &e))?;
    Ok(())
}

/// Every recorded seed run, oldest first.
pub async fn seed_runs(client: &impl GenericClient) -> crate::Result<Vec<SeedRunRecord>> {
    let rows = client
        .query(
            "SELECT id, status = 'complete', rng_seed, as_of, sessions, counts FROM techspec_bench.seed_runs ORDER BY id",
            &[],
        )
        .await
        .map_err(|e| Error::database("seed: reading techspec_bench.seed_runs", &e))?;
    Ok(rows
        .iter()
        .map(|r| SeedRunRecord {
            id: r.get(0),
            complete: r.get(1),
            rng_seed: r.get::<_, i64>(2) as u64,
            as_of: r.get(3),
            sessions: r.get::<_, i64>(4) as u64,
            counts: counts_of(&r.get(5)),
        })
        .collect())
}

/// The per-table counts of a run's `counts` column (entries that are not counts are left out).
fn counts_of(value: &serde_json::Value) -> BTreeMap<String, u64> {
    value
        .as_object()
        .map(|object| {
            object
                .iter()
                .filter_map(|(table, n)| n.as_u64().map(|n| (table.clone(), n)))
                .collect()
        })
        .unwrap_or_default()
}

fn kind_text(kind: Option<ConstraintKind>) -> &'static str {
    match kind {
        Some(ConstraintKind::PrimaryKey) => "primary_key",
        Some(ConstraintKind::ForeignKey) => "foreign_key",
        None => "index",
    }
}

const INSERT_DEFERRED: &str = "INSERT INTO techspec_bench.seed_deferred_objects \
     (seed_run_id, kind, schema_name, object_table, object_name, definition, comment, tablespace) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// Stores every definition of `deferral` for run `run_id` (before anything is dropped).
pub async fn store_deferral(
    client: &impl GenericClient,
    run_id: i64,
    deferral: &Deferral,
) -> crate::Result<()> {
    let fail = |e| {
        Error::database(
            "seed: storing the definitions of the dropped keys and indexes",
            &e,
        )
    };
    let keys = deferral.primary_keys.iter().chain(&deferral.foreign_keys);
    for key in keys {
        let row: [&(dyn tokio_postgres::types::ToSql + Sync); 8] = [
            &run_id,
            &kind_text(Some(key.kind)),
            &key.table.schema,
            &key.table.name,
            &key.name,
            &key.definition,
            &key.comment,
            &key.tablespace,
        ];
        client.execute(INSERT_DEFERRED, &row).await.map_err(fail)?;
    }
    for index in &deferral.indexes {
        let row: [&(dyn tokio_postgres::types::ToSql + Sync); 8] = [
            &run_id,
            &kind_text(None),
            &index.index.schema,
            &"",
            &index.index.name,
            &index.create_sql,
            &index.comment,
            &index.tablespace,
        ];
        client.execute(INSERT_DEFERRED, &row).await.map_err(fail)?;
    }
    Ok(())
}

/// Every stored definition not yet recreated (of any run), in the order they were stored.
pub async fn stored_deferral(client: &impl GenericClient) -> crate::Result<Deferral> {
    let rows = client
        .query(
            "SELECT kind, schema_name, object_table, object_name, definition, comment, tablespace \
             FROM techspec_bench.seed_deferred_objects ORDER BY id",
            &[],
        )
        .await
        .map_err(|e| Error::database("seed: reading techspec_bench.seed_deferred_objects", &e))?;
    let mut deferral = Deferral::default();
    for r in &rows {
        let kind: String = r.get(0);
        let schema: String = r.get(1);
        if kind == "index" {
            deferral.indexes.push(IndexDefinition {
                index: QualifiedName {
                    schema,
                    name: r.get(3),
                },
                create_sql: r.get(4),
                comment: r.get(5),
                tablespace: r.get(6),
            });
            continue;
        }
        let kind = if kind == "primary_key" {
            ConstraintKind::PrimaryKey
        } else {
            ConstraintKind::ForeignKey
        };
        let key = ConstraintDefinition {
            kind,
            table: QualifiedName {
                schema,
                name: r.get(2),
            },
            name: r.get(3),
            definition: r.get(4),
            comment: r.get(5),
            tablespace: r.get(6),
        };
        match kind {
            ConstraintKind::PrimaryKey => deferral.primary_keys.push(key),
            ConstraintKind::ForeignKey => deferral.foreign_keys.push(key),
        }
    }
    Ok(deferral)
}

/// Forgets the stored definition of key `key` (it has been recreated).
pub async fn forget_key(
    client: &impl GenericClient,
    key: &ConstraintDefinition,
) -> crate::Result<()> {
    forget(
        client,
        kind_text(Some(key.kind)),
        &key.table.schema,
        &key.table.name,
        &key.name,
    )
    .await
}

/// Forgets the stored definition of `index` (it has been recreated).
pub async fn forget_index(
    client: &impl GenericClient,
    index: &IndexDefinition,
) -> crate::Result<()> {
    forget(
        client,
        kind_text(None),
        &index.index.schema,
        "",
        &index.index.name,
    )
    .await
}

async fn forget(
    client: &impl GenericClient,
    kind: &str,
    schema: &str,
    table: &str,
    name: &str,
) -> crate::Result<()> {
    client
        .execute(
            "DELETE FROM techspec_bench.seed_deferred_objects \
             WHERE kind = $1 AND schema_name = $2 AND object_table = $3 AND object_name = $4",
            &[&kind, &schema, &table, &name],
        )
        .await
        .map_err(|e| Error::database("seed: forgetting a recreated key or index", &e))?;
    Ok(())
}

/// Forgets every stored definition (they have all been recreated).
pub async fn forget_all_deferred(client: &impl GenericClient) -> crate::Result<()> {
    client
        .batch_execute("DELETE FROM techspec_bench.seed_deferred_objects")
        .await
        .map_err(|e| Error::database("seed: emptying techspec_bench.seed_deferred_objects", &e))
}

/// Sessions whose design job no seed run created (rows someone else wrote).
pub async fn sessions_without_seeded_job(client: &impl GenericClient) -> crate::Result<u64> {
    let row = client
        .query_one(
            "SELECT count(*) FROM tech_spec_sessions s WHERE NOT EXISTS \
             (SELECT 1 FROM techspec_bench.seeded_design_jobs d WHERE d.design_job_id = s.design_job_id)",
            &[],
        )
        .await
        .map_err(|e| Error::database("seed: looking for sessions no seed run created", &e))?;
    Ok(row.get::<_, i64>(0) as u64)
}

/// Deletes the `shared` rows earlier seed runs created (and only those), then the record
/// of those runs. The Tech Spec tables are the caller's to empty first.
pub async fn delete_seeded_rows(client: &impl GenericClient) -> crate::Result<()> {
    let statements = [
        "DELETE FROM shared.design_outputs o USING techspec_bench.seeded_design_jobs d WHERE o.job_id = d.design_job_id",
        "DELETE FROM shared.design_decisions x USING techspec_bench.seeded_design_jobs d WHERE x.job_id = d.design_job_id",
        "DELETE FROM shared.design_jobs j USING techspec_bench.seeded_design_jobs d WHERE j.id = d.design_job_id",
        "TRUNCATE techspec_bench.seeded_design_jobs",
        "DELETE FROM techspec_bench.seed_runs",
    ];
    for statement in statements {
        client.batch_execute(statement).await.map_err(|e| {
            Error::database("seed --clear: deleting the rows of earlier seed runs", &e)
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_counts_keep_the_numbers_and_drop_anything_else() {
        let value =
            serde_json::json!({"tech_research": 30, "trd_documents": 6, "odd": "x", "neg": -1});
        let counts = counts_of(&value);
        assert_eq!(counts.len(), 2);
        assert_eq!(counts["tech_research"], 30);
        assert_eq!(counts["trd_documents"], 6);
        assert!(counts_of(&serde_json::json!([])).is_empty());
    }
}
