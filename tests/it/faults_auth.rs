//! A wrong password against a server that requires SCRAM: a private cluster on a free
//! port of 127.0.0.1 (`password_encryption = scram-sha-256`, pg_hba.conf requiring
//! `scram-sha-256` over TCP) and a role with a password. The tool exits 3 saying that
//! authentication failed and for which user and target, never printing the password; the
//! right password connects. Must not touch the DATABASE_URL server.

use crate::cli_support::{self, assert_exit};
use crate::common;
use crate::tls_support::{free_port, init_cluster, log, server_command, server_user};

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

const USER: &str = "bench_scram";
const RIGHT_PASSWORD: &str = "Right-pw-4f9c1e";
const WRONG_PASSWORD: &str = "Wrong-pw-8d27ab";

/// A running cluster that asks TCP clients for a SCRAM password; dropping it stops the
/// server and deletes its directory.
struct ScramCluster {
    dir: tempfile::TempDir,
    server: Child,
    port: u16,
}

impl ScramCluster {
    /// initdb, pg_hba.conf, the server; then the role `USER` with `RIGHT_PASSWORD`.
    fn start() -> ScramCluster {
        let dir = tempfile::Builder::new()
            .prefix("tsb-scram-")
            .tempdir_in("/tmp")
            .expect("temp dir");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        hand_to_server_user(dir.path());
        let (bindir, data) = init_cluster(dir.path());
        std::fs::write(
            data.join("pg_hba.conf"),
            "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n",
        )
        .unwrap();
        let port = free_port();
        let server = server_command(&bindir.join("postgres"), dir.path(), "postgres.log")
            .arg("-D")
            .arg(&data)
            .arg("-k")
            .arg(dir.path())
            .args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1"])
            .args(["-c", "password_encryption=scram-sha-256"])
            .spawn()
            .expect("start postgres");
        let cluster = ScramCluster { dir, server, port };
        cluster.create_role();
        cluster
    }

    /// A URL for `USER` (with `password`, if any) and database `postgres` over TCP.
    fn url(&self, password: Option<&str>) -> String {
        let credentials = match password {
            Some(password) => format!("{USER}:{password}"),
            None => USER.to_string(),
        };
        format!("postgres://{credentials}@127.0.0.1:{}/postgres", self.port)
    }

    /// Waits for the server (over its Unix socket, trusted), then creates the role and
    /// checks its password is stored as a SCRAM verifier.
    fn create_role(&self) {
        let socket = format!(
            "host={} port={} user=postgres dbname=postgres",
            self.dir.path().display(),
            self.port
        );
        let sql = format!("CREATE ROLE {USER} LOGIN PASSWORD '{RIGHT_PASSWORD}'");
        let stored = on_own_runtime(async move {
            let started = Instant::now();
            let client = loop {
                match tokio_postgres::connect(&socket, tokio_postgres::NoTls).await {
                    Ok((client, connection)) => {
                        tokio::spawn(connection);
                        break client;
                    }
                    Err(_) if started.elapsed() < Duration::from_secs(90) => {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    Err(e) => return Err(e.to_string()),
                }
            };
            client
                .batch_execute(&sql)
                .await
                .map_err(|e| e.to_string())?;
            let row = client
                .query_one(
                    "SELECT rolpassword FROM pg_authid WHERE rolname = $1",
                    &[&USER],
                )
                .await
                .map_err(|e| e.to_string())?;
            Ok(row.get::<_, String>(0))
        });
        let stored = stored.unwrap_or_else(|e| {
            panic!(
                "the SCRAM test cluster did not start: {e}\n{}",
                log(self.dir.path(), "postgres.log")
            )
        });
        assert!(stored.starts_with("SCRAM-SHA-256$"), "{stored}");
    }
}

impl Drop for ScramCluster {
    fn drop(&mut self) {
        let pid = nix::unistd::Pid::from_raw(self.server.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT);
        let deadline = Instant::now() + Duration::from_secs(10);
        while matches!(self.server.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

/// Runs `future` on a runtime of its own thread (the caller may be inside a runtime).
fn on_own_runtime<T: Send + 'static>(
    future: impl std::future::Future<Output = T> + Send + 'static,
) -> T {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(future)
    })
    .join()
    .unwrap()
}

/// The directory goes to the server's OS user (initdb and the logs write there).
fn hand_to_server_user(dir: &Path) {
    if let Some(user) = server_user() {
        nix::unistd::chown(dir, Some(user.uid), Some(user.gid)).unwrap();
    }
}

/// `migrate --status` on `url`, with `extra_env` set, from an empty directory.
fn migrate_status(url: &str, extra_env: &[(&str, &str)]) -> cli_support::Outcome {
    let cwd = tempfile::tempdir().unwrap();
    let mut command = common::tool();
    command
        .current_dir(cwd.path())
        .env("PGPASSFILE", cwd.path().join("no-pgpass"))
        .envs(extra_env.iter().copied())
        .args(["--color", "never", "--connect-timeout", "20s"])
        .args(["--database-url", url, "migrate", "--status"]);
    let output = command.output().expect("run techspec-bench");
    cli_support::Outcome {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Exit 3; says authentication failed, for whom and where; never shows the password.
#[track_caller]
fn assert_refused(outcome: &cli_support::Outcome, port: u16) {
    assert_exit(outcome, 3);
    let text = outcome.text();
    assert!(text.contains("authentication failed"), "{outcome:?}");
    assert!(text.contains(USER), "the user is named: {outcome:?}");
    assert!(
        text.contains(&format!("127.0.0.1:{port}")) || text.contains(&port.to_string()),
        "the target is named: {outcome:?}"
    );
    assert!(text.contains("password"), "says what to check: {outcome:?}");
    for secret in [WRONG_PASSWORD, RIGHT_PASSWORD] {
        assert!(!text.contains(secret), "a password is shown: {outcome:?}");
    }
}

#[test]
fn a_wrong_password_against_a_scram_server_exits_3_without_showing_it() {
    let cluster = ScramCluster::start();
    let in_url = migrate_status(&cluster.url(Some(WRONG_PASSWORD)), &[]);
    assert_refused(&in_url, cluster.port);
    let in_env = migrate_status(&cluster.url(None), &[("PGPASSWORD", WRONG_PASSWORD)]);
    assert_refused(&in_env, cluster.port);
}

#[test]
fn the_right_password_against_a_scram_server_connects() {
    let cluster = ScramCluster::start();
    let in_url = migrate_status(&cluster.url(Some(RIGHT_PASSWORD)), &[]);
    assert_exit(&in_url, 0);
    assert!(!in_url.text().contains(RIGHT_PASSWORD), "{in_url:?}");
    let in_env = migrate_status(&cluster.url(None), &[("PGPASSWORD", RIGHT_PASSWORD)]);
    assert_exit(&in_env, 0);
}
