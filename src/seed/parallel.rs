//! The parallel load (`seed --jobs N`, N > 1): the run is recorded as `started`, with its
//! design jobs and the definitions of every key and index it drops, in one transaction
//! under the seed advisory lock (held by the coordinating connection until the end); then
//! N connections COPY ranges of the tables (level by level while a foreign key between
//! them is in place, else from one queue), rebuild keys and indexes,
//! validate foreign keys and ANALYZE, each object forgotten in the transaction that
//! recreates it; the run is marked `complete` last. Interrupted at any point, the dataset
//! stays `Incomplete` (refused by `run`) and the next `seed` clears it and recreates what
//! is stored. Must not hold SQL about the schema (see `db`), nor generate rows itself.

use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::sync::Mutex;
use std::time::Instant;

use indicatif::ProgressBar;
use tokio_postgres::{Client, Transaction};

use crate::Error;
use crate::db::constraints::{
    self as db_constraints, ConstraintDefinition, ConstraintKind, Deferral, IndexDefinition,
};
use crate::db::target::DbTarget;
use crate::db::{self, catalog, ddl, seed_runs};
use crate::seed::context::GenContext;
use crate::seed::tables::Table;
use crate::seed::units::{self, Unit};
use crate::seed::{
    LoadTuning, Phases, SeedOptions, SeedOutcome, SeedPhase, bookkeeping, constraints, load,
    producer, volume,
};

/// What every worker shares: the profile and the rows loaded per table.
#[derive(Default)]
struct Tally {
    phases: Mutex<Vec<(SeedPhase, usize, std::time::Duration)>>,
    rows: Mutex<BTreeMap<&'static str, u64>>,
}

