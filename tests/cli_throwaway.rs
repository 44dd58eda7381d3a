//! The throwaway cluster through the binary: `migrate` with nothing configured applies
//! everything and leaves nothing behind, also when interrupted by SIGINT or SIGTERM
//! mid-command. Must not need DATABASE_URL.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

const NOTICE: &str = "using a throwaway PostgreSQL cluster (removed at exit)";

/// Processes whose command line mentions `needle` (e.g. a cluster directory).
fn processes_mentioning(needle: &Path) -> Vec<String> {
    let needle = needle.to_string_lossy().into_owned();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            let text = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            text.contains(&needle)
                .then(|| format!("{}: {text}", entry.file_name().to_string_lossy()))
        })
        .collect()
}

/// Waits until a cluster directory in `tmp` has its server socket, and returns it.
fn wait_for_running_cluster(tmp: &Path, child: &mut Child) -> PathBuf {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        assert!(
            child.try_wait().unwrap().is_none(),
            "techspec-bench ended before the cluster ran"
        );
        let found = entries(tmp)
            .into_iter()
            .find(|dir| dir.join(".s.PGSQL.5432").exists());
        if let Some(dir) = found {
            return dir;
        }
        assert!(
            Instant::now() < deadline,
            "no throwaway cluster socket appeared in {}",
            tmp.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn wait_with_limit(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("techspec-bench did not exit within {limit:?} after the signal");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// What `dir` holds.
fn entries(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect()
}

/// `migrate` on a throwaway cluster in `tmp` that pauses once its database is open, with
/// stderr piped.
fn spawn_paused_migrate(tmp: &Path) -> Child {
    common::tool()
        .arg("migrate")
        .env("TMPDIR", tmp)
        .env("TECHSPEC_BENCH_PAUSE_AFTER_OPEN_MS", "600000")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Sends `signal` to `child` and waits (a minute at most) for it to exit.
fn signal_and_wait(child: &mut Child, signal: Signal) -> std::process::ExitStatus {
    kill(Pid::from_raw(child.id() as i32), signal).unwrap();
    wait_with_limit(child, Duration::from_secs(60))
}

fn assert_nothing_left(tmp: &Path) {
    let left = entries(tmp);
    assert!(left.is_empty(), "left behind in TMPDIR: {left:?}");
    let processes = processes_mentioning(tmp);
    assert!(
        processes.is_empty(),
        "processes still running: {processes:?}"
    );
}

#[test]
fn migrate_with_nothing_configured_uses_a_throwaway_cluster_and_removes_it() {
    let tmp = common::shared_tempdir();
    let output = common::tool()
        .arg("migrate")
        .env("TMPDIR", tmp.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(stderr.matches(NOTICE).count(), 1, "{stderr}");
    for label in [
        "applied 0001_shared_stand_in",
        "applied 0002_tech_spec_tables",
        "applied 0003_tech_spec_indexes",
    ] {
        assert!(stdout.contains(label), "{stdout}");
    }
    assert_nothing_left(tmp.path());
}

fn interrupted_mid_command_leaves_nothing(signal: Signal) {
    let tmp = common::shared_tempdir();
    let mut child = spawn_paused_migrate(tmp.path());
    let cluster_dir = wait_for_running_cluster(tmp.path(), &mut child);
    assert!(
        !processes_mentioning(&cluster_dir).is_empty(),
        "the server runs before the signal"
    );
    let status = signal_and_wait(&mut child, signal);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert_nothing_left(tmp.path());
}

#[test]
fn sigint_mid_command_stops_and_removes_the_cluster() {
    interrupted_mid_command_leaves_nothing(Signal::SIGINT);
}

#[test]
fn sigterm_mid_command_stops_and_removes_the_cluster() {
    interrupted_mid_command_leaves_nothing(Signal::SIGTERM);
}

#[test]
fn sigint_while_the_cluster_is_being_set_up_leaves_nothing() {
    let tmp = common::shared_tempdir();
    let mut child = spawn_paused_migrate(tmp.path());
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut first_line = String::new();
    stderr.read_line(&mut first_line).unwrap();
    assert!(first_line.starts_with(NOTICE), "{first_line}");
    // The notice is printed before initdb runs: signal the set-up phase.
    let status = signal_and_wait(&mut child, Signal::SIGINT);
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert_eq!(status.code(), Some(130), "{rest}");
    assert_nothing_left(tmp.path());
}
