//! Deterministic fake data for the Tech Spec schema: generated, encoded and bulk-loaded
//! with binary COPY, in one transaction (`--jobs 1`) or on several connections at once
//! (`parallel`), with the tool's own bookkeeping of what it created. Every other statement
//! (bookkeeping, clearing, dropping and rebuilding keys and indexes, ANALYZE, load
//! settings) is issued through `db`. Must not change the schema (keys and indexes dropped
//! for a load are recreated in the same transaction, or, in parallel, stored first and
//! recreated by the run or the next one), nor touch rows it did not create unless
//! `--force` was given.

mod bookkeeping;
mod clear;
mod constraints;
mod context;
mod encode;
mod gen_conversation;
mod gen_design;
mod gen_session;
mod gen_trd;
mod grow;
mod load;
mod options;
mod parallel;
mod producer;
mod random;
mod report;
mod tables;
mod text;
mod units;
mod volume;

use std::time::{Duration, Instant};

use tokio_postgres::{Client, Transaction};

use crate::Error;
use crate::db::target::DbTarget;
use crate::db::{catalog, ddl, seed_runs};
pub use bookkeeping::DatasetState;
pub use constraints::{DEFER_FROM_SESSIONS, LoadTuning};
pub use grow::{GrowOutcome, grow};
pub use options::{MAX_JOBS, MAX_SESSIONS, SeedOptions, default_jobs, parse_as_of};
pub use report::{
    PhaseTime, SeedPhase, SeedReport, group_thousands, profile_table, steps_line, summary_table,
};
pub use tables::TECH_SPEC_TABLES;

/// What `seed` did.
#[derive(Debug, Clone, PartialEq)]
pub enum SeedOutcome {
    /// A new dataset was written.
    Seeded(SeedReport),
    /// The database already held a complete seeded dataset; nothing was written.
    AlreadySeeded(SeedReport),
}

/// The state of the Tech Spec dataset (`run` refuses `Incomplete`).
pub async fn dataset_state(client: &Client) -> crate::Result<DatasetState> {
    bookkeeping::state_of(client).await
}

/// Seeds (see `seed_with`), deciding index and foreign-key handling by size.
pub async fn seed(client: &mut Client, opts: &SeedOptions) -> crate::Result<SeedOutcome> {
    seed_with(client, opts, LoadTuning::default()).await
}

/// Seeds on `opts.jobs` connections: more than one opens that many to `target` besides
/// `client` (see `parallel`); one seeds in one transaction on `client` (see `seed_with`).
pub async fn seed_jobs(
    client: &mut Client,
    target: &DbTarget,
    opts: &SeedOptions,
) -> crate::Result<SeedOutcome> {
    if opts.jobs > 1 {
        parallel::seed_parallel(client, target, opts, LoadTuning::default()).await
    } else {
        seed_with(client, opts, LoadTuning::default()).await
    }
}

/// Seeds the database in one transaction: an interrupted run leaves it as it was. The
/// Tech Spec tables are locked against writers before their state is read, so a row
/// another session commits meanwhile is seen (and refused) rather than truncated.
pub async fn seed_with(
    client: &mut Client,
    opts: &SeedOptions,
    tuning: LoadTuning,
) -> crate::Result<SeedOutcome> {
    opts.validate()?;
    let started = Instant::now();
    let mut phases = Phases::default();
    bookkeeping::require_schema(&*client).await?;
    let transaction = client
        .transaction()
        .await
        .map_err(|e| Error::database("seed: BEGIN", &e))?;
    if let Some(existing) = prepare(&transaction, opts, &mut phases).await? {
        transaction
            .rollback()
            .await
            .map_err(|e| Error::database("seed: ROLLBACK", &e))?;
        return Ok(already_seeded(existing, started));
    }
    let rows = load_dataset(&transaction, opts, tuning, &mut phases).await?;
    transaction
        .commit()
        .await
        .map_err(|e| Error::database("seed: COMMIT", &e))?;
    phases.mark("commit");
    let analyzing = Instant::now();
    analyze(client).await?;
    phases.profile(SeedPhase::Analyze, 1, analyzing.elapsed());
    phases.mark("analyze");
    let bytes = relation_bytes(client).await.ok();
    Ok(SeedOutcome::Seeded(phases.report(rows, started, bytes)))
}

