//! Co-locating a client with its backend. On a small machine, where the scheduler puts a
//! backend decides a cheap query's latency: a round trip between a client thread and a
//! backend on the same CPU measured 24–29 µs where the same lookup on new connections
//! measured 92–104 µs in other windows of the same run (the backend on another CPU: a
//! cross-CPU wake-up each way). A backend keeps its placement for its life, so windows on
//! new connections disagreed by 4× and no budget reached a precise p50.
//!
//! When the server runs on this machine (the throwaway cluster, or a named database
//! reached over a Unix socket or a loopback address), each measuring client therefore
//! pins itself and its own backend to one CPU: client `i` to CPU `i mod cores`, so that
//! every window runs under the same conditions and concurrent clients still spread over
//! the cores. In an A/B run a client's two backends share its CPU. Only the backends of
//! the tool's own measuring connections are pinned, and only when the pid the server
//! reports is a `postgres` process here; they end with their connections. A remote server
//! is never touched. `TECHSPEC_BENCH_PIN=off` turns it off. Pinning is best effort: a
//! failure leaves the scheduler in charge. Must not time or record anything.

use nix::sched::{CpuSet, sched_setaffinity};
use nix::unistd::Pid;

/// The environment variable that turns pinning off (`off`).
pub const PIN_VARIABLE: &str = "TECHSPEC_BENCH_PIN";

/// The CPU client `client` and its backend share, among `cores`.
pub fn cpu_of(client: u32, cores: usize) -> usize {
    (client as usize) % cores.max(1)
}

/// True when pinning is on for a target: a server on this machine, not turned off.
pub fn enabled(local: bool, env: &dyn Fn(&str) -> Option<String>) -> bool {
    local && env(PIN_VARIABLE).as_deref() != Some("off")
}

/// True when every host of `config` is on this machine: Unix sockets, loopback addresses,
/// `localhost` (and at least one host is named).
pub fn is_local(config: &tokio_postgres::Config) -> bool {
    use tokio_postgres::config::Host;
    let local_name = |name: &str| {
        name.eq_ignore_ascii_case("localhost")
            || name
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    };
    let hosts = config.get_hosts();
    !hosts.is_empty()
        && hosts.iter().all(|host| match host {
            Host::Unix(_) => true,
            Host::Tcp(name) => local_name(name),
        })
        && config.get_hostaddrs().iter().all(|ip| ip.is_loopback())
}

/// True when `pid` is a PostgreSQL server process on this machine.
fn is_postgres(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .is_ok_and(|comm| comm.trim_end() == "postgres")
}

/// Pins the calling thread and the process `backend` to the CPU of `client` (best effort;
/// false when either could not be pinned, or `backend` is no `postgres` process here).
pub fn pin_pair(client: u32, backend: i32) -> bool {
    if !is_postgres(backend) {
        return false;
    }
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
    fn a_local_server_is_pinned_unless_turned_off() {
        let off = |key: &str| (key == PIN_VARIABLE).then(|| "off".to_string());
        let unset = |_: &str| None;
        assert!(enabled(true, &unset));
        assert!(!enabled(false, &unset));
        assert!(!enabled(true, &off));
    }

    #[test]
    fn a_pid_that_is_no_postgres_process_here_is_never_pinned() {
        // This test process is no `postgres`: a remote server's pid that happens to exist
        // here must not be touched.
        let done = std::thread::spawn(|| pin_pair(0, std::process::id() as i32));
        assert!(!done.join().unwrap());
        assert!(!pin_pair(0, i32::MAX), "no such process");
    }

    #[test]
    fn only_servers_on_this_machine_are_local() {
        let config = |text: &str| text.parse::<tokio_postgres::Config>().unwrap();
        assert!(is_local(&config("host=/tmp/sock dbname=x")));
        assert!(is_local(&config("host=127.0.0.1 dbname=x")));
        assert!(is_local(&config("host=localhost,::1 dbname=x")));
        assert!(!is_local(&config("host=db.example.com dbname=x")));
        assert!(!is_local(&config("host=127.0.0.1,10.0.0.5 dbname=x")));
        assert!(!is_local(&config(
            "host=localhost hostaddr=10.0.0.5 dbname=x"
        )));
        assert!(!is_local(&config("dbname=x")), "no host named");
    }
}
