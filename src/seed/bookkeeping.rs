//! What the tool's own record of seed runs says: whether the schema `seed` needs exists,
//! starting and completing a run, and the state of the dataset judged from the recorded
//! runs and the rows present. The SQL lives in `db::seed_runs`. Must not load or delete
//! Tech Spec rows.

use chrono::{DateTime, Utc};
use tokio_postgres::GenericClient;

use crate::Error;
use crate::db::catalog;
use crate::db::seed_runs::{self, NewSeedRun, SeedRunRecord};
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

fn missing_tech_spec() -> Error {
    Error::environment(
        "the Tech Spec tables (tech_spec_sessions, tech_research, ...) do not exist in this database; \
         apply the schema first with `techspec-bench migrate`",
    )
}

/// Checks that everything `seed` writes to exists, with how to fix it when not.
pub async fn require_schema(client: &impl GenericClient) -> crate::Result<()> {
    let found = seed_runs::schema_presence(client).await?;
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
    if !found.deferred_objects {
        return Err(Error::environment(
            "seed: the bookkeeping table techspec_bench.seed_deferred_objects does not exist \
             (migration 0005_seed_deferred_objects); run `techspec-bench migrate` first",
        ));
    }
    Ok(())
}

/// Whether a recorded seed run started and never completed (it was interrupted, or is
/// still running in a session that holds the seed lock).
pub async fn interrupted_run(client: &impl GenericClient) -> crate::Result<bool> {
    let runs = seed_runs::seed_runs(client).await?;
    Ok(runs.iter().any(|r| !r.complete))
}

/// An error unless the Tech Spec tables hold exactly `rows` (rows per table, in load
/// order) and every session belongs to a design job a seed run created: nobody wrote to
/// them while a parallel load, which holds no table lock, ran.
pub async fn verify_loaded(
    client: &impl GenericClient,
    rows: &[(String, u64)],
) -> crate::Result<()> {
    let counts = tech_spec_counts(client).await?;
    for (table, found) in TECH_SPEC_TABLES.iter().zip(counts) {
        let loaded = rows.iter().find(|(t, _)| t == table).map_or(0, |(_, n)| *n);
        if found != loaded {
            return Err(Error::environment(format!(
                "seed: {table} holds {found} rows after the load, which wrote {loaded}: another session \
                 changed the table during the seed. Stop the writers and run `seed --clear` again"
            )));
        }
    }
    let foreign = seed_runs::sessions_without_seeded_job(client).await?;
    if foreign > 0 {
        return Err(Error::environment(format!(
            "seed: {foreign} sessions of design jobs no seed run created appeared during the load; \
             stop the writers and run `seed --clear --force` on a database of disposable test data"
        )));
    }
    Ok(())
}

/// Serialises concurrent seed runs until the end of the transaction.
pub async fn lock_runs(client: &impl GenericClient) -> crate::Result<()> {
    seed_runs::lock_seed_runs(client).await
}

/// Records a run as started; returns its id.
pub async fn begin_run(client: &impl GenericClient, options: &SeedOptions) -> crate::Result<i64> {
    let run = NewSeedRun {
        rng_seed: options.rng_seed,
        as_of: options.as_of,
        sessions: options.sessions,
    };
    seed_runs::insert_seed_run(client, &run).await
}

/// Marks a run complete with the rows it wrote.
pub async fn complete_run(
    client: &impl GenericClient,
    run_id: i64,
    rows: &[(String, u64)],
) -> crate::Result<()> {
    seed_runs::complete_seed_run(client, run_id, rows).await
}

/// Rows per Tech Spec table, in `TECH_SPEC_TABLES` order.
async fn tech_spec_counts(client: &impl GenericClient) -> crate::Result<Vec<u64>> {
    let tables = catalog::resolve_relations(client, &TECH_SPEC_TABLES).await?;
    catalog::row_counts(client, &tables).await
}

/// Rows of `table` that `run` recorded (0 when none).
fn count(run: &SeedRunRecord, table: &str) -> u64 {
    run.counts.get(table).copied().unwrap_or(0)
}

/// Rows per table `run` wrote, in load order (shared tables first).
fn rows_of(run: &SeedRunRecord) -> Vec<(String, u64)> {
    Table::LOAD_ORDER
        .iter()
        .filter(|t| **t != Table::SeededDesignJobs)
        .map(|t| (t.name().to_string(), count(run, t.name())))
        .collect()
}

