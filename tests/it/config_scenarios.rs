//! Scenario files, one element at a time: structure, names, load shape, transaction.
//! Each valid form loads into the model; each invalid one is a configuration error
//! (exit 2) naming file:line:column and the fix.

use crate::config_support;

use std::time::Duration;

use config_support::{MINIMAL, assert_error, error, fixture, load, load_one};
use techspec_bench::config::{
    IntDist, Literal, LoadAmount, NoSeqScan, ParamGen, TransactionMode, load_scenarios,
};

#[test]
fn a_minimal_scenario_gets_the_documented_defaults() {
    let scenario = load_one(MINIMAL);
    assert_eq!(scenario.name, "one");
    assert_eq!(scenario.group, "t");
    assert_eq!(scenario.origin.line, 1);
    assert!(scenario.origin.file.ends_with("t.toml"));
    assert_eq!(scenario.load.amount, LoadAmount::Iterations(10));
    assert_eq!(
        (
            scenario.load.warmup,
            scenario.load.clients,
            scenario.load.rate
        ),
        (0, 1, None)
    );
    assert_eq!(scenario.statement_timeout, Duration::from_secs(30));
    assert_eq!(scenario.transaction, None);
    assert!(scenario.expect.is_empty());
    assert_eq!(scenario.steps.len(), 1);
    assert!(scenario.steps[0].params.is_empty());
}

#[test]
fn every_feature_loads_into_the_model() {
    let scenarios = load_scenarios(&[fixture("every_feature.toml")]).expect("loads");
    let generators = &scenarios[0];
    assert_eq!(generators.group, "every_feature");
    assert_eq!(generators.origin.line, 8);
    assert_eq!(
        generators.load.amount,
        LoadAmount::Duration(Duration::from_secs(2))
    );
    assert_eq!(
        (
            generators.load.warmup,
            generators.load.clients,
            generators.load.rate
        ),
        (5, 2, Some(100.0))
    );
    assert_eq!(generators.statement_timeout, Duration::from_secs(5));
    assert_eq!(
        generators.steps[0].params,
        [
            ParamGen::Value(Literal::Int(7)),
            ParamGen::Int {
                low: 1,
                high: 1000,
                dist: IntDist::Zipf { s: 1.1 }
            },
            ParamGen::Float {
                low: 0.5,
                high: 2.5
            },
            ParamGen::Choice(vec![
                Literal::Text("a".into()),
                Literal::Text("b".into()),
                Literal::Int(3),
                Literal::Bool(true)
            ]),
            ParamGen::Uuid,
            ParamGen::Sample("SELECT id FROM tech_spec_sessions LIMIT 10".into()),
        ]
    );
    let expect = &generators.expect;
    assert_eq!(expect.indexes, ["a_idx", "b_idx"]);
    assert_eq!(expect.any_index_on, ["shared.design_jobs"]);
    assert_eq!(
        expect.no_seq_scan,
        NoSeqScan::Tables(vec!["tech_research".into()])
    );
    assert_eq!(expect.node.as_deref(), Some("Index Only Scan"));
    assert_eq!(
        (expect.max_buffers, expect.max_row_estimate_error),
        (Some(100), Some(10.0))
    );

    let two_steps = &scenarios[1];
    assert!(two_steps.is_multi_step());
    assert_eq!(two_steps.transaction, Some(TransactionMode::Rollback));
    assert_eq!(two_steps.load.amount, LoadAmount::Iterations(50));
    assert_eq!((two_steps.load.warmup, two_steps.load.clients), (0, 1));
    assert_eq!(two_steps.statement_timeout, Duration::from_millis(250));
    let captures: Vec<(&str, &str)> = two_steps.steps[0]
        .captures
        .iter()
        .map(|c| (c.name.as_str(), c.column.as_str()))
        .collect();
    assert_eq!(captures, [("ids", "id"), ("users", "user_id")]);
    assert_eq!(
        two_steps.steps[1].params,
        [
            ParamGen::Captured("ids".into()),
            ParamGen::Captured("users".into())
        ]
    );
}

#[test]
fn a_toml_syntax_error_names_file_line_and_column() {
    let error = load_scenarios(&[fixture("syntax_error.toml")]).unwrap_err();
    assert_eq!(error.exit_code(), 2);
    let message = error.to_string();
    assert!(message.contains("syntax_error.toml:4:14:"), "{message}");
    assert!(message.contains("iterations = = 10"), "{message}");
}

#[test]
fn an_unknown_key_in_expect_is_an_error_with_did_you_mean() {
    let message = load_scenarios(&[fixture("unknown_expect_key.toml")])
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("unknown_expect_key.toml:8:12: unknown key `indexs`"),
        "{message}"
    );
    assert!(message.contains("did you mean `indexes`?"), "{message}");
}