fn already_seeded(rows: Vec<(String, u64)>, started: Instant) -> SeedOutcome {
    SeedOutcome::AlreadySeeded(SeedReport {
        rows,
        elapsed: started.elapsed(),
        bytes: None,
        phases: vec![],
        profile: vec![],
    })
}

/// In `transaction`: takes the seed lock, locks the tables, decides from their state, and
/// clears earlier seed data when asked to or when an earlier run was interrupted (then
/// also recreates the keys and indexes it left dropped). `Some(existing rows)` when the
/// database is already seeded and nothing is to be done.
async fn prepare(
    transaction: &Transaction<'_>,
    opts: &SeedOptions,
    phases: &mut Phases,
) -> crate::Result<Option<Vec<(String, u64)>>> {
    seed_runs::lock_seed_xact(transaction).await?;
    bookkeeping::lock_runs(transaction).await?;
    clear::lock_tech_spec(transaction).await?;
    let state = bookkeeping::state_of(transaction).await?;
    let interrupted = bookkeeping::interrupted_run(transaction).await?;
    let clearing = opts.clear || interrupted;
    if let Some(existing) = refuse_or_skip(&state, clearing)? {
        return Ok(Some(existing));
    }
    if clearing {
        clear::clear(transaction, &state, opts.force).await?;
        phases.mark("clear earlier seed data");
    }
    let restored = constraints::restore_stored(transaction).await?;
    if restored > 0 {
        phases.mark(&format!(
            "recreate {restored} keys and indexes an interrupted run left dropped"
        ));
    }
    Ok(None)
}

/// `Some(existing rows)` when already seeded and not clearing; an error when seeding
/// must not go on; `None` to seed.
fn refuse_or_skip(
    state: &DatasetState,
    clearing: bool,
) -> crate::Result<Option<Vec<(String, u64)>>> {
    if clearing {
        return Ok(None);
    }
    match state {
        DatasetState::Empty => Ok(None),
        DatasetState::Complete { rows, .. } => Ok(Some(rows.clone())),
        DatasetState::Incomplete { reason } => Err(Error::config(format!(
            "seed: the database holds an incomplete seeded dataset ({reason}); run `seed --clear` to replace it"
        ))),
        DatasetState::Unknown {
            foreign_rows,
            detail,
        } => Err(clear::refuse_foreign_rows(*foreign_rows, detail, false)),
    }
}

async fn load_dataset(
    transaction: &Transaction<'_>,
    opts: &SeedOptions,
    tuning: LoadTuning,
    phases: &mut Phases,
) -> crate::Result<Vec<(String, u64)>> {
    let freeze = clear::may_truncate(transaction).await?;
    if freeze {
        clear::truncate_tech_spec(transaction).await?; // empty already; lets COPY use FREEZE
    }
    let run_id = bookkeeping::begin_run(transaction, opts).await?;
    // pglz was the largest single cost of the load (10% of the backend's CPU).
    ddl::prefer_lz4_toast_compression(transaction).await?;
    ddl::set_local(transaction, &[ddl::WRITEBACK_EARLY]).await?;
    let volume = volume::Volume::from_options(opts);
    let deferred = constraints::defer(transaction, tuning, volume.sessions, true).await?;
    phases.mark(&format!("prepare (dropped {})", deferred.describe()));
    let context = context::GenContext {
        rng_seed: opts.rng_seed,
        as_of: opts.as_of,
        volume,
        seed_run_id: run_id,
    };
    let order = tables::Table::LOAD_ORDER;
    let (mut chunks, _generator) = producer::spawn(context, order.to_vec())
        .map_err(|e| Error::environment(format!("seed: cannot start the generator thread: {e}")))?;
    let plan: Vec<_> = order
        .iter()
        .map(|t| (*t, freeze && t.is_tech_spec()))
        .collect();
    let progress = load::Progress::new(opts.progress);
    let all = tables::Slice::all(&volume);
    let copying = Instant::now();
    let loaded = load::copy_tables(
        transaction,
        &mut chunks,
        &plan,
        &volume,
        &all,
        &progress,
        phases,
    )
    .await?;
    phases.profile(SeedPhase::Copy, 1, copying.elapsed());
    let generated = loaded.iter().map(|(_, c)| c.generated).sum();
    phases.profile(SeedPhase::Generation, 1, generated);
    constraints::restore(transaction, &deferred, phases).await?;
    let rows: Vec<(String, u64)> = loaded
        .into_iter()
        .filter(|(t, _)| *t != tables::Table::SeededDesignJobs)
        .map(|(t, c)| (t.name().to_string(), c.rows))
        .collect();
    bookkeeping::complete_run(transaction, run_id, &rows).await?;
    Ok(rows)
}

