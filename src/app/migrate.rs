//! The `migrate` command: apply pending migrations (or list them with `--status`) and
//! print what happened. Must not hold SQL (see `db::migrate`).

use crate::app::database;
use crate::cli::{Cli, MigrateArgs};
use crate::db::migrate::{
    self, AppliedMigration, MigrateOptions, MigrationState, MigrationStatus, Outcome,
};
use crate::error::ErrorClass;
use crate::{Error, Result, exit_code};

/// Runs `migrate`: applies (the command itself is the user's consent to write to a
/// named database), or lists with `--status` (read-only; exit 3 when there is drift).
pub async fn run(cli: &Cli, args: &MigrateArgs) -> Result<i32> {
    let database = database::open(cli, false).await?;
    let in_target = |error: Error| match error.class() {
        ErrorClass::Environment => error.in_context(&database.target.display),
        _ => error,
    };
    let mut client = database.connect().await?;
    if args.status {
        let states = migrate::status(&client).await.map_err(in_target)?;
        print!("{}", render_status(&states));
        if states.iter().any(|s| s.status == MigrationStatus::Drifted) {
            return Err(in_target(Error::environment(
                "migration drift: a migration marked `drifted` changed after it was applied; restore the \
                 original file and put the change in a new migration, or recreate the database",
            )));
        }
        return Ok(exit_code::SUCCESS);
    }
    if !cli.quiet {
        eprintln!("migrating {}", database.target.display);
    }
    let options = MigrateOptions {
        create_shared_stand_in: args.create_shared_stand_in || database.is_throwaway(),
    };
    let done = migrate::apply(&mut client, &options)
        .await
        .map_err(in_target)?;
    print!("{}", render_applied(&done));
    Ok(exit_code::SUCCESS)
}

/// One line per migration handled, or "nothing to apply".
fn render_applied(done: &[AppliedMigration]) -> String {
    if done.is_empty() {
        return "nothing to apply: the database is up to date\n".to_string();
    }
    done.iter()
        .map(|migration| match migration.outcome {
            Outcome::Applied => format!("applied {:04}_{}\n", migration.version, migration.name),
            Outcome::SkippedExternal => format!(
                "skipped {:04}_{} (shared.design_jobs already exists: the Design Agent's own schema is used)\n",
                migration.version, migration.name
            ),
        })
        .collect()
}

/// A table: version, name, status, applied at.
fn render_status(states: &[MigrationState]) -> String {
    let width = states
        .iter()
        .map(|s| s.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let mut text = format!(
        "{:<7}  {:<width$}  {:<8}  applied at\n",
        "version", "name", "status"
    );
    for state in states {
        let status = match state.status {
            MigrationStatus::Applied => "applied",
            MigrationStatus::Pending => "pending",
            MigrationStatus::Drifted => "drifted",
            MigrationStatus::Skipped => "skipped",
            MigrationStatus::Unknown => "unknown",
        };
        let applied_at = state
            .applied_at
            .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
            .unwrap_or_default();
        text.push_str(&format!(
            "{:04}     {:<width$}  {status:<8}  {applied_at}\n",
            state.version, state.name
        ));
    }
    let pending = states
        .iter()
        .filter(|s| s.status == MigrationStatus::Pending)
        .count();
    text.push_str(&format!("{pending} pending\n"));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applied_and_skipped_migrations_are_listed_by_label() {
        let done = [
            AppliedMigration {
                version: 1,
                name: "shared_stand_in".into(),
                outcome: Outcome::SkippedExternal,
            },
            AppliedMigration {
                version: 2,
                name: "tech_spec_tables".into(),
                outcome: Outcome::Applied,
            },
        ];
        let text = render_applied(&done);
        assert!(text.starts_with("skipped 0001_shared_stand_in"), "{text}");
        assert!(text.contains("applied 0002_tech_spec_tables\n"), "{text}");
        assert_eq!(
            render_applied(&[]),
            "nothing to apply: the database is up to date\n"
        );
    }

    #[test]
    fn status_lists_every_migration_and_counts_pending() {
        let states = [
            MigrationState {
                version: 1,
                name: "a".into(),
                status: MigrationStatus::Applied,
                applied_at: None,
            },
            MigrationState {
                version: 2,
                name: "bb".into(),
                status: MigrationStatus::Pending,
                applied_at: None,
            },
        ];
        let text = render_status(&states);
        assert!(text.contains("0001     a     applied"), "{text}");
        assert!(text.contains("0002     bb    pending"), "{text}");
        assert!(text.ends_with("1 pending\n"), "{text}");
    }
}
