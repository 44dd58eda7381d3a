//! `techspec-bench calibrate`: runs the scenarios as `run` does (no thresholds) and writes
//! a thresholds file fitted to this machine and dataset: `p95 < measured p95 × headroom`
//! (at least measured + 50µs) and `buffers <= measured buffers × factor`. Prints each
//! scenario's headroom. An existing file is refused (exit 2, before anything is measured)
//! unless `--force`; then only its p95 and buffers limits are rewritten
//! (`config::thresholds_update`) and each change is printed. Must not hold SQL; the
//! limits are computed by pure functions here.

use std::fmt::Write as _;
use std::path::Path;

use comfy_table::Table;

use crate::app::database;
use crate::app::dataset::{self, ensure_dataset};
use crate::app::scenario_run::run_one;
use crate::app::ui::Ui;
use crate::cli::{CalibrateArgs, Cli};
use crate::config::thresholds_update::{
    CalibratedGates, GateChange, GateKind, gate_texts, update_thresholds,
};
use crate::config::{self, Scenario};
use crate::explain;
use crate::report::units::format_latency_us;
use crate::report::write_atomic;
use crate::results::ScenarioResult;
use crate::{Error, Result, exit_code};

/// The smallest gap between a calibrated limit and the measured p95, so a very fast query
/// is not failed by scheduling jitter alone.
pub const MIN_SLACK_US: f64 = 50.0;

/// One scenario's calibrated gates.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibrated {
    pub name: String,
    pub p95_us: f64,
    /// `p95 <` this, in microseconds.
    pub limit_us: f64,
    pub buffers: Option<u64>,
    /// `buffers <=` this.
    pub max_buffers: Option<u64>,
}

impl Calibrated {
    /// The gates of a measured scenario; `None` when it measured no latency.
    pub fn of(result: &ScenarioResult, headroom: f64, buffers_factor: f64) -> Option<Self> {
        let p95_us = result.latency_us?.p95 as f64;
        Some(Calibrated {
            name: result.name.clone(),
            p95_us,
            limit_us: calibrated_limit(p95_us, headroom),
            buffers: result.buffers,
            max_buffers: result.buffers.map(|b| buffers_budget(b, buffers_factor)),
        })
    }

    /// limit ÷ measured.
    pub fn headroom(&self) -> f64 {
        self.limit_us / self.p95_us.max(1.0)
    }

    /// The gates to write into the thresholds file.
    pub fn gates(&self) -> CalibratedGates {
        CalibratedGates {
            scenario: self.name.clone(),
            p95_limit_us: self.limit_us,
            max_buffers: self.max_buffers,
        }
    }
}

/// `p95 × headroom`, at least `p95 + 50µs`, rounded up to three significant digits.
fn calibrated_limit(p95_us: f64, headroom: f64) -> f64 {
    round_up_3(f64::max(p95_us * headroom, p95_us + MIN_SLACK_US))
}

/// `buffers × factor` rounded up, at least one more than measured.
fn buffers_budget(buffers: u64, factor: f64) -> u64 {
    ((buffers as f64 * factor).ceil() as u64).max(buffers + 1)
}

fn round_up_3(value: f64) -> f64 {
    if value <= 0.0 {
        return 1.0;
    }
    let scale = 10f64.powi(value.log10().floor() as i32 - 2).max(1.0);
    (value / scale).ceil() * scale
}

/// The thresholds file: a header saying how it was made, then one entry per scenario.
fn thresholds_toml(entries: &[Calibrated], headroom: f64, factor: f64, origin: &str) -> String {
    let mut text = format!(
        "# Written by `techspec-bench calibrate` {origin}.\n\
         # p95 limits are the measured p95 × {headroom} (at least + 50us); buffer budgets are\n\
         # the measured shared buffers per execution × {factor}. Calibrate again after\n\
         # changing the machine, the dataset or the scenarios.\n\n\
         [defaults]\nmetric = \"p95\"\n\n[thresholds]\n"
    );
    for entry in entries {
        let gates: Vec<String> = gate_texts(&entry.gates())
            .iter()
            .map(|gate| format!("\"{gate}\""))
            .collect();
        let _ = writeln!(text, "{} = [{}]", entry.name, gates.join(", "));
    }
    text
}

