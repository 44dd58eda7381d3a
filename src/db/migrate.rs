//! Embedded SQL migrations, their history table with checksums, drift detection and the
//! shared-schema stand-in rule (and whether the stand-in was applied). Must not seed data.
//!
//! Every `migrations/NNNN_name.sql` is compiled in (see build.rs) and applied in version
//! order, each in its own transaction that first takes a transaction-level advisory lock,
//! so concurrent runs apply each migration once. The history lives in
//! `techspec_bench.schema_migrations(version, name, checksum, outcome, applied_at)`;
//! `checksum` is the SHA-256 of the file (line endings normalised). A recorded
//! migration whose file changed is drift: an error, never re-run.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use tokio_postgres::{Client, GenericClient};

use crate::db::catalog;

/// One migration file compiled into the binary.
#[derive(Debug, Clone, Copy)]
pub struct EmbeddedMigration {
    pub version: u32,
    pub name: &'static str,
    pub sql: &'static str,
}

/// The compiled-in migrations, in version order.
pub static EMBEDDED: &[EmbeddedMigration] = include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

/// The first line that marks the stand-in for the Design Agent's `shared` schema.
pub const SHARED_STAND_IN_MARKER: &str = "-- techspec-bench: shared-stand-in";

/// The table whose presence means the real (or an earlier) `shared` schema exists.
const SHARED_ANCHOR_TABLE: &str = "shared.design_jobs";

/// Key of the advisory lock serialising migrations ("techspec" in ASCII).
const LOCK_KEY: i64 = 0x7465_6368_7370_6563;

const CREATE_HISTORY: &str = "\
CREATE SCHEMA IF NOT EXISTS techspec_bench;
CREATE TABLE IF NOT EXISTS techspec_bench.schema_migrations (
    version    integer     PRIMARY KEY,
    name       text        NOT NULL,
    checksum   text        NOT NULL,
    outcome    text        NOT NULL DEFAULT 'applied' CHECK (outcome IN ('applied', 'skipped_external')),
    applied_at timestamptz NOT NULL DEFAULT now()
);";

impl EmbeddedMigration {
    /// "0002_tech_spec_tables".
    pub fn label(&self) -> String {
        format!("{:04}_{}", self.version, self.name)
    }

    /// SHA-256 (hex) of the file, with CRLF read as LF so checkouts agree.
    pub fn checksum(&self) -> String {
        let normalised = self.sql.replace("\r\n", "\n");
        Sha256::digest(normalised.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// True for the stand-in of the Design Agent's `shared` schema.
    fn is_shared_stand_in(&self) -> bool {
        self.sql
            .lines()
            .next()
            .is_some_and(|line| line.trim_end() == SHARED_STAND_IN_MARKER)
    }
}

/// How `apply` may treat the `shared` schema.
#[derive(Debug, Clone, Copy, Default)]
pub struct MigrateOptions {
    /// Create the stand-in when `shared.design_jobs` is absent (always on a throwaway cluster).
    pub create_shared_stand_in: bool,
}

/// What `apply` did with one migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    /// The stand-in was not applied because `shared.design_jobs` already existed.
    SkippedExternal,
}

/// A migration `apply` handled in this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedMigration {
    pub version: u32,
    pub name: String,
    pub outcome: Outcome,
}

/// Where a migration stands in a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MigrationStatus {
    Applied,
    Pending,
    /// Recorded as applied, but the file's checksum differs.
    Drifted,
    /// The stand-in, recorded as skipped because `shared` belonged to someone else.
    Skipped,
    /// Recorded in the history but not compiled into this binary (a newer version ran).
    Unknown,
}

/// One line of `migrate --status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationState {
    pub version: u32,
    pub name: String,
    pub status: MigrationStatus,
    pub applied_at: Option<DateTime<Utc>>,
}

/// A row of the history table.
#[derive(Debug, Clone)]
struct Recorded {
    version: u32,
    name: String,
    checksum: String,
    outcome: String,
    applied_at: DateTime<Utc>,
}

/// Applies the pending migrations in order, each in its own transaction, and returns
/// what it did. Drift, a missing `shared` schema and SQL failures are environment
/// errors (exit 3); a failed migration is rolled back and stops the run.
pub async fn apply(
    client: &mut Client,
    options: &MigrateOptions,
) -> crate::Result<Vec<AppliedMigration>> {
    let history = prepare_history(client).await?;
    check_drift(&history)?;
    let mut done = Vec::new();
    for migration in EMBEDDED {
        if let Some(outcome) = apply_one(client, migration, options).await? {
            done.push(AppliedMigration {
                version: migration.version,
                name: migration.name.to_string(),
                outcome,
            });
        }
    }
    Ok(done)
}

