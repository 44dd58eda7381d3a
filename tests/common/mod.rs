//! Test harness: one fresh database per test on a shared server, dropped at the end.
//! Must not be used by the binary; only integration tests include it.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

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
        let mut files: Vec<_> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
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
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
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
