//! Shared helpers of the end-to-end tests of the binary (cli_run, cli_explain, cli_seed):
//! run the tool on a test database, prepare datasets through the binary, checksum tables.
//! Must not prepare data by any other route than the binary's own commands.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{self, TestDb};

/// What one invocation of the binary produced.
pub struct Outcome {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    /// stdout and stderr together, for assertions that do not care which stream.
    pub fn text(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl std::fmt::Debug for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// The directory holding this suite's scenario and threshold files.
pub fn fixture(name: &str) -> String {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "fixtures", "e2e", name]
        .iter()
        .collect();
    path.to_string_lossy().into_owned()
}

/// The binary run from an empty directory (so no ./scenarios or ./thresholds.toml of the
/// repository is picked up), with `--database-url url` before `args`.
pub fn run_tool(url: &str, args: &[&str]) -> Outcome {
    let cwd = tempfile::tempdir().expect("temp cwd");
    run_in(cwd.path(), url, args)
}

/// Like `run_tool`, from `cwd`.
pub fn run_in(cwd: &Path, url: &str, args: &[&str]) -> Outcome {
    let output = command_in(cwd, url, args)
        .output()
        .expect("run techspec-bench");
    Outcome {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The command `run_in` runs, for tests that need to spawn it.
pub fn command_in(cwd: &Path, url: &str, args: &[&str]) -> Command {
    let mut command = common::tool();
    command
        .current_dir(cwd)
        .args(["--color", "never", "--database-url", url])
        .args(args);
    command
}

/// Asserts the binary exited with `expected`, printing everything it said otherwise.
#[track_caller]
pub fn assert_exit(outcome: &Outcome, expected: i32) {
    assert_eq!(outcome.code, Some(expected), "{outcome:?}");
}

/// A fresh database, migrated with the shared stand-in through the binary.
pub async fn migrated(label: &str) -> TestDb {
    let db = TestDb::create(label).await;
    let outcome = run_tool(&db.url, &["migrate", "--create-shared-stand-in"]);
    assert_exit(&outcome, 0);
    db
}

/// A fresh database, migrated and seeded with `sessions` sessions through the binary.
pub async fn seeded(label: &str, sessions: u32) -> TestDb {
    let db = migrated(label).await;
    let sessions = sessions.to_string();
    let outcome = run_tool(&db.url, &["-q", "seed", "--sessions", &sessions]);
    assert_exit(&outcome, 0);
    db
}

/// `(table, md5 of all its rows in a stable order)` for every base table of the given
/// schemas that exists, sorted by table name.
pub async fn checksums(client: &tokio_postgres::Client, schemas: &[&str]) -> Vec<(String, String)> {
    let schemas: Vec<String> = schemas.iter().map(|s| s.to_string()).collect();
    let tables = client
        .query(
            "SELECT format('%I.%I', table_schema, table_name) FROM information_schema.tables \
             WHERE table_type = 'BASE TABLE' AND table_schema = ANY($1) ORDER BY 1",
            &[&schemas],
        )
        .await
        .expect("list tables");
    let mut sums = Vec::new();
    for row in tables {
        let table: String = row.get(0);
        sums.push((table.clone(), checksum(client, &table).await));
    }
    sums
}

/// md5 of the text of every row of `table`, ordered, with the row count.
pub async fn checksum(client: &tokio_postgres::Client, table: &str) -> String {
    let sql = format!(
        "SELECT count(*) || ':' || md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) \
         FROM {table} t"
    );
    client
        .query_one(&sql, &[])
        .await
        .unwrap_or_else(|e| panic!("checksum of {table}: {e}"))
        .get(0)
}

/// Rows in `table`.
pub async fn count(client: &tokio_postgres::Client, table: &str) -> i64 {
    client
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .await
        .unwrap_or_else(|e| panic!("count {table}: {e}"))
        .get(0)
}

/// Reads and parses a JSON file the binary wrote.
pub fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{} was not written: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// The entry of scenario `name` in a techspec-bench/1 results document.
pub fn scenario<'a>(results: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    results["scenarios"]
        .as_array()
        .expect("scenarios array")
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no scenario {name} in {results:#}"))
}
