//! Test harness: a private PostgreSQL cluster on a free TCP port of 127.0.0.1, with TLS
//! on (a test CA, and a server certificate for `db.example` only) or off, stopped and
//! deleted on drop. Certificates are made with the `openssl` command. Must not be used by
//! the binary, and must not touch the DATABASE_URL server.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The only name the server certificate is valid for.
pub const CERT_HOST: &str = "db.example";

/// A running cluster; dropping it stops the server and deletes its directory.
pub struct TlsCluster {
    dir: tempfile::TempDir,
    server: Child,
    pub port: u16,
}

impl TlsCluster {
    /// initdb, then the server with `ssl` on or off; waits until it accepts connections.
    pub fn start(ssl: bool) -> TlsCluster {
        let dir = tempfile::Builder::new()
            .prefix("tsb-tls-")
            .tempdir_in("/tmp")
            .expect("temp dir");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        make_certificates(dir.path());
        hand_to_server_user(dir.path());
        let (bindir, data) = init_cluster(dir.path());
        let port = free_port();
        let server = server_command(&bindir.join("postgres"), dir.path(), "postgres.log")
            .arg("-D")
            .arg(&data)
            .arg("-k")
            .arg(dir.path())
            .args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1"])
            .args(["-c", &format!("ssl={}", if ssl { "on" } else { "off" })])
            .args([
                "-c",
                &format!("ssl_cert_file={}", dir.path().join("server.crt").display()),
            ])
            .args([
                "-c",
                &format!("ssl_key_file={}", dir.path().join("server.key").display()),
            ])
            .spawn()
            .expect("start postgres");
        let cluster = TlsCluster { dir, server, port };
        cluster.wait_until_ready();
        cluster
    }

    /// The test CA's certificate (signed the server certificate).
    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.crt")
    }

    /// Another CA's certificate (did not sign the server certificate).
    pub fn wrong_ca(&self) -> PathBuf {
        self.dir.path().join("wrong-ca.crt")
    }

    /// A URL for user and database `postgres` at `host` (connecting to 127.0.0.1
    /// whatever the host name) with extra query parameters.
    pub fn url(&self, host: &str, params: &str) -> String {
        format!(
            "postgres://postgres@{host}:{}/postgres?hostaddr=127.0.0.1&{params}",
            self.port
        )
    }

    /// Polls on a thread of its own (callers may be inside a tokio runtime).
    fn wait_until_ready(&self) {
        let url = format!(
            "host=127.0.0.1 port={} user=postgres dbname=postgres sslmode=disable",
            self.port
        );
        let ready = std::thread::spawn(move || {
            let started = Instant::now();
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            while started.elapsed() < Duration::from_secs(90) {
                if runtime
                    .block_on(tokio_postgres::connect(&url, tokio_postgres::NoTls))
                    .is_ok()
                {
                    return true;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            false
        })
        .join()
        .unwrap();
        assert!(
            ready,
            "the TLS test cluster did not start: {}",
            log(self.dir.path(), "postgres.log")
        );
    }
}

impl Drop for TlsCluster {
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

/// Runs initdb (as the server's OS user) into `dir`/data; returns the server binaries'
/// directory and the data directory.
pub fn init_cluster(dir: &Path) -> (PathBuf, PathBuf) {
    let bindir = techspec_bench::db::pg_install::find(&|key| std::env::var(key).ok())
        .expect("PostgreSQL server binaries (apt-get install postgresql)");
    let data = dir.join("data");
    let status = server_command(&bindir.join("initdb"), dir, "initdb.log")
        .arg("-D")
        .arg(&data)
        .args(["-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"])
        .status()
        .expect("run initdb");
    assert!(
        status.success(),
        "initdb failed: {}",
        log(dir, "initdb.log")
    );
    (bindir, data)
}

/// A server binary, run as the `postgres` OS user when the tests run as root.
pub fn server_command(program: &Path, dir: &Path, log_name: &str) -> Command {
    let log = std::fs::File::create(dir.join(log_name)).unwrap();
    let mut command = Command::new(program);
    command
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .process_group(0);
    if let Some(user) = server_user() {
        command.uid(user.uid.as_raw()).gid(user.gid.as_raw());
    }
    command
}

/// The `postgres` OS user when the tests run as root (PostgreSQL refuses root).
pub fn server_user() -> Option<nix::unistd::User> {
    if !nix::unistd::geteuid().is_root() {
        return None;
    }
    Some(
        nix::unistd::User::from_name("postgres")
            .unwrap()
            .expect("a `postgres` OS user to run the server as"),
    )
}

/// The directory and the server key go to the server's OS user; the key is 0600.
fn hand_to_server_user(dir: &Path) {
    let key = dir.join("server.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    if let Some(user) = server_user() {
        for path in [dir, key.as_path()] {
            nix::unistd::chown(path, Some(user.uid), Some(user.gid)).unwrap();
        }
    }
}

/// A CA, a server certificate it signs for `db.example` only, and an unrelated CA.
fn make_certificates(dir: &Path) {
    for ca in ["ca", "wrong-ca"] {
        openssl(
            dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-days",
                "2",
                "-subj",
                &format!("/CN=techspec-bench test {ca}"),
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
                "-keyout",
                &format!("{ca}.key"),
                "-out",
                &format!("{ca}.crt"),
            ],
        );
    }
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-subj",
            &format!("/CN={CERT_HOST}"),
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ],
    );
    std::fs::write(
        dir.join("server.ext"),
        format!(
            "subjectAltName=DNS:{CERT_HOST}\nbasicConstraints=CA:FALSE\n\
             keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
        ),
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-set_serial",
            "1",
            "-days",
            "2",
            "-extfile",
            "server.ext",
            "-out",
            "server.crt",
        ],
    );
}

fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the openssl command (apt-get install openssl)");
    assert!(
        output.status.success(),
        "openssl {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A server log in `dir` (empty when missing).
pub fn log(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_default()
}
