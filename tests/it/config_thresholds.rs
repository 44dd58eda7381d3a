//! The thresholds file: loading, the default metric, the strictness rule for unknown
//! scenario names, and errors with file:line:column.

use std::path::{Path, PathBuf};

use techspec_bench::config::{
    Comparison, Metric, Scenario, load_scenarios, load_thresholds, load_thresholds_noting,
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config")
        .join(name)
}

fn shipped_scenarios() -> Vec<Scenario> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    load_scenarios(&[root.join("scenarios")]).expect("shipped scenarios load")
}

fn error_of(file: &str, scenarios: &[Scenario]) -> String {
    let error = load_thresholds(Some(&fixture(file)), scenarios).unwrap_err();
    assert_eq!(error.exit_code(), 2, "{error}");
    error.to_string()
}

#[test]
fn a_named_file_loads_with_its_default_metric() {
    let thresholds = load_thresholds(
        Some(&fixture("thresholds_custom.toml")),
        &shipped_scenarios(),
    )
    .expect("loads");
    let session = &thresholds.by_scenario["session_by_id"];
    assert_eq!(session.len(), 1);
    assert_eq!(
        (session[0].metric, session[0].comparison, session[0].limit),
        (Metric::P99, Comparison::Lt, 2_000.0)
    );
    assert_eq!(session[0].text, "p99 < 2ms");
    let texts: Vec<&str> = thresholds.by_scenario["fk_insert"]
        .iter()
        .map(|t| t.text.as_str())
        .collect();
    assert_eq!(
        texts,
        [
            "mean < 800us",
            "errors == 0",
            "throughput > 50/s",
            "p99.9 <= 1.5s"
        ]
    );
    assert_eq!(thresholds.by_scenario.len(), 2);
}

#[test]
fn a_named_file_is_strict_about_unknown_scenarios() {
    let message = error_of("thresholds_unknown_scenario.toml", &shipped_scenarios());
    assert!(message.contains("thresholds_unknown_scenario.toml:6:1: threshold for unknown scenario `sesion_list_by_status`"), "{message}");
    assert!(
        message.contains("did you mean `session_list_by_status`?"),
        "{message}"
    );
}

#[test]
fn thresholds_of_known_but_unloaded_scenarios_are_ignored_and_reported() {
    let only_queries: Vec<Scenario> = shipped_scenarios()
        .into_iter()
        .filter(|s| s.group == "queries")
        .collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (thresholds, ignored) =
        load_thresholds_noting(Some(&root.join("thresholds.toml")), &only_queries)
            .expect("a known name is not an error");
    assert!(
        ignored.contains(&"cross_schema_join".to_string()),
        "{ignored:?}"
    );
    assert!(!thresholds.by_scenario.contains_key("cross_schema_join"));
    assert!(thresholds.by_scenario.contains_key("session_by_id"));
}

#[test]
fn a_name_no_scenario_anywhere_has_is_still_an_error_with_did_you_mean() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mine = dir.path().join("mine.toml");
    std::fs::write(
        &mine,
        "[[scenario]]\nname = \"my_query\"\niterations = 5\nsql = \"SELECT 1\"\n",
    )
    .expect("write");
    let file = dir.path().join("thresholds.toml");
    std::fs::write(&file, "[thresholds]\nmy_qurey = \"5ms\"\n").expect("write");
    let loaded = load_scenarios(&[mine]).expect("loads");
    let message = load_thresholds(Some(&file), &loaded)
        .unwrap_err()
        .to_string();
    assert!(message.contains("unknown scenario `my_qurey`"), "{message}");
    assert!(message.contains("did you mean `my_query`?"), "{message}");
    assert!(message.contains("Known scenarios"), "{message}");
}

#[test]
fn a_bad_unit_is_located_at_its_expression() {
    let message = error_of("thresholds_bad_unit.toml", &shipped_scenarios());
    assert!(
        message.contains(
            "thresholds_bad_unit.toml:2:31: bad threshold \"p99 < 9 secs\": unknown unit `secs`"
        ),
        "{message}"
    );
    assert!(message.contains("us µs ms s"), "{message}");
}

