//! Stopping the throwaway cluster's server: a clean (fast) shutdown whose checkpoint leaves a
//! data directory fit to copy, and the immediate stop used before the directory is deleted.
//! Must not delete or copy anything.

use std::process::Child;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// How long a clean shutdown (its checkpoint) may take before the seeded template is
/// given up.
const CLEAN_SHUTDOWN_LIMIT: Duration = Duration::from_secs(60);
/// How long the shutdown signal gets before the server is killed.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A fast shutdown (SIGINT: open sessions end, a checkpoint is written), waited for;
/// the data directory is then consistent and can be copied.
pub(super) fn shut_down_cleanly(child: &mut Child) -> Result<(), String> {
    let pid = Pid::from_raw(child.id() as i32);
    kill(pid, Signal::SIGINT).map_err(|e| e.to_string())?;
    let deadline = Instant::now() + CLEAN_SHUTDOWN_LIMIT;
    while Instant::now() < deadline {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(format!("it exited with {status}")),
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(e.to_string()),
        }
    }
    stop(child);
    Err(format!(
        "no clean shutdown within {}s",
        CLEAN_SHUTDOWN_LIMIT.as_secs()
    ))
}

/// Stops a child: SIGQUIT (PostgreSQL's immediate shutdown: the data directory is
/// deleted next, so the shutdown checkpoint of a fast shutdown would only write pages
/// nobody reads), then SIGKILL after a grace period; always reaps it.
pub(super) fn stop(child: &mut Child) {
    let pid = Pid::from_raw(child.id() as i32);
    for signal in [Signal::SIGQUIT] {
        if matches!(child.try_wait(), Ok(Some(_)) | Err(_)) {
            return;
        }
        let _ = kill(pid, signal);
        let deadline = Instant::now() + SHUTDOWN_GRACE;
        while Instant::now() < deadline {
            if !matches!(child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}
