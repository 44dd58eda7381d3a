//! The tool's own record of seed runs (schema `techspec_bench`): which runs started and
//! completed, their counts, the shared design jobs they created, and from that the state
//! of the dataset. Must not load or delete Tech Spec rows.

use chrono::{DateTime, Utc};
use tokio_postgres::GenericClient;

use crate::Error;
use crate::seed::options::SeedOptions;
use crate::seed::tables::{TECH_SPEC_TABLES, Table};

/// What the Tech Spec tables hold, as far as the tool's bookkeeping can tell.
#[derive(Debug, Clone, PartialEq)]
pub enum DatasetState {
    /// No Tech Spec rows and no seed run.
    Empty,
    /// Exactly the rows of one completed seed run.
    Complete {
        seed_run_id: i64,
        rng_seed: u64,
        as_of: DateTime<Utc>,
        sessions: u64,
        /// Rows per table the run wrote (shared tables first).
        rows: Vec<(String, u64)>,
    },
    /// Rows of a seed run that did not complete, or a seeded dataset with rows missing:
    /// not fit to measure; `seed --clear` replaces it.
    Incomplete { reason: String },
    /// Tech Spec rows that no seed run of the tool created.
    Unknown { foreign_rows: u64, detail: String },
}

struct Presence {
    shared: bool,
    tech_spec: bool,
    bookkeeping: bool,
}

async fn presence(client: &impl GenericClient) -> crate::Result<Presence> {
    let row = client
        .query_one(
            "SELECT to_regclass('shared.design_jobs') IS NOT NULL, to_regclass('tech_spec_sessions') IS NOT NULL, \
             to_regclass('techspec_bench.seed_runs') IS NOT NULL",
            &[],
        )
        .await
        .map_err(|e| Error::database("seed: checking the schema", &e))?;
    Ok(Presence {
        shared: row.get(0),
        tech_spec: row.get(1),
        bookkeeping: row.get(2),
    })
}

fn missing_tech_spec() -> Error {
    Error::environment(
        "the Tech Spec tables (tech_spec_sessions, tech_research, ...) do not exist in this database; \
         apply the schema first with `techspec-bench migrate`",
    )
}

/// Checks that everything `seed` writes to exists, with how to fix it when not.
pub async fn require_schema(client: &impl GenericClient) -> crate::Result<()> {
    let found = presence(client).await?;
    if !found.shared {
        return Err(Error::environment(
            "seed: table shared.design_jobs does not exist: the Design Agent's `shared` schema is missing. \
             Run the Design Agent migrations first, or create the tool's stand-in with \
             `techspec-bench migrate --create-shared-stand-in`",
        ));
    }
    if !found.tech_spec {
        return Err(missing_tech_spec());
    }
    if !found.bookkeeping {
        return Err(Error::environment(
            "seed: the bookkeeping table techspec_bench.seed_runs does not exist (migration 0004_seed_bookkeeping); \
             run `techspec-bench migrate` first",
        ));
    }
    Ok(())
}

/// Serialises concurrent seed runs until the end of the transaction.
pub async fn lock_runs(client: &impl GenericClient) -> crate::Result<()> {
    client
        .batch_execute("LOCK TABLE techspec_bench.seed_runs IN EXCLUSIVE MODE")
        .await
        .map_err(|e| Error::database("seed: locking techspec_bench.seed_runs", &e))
}

/// Records a run as started; returns its id.
pub async fn begin_run(client: &impl GenericClient, options: &SeedOptions) -> crate::Result<i64> {
    let row = client
        .query_one(
            "INSERT INTO techspec_bench.seed_runs (status, rng_seed, as_of, sessions, tool_version) \
             VALUES ('started', $1, $2, $3, $4) RETURNING id",
            &[&(options.rng_seed as i64), &options.as_of, &(options.sessions as i64), &crate::TOOL_VERSION],
        )
        .await
        .map_err(|e| Error::database("seed: recording the seed run", &e))?;
    Ok(row.get(0))
}

