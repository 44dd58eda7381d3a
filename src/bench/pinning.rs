//! Co-locating a client with its backend. On a small machine, where the scheduler puts a
//! backend decides a cheap query's latency: a round trip between a client thread and a
//! backend on the same CPU measured 24–29 µs where the same lookup on new connections
//! measured 92–104 µs in other windows of the same run (the backend on another CPU: a
//! cross-CPU wake-up each way). A backend keeps its placement for its life, so windows on
//! new connections disagreed by 4× and no budget reached a precise p50.
//!
//! On the throwaway cluster (the tool's own server, on this machine) each measuring
//! client therefore pins itself and its backend to one CPU: client `i` to CPU
//! `i mod cores`, so that every window runs under the same conditions and concurrent
//! clients still spread over the cores. A named database is never touched.
//! `TECHSPEC_BENCH_PIN=off` turns it off. Pinning is best effort: a failure leaves the
//! scheduler in charge. Must not time or record anything.

use nix::sched::{CpuSet, sched_setaffinity};
use nix::unistd::Pid;

/// The environment variable that turns pinning off (`off`).
pub const PIN_VARIABLE: &str = "TECHSPEC_BENCH_PIN";

/// The CPU client `client` and its backend share, among `cores`.
pub fn cpu_of(client: u32, cores: usize) -> usize {
    (client as usize) % cores.max(1)
}

/// True when pinning is on for a target: the tool's own cluster, not turned off.
pub fn enabled(throwaway: bool, env: &dyn Fn(&str) -> Option<String>) -> bool {
    throwaway && env(PIN_VARIABLE).as_deref() != Some("off")
}

/// Pins the calling thread and the process `backend` to the CPU of `client` (best effort;
/// false when either could not be pinned).
pub fn pin_pair(client: u32, backend: i32) -> bool {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut set = CpuSet::new();
    if set.set(cpu_of(client, cores)).is_err() {
        return false;
    }
    let this_thread = sched_setaffinity(Pid::from_raw(0), &set).is_ok();
    let backend = sched_setaffinity(Pid::from_raw(backend), &set).is_ok();
    this_thread && backend
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_spread_over_the_cores_one_pair_per_cpu() {
        assert_eq!(
            (0..5).map(|c| cpu_of(c, 2)).collect::<Vec<_>>(),
            [0, 1, 0, 1, 0]
        );
        assert_eq!(cpu_of(3, 0), 0, "no core count: CPU 0");
    }

    #[test]
    fn only_the_tools_own_cluster_is_pinned_unless_turned_off() {
        let off = |key: &str| (key == PIN_VARIABLE).then(|| "off".to_string());
        let unset = |_: &str| None;
        assert!(enabled(true, &unset));
        assert!(!enabled(false, &unset));
        assert!(!enabled(true, &off));
    }

    #[test]
    fn pinning_this_thread_with_itself_as_the_backend_works_here() {
        // The test thread stands in for both sides (its own pid as the backend).
        let done = std::thread::spawn(|| pin_pair(0, std::process::id() as i32));
        assert!(done.join().unwrap());
    }
}
