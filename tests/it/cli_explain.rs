//! End-to-end tests of `techspec-bench explain` and of the plan column of `run` on named
//! test databases: the shipped expectations on the default dataset, a failing plan named
//! by node and relation, unknown indexes as configuration errors, and the small-table
//! diagnosis. Must not prepare data other than through the binary.

use crate::cli_support;

use cli_support::{assert_exit, fixture, migrated, read_json, run_tool, seeded};

/// `run`'s default dataset: the shipped expectations must hold on it.
const DEFAULT_SESSIONS: u32 = 10_000;

/// One database of the default size serves every check that needs it (seeding it is the
/// slow part of this file).
#[tokio::test]
async fn on_the_default_dataset_the_shipped_plans_pass_and_a_seq_scan_search_fails() {
    let db = seeded("e2e_explain_default", DEFAULT_SESSIONS).await;

    let all = run_tool(&db.url, &["explain"]);
    assert_exit(&all, 0);
    assert!(
        all.stdout
            .contains("37 scenarios explained, 0 with a failed plan check"),
        "{all:?}"
    );
    assert!(!all.stdout.contains("FAIL"), "{all:?}");

    shows_the_status_index_and_writes_json(&db.url);
    a_seq_scan_fails_explain_and_run_naming_the_node(&db.url);
}

fn shows_the_status_index_and_writes_json(url: &str) {
    let json = tempfile::NamedTempFile::new().unwrap();
    let outcome = run_tool(
        url,
        &[
            "explain",
            "--filter",
            "session_list_by_status",
            "--json",
            json.path().to_str().unwrap(),
        ],
    );
    assert_exit(&outcome, 0);
    assert!(
        outcome.stdout.lines().any(|line| line
            .contains("Index Scan using idx_session_status_created on public.tech_spec_sessions")),
        "{outcome:?}"
    );
    assert!(
        outcome.stdout.contains("session_list_by_status  PASS"),
        "{outcome:?}"
    );

    let explained = read_json(json.path());
    let entries = explained.as_array().expect("a list of explained scenarios");
    assert_eq!(entries.len(), 1, "{explained:#}");
    let entry = &entries[0];
    assert_eq!(entry["name"], "session_list_by_status");
    assert_eq!(entry["ok"], true, "{entry:#}");
    let root = &entry["steps"][0]["plan"]["root"];
    assert_eq!(root["node_type"], "Limit", "{root:#}");
    assert_eq!(root["children"][0]["index"], "idx_session_status_created");
    assert_eq!(
        root["children"][0]["relation"]["name"],
        "tech_spec_sessions"
    );
}

fn a_seq_scan_fails_explain_and_run_naming_the_node(url: &str) {
    let scenarios = fixture("seq_scan_search.toml");
    let explained = run_tool(url, &["explain", "--scenarios", &scenarios]);
    assert_exit(&explained, 1);
    assert!(
        explained.stdout.contains(
            "FAIL: expected no Seq Scan, but public.tech_conversations is read by Seq Scan"
        ),
        "{explained:?}"
    );

    let json = tempfile::NamedTempFile::new().unwrap();
    let measured = run_tool(
        url,
        &[
            "run",
            "--scenarios",
            &scenarios,
            "--json",
            json.path().to_str().unwrap(),
        ],
    );
    assert_exit(&measured, 1);
    assert!(
        measured.text().contains(
            "FAIL conversation_search: plan: expected no Seq Scan, but public.tech_conversations is read by Seq Scan"
        ),
        "{measured:?}"
    );
    let results = read_json(json.path());
    let plan = &cli_support::scenario(&results, "conversation_search")["plan"];
    assert_eq!(plan["ok"], false, "{plan}");
    assert_eq!(plan["seq_scans"][0], "public.tech_conversations", "{plan}");
}

#[tokio::test]
async fn an_expectation_naming_a_nonexistent_index_exits_2_from_explain_and_run() {
    let db = migrated("e2e_explain_noindex").await;
    let scenarios = fixture("missing_index.toml");
    for command in ["explain", "run"] {
        let outcome = run_tool(&db.url, &[command, "--scenarios", &scenarios]);
        assert_exit(&outcome, 2);
        assert!(
            outcome.stderr.contains(&scenarios)
                && outcome.stderr.contains("`idx_session_status_typo`")
                && outcome.stderr.contains("does not exist")
                && outcome
                    .stderr
                    .contains("Did you mean `idx_session_status_created`?"),
            "{command}: {outcome:?}"
        );
    }
}

#[tokio::test]
async fn a_dataset_too_small_for_the_index_is_diagnosed_as_usable_not_chosen() {
    let db = seeded("e2e_explain_tiny", 10).await;
    let outcome = run_tool(&db.url, &["explain", "--filter", "session_list_by_status"]);
    assert_exit(&outcome, 1);
    let diagnosis = outcome
        .stdout
        .lines()
        .find(|line| line.contains("expected index idx_session_status_created"))
        .unwrap_or_else(|| panic!("no failed index expectation: {outcome:?}"));
    assert!(
        diagnosis.contains("Seq Scan")
            && diagnosis.contains("index usable, not chosen at this size"),
        "{diagnosis}"
    );
    assert!(!outcome.stdout.contains("index not usable"), "{outcome:?}");
}