/// Runs `calibrate`: exit 0 once the file is written, 1 when a scenario could not be
/// measured (it gets no threshold and is named). An existing `--output` is refused (exit
/// 2) before anything is measured unless `--force` is given.
pub async fn run(cli: &Cli, args: &CalibrateArgs) -> Result<i32> {
    let ui = Ui::from_cli(cli);
    let scenarios = config::load_scenarios(&args.selection.scenarios)?;
    crate::report::check_writable("--output", &args.output)?;
    let update_in_place = existing_output(args, &scenarios)?;
    let scenarios = config::select(scenarios, &args.selection.filter)?;
    let mut database =
        database::open_seeded(cli, dataset::throwaway_dataset(args.sessions)).await?;
    let mut client = database.connect().await?;
    ensure_dataset(&mut database, &mut client, args.seed, args.sessions, &ui).await?;
    explain::validate_expectations(&client, &scenarios).await?;
    let mut entries = Vec::new();
    let mut unmeasured = Vec::new();
    for scenario in &scenarios {
        let seed = args.selection.rng_seed;
        let result = run_one(&database, &mut client, scenario, None, seed, &ui).await?;
        match Calibrated::of(&result, args.headroom, args.buffers_factor) {
            Some(entry) => entries.push(entry),
            None => unmeasured.push(format!(
                "{} ({})",
                result.name,
                result.reason.unwrap_or_default()
            )),
        }
    }
    print!("{}", calibration_table(&entries));
    if update_in_place {
        let changes = update_file(args, &entries)?;
        print!("{}", changes_text(&args.output, &changes));
    } else {
        write_thresholds(args, &entries, &database.target.display)?;
        println!("wrote {}", args.output.display());
    }
    if unmeasured.is_empty() {
        return Ok(exit_code::SUCCESS);
    }
    eprintln!(
        "not calibrated (no latency measured): {}",
        unmeasured.join(", ")
    );
    Ok(exit_code::GATE_FAILED)
}

/// True when the `--output` file exists and `--force` allows updating it (it must load as
/// a thresholds file for `scenarios`); false when there is no file. Without `--force` an
/// existing file is a configuration error naming the ways out.
fn existing_output(args: &CalibrateArgs, scenarios: &[Scenario]) -> Result<bool> {
    let path = &args.output;
    if !path.exists() {
        return Ok(false);
    }
    if !args.force {
        return Err(Error::config(format!(
            "calibrate: {} already exists; nothing was measured or written. Pass --force to \
             update it (only its p95 and buffers limits are rewritten; ratio and errors gates, \
             [regression], comments and order are kept), or --output FILE to write a new file",
            path.display()
        )));
    }
    config::load_thresholds(Some(path), scenarios)?;
    Ok(true)
}

/// Rewrites the calibrated gates of the `--output` file, read again now so that nothing
/// written to it while measuring is lost.
fn update_file(args: &CalibrateArgs, entries: &[Calibrated]) -> Result<Vec<GateChange>> {
    let path = &args.output;
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::io(format!("reading {}", path.display()), e, None))?;
    let gates: Vec<CalibratedGates> = entries.iter().map(Calibrated::gates).collect();
    let (updated, changes) = update_thresholds(&text, path, &gates)?;
    write_atomic(Path::new(&args.output), updated.as_bytes())?;
    Ok(changes)
}

