//! Marks each throwaway cluster directory with the process that owns it, and removes the
//! directories whose owner is gone (left behind when the tool was killed by SIGKILL).
//! Must not touch a directory that lacks the name prefix, is a symbolic link, has no
//! readable owner file written by the current OS user, whose owner process still runs
//! (same pid and start time), or whose server still runs.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

/// The name prefix of every throwaway cluster directory in the temporary directory.
pub const DIR_PREFIX: &str = "techspec-bench-";
/// The file in a cluster directory naming the tool process that owns it.
pub const OWNER_FILE: &str = "techspec-bench.owner";
/// The server's pid file, relative to the cluster directory.
const SERVER_PID_FILE: &str = "data/postmaster.pid";

/// The process that owns a cluster directory: pid, and start time (clock ticks after
/// boot, from `/proc/<pid>/stat`) so a reused pid is not mistaken for the owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    pid: i32,
    started: Option<u64>,
}

/// What is known about a process id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessState {
    /// No such process (or only a zombie).
    Gone,
    /// Running, with this start time.
    Running { started: u64 },
    /// Could not be determined; treated as running.
    Unknown,
}

impl Owner {
    /// The current process.
    pub fn current() -> Owner {
        let pid = std::process::id() as i32;
        let started = match process_state(pid) {
            ProcessState::Running { started } => Some(started),
            _ => None,
        };
        Owner { pid, started }
    }

    /// The owner file's text.
    fn to_file_text(self) -> String {
        match self.started {
            Some(started) => format!("pid {}\nstarted {started}\n", self.pid),
            None => format!("pid {}\n", self.pid),
        }
    }

    /// Reads an owner file's text; `None` unless it is exactly what `to_file_text` writes.
    fn from_file_text(text: &str) -> Option<Owner> {
        let mut lines = text.lines();
        let pid = lines.next()?.strip_prefix("pid ")?.parse().ok()?;
        let started = match lines.next() {
            None => None,
            Some(line) => Some(line.strip_prefix("started ")?.parse().ok()?),
        };
        (lines.next().is_none() && pid > 0).then_some(Owner { pid, started })
    }

    /// False only when the owner is known to have ended (gone, or its pid now belongs to
    /// a process started at another time).
    fn is_alive(self, state_of: &dyn Fn(i32) -> ProcessState) -> bool {
        match (state_of(self.pid), self.started) {
            (ProcessState::Gone, _) => false,
            (ProcessState::Running { started }, Some(recorded)) => started == recorded,
            _ => true,
        }
    }
}

/// Writes the owner file of the current process into a new cluster directory.
pub fn mark(dir: &Path) -> crate::Result<()> {
    let path = dir.join(OWNER_FILE);
    File::create_new(&path)
        .and_then(|mut file| file.write_all(Owner::current().to_file_text().as_bytes()))
        .map_err(|e| {
            crate::Error::environment(format!(
                "cannot write {}: {e}; check that the temporary directory (TMPDIR) is writable",
                path.display()
            ))
        })
}

/// What is known about one entry of the temporary directory.
#[derive(Debug)]
struct Candidate<'a> {
    name: &'a str,
    /// A real directory (not a symbolic link).
    is_dir: bool,
    /// The owner file's text, when it exists, is readable and belongs to the current user.
    owner_text: Option<String>,
    /// The pid in the server's pid file, when there is one.
    server_pid: Option<i32>,
}

/// Whether `candidate` is a cluster directory whose owner and server have both ended.
fn is_leftover(candidate: &Candidate, state_of: &dyn Fn(i32) -> ProcessState) -> bool {
    if !candidate.name.starts_with(DIR_PREFIX) || !candidate.is_dir {
        return false;
    }
    let Some(owner) = candidate
        .owner_text
        .as_deref()
        .and_then(Owner::from_file_text)
    else {
        return false;
    };
    let server_runs = candidate
        .server_pid
        .is_some_and(|pid| state_of(pid) != ProcessState::Gone);
    !owner.is_alive(state_of) && !server_runs
}

/// Removes the leftover cluster directories in `tmp`; best effort (a directory that
/// cannot be read or removed is left alone). Returns how many were removed.
pub fn remove_leftovers(tmp: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.filter_map(|entry| entry.ok()) {
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if !name.starts_with(DIR_PREFIX) {
            continue;
        }
        let dir = entry.path();
        let candidate = inspect(&name, &dir);
        if is_leftover(&candidate, &process_state) && std::fs::remove_dir_all(&dir).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Gathers what `is_leftover` needs about `dir`.
fn inspect<'a>(name: &'a str, dir: &Path) -> Candidate<'a> {
    let is_dir = std::fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_dir());
    let owner_text = is_dir
        .then(|| read_own_file(&dir.join(OWNER_FILE)))
        .flatten();
    let server_pid = std::fs::read_to_string(dir.join(SERVER_PID_FILE))
        .ok()
        .and_then(|text| text.lines().next()?.trim().parse().ok());
    Candidate {
        name,
        is_dir,
        owner_text,
        server_pid,
    }
}

/// The text of `path` when it is a regular file belonging to the current OS user.
fn read_own_file(path: &Path) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let metadata = std::fs::symlink_metadata(path).ok()?;
    let mine = metadata.file_type().is_file() && metadata.uid() == nix::unistd::geteuid().as_raw();
    mine.then(|| std::fs::read_to_string(path).ok()).flatten()
}