impl Tally {
    fn add(&self, phase: SeedPhase, connection: usize, elapsed: std::time::Duration) {
        lock(&self.phases).push((phase, connection, elapsed));
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Seeds on `opts.jobs` connections to `target`; `client` coordinates (lock, bookkeeping).
pub async fn seed_parallel(
    client: &mut Client,
    target: &DbTarget,
    opts: &SeedOptions,
    tuning: LoadTuning,
) -> crate::Result<SeedOutcome> {
    opts.validate()?;
    let started = Instant::now();
    let mut phases = Phases::default();
    bookkeeping::require_schema(&*client).await?;
    seed_runs::lock_seed_session(&*client).await?;
    let outcome = seed_locked(client, target, opts, tuning, &mut phases, started).await;
    if outcome.is_ok() {
        seed_runs::unlock_seed_session(&*client).await?;
    }
    outcome
}

async fn seed_locked(
    client: &mut Client,
    target: &DbTarget,
    opts: &SeedOptions,
    tuning: LoadTuning,
    phases: &mut Phases,
    started: Instant,
) -> crate::Result<SeedOutcome> {
    let transaction = client
        .transaction()
        .await
        .map_err(|e| Error::database("seed: BEGIN", &e))?;
    if let Some(existing) = super::prepare(&transaction, opts, phases).await? {
        transaction
            .rollback()
            .await
            .map_err(|e| Error::database("seed: ROLLBACK", &e))?;
        return Ok(super::already_seeded(existing, started));
    }
    let (context, deferral) = record_run(&transaction, opts, tuning).await?;
    let ordered = foreign_keys_in_place(&transaction).await?;
    transaction
        .commit()
        .await
        .map_err(|e| Error::database("seed: COMMIT of the run's record", &e))?;
    phases.mark(&format!(
        "prepare (stored and dropped {})",
        deferral.describe()
    ));
    let workers = connect_workers(target, opts.jobs).await?;
    let tally = Tally::default();
    load_levels(&workers, &context, opts, ordered, &tally).await?;
    phases.mark("copy");
    rebuild(&workers, &deferral, &tally).await?;
    phases.mark("rebuild primary keys and indexes");
    validate(&*client, &workers, &deferral, &tally).await?;
    phases.mark("re-add and validate foreign keys");
    analyze(&*client, &workers, &tally).await?;
    phases.mark("analyze");
    let rows = loaded_rows(&tally);
    complete(client, context.seed_run_id, &rows).await?;
    phases.mark("complete");
    for (phase, connection, elapsed) in std::mem::take(&mut *lock(&tally.phases)) {
        phases.profile(phase, connection, elapsed);
    }
    let bytes = super::relation_bytes(client).await.ok();
    Ok(SeedOutcome::Seeded(
        std::mem::take(phases).report(rows, started, bytes),
    ))
}

/// Records the run as started, writes its design jobs, drops the keys and indexes to
/// defer and stores their definitions, all in `transaction`.
async fn record_run(
    transaction: &Transaction<'_>,
    opts: &SeedOptions,
    tuning: LoadTuning,
) -> crate::Result<(GenContext, Deferral)> {
    let run_id = bookkeeping::begin_run(transaction, opts).await?;
    let volume = volume::Volume::from_options(opts);
    let context = GenContext {
        rng_seed: opts.rng_seed,
        as_of: opts.as_of,
        volume,
        seed_run_id: run_id,
    };
    let (mut chunks, _generator) = producer::spawn(context, vec![Table::SeededDesignJobs])
        .map_err(|e| Error::environment(format!("seed: cannot start the generator thread: {e}")))?;
    let mut unused = Phases::default();
    let plan = [(Table::SeededDesignJobs, false)];
    let progress = load::Progress::new(false);
    load::copy_tables(
        transaction,
        &mut chunks,
        &plan,
        &volume,
        &crate::seed::tables::Slice::all(&volume),
        &progress,
        &mut unused,
    )
    .await?;
    let deferral = constraints::defer(transaction, tuning, volume.sessions, true).await?;
    seed_runs::store_deferral(transaction, run_id, &deferral).await?;
    Ok((context, deferral))
}

/// Whether a foreign key is still in place on a dataset table (then parents load before
/// children, level by level).
async fn foreign_keys_in_place(transaction: &Transaction<'_>) -> crate::Result<bool> {
    let keys = db_constraints::constraints_of(
        transaction,
        ConstraintKind::ForeignKey,
        &catalog::DATASET_TABLES,
    )
    .await?;
    Ok(!keys.is_empty())
}

async fn connect_workers(target: &DbTarget, jobs: usize) -> crate::Result<Vec<Client>> {
    let mut workers = Vec::with_capacity(jobs);
    for _ in 0..jobs {
        workers.push(db::connect(target).await?);
    }
    Ok(workers)
}

/// Runs `work` on every item, each connection taking the next item when it is free.
async fn pool<'a, T, W, Fut>(workers: &'a [Client], items: Vec<T>, work: W) -> crate::Result<()>
where
    W: Fn(usize, &'a Client, T) -> Fut,
    Fut: Future<Output = crate::Result<()>>,
{
    let queue = Mutex::new(VecDeque::from(items));
    let (queue, work) = (&queue, &work);
    let runners = workers.iter().enumerate().map(|(i, client)| async move {
        loop {
            let next = lock(queue).pop_front();
            let Some(item) = next else {
                return Ok::<(), Error>(());
            };
            work(i + 1, client, item).await?;
        }
    });
    futures_util::future::try_join_all(runners).await?;
    Ok(())
}

async fn execute(client: &Client, statement: &str, doing: &str) -> crate::Result<()> {
    client
        .batch_execute(statement)
        .await
        .map_err(|e| Error::database(doing, &e))
}

/// Loads every level of units, one level after the other.
async fn load_levels(
    workers: &[Client],
    context: &GenContext,
    opts: &SeedOptions,
    ordered: bool,
    tally: &Tally,
) -> crate::Result<()> {
    let progress = load::Progress::new(opts.progress);
    let bars: BTreeMap<&'static str, Option<ProgressBar>> = Table::LOAD_ORDER
        .iter()
        .filter(|t| **t != Table::SeededDesignJobs)
        .map(|t| (t.name(), progress.bar(*t, t.expected_rows(&context.volume))))
        .collect();
    for level in units::plan(&context.volume, workers.len(), ordered) {
        let bars = &bars;
        pool(
            workers,
            level,
            move |connection, client, unit: Unit| async move {
                let bar = bars.get(unit.table.name()).and_then(Option::as_ref);
                copy_unit(client, context, &unit, bar, connection, tally).await
            },
        )
        .await?;
    }
    bars.values().flatten().for_each(ProgressBar::finish);
    Ok(())
}

/// COPYs one unit in a transaction of its own.
async fn copy_unit(
    client: &Client,
    context: &GenContext,
    unit: &Unit,
    bar: Option<&ProgressBar>,
    connection: usize,
    tally: &Tally,
) -> crate::Result<()> {
    let started = Instant::now();
    let doing = format!("seed: COPY into {}", unit.table.name());
    execute(client, "BEGIN", &doing).await?;
    ddl::set_local(client, &[ddl::COMMIT_WITHOUT_WAITING, ddl::WRITEBACK_EARLY]).await?;
    ddl::prefer_lz4_toast_compression(client).await?;
    let (mut chunks, _generator) = producer::spawn_units(*context, vec![unit.clone()])
        .map_err(|e| Error::environment(format!("seed: cannot start a generator thread: {e}")))?;
    let sink = client
        .copy_in(&unit.table.copy_sql(false))
        .await
        .map_err(|e| Error::database(&doing, &e))?;
    let copied = load::stream_into(sink, &mut chunks, unit.table, bar).await?;
    if copied.rows != unit.rows {
        return Err(Error::environment(format!(
            "{doing}: the server stored {} rows where {} were sent",
            copied.rows, unit.rows
        )));
    }
    execute(client, "COMMIT", &doing).await?;
    *lock(&tally.rows).entry(unit.table.name()).or_default() += copied.rows;
    tally.add(SeedPhase::Copy, connection, started.elapsed());
    tally.add(SeedPhase::Generation, connection, copied.generated);
    Ok(())
}

/// An object to rebuild on a worker.
enum Rebuild {
    Key(ConstraintDefinition),
    Index(IndexDefinition),
}

/// Rebuilds the primary keys, then the indexes, each in a transaction of its own that
/// also forgets its stored definition.
async fn rebuild(workers: &[Client], deferral: &Deferral, tally: &Tally) -> crate::Result<()> {
    let items: Vec<Rebuild> = deferral
        .primary_keys
        .iter()
        .cloned()
        .map(Rebuild::Key)
        .chain(deferral.indexes.iter().cloned().map(Rebuild::Index))
        .collect();
    pool(workers, items, |connection, client, item| async move {
        let started = Instant::now();
        let doing = "seed: rebuilding a key or an index";
        execute(client, "BEGIN", doing).await?;
        ddl::set_local(
            client,
            &[ddl::COMMIT_WITHOUT_WAITING, ddl::INDEX_BUILD_MEMORY],
        )
        .await?;
        match &item {
            Rebuild::Key(key) => {
                db_constraints::add_constraint(client, key).await?;
                seed_runs::forget_key(client, key).await?;
            }
            Rebuild::Index(index) => {
                db_constraints::create_index(client, index).await?;
                seed_runs::forget_index(client, index).await?;
            }
        }
        execute(client, "COMMIT", doing).await?;
        tally.add(SeedPhase::IndexBuild, connection, started.elapsed());
        Ok(())
    })
    .await
}

/// Re-adds the foreign keys unchecked on `client` (one transaction, brief locks; profiled
/// as connection 0, the coordinator), then validates them in parallel, each forgotten in the transaction that validates it.
async fn validate(
    client: &Client,
    workers: &[Client],
    deferral: &Deferral,
    tally: &Tally,
) -> crate::Result<()> {
    if deferral.foreign_keys.is_empty() {
        return Ok(());
    }
    let started = Instant::now();
    let doing = "seed: re-adding the foreign keys";
    execute(client, "BEGIN", doing).await?;
    for key in &deferral.foreign_keys {
        db_constraints::add_foreign_key_unchecked(client, key).await?;
    }
    execute(client, "COMMIT", doing).await?;
    tally.add(SeedPhase::KeyValidation, 0, started.elapsed());
    pool(
        workers,
        deferral.foreign_keys.clone(),
        |connection, client, key| async move {
            let started = Instant::now();
            let doing = "seed: validating a foreign key";
            execute(client, "BEGIN", doing).await?;
            ddl::set_local(client, &[ddl::COMMIT_WITHOUT_WAITING]).await?;
            db_constraints::validate_constraint(client, &key).await?;
            seed_runs::forget_key(client, &key).await?;
            execute(client, "COMMIT", doing).await?;
            tally.add(SeedPhase::KeyValidation, connection, started.elapsed());
            Ok(())
        },
    )
    .await
}

/// ANALYZEs the dataset tables, one per connection at a time.
async fn analyze(client: &Client, workers: &[Client], tally: &Tally) -> crate::Result<()> {
    let tables = catalog::resolve_relations(client, &catalog::DATASET_TABLES).await?;
    pool(workers, tables, |connection, client, table| async move {
        let started = Instant::now();
        ddl::analyze(client, std::slice::from_ref(&table)).await?;
        tally.add(SeedPhase::Analyze, connection, started.elapsed());
        Ok(())
    })
    .await
}

/// Rows per table in load order (shared tables first), as the run loaded them.
fn loaded_rows(tally: &Tally) -> Vec<(String, u64)> {
    let loaded = lock(&tally.rows);
    Table::LOAD_ORDER
        .iter()
        .filter(|t| **t != Table::SeededDesignJobs)
        .map(|t| {
            (
                t.name().to_string(),
                loaded.get(t.name()).copied().unwrap_or(0),
            )
        })
        .collect()
}

/// Marks the run complete after checking, with the tables locked against writers, that
/// they hold exactly what was loaded.
async fn complete(client: &mut Client, run_id: i64, rows: &[(String, u64)]) -> crate::Result<()> {
    let transaction = client
        .transaction()
        .await
        .map_err(|e| Error::database("seed: BEGIN", &e))?;
    bookkeeping::lock_runs(&transaction).await?;
    super::clear::lock_tech_spec(&transaction).await?;
    bookkeeping::verify_loaded(&transaction, rows).await?;
    bookkeeping::complete_run(&transaction, run_id, rows).await?;
    transaction
        .commit()
        .await
        .map_err(|e| Error::database("seed: COMMIT of the completed run", &e))
}
