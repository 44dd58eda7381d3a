//! bench/power.sh at its smallest size: the mechanism works end to end (template, views,
//! pgbench calibration, injection on one copy, `run --against`, the summary table). Asserts
//! no detection rate (a noisy machine decides those), only that a +50% injection shows as a
//! positive estimated change of the injected scenario.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common;

fn script() -> PathBuf {
    [env!("CARGO_MANIFEST_DIR"), "bench", "power.sh"]
        .iter()
        .collect()
}

/// The p50 `change_percent` of `name` in a results file of a compared run.
fn p50_change(results: &serde_json::Value, name: &str) -> f64 {
    let scenario = results["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {results:#}"));
    assert_eq!(scenario["baseline"]["method"], "paired", "{scenario:#}");
    scenario["baseline"]["percentiles"]
        .as_array()
        .expect("percentiles")
        .iter()
        .find(|p| p["percentile"] == "p50")
        .and_then(|p| p["change_percent"].as_f64())
        .unwrap_or_else(|| panic!("no p50 change in {scenario:#}"))
}

fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{} was not written: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn power_script_injects_a_slowdown_and_prints_its_table() {
    let keep = tempfile::tempdir().expect("temp dir");
    // The script's databases are power_*_SUFFIX: unique to this test run.
    let suffix = format!("t{}", std::process::id());
    let mut command = Command::new("bash");
    for variable in common::CONNECTION_ENV {
        command.env_remove(variable);
    }
    let output = command
        .arg(script())
        .env("DATABASE_URL", common::admin_url())
        .env("BIN", env!("CARGO_BIN_EXE_techspec-bench"))
        .env("REPS", "1")
        .env("MODES", "ab")
        .env("SESSIONS", "1000")
        .env("CONDITIONS", "aa one50")
        .env("CAL_ROUNDS", "3")
        .env("CAL_TIME", "1")
        .env("KEEP", keep.path())
        .env("POWER_SUFFIX", &suffix)
        .output()
        .expect("bash bench/power.sh");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let said = format!("--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}");
    assert_eq!(output.status.code(), Some(0), "{said}");

    // The calibration of the injected view, then one table row per condition: one run each,
    // no error.
    assert!(stdout.contains("power_3: p50 at n0="), "{said}");
    assert!(stdout.contains("== ab (paired A/B"), "{said}");
    for label in ["A/A", "+50% power_3"] {
        let row = stdout
            .lines()
            .find(|line| line.starts_with(&format!("{label}  ")))
            .unwrap_or_else(|| panic!("no table row {label:?}\n{said}"));
        // condition | runs | caught | false alarms | flagged/run | errors | p50 change
        let cells: Vec<&str> = row
            .split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        assert_eq!(cells.len(), 7, "{row}\n{said}");
        assert_eq!(cells[1], "1", "runs of {label}: {row}\n{said}");
        assert_eq!(cells[5], "0", "errors of {label}: {row}\n{said}");
    }
    assert!(stdout.contains("ab/plain"), "{said}");

    // +50% on power_3 only: its estimated p50 change is positive.
    let injected = read_json(&keep.path().join("ab_one50_1.json"));
    let change = p50_change(&injected, "power_3");
    assert!(change > 0.0, "power_3 p50 change {change}%\n{said}");

    // Every database the script made is gone.
    let left = Command::new("psql")
        .arg(common::admin_url())
        .arg("-XAtc")
        .arg(format!(
            "SELECT string_agg(datname, ' ') FROM pg_database WHERE datname LIKE 'power\\_%\\_{suffix}'"
        ))
        .output()
        .expect("psql");
    let left = String::from_utf8_lossy(&left.stdout);
    assert_eq!(left.trim(), "", "databases left behind\n{said}");
}