/// Refreshes the planner statistics of the eight dataset tables.
async fn analyze(client: &Client) -> crate::Result<()> {
    let tables = catalog::resolve_relations(client, &catalog::DATASET_TABLES).await?;
    ddl::analyze(client, &tables).await
}

async fn relation_bytes(client: &Client) -> crate::Result<u64> {
    catalog::total_relation_bytes(client, &catalog::DATASET_TABLES).await
}

/// Wall time per phase, measured between marks, and the profile per connection.
#[derive(Debug)]
pub(crate) struct Phases {
    last: Instant,
    done: Vec<(String, Duration)>,
    profile: Vec<PhaseTime>,
}

impl Default for Phases {
    fn default() -> Self {
        Phases {
            last: Instant::now(),
            done: Vec::new(),
            profile: Vec::new(),
        }
    }
}

impl Phases {
    pub(crate) fn mark(&mut self, name: &str) {
        let now = Instant::now();
        self.done.push((name.to_string(), now - self.last));
        self.last = now;
    }

    /// Adds `elapsed` to what `connection` (from 1) spent in `phase`.
    pub(crate) fn profile(&mut self, phase: SeedPhase, connection: usize, elapsed: Duration) {
        self.profile.push(PhaseTime {
            phase,
            connection,
            elapsed,
        });
    }

    fn report(self, rows: Vec<(String, u64)>, started: Instant, bytes: Option<u64>) -> SeedReport {
        SeedReport {
            rows,
            elapsed: started.elapsed(),
            bytes,
            phases: self.done,
            profile: self.profile,
        }
    }
}

/// Generates and encodes every row of a seed run without a database, on the generator
/// thread as `seed` does; returns (rows, bytes of COPY data). For measuring generation.
pub fn generate_without_database(opts: &SeedOptions) -> crate::Result<(u64, u64)> {
    opts.validate()?;
    let context = context::GenContext {
        rng_seed: opts.rng_seed,
        as_of: opts.as_of,
        volume: volume::Volume::from_options(opts),
        seed_run_id: 0,
    };
    let (mut chunks, generator) = producer::spawn(context, tables::Table::LOAD_ORDER.to_vec())
        .map_err(|e| Error::environment(format!("seed: cannot start the generator thread: {e}")))?;
    // Drained on a thread of its own: `blocking_recv` must not run inside an async runtime.
    let drain = std::thread::spawn(move || {
        let (mut rows, mut bytes) = (0, 0);
        while let Some(message) = chunks.blocking_recv() {
            let chunk = message.map_err(Error::environment)?;
            rows += chunk.rows;
            bytes += chunk.data.len() as u64;
        }
        Ok((rows, bytes))
    });
    let counted = drain
        .join()
        .map_err(|_| Error::environment("seed: the generation thread panicked"))?;
    let _ = generator.join();
    counted
}
