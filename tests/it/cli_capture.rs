//! `capture` end to end: on a cluster with pg_stat_statements that ran a known workload
//! (shipped scenarios through `run`, and a pgbench script), the file's statements are that
//! workload's; `check` refuses its placeholder at its line and passes once it is filled;
//! `run` of the file passes with the inferred indexes as expectations. Without the
//! extension, capture exits 3 saying how to enable it.

use std::path::Path;
use std::process::Command;

use crate::cli_support::{assert_exit, run_tool};
use crate::common::TestDb;
use crate::stats_support::StatsCluster;

/// Shipped scenarios the workload runs through `run`.
const SHIPPED: [&str; 5] = [
    "session_by_id",
    "session_list_by_status",
    "research_by_session",
    "conversation_history",
    "aggregation_query",
];

/// The pgbench script of the workload: one read, one write (simple protocol, literals).
const PGBENCH_SCRIPT: &str = "\
SELECT count(*) FROM tech_error_logs WHERE error_type = 'timeout';
UPDATE tech_spec_sessions SET progress_percentage = progress_percentage WHERE status = 'no-such-status';
";

/// A fragment of each workload statement as pg_stat_statements records it (constants as $n).
const EXPECTED: [&str; 7] = [
    "SELECT * FROM tech_spec_sessions WHERE id = $1",
    "WHERE status = $1 ORDER BY created_at DESC LIMIT $2",
    "FROM tech_research WHERE session_id = $1",
    "FROM tech_conversations",
    "make_interval(days => $1)",
    "SELECT count(*) FROM tech_error_logs WHERE error_type = $1",
    "UPDATE tech_spec_sessions SET progress_percentage = progress_percentage WHERE status = $1",
];

fn pgbench(stats: &StatsCluster, script: &Path) {
    let output = Command::new("pgbench")
        .args(["-n", "-t", "200", "-f"])
        .arg(script)
        .arg("-h")
        .arg(stats.cluster.path())
        .args(["-p", "5432", "-U", "postgres", "postgres"])
        .output()
        .expect("pgbench runs (postgresql-contrib)");
    assert!(
        output.status.success(),
        "pgbench: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Migrates and seeds, forgets what that recorded, then runs the known workload.
async fn known_workload(stats: &StatsCluster, dir: &Path) {
    let url = &stats.conninfo;
    assert_exit(&run_tool(url, &["migrate", "--create-shared-stand-in"]), 0);
    assert_exit(&run_tool(url, &["-q", "seed", "--sessions", "10000"]), 0);
    stats.reset().await;
    let mut args = vec!["-q", "run", "--iterations", "200", "--rounds", "1"];
    for name in SHIPPED {
        args.extend(["--filter", name]);
    }
    assert_exit(&run_tool(url, &args), 0);
    let script = dir.join("workload.sql");
    std::fs::write(&script, PGBENCH_SCRIPT).unwrap();
    pgbench(stats, &script);
}

/// The `sql = "..."` values of a scenario file, as the loader reads them.
fn captured_sql(path: &Path) -> Vec<String> {
    let file: toml::Value = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    file["scenario"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["sql"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_captured_file_is_the_workload_and_checks_and_runs_once_filled() {
    let stats = StatsCluster::start().await;
    let dir = tempfile::tempdir().unwrap();
    known_workload(&stats, dir.path()).await;
    let file = dir.path().join("captured.toml");
    let file_arg = file.to_str().unwrap();
    let capture = run_tool(&stats.conninfo, &["capture", "--top", "20", "-o", file_arg]);
    assert_exit(&capture, 0);
    assert!(
        capture
            .stderr
            .contains("captured 7 of 7 eligible statements"),
        "{capture:?}"
    );

    let sql = captured_sql(&file);
    for fragment in EXPECTED {
        assert!(
            sql.iter().any(|s| s.contains(fragment)),
            "{fragment} not captured: {sql:#?}"
        );
    }
    for statement in &sql {
        assert!(
            EXPECTED.iter().any(|f| statement.contains(f)),
            "not the workload's: {statement}"
        );
    }
    let text = std::fs::read_to_string(&file).unwrap();
    for index in [
        "tech_spec_sessions_pkey",
        "idx_session_status_created",
        "ix_tech_research_session_id",
        "idx_conversation_session_timestamp",
    ] {
        assert!(
            text.contains(&format!("\"{index}\"")),
            "no expectation of {index}:\n{text}"
        );
    }
    assert!(text.contains("transaction = \"rollback\""), "{text}");

    // The one parameter that is not compared with a column is a placeholder `check` names.
    let check = run_tool(&stats.conninfo, &["check", "--scenarios", file_arg]);
    assert_exit(&check, 2);
    let todo_line = text.lines().position(|l| l.contains("{ todo =")).unwrap() + 1;
    assert!(
        check
            .stderr
            .contains(&format!("captured.toml:{todo_line}:")),
        "{check:?}"
    );
    assert!(
        check.stderr.contains("make_interval(days => $1)"),
        "{check:?}"
    );
    assert_eq!(text.matches("{ todo =").count(), 1, "{text}");

    let filled: String = text
        .lines()
        .map(|l| {
            if l.contains("{ todo =") {
                "  { value = 30 },".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&file, filled).unwrap();
    assert_exit(
        &run_tool(&stats.conninfo, &["check", "--scenarios", file_arg]),
        0,
    );
    let run = run_tool(
        &stats.conninfo,
        &[
            "run",
            "--scenarios",
            file_arg,
            "--iterations",
            "50",
            "--rounds",
            "1",
            "--json",
            dir.path().join("r.json").to_str().unwrap(),
        ],
    );
    assert_exit(&run, 0);
    let results = crate::cli_support::read_json(&dir.path().join("r.json"));
    assert_eq!(results["summary"]["pass"], 7, "{run:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_extension_capture_says_how_to_enable_it() {
    let db = TestDb::create("capture_no_pgss").await;
    let missing = run_tool(&db.url, &["capture"]);
    assert_exit(&missing, 3);
    for part in [
        "not installed",
        "shared_preload_libraries = 'pg_stat_statements'",
        "CREATE EXTENSION pg_stat_statements",
    ] {
        assert!(missing.stderr.contains(part), "{part}: {missing:?}");
    }
    // Created but not loaded by the server (the test server does not preload it).
    db.client()
        .await
        .batch_execute("CREATE EXTENSION pg_stat_statements")
        .await
        .unwrap();
    let unloaded = run_tool(&db.url, &["watch", "--once", "--interval", "1s"]);
    assert_exit(&unloaded, 3);
    assert!(
        unloaded.stderr.contains("the server did not load it"),
        "{unloaded:?}"
    );
    assert!(
        unloaded.stderr.contains("shared_preload_libraries"),
        "{unloaded:?}"
    );
}