/// Marks a run complete with the rows it wrote.
pub async fn complete_run(
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

/// Rows per Tech Spec table, in `TECH_SPEC_TABLES` order.
pub async fn tech_spec_counts(client: &impl GenericClient) -> crate::Result<Vec<u64>> {
    let selects: Vec<String> = TECH_SPEC_TABLES
        .iter()
        .map(|t| format!("(SELECT count(*) FROM {t})"))
        .collect();
    let row = client
        .query_one(&format!("SELECT {}", selects.join(", ")), &[])
        .await
        .map_err(|e| Error::database("seed: counting the Tech Spec rows", &e))?;
    Ok((0..TECH_SPEC_TABLES.len())
        .map(|i| row.get::<_, i64>(i) as u64)
        .collect())
}

struct RunRecord {
    id: i64,
    complete: bool,
    rng_seed: u64,
    as_of: DateTime<Utc>,
    sessions: u64,
    counts: serde_json::Value,
}

impl RunRecord {
    fn count(&self, table: &str) -> u64 {
        self.counts.get(table).and_then(|v| v.as_u64()).unwrap_or(0)
    }

    fn rows(&self) -> Vec<(String, u64)> {
        Table::LOAD_ORDER
            .iter()
            .filter(|t| **t != Table::SeededDesignJobs)
            .map(|t| (t.name().to_string(), self.count(t.name())))
            .collect()
    }
}

async fn runs(client: &impl GenericClient) -> crate::Result<Vec<RunRecord>> {
    let rows = client
        .query(
            "SELECT id, status = 'complete', rng_seed, as_of, sessions, counts FROM techspec_bench.seed_runs ORDER BY id",
            &[],
        )
        .await
        .map_err(|e| Error::database("seed: reading techspec_bench.seed_runs", &e))?;
    Ok(rows
        .iter()
        .map(|r| RunRecord {
            id: r.get(0),
            complete: r.get(1),
            rng_seed: r.get::<_, i64>(2) as u64,
            as_of: r.get(3),
            sessions: r.get::<_, i64>(4) as u64,
            counts: r.get(5),
        })
        .collect())
}

async fn sessions_without_seeded_job(client: &impl GenericClient) -> crate::Result<u64> {
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

/// What the Tech Spec tables hold (`run` refuses `Incomplete`; `seed` decides from it).
pub async fn state_of(client: &impl GenericClient) -> crate::Result<DatasetState> {
    let found = presence(client).await?;
    if !found.tech_spec {
        return Err(missing_tech_spec());
    }
    let counts = tech_spec_counts(client).await?;
    let total: u64 = counts.iter().sum();
    if !found.bookkeeping {
        return Ok(if total == 0 {
            DatasetState::Empty
        } else {
            unrecorded(total)
        });
    }
    let runs = runs(client).await?;
    if let Some(run) = runs.iter().find(|r| !r.complete) {
        return Ok(DatasetState::Incomplete {
            reason: format!(
                "seed run #{} (started, --rng-seed {}) did not complete",
                run.id, run.rng_seed
            ),
        });
    }
    let Some(run) = runs.last() else {
        return Ok(if total == 0 {
            DatasetState::Empty
        } else {
            unrecorded(total)
        });
    };
    compare_with_run(client, run, &runs, &counts).await
}

fn unrecorded(total: u64) -> DatasetState {
    DatasetState::Unknown {
        foreign_rows: total,
        detail: "no seed run of techspec-bench is recorded in techspec_bench.seed_runs".to_string(),
    }
}

async fn compare_with_run(
    client: &impl GenericClient,
    run: &RunRecord,
    runs: &[RunRecord],
    counts: &[u64],
) -> crate::Result<DatasetState> {
    let expected: Vec<u64> = TECH_SPEC_TABLES
        .iter()
        .map(|t| runs.iter().map(|r| r.count(t)).sum())
        .collect();
    let foreign_sessions = sessions_without_seeded_job(client).await?;
    let excess: u64 = counts
        .iter()
        .zip(&expected)
        .map(|(a, e)| a.saturating_sub(*e))
        .sum();
    if foreign_sessions > 0 || excess > 0 {
        return Ok(DatasetState::Unknown {
            foreign_rows: excess.max(foreign_sessions),
            detail: format!(
                "{foreign_sessions} sessions belong to design jobs no seed run created, and the tables hold {excess} \
                 rows more than seed run #{} wrote",
                run.id
            ),
        });
    }
    if let Some((i, _)) = counts
        .iter()
        .zip(&expected)
        .enumerate()
        .find(|(_, (a, e))| a < e)
    {
        return Ok(DatasetState::Incomplete {
            reason: format!(
                "{} holds {} rows but seed run #{} wrote {}: rows were deleted since",
                TECH_SPEC_TABLES[i], counts[i], run.id, expected[i]
            ),
        });
    }
    Ok(DatasetState::Complete {
        seed_run_id: run.id,
        rng_seed: run.rng_seed,
        as_of: run.as_of,
        sessions: run.sessions,
        rows: run.rows(),
    })
}
