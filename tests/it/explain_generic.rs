//! End-to-end tests of "the plan checked is the plan timed": a database that forces
//! PostgreSQL's generic plan (`plan_cache_mode = force_generic_plan`) where a prefix LIKE
//! uses its index only in a custom plan, so `run` must fail the generic plan's Seq Scan
//! and name it in the table and the JSON; a scenario whose plans agree passes with both
//! counts reported; and a parameter-type matrix whose generic plans `explain` shows without
//! error. Each test owns its database. Must not touch the tool's own tables.

use std::path::Path;

use crate::cli_support::{self, assert_exit, read_json, run_tool};
use crate::common::TestDb;

/// A table of 200,000 names with a `text_pattern_ops` index: a prefix LIKE with a known
/// pattern uses it (custom plan), the same statement planned for any pattern cannot.
async fn generic_plan_table(label: &str) -> TestDb {
    let db = TestDb::create(label).await;
    let client = db.client().await;
    client
        .batch_execute(
            "CREATE TABLE gp (id int8 PRIMARY KEY, name text NOT NULL, amount numeric, \
               token uuid, at timestamptz, tags text[], doc jsonb);
             INSERT INTO gp \
               SELECT n, md5(n::text), n % 1000, md5(n::text)::uuid, \
                      now() - n * interval '1 second', ARRAY[md5(n::text)], \
                      jsonb_build_object('n', n % 100) \
               FROM generate_series(1, 200000) AS n;
             CREATE INDEX gp_name ON gp (name text_pattern_ops);
             ANALYZE gp;",
        )
        .await
        .expect("the generic-plan table");
    db
}

/// Makes every new session on `db` plan prepared statements generically.
async fn force_generic_plans(db: &TestDb) {
    db.client()
        .await
        .batch_execute(&format!(
            "ALTER DATABASE {} SET plan_cache_mode = force_generic_plan",
            db.name
        ))
        .await
        .expect("ALTER DATABASE ... SET plan_cache_mode");
}

fn write_scenarios(dir: &Path, toml: &str) -> String {
    let path = dir.join("scenarios.toml");
    std::fs::write(&path, toml).expect("write the scenario file");
    path.to_string_lossy().into_owned()
}

const PREFIX_LIKE: &str = r#"
[defaults]
iterations = 40
warmup = 0

[[scenario]]
name = "name_prefix"
sql = "SELECT id FROM gp WHERE name LIKE $1"
params = [{ choice = ["ab%", "cd%", "ef%", "0a%"] }]
expect = { index = "gp_name", no_seq_scan = true }
"#;

