//! End-to-end tests of ratio gates measured in pairs: both scenarios of a gate alternated
//! on one connection after the scenarios were measured, the verdict taken from the pairs
//! (their ratio, interval over connection draws, and how they were measured in the JSON).
//! The slow side sleeps a fixed 4 ms, so the ratios are far from the gates' factors on any
//! machine. Must not touch other databases.

use crate::cli_support::{assert_exit, fixture, read_json, run_tool, scenario, seeded};

#[tokio::test]
async fn ratio_gates_are_judged_on_pairs_measured_on_one_connection() {
    let db = seeded("ratio_pairs", 100).await;
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("ratio.json");
    let (scenarios, thresholds) = (
        fixture("ratio_pairs.toml"),
        fixture("ratio_pairs_thresholds.toml"),
    );
    let outcome = run_tool(
        &db.url,
        &[
            "run",
            "--scenarios",
            &scenarios,
            "--thresholds",
            &thresholds,
            "--rounds",
            "4",
            "--json",
            &json.to_string_lossy(),
        ],
    );
    // The 1000× gate cannot hold: exit 1, and the reason names it.
    assert_exit(&outcome, 1);
    let results = read_json(&json);
    crate::results_schema::assert_matches_schema(&results, "run with paired ratio gates");
    let gate = |name: &str, index: usize| scenario(&results, name)["thresholds"][index].clone();
    // 30× against 3×: the windows decide it (unless a very busy machine widened their
    // interval down to 3×; then it is paired), and it holds either way.
    let held = gate("ratio_fast", 1);
    assert_eq!(held["ok"], true, "{held:#}");
    assert!(held["actual_us"].as_f64().unwrap() > 3.0, "{held:#}");
    let unpaired = held.get("paired").is_none_or(|p| p.is_null());
    if unpaired {
        assert!(held["interval"]["low"].as_f64().unwrap() >= 3.0, "{held:#}");
    }
    // Out of reach: measured in pairs. 80 iterations: 20 pairs over 4 draws.
    let broken = gate("ratio_fast_too", 0);
    assert_eq!(broken["ok"], false, "{broken:#}");
    let ratio = broken["actual_us"].as_f64().unwrap();
    let (low, high) = (
        broken["interval"]["low"].as_f64().unwrap(),
        broken["interval"]["high"].as_f64().unwrap(),
    );
    assert!(low < ratio && ratio < high && high < 1000.0, "{broken:#}");
    assert!(ratio > 3.0, "{broken:#}");
    assert_eq!(broken["paired"]["draws"], 4, "{broken:#}");
    assert_eq!(broken["paired"]["pairs"], 20, "{broken:#}");
    assert_eq!(scenario(&results, "ratio_fast_too")["status"], "fail");
    let reason = scenario(&results, "ratio_fast_too")["reason"]
        .as_str()
        .unwrap_or("");
    assert!(reason.contains("ratio_slow (< 1000x"), "{reason}");
    // The write partner ran on the same (read-write) connection, and rolled back.
    let with_writes = gate("ratio_fast_too", 1);
    assert_eq!(with_writes["ok"], false, "{with_writes:#}");
    assert_eq!(with_writes["paired"]["pairs"], 20, "{with_writes:#}");
    assert_eq!(scenario(&results, "ratio_slow_write")["errors"], 0);
}