/// The state of process `pid`, from `/proc`.
fn process_state(pid: i32) -> ProcessState {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => match parse_stat(&stat) {
            Some(('Z' | 'X', _)) => ProcessState::Gone,
            Some((_, started)) => ProcessState::Running { started },
            None => ProcessState::Unknown,
        },
        Err(error) if error.kind() == io::ErrorKind::NotFound => ProcessState::Gone,
        Err(_) => ProcessState::Unknown,
    }
}

/// The state letter and start time of a `/proc/<pid>/stat` line (fields 3 and 22; the
/// command name in field 2 may hold spaces and parentheses, so count from its last `)`).
fn parse_stat(stat: &str) -> Option<(char, u64)> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let state = fields.first()?.chars().next()?;
    let started = fields.get(19)?.parse().ok()?;
    Some((state, started))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWNER: Owner = Owner {
        pid: 4242,
        started: Some(1000),
    };

    fn candidate(name: &str, owner: Option<Owner>) -> Candidate<'_> {
        Candidate {
            name,
            is_dir: true,
            owner_text: owner.map(Owner::to_file_text),
            server_pid: None,
        }
    }

    fn all_gone(_: i32) -> ProcessState {
        ProcessState::Gone
    }

    #[test]
    fn the_owner_file_reads_back() {
        assert_eq!(Owner::from_file_text(&OWNER.to_file_text()), Some(OWNER));
        let no_start = Owner {
            pid: 7,
            started: None,
        };
        assert_eq!(
            Owner::from_file_text(&no_start.to_file_text()),
            Some(no_start)
        );
        for bad in [
            "",
            "pid x\n",
            "pid 0\n",
            "pid 7\nstarted\n",
            "pid 7\nstarted 1\nmore\n",
        ] {
            assert_eq!(Owner::from_file_text(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_directory_whose_owner_is_gone_is_a_leftover() {
        assert!(is_leftover(
            &candidate("techspec-bench-abc", Some(OWNER)),
            &all_gone
        ));
    }

    #[test]
    fn a_reused_pid_does_not_keep_a_leftover() {
        let other_process = |_| ProcessState::Running { started: 2000 };
        assert!(is_leftover(
            &candidate("techspec-bench-abc", Some(OWNER)),
            &other_process
        ));
    }

    #[test]
    fn a_directory_whose_owner_runs_or_is_unknown_is_kept() {
        let owner_runs = |_| ProcessState::Running { started: 1000 };
        let unknown = |_| ProcessState::Unknown;
        let dir = candidate("techspec-bench-abc", Some(OWNER));
        assert!(!is_leftover(&dir, &owner_runs));
        assert!(!is_leftover(&dir, &unknown));
    }

    #[test]
    fn directories_that_are_not_ours_are_kept() {
        let no_owner_file = candidate("techspec-bench-abc", None);
        let other_name = candidate("pg-cluster-abc", Some(OWNER));
        let mut a_link = candidate("techspec-bench-abc", Some(OWNER));
        a_link.is_dir = false;
        let mut garbled = candidate("techspec-bench-abc", None);
        garbled.owner_text = Some("not an owner file".into());
        for dir in [no_owner_file, other_name, a_link, garbled] {
            assert!(!is_leftover(&dir, &all_gone), "{dir:?}");
        }
    }

    #[test]
    fn a_directory_whose_server_still_runs_is_kept() {
        let mut dir = candidate("techspec-bench-abc", Some(OWNER));
        dir.server_pid = Some(99);
        let only_the_server = |pid| match pid {
            99 => ProcessState::Running { started: 5 },
            _ => ProcessState::Gone,
        };
        assert!(!is_leftover(&dir, &only_the_server));
        assert!(is_leftover(&dir, &all_gone));
    }

    #[test]
    fn stat_lines_with_odd_command_names_parse() {
        let fields_after_state: Vec<String> = (4..=21).map(|n| n.to_string()).collect();
        let stat = format!(
            "123 (a) b (c)) S {} 98765 0 0\n",
            fields_after_state.join(" ")
        );
        assert_eq!(parse_stat(&stat), Some(('S', 98765)));
        assert_eq!(parse_stat("123 (x) S 1 2"), None);
        assert!(matches!(
            process_state(std::process::id() as i32),
            ProcessState::Running { .. }
        ));
    }

    #[test]
    fn only_leftovers_are_removed_from_the_temporary_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let mut ended = std::process::Command::new("true").spawn().unwrap();
        ended.wait().unwrap();
        // Gone, or (should the pid be reused already) started at another time.
        let dead = Owner {
            pid: ended.id() as i32,
            started: Some(u64::MAX),
        };
        let make = |name: &str, owner: Option<Owner>| {
            let dir = tmp.path().join(name);
            std::fs::create_dir_all(dir.join("data")).unwrap();
            if let Some(owner) = owner {
                std::fs::write(dir.join(OWNER_FILE), owner.to_file_text()).unwrap();
            }
            dir
        };
        let leftover = make("techspec-bench-dead", Some(dead));
        let alive = make("techspec-bench-alive", Some(Owner::current()));
        let unmarked = make("techspec-bench-unmarked", None);
        let foreign = make("other-dead", Some(dead));
        assert_eq!(remove_leftovers(tmp.path()), 1);
        assert!(!leftover.exists());
        for kept in [alive, unmarked, foreign] {
            assert!(kept.exists(), "{} was removed", kept.display());
        }
    }
}
