//! `techspec-bench seed`: validate the flags, open the database, seed it, print rows per
//! table. Must not hold SQL or generate data (see `seed`).

use crate::app::database;
use crate::app::ui::Ui;
use crate::cli::{Cli, SeedArgs};
use crate::seed::{self, SeedOptions, SeedOutcome};
use crate::{Result, exit_code};

/// Runs `seed`. Asking for it is the user's consent to write to a named database.
pub async fn run(cli: &Cli, args: &SeedArgs) -> Result<i32> {
    let ui = Ui::from_cli(cli);
    let options = SeedOptions::from_args(args, ui.progress)?;
    let database = database::open(cli, true).await?;
    let mut client = database.connect().await?;
    ui.note(format!(
        "seeding {} sessions (rng seed {}, as of {}) into {}",
        options.sessions,
        options.rng_seed,
        options.as_of.to_rfc3339(),
        database.target.display
    ));
    match seed::seed(&mut client, &options).await? {
        SeedOutcome::Seeded(report) => {
            if !ui.quiet {
                println!("{}", seed::summary_table(&report));
            }
            ui.note(format!("seeded in {:.2}s", report.elapsed.as_secs_f64()));
        }
        SeedOutcome::AlreadySeeded(report) => {
            if !ui.quiet {
                println!("{}", seed::summary_table(&report));
            }
            ui.note("the database already holds a seeded dataset: nothing added (use --clear to replace it)");
        }
    }
    Ok(exit_code::SUCCESS)
}
