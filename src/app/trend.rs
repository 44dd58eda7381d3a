//! `techspec-bench trend DIR|FILES...`: reads a history of results files (`crate::saved`,
//! oldest first by start time), builds the trend (`crate::trend`), writes the page
//! (`--html`) and the Markdown summary (`--markdown`) atomically, and prints the summary
//! on stdout (nothing with `-q`). Informs; exit 0 once written, 2 for an unreadable file.
//! Must not touch a database.

use crate::app::ui::Ui;
use crate::cli::{Cli, TrendArgs};
use crate::report::{self, write_atomic};
use crate::{Error, Result, exit_code, saved, trend};

/// Runs `trend`.
pub fn run(cli: &Cli, args: &TrendArgs) -> Result<i32> {
    let ui = Ui::from_cli(cli);
    let outputs = [("--html", &args.html), ("--markdown", &args.markdown)];
    for (flag, path) in outputs {
        if let Some(path) = path {
            report::check_writable(flag, path)?;
        }
    }
    let mut runs = saved::load_history(&args.inputs, saved::RESULTS)?;
    if let Some(last) = args.last {
        let keep = usize::try_from(last).unwrap_or(usize::MAX);
        runs = runs.split_off(runs.len().saturating_sub(keep));
    }
    if runs.is_empty() {
        return Err(Error::config(
            "trend needs at least one results file; pass files written by \
             `techspec-bench run --json FILE` or a directory of them",
        ));
    }
    let history = trend::history(&runs);
    let summary = report::trend::markdown(&history);
    if let Some(path) = &args.html {
        write_atomic(path, report::trend::html(&history).as_bytes())?;
    }
    if let Some(path) = &args.markdown {
        write_atomic(path, summary.as_bytes())?;
    }
    if !ui.quiet {
        print!("{summary}");
    }
    Ok(exit_code::SUCCESS)
}
