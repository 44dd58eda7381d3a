//! Makes sure the database holds a complete dataset before measuring: seeds a throwaway
//! cluster (or a named database with `run --seed`) on one connection per core, as `seed`
//! does by default, and refuses an incomplete seed.
//! Must not seed a named database the user did not ask to seed (the safety rule).

use crate::app::database::OpenDatabase;
use crate::app::ui::Ui;
use crate::seed::{self, DatasetState, SeedOptions, SeedOutcome};
use crate::{Error, Result};

/// Seeds when allowed (throwaway cluster, or `seed_requested`), then checks the state.
pub async fn ensure_dataset(
    database: &OpenDatabase,
    client: &mut tokio_postgres::Client,
    seed_requested: bool,
    sessions: u64,
    ui: &Ui,
) -> Result<()> {
    if database.is_throwaway() || seed_requested {
        let options = SeedOptions {
            sessions,
            progress: ui.progress,
            jobs: seed::default_jobs(),
            ..SeedOptions::default()
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
