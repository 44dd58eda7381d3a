//! `techspec-bench check`: validates scenario and thresholds files as `run` would, without
//! a database; exit 0 when they are valid, 2 with the first error otherwise.
//! Must not connect to a database.

use crate::app::list::groups;
use crate::app::selection::{self, Selected};
use crate::app::ui::Ui;
use crate::cli::{Cli, ConfigArgs};
use crate::config::LoadOverride;
use crate::{Result, exit_code};

/// Runs `check`. A configuration error is returned (exit 2) by the loaders themselves.
pub fn run(cli: &Cli, args: &ConfigArgs) -> Result<i32> {
    let ui = Ui::from_cli(cli);
    let selected = selection::load(
        &args.selection,
        args.thresholds.as_deref(),
        &LoadOverride::default(),
        &ui,
    )?;
    for line in summary(&selected) {
        ui.note(line);
    }
    Ok(exit_code::SUCCESS)
}

/// `ok: 20 scenarios in 3 groups, 19 with thresholds`, then the scenarios left without one.
pub fn summary(selected: &Selected) -> Vec<String> {
    let scenarios = &selected.scenarios;
    let unguarded: Vec<&str> = scenarios
        .iter()
        .filter(|s| !selected.thresholds.by_scenario.contains_key(&s.name))
        .map(|s| s.name.as_str())
        .collect();
    let mut lines = vec![format!(
        "ok: {} scenarios in {} groups, {} with thresholds",
        scenarios.len(),
        groups(scenarios).len(),
        scenarios.len() - unguarded.len()
    )];
    if !unguarded.is_empty() {
        lines.push(format!(
            "note: no threshold for {} (gated by plan expectations and query errors only)",
            unguarded.join(", ")
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{self, Thresholds};

    #[test]
    fn the_summary_counts_and_names_scenarios_without_thresholds() {
        let scenarios = config::load_built_in_scenarios().unwrap();
        let selected = Selected {
            loaded: scenarios.len(),
            scenarios,
            thresholds: Thresholds::default(),
        };
        let lines = summary(&selected);
        assert_eq!(lines[0], "ok: 37 scenarios in 4 groups, 0 with thresholds");
        assert!(lines[1].starts_with("note: no threshold for session_by_id, "));
    }
}
