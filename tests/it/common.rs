//! Test harness: one fresh database per test on a shared server, dropped at the end.
//! Must not be used by the binary; only integration tests include it.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use techspec_bench::config::model::{
    Expectations, LoadAmount, LoadShape, Origin, ParamGen, Scenario, Step,
};
use techspec_bench::db::DbTarget;
use techspec_bench::db::target::{self, Resolved};
use tokio_postgres::NoTls;

/// The admin URL of the server tests run against (`DATABASE_URL`).
pub fn admin_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| {
        panic!(
            "integration tests need PostgreSQL: set DATABASE_URL to a server where the test user may \
             CREATE DATABASE, e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
             (.ci/run does this)"
        )
    })
}

/// A database created for one test and dropped when this value is dropped.
pub struct TestDb {
    pub name: String,
    pub url: String,
    admin: String,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestDb {
    /// Creates an empty database with a unique name.
    pub async fn create(label: &str) -> TestDb {
        let admin = admin_url();
        let name = format!(
            "tsb_{}_{}_{}",
            label,
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let client = connect(&admin).await;
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("CREATE DATABASE");
        let url = with_database(&admin, &name);
        TestDb { name, url, admin }
    }

    /// A client connected to this test's database.
    pub async fn client(&self) -> tokio_postgres::Client {
        connect(&self.url).await
    }

    /// Applies every file of migrations/ in order, as plain SQL (a fixture that does not
    /// depend on the tool's migration runner).
    pub async fn apply_schema_files(&self) {
        let client = self.client().await;
        let mut files: Vec<_> =
            std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x == "sql"))
                .collect();
        files.sort();
        for file in files {
            let sql = std::fs::read_to_string(&file).unwrap();
            client
                .batch_execute(&sql)
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let name = self.name.clone();
        // Drop on a separate thread with its own runtime: Drop may run inside a runtime.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let client = connect(&admin).await;
                let _ = client
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await;
            });
        })
        .join();
    }
}

/// Connects without TLS and spawns the connection task.
pub async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {}: {e}", redact(url)));
    tokio::spawn(connection);
    client
}

/// The target of `url`, resolved as `--database-url` is, without TLS and without
/// reading the environment (no password file, no `PG*` variables).
pub fn target(url: &str) -> DbTarget {
    let without_tls = |key: &str| (key == "PGSSLMODE").then(|| "disable".to_string());
    match target::resolve(Some(url), &without_tls, None) {
        Ok(Resolved::Named(target, _)) => target,
        other => panic!(
            "cannot resolve the test database {}: {other:?}",
            redact(url)
        ),
    }
}

/// `url` with its database replaced by `dbname`.
pub fn with_database(url: &str, dbname: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("DATABASE_URL must be a postgres:// URL");
    parsed.set_path(&format!("/{dbname}"));
    parsed.to_string()
}

fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// Environment variables that choose a database or change the throwaway cluster.
pub const CONNECTION_ENV: [&str; 15] = [
    "DATABASE_URL",
    "PGHOST",
    "PGPORT",
    "PGUSER",
    "PGPASSWORD",
    "PGDATABASE",
    "PGSSLMODE",
    "PGSSLROOTCERT",
    "PGPASSFILE",
    "PGSERVICE",
    "PGSERVICEFILE",
    "PGSYSCONFDIR",
    "PGCONNECT_TIMEOUT",
    "PGAPPNAME",
    "TECHSPEC_BENCH_PG_BINDIR",
];

/// The techspec-bench binary, with none of `CONNECTION_ENV` inherited (so without
/// arguments it uses a throwaway cluster).
pub fn tool() -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_techspec-bench"));
    for variable in CONNECTION_ENV {
        command.env_remove(variable);
    }
    command
}

/// A temporary directory the `postgres` OS user can enter (tests run as root, and the
/// throwaway cluster then runs as `postgres`), to pass as `TMPDIR`.
pub fn shared_tempdir() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::Builder::new()
        .prefix("tsb-test-")
        .tempdir_in("/tmp")
        .expect("temp dir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
        .expect("chmod temp dir");
    dir
}

/// The Tech Spec tables and the Design Agent's tables, as `schema.table`.
pub const DATA_TABLES: [&str; 8] = [
    "shared.design_jobs",
    "shared.design_outputs",
    "shared.design_decisions",
    "public.tech_spec_sessions",
    "public.tech_research",
    "public.tech_conversations",
    "public.trd_documents",
    "public.tech_error_logs",
];

/// A scenario of group `tests` from `tests/inline.toml:1`: one client, no warmup, no
/// transaction, no expectations, a 30 s statement timeout. Tests override what they need.
pub fn scenario(name: &str, steps: Vec<Step>, amount: LoadAmount) -> Scenario {
    Scenario {
        name: name.into(),
        group: "tests".into(),
        description: None,
        origin: Origin {
            file: "tests/inline.toml".into(),
            line: 1,
        },
        load: LoadShape {
            amount,
            warmup: 0,
            clients: 1,
            rate: None,
        },
        steps,
        transaction: None,
        expect: Expectations::default(),
        statement_timeout: Duration::from_secs(30),
        max_growth: None,
        protocol: Default::default(),
    }
}

/// One step without captures.
pub fn step(sql: &str, params: Vec<ParamGen>) -> Step {
    Step {
        sql: sql.into(),
        params,
        captures: Vec::new(),
    }
}
