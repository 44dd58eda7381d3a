//! Growing a complete seeded dataset from n to m sessions with the same `--rng-seed` and
//! `--as-of`, so that it then holds exactly the rows a fresh `seed --sessions m` writes.
//!
//! Every row is generated from its parent's index alone, so the rows of sessions n..m and
//! of design jobs ⌈n/2⌉..⌈m/2⌉ are added as they are. Two things depend on the total:
//! the design job of each session (index·jobs/sessions) and the pool of users and
//! projects a design job's owner is drawn from (a third and a half of the design jobs).
//! Growth therefore checks that every existing session keeps its design job and every
//! existing design job keeps its id, status and times (true whenever both sizes are even
//! with the default two sessions per job); then it rewrites the owner (user_id,
//! project_id) of the existing design jobs and of their sessions to the larger size's
//! draw. When the check fails, nothing is written and the caller seeds from empty.
//! Physically the grown tables differ from a fresh load: the rewritten sessions and
//! design jobs are new row versions after the first level's rows. Each growth is
//! recorded as a seed run of its own (sessions = the new total, counts = the rows added).
//! Growth assumes the per-session rates of the existing dataset are those of `opts`
//! (the seed runs do not record them). Must not write anything when it cannot grow.

use std::time::Instant;

use tokio_postgres::{Client, Transaction};

use super::context::GenContext;
use super::tables::{Slice, Table};
use super::volume::Volume;
use super::{Phases, SeedOptions, SeedReport, bookkeeping, constraints, load, producer};
use crate::Error;
use crate::db::ddl;
use crate::db::seed_growth::{self, JobOwner};
use bookkeeping::DatasetState;

/// From this ratio of new to existing sessions, growth drops and rebuilds keys and
/// indexes as a fresh load does, rather than maintaining them row by row.
pub const REBUILD_FROM_RATIO: u64 = 4;

/// What `grow` did.
#[derive(Debug, Clone, PartialEq)]
pub enum GrowOutcome {
    /// The dataset now holds the larger size; the report counts the rows added.
    Grown(SeedReport),
    /// Growth is impossible here (why); nothing was written.
    Reseed(String),
}

/// Grows the complete dataset in the database to `opts.sessions` in one transaction.
pub async fn grow(client: &mut Client, opts: &SeedOptions) -> crate::Result<GrowOutcome> {
    opts.validate()?;
    let started = Instant::now();
    let mut phases = Phases::default();
    bookkeeping::require_schema(&*client).await?;
    let transaction = client
        .transaction()
        .await
        .map_err(|e| Error::database("seed: BEGIN", &e))?;
    bookkeeping::lock_runs(&transaction).await?;
    let state = bookkeeping::state_of(&transaction).await?;
    let planned = existing_sessions(&state, opts).and_then(|n| {
        let from = Volume::from_options(&SeedOptions {
            sessions: n,
            ..opts.clone()
        });
        plan_growth(&context(opts, 0), &from).map(|owners| (from, owners))
    });
    let (from, owners) = match planned {
        Ok(planned) => planned,
        Err(reason) => {
            transaction
                .rollback()
                .await
                .map_err(|e| Error::database("seed: ROLLBACK", &e))?;
            return Ok(GrowOutcome::Reseed(reason));
        }
    };
    let rows = load_growth(&transaction, opts, &from, &owners, &mut phases).await?;
    transaction
        .commit()
        .await
        .map_err(|e| Error::database("seed: COMMIT", &e))?;
    phases.mark("commit");
    super::analyze(client).await?;
    phases.mark("analyze");
    Ok(GrowOutcome::Grown(SeedReport {
        rows,
        elapsed: started.elapsed(),
        bytes: super::relation_bytes(client).await.ok(),
        phases: phases.done,
        profile: Vec::new(),
    }))
}

fn context(opts: &SeedOptions, seed_run_id: i64) -> GenContext {
    GenContext {
        rng_seed: opts.rng_seed,
        as_of: opts.as_of,
        volume: Volume::from_options(opts),
        seed_run_id,
    }
}

/// The sessions of a complete dataset that `opts` can grow, or why it cannot.
fn existing_sessions(state: &DatasetState, opts: &SeedOptions) -> Result<u64, String> {
    let DatasetState::Complete {
        rng_seed,
        as_of,
        sessions,
        ..
    } = state
    else {
        return Err(format!(
            "the dataset is not a complete seeded one ({state:?})"
        ));
    };
    if *rng_seed != opts.rng_seed || *as_of != opts.as_of {
        return Err(format!(
            "the dataset was seeded with --rng-seed {rng_seed} --as-of {}, not {} {}",
            as_of.to_rfc3339(),
            opts.rng_seed,
            opts.as_of.to_rfc3339()
        ));
    }
    if *sessions >= opts.sessions {
        return Err(format!(
            "the dataset already holds {sessions} sessions, not fewer than {}",
            opts.sessions
        ));
    }
    Ok(*sessions)
}

/// Pure: the new owners of the existing design jobs when the dataset of `from` can grow
/// into `to.volume` (see the module documentation), or why it cannot.
pub(crate) fn plan_growth(to: &GenContext, from: &Volume) -> Result<Vec<JobOwner>, String> {
    let small = GenContext {
        volume: *from,
        ..*to
    };
    if let Some(session) =
        (0..from.sessions).find(|s| from.design_job_of(*s) != to.volume.design_job_of(*s))
    {
        return Err(format!(
            "session {session} belongs to another design job at {} sessions than at {}",
            to.volume.sessions, from.sessions
        ));
    }
    let mut owners = Vec::new();
    for index in 0..from.design_jobs {
        let (before, after) = (small.job(index), to.job(index));
        let same_core = (
            before.id,
            before.status,
            before.created_at,
            before.updated_at,
        ) == (after.id, after.status, after.created_at, after.updated_at);
        if !same_core {
            return Err(format!(
                "design job {index} differs at {} sessions from its row at {}",
                to.volume.sessions, from.sessions
            ));
        }
        if (before.user_id, before.project_id) != (after.user_id, after.project_id) {
            owners.push(JobOwner {
                job: after.id,
                user: after.user_id,
                project: after.project_id,
            });
        }
    }
    Ok(owners)
}

