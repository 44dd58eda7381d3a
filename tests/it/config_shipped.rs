//! The shipped scenario files load, with their 20 scenarios, and match the
//! shipped thresholds.

use std::path::Path;

use techspec_bench::config::{TransactionMode, load_scenarios, load_thresholds};

const SHIPPED: [&str; 20] = [
    "session_by_id",
    "session_list_by_status",
    "research_by_session",
    "conversation_history",
    "aggregation_query",
    "relationship_eager_load",
    "error_log_query",
    "relationship_n_plus_one",
    "cross_schema_join",
    "cross_schema_join_batch",
    "design_outputs_load",
    "design_decisions_load",
    "cross_schema_aggregation",
    "fk_insert",
    "sessions_of_design_job",
    "sessions_of_user",
    "sessions_of_project",
    "trds_of_session",
    "errors_of_session",
    "selected_research_of_category",
];

#[test]
fn the_shipped_files_load_with_the_twenty_scenarios() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scenarios = load_scenarios(&[
        root.join("scenarios/queries.toml"),
        root.join("scenarios/cross_schema.toml"),
        root.join("scenarios/access_paths.toml"),
    ])
    .expect("load");
    let names: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, SHIPPED);
    let by_name = |name: &str| scenarios.iter().find(|s| s.name == name).expect("present");
    assert_eq!(by_name("session_by_id").group, "queries");
    assert_eq!(by_name("fk_insert").group, "cross_schema");
    assert_eq!(by_name("trds_of_session").group, "access_paths");
    assert_eq!(
        by_name("fk_insert").transaction,
        Some(TransactionMode::Rollback)
    );
    assert_eq!(by_name("relationship_eager_load").steps.len(), 2);
    assert_eq!(by_name("relationship_n_plus_one").steps.len(), 51);
    assert_eq!(by_name("conversation_history").steps[0].params.len(), 2);
    assert_eq!(
        by_name("session_by_id").expect.indexes,
        ["tech_spec_sessions_pkey"]
    );
}

#[test]
fn the_cwd_default_finds_the_scenarios_directory() {
    // Integration tests run in the package root, which has ./scenarios and ./thresholds.toml.
    let scenarios = load_scenarios(&[]).expect("load");
    // 14 in queries.toml and cross_schema.toml, 6 in access_paths.toml, 17 in patterns.toml.
    assert_eq!(scenarios.len(), 37);
    assert!(scenarios[0].origin.file.starts_with("scenarios"));
    let thresholds = load_thresholds(None, &scenarios).expect("thresholds");
    assert_eq!(thresholds.by_scenario.len(), 29);
}