#[test]
fn a_misspelt_expect_table_never_switches_the_gate_off() {
    let message = load_scenarios(&[fixture("misspelt_expect_table.toml")])
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("misspelt_expect_table.toml:6:11: unknown key `expct`"),
        "{message}"
    );
    assert!(message.contains("did you mean `expect`?"), "{message}");
}

#[test]
fn unknown_keys_are_errors_at_every_level() {
    let cases = [
        (
            "[defaults]\niteration = 5\n",
            "2:1",
            "did you mean `iterations`?",
        ),
        (
            "[[scenario]]\nnmae = \"x\"\n",
            "2:1",
            "did you mean `name`?",
        ),
        (
            "[[scenario]]\nname = \"x\"\nparams = [{ chioce = [1] }]\n",
            "3:13",
            "did you mean `choice`?",
        ),
        (
            "[[scenario]]\nname = \"x\"\n[[scenario.step]]\nsql = \"x\"\ncaptur = {}\n",
            "5:1",
            "did you mean `capture`?",
        ),
        ("[scenarios]\n", "1:2", "did you mean `scenario`?"),
    ];
    for (text, position, suggestion) in cases {
        assert_error(text, position, &["unknown key", suggestion]);
    }
}

#[test]
fn a_name_is_required_and_must_be_lowercase_words() {
    assert_error(
        "[[scenario]]\niterations = 1\nsql = \"SELECT 1\"\n",
        "1:1",
        &["has no name"],
    );
    assert_error(
        "[[scenario]]\nname = \"Session-By-Id\"\niterations = 1\nsql = \"SELECT 1\"\n",
        "2:8",
        &["not [a-z0-9_]+", "session_by_id"],
    );
    assert_error(
        "[[scenario]]\nname = \"\"\niterations = 1\nsql = \"SELECT 1\"\n",
        "2:8",
        &["not [a-z0-9_]+"],
    );
}

#[test]
fn names_are_unique_across_files_and_both_places_are_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("a.toml"), MINIMAL).expect("write");
    std::fs::write(dir.path().join("b.toml"), format!("# b\n{MINIMAL}")).expect("write");
    let message = load_scenarios(&[dir.path().to_path_buf()])
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("b.toml:3:8: scenario name `one` is already used at"),
        "{message}"
    );
    assert!(message.contains("a.toml:2:8"), "{message}");
}

#[test]
fn the_same_file_given_twice_is_loaded_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("a.toml");
    std::fs::write(&path, MINIMAL).expect("write");
    assert_eq!(
        load_scenarios(&[path.clone(), path]).expect("loads").len(),
        1
    );
}

#[test]
fn a_scenario_has_either_sql_or_steps() {
    assert_error(
        "[[scenario]]\nname = \"x\"\niterations = 1\n",
        "1:1",
        &["has no SQL"],
    );
    assert_error(
        "[[scenario]]\nname = \"x\"\niterations = 1\nsql = \"SELECT 1\"\n[[scenario.step]]\nsql = \"SELECT 2\"\n",
        "4:7",
        &["not both"],
    );
    assert_error(
        "[[scenario]]\nname = \"x\"\niterations = 1\nparams = [{ value = 1 }]\n[[scenario.step]]\nsql = \"SELECT $1\"\n",
        "4:10",
        &["belongs to each [[scenario.step]]"],
    );
    assert_error(
        "[[scenario]]\nname = \"x\"\niterations = 1\nsql = \"  \"\n",
        "4:7",
        &["SQL is empty"],
    );
}

#[test]
fn at_most_one_of_iterations_duration_or_budget() {
    assert_error(
        "[[scenario]]\nname = \"x\"\nsql = \"SELECT 1\"\nbudget = \"1s\"\niterations = 5\n",
        "4:10",
        &["both `iterations` and `budget`"],
    );
    assert_error(
        "[[scenario]]\nname = \"x\"\nsql = \"SELECT 1\"\nbudget = \"0s\"\n",
        "4:10",
        &["`budget` must be > 0"],
    );
    assert_error(
        "[[scenario]]\nname = \"x\"\nsql = \"SELECT 1\"\niterations = 5\nduration = \"1s\"\n",
        "5:12",
        &["both `iterations` and `duration`"],
    );
    assert_error(
        "[[scenario]]\nname = \"x\"\nsql = \"SELECT 1\"\niterations = 0\n",
        "4:14",
        &["`iterations` must be >= 1"],
    );
    assert_error(
        "[[scenario]]\nname = \"x\"\nsql = \"SELECT 1\"\nduration = \"ten\"\n",
        "4:12",
        &["not a duration", "\"10s\""],
    );
    assert_error(
        "[[scenario]]\nname = \"x\"\nsql = \"SELECT 1\"\nduration = \"0s\"\n",
        "4:12",
        &["must be > 0"],
    );
}