/// Applies one migration unless it is recorded already (perhaps by a concurrent run).
async fn apply_one(
    client: &mut Client,
    migration: &EmbeddedMigration,
    options: &MigrateOptions,
) -> crate::Result<Option<Outcome>> {
    let label = migration.label();
    let failed = |e: tokio_postgres::Error| {
        crate::Error::database(format!("migration {label} failed and was rolled back"), &e)
    };
    let transaction = client.transaction().await.map_err(failed)?;
    transaction
        .execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
        .await
        .map_err(failed)?;
    let recorded = transaction
        .query_opt(
            "SELECT 1 FROM techspec_bench.schema_migrations WHERE version = $1",
            &[&(migration.version as i32)],
        )
        .await
        .map_err(failed)?;
    if recorded.is_some() {
        return Ok(None);
    }
    let outcome = if migration.is_shared_stand_in()
        && catalog::relation_exists(&transaction, SHARED_ANCHOR_TABLE).await?
    {
        Outcome::SkippedExternal
    } else if migration.is_shared_stand_in() && !options.create_shared_stand_in {
        return Err(missing_shared_schema());
    } else {
        transaction
            .batch_execute(migration.sql)
            .await
            .map_err(failed)?;
        Outcome::Applied
    };
    let outcome_name = match outcome {
        Outcome::Applied => "applied",
        Outcome::SkippedExternal => "skipped_external",
    };
    transaction
        .execute(
            "INSERT INTO techspec_bench.schema_migrations (version, name, checksum, outcome) VALUES ($1, $2, $3, $4)",
            &[&(migration.version as i32), &migration.name, &migration.checksum(), &outcome_name],
        )
        .await
        .map_err(failed)?;
    transaction.commit().await.map_err(failed)?;
    Ok(Some(outcome))
}

fn missing_shared_schema() -> crate::Error {
    crate::Error::environment(
        "the Design Agent's schema `shared` (table shared.design_jobs) does not exist in this database, \
         and the Tech Spec tables reference it. Run the Design Agent migrations first, or pass \
         `migrate --create-shared-stand-in` to create the tool's stand-in for it. Nothing was applied.",
    )
}

/// Creates the history table if needed (under the lock) and reads it.
async fn prepare_history(client: &mut Client) -> crate::Result<Vec<Recorded>> {
    let failed = |e: tokio_postgres::Error| {
        crate::Error::database(
            "cannot create or read the migration history techspec_bench.schema_migrations \
             (the user needs the CREATE privilege on the database)",
            &e,
        )
    };
    let transaction = client.transaction().await.map_err(failed)?;
    transaction
        .execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
        .await
        .map_err(failed)?;
    transaction
        .batch_execute(CREATE_HISTORY)
        .await
        .map_err(failed)?;
    let history = read_history(&transaction).await.map_err(failed)?;
    transaction.commit().await.map_err(failed)?;
    Ok(history)
}

async fn read_history(client: &impl GenericClient) -> Result<Vec<Recorded>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT version, name, checksum, outcome, applied_at FROM techspec_bench.schema_migrations ORDER BY version",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| Recorded {
            version: row.get::<_, i32>(0) as u32,
            name: row.get(1),
            checksum: row.get(2),
            outcome: row.get(3),
            applied_at: row.get(4),
        })
        .collect())
}

/// An error listing every applied migration whose file changed.
fn check_drift(history: &[Recorded]) -> crate::Result<()> {
    let drifted: Vec<String> = status_of(history)
        .into_iter()
        .filter(|state| state.status == MigrationStatus::Drifted)
        .map(|state| format!("{:04}_{}", state.version, state.name))
        .collect();
    if drifted.is_empty() {
        return Ok(());
    }
    Err(crate::Error::environment(format!(
        "migration drift: {} changed after it was applied (its checksum in techspec_bench.schema_migrations \
         differs from the file). Applied migrations are never re-run: restore the original file and put the \
         change in a new migration, or recreate the database.",
        drifted.join(", ")
    )))
}

/// Lists every migration (compiled in or recorded) with its status. Read-only: a
/// database without the history table has everything pending.
pub async fn status(client: &Client) -> crate::Result<Vec<MigrationState>> {
    let history = if catalog::relation_exists(client, "techspec_bench.schema_migrations").await? {
        read_history(client).await.map_err(|e| {
            crate::Error::database("cannot read techspec_bench.schema_migrations", &e)
        })?
    } else {
        Vec::new()
    };
    Ok(status_of(&history))
}

/// True when the stand-in of the `shared` schema was applied to this database (not
/// skipped for the Design Agent's own schema): only then are `shared`'s tables the tool's.
pub async fn shared_stand_in_applied(client: &impl GenericClient) -> crate::Result<bool> {
    if !catalog::relation_exists(client, "techspec_bench.schema_migrations").await? {
        return Ok(false);
    }
    let history = read_history(client)
        .await
        .map_err(|e| crate::Error::database("cannot read techspec_bench.schema_migrations", &e))?;
    Ok(stand_in_applied(&history))
}

