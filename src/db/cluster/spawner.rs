//! Spawns the throwaway cluster's processes so that they end with the tool, even when
//! the tool is killed by SIGKILL: each child gets SIGQUIT (PostgreSQL's immediate
//! shutdown, which takes the server's backends down too) as its parent-death signal.
//! Must not wait for, signal or otherwise manage the children (the cluster does).
//!
//! The kernel sends the parent-death signal when the *thread* that spawned the child
//! ends, not the process, so every child is spawned by one dedicated thread that lives
//! as long as the process. The signal is set in the child after `Command` switched to the
//! server's OS user (std applies uid/gid before `pre_exec` hooks, and a credential change
//! would clear the setting), and `postgres` is not set-user-ID, so exec keeps it.

use std::io;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::sync::mpsc::{self, Sender, SyncSender};
use std::sync::{Mutex, PoisonError};

use nix::sys::signal::Signal;

/// The signal a child gets when the tool ends without stopping it.
pub const DEATH_SIGNAL: Signal = Signal::SIGQUIT;

/// One spawn for the spawner thread: the command and where to send the result.
type Request = (Command, SyncSender<io::Result<Child>>);

/// The spawner thread's inbox, created on first use and never dropped (so the thread
/// never ends before the process does).
static SPAWNER: Mutex<Option<Sender<Request>>> = Mutex::new(None);

/// Spawns `command` with the parent-death signal set, from the process-lifetime thread.
pub fn spawn_tied(mut command: Command) -> io::Result<Child> {
    let parent = std::process::id() as i32;
    // SAFETY: the hook runs between fork and exec and only makes two async-signal-safe
    // system calls (prctl, getppid); it neither allocates nor takes locks.
    unsafe {
        command.pre_exec(move || tie_to_parent(parent));
    }
    let (reply, answer) = mpsc::sync_channel(1);
    submit((command, reply))?;
    answer
        .recv()
        .map_err(|_| io::Error::other("the process-spawning thread ended unexpectedly"))?
}

/// In the child: asks for `DEATH_SIGNAL` when the parent thread ends, and gives up if the
/// tool already ended before that (the child would then never be stopped).
fn tie_to_parent(parent: i32) -> io::Result<()> {
    nix::sys::prctl::set_pdeathsig(DEATH_SIGNAL)
        .map_err(|errno| io::Error::from_raw_os_error(errno as i32))?;
    if nix::unistd::getppid().as_raw() != parent {
        return Err(io::Error::from_raw_os_error(nix::libc::ESRCH));
    }
    Ok(())
}

/// Hands a request to the spawner thread, starting the thread on first use.
fn submit(request: Request) -> io::Result<()> {
    let mut inbox = SPAWNER.lock().unwrap_or_else(PoisonError::into_inner);
    if inbox.is_none() {
        let (sender, receiver) = mpsc::channel::<Request>();
        std::thread::Builder::new()
            .name("cluster-spawner".into())
            .spawn(move || serve(receiver))?;
        *inbox = Some(sender);
    }
    let sender = inbox.as_ref().expect("the spawner inbox was just set");
    sender
        .send(request)
        .map_err(|_| io::Error::other("the process-spawning thread ended unexpectedly"))
}

/// The spawner thread: spawns each requested command and replies with the child.
fn serve(requests: mpsc::Receiver<Request>) {
    for (mut command, reply) in requests {
        let _ = reply.send(command.spawn());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_outlives_the_thread_that_asked_for_it() {
        let mut child = std::thread::spawn(|| {
            let mut command = Command::new("sleep");
            command.arg("30");
            spawn_tied(command).unwrap()
        })
        .join()
        .unwrap();
        // The thread that asked has ended; the child must still run (it was spawned by
        // the lasting spawner thread, so its death signal did not fire).
        std::thread::sleep(std::time::Duration::from_millis(200));
        assert!(child.try_wait().unwrap().is_none(), "the child died early");
        child.kill().unwrap();
        child.wait().unwrap();
    }
}
