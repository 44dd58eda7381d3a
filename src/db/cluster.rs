//! The throwaway cluster: initdb + postgres in a temp dir on a private Unix socket,
//! stopped and deleted on drop. Must not apply migrations or seed.
//!
//! The cluster lives in a new directory under the system temporary directory (`TMPDIR`,
//! else `/tmp`). When the tool runs as root, `initdb` and `postgres` run as the
//! `postgres` OS user (PostgreSQL refuses root), which must be able to reach that
//! directory. The server listens on a Unix socket in that directory only (no TCP port),
//! runs in its own process group (a terminal Ctrl-C reaches the tool, which then stops
//! the server), and keeps the default durability settings (fsync on).
//! `TECHSPEC_BENCH_PG_BINDIR` replaces the search for the binaries (see `pg_install`).
//!
//! The data directory is a copy of a cached template when one exists for this
//! installation (see `template`), so only the first cluster pays for `initdb`. A cluster
//! started for a described dataset starts from that dataset's seeded template when the
//! cache holds one (`is_prefilled`), and `store_seeded` puts it there once seeded (a
//! clean shutdown, the copy, and a restart on the same socket).
//!
//! Should the tool die without stopping the server (SIGKILL), the server gets SIGQUIT
//! from the kernel and shuts down at once (see `spawner`); the directory stays, marked
//! with its owner's pid, and the next start removes it (see `leftovers`).

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::unistd::User;

use crate::db::tls::{SslMode, TlsSettings};
use crate::db::{DbTarget, pg_install};

pub mod leftovers;
mod shutdown;
mod spawner;
use shutdown::{shut_down_cleanly, stop};
pub mod template;

/// The port number in the socket file name (`.s.PGSQL.5432`); no TCP port is opened.
const SOCKET_PORT: u16 = 5432;
/// The superuser initdb creates.
const SUPERUSER: &str = "postgres";
/// How long the server may take to accept connections after it was started.
const STARTUP_LIMIT: Duration = Duration::from_secs(90);
/// How often initdb and the server start are checked on: short, as a cold `run` waits on both.
const POLL_INTERVAL: Duration = Duration::from_millis(10);
/// initdb's arguments after `-D DIR`.
const INITDB_ARGS: [&str; 8] = [
    "-A",
    "trust",
    "-E",
    "UTF8",
    "--locale=C",
    "--no-sync",
    "-U",
    SUPERUSER,
];

/// How long the cluster took to come up, for the phase times of `run -v`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StartupTimes {
    /// Binaries found, directory made, `initdb` run.
    pub init: Duration,
    /// Server started until it accepted a connection.
    pub server_start: Duration,
}

/// A running throwaway cluster; dropping it stops the server and deletes the directory.
pub struct ThrowawayCluster {
    /// The directory: data in `data/`, the socket, and the logs. `None` once removed.
    dir: Option<tempfile::TempDir>,
    /// The child to stop on drop: `initdb` while it runs, then the postmaster.
    child: Option<Child>,
    bindir: PathBuf,
    /// The OS user the server runs as, when the tool runs as root.
    owner: Option<User>,
    connect_timeout: Duration,
    startup: StartupTimes,
    /// The seeded template this cluster starts from or fills, when caching is on.
    seeded: Option<SeededTemplate>,
    /// True when `data/` is a copy of the seeded template (the dataset is there).
    prefilled: bool,
    /// Server settings given at start (`-c name=value`), beyond the cluster's own.
    settings: Vec<(String, String)>,
}

/// Where a seeded template lives: the cache root and the template's directory name.
#[derive(Debug, Clone)]
struct SeededTemplate {
    root: PathBuf,
    name: String,
}

impl ThrowawayCluster {
    /// Finds the binaries, runs initdb, starts the server and waits until it accepts
    /// connections. Whatever fails or is cancelled part-way is cleaned up by `Drop`.
    pub async fn start(connect_timeout: Duration) -> crate::Result<ThrowawayCluster> {
        Self::start_configured(connect_timeout, None, &[]).await
    }

