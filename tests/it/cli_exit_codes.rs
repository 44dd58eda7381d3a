//! Exit codes and messages of the binary that need no database: usage errors (2),
//! unreachable server and missing PostgreSQL install (3). Must not need DATABASE_URL.

use crate::common;

use std::time::{Duration, Instant};

fn output_of(command: &mut std::process::Command) -> (Option<i32>, String, String) {
    let output = command.output().expect("run techspec-bench");
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr),
    )
}

#[test]
fn an_unknown_flag_exits_2_with_usage() {
    let (code, _, stderr) = output_of(common::tool().args(["migrate", "--no-such-flag"]));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--no-such-flag"), "{stderr}");
}

#[test]
fn a_bad_sslmode_exits_2_naming_its_origin_without_the_password() {
    let url = "postgres://u:hunter2pw@127.0.0.1:1/x?sslmode=sometimes";
    let (code, stdout, stderr) = output_of(common::tool().args(["--database-url", url, "migrate"]));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("--database-url") && stderr.contains("sslmode"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2pw") && !stdout.contains("hunter2pw"));
}

#[test]
fn help_exits_0_and_shows_examples() {
    let (code, stdout, _) = output_of(common::tool().args(["migrate", "--help"]));
    assert_eq!(code, Some(0));
    assert!(stdout.contains("Examples:"), "{stdout}");
}

#[test]
fn an_unreachable_server_exits_3_quickly_naming_host_and_port_but_not_the_password() {
    let started = Instant::now();
    let url = "postgres://root:hunter2pw@127.0.0.1:1/x";
    let (code, stdout, stderr) = output_of(common::tool().args(["--database-url", url, "migrate"]));
    assert_eq!(code, Some(3), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(
        stderr.contains("127.0.0.1:1") && stderr.contains("port 1"),
        "{stderr}"
    );
    assert!(stderr.contains("server is running"), "{stderr}");
    assert!(!stderr.contains("hunter2pw") && !stdout.contains("hunter2pw"));
}

#[test]
fn the_libpq_variables_are_used_when_pghost_is_set() {
    let (code, _, stderr) = output_of(
        common::tool()
            .args(["migrate"])
            .env("PGHOST", "127.0.0.1")
            .env("PGPORT", "1")
            .env("PGUSER", "someone"),
    );
    assert_eq!(code, Some(3), "{stderr}");
    assert!(
        stderr.contains("postgres://someone@127.0.0.1:1/someone"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("throwaway PostgreSQL cluster (removed"),
        "{stderr}"
    );
}

#[test]
fn a_missing_postgresql_install_exits_3_saying_what_to_install() {
    let tmp = common::shared_tempdir();
    let (code, _, stderr) = output_of(
        common::tool()
            .args(["migrate"])
            .env("TECHSPEC_BENCH_PG_BINDIR", "/nonexistent/bin")
            .env("TMPDIR", tmp.path()),
    );
    assert_eq!(code, Some(3), "{stderr}");
    assert!(stderr.contains("apt-get install postgresql"), "{stderr}");
    assert!(stderr.contains("--database-url"), "{stderr}");
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "nothing left in TMPDIR"
    );
}
