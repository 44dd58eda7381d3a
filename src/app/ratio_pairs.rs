//! `run`'s ratio gates measured in pairs: once every scenario was measured, each latency
//! ratio gate that can be judged has its two scenarios alternated on one connection
//! (`bench::ratio_pairs`), a quarter as many pairs as the smaller scenario measured
//! iterations, over as many connection draws as the run has rounds. What the pairs
//! recorded goes to the gate's verdict (`verdict::ratio`). A gate whose scenarios cannot
//! be measured together (a preflight that no longer passes, a connection refused) is
//! judged from the windows instead, with a warning. `apply_ratio_gates` hands what was
//! measured to the verdict and words the reasons (`run` and `merge` share it).

use crate::Result;
use crate::app::database::OpenDatabase;
use crate::app::run::RunPlan;
use crate::app::ui::Ui;
use crate::bench::ratio_pairs::{PairShape, PairSide, PairedDraws, measure_ratio_pairs};
use crate::bench::{self, PgExecutor, Prepared};
use crate::config::Scenario;
use crate::config::Thresholds;
use crate::outcome::Outcome;
use crate::results::{RunReport, Summary};
use crate::stats::histogram::Recorded;
use crate::verdict::ratio::{PairedGates, PairedSamples, gates_to_pair};

/// Most pairs one gate measures.
const MOST_PAIRS: u64 = 200;

/// Measures every pairable ratio gate of the run (none when there is none to judge).
pub async fn measure_gates(
    database: &OpenDatabase,
    plan: &RunPlan,
    report: &RunReport,
    ui: &Ui,
) -> Result<PairedGates> {
    let mut paired = PairedGates::new();
    for (own_name, other_name) in gates_to_pair(&report.scenarios, &plan.thresholds) {
        let (Some(own), Some(other)) = (scenario(plan, &own_name), scenario(plan, &other_name))
        else {
            continue;
        };
        let shape = shape_of(report, &own_name, &other_name, plan.rounds);
        let label = format!("{own_name} : {other_name}");
        match measure_gate(database, own, other, shape, plan.rng_seed, ui, &label).await? {
            Ok(draws) => {
                paired.insert((own_name, other_name), samples_of(&draws));
            }
            Err(why) => eprintln!(
                "warning: the ratio gate of `{own_name}` on `{other_name}` is judged from its \
                 windows: the pairs could not be measured ({why})"
            ),
        }
    }
    Ok(paired)
}

fn scenario<'a>(plan: &'a RunPlan, name: &str) -> Option<&'a Scenario> {
    plan.scenarios.iter().find(|s| s.name == name)
}

/// A quarter as many pairs as the smaller scenario measured iterations (at most
/// `MOST_PAIRS`): the pairs add about a quarter of the two scenarios' time to the run.
fn shape_of(report: &RunReport, own: &str, other: &str, rounds: u32) -> PairShape {
    let iterations = |name: &str| {
        report
            .scenarios
            .iter()
            .find(|r| r.name == name)
            .map_or(0, |r| r.iterations)
    };
    let pairs = (iterations(own).min(iterations(other)) / 4).min(MOST_PAIRS);
    PairShape::for_pairs(pairs, rounds)
}

/// Both preflights, then the pairs, off the async runtime. `Ok(Err(why))` when the gate
/// cannot be measured in pairs; `Err` for Ctrl-C.
async fn measure_gate(
    database: &OpenDatabase,
    own: &Scenario,
    other: &Scenario,
    shape: PairShape,
    rng_seed: u64,
    ui: &Ui,
    label: &str,
) -> Result<std::result::Result<PairedDraws, String>> {
    let target = database.target.clone();
    let (own, other) = (own.clone(), other.clone());
    let bar = ui.scenario_bar(label);
    let progress = bar.clone();
    let cancel = crate::app::cancel_flag();
    let work = move || -> Result<std::result::Result<PairedDraws, String>> {
        let (Some(a), Some(b)) = (
            ready(bench::prepare_scenario(&target, &own, rng_seed)?),
            ready(bench::prepare_scenario(&target, &other, rng_seed)?),
        ) else {
            return Ok(Err("a preflight no longer passes".into()));
        };
        let side = |scenario, prepared| PairSide { scenario, prepared };
        let measured = measure_ratio_pairs(
            &PgExecutor::new(&target),
            side(&own, &a),
            side(&other, &b),
            shape,
            &cancel,
            progress.as_ref(),
        );
        if cancel.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(crate::Error::Interrupted);
        }
        Ok(measured.map_err(|e| e.to_string()))
    };
    let outcome = tokio::task::spawn_blocking(work).await.map_err(|e| {
        crate::Error::environment(format!("the ratio-pair thread of `{label}` failed: {e}"))
    })?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    outcome
}

fn ready(outcome: Outcome<Prepared>) -> Option<Prepared> {
    match outcome {
        Outcome::Ok(prepared) => Some(prepared),
        _ => None,
    }
}

/// The draws as the verdict reads them.
fn samples_of(draws: &PairedDraws) -> PairedSamples {
    let recorded = |histograms: &[hdrhistogram::Histogram<u64>]| {
        histograms.iter().map(Recorded::of).collect::<Vec<_>>()
    };
    PairedSamples {
        own: recorded(&draws.own),
        other: recorded(&draws.other),
        pairs: draws.pairs,
    }
}

/// Judges the ratio gates now that every scenario is measured, words the reason of each
/// scenario they fail, and recounts. True when any gate was judged.
pub fn apply_ratio_gates(
    report: &mut RunReport,
    thresholds: &Thresholds,
    paired: &PairedGates,
) -> bool {
    let before: usize = report.scenarios.iter().map(|r| r.thresholds.len()).sum();
    let broken =
        crate::verdict::ratio::apply_ratio_gates(&mut report.scenarios, thresholds, paired);
    for (index, outcome) in broken {
        let result = &mut report.scenarios[index];
        let cause = [crate::verdict::Cause::Threshold(
            &result.thresholds[outcome],
        )];
        let Some(text) = crate::report::cells::failure_reason(&cause) else {
            continue;
        };
        result.reason = Some(match result.reason.take().filter(|r| !r.is_empty()) {
            Some(reason) => format!("{reason}; {text}"),
            None => text,
        });
    }
    report.summary = Summary::of(&report.scenarios);
    let after: usize = report.scenarios.iter().map(|r| r.thresholds.len()).sum();
    after > before
}