    /// Like [`start`](Self::start); with `dataset` (a description of every input that
    /// changes the seeded data), starts from that dataset's seeded template when the
    /// cache holds one (then [`is_prefilled`](Self::is_prefilled) is true).
    pub async fn start_for(
        connect_timeout: Duration,
        dataset: Option<&str>,
    ) -> crate::Result<ThrowawayCluster> {
        Self::start_configured(connect_timeout, dataset, &[]).await
    }

    /// [`ThrowawayCluster::start`], with server settings passed as `-c name=value` (e.g.
    /// `shared_preload_libraries`, which only a server start can set).
    pub async fn start_with_settings(
        connect_timeout: Duration,
        settings: &[(&str, &str)],
    ) -> crate::Result<ThrowawayCluster> {
        Self::start_configured(connect_timeout, None, settings).await
    }

    async fn start_configured(
        connect_timeout: Duration,
        dataset: Option<&str>,
        settings: &[(&str, &str)],
    ) -> crate::Result<ThrowawayCluster> {
        let began = Instant::now();
        let bindir = pg_install::find(&|key| std::env::var(key).ok())?;
        let owner = server_owner()?;
        leftovers::remove_leftovers(&std::env::temp_dir());
        let dir = tempfile::Builder::new()
            .prefix(leftovers::DIR_PREFIX)
            .tempdir()
            .map_err(|e| {
                crate::Error::environment(format!("cannot create a temporary directory: {e}"))
            })?;
        leftovers::mark(dir.path())?;
        let mut cluster = ThrowawayCluster {
            dir: Some(dir),
            child: None,
            bindir,
            owner,
            connect_timeout,
            startup: StartupTimes::default(),
            seeded: None,
            prefilled: false,
            settings: settings
                .iter()
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .collect(),
        };
        cluster.hand_directory_to_owner()?;
        cluster.seeded = dataset.and_then(|dataset| cluster.seeded_template(dataset));
        cluster.prefilled = cluster.copy_seeded();
        if !cluster.prefilled {
            cluster.run_initdb().await?;
        }
        let initialized = Instant::now();
        cluster.start_server()?;
        cluster.wait_until_ready().await?;
        cluster.startup = StartupTimes {
            init: initialized - began,
            server_start: initialized.elapsed(),
        };
        Ok(cluster)
    }

    /// True when the data directory is a copy of the dataset's seeded template.
    pub fn is_prefilled(&self) -> bool {
        self.prefilled
    }

    /// Stores the seeded data directory as the dataset's template (when caching is on
    /// and it did not come from there): a clean shutdown, the copy, the newest template
    /// kept alone, and the server started again on the same socket. Connections opened
    /// before are closed by the shutdown. `Ok(false)` when nothing was stored.
    pub async fn store_seeded(&mut self) -> crate::Result<bool> {
        let Some(seeded) = self.seeded.clone().filter(|_| !self.prefilled) else {
            return Ok(false);
        };
        if let Some(mut child) = self.child.take() {
            shut_down_cleanly(&mut child).map_err(|why| {
                self.failure(&format!("the server did not stop: {why}"), "postgres.log")
            })?;
        }
        let stored = template::store(&seeded.root, &seeded.name, &self.data_dir()).is_ok();
        if stored {
            template::prune_seeded(&seeded.root, &seeded.name);
        }
        self.start_server()?;
        self.wait_until_ready().await?;
        Ok(stored)
    }

    /// The seeded template of `dataset` for this installation (`None` with the cache off
    /// or binaries that cannot be read).
    fn seeded_template(&self, dataset: &str) -> Option<SeededTemplate> {
        let env = |key: &str| std::env::var(key).ok();
        let root = template::cache_root(&env)?;
        let key = template::key(&self.bindir, &INITDB_ARGS)?;
        let name = template::seeded_name(&key, dataset);
        Some(SeededTemplate { root, name })
    }

