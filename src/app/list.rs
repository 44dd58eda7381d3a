//! `techspec-bench list`: the scenarios with their group, origin, load shape, thresholds
//! and plan expectations, from the files alone. Must not connect to a database.

use crate::app::selection::{self, Selected};
use crate::app::ui::{Ui, load_text};
use crate::cli::{Cli, ConfigArgs};
use crate::config::{LoadOverride, Scenario, Thresholds};
use crate::{Result, exit_code, explain};

/// Runs `list`: prints every selected scenario (exit 0, or 2 on a configuration error).
pub fn run(cli: &Cli, args: &ConfigArgs) -> Result<i32> {
    let ui = Ui::from_cli(cli);
    let selected = selection::load(
        &args.selection,
        args.thresholds.as_deref(),
        &LoadOverride::default(),
        &ui,
    )?;
    print!("{}", render(&selected));
    Ok(exit_code::SUCCESS)
}

/// One block per scenario, then a count.
pub fn render(selected: &Selected) -> String {
    let mut text = String::new();
    for scenario in &selected.scenarios {
        text.push_str(&entry(scenario, &selected.thresholds));
    }
    let groups = groups(&selected.scenarios);
    text.push_str(&format!(
        "{} scenario{} in {} group{}: {}\n",
        selected.scenarios.len(),
        plural(selected.scenarios.len()),
        groups.len(),
        plural(groups.len()),
        groups.join(", ")
    ));
    text
}

/// `name  [group]  file:line` and its load, thresholds, expectations.
fn entry(scenario: &Scenario, thresholds: &Thresholds) -> String {
    let limits = thresholds
        .by_scenario
        .get(&scenario.name)
        .map(|list| {
            list.iter()
                .map(|t| t.text.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_else(|| "none".to_string());
    let mut text = format!(
        "{}  [{}]  {}:{}\n",
        scenario.name,
        scenario.group,
        scenario.origin.file.display(),
        scenario.origin.line
    );
    if let Some(description) = &scenario.description {
        text.push_str(&format!("  {}\n", description.trim()));
    }
    text.push_str(&format!("  load:       {}\n", load_text(&scenario.load)));
    text.push_str(&format!("  thresholds: {limits}\n"));
    text.push_str(&format!(
        "  expect:     {}\n\n",
        explain::describe(&scenario.expect)
    ));
    text
}

/// The groups in order of first appearance.
pub fn groups(scenarios: &[Scenario]) -> Vec<&str> {
    let mut groups: Vec<&str> = Vec::new();
    for scenario in scenarios {
        if !groups.contains(&scenario.group.as_str()) {
            groups.push(&scenario.group);
        }
    }
    groups
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{self, thresholds::DEFAULT_METRIC};

    #[test]
    fn every_built_in_scenario_is_listed_with_its_threshold() {
        let scenarios = config::load_built_in_scenarios().unwrap();
        let mut thresholds = Thresholds::default();
        let limit = config::parse_threshold("p95 < 5ms", DEFAULT_METRIC).unwrap();
        thresholds
            .by_scenario
            .insert("session_by_id".into(), vec![limit]);
        let selected = Selected {
            loaded: scenarios.len(),
            scenarios,
            thresholds,
        };
        let text = render(&selected);
        assert!(
            text.starts_with("session_by_id  [queries]  <built-in>/queries.toml:"),
            "{text}"
        );
        assert!(text.contains("  thresholds: p95 < 5ms\n"), "{text}");
        assert!(text.contains("  thresholds: none\n"), "{text}");
        assert!(
            text.ends_with(
                "37 scenarios in 4 groups: queries, cross_schema, access_paths, patterns\n"
            ),
            "{text}"
        );
    }
}
