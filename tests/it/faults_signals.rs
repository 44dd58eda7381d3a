//! Ctrl-C (SIGINT) and SIGTERM during each command that works on a database — migrate,
//! seed, run, explain — end to end against a real PostgreSQL: exit 130 with "interrupted",
//! result files either absent or complete JSON (never half written, no temporary file
//! left), an interrupted migrate or seed leaves the database as it was, and an interrupted
//! run on a throwaway cluster leaves no cluster behind. `seed` on a throwaway cluster is
//! covered by cli_throwaway. Must not share databases with other tests.

use crate::cli_support;
use crate::common;
use crate::faults::{Tool, running_cluster, scenario_file, spawn_run, wait_for_results};

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use cli_support::{assert_exit, checksums, command_in, migrated, read_json, scenario};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// Key of the advisory lock `migrate` takes (src/db/migrate.rs: "techspec" in ASCII).
const MIGRATION_LOCK_KEY: i64 = 0x7465_6368_7370_6563;

/// How long anything the test waits for may take on a loaded machine.
const PATIENCE: Duration = Duration::from_secs(180);

/// Sends `signal` to the tool and waits for it to end: it must exit 130, saying so.
fn interrupt(mut tool: Tool, signal: Signal) -> cli_support::Outcome {
    assert!(tool.0.try_wait().unwrap().is_none(), "the tool ended early");
    kill(Pid::from_raw(tool.0.id() as i32), signal).unwrap();
    let outcome = tool.finish(Duration::from_secs(60));
    assert_exit(&outcome, 130);
    assert!(outcome.stderr.contains("interrupted"), "{outcome:?}");
    outcome
}

/// Starts the tool in `dir` on `url` with `args`, its output captured.
fn spawn(dir: &Path, url: &str, args: &[&str]) -> Tool {
    Tool(
        command_in(dir, url, args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    )
}

/// Polls `probe` (a query returning one bool) until it is true.
async fn wait_until(client: &tokio_postgres::Client, probe: &str, what: &str, tool: &mut Tool) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let done: bool = client.query_one(probe, &[]).await.unwrap().get(0);
        if done {
            return;
        }
        assert!(tool.0.try_wait().unwrap().is_none(), "the tool ended early");
        assert!(Instant::now() < deadline, "never saw: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until `client` is the only session left in its database (the interrupted tool's
/// backends have ended, their transactions rolled back).
async fn wait_for_other_sessions_to_end(client: &tokio_postgres::Client) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let others: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_stat_activity \
                 WHERE datname = current_database() AND pid <> pg_backend_pid()",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if others == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{others} session(s) of the interrupted tool still open"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The names of what `dir` holds, sorted.
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

async fn migrate_interrupted_while_waiting_on_the_lock(signal: Signal, label: &str) {
    let db = common::TestDb::create(label).await;
    let holder = db.client().await;
    holder
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK_KEY])
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut tool = spawn(
        dir.path(),
        &db.url,
        &["migrate", "--create-shared-stand-in"],
    );
    wait_until(
        &holder,
        "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() \
         AND wait_event_type = 'Lock' AND wait_event = 'advisory')",
        "migrate waiting on the migration lock",
        &mut tool,
    )
    .await;
    interrupt(tool, signal);
    holder
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK_KEY])
        .await
        .unwrap();
    wait_for_other_sessions_to_end(&holder).await;
    let created: i64 = holder
        .query_one(
            "SELECT count(*) FROM pg_namespace WHERE nspname IN ('techspec_bench', 'shared')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(created, 0, "the interrupted migrate created schemas");
    assert_eq!(names_in(dir.path()), Vec::<String>::new());
}

#[tokio::test]
async fn sigint_while_migrate_waits_on_the_migration_lock_exits_130_and_applies_nothing() {
    migrate_interrupted_while_waiting_on_the_lock(Signal::SIGINT, "sig_migrate_int").await;
}

#[tokio::test]
async fn sigterm_while_migrate_waits_on_the_migration_lock_exits_130_and_applies_nothing() {
    migrate_interrupted_while_waiting_on_the_lock(Signal::SIGTERM, "sig_migrate_term").await;
}

/// The schemas a seed writes to (and the tool's bookkeeping).
const SEEDED_SCHEMAS: [&str; 3] = ["public", "shared", "techspec_bench"];