    /// Copies the seeded template into `data/` when the cache holds it; false (and no
    /// partial copy) otherwise.
    fn copy_seeded(&self) -> bool {
        let Some(seeded) = &self.seeded else {
            return false;
        };
        let Some(found) = template::find(&seeded.root, &seeded.name) else {
            return false;
        };
        if template::copy_tree(&found, &self.data_dir(), self.owner.as_ref()).is_ok() {
            return true;
        }
        let _ = std::fs::remove_dir_all(self.data_dir());
        false
    }

    /// How long initdb and the server start took.
    pub fn startup_times(&self) -> StartupTimes {
        self.startup
    }

    /// The target of the running cluster (superuser `postgres`, database `postgres`).
    pub fn target(&self) -> DbTarget {
        let mut config = tokio_postgres::Config::new();
        config
            .host_path(self.path())
            .port(SOCKET_PORT)
            .user(SUPERUSER)
            .dbname("postgres")
            .application_name("techspec-bench")
            .connect_timeout(self.connect_timeout)
            .ssl_mode(SslMode::Disable.negotiation());
        let display = crate::db::target::display(&config);
        DbTarget {
            config,
            tls: TlsSettings {
                mode: SslMode::Disable,
                root_cert: None,
            },
            display,
            throwaway: true,
        }
    }

    /// What differs from a production server and may affect timings, for reports.
    pub fn notes(&self) -> Vec<String> {
        vec![
            "throwaway cluster: clients connect over a Unix socket (no TCP), so latencies are a little \
             lower than over a network; fsync and other settings are PostgreSQL's defaults"
                .to_string(),
        ]
    }

    /// The cluster's directory (socket directory; data lives in `data/`).
    pub fn path(&self) -> &Path {
        self.dir
            .as_ref()
            .map(|d| d.path())
            .unwrap_or(Path::new("/nonexistent"))
    }

    fn data_dir(&self) -> PathBuf {
        self.path().join("data")
    }

    fn hand_directory_to_owner(&self) -> crate::Result<()> {
        let Some(user) = &self.owner else {
            return Ok(());
        };
        nix::unistd::chown(self.path(), Some(user.uid), Some(user.gid)).map_err(|e| {
            crate::Error::environment(format!(
                "cannot hand {} to the postgres OS user: {e}",
                self.path().display()
            ))
        })
    }

    /// A command for one of the server binaries: own process group, owner's uid/gid,
    /// output to a log file in the cluster directory.
    fn command(&self, program: &str, log_name: &str) -> crate::Result<Command> {
        let log = File::create(self.path().join(log_name))
            .map_err(|e| crate::Error::environment(format!("cannot create {log_name}: {e}")))?;
        let log_err = log
            .try_clone()
            .map_err(|e| crate::Error::environment(format!("cannot create {log_name}: {e}")))?;
        let mut command = Command::new(self.bindir.join(program));
        command
            .current_dir(self.path())
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .process_group(0);
        for variable in [
            "PGDATA",
            "PGPORT",
            "PGHOST",
            "PGOPTIONS",
            "PGUSER",
            "PGDATABASE",
        ] {
            command.env_remove(variable);
        }
        if let Some(user) = &self.owner {
            command.uid(user.uid.as_raw()).gid(user.gid.as_raw());
        }
        Ok(command)
    }

    /// Fills `data/`: a copy of the cached template of this installation when there is
    /// one (see `template`), else `initdb`, whose output then becomes the template.
    async fn run_initdb(&mut self) -> crate::Result<()> {
        let env = |key: &str| std::env::var(key).ok();
        let cache = template::cache_root(&env)
            .zip(template::key(&self.bindir, &INITDB_ARGS).map(|key| template::initdb_name(&key)));
        if let Some((root, name)) = &cache
            && let Some(found) = template::find(root, name)
        {
            if template::copy_tree(&found, &self.data_dir(), self.owner.as_ref()).is_ok() {
                return Ok(());
            }
            let _ = std::fs::remove_dir_all(self.data_dir());
        }
        self.initdb().await?;
        if let Some((root, name)) = &cache {
            // Best effort: without a template the next cluster runs initdb again.
            let _ = template::store(root, name, &self.data_dir());
        }
        Ok(())
    }

