//! The built-in files, used when the current directory has neither `scenarios/` nor
//! `thresholds.toml`. One test per file: it changes the process's current directory.

use std::path::PathBuf;

use techspec_bench::config::{load_scenarios, load_thresholds};

#[test]
fn built_in_files_are_used_away_from_the_repository_and_built_in_thresholds_are_lenient() {
    let empty = tempfile::tempdir().expect("temp dir");
    std::env::set_current_dir(empty.path()).expect("cd");

    let built_in = load_scenarios(&[]).expect("built-in scenarios");
    assert_eq!(built_in.len(), 37);
    assert_eq!(
        built_in[0].origin.file,
        PathBuf::from("<built-in>/queries.toml")
    );
    assert_eq!(built_in[0].name, "session_by_id");
    let thresholds = load_thresholds(None, &built_in).expect("built-in thresholds");
    assert_eq!(
        thresholds.by_scenario.len(),
        29,
        "every built-in threshold names a built-in scenario"
    );

    // The user's own scenario file + built-in thresholds: thresholds for scenarios that
    // are not loaded are dropped, one for a scenario with a built-in name still applies.
    let mine = empty.path().join("mine.toml");
    std::fs::write(
        &mine,
        "[[scenario]]\nname = \"session_by_id\"\niterations = 5\nsql = \"SELECT 1\"\n",
    )
    .expect("write");
    let user = load_scenarios(&[mine]).expect("user scenarios");
    let lenient = load_thresholds(None, &user).expect("lenient built-in thresholds");
    assert_eq!(
        lenient.by_scenario.keys().collect::<Vec<_>>(),
        ["session_by_id"]
    );

    // ./thresholds.toml found in the current directory is the user's: strict.
    std::fs::write(
        empty.path().join("thresholds.toml"),
        "[thresholds]\nsesion_by_id = \"5ms\"\n",
    )
    .expect("write");
    let message = load_thresholds(None, &user).unwrap_err().to_string();
    assert!(
        message.starts_with("thresholds.toml:2:1: threshold for unknown scenario `sesion_by_id`"),
        "{message}"
    );
    assert!(
        message.contains("did you mean `session_by_id`?"),
        "{message}"
    );

    // ./scenarios with scenario files replaces the built-in ones.
    std::fs::create_dir(empty.path().join("scenarios")).expect("mkdir");
    std::fs::write(
        empty.path().join("scenarios/local.toml"),
        "[[scenario]]\nname = \"local_one\"\niterations = 5\nsql = \"SELECT 1\"\n",
    )
    .expect("write");
    let local = load_scenarios(&[]).expect("local scenarios");
    assert_eq!((local.len(), local[0].group.as_str()), (1, "local"));
}