/// The timed plan's executions by kind, from `plan.timed` in the JSON.
fn timed(plan: &serde_json::Value) -> Vec<(String, u64, bool)> {
    plan["timed"]
        .as_array()
        .unwrap_or_else(|| panic!("no plan.timed: {plan:#}"))
        .iter()
        .map(|t| {
            (
                t["kind"].as_str().unwrap().to_string(),
                t["executions"].as_u64().unwrap(),
                t["ok"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_forced_generic_plan_that_seq_scans_fails_the_gate_naming_the_generic_plan() {
    let db = generic_plan_table("generic_fail").await;
    force_generic_plans(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let scenarios = write_scenarios(dir.path(), PREFIX_LIKE);
    let json = dir.path().join("results.json");
    let outcome = run_tool(
        &db.url,
        &[
            "run",
            "--scenarios",
            &scenarios,
            "--json",
            json.to_str().unwrap(),
        ],
    );
    assert_exit(&outcome, 1);
    assert!(
        outcome.stdout.contains("plan: generic plan: "),
        "the reason names the generic plan: {outcome:?}"
    );
    let results = read_json(&json);
    let plan = &cli_support::scenario(&results, "name_prefix")["plan"];
    assert_eq!(plan["ok"], false, "{plan:#}");
    let failures: Vec<&str> = plan["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(
        failures.iter().any(|f| f.starts_with("generic plan: ")
            && f.contains("public.gp is read by")
            && f.contains("Seq Scan")),
        "{plan:#}"
    );
    assert_eq!(
        timed(plan),
        vec![("custom".into(), 0, true), ("generic".into(), 40, false)],
        "{plan:#}"
    );

    let explained = run_tool(&db.url, &["explain", "--scenarios", &scenarios]);
    assert_exit(&explained, 1);
    assert!(
        explained.stdout.contains("generic plan (for any values):")
            && explained.stdout.contains("FAIL: generic plan: "),
        "{explained:?}"
    );
}

#[tokio::test]
async fn plans_that_agree_pass_and_report_both_counts() {
    let db = generic_plan_table("generic_agree").await;
    let dir = tempfile::tempdir().unwrap();
    let scenarios = write_scenarios(
        dir.path(),
        r#"
[[scenario]]
name = "by_id"
sql = "SELECT name FROM gp WHERE id = $1"
iterations = 50
warmup = 0
params = [{ int = [1, 200000] }]
expect = { index = "gp_pkey", no_seq_scan = true }
"#,
    );
    let json = dir.path().join("results.json");
    let outcome = run_tool(
        &db.url,
        &[
            "-v",
            "run",
            "--rounds",
            "1",
            "--scenarios",
            &scenarios,
            "--json",
            json.to_str().unwrap(),
        ],
    );
    assert_exit(&outcome, 0);
    let results = read_json(&json);
    let plan = &cli_support::scenario(&results, "by_id")["plan"];
    assert_eq!(plan["ok"], true, "{plan:#}");
    // plan_cache_mode = auto: five custom plans, then the (as cheap) generic plan (one
    // window, one connection: `--rounds 1`).
    assert_eq!(
        timed(plan),
        vec![("custom".into(), 5, true), ("generic".into(), 45, true)],
        "{plan:#}"
    );
    assert!(
        outcome.stdout.contains("ok (custom 5 + generic 45)"),
        "{outcome:?}"
    );
}

/// One scenario per parameter type; the last one binds a captured `text[]` in its second
/// step and a NULL from a sample.
const TYPE_MATRIX: &str = r#"
[defaults]
iterations = 1
warmup = 0

[[scenario]]
name = "t_int"
sql = "SELECT count(*) FROM gp WHERE id::int4 = $1"
params = [{ int = [1, 100] }]

[[scenario]]
name = "t_bigint"
sql = "SELECT name FROM gp WHERE id = $1"
params = [{ int = [1, 100] }]
expect = { index = "gp_pkey" }

[[scenario]]
name = "t_numeric"
sql = "SELECT count(*) FROM gp WHERE amount = $1"
params = [{ float = [1.5, 2.5] }]

[[scenario]]
name = "t_text"
sql = "SELECT id FROM gp WHERE name = $1"
params = [{ value = "it's \"quoted\" \\ text" }]

[[scenario]]
name = "t_uuid"
sql = "SELECT id FROM gp WHERE token = $1"
params = [{ uuid = "v4" }]

[[scenario]]
name = "t_timestamptz"
sql = "SELECT count(*) FROM gp WHERE at > $1"
params = [{ value = "2024-01-02T03:04:05+00:00" }]

[[scenario]]
name = "t_jsonb"
sql = "SELECT count(*) FROM gp WHERE doc @> $1"
params = [{ value = '{"n": 7}' }]

[[scenario]]
name = "t_null"
sql = "SELECT count(*) FROM gp WHERE amount = $1"
params = [{ sample = "SELECT NULL::numeric" }]

[[scenario]]
name = "t_text_array"

[[scenario.step]]
sql = "SELECT name FROM gp WHERE id <= $1"
params = [{ int = [3, 3] }]
capture = { names = "name" }

[[scenario.step]]
sql = "SELECT id FROM gp WHERE name = ANY($1) AND tags && $1"
params = [{ captured = "names" }]
"#;

#[tokio::test]
async fn every_parameter_type_explains_its_generic_plan() {
    let db = generic_plan_table("generic_types").await;
    let dir = tempfile::tempdir().unwrap();
    let scenarios = write_scenarios(dir.path(), TYPE_MATRIX);
    let json = dir.path().join("plans.json");
    let outcome = run_tool(
        &db.url,
        &[
            "explain",
            "--scenarios",
            &scenarios,
            "--json",
            json.to_str().unwrap(),
        ],
    );
    assert_exit(&outcome, 0);
    let entries = read_json(&json);
    let entries = entries.as_array().expect("a list of explained scenarios");
    assert_eq!(entries.len(), 9, "{outcome:?}");
    for entry in entries {
        assert_eq!(entry["status"], "explained", "{entry:#}");
        for step in entry["steps"].as_array().unwrap() {
            let root = &step["generic_plan"]["root"]["node_type"];
            assert!(
                root.as_str().is_some_and(|t| !t.starts_with("Unparsed")),
                "{entry:#}"
            );
        }
    }
    assert_eq!(entries[8]["steps"].as_array().unwrap().len(), 2);
}