/// Records the run, rewrites the owners and COPYs the rows of the new parents.
async fn load_growth(
    transaction: &Transaction<'_>,
    opts: &SeedOptions,
    from: &Volume,
    owners: &[JobOwner],
    phases: &mut Phases,
) -> crate::Result<Vec<(String, u64)>> {
    let run_id = bookkeeping::begin_run(transaction, opts).await?;
    let to = Volume::from_options(opts);
    let sessions = seed_growth::rewrite_owners(transaction, owners).await?;
    phases.mark(&format!(
        "rewrite the owners of {sessions} earlier sessions"
    ));
    ddl::prefer_lz4_toast_compression(transaction).await?;
    let rebuild = to.sessions >= REBUILD_FROM_RATIO * from.sessions;
    let tuning = constraints::LoadTuning::default();
    let deferred = constraints::defer(transaction, tuning, to.sessions, rebuild).await?;
    phases.mark(&format!("prepare (dropped {})", deferred.describe()));
    let slice = Slice::growth(from, &to);
    let order = Table::LOAD_ORDER;
    let (mut chunks, _generator) =
        producer::spawn_slice(context(opts, run_id), order.to_vec(), slice.clone()).map_err(
            |e| Error::environment(format!("seed: cannot start the generator thread: {e}")),
        )?;
    let plan: Vec<_> = order.iter().map(|t| (*t, false)).collect();
    let progress = load::Progress::new(opts.progress);
    let loaded = load::copy_tables(
        transaction,
        &mut chunks,
        &plan,
        &to,
        &slice,
        &progress,
        phases,
    )
    .await?;
    constraints::restore(transaction, &deferred, phases).await?;
    let rows: Vec<(String, u64)> = loaded
        .into_iter()
        .filter(|(t, _)| *t != Table::SeededDesignJobs)
        .map(|(t, copied)| (t.name().to_string(), copied.rows))
        .collect();
    bookkeeping::complete_run(transaction, run_id, &rows).await?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::encode::CopyEncoder;
    use crate::seed::options::parse_as_of;

    fn options(sessions: u64) -> SeedOptions {
        SeedOptions {
            sessions,
            rng_seed: 7,
            as_of: parse_as_of("2026-01-01T00:00:00Z").unwrap(),
            ..SeedOptions::default()
        }
    }

    /// The COPY rows of `table` for `slice` under `opts`, one byte string per parent.
    fn rows(opts: &SeedOptions, table: Table, slice: &Slice) -> Vec<u8> {
        let mut out = CopyEncoder::new(table.types(), 1 << 20);
        table
            .generate_slice(&context(opts, 1), slice, &mut out, |_| true)
            .unwrap();
        out.finish().0.to_vec()
    }

    /// The rows of a binary COPY stream, without its 19-byte header and 2-byte trailer.
    fn body(copy: Vec<u8>) -> Vec<u8> {
        copy[19..copy.len() - 2].to_vec()
    }

    #[test]
    fn even_sizes_grow_into_a_fresh_load_with_only_the_owners_rewritten() {
        let (small, large) = (options(100), options(1_000));
        let (from, to) = (Volume::from_options(&small), Volume::from_options(&large));
        let owners = plan_growth(&context(&large, 1), &from).unwrap();
        for table in Table::LOAD_ORDER {
            let mut grown = body(rows(&small, table, &Slice::all(&from)));
            grown.extend(body(rows(&large, table, &Slice::growth(&from, &to))));
            let fresh = body(rows(&large, table, &Slice::all(&to)));
            let owned = matches!(table, Table::DesignJobs | Table::Sessions);
            assert_eq!(grown == fresh, !owned, "{}", table.name());
            assert_eq!(grown.len(), fresh.len(), "{}", table.name());
        }
        assert!(!owners.is_empty() && owners.len() <= from.design_jobs as usize);
        for owner in &owners {
            let index = (0..from.design_jobs)
                .find(|j| context(&large, 1).job(*j).id == owner.job)
                .unwrap();
            let fresh = context(&large, 1).job(index);
            assert_eq!(
                (owner.user, owner.project),
                (fresh.user_id, fresh.project_id)
            );
        }
    }

    #[test]
    fn a_ratio_that_moves_sessions_to_other_jobs_reseeds() {
        let three_per_job = |sessions| SeedOptions {
            sessions_per_design_job: 3.0,
            ..options(sessions)
        };
        let from = Volume::from_options(&three_per_job(100));
        let reason = plan_growth(&context(&three_per_job(1_000), 1), &from).unwrap_err();
        assert!(reason.contains("belongs to another design job"), "{reason}");
    }

    #[test]
    fn only_a_complete_smaller_dataset_with_the_same_seed_grows() {
        let opts = options(1_000);
        let complete = |rng_seed, sessions| DatasetState::Complete {
            seed_run_id: 1,
            rng_seed,
            as_of: opts.as_of,
            sessions,
            rows: vec![],
        };
        assert_eq!(existing_sessions(&complete(7, 100), &opts), Ok(100));
        assert!(existing_sessions(&complete(8, 100), &opts).is_err());
        assert!(existing_sessions(&complete(7, 1_000), &opts).is_err());
        assert!(existing_sessions(&DatasetState::Empty, &opts).is_err());
    }
}