#[test]
fn a_bad_metric_lists_the_metrics_with_did_you_mean() {
    let message = error_of("thresholds_bad_metric.toml", &shipped_scenarios());
    assert!(
        message.contains(
            "thresholds_bad_metric.toml:2:17: bad threshold \"p98 < 5ms\": unknown metric `p98`"
        ),
        "{message}"
    );
    assert!(
        message.contains("min mean p50 p90 p95 p99 p99.9 max errors throughput"),
        "{message}"
    );
    let default = error_of("thresholds_bad_default_metric.toml", &shipped_scenarios());
    assert!(
        default.contains("thresholds_bad_default_metric.toml:2:10: unknown metric `p955`"),
        "{default}"
    );
    assert!(default.contains("did you mean `p95`?"), "{default}");
}

#[test]
fn an_unknown_key_in_a_thresholds_file_is_an_error() {
    let message = error_of("thresholds_unknown_key.toml", &shipped_scenarios());
    assert!(
        message.contains("thresholds_unknown_key.toml:1:2: unknown key `default`"),
        "{message}"
    );
    assert!(message.contains("did you mean `defaults`?"), "{message}");
}

#[test]
fn a_syntax_error_and_an_empty_list_are_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("th.toml");
    std::fs::write(&path, "[thresholds]\nsession_by_id = \"5ms\n").expect("write");
    let syntax = load_thresholds(Some(&path), &shipped_scenarios())
        .unwrap_err()
        .to_string();
    assert!(syntax.contains("th.toml:2:"), "{syntax}");
    std::fs::write(&path, "[thresholds]\nsession_by_id = []\n").expect("write");
    let empty = load_thresholds(Some(&path), &shipped_scenarios())
        .unwrap_err()
        .to_string();
    assert!(
        empty.contains("th.toml:2:1: no threshold listed"),
        "{empty}"
    );
    std::fs::write(&path, "[thresholds]\nsession_by_id = 5\n").expect("write");
    let number = load_thresholds(Some(&path), &shipped_scenarios())
        .unwrap_err()
        .to_string();
    assert!(number.contains("th.toml:2:17:"), "{number}");
}

#[test]
fn a_missing_named_file_is_a_config_error() {
    let error = load_thresholds(Some(Path::new("/nonexistent/thresholds.toml")), &[]).unwrap_err();
    assert_eq!(error.exit_code(), 2);
    assert!(
        error.to_string().contains("/nonexistent/thresholds.toml"),
        "{error}"
    );
}

#[test]
fn the_shipped_thresholds_are_the_expected_p95_limits() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let thresholds =
        load_thresholds(Some(&root.join("thresholds.toml")), &shipped_scenarios()).expect("loads");
    let p95_ms = |name: &str| {
        let first = &thresholds.by_scenario[name][0];
        assert_eq!(
            (first.metric, first.comparison),
            (Metric::P95, Comparison::Lt),
            "{name}"
        );
        first.limit / 1_000.0
    };
    for (name, limit) in [
        ("session_by_id", 5.0),
        ("session_list_by_status", 50.0),
        ("research_by_session", 20.0),
        ("conversation_history", 30.0),
        ("aggregation_query", 50.0),
        ("relationship_eager_load", 100.0),
        ("error_log_query", 50.0),
        ("cross_schema_join", 100.0),
        ("cross_schema_join_batch", 150.0),
        ("design_outputs_load", 20.0),
        ("design_decisions_load", 20.0),
        ("cross_schema_aggregation", 100.0),
        ("fk_insert", 50.0),
    ] {
        assert_eq!(p95_ms(name), limit, "{name}");
    }
    assert!(
        !thresholds
            .by_scenario
            .contains_key("relationship_n_plus_one")
    );
    assert_eq!(thresholds.by_scenario["fk_insert"][1].text, "errors == 0");
}