/// What the update did, one line per gate that changed or was added (`old → new`), and
/// the count of gates already at their calibrated value.
fn changes_text(path: &Path, changes: &[GateChange]) -> String {
    let unchanged = changes.iter().filter(|c| c.is_unchanged()).count();
    let mut text = format!("updated {}:\n", path.display());
    for change in changes.iter().filter(|c| !c.is_unchanged()) {
        let kind = match change.kind {
            GateKind::P95 => "p95",
            GateKind::Buffers => "buffers",
        };
        let old = change.old.as_deref().unwrap_or("(none)");
        let _ = writeln!(text, "  {} {kind}: {old} → {}", change.scenario, change.new);
    }
    let _ = writeln!(
        text,
        "  {unchanged} gate{} unchanged; every other gate, [regression] and the comments kept",
        if unchanged == 1 { "" } else { "s" }
    );
    text
}

fn write_thresholds(args: &CalibrateArgs, entries: &[Calibrated], target: &str) -> Result<()> {
    let when = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let origin = format!("on {when} against {target}");
    let text = thresholds_toml(entries, args.headroom, args.buffers_factor, &origin);
    write_atomic(Path::new(&args.output), text.as_bytes())
}

/// scenario, measured p95, limit, headroom, buffers, budget.
fn calibration_table(entries: &[Calibrated]) -> String {
    let mut table = Table::new();
    table.load_style(comfy_table::presets::UTF8_HORIZONTAL_ONLY);
    table.set_header(["scenario", "p95", "limit", "headroom", "buffers", "budget"]);
    let count = |value: Option<u64>| value.map_or("—".to_string(), |v| v.to_string());
    for entry in entries {
        table.add_row([
            entry.name.clone(),
            format_latency_us(entry.p95_us),
            format_latency_us(entry.limit_us),
            format!("{:.1}×", entry.headroom()),
            count(entry.buffers),
            count(entry.max_buffers),
        ]);
    }
    format!("{table}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_is_p95_times_headroom_with_a_floor_rounded_up() {
        assert_eq!(calibrated_limit(1_000.0, 2.5), 2_500.0);
        assert_eq!(calibrated_limit(2_101.0, 2.5), 5_260.0);
        assert_eq!(calibrated_limit(20.0, 2.5), 70.0, "floor: p95 + 50µs");
        assert_eq!(calibrated_limit(123_456.0, 3.0), 371_000.0);
    }

    #[test]
    fn a_buffer_budget_is_at_least_one_more_than_measured() {
        assert_eq!(buffers_budget(100, 1.2), 120);
        assert_eq!(buffers_budget(3, 1.2), 4);
        assert_eq!(buffers_budget(0, 1.2), 1);
    }

    #[test]
    fn the_file_parses_back_into_the_same_gates() {
        let entries = [Calibrated {
            name: "by_id".into(),
            p95_us: 2_101.0,
            limit_us: 5_260.0,
            buffers: Some(4),
            max_buffers: Some(5),
        }];
        let text = thresholds_toml(&entries, 2.5, 1.2, "in a test");
        assert!(
            text.contains("by_id = [\"p95 < 5.26ms\", \"buffers <= 5\"]"),
            "{text}"
        );
        let parsed: toml::Value = toml::from_str(&text).unwrap();
        let gates = parsed["thresholds"]["by_id"].as_array().unwrap();
        for gate in gates {
            config::parse_threshold(gate.as_str().unwrap(), config::Metric::P95).unwrap();
        }
        assert!((entries[0].headroom() - 2.5036).abs() < 1e-3);
    }

    #[test]
    fn the_changes_name_each_gate_old_and_new() {
        let change = |kind, old: Option<&str>, new: &str| GateChange {
            scenario: "by_id".into(),
            kind,
            old: old.map(str::to_string),
            new: new.into(),
        };
        let text = changes_text(
            Path::new("t.toml"),
            &[
                change(GateKind::P95, Some("5ms"), "1.2ms"),
                change(GateKind::Buffers, None, "buffers <= 4"),
                change(GateKind::P95, Some("p95 < 1ms"), "p95 < 1ms"),
            ],
        );
        assert_eq!(
            text,
            "updated t.toml:\n  by_id p95: 5ms → 1.2ms\n  by_id buffers: (none) → buffers <= 4\n  \
             1 gate unchanged; every other gate, [regression] and the comments kept\n"
        );
    }
}
