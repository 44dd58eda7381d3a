//! `techspec-bench seed`: turn the flags into validated `SeedOptions`, open the database,
//! seed it, print rows per table. Must not hold SQL or generate data (see `seed`).

use chrono::{SubsecRound, Utc};

use crate::app::database;
use crate::app::ui::Ui;
use crate::cli::{Cli, SeedArgs};
use crate::seed::{self, SeedOptions, SeedOutcome};
use crate::{Result, exit_code};

/// Runs `seed`. Asking for it is the user's consent to write to a named database.
pub async fn run(cli: &Cli, args: &SeedArgs) -> Result<i32> {
    let ui = Ui::from_cli(cli);
    let options = seed_options(args, ui.progress)?;
    let database = database::open(cli, true).await?;
    let mut client = database.connect().await?;
    ui.note(format!(
        "seeding {} sessions (rng seed {}, as of {}) into {}",
        options.sessions,
        options.rng_seed,
        options.as_of.to_rfc3339(),
        database.target.display
    ));
    match seed::seed_jobs(&mut client, &database.target, &options).await? {
        SeedOutcome::Seeded(report) => {
            if !ui.quiet {
                println!("{}", seed::summary_table(&report));
            }
            if ui.verbose {
                eprintln!(
                    "time per phase and connection ({} connections):\n{}",
                    options.jobs,
                    seed::profile_table(&report.profile)
                );
                eprintln!("{}", seed::steps_line(&report.phases));
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

/// Validates the `seed` flags into options. Errors are configuration errors (exit 2)
/// saying how to fix them.
fn seed_options(args: &SeedArgs, progress: bool) -> Result<SeedOptions> {
    let as_of = match &args.as_of {
        Some(text) => seed::parse_as_of(text)?,
        None => Utc::now().trunc_subsecs(0),
    };
    let options = SeedOptions {
        sessions: args.sessions,
        rng_seed: args.rng_seed,
        as_of,
        clear: args.clear,
        force: args.force,
        research_per_session: args.research_per_session,
        messages_per_session: args.messages_per_session,
        trds_per_session: args.trds_per_session,
        errors_per_session: args.errors_per_session,
        sessions_per_design_job: args.sessions_per_design_job,
        progress,
        jobs: args.jobs,
    };
    options.validate()?;
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn args(extra: &[&str]) -> SeedArgs {
        #[derive(Parser)]
        struct Wrapper {
            #[command(flatten)]
            seed: SeedArgs,
        }
        let mut argv = vec!["seed"];
        argv.extend_from_slice(extra);
        Wrapper::try_parse_from(argv).unwrap().seed
    }

    #[test]
    fn defaults_match_the_original_script() {
        let options = seed_options(&args(&[]), false).unwrap();
        let defaults = SeedOptions::default();
        assert_eq!(options.sessions, 10);
        assert_eq!(options.rng_seed, defaults.rng_seed);
        assert_eq!(options.research_per_session, 3.0);
        assert_eq!(options.messages_per_session, 8.0);
        assert_eq!(options.trds_per_session, 0.6);
        assert_eq!(options.errors_per_session, 1.5);
        assert_eq!(options.sessions_per_design_job, 2.0);
        assert_eq!(options.jobs, seed::default_jobs());
        assert!((1..=8).contains(&options.jobs));
    }

    #[test]
    fn as_of_is_parsed_as_rfc3339_in_utc() {
        let options =
            seed_options(&args(&["--as-of", "2026-01-01T02:00:00+02:00"]), false).unwrap();
        assert_eq!(options.as_of.to_rfc3339(), "2026-01-01T00:00:00+00:00");
    }

    #[test]
    fn a_bad_as_of_is_a_config_error_with_an_example() {
        let error = seed_options(&args(&["--as-of", "yesterday"]), false).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        assert!(
            error.to_string().contains("2026-01-01T00:00:00Z"),
            "{error}"
        );
    }

    #[test]
    fn force_without_clear_is_a_config_error() {
        let error = seed_options(&args(&["--force"]), false).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        assert!(error.to_string().contains("--clear"));
        assert!(seed_options(&args(&["--force", "--clear"]), false).is_ok());
    }

    #[test]
    fn out_of_range_values_are_config_errors() {
        for bad in [
            &["--sessions", "0"][..],
            &["--trds-per-session=-1"],
            &["--messages-per-session", "NaN"],
            &["--sessions-per-design-job", "0"],
            &["--jobs", "0"],
        ] {
            let error = seed_options(&args(bad), false).unwrap_err();
            assert_eq!(error.exit_code(), 2, "{bad:?}");
        }
    }
}