    async fn initdb(&mut self) -> crate::Result<()> {
        let mut command = self.command("initdb", "initdb.log")?;
        command.arg("-D").arg(self.data_dir()).args(INITDB_ARGS);
        self.child = Some(spawn(command, "initdb")?);
        loop {
            if let Some(status) = self.child_exit_status()? {
                self.child = None;
                if status.success() {
                    return Ok(());
                }
                return Err(self.failure(&format!("initdb failed ({status})"), "initdb.log"));
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    fn start_server(&mut self) -> crate::Result<()> {
        let mut command = self.command("postgres", "postgres.log")?;
        command
            .arg("-D")
            .arg(self.data_dir())
            .arg("-k")
            .arg(self.path())
            .args(["-p", &SOCKET_PORT.to_string(), "-c", "listen_addresses="]);
        for (name, value) in &self.settings {
            command.arg("-c").arg(format!("{name}={value}"));
        }
        self.child = Some(spawn(command, "postgres")?);
        Ok(())
    }

    async fn wait_until_ready(&mut self) -> crate::Result<()> {
        let started = Instant::now();
        let mut probe = self.target();
        probe.config.connect_timeout(Duration::from_secs(2));
        loop {
            if let Some(status) = self.child_exit_status()? {
                self.child = None;
                return Err(self.failure(
                    &format!("the PostgreSQL server stopped ({status})"),
                    "postgres.log",
                ));
            }
            if crate::db::connect(&probe).await.is_ok() {
                return Ok(());
            }
            if started.elapsed() > STARTUP_LIMIT {
                return Err(self.failure(
                    "the PostgreSQL server did not accept connections in time",
                    "postgres.log",
                ));
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    fn child_exit_status(&mut self) -> crate::Result<Option<std::process::ExitStatus>> {
        match self.child.as_mut() {
            None => Ok(None),
            Some(child) => child.try_wait().map_err(|e| {
                crate::Error::environment(format!("cannot watch a PostgreSQL process: {e}"))
            }),
        }
    }

    /// An environment error with the end of a log, and a hint when running as root.
    fn failure(&self, what: &str, log_name: &str) -> crate::Error {
        let log = std::fs::read_to_string(self.path().join(log_name)).unwrap_or_default();
        let tail: Vec<&str> = log
            .lines()
            .rev()
            .take(8)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let root_hint = if self.owner.is_some() {
            " As root, the server runs as the postgres OS user, which must be able to reach the temporary \
             directory (set TMPDIR=/tmp if it cannot)."
        } else {
            ""
        };
        crate::Error::environment(format!(
            "cannot start the throwaway cluster with {}: {what}:\n{}\n{root_hint} Or pass --database-url to use \
             your own database.",
            self.bindir.display(),
            tail.join("\n")
        ))
    }
}

fn spawn(command: Command, name: &str) -> crate::Result<Child> {
    spawner::spawn_tied(command).map_err(|e| {
        crate::Error::environment(format!(
            "cannot start {name} for the throwaway cluster: {e}"
        ))
    })
}

/// The `postgres` OS user when running as root (PostgreSQL refuses root), else `None`.
fn server_owner() -> crate::Result<Option<User>> {
    if !nix::unistd::geteuid().is_root() {
        return Ok(None);
    }
    match User::from_name(SUPERUSER) {
        Ok(Some(user)) => Ok(Some(user)),
        _ => Err(crate::Error::environment(
            "running as root, but there is no `postgres` OS user to run the throwaway PostgreSQL server \
             (PostgreSQL refuses to run as root): create it (`apt-get install postgresql` does), run as a \
             normal user, or pass --database-url to use your own database",
        )),
    }
}

impl Drop for ThrowawayCluster {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            stop(child);
        }
        self.child = None;
        if let Some(dir) = self.dir.take() {
            let path = dir.path().to_path_buf();
            if dir.close().is_err() {
                let _ = std::fs::remove_dir_all(&path);
            }
        }
    }
}

impl std::fmt::Debug for ThrowawayCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThrowawayCluster")
            .field("dir", &self.path())
            .field("bindir", &self.bindir)
            .finish()
    }
}
