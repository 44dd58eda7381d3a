//! The throwaway cluster when the tool is killed by SIGKILL: its server ends within
//! seconds, and the next start removes the directory left behind (and nothing else).
//! Must not need DATABASE_URL.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use techspec_bench::db::cluster::leftovers::{DIR_PREFIX, OWNER_FILE};

/// How long the server may take to end after the tool was killed.
const SERVER_END_LIMIT: Duration = Duration::from_secs(10);

/// One process, identified by pid and start time (so a reused pid does not count).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Process {
    pid: i32,
    started: u64,
}

/// State letter, parent pid and start time of `pid`, from `/proc/<pid>/stat`.
fn stat(pid: i32) -> Option<(char, i32, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = text[text.rfind(')')? + 1..].split_whitespace().collect();
    let state = fields.first()?.chars().next()?;
    Some((
        state,
        fields.get(1)?.parse().ok()?,
        fields.get(19)?.parse().ok()?,
    ))
}

/// Every pid in `/proc`.
fn pids() -> Vec<i32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .collect()
}

/// True while `process` runs (a zombie has ended).
fn runs(process: Process) -> bool {
    stat(process.pid).is_some_and(|(state, _, started)| state != 'Z' && started == process.started)
}

/// Running processes whose command line mentions `needle`.
fn processes_mentioning(needle: &Path) -> Vec<Process> {
    let needle = needle.to_string_lossy().into_owned();
    pids()
        .into_iter()
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains(&needle))
        })
        .filter_map(|pid| {
            let (_, _, started) = stat(pid)?;
            Some(Process { pid, started }).filter(|p| runs(*p))
        })
        .collect()
}

/// The postmaster serving `dir/data` and its children (backends and background
/// processes, whose titles do not mention the directory).
fn cluster_processes(dir: &Path) -> Vec<Process> {
    let postmasters = processes_mentioning(&dir.join("data"));
    let children = pids().into_iter().filter_map(|pid| {
        let (state, parent, started) = stat(pid)?;
        (state != 'Z' && postmasters.iter().any(|p| p.pid == parent))
            .then_some(Process { pid, started })
    });
    let mut all = postmasters.clone();
    all.extend(children);
    all
}

/// What `dir` holds.
fn entries(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect()
}

/// Kills the tool if a test fails while it runs.
struct Tool(Child);

impl Drop for Tool {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits until a cluster directory in `tmp` has its socket and a server running on its
/// data directory; returns the directory and the server's processes.
fn wait_for_running_cluster(tmp: &Path, tool: &mut Tool) -> (PathBuf, Vec<Process>) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        assert!(
            tool.0.try_wait().unwrap().is_none(),
            "techspec-bench ended before the cluster ran"
        );
        let up = entries(tmp).into_iter().find_map(|dir| {
            let processes = cluster_processes(&dir);
            (dir.join(".s.PGSQL.5432").exists() && !processes.is_empty())
                .then_some((dir, processes))
        });
        if let Some(up) = up {
            return up;
        }
        assert!(
            Instant::now() < deadline,
            "no throwaway cluster came up in {}",
            tmp.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits (at most `SERVER_END_LIMIT`) until none of `processes` runs and no process
/// mentions `dir`; panics with what still runs otherwise.
fn assert_server_ends(dir: &Path, processes: &[Process]) {
    let deadline = Instant::now() + SERVER_END_LIMIT;
    loop {
        let mut left: Vec<Process> = processes.iter().copied().filter(|p| runs(*p)).collect();
        for process in processes_mentioning(dir) {
            if !left.contains(&process) {
                left.push(process);
            }
        }
        if left.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{SERVER_END_LIMIT:?} after SIGKILL of the tool, the server still runs: {left:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn sigkill_of_the_tool_ends_the_server_and_the_next_start_removes_the_directory() {
    let tmp = common::shared_tempdir();
    let mut tool = Tool(
        common::tool()
            .args(["seed", "--sessions", "2000000"])
            .env("TMPDIR", tmp.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let (dir, processes) = wait_for_running_cluster(tmp.path(), &mut tool);
    tool.0.kill().unwrap();
    tool.0.wait().unwrap();
    assert_server_ends(&dir, &processes);
    assert!(
        dir.join(OWNER_FILE).exists(),
        "the killed tool's directory {} is expected to stay until the next start",
        dir.display()
    );

    let foreign = tmp.path().join(format!("{DIR_PREFIX}not-ours"));
    std::fs::create_dir(&foreign).unwrap();
    let output = common::tool()
        .arg("migrate")
        .env("TMPDIR", tmp.path())
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        entries(tmp.path()),
        [foreign],
        "only the directory without an owner file may stay"
    );
}
