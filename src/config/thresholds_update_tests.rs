use std::path::Path;

use super::*;

const HAND_WRITTEN: &str = r#"# Our gates. Reviewed by the team.

[defaults]
metric = "p95"

[thresholds]
session_by_id = "5ms"   # the hot path
pattern_filtered_list = [
  "p95 < 20ms",
  "p50 faster_than antipattern_no_limit by 3x",  # the fix must stay 3x faster
]
fk_insert = ["p95 < 50ms", "errors == 0"]

# Patterns
pattern_latest_errors = ["p99 < 40ms", "p50 faster_than antipattern_limit_without_order by 0.5x"]

[regression]
session_by_id = { max = "20%" }
"#;

fn gates(scenario: &str, p95_limit_us: f64, max_buffers: Option<u64>) -> CalibratedGates {
    CalibratedGates {
        scenario: scenario.to_string(),
        p95_limit_us,
        max_buffers,
    }
}

fn update(text: &str, calibrated: &[CalibratedGates]) -> (String, Vec<GateChange>) {
    update_thresholds(text, Path::new("thresholds.toml"), calibrated).unwrap()
}

fn change(scenario: &str, kind: GateKind, old: Option<&str>, new: &str) -> GateChange {
    GateChange {
        scenario: scenario.to_string(),
        kind,
        old: old.map(str::to_string),
        new: new.to_string(),
    }
}

#[test]
fn only_p95_and_buffers_limits_change_and_everything_else_is_kept_as_written() {
    let calibrated = [
        gates("session_by_id", 1_200.0, None),
        gates("pattern_filtered_list", 2_510.0, Some(7)),
        gates("fk_insert", 660.0, None),
        gates("pattern_latest_errors", 900.0, None),
    ];
    let (text, changes) = update(HAND_WRITTEN, &calibrated);
    let expected = HAND_WRITTEN
        .replace("\"5ms\"   # the hot path", "\"1.2ms\"   # the hot path")
        .replace(
            "  \"p95 < 20ms\",\n  \"p50 faster_than antipattern_no_limit by 3x\",  # the fix must stay 3x faster\n",
            "  \"p95 < 2.51ms\",\n  \"p50 faster_than antipattern_no_limit by 3x\",  # the fix must stay 3x faster\n  \"buffers <= 7\",\n",
        )
        .replace("[\"p95 < 50ms\", \"errors == 0\"]", "[\"p95 < 660us\", \"errors == 0\"]")
        .replace("by 0.5x\"]", "by 0.5x\", \"p95 < 900us\"]");
    assert_eq!(text, expected);
    assert_eq!(
        changes,
        [
            change("session_by_id", GateKind::P95, Some("5ms"), "1.2ms"),
            change(
                "pattern_filtered_list",
                GateKind::P95,
                Some("p95 < 20ms"),
                "p95 < 2.51ms"
            ),
            change(
                "pattern_filtered_list",
                GateKind::Buffers,
                None,
                "buffers <= 7"
            ),
            change(
                "fk_insert",
                GateKind::P95,
                Some("p95 < 50ms"),
                "p95 < 660us"
            ),
            change("pattern_latest_errors", GateKind::P95, None, "p95 < 900us"),
        ]
    );
}

#[test]
fn the_updated_file_still_loads_with_every_gate_it_had() {
    let calibrated = [gates("pattern_filtered_list", 2_510.0, Some(7))];
    let (text, _) = update(HAND_WRITTEN, &calibrated);
    let parsed: toml::Value = toml::from_str(&text).unwrap();
    let list = parsed["thresholds"]["pattern_filtered_list"]
        .as_array()
        .unwrap();
    let texts: Vec<&str> = list.iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(
        texts,
        [
            "p95 < 2.51ms",
            "p50 faster_than antipattern_no_limit by 3x",
            "buffers <= 7"
        ]
    );
    for gate in texts {
        parse_threshold(gate, Metric::P95).unwrap();
    }
    assert_eq!(
        parsed["regression"]["session_by_id"]["max"].as_str(),
        Some("20%")
    );
}

#[test]
fn a_single_string_gaining_a_buffers_gate_becomes_a_list_keeping_its_comment() {
    let (text, changes) = update(HAND_WRITTEN, &[gates("session_by_id", 1_200.0, Some(4))]);
    assert!(
        text.contains("session_by_id = [\"1.2ms\", \"buffers <= 4\"]   # the hot path\n"),
        "{text}"
    );
    assert_eq!(
        changes[1],
        change("session_by_id", GateKind::Buffers, None, "buffers <= 4")
    );
}

