//! The dataset of one level of a sweep: seeded from empty at the first level (replacing
//! earlier seed runs), grown from the level before afterwards, seeded again from empty
//! when growth is impossible (`seed::grow` says why). Must not measure.

use crate::app::scale::ScalePlan;
use crate::app::ui::Ui;
use crate::seed::{self, GrowOutcome, SeedOptions, SeedOutcome};
use crate::{Error, Result};

/// How a level's dataset was made (as the report names it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Made {
    Seeded,
    Grown,
}

impl std::fmt::Display for Made {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Made::Seeded => "seeded",
            Made::Grown => "grown",
        })
    }
}

/// Seeds or grows the dataset to level `index` of `plan` (ANALYZE included).
pub async fn prepare(
    client: &mut tokio_postgres::Client,
    plan: &ScalePlan,
    index: usize,
    step: &str,
    ui: &Ui,
) -> Result<Made> {
    let sessions = plan.levels[index];
    let options = SeedOptions {
        sessions,
        rng_seed: plan.rng_seed,
        as_of: plan.as_of,
        clear: true,
        progress: ui.progress,
        ..SeedOptions::default()
    };
    if index > 0 {
        ui.note(format!(
            "{step}: growing the dataset from {} to {sessions} sessions",
            plan.levels[index - 1]
        ));
        match seed::grow(client, &options).await? {
            GrowOutcome::Grown(report) => {
                ui.note(format!(
                    "{step}: grown in {:.2}s",
                    report.elapsed.as_secs_f64()
                ));
                return Ok(Made::Grown);
            }
            GrowOutcome::Reseed(reason) => {
                ui.note(format!(
                    "{step}: cannot grow ({reason}); seeding from empty"
                ));
            }
        }
    }
    ui.note(format!("{step}: seeding {sessions} sessions"));
    match seed::seed(client, &options).await? {
        SeedOutcome::Seeded(report) => {
            ui.note(format!(
                "{step}: seeded in {:.2}s",
                report.elapsed.as_secs_f64()
            ));
            Ok(Made::Seeded)
        }
        SeedOutcome::AlreadySeeded(_) => Err(Error::environment(
            "scale: seeding with --clear reported an existing dataset; run `techspec-bench seed --clear` and retry",
        )),
    }
}