#[test]
fn scenario_load_values_override_the_defaults() {
    let text = "[defaults]\niterations = 100\nwarmup = 10\nclients = 3\nrate = 50\nstatement_timeout = \"1s\"\n\
                [[scenario]]\nname = \"x\"\nsql = \"SELECT 1\"\nduration = \"3s\"\nwarmup = 0\nclients = 1\nrate = 5.5\nstatement_timeout = \"2m\"\n";
    let scenario = load_one(text);
    assert_eq!(
        scenario.load.amount,
        LoadAmount::Duration(Duration::from_secs(3))
    );
    assert_eq!(
        (
            scenario.load.warmup,
            scenario.load.clients,
            scenario.load.rate
        ),
        (0, 1, Some(5.5))
    );
    assert_eq!(scenario.statement_timeout, Duration::from_secs(120));
    let inherited = load_one(
        "[defaults]\nduration = \"1s\"\nrate = 50\n[[scenario]]\nname = \"x\"\nsql = \"SELECT 1\"\n",
    );
    assert_eq!(
        inherited.load.amount,
        LoadAmount::Duration(Duration::from_secs(1))
    );
    assert_eq!(inherited.load.rate, Some(50.0));
    let budgeted =
        load_one("[defaults]\nbudget = \"2s\"\n[[scenario]]\nname = \"x\"\nsql = \"SELECT 1\"\n");
    assert_eq!(
        budgeted.load.amount,
        LoadAmount::Budget(Duration::from_secs(2))
    );
    let fixed = load_one(
        "[defaults]\nbudget = \"2s\"\n[[scenario]]\nname = \"x\"\nsql = \"SELECT 1\"\niterations = 7\n",
    );
    assert_eq!(fixed.load.amount, LoadAmount::Iterations(7));
}

#[test]
fn a_scenario_that_fixes_no_amount_is_measured_within_the_default_budget() {
    let scenario = load_one("[[scenario]]\nname = \"x\"\nsql = \"SELECT 1\"\n");
    assert_eq!(
        scenario.load.amount,
        LoadAmount::Budget(techspec_bench::config::load_shape::DEFAULT_BUDGET)
    );
}

#[test]
fn clients_rate_warmup_and_timeout_are_range_checked() {
    let base = "[[scenario]]\nname = \"x\"\nsql = \"SELECT 1\"\niterations = 1\n";
    assert_error(
        &format!("{base}clients = 0\n"),
        "5:11",
        &["`clients` must be >= 1"],
    );
    assert_error(&format!("{base}rate = 0\n"), "5:8", &["`rate` must be > 0"]);
    assert_error(
        &format!("{base}rate = -2.5\n"),
        "5:8",
        &["`rate` must be > 0"],
    );
    assert_error(
        &format!("{base}warmup = -1\n"),
        "5:10",
        &["`warmup` must be >= 0"],
    );
    assert_error(
        &format!("{base}statement_timeout = \"soon\"\n"),
        "5:21",
        &["`statement_timeout`", "not a duration"],
    );
}

#[test]
fn the_transaction_mode_is_rollback_or_commit() {
    let base = "[[scenario]]\nname = \"x\"\nsql = \"SELECT 1\"\niterations = 1\n";
    assert_eq!(
        load_one(&format!("{base}transaction = \"commit\"\n")).transaction,
        Some(TransactionMode::Commit)
    );
    assert_error(
        &format!("{base}transaction = \"rolback\"\n"),
        "5:15",
        &["did you mean `rollback`?"],
    );
}

#[test]
fn write_statements_must_roll_back() {
    let write = "[[scenario]]\nname = \"w\"\niterations = 1\nsql = \"DELETE FROM t WHERE id = $1\"\nparams = [{ int = [1, 2] }]\n";
    assert_error(
        write,
        "1:1",
        &["scenario `w` writes", "must use transaction = \"rollback\""],
    );
    assert_error(
        &format!("{write}transaction = \"commit\"\n"),
        "6:15",
        &["must use transaction = \"rollback\""],
    );
    let cte = "[[scenario]]\nname = \"w\"\niterations = 1\n[[scenario.step]]\nsql = \"SELECT 1\"\n[[scenario.step]]\nsql = \"WITH d AS (UPDATE t SET a = 1 RETURNING 1) SELECT * FROM d\"\n";
    assert_error(cte, "1:1", &["writes"]);
    assert!(load(&format!("{write}transaction = \"rollback\"\n")).is_ok());
}

#[test]
fn a_file_with_no_scenario_is_an_error() {
    let message = error("# nothing here\n");
    assert!(message.contains("no scenario found"), "{message}");
}