#[test]
fn new_scenarios_are_appended_to_the_thresholds_table() {
    let (text, changes) = update(HAND_WRITTEN, &[gates("brand_new", 70.0, Some(2))]);
    let (before, after) = HAND_WRITTEN.split_once("\n[regression]").unwrap();
    assert_eq!(
        text,
        format!("{before}brand_new = [\"p95 < 70us\", \"buffers <= 2\"]\n\n[regression]{after}")
    );
    assert_eq!(
        changes,
        [
            change("brand_new", GateKind::P95, None, "p95 < 70us"),
            change("brand_new", GateKind::Buffers, None, "buffers <= 2"),
        ]
    );
    let (empty, _) = update("", &[gates("brand_new", 70.0, None)]);
    assert_eq!(empty.trim(), "[thresholds]\nbrand_new = [\"p95 < 70us\"]");
}

#[test]
fn a_bare_limit_under_another_default_metric_and_lower_bounds_are_not_calibrated_gates() {
    let file = "[defaults]\nmetric = \"p99\"\n\n[thresholds]\na = [\"5ms\", \"p95 > 1us\", \"buffers <= 9\"]\n";
    let (text, changes) = update(file, &[gates("a", 1_000.0, Some(3))]);
    assert!(
        text.contains("a = [\"5ms\", \"p95 > 1us\", \"buffers <= 3\", \"p95 < 1ms\"]"),
        "{text}"
    );
    assert_eq!(changes[0], change("a", GateKind::P95, None, "p95 < 1ms"));
    assert_eq!(
        changes[1],
        change("a", GateKind::Buffers, Some("buffers <= 9"), "buffers <= 3")
    );
}

#[test]
fn updating_with_the_same_gates_again_changes_nothing() {
    let calibrated = [
        gates("session_by_id", 1_200.0, Some(4)),
        gates("brand_new", 70.0, None),
    ];
    let (once, _) = update(HAND_WRITTEN, &calibrated);
    let (twice, changes) = update(&once, &calibrated);
    assert_eq!(once, twice);
    assert!(changes.iter().all(GateChange::is_unchanged), "{changes:?}");
}

#[test]
fn a_file_that_is_not_toml_is_a_config_error_at_its_position() {
    let error = update_thresholds("[thresholds\n", Path::new("t.toml"), &[]).unwrap_err();
    assert_eq!(error.exit_code(), 2);
    let text = error.to_string();
    assert!(
        text.starts_with("t.toml: not a valid thresholds file"),
        "{text}"
    );
    assert!(text.contains("line 1"), "{text}");
    let error = update_thresholds("thresholds = 3\n", Path::new("t.toml"), &[]).unwrap_err();
    assert!(error.to_string().contains("[thresholds]"), "{error}");
}

#[test]
fn limits_are_written_as_the_grammar_reads_them() {
    assert_eq!(limit_text(660.0), "660us");
    assert_eq!(limit_text(5_260.0), "5.26ms");
    assert_eq!(limit_text(150_000.0), "150ms");
    let texts = gate_texts(&gates("x", 5_260.0, Some(5)));
    assert_eq!(texts, ["p95 < 5.26ms", "buffers <= 5"]);
    for text in &texts {
        parse_threshold(text, Metric::P95).unwrap();
    }
}

#[test]
fn a_gate_appended_to_a_list_of_lines_gets_its_own_line_and_comments_stay_put() {
    let no_comma =
        "[thresholds]\na = [\n  \"p95 < 5ms\",\n  \"errors == 0\"  # no trailing comma\n]\n";
    let (text, _) = update(no_comma, &[gates("a", 1_000.0, Some(3))]);
    assert_eq!(
        text,
        "[thresholds]\na = [\n  \"p95 < 1ms\",\n  \"errors == 0\",  # no trailing comma\n  \"buffers <= 3\"\n]\n"
    );
    let inline = "[thresholds]\na = [\"errors == 0\"]\n";
    let (text, _) = update(inline, &[gates("a", 1_000.0, None)]);
    assert_eq!(text, "[thresholds]\na = [\"errors == 0\", \"p95 < 1ms\"]\n");
}
