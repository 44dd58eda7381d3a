//! `calibrate` on a directory that already has a hand-written thresholds file: refused
//! without `--force` (nothing measured, the file untouched); with `--force` only the p95
//! and buffers limits change, and every ratio gate, `errors` gate, `[regression]` entry and
//! comment stays where it was. Must not touch databases other than its own.

use crate::cli_support::{assert_exit, fixture, migrated, run_in};

const HAND_WRITTEN: &str = r#"# Our gates: reviewed by the team, keep this comment.

[defaults]
metric = "p95"

[thresholds]
# The cheap one must stay twice as fast as the slow one.
calib_fast = ["5ms", "p50 faster_than calib_slow by 2x", "errors == 0"]  # trailing note
calib_slow = "p99 < 1s"

[regression]
calib_fast = { max = "50%" }
"#;

/// The lines of `text` that `calibrate --force` must keep as they are.
const KEPT: [&str; 6] = [
    "# Our gates: reviewed by the team, keep this comment.",
    "# The cheap one must stay twice as fast as the slow one.",
    "\"p50 faster_than calib_slow by 2x\", \"errors == 0\"",
    "# trailing note",
    "\"p99 < 1s\"",
    "[regression]\ncalib_fast = { max = \"50%\" }\n",
];

#[tokio::test]
async fn calibrate_refuses_an_existing_file_and_with_force_keeps_every_other_gate() {
    let db = migrated("calibrate_force").await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("thresholds.toml");
    std::fs::write(&file, HAND_WRITTEN).unwrap();
    let scenarios = fixture("calibrate_pair.toml");
    let calibrate = |extra: &[&str]| {
        let mut args = vec!["calibrate", "--scenarios", scenarios.as_str()];
        args.extend_from_slice(extra);
        run_in(dir.path(), &db.url, &args)
    };

    let refused = calibrate(&[]);
    assert_exit(&refused, 2);
    for word in ["thresholds.toml", "--force", "--output"] {
        assert!(refused.stderr.contains(word), "{word}: {refused:?}");
    }
    assert!(
        !refused.stdout.contains("calib_fast"),
        "nothing measured: {refused:?}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), HAND_WRITTEN);

    for round in 0..2 {
        let forced = calibrate(&["--force"]);
        assert_exit(&forced, 0);
        assert!(forced.stdout.contains("updated "), "{forced:?}");
        let written = std::fs::read_to_string(&file).unwrap();
        for kept in KEPT {
            assert!(
                written.contains(kept),
                "round {round}: {kept:?} lost:\n{written}"
            );
        }
        let parsed: toml::Value = toml::from_str(&written).unwrap();
        let fast = parsed["thresholds"]["calib_fast"].as_array().unwrap();
        assert_eq!(fast.len(), 4, "{written}");
        assert_ne!(fast[0].as_str(), Some("5ms"), "the p95 limit is calibrated");
        let slow = parsed["thresholds"]["calib_slow"].as_array().unwrap();
        assert!(slow[1].as_str().unwrap().starts_with("p95 < "), "{written}");
        if round == 0 {
            assert!(
                forced.stdout.contains("calib_fast p95: 5ms → "),
                "{forced:?}"
            );
            assert!(
                forced.stdout.contains("calib_slow p95: (none) → p95 < "),
                "{forced:?}"
            );
        }
    }
    let check = run_in(
        dir.path(),
        &db.url,
        &[
            "check",
            "--scenarios",
            &scenarios,
            "--thresholds",
            "thresholds.toml",
        ],
    );
    assert_exit(&check, 0);
}

#[tokio::test]
async fn calibrate_writes_a_new_output_beside_an_existing_file_without_force() {
    let db = migrated("calibrate_output").await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("thresholds.toml"), HAND_WRITTEN).unwrap();
    let scenarios = fixture("calibrate_pair.toml");
    let outcome = run_in(
        dir.path(),
        &db.url,
        &[
            "calibrate",
            "--scenarios",
            &scenarios,
            "--output",
            "fresh.toml",
        ],
    );
    assert_exit(&outcome, 0);
    let fresh = std::fs::read_to_string(dir.path().join("fresh.toml")).unwrap();
    assert!(fresh.contains("calib_fast = [\"p95 < "), "{fresh}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("thresholds.toml")).unwrap(),
        HAND_WRITTEN
    );
}
