//! Opens the database a command works on: the named target, or a throwaway cluster
//! that lives as long as the returned value. Must not run command logic.

use std::time::{Duration, Instant};

use crate::cli::Cli;
use crate::db::cluster::ThrowawayCluster;
use crate::db::migrate::{self, MigrateOptions};
use crate::db::target::{self, Resolved, TargetSource};
use crate::db::{self as db, DbTarget};

/// The one line printed when a throwaway cluster is used.
pub const THROWAWAY_NOTICE: &str = "using a throwaway PostgreSQL cluster (removed at exit); \
                                    pass --database-url or set DATABASE_URL to use your own database";

/// The database of one command. A throwaway cluster is stopped and deleted when this
/// value is dropped (on success, error or interruption alike).
#[derive(Debug)]
pub struct OpenDatabase {
    pub target: DbTarget,
    /// Where a named target came from; `None` for a throwaway cluster.
    pub source: Option<TargetSource>,
    cluster: Option<ThrowawayCluster>,
    /// How long a throwaway cluster took to set up; `None` for a named target.
    setup: Option<SetupTimes>,
}

/// How long setting up a throwaway cluster took, phase by phase (`run -v`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SetupTimes {
    /// Binaries found, directory made, `initdb` run.
    pub cluster_init: Duration,
    /// Server started until it accepted a connection.
    pub server_start: Duration,
    /// Migrations applied (zero when the command does not migrate).
    pub migrate: Duration,
}

impl OpenDatabase {
    /// True for a cluster the tool started (safe to migrate and seed without asking).
    pub fn is_throwaway(&self) -> bool {
        self.cluster.is_some()
    }

    /// True for a throwaway cluster started from a cached seed: migrated and seeded.
    pub fn is_prefilled(&self) -> bool {
        self.cluster
            .as_ref()
            .is_some_and(ThrowawayCluster::is_prefilled)
    }

    /// Stores a freshly seeded throwaway cluster in the seed cache (see
    /// `ThrowawayCluster::store_seeded`); `Ok(true)` when it was stored, after which
    /// connections opened before are closed. Nothing for a named database.
    pub async fn store_seeded(&mut self) -> crate::Result<bool> {
        match self.cluster.as_mut() {
            Some(cluster) => cluster.store_seeded().await,
            None => Ok(false),
        }
    }

    /// A new connection to the target.
    pub async fn connect(&self) -> crate::Result<tokio_postgres::Client> {
        db::connect(&self.target).await
    }

    /// What about this database may affect timings (for reports).
    pub fn notes(&self) -> Vec<String> {
        self.cluster
            .as_ref()
            .map(ThrowawayCluster::notes)
            .unwrap_or_default()
    }

    /// How long setting up the throwaway cluster took; `None` for a named target.
    pub fn setup_times(&self) -> Option<SetupTimes> {
        self.setup
    }
}

/// Resolves the target (see [`target::resolve`]) and, when none is named, prints one line and starts
/// a throwaway cluster. With `allow_throwaway_setup`, a throwaway cluster is also
/// migrated (with the `shared` stand-in) before this returns, ready to seed; a named
/// database is never changed here.
pub async fn open(cli: &Cli, allow_throwaway_setup: bool) -> crate::Result<OpenDatabase> {
    open_with(cli, allow_throwaway_setup, None).await
}

/// Like [`open`] with the throwaway cluster migrated; it starts from the cached seed of
/// `dataset` (see `app::dataset::throwaway_dataset`) when the cache holds one, and then
/// is neither migrated nor seeded again ([`OpenDatabase::is_prefilled`]).
pub async fn open_seeded(cli: &Cli, dataset: Option<String>) -> crate::Result<OpenDatabase> {
    open_with(cli, true, dataset).await
}

async fn open_with(
    cli: &Cli,
    allow_throwaway_setup: bool,
    dataset: Option<String>,
) -> crate::Result<OpenDatabase> {
    let env = |key: &str| std::env::var(key).ok();
    let database = match target::resolve(cli.database_url.as_deref(), &env, cli.connect_timeout)? {
        Resolved::Named(target, source) => {
            warn_about_unread_variables(&env);
            OpenDatabase {
                target,
                source: Some(source),
                cluster: None,
                setup: None,
            }
        }
        Resolved::Throwaway => {
            eprintln!("{THROWAWAY_NOTICE}");
            let timeout = cli
                .connect_timeout
                .unwrap_or(target::DEFAULT_CONNECT_TIMEOUT);
            let cluster = ThrowawayCluster::start_for(timeout, dataset.as_deref()).await?;
            let startup = cluster.startup_times();
            let mut database = OpenDatabase {
                target: cluster.target(),
                source: None,
                cluster: Some(cluster),
                setup: None,
            };
            let migrating = Instant::now();
            if allow_throwaway_setup && !database.is_prefilled() {
                migrate_throwaway(&database).await?;
            }
            database.setup = Some(SetupTimes {
                cluster_init: startup.init,
                server_start: startup.server_start,
                migrate: migrating.elapsed(),
            });
            database
        }
    };
    warn_about_settings(&database).await?;
    Ok(database)
}

/// Says on stderr which libpq variables are set that the tool does not read, so that
/// none is ignored silently.
fn warn_about_unread_variables(env: &dyn Fn(&str) -> Option<String>) {
    let unread = crate::db::libpq_env::unread_variables(env);
    if !unread.is_empty() {
        eprintln!(
            "warning: {} set but not read by techspec-bench (client certificates, GSSAPI and \
             startup session settings are not supported; set session settings with PGOPTIONS, \
             e.g. PGOPTIONS='-c TimeZone=UTC')",
            unread.join(", ")
        );
    }
}

/// True when nothing names a database, so that `open` would start a throwaway cluster.
pub fn names_no_target(cli: &Cli) -> crate::Result<bool> {
    let env = |key: &str| std::env::var(key).ok();
    let resolved = target::resolve(cli.database_url.as_deref(), &env, cli.connect_timeout)?;
    Ok(matches!(resolved, Resolved::Throwaway))
}

/// Applies the migrations (with the `shared` stand-in) to a fresh throwaway cluster.
async fn migrate_throwaway(database: &OpenDatabase) -> crate::Result<()> {
    let mut client = database.connect().await?;
    let options = MigrateOptions {
        create_shared_stand_in: true,
    };
    migrate::apply(&mut client, &options).await?;
    Ok(())
}

/// Warns on stderr when server settings make timings unrealistic (e.g. `fsync=off`);
/// reports name them too, in their notes.
async fn warn_about_settings(database: &OpenDatabase) -> crate::Result<()> {
    let client = database.connect().await?;
    let settings = crate::db::catalog::settings_notes(&client).await?;
    if let Some(warning) = crate::app::ci::settings_warning(&settings) {
        eprintln!("{warning}");
    }
    Ok(())
}
