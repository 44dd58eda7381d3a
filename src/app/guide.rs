//! `techspec-bench guide`: reads a saved run (`run --json`), optionally a sweep
//! (`scale --json`) and an ablation (`ablate --json`), and prints the query optimisation
//! guide as Markdown on stdout. Must not touch a database nor render text itself
//! (`report::guide` does): it reads the files (with `crate::saved`) into the typed
//! `GuideInput`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::cli::{Cli, GuideArgs};
use crate::config::{Scenario, load_scenarios};
use crate::growth::sweep::{SCALE_FORMAT, ScaleReport};
use crate::report::guide::{Definition, Growth, GuideInput, IndexGain, render_guide};
use crate::saved::{self, FileKind};
use crate::{Result, exit_code};

/// The `format` of the ablation files `--ablate` reads.
pub const ABLATE_FORMAT: &str = "techspec-bench-ablate/1";

/// Runs `guide`: the Markdown on stdout, exit 0.
pub fn run(_cli: &Cli, args: &GuideArgs) -> Result<i32> {
    let report = saved::load_results(&args.run)?;
    let scenarios = load_scenarios(&args.scenarios)?;
    let scale = args.scale.as_deref().map(read_scale).transpose()?;
    let ablation = args.ablate.as_deref().map(read_ablation).transpose()?;
    let input = GuideInput {
        run: &report,
        definitions: definitions(&scenarios),
        sweep_levels: scale
            .as_ref()
            .map(|s| s.levels.iter().map(|l| l.sessions).collect()),
        growth: scale.as_ref().map(growth_of).unwrap_or_default(),
        ablation_started_at: ablation.as_ref().map(|a| a.started_at.clone()),
        gains: ablation.map(gains_of).unwrap_or_default(),
    };
    print!("{}", render_guide(&input));
    Ok(exit_code::SUCCESS)
}

/// Each loaded scenario's description and SQL, by name.
fn definitions(scenarios: &[Scenario]) -> BTreeMap<String, Definition> {
    scenarios
        .iter()
        .map(|scenario| {
            let definition = Definition {
                description: scenario.description.clone(),
                sql: scenario.steps.iter().map(|step| step.sql.clone()).collect(),
            };
            (scenario.name.clone(), definition)
        })
        .collect()
}

/// A sweep written by `scale --json`.
const SWEEP: FileKind = FileKind {
    what: "sweep file",
    format: SCALE_FORMAT,
    fix: "pass a file written by `techspec-bench scale --json FILE` of this version",
};

/// An ablation written by `ablate --json`.
const ABLATION: FileKind = FileKind {
    what: "ablation file",
    format: ABLATE_FORMAT,
    fix: "pass a file written by `techspec-bench ablate --json FILE` of this version",
};

fn read_scale(path: &Path) -> Result<ScaleReport> {
    saved::read(path, SWEEP)
}

fn read_ablation(path: &Path) -> Result<Ablation> {
    saved::read(path, ABLATION)
}

/// Each scenario's growth class and fitted exponents.
fn growth_of(scale: &ScaleReport) -> BTreeMap<String, Growth> {
    scale
        .scenarios
        .iter()
        .map(|scenario| {
            let growth = Growth {
                class: scenario.class,
                k_p50: scenario.p50.as_ref().map(|fit| fit.k),
                r2_p50: scenario.p50.as_ref().map(|fit| fit.r2),
                k_buffers: scenario.buffers.as_ref().map(|fit| fit.k),
            };
            (scenario.name.clone(), growth)
        })
        .collect()
}

/// What each index buys each scenario, by scenario.
fn gains_of(ablation: Ablation) -> BTreeMap<String, Vec<IndexGain>> {
    let mut gains: BTreeMap<String, Vec<IndexGain>> = BTreeMap::new();
    for read in ablation.reads {
        gains.entry(read.scenario).or_default().push(IndexGain {
            index: read.index.name,
            gain_p50: read.gain_p50,
            gain_p95: read.gain_p95.value,
            gain_buffers: read.gain_buffers,
            below_noise: read.below_noise,
            fallback_plan: read.fallback_plan,
        });
    }
    gains
}

/// The part of `ablate --json` the guide reads; other fields are ignored.
#[derive(Debug, Deserialize)]
struct Ablation {
    started_at: String,
    #[serde(default)]
    reads: Vec<AblatedRead>,
}

#[derive(Debug, Deserialize)]
struct AblatedRead {
    index: AblatedObject,
    scenario: String,
    gain_p50: f64,
    gain_p95: AblatedRatio,
    gain_buffers: f64,
    below_noise: bool,
    fallback_plan: String,
}

#[derive(Debug, Deserialize)]
struct AblatedObject {
    name: String,
}

#[derive(Debug, Deserialize)]
struct AblatedRatio {
    value: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ablation_file_is_read_by_scenario_ignoring_other_fields() {
        let value = serde_json::json!({
            "format": ABLATE_FORMAT,
            "started_at": "2026-01-01T00:00:00Z",
            "method": { "batches": 5 },
            "reads": [{
                "index": { "name": "ix_a", "table": "public.t", "kind": "index" },
                "scenario": "s",
                "with": { "p50_us": 10, "p95_us": 20, "buffers": 3 },
                "gain_p50": 4.0,
                "gain_p95": { "value": 5.0, "low": 4.0, "high": 6.0 },
                "gain_buffers": 100.0,
                "below_noise": false,
                "fallback_plan": "Seq Scan on t"
            }],
            "writes": []
        });
        let ablation: Ablation = saved::typed(Path::new("a.json"), value, ABLATION).expect("reads");
        let gains = gains_of(ablation);
        assert_eq!(gains["s"][0].index, "ix_a");
        assert_eq!(gains["s"][0].gain_p95, 5.0);
    }

    #[test]
    fn a_file_of_another_format_is_refused_naming_the_expected_one() {
        let value = serde_json::json!({ "format": "techspec-bench/1" });
        let path = Path::new("x.json");
        let error = saved::check_format(path, &value, ABLATION).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        let text = error.to_string();
        assert!(text.contains("x.json"), "{text}");
        assert!(text.contains(ABLATE_FORMAT), "{text}");
    }
}
