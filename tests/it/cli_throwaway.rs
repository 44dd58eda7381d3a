//! The throwaway cluster through the binary: `migrate` with nothing configured applies
//! everything and leaves nothing behind; a long `seed` interrupted by SIGINT or SIGTERM
//! (while the cluster is set up, or mid-seed) leaves nothing behind either. Must not
//! need DATABASE_URL.

use crate::common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

const NOTICE: &str = "using a throwaway PostgreSQL cluster (removed at exit)";

/// Sessions for a seed that runs far longer than any test waits (it is always interrupted).
const LONG_SEED_SESSIONS: &str = "2000000";

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

/// A long `seed` on a throwaway cluster in `tmp`, and the lines it writes to stderr as
/// they come (read on a thread, so waiting for one can time out).
fn spawn_long_seed(tmp: &Path) -> (Child, Receiver<String>) {
    let mut child = common::tool()
        .args(["seed", "--sessions", LONG_SEED_SESSIONS])
        .env("TMPDIR", tmp)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let (sender, lines) = channel();
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    (child, lines)
}

/// Waits (two minutes at most) for a stderr line starting with `prefix`.
fn wait_for_line(lines: &Receiver<String>, prefix: &str) {
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) if line.starts_with(prefix) => return,
            Ok(line) => seen.push(line),
            Err(RecvTimeoutError::Timeout) => {
                panic!("no `{prefix}` line within 2 minutes: {seen:?}")
            }
            Err(RecvTimeoutError::Disconnected) => {
                panic!("stderr ended before `{prefix}`: {seen:?}")
            }
        }
    }
}

/// Every stderr line not read yet (the process has exited).
fn remaining(lines: &Receiver<String>) -> String {
    lines.iter().collect::<Vec<_>>().join("\n")
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
    let (mut child, lines) = spawn_long_seed(tmp.path());
    wait_for_line(&lines, &format!("seeding {LONG_SEED_SESSIONS} sessions"));
    let cluster_dir = wait_for_running_cluster(tmp.path(), &mut child);
    assert!(
        !processes_mentioning(&cluster_dir).is_empty(),
        "the server runs before the signal"
    );
    let status = signal_and_wait(&mut child, signal);
    let stderr = remaining(&lines);
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
    let (mut child, lines) = spawn_long_seed(tmp.path());
    wait_for_line(&lines, NOTICE);
    // The notice is printed before initdb runs: signal the set-up phase.
    let status = signal_and_wait(&mut child, Signal::SIGINT);
    let rest = remaining(&lines);
    assert_eq!(status.code(), Some(130), "{rest}");
    assert_nothing_left(tmp.path());
}

#[test]
fn the_second_throwaway_cluster_copies_the_cached_initdb_output() {
    let (tmp, cache) = (common::shared_tempdir(), common::shared_tempdir());
    let migrate = || {
        common::tool()
            .arg("migrate")
            .env("TMPDIR", tmp.path())
            .env("TECHSPEC_BENCH_CACHE_DIR", cache.path())
            .output()
            .unwrap()
    };
    let first = migrate();
    assert_eq!(first.status.code(), Some(0), "{first:?}");
    let templates = entries(cache.path());
    assert_eq!(templates.len(), 1, "{templates:?}");
    let template = &templates[0];
    assert!(
        template
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("initdb-")
    );
    assert!(template.join("PG_VERSION").is_file());
    // The copy serves the next cluster: same outcome, and the template is left as it was.
    let second = migrate();
    assert_eq!(second.status.code(), Some(0), "{second:?}");
    assert!(String::from_utf8_lossy(&second.stdout).contains("applied 0003_tech_spec_indexes"));
    assert_eq!(entries(cache.path()), templates);
    assert_nothing_left(tmp.path());
}

#[test]
fn the_second_run_of_the_day_copies_the_cached_seeded_dataset() {
    let (tmp, cache) = (common::shared_tempdir(), common::shared_tempdir());
    let run = || {
        common::tool()
            .args(["run", "--filter", "session_by_id", "--budget", "20ms"])
            .env("TMPDIR", tmp.path())
            .env("TECHSPEC_BENCH_CACHE_DIR", cache.path())
            .output()
            .unwrap()
    };
    let first = run();
    let first_err = String::from_utf8_lossy(&first.stderr);
    assert_eq!(first.status.code(), Some(0), "{first:?}");
    assert!(first_err.contains("seeding 10000 sessions"), "{first_err}");
    let seeded: Vec<PathBuf> = entries(cache.path())
        .into_iter()
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("seeded-")
        })
        .collect();
    assert_eq!(seeded.len(), 1, "{:?}", entries(cache.path()));
    assert!(seeded[0].join("PG_VERSION").is_file());
    // The copy serves the next run: no seeding, the same scenario measured.
    let second = run();
    let second_err = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(0), "{second:?}");
    assert!(
        second_err.contains("using today's cached dataset"),
        "{second_err}"
    );
    assert!(!second_err.contains("seeding"), "{second_err}");
    assert!(String::from_utf8_lossy(&second.stdout).contains("session_by_id"));
    assert_eq!(
        entries(cache.path())
            .into_iter()
            .filter(|p| p
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("seeded-"))
            .collect::<Vec<_>>(),
        seeded
    );
    assert_nothing_left(tmp.path());
}
