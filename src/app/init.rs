//! `techspec-bench init [DIR]`: writes the built-in scenarios and thresholds into
//! DIR/scenarios/*.toml and DIR/thresholds.toml, for editing. Refuses to replace an
//! existing file unless `--force`. Must not connect to a database.

use std::path::{Path, PathBuf};

use crate::app::ui::Ui;
use crate::cli::{Cli, InitArgs};
use crate::config::sources::{
    DEFAULT_SCENARIO_DIR, DEFAULT_THRESHOLDS_FILE, built_in_scenarios, built_in_thresholds,
};
use crate::report::write_atomic;
use crate::{Error, Result, exit_code};

/// Runs `init`: checks every target first, then writes all files.
pub fn run(cli: &Cli, args: &InitArgs) -> Result<i32> {
    let ui = Ui::from_cli(cli);
    let files = files_in(&args.dir);
    refuse_existing(&files, args.force)?;
    for (path, text) in &files {
        write_atomic(path, text.as_bytes())?;
        ui.note(format!("wrote {}", path.display()));
    }
    ui.note(format!(
        "edit them, then run `techspec-bench check` and `techspec-bench run` from {}",
        args.dir.display()
    ));
    Ok(exit_code::SUCCESS)
}

/// The files `init` writes into `dir`, with their text.
fn files_in(dir: &Path) -> Vec<(PathBuf, String)> {
    let scenario_dir = dir.join(DEFAULT_SCENARIO_DIR);
    let mut files: Vec<(PathBuf, String)> = built_in_scenarios()
        .into_iter()
        .map(|file| {
            let path = scenario_dir.join(format!("{}.toml", file.group));
            (path, file.source.text)
        })
        .collect();
    files.push((
        dir.join(DEFAULT_THRESHOLDS_FILE),
        built_in_thresholds().text,
    ));
    files
}

/// A configuration error naming every file that exists, unless `force`.
fn refuse_existing(files: &[(PathBuf, String)], force: bool) -> Result<()> {
    let existing: Vec<String> = files
        .iter()
        .filter(|(path, _)| path.exists())
        .map(|(path, _)| path.display().to_string())
        .collect();
    if force || existing.is_empty() {
        return Ok(());
    }
    Err(Error::config(format!(
        "init: {} already exist{}; nothing was written. Pass --force to replace {}, or choose another directory",
        existing.join(", "),
        if existing.len() == 1 { "s" } else { "" },
        if existing.len() == 1 { "it" } else { "them" },
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_files_are_the_built_in_scenarios_and_thresholds() {
        let files = files_in(Path::new("proj"));
        let paths: Vec<String> = files.iter().map(|(p, _)| p.display().to_string()).collect();
        assert_eq!(
            paths,
            [
                "proj/scenarios/queries.toml",
                "proj/scenarios/cross_schema.toml",
                "proj/scenarios/access_paths.toml",
                "proj/scenarios/patterns.toml",
                "proj/thresholds.toml"
            ]
        );
        assert!(files.iter().all(|(_, text)| !text.is_empty()));
    }

    #[test]
    fn existing_files_are_refused_without_force() {
        let dir = tempfile::tempdir().unwrap();
        let files = files_in(dir.path());
        std::fs::write(&files.last().unwrap().0, "mine").unwrap();
        let message = refuse_existing(&files, false).unwrap_err().to_string();
        assert!(
            message.contains("thresholds.toml already exists"),
            "{message}"
        );
        assert!(message.contains("--force"), "{message}");
        refuse_existing(&files, true).unwrap();
    }
}
