//! A real PgBouncer for the tests, in front of the test server (DATABASE_URL): its own
//! port on 127.0.0.1, `auth_type = trust` with an auth file naming the test user, every
//! database passed through, in session or transaction mode, optionally with
//! `ignore_startup_parameters = options`. Started as the `postgres` OS user when the tests
//! run as root (PgBouncer refuses root), stopped when dropped. Without a `pgbouncer`
//! binary the tests skip with a message, unless CI is set: then it is a failure.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common;

/// The pooler setups the tests cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Session,
    Transaction,
    /// Transaction mode with `ignore_startup_parameters = options`: the startup option
    /// that makes a session read-only is dropped silently.
    TransactionIgnoringOptions,
}

/// A running PgBouncer.
pub struct PgBouncer {
    child: Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `pgbouncer` binary, or `None` (the caller skips) when it is not installed and CI
/// is not set. Under CI a missing binary fails the test: `.ci/run` installs it.
pub fn binary() -> Option<PathBuf> {
    let found = [
        "/usr/sbin/pgbouncer",
        "/usr/bin/pgbouncer",
        "/usr/local/bin/pgbouncer",
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|p| p.is_file());
    if found.is_none() {
        assert!(
            std::env::var("CI").is_err(),
            "pgbouncer is not installed, but CI is set: .ci/run installs it (apt-get install pgbouncer)"
        );
        eprintln!(
            "SKIPPED: pgbouncer is not installed (apt-get install pgbouncer); these tests need it"
        );
    }
    found
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn is_root() -> bool {
    nix::unistd::Uid::effective().is_root()
}

impl PgBouncer {
    /// Starts PgBouncer in `mode` in front of the test server and waits until it accepts
    /// connections.
    pub fn start(binary: &std::path::Path, mode: Mode) -> PgBouncer {
        let dir = tempfile::tempdir().unwrap();
        let admin = url::Url::parse(&common::admin_url()).unwrap();
        let user = match admin.username() {
            "" => "postgres".to_string(),
            name => name.to_string(),
        };
        let port = free_port();
        let (pool_mode, ignore) = match mode {
            Mode::Session => ("session", "extra_float_digits"),
            Mode::Transaction => ("transaction", "extra_float_digits"),
            Mode::TransactionIgnoringOptions => ("transaction", "extra_float_digits, options"),
        };
        let server = format!(
            "host={} port={}",
            admin.host_str().unwrap_or("127.0.0.1"),
            admin.port().unwrap_or(5432)
        );
        let ini = format!(
            "[databases]\n* = {server}\n\n[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\n\
             unix_socket_dir =\nauth_type = trust\nauth_file = {auth}\npool_mode = {pool_mode}\n\
             ignore_startup_parameters = {ignore}\ndefault_pool_size = 20\nmax_client_conn = 200\n\
             admin_users = {user}\nlogfile =\npidfile =\n",
            auth = dir.path().join("users.txt").display(),
        );
        std::fs::write(dir.path().join("users.txt"), format!("\"{user}\" \"\"\n")).unwrap();
        let config = dir.path().join("pgbouncer.ini");
        std::fs::write(&config, ini).unwrap();
        let mut command = Command::new(binary);
        if is_root() {
            // PgBouncer refuses to run as root: it switches to the postgres user, who must
            // be able to read its files.
            use std::os::unix::fs::PermissionsExt;
            let open = std::fs::Permissions::from_mode(0o755);
            std::fs::set_permissions(dir.path(), open).unwrap();
            command.args(["-u", "postgres"]);
        }
        let child = command
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let bouncer = PgBouncer {
            child,
            port,
            _dir: dir,
        };
        bouncer.wait_until_ready();
        bouncer
    }

    fn wait_until_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "PgBouncer did not start on port {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `url` (a database on the test server) through this PgBouncer.
    pub fn url_for(&self, url: &str) -> String {
        let mut url = url::Url::parse(url).unwrap();
        url.set_host(Some("127.0.0.1")).unwrap();
        url.set_port(Some(self.port)).unwrap();
        // PgBouncer has no TLS configured here.
        url.query_pairs_mut().append_pair("sslmode", "disable");
        url.to_string()
    }
}
