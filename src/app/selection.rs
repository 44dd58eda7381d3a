//! The configuration every scenario command starts from: scenario files, thresholds,
//! `--filter` and the load-shape flags, checked without a database. Shared by `run`,
//! `list` and `check`. Must not connect or print anything but `-v` notes.

use std::path::Path;

use crate::Result;
use crate::app::ui::Ui;
use crate::cli::{LoadFlags, ScenarioSelection};
use crate::config::{self, LoadAmount, LoadOverride, Scenario, Thresholds};

/// The selected scenarios (load flags applied) and the thresholds of all loaded ones.
pub struct Selected {
    pub scenarios: Vec<Scenario>,
    pub thresholds: Thresholds,
    /// How many scenarios were loaded before `--filter`.
    pub loaded: usize,
}

/// Loads scenarios and thresholds, selects with `--filter` and applies `load`. Thresholds
/// of known but unloaded scenarios are ignored, with a note under `-v`.
pub fn load(
    selection: &ScenarioSelection,
    thresholds: Option<&Path>,
    load: &LoadOverride,
    ui: &Ui,
) -> Result<Selected> {
    let scenarios = config::load_scenarios(&selection.scenarios)?;
    let (thresholds, ignored) = config::load_thresholds_noting(thresholds, &scenarios)?;
    if ui.verbose
        && let Some(note) = ignored_note(&ignored)
    {
        ui.note(note);
    }
    let loaded = scenarios.len();
    let scenarios = config::select(scenarios, &selection.filter)?;
    Ok(Selected {
        scenarios: config::override_load(scenarios, load),
        thresholds,
        loaded,
    })
}

/// The `run` flags as a load override.
pub fn load_override(flags: &LoadFlags) -> LoadOverride {
    let amount = match (flags.iterations, flags.duration, flags.budget) {
        (Some(iterations), _, _) => Some(LoadAmount::Iterations(iterations)),
        (None, Some(duration), _) => Some(LoadAmount::Duration(duration)),
        (None, None, Some(budget)) => Some(LoadAmount::Budget(budget)),
        (None, None, None) => None,
    };
    LoadOverride {
        clients: flags.clients,
        amount,
        warmup: flags.warmup,
        rate: flags.rate,
        protocol: flags.protocol,
    }
}

/// `-v` note naming the thresholds left out because their scenario is not loaded.
fn ignored_note(ignored: &[String]) -> Option<String> {
    match ignored {
        [] => None,
        names => Some(format!(
            "note: thresholds ignored for scenarios that are known but not loaded: {}",
            names.join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_note_names_every_ignored_threshold() {
        assert_eq!(ignored_note(&[]), None);
        let note = ignored_note(&["a".into(), "b".into()]).unwrap();
        assert!(note.ends_with("not loaded: a, b"), "{note}");
    }

    #[test]
    fn load_flags_become_an_override() {
        let flags = LoadFlags {
            duration: Some(Duration::from_secs(5)),
            clients: Some(3),
            ..LoadFlags::default()
        };
        let load = load_override(&flags);
        assert_eq!(
            load.amount,
            Some(LoadAmount::Duration(Duration::from_secs(5)))
        );
        assert_eq!(load.clients, Some(3));
        assert!(load_override(&LoadFlags::default()).is_empty());
    }
}