/// Index definitions of the seeded schemas, sorted.
async fn indexes(client: &tokio_postgres::Client) -> Vec<String> {
    client
        .query(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = ANY($1) ORDER BY 1",
            &[&SEEDED_SCHEMAS.to_vec()],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect()
}

async fn seed_interrupted_mid_copy(signal: Signal, label: &str) {
    let db = migrated(label).await;
    let watcher = db.client().await;
    let before = (
        checksums(&watcher, &SEEDED_SCHEMAS).await,
        indexes(&watcher).await,
    );
    let dir = tempfile::tempdir().unwrap();
    let mut tool = spawn(dir.path(), &db.url, &["seed", "--sessions", "2000000"]);
    wait_until(
        &watcher,
        "SELECT EXISTS (SELECT 1 FROM pg_stat_progress_copy p \
         WHERE p.datid = (SELECT oid FROM pg_database WHERE datname = current_database()) \
         AND p.tuples_processed > 0)",
        "a COPY of the seed under way",
        &mut tool,
    )
    .await;
    interrupt(tool, signal);
    wait_for_other_sessions_to_end(&watcher).await;
    let after = (
        checksums(&watcher, &SEEDED_SCHEMAS).await,
        indexes(&watcher).await,
    );
    assert_eq!(before, after, "the interrupted seed changed the database");
    assert_eq!(names_in(dir.path()), Vec::<String>::new());
}

#[tokio::test]
async fn sigint_mid_seed_exits_130_and_leaves_the_database_as_it_was() {
    seed_interrupted_mid_copy(Signal::SIGINT, "sig_seed_int").await;
}

#[tokio::test]
async fn sigterm_mid_seed_exits_130_and_leaves_the_database_as_it_was() {
    seed_interrupted_mid_copy(Signal::SIGTERM, "sig_seed_term").await;
}

/// A quick scenario, then one that runs until interrupted.
const QUICK_THEN_ENDLESS: &str = "[[scenario]]\nname = \"quick\"\nsql = \"SELECT 1\"\niterations = 10\n\
     [[scenario]]\nname = \"endless\"\nsql = \"SELECT pg_sleep(0.01)\"\nduration = \"1h\"\n";

/// The results file holds the finished scenario only, complete, and `dir` holds nothing
/// else but the scenario file (no temporary file of an interrupted write).
fn assert_results_of_the_quick_scenario_only(dir: &Path, json: &Path) {
    let results = read_json(json);
    let names: Vec<&str> = results["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["quick"], "{results}");
    assert_eq!(scenario(&results, "quick")["status"], "pass");
    assert_eq!(names_in(dir), ["results.json", "scenarios.toml"]);
}

#[tokio::test]
async fn sigint_mid_run_exits_130_and_keeps_complete_results() {
    let db = migrated("sig_run_int").await;
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(dir.path(), QUICK_THEN_ENDLESS);
    let (mut tool, json) = spawn_run(dir.path(), &db.url, &file, &[]);
    wait_for_results(&json, 1, &mut tool);
    std::thread::sleep(Duration::from_millis(500));
    interrupt(tool, Signal::SIGINT);
    assert_results_of_the_quick_scenario_only(dir.path(), &json);
}

/// `run` on a throwaway cluster in a private TMPDIR, interrupted mid-scenario: the
/// results so far stay, and neither the cluster's directory nor its server remains.
fn run_on_a_throwaway_cluster_interrupted(signal: Signal) {
    let tmp = common::shared_tempdir();
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(dir.path(), QUICK_THEN_ENDLESS);
    let json = dir.path().join("results.json");
    let child = common::tool()
        .current_dir(dir.path())
        .env("TMPDIR", tmp.path())
        .args(["--color", "never", "run", "--sessions", "20"])
        .args(["--scenarios", &file, "--json", json.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut tool = Tool(child);
    let cluster = running_cluster(tmp.path(), &mut tool);
    wait_for_results(&json, 1, &mut tool);
    std::thread::sleep(Duration::from_millis(500));
    interrupt(tool, signal);
    assert_results_of_the_quick_scenario_only(dir.path(), &json);
    assert_no_cluster_left(tmp.path(), &cluster);
}

/// Nothing is left in `tmp`, and no process mentions the cluster directory.
fn assert_no_cluster_left(tmp: &Path, cluster: &Path) {
    let left: Vec<PathBuf> = std::fs::read_dir(tmp)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert!(left.is_empty(), "left behind in TMPDIR: {left:?}");
    let needle = cluster.to_string_lossy().into_owned();
    let running: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|entry| {
            let cmdline = std::fs::read(entry.ok()?.path().join("cmdline")).ok()?;
            let text = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            text.contains(&needle).then_some(text)
        })
        .collect();
    assert!(running.is_empty(), "still running: {running:?}");
}

#[test]
fn sigint_mid_run_on_a_throwaway_cluster_leaves_no_cluster() {
    run_on_a_throwaway_cluster_interrupted(Signal::SIGINT);
}

#[test]
fn sigterm_mid_run_on_a_throwaway_cluster_leaves_no_cluster() {
    run_on_a_throwaway_cluster_interrupted(Signal::SIGTERM);
}

async fn explain_interrupted_mid_statement(signal: Signal, label: &str) {
    let db = migrated(label).await;
    let watcher = db.client().await;
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(
        dir.path(),
        "[[scenario]]\nname = \"slow\"\nsql = \"SELECT pg_sleep(600)\"\niterations = 1\nstatement_timeout = \"15m\"\n",
    );
    let plans = dir.path().join("plans.json");
    let mut tool = spawn(
        dir.path(),
        &db.url,
        &[
            "explain",
            "--scenarios",
            &file,
            "--json",
            plans.to_str().unwrap(),
        ],
    );
    wait_until(
        &watcher,
        "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() \
         AND state = 'active' AND query LIKE 'EXPLAIN%pg_sleep%')",
        "the EXPLAIN ANALYZE of the slow scenario under way",
        &mut tool,
    )
    .await;
    interrupt(tool, signal);
    assert_eq!(
        names_in(dir.path()),
        ["scenarios.toml"],
        "an interrupted explain writes no plans file"
    );
}

#[tokio::test]
async fn sigint_mid_explain_exits_130_and_writes_no_plans_file() {
    explain_interrupted_mid_statement(Signal::SIGINT, "sig_explain_int").await;
}

#[tokio::test]
async fn sigterm_mid_explain_exits_130_and_writes_no_plans_file() {
    explain_interrupted_mid_statement(Signal::SIGTERM, "sig_explain_term").await;
}