/// What the Tech Spec tables hold (`run` refuses `Incomplete`; `seed` decides from it).
pub async fn state_of(client: &impl GenericClient) -> crate::Result<DatasetState> {
    let found = seed_runs::schema_presence(client).await?;
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
    let runs = seed_runs::seed_runs(client).await?;
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
    run: &SeedRunRecord,
    runs: &[SeedRunRecord],
    counts: &[u64],
) -> crate::Result<DatasetState> {
    let foreign_sessions = seed_runs::sessions_without_seeded_job(client).await?;
    Ok(judge(run, runs, counts, foreign_sessions))
}

/// Pure: the state of tables holding `counts` rows (in `TECH_SPEC_TABLES` order) and
/// `foreign_sessions` sessions of design jobs no run created, when `run` is the latest of
/// the completed `runs`.
fn judge(
    run: &SeedRunRecord,
    runs: &[SeedRunRecord],
    counts: &[u64],
    foreign_sessions: u64,
) -> DatasetState {
    let expected: Vec<u64> = TECH_SPEC_TABLES
        .iter()
        .map(|t| runs.iter().map(|r| count(r, t)).sum())
        .collect();
    let excess: u64 = counts
        .iter()
        .zip(&expected)
        .map(|(a, e)| a.saturating_sub(*e))
        .sum();
    if foreign_sessions > 0 || excess > 0 {
        return DatasetState::Unknown {
            foreign_rows: excess.max(foreign_sessions),
            detail: format!(
                "{foreign_sessions} sessions belong to design jobs no seed run created, and the tables hold {excess} \
                 rows more than seed run #{} wrote",
                run.id
            ),
        };
    }
    if let Some((i, _)) = counts
        .iter()
        .zip(&expected)
        .enumerate()
        .find(|(_, (a, e))| a < e)
    {
        return DatasetState::Incomplete {
            reason: format!(
                "{} holds {} rows but seed run #{} wrote {}: rows were deleted since",
                TECH_SPEC_TABLES[i], counts[i], run.id, expected[i]
            ),
        };
    }
    DatasetState::Complete {
        seed_run_id: run.id,
        rng_seed: run.rng_seed,
        as_of: run.as_of,
        sessions: run.sessions,
        rows: rows_of(run),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(id: i64, sessions: u64, per_table: &[u64]) -> SeedRunRecord {
        SeedRunRecord {
            id,
            complete: true,
            rng_seed: 7,
            as_of: chrono::DateTime::UNIX_EPOCH,
            sessions,
            counts: TECH_SPEC_TABLES
                .iter()
                .zip(per_table)
                .map(|(t, n)| (t.to_string(), *n))
                .collect(),
        }
    }

    #[test]
    fn exactly_the_recorded_rows_are_complete() {
        let runs = [run(3, 10, &[10, 30, 80, 6, 15])];
        let state = judge(&runs[0], &runs, &[10, 30, 80, 6, 15], 0);
        let DatasetState::Complete {
            seed_run_id: 3,
            sessions: 10,
            rows,
            ..
        } = state
        else {
            panic!("expected Complete, got {state:?}")
        };
        let sessions = rows.iter().find(|(t, _)| t == "tech_spec_sessions");
        assert_eq!(sessions, Some(&("tech_spec_sessions".to_string(), 10)));
        assert_eq!(rows.len(), 8, "shared tables and Tech Spec tables");
    }

    #[test]
    fn extra_rows_or_foreign_sessions_are_unknown_and_missing_rows_incomplete() {
        let runs = [run(1, 10, &[10, 30, 80, 6, 15])];
        let extra = judge(&runs[0], &runs, &[10, 32, 80, 6, 15], 0);
        assert!(matches!(
            extra,
            DatasetState::Unknown {
                foreign_rows: 2,
                ..
            }
        ));
        let foreign = judge(&runs[0], &runs, &[10, 30, 80, 6, 15], 4);
        assert!(matches!(
            foreign,
            DatasetState::Unknown {
                foreign_rows: 4,
                ..
            }
        ));
        let DatasetState::Incomplete { reason } = judge(&runs[0], &runs, &[10, 30, 70, 6, 15], 0)
        else {
            panic!("expected Incomplete")
        };
        assert!(
            reason.contains("tech_conversations holds 70 rows but seed run #1 wrote 80"),
            "{reason}"
        );
    }
}
