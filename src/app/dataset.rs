//! Makes sure the database holds a complete dataset before measuring: seeds a throwaway
//! cluster (or a named database with `run --seed`) on one connection per core, as `seed`
//! does by default, and refuses an incomplete seed.
//! A throwaway cluster's dataset is seeded as of the start of the UTC day and cached
//! (see `db::cluster::template`): the day's later runs start from a copy of it.
//! Must not seed a named database the user did not ask to seed (the safety rule).

use crate::app::database::OpenDatabase;
use crate::app::ui::Ui;
use crate::seed::{self, DatasetState, SeedOptions, SeedOutcome};
use crate::{Error, Result};

/// Everything that decides a throwaway cluster's seeded data, as the seed cache's key:
/// this build of the tool (its migrations and generator), the size, the connections it
/// loads on and the day (`as_of`). `None` when the tool's own binary cannot be read
/// (then nothing is cached).
pub fn throwaway_dataset(sessions: u64) -> Option<String> {
    let exe = std::fs::metadata(std::env::current_exe().ok()?).ok()?;
    let built = exe
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    let options = throwaway_options(sessions, false);
    Some(format!(
        "techspec-bench {} ({} bytes, {} ns); sessions {sessions}; jobs {}; rng seed {}; as of {}",
        env!("CARGO_PKG_VERSION"),
        exe.len(),
        built.as_nanos(),
        options.jobs,
        options.rng_seed,
        options.as_of.to_rfc3339()
    ))
}

/// The seed of a throwaway cluster: the defaults, on one connection per core, as of the
/// start of the current UTC day (so that a cached copy is the same data all day).
fn throwaway_options(sessions: u64, progress: bool) -> SeedOptions {
    let defaults = SeedOptions::default();
    let as_of = defaults
        .as_of
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map_or(defaults.as_of, |midnight| midnight.and_utc());
    SeedOptions {
        sessions,
        progress,
        jobs: seed::default_jobs(),
        as_of,
        ..defaults
    }
}

/// Seeds when allowed (throwaway cluster, or `seed_requested`), then checks the state.
/// A throwaway cluster started from the seed cache is used as it is; one seeded here is
/// stored there (which closes `client`'s connection: it is replaced by a new one).
pub async fn ensure_dataset(
    database: &mut OpenDatabase,
    client: &mut tokio_postgres::Client,
    seed_requested: bool,
    sessions: u64,
    ui: &Ui,
) -> Result<()> {
    if database.is_prefilled() {
        ui.note(format!(
            "using today's cached dataset of {sessions} sessions (seeded as of 00:00 UTC)"
        ));
    } else if database.is_throwaway() || seed_requested {
        let options = if database.is_throwaway() {
            throwaway_options(sessions, ui.progress)
        } else {
            SeedOptions {
                sessions,
                progress: ui.progress,
                jobs: seed::default_jobs(),
                ..SeedOptions::default()
            }
        };
        ui.note(format!(
            "seeding {sessions} sessions into {}",
            database.target.display
        ));
        match seed::seed_jobs(client, &database.target, &options).await? {
            SeedOutcome::Seeded(report) => ui.note(format!(
                "seeded {} rows in {:.2}s",
                report.rows.iter().map(|(_, n)| n).sum::<u64>(),
                report.elapsed.as_secs_f64()
            )),
            SeedOutcome::AlreadySeeded(_) => ui.note("dataset already seeded; using it as it is"),
        }
        if database.is_throwaway() && database.store_seeded().await? {
            *client = database.connect().await?;
        }
    }
    refuse_incomplete(database, client).await
}

async fn refuse_incomplete(database: &OpenDatabase, client: &tokio_postgres::Client) -> Result<()> {
    match seed::dataset_state(client).await {
        Ok(DatasetState::Incomplete { reason }) => Err(Error::environment(format!(
            "{}: the dataset is not fit to measure ({reason}); \
             run `techspec-bench seed --clear` before measuring",
            database.target.display
        ))),
        Ok(DatasetState::Empty) => {
            eprintln!(
                "warning: {}: the Tech Spec tables are empty, so the scenarios measure nothing \
                 useful; seed them with `techspec-bench seed` or `run --seed`",
                database.target.display
            );
            Ok(())
        }
        Ok(_) => Ok(()),
        // A database without the Tech Spec tables is measured as it is (its scenarios are
        // skipped, naming the missing relation), but never silently.
        Err(error) => {
            eprintln!(
                "warning: {}: {error}; scenarios that need them will be skipped",
                database.target.display
            );
            Ok(())
        }
    }
}
