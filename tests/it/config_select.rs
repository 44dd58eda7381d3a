//! `--filter GLOB` selection by scenario name or group.

use std::path::Path;

use techspec_bench::config::{Scenario, load_scenarios, select};

fn shipped() -> Vec<Scenario> {
    load_scenarios(&[Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")])
        .expect("shipped scenarios load")
}

fn names(scenarios: &[Scenario]) -> Vec<&str> {
    scenarios.iter().map(|s| s.name.as_str()).collect()
}

fn filters(globs: &[&str]) -> Vec<String> {
    globs.iter().map(|g| g.to_string()).collect()
}

#[test]
fn no_filter_keeps_everything_in_order() {
    let all = shipped();
    let expected: Vec<String> = all.iter().map(|s| s.name.clone()).collect();
    let kept = select(all, &[]).expect("select");
    assert_eq!(names(&kept), expected);
}

#[test]
fn a_glob_matches_names() {
    let kept = select(shipped(), &filters(&["session_*"])).expect("select");
    assert_eq!(names(&kept), ["session_by_id", "session_list_by_status"]);
}

#[test]
fn a_glob_matches_groups() {
    let kept = select(shipped(), &filters(&["cross_schema"])).expect("select");
    assert_eq!(kept.len(), 6);
    assert!(kept.iter().all(|s| s.group == "cross_schema"));
}

#[test]
fn several_filters_are_a_union_without_duplicates() {
    let kept = select(
        shipped(),
        &filters(&["session_by_id", "session_*", "fk_inser?"]),
    )
    .expect("select");
    assert_eq!(
        names(&kept),
        ["fk_insert", "session_by_id", "session_list_by_status"]
    );
}

#[test]
fn a_filter_matching_nothing_lists_what_is_available() {
    let error = select(shipped(), &filters(&["session_*", "nope*"])).unwrap_err();
    assert_eq!(error.exit_code(), 2);
    let message = error.to_string();
    assert!(
        message.contains("\"nope*\" matches no scenario"),
        "{message}"
    );
    assert!(
        message.contains("queries") && message.contains("session_by_id"),
        "{message}"
    );
}

#[test]
fn an_invalid_glob_is_a_config_error() {
    let error = select(shipped(), &filters(&["[abc"])).unwrap_err();
    assert_eq!(error.exit_code(), 2);
    assert!(error.to_string().contains("not a valid glob"), "{error}");
}
