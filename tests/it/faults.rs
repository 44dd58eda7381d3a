//! Faults during `run`, end to end against a real PostgreSQL: backends terminated
//! mid-scenario, a row lock that makes every iteration time out, a query hanging past the
//! statement timeout, the server stopped mid-run (a throwaway cluster stopped from
//! outside), SIGTERM mid-run. Each checks the exit code, the message, and that nothing
//! already measured is lost. Its tool helpers are shared with faults_signals.
//! Must not share databases with other tests.

use crate::cli_support;
use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use cli_support::{assert_exit, command_in, migrated, read_json, scenario};

/// Kills the tool if a test fails while it runs.
pub struct Tool(pub Child);

impl Drop for Tool {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Tool {
    /// Waits for the tool to end (at most `limit`): exit code, stdout, stderr.
    pub fn finish(mut self, limit: Duration) -> cli_support::Outcome {
        let deadline = Instant::now() + limit;
        while self.0.try_wait().unwrap().is_none() {
            assert!(
                Instant::now() < deadline,
                "the tool still runs after {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let child = std::mem::replace(&mut self.0, dummy_child());
        let output = child.wait_with_output().unwrap();
        cli_support::Outcome {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// An already ended child, left in `Tool` once the real one was taken out.
fn dummy_child() -> Child {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    child.wait().unwrap();
    child
}

/// Writes `toml` as a scenario file in `dir`.
pub fn scenario_file(dir: &Path, toml: &str) -> String {
    let path = dir.join("scenarios.toml");
    std::fs::write(&path, toml).unwrap();
    path.to_string_lossy().into_owned()
}

/// Starts `run` in `dir` with the scenario file and `--json dir/results.json`.
pub fn spawn_run(dir: &Path, url: &str, scenarios: &str, extra: &[&str]) -> (Tool, PathBuf) {
    let json = dir.join("results.json");
    let mut args = vec![
        "run",
        "--scenarios",
        scenarios,
        "--json",
        json.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let child = command_in(dir, url, &args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    (Tool(child), json)
}

/// Waits until the results file lists `count` scenarios.
pub fn wait_for_results(json: &Path, count: usize, tool: &mut Tool) {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let written = std::fs::read_to_string(json)
            .ok()
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
            .and_then(|v| v["scenarios"].as_array().map(Vec::len));
        if written.is_some_and(|n| n >= count) {
            return;
        }
        assert!(tool.0.try_wait().unwrap().is_none(), "the tool ended early");
        assert!(
            Instant::now() < deadline,
            "no results for {count} scenario(s)"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Pids of backends of `client`'s database running exactly `sql`, other than its own.
async fn active_backends(client: &tokio_postgres::Client, sql: &str) -> Vec<i32> {
    client
        .query(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() \
             AND pid <> pg_backend_pid() AND state = 'active' AND query = $1",
            &[&sql],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect()
}

#[tokio::test]
async fn terminated_backends_are_one_error_each_and_the_scenario_keeps_its_iteration_count() {
    const SQL: &str = "SELECT pg_sleep(0.01)";
    let db = migrated("faults_terminate").await;
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(
        dir.path(),
        &format!(
            "[[scenario]]\nname = \"sleepy\"\nsql = \"{SQL}\"\niterations = 300\nclients = 2\nwarmup = 0\n"
        ),
    );
    let (mut tool, json) = spawn_run(dir.path(), &db.url, &file, &[]);
    let watcher = db.client().await;
    let deadline = Instant::now() + Duration::from_secs(120);
    let pids = loop {
        let pids = active_backends(&watcher, SQL).await;
        if pids.len() == 2 {
            break pids;
        }
        assert!(tool.0.try_wait().unwrap().is_none(), "the run ended early");
        assert!(
            Instant::now() < deadline,
            "the two clients never ran together"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    for pid in &pids {
        watcher
            .execute("SELECT pg_terminate_backend($1)", &[pid])
            .await
            .unwrap();
    }
    let outcome = tool.finish(Duration::from_secs(120));
    assert_exit(&outcome, 1);
    let results = read_json(&json);
    let sleepy = scenario(&results, "sleepy");
    assert_eq!(sleepy["errors"], 2, "{sleepy}");
    assert_eq!(sleepy["iterations"], 300, "{sleepy}");
    assert!(sleepy["error_latency_us"].is_object(), "{sleepy}");
    assert!(
        sleepy["reason"]
            .as_str()
            .unwrap()
            .contains("2 query errors"),
        "{sleepy}"
    );
}

#[tokio::test]
async fn a_row_locked_by_another_session_times_out_every_write_and_fails_the_gate() {
    let db = migrated("faults_row_lock").await;
    let holder = db.client().await;
    holder
        .batch_execute(
            "CREATE TABLE public.locked_row (id int PRIMARY KEY, v int NOT NULL); \
             INSERT INTO public.locked_row VALUES (1, 0);",
        )
        .await
        .unwrap();
    // Separately: a BEGIN in the same string would take the table into its transaction.
    holder
        .batch_execute("BEGIN; SELECT * FROM public.locked_row WHERE id = 1 FOR UPDATE;")
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(
        dir.path(),
        "[[scenario]]\nname = \"blocked_write\"\n\
         sql = \"UPDATE public.locked_row SET v = v + 1 WHERE id = 1\"\n\
         transaction = \"rollback\"\niterations = 3\nwarmup = 0\nstatement_timeout = \"100ms\"\n\
         [[scenario]]\nname = \"after\"\nsql = \"SELECT 1\"\niterations = 3\n",
    );
    let (tool, json) = spawn_run(dir.path(), &db.url, &file, &[]);
    let outcome = tool.finish(Duration::from_secs(120));
    assert_exit(&outcome, 1);
    let results = read_json(&json);
    let blocked = scenario(&results, "blocked_write");
    assert_eq!(blocked["status"], "fail", "{blocked}");
    assert_eq!(
        (blocked["iterations"].as_u64(), blocked["errors"].as_u64()),
        (Some(3), Some(3))
    );
    assert!(blocked["latency_us"].is_null(), "{blocked}");
    assert!(
        blocked["reason"]
            .as_str()
            .unwrap()
            .contains("statement timeout"),
        "{blocked}"
    );
    assert_eq!(scenario(&results, "after")["status"], "pass");
    holder.batch_execute("ROLLBACK").await.unwrap();
}

#[tokio::test]
async fn a_query_hanging_past_the_statement_timeout_is_an_error_and_the_run_goes_on() {
    let db = migrated("faults_hang").await;
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(
        dir.path(),
        "[[scenario]]\nname = \"hangs\"\nsql = \"SELECT pg_sleep(30)\"\n\
         iterations = 4\nclients = 2\nwarmup = 0\nstatement_timeout = \"200ms\"\n\
         [[scenario]]\nname = \"after\"\nsql = \"SELECT 1\"\niterations = 5\n",
    );
    let (tool, json) = spawn_run(dir.path(), &db.url, &file, &[]);
    let outcome = tool.finish(Duration::from_secs(120));
    assert_exit(&outcome, 1);
    assert!(outcome.text().contains("hangs"), "{outcome:?}");
    let results = read_json(&json);
    let hangs = scenario(&results, "hangs");
    assert_eq!(hangs["status"], "fail", "{hangs}");
    assert_eq!(
        (hangs["iterations"].as_u64(), hangs["errors"].as_u64()),
        (Some(4), Some(4)),
        "{hangs}"
    );
    assert!(hangs["latency_us"].is_null(), "{hangs}");
    assert!(hangs["error_latency_us"].is_object(), "{hangs}");
    let reason = hangs["reason"].as_str().unwrap();
    assert!(reason.contains("statement timeout"), "{hangs}");
    let after = scenario(&results, "after");
    assert_eq!(after["status"], "pass", "{after}");
    assert_eq!(after["errors"], 0, "{after}");
    assert_eq!(results["summary"]["fail"], 1, "{results}");
}

#[tokio::test]
async fn sigterm_mid_run_exits_130_and_keeps_the_results_already_written() {
    let db = migrated("faults_sigterm").await;
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(
        dir.path(),
        "[[scenario]]\nname = \"quick\"\nsql = \"SELECT 1\"\niterations = 10\n\
         [[scenario]]\nname = \"endless\"\nsql = \"SELECT pg_sleep(0.01)\"\nduration = \"1h\"\n",
    );
    let (mut tool, json) = spawn_run(dir.path(), &db.url, &file, &[]);
    wait_for_results(&json, 1, &mut tool);
    std::thread::sleep(Duration::from_millis(500));
    let pid = nix::unistd::Pid::from_raw(tool.0.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    let outcome = tool.finish(Duration::from_secs(30));
    assert_exit(&outcome, 130);
    let results = read_json(&json);
    assert_eq!(
        results["scenarios"].as_array().unwrap().len(),
        1,
        "{results}"
    );
    assert_eq!(scenario(&results, "quick")["status"], "pass");
}

/// A throwaway cluster directory in `tmp` whose server runs (socket present).
pub fn running_cluster(tmp: &Path, tool: &mut Tool) -> PathBuf {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let found = std::fs::read_dir(tmp)
            .unwrap()
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .find(|dir| dir.join(".s.PGSQL.5432").exists() && dir.join("data").is_dir());
        if let Some(dir) = found {
            return dir;
        }
        assert!(tool.0.try_wait().unwrap().is_none(), "the tool ended early");
        assert!(Instant::now() < deadline, "no throwaway cluster came up");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `pg_ctl stop -m immediate` on `data`, as the cluster's owner.
fn stop_immediately(data: &Path) {
    let bindir = techspec_bench::db::pg_install::find(&|name| std::env::var(name).ok()).unwrap();
    let pg_ctl = bindir.join("pg_ctl");
    let mut command = if nix::unistd::geteuid().is_root() {
        let mut c = std::process::Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(&pg_ctl);
        c
    } else {
        std::process::Command::new(&pg_ctl)
    };
    let status = command
        .args(["stop", "-m", "immediate", "-D"])
        .arg(data)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "pg_ctl stop failed");
}

#[test]
fn the_server_stopped_mid_run_exits_3_keeping_what_was_measured() {
    let tmp = common::shared_tempdir();
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(
        dir.path(),
        "[[scenario]]\nname = \"first\"\nsql = \"SELECT 1\"\niterations = 9\n\
         [[scenario]]\nname = \"partly\"\nsql = \"SELECT 1\"\niterations = 40\n\
         [[scenario]]\nname = \"cut_short\"\nsql = \"SELECT pg_sleep(0.01)\"\nduration = \"10m\"\nclients = 2\n\
         [[scenario]]\nname = \"never\"\nsql = \"SELECT 1\"\niterations = 5\n",
    );
    let json = dir.path().join("results.json");
    let child = common::tool()
        .current_dir(dir.path())
        .env("TMPDIR", tmp.path())
        .args([
            "--color",
            "never",
            "--connect-timeout",
            "2s",
            "run",
            "--sessions",
            "50",
        ])
        .args(["--scenarios", &file, "--json", json.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut tool = Tool(child);
    let cluster = running_cluster(tmp.path(), &mut tool);
    wait_for_results(&json, 1, &mut tool);
    std::thread::sleep(Duration::from_millis(1500));
    stop_immediately(&cluster.join("data"));
    let outcome = tool.finish(Duration::from_secs(60));
    assert_exit(&outcome, 3);
    assert!(
        outcome.stderr.contains("could not be opened again")
            || outcome.stderr.contains("connection"),
        "{outcome:?}"
    );
    let results = read_json(&json);
    // `first` has one window (9 iterations) and finished in the first round; `partly` has
    // four and keeps what its first measured.
    assert_eq!(scenario(&results, "first")["status"], "pass", "{results}");
    let partly = scenario(&results, "partly");
    assert_eq!(partly["status"], "error", "{partly}");
    assert_eq!(partly["iterations"], 10, "{partly}");
    assert!(
        partly["reason"]
            .as_str()
            .unwrap()
            .starts_with("not finished: "),
        "{partly}"
    );
    let cut = scenario(&results, "cut_short");
    assert_eq!(cut["status"], "error", "{cut}");
    let never = scenario(&results, "never");
    assert_eq!(never["status"], "error", "{never}");
    assert!(
        never["reason"].as_str().unwrap().starts_with("not run: "),
        "{never}"
    );
    assert_eq!(results["summary"]["error"], 3, "{results}");
}