/// Pure: whether the history records the stand-in as applied.
fn stand_in_applied(history: &[Recorded]) -> bool {
    EMBEDDED
        .iter()
        .filter(|migration| migration.is_shared_stand_in())
        .any(|migration| {
            history.iter().any(|r| {
                r.version == migration.version && r.name == migration.name && r.outcome == "applied"
            })
        })
}

/// Pure: the status of each migration given the recorded history.
fn status_of(history: &[Recorded]) -> Vec<MigrationState> {
    let mut states: Vec<MigrationState> = EMBEDDED
        .iter()
        .map(|migration| {
            let recorded = history.iter().find(|r| r.version == migration.version);
            let status = match recorded {
                None => MigrationStatus::Pending,
                Some(r) if r.outcome == "skipped_external" => MigrationStatus::Skipped,
                Some(r) if r.checksum != migration.checksum() => MigrationStatus::Drifted,
                Some(_) => MigrationStatus::Applied,
            };
            MigrationState {
                version: migration.version,
                name: migration.name.to_string(),
                status,
                applied_at: recorded.map(|r| r.applied_at),
            }
        })
        .collect();
    for recorded in history
        .iter()
        .filter(|r| EMBEDDED.iter().all(|m| m.version != r.version))
    {
        states.push(MigrationState {
            version: recorded.version,
            name: recorded.name.clone(),
            status: MigrationStatus::Unknown,
            applied_at: Some(recorded.applied_at),
        });
    }
    states.sort_by_key(|state| state.version);
    states
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded(migration: &EmbeddedMigration, checksum: String, outcome: &str) -> Recorded {
        Recorded {
            version: migration.version,
            name: migration.name.to_string(),
            checksum,
            outcome: outcome.to_string(),
            applied_at: Utc::now(),
        }
    }

    #[test]
    fn migrations_are_embedded_in_order_with_the_stand_in_first() {
        assert!(EMBEDDED.len() >= 3);
        assert!(
            EMBEDDED
                .windows(2)
                .all(|pair| pair[0].version < pair[1].version)
        );
        assert!(EMBEDDED[0].is_shared_stand_in());
        assert_eq!(
            EMBEDDED.iter().filter(|m| m.is_shared_stand_in()).count(),
            1
        );
        assert_eq!(EMBEDDED[0].label(), "0001_shared_stand_in");
    }

    #[test]
    fn checksums_are_sha256_hex_and_ignore_line_endings() {
        let unix = EmbeddedMigration {
            version: 9,
            name: "x",
            sql: "SELECT 1;\nSELECT 2;\n",
        };
        let windows = EmbeddedMigration {
            version: 9,
            name: "x",
            sql: "SELECT 1;\r\nSELECT 2;\r\n",
        };
        assert_eq!(unix.checksum(), windows.checksum());
        assert_eq!(unix.checksum().len(), 64);
        let other = EmbeddedMigration {
            version: 9,
            name: "x",
            sql: "SELECT 3;\n",
        };
        assert_ne!(unix.checksum(), other.checksum());
    }

    #[test]
    fn status_marks_applied_pending_drifted_skipped_and_unknown() {
        let first = &EMBEDDED[0];
        let second = &EMBEDDED[1];
        let mut history = vec![
            recorded(first, first.checksum(), "skipped_external"),
            recorded(second, "0".repeat(64), "applied"),
        ];
        history.push(Recorded {
            version: 9999,
            name: "future".into(),
            ..recorded(first, String::new(), "applied")
        });
        let states = status_of(&history);
        assert_eq!(states[0].status, MigrationStatus::Skipped);
        assert_eq!(states[1].status, MigrationStatus::Drifted);
        assert_eq!(states[2].status, MigrationStatus::Pending);
        assert_eq!(states.last().unwrap().status, MigrationStatus::Unknown);
        let error = check_drift(&history).unwrap_err();
        assert_eq!(error.exit_code(), 3);
        assert!(error.to_string().contains(&second.label()));
    }

    #[test]
    fn matching_checksums_are_applied_and_not_drift() {
        let history: Vec<Recorded> = EMBEDDED
            .iter()
            .map(|m| recorded(m, m.checksum(), "applied"))
            .collect();
        assert!(
            status_of(&history)
                .iter()
                .all(|s| s.status == MigrationStatus::Applied)
        );
        assert!(check_drift(&history).is_ok());
    }

    #[test]
    fn only_an_applied_stand_in_counts_as_the_tools_shared_schema() {
        let stand_in = &EMBEDDED[0];
        assert!(stand_in.is_shared_stand_in());
        let applied = recorded(stand_in, "x".into(), "applied");
        assert!(stand_in_applied(std::slice::from_ref(&applied)));
        assert!(!stand_in_applied(&[recorded(
            stand_in,
            "x".into(),
            "skipped_external"
        )]));
        assert!(!stand_in_applied(&[recorded(
            &EMBEDDED[1],
            "x".into(),
            "applied"
        )]));
        assert!(!stand_in_applied(&[]));
    }
}
