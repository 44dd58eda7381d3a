//! `run`'s measuring order. Each scenario is measured in up to `--rounds` windows, taken in
//! rounds that interleave the scenarios: round r measures the window of every scenario
//! that is due then, so each scenario's windows spread over the whole run and sample the
//! machine at several times, each on new connections. A scenario's plan is checked before
//! its first window and again after its last, when its result is judged (thresholds,
//! plan) and written; the report keeps the scenarios' order. The baseline comparison is
//! left to the end of the run. The machine reference probes (`db::reference`), when the
//! plan has them, are measured in the same rounds and land in the report's `reference`,
//! not among its scenarios. Progress lines (without a terminal) say each scenario's end
//! in the scenarios' order, however the rounds finish them. When the database is lost
//! for good, what finished is kept and the rest are written as errors with the cause.
//! Must not format output.

use crate::Result;
use crate::app::ab::Against;
use crate::app::database::OpenDatabase;
use crate::app::run::RunPlan;
use crate::app::scenario_run::{self, Stage};
use crate::app::ui::Ui;
use crate::bench::schedule::window_count;
use crate::config::Scenario;
use crate::db::reference::is_probe_group;
use crate::error::ErrorClass;
use crate::results::{RunReport, ScenarioResult, Status, Summary};
use crate::verdict::definition::definition_hash;

/// True when a scenario of `windows` windows with `measured` of them done measures its
/// next window in `round` (0-based) of `rounds`: window j is due in round ⌊j·rounds/windows⌋.
pub fn due(measured: u32, windows: u32, rounds: u32, round: u32) -> bool {
    measured < windows
        && u64::from(measured) * u64::from(rounds) / u64::from(windows.max(1)) == u64::from(round)
}

/// Where each scenario stands: not begun, being measured, or judged.
enum Slot {
    Waiting,
    Measuring(Box<Stage>),
    /// The result, and in an A/B run the base side's.
    Finished(Box<ScenarioResult>, Option<Box<ScenarioResult>>),
}

/// Measures every scenario of `plan` into `report`, writing the result files after each
/// scenario is judged. Errors: the environment error that ended the run (the report then
/// holds every scenario, the unfinished ones as errors), Ctrl-C, or a configuration error.
pub async fn measure_all(
    database: &OpenDatabase,
    client: &mut tokio_postgres::Client,
    against: Option<&mut Against>,
    plan: &RunPlan,
    report: &mut RunReport,
    ui: &Ui,
) -> Result<()> {
    let mut slots: Vec<Slot> = plan.scenarios.iter().map(|_| Slot::Waiting).collect();
    let mut run = Interleaved {
        database,
        against,
        plan,
        ui,
        announced: 0,
    };
    for round in 0..plan.rounds {
        for index in 0..plan.scenarios.len() {
            if let Err(error) = run.step(client, &mut slots, index, round, report).await {
                if error.class() == ErrorClass::Environment {
                    let cause = error.to_string();
                    mark_unfinished(report, &plan.scenarios, &mut slots, index, &cause);
                    plan.sink.write_files(report)?;
                    plan.sink.write_stdout(report)?;
                }
                return Err(error);
            }
        }
    }
    Ok(())
}

struct Interleaved<'a> {
    database: &'a OpenDatabase,
    against: Option<&'a mut Against>,
    plan: &'a RunPlan,
    ui: &'a Ui,
    /// Scenarios whose end was announced: all of the first `announced`.
    announced: usize,
}

impl Interleaved<'_> {
    /// Scenario `index` in `round`: begins it in round 0, measures its window when one is
    /// due, and judges and writes it after its last.
    async fn step(
        &mut self,
        client: &mut tokio_postgres::Client,
        slots: &mut [Slot],
        index: usize,
        round: u32,
        report: &mut RunReport,
    ) -> Result<()> {
        let (plan, scenario) = (self.plan, &self.plan.scenarios[index]);
        // The machine reference probes (appended last) are measured silently.
        let probe = is_probe_group(&scenario.group);
        let slot = std::mem::replace(&mut slots[index], Slot::Waiting);
        let mut stage = match slot {
            Slot::Finished(..) => {
                slots[index] = slot;
                return Ok(());
            }
            Slot::Waiting => {
                let windows = window_count(&scenario.load, plan.rounds);
                let against = self.against.as_deref_mut();
                scenario_run::begin(
                    self.database,
                    client,
                    against,
                    scenario,
                    plan.rng_seed,
                    windows,
                )
                .await?
            }
            Slot::Measuring(stage) => *stage,
        };
        if let Stage::Measuring(progress) = &stage
            && due(progress.measured, progress.windows, plan.rounds, round)
        {
            stage = scenario_run::measure_window(
                self.database,
                self.against.as_deref(),
                scenario,
                stage,
                plan.rng_seed,
                self.ui,
            )
            .await?;
        }
        let complete = match &stage {
            Stage::Done(_) => true,
            Stage::Measuring(progress) => progress.measured >= progress.windows,
        };
        if !complete {
            slots[index] = Slot::Measuring(Box::new(stage));
            return Ok(());
        }
        let thresholds = plan.thresholds.by_scenario.get(&scenario.name);
        let (mut result, base) = match self.against.as_deref_mut() {
            None => {
                let result =
                    scenario_run::finish(client, scenario, thresholds, stage, plan.rng_seed)
                        .await?;
                (result, None)
            }
            Some(against) => {
                let (mut result, base) = scenario_run::finish_pair(
                    client,
                    against,
                    scenario,
                    thresholds,
                    stage,
                    plan.rng_seed,
                )
                .await?;
                if let Some(base) = &base {
                    against.judge(&mut result, base);
                }
                (result, base)
            }
        };
        result.definition = Some(definition_hash(scenario));
        slots[index] = Slot::Finished(Box::new(result), base.map(Box::new));
        if !probe {
            self.announce(slots);
        }
        collect(report, slots);
        plan.sink.write_files(report)
    }

    /// Announces every finished scenario whose predecessors were all announced, so the
    /// lines come in the scenarios' order (the probes, appended last, stay silent).
    fn announce(&mut self, slots: &[Slot]) {
        let scenarios = &self.plan.scenarios;
        let total = scenarios
            .iter()
            .filter(|s| !is_probe_group(&s.group))
            .count();
        while self.announced < total {
            let Slot::Finished(result, _) = &slots[self.announced] else {
                return;
            };
            self.ui.scenario_finished(self.announced + 1, total, result);
            self.announced += 1;
        }
    }
}

/// The report's scenarios: the finished ones, in the scenarios' order.
fn collect(report: &mut RunReport, slots: &[Slot]) {
    let (probes, scenarios): (Vec<ScenarioResult>, Vec<ScenarioResult>) = slots
        .iter()
        .filter_map(|slot| match slot {
            Slot::Finished(result, _) => Some((**result).clone()),
            _ => None,
        })
        .partition(|result| is_probe_group(&result.group));
    report.scenarios = scenarios;
    report.reference = probes;
    report.summary = Summary::of(&report.scenarios);
    if let Some(base) = &mut report.against {
        base.scenarios = slots
            .iter()
            .filter_map(|slot| match slot {
                Slot::Finished(_, Some(base)) => Some((**base).clone()),
                _ => None,
            })
            .collect();
        base.summary = Summary::of(&base.scenarios);
    }
}

fn unmeasured(scenario: &Scenario, reason: String) -> ScenarioResult {
    ScenarioResult::unmeasured(&scenario.name, &scenario.group, Status::Error, reason)
}

/// Every unfinished scenario becomes an error: the one that met `cause` (`failed`) names
/// it, the others say they were not run, or not finished (keeping what their windows
/// measured), because of it.
fn mark_unfinished(
    report: &mut RunReport,
    scenarios: &[Scenario],
    slots: &mut [Slot],
    failed: usize,
    cause: &str,
) {
    for (index, scenario) in scenarios.iter().enumerate() {
        let slot = std::mem::replace(&mut slots[index], Slot::Waiting);
        let result = match slot {
            Slot::Finished(..) => {
                slots[index] = slot;
                continue;
            }
            _ if index == failed => unmeasured(scenario, cause.to_string()),
            Slot::Waiting => unmeasured(scenario, format!("not run: {cause}")),
            Slot::Measuring(stage) => {
                scenario_run::unfinished(scenario, *stage, format!("not finished: {cause}"))
            }
        };
        slots[index] = Slot::Finished(Box::new(result), None);
    }
    collect(report, slots);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rounds_of(windows: u32, rounds: u32) -> Vec<u32> {
        let mut measured = 0;
        let mut found = Vec::new();
        for round in 0..rounds {
            if due(measured, windows, rounds, round) {
                found.push(round);
                measured += 1;
            }
        }
        found
    }

    #[test]
    fn windows_spread_evenly_over_the_rounds() {
        assert_eq!(rounds_of(8, 8), (0..8).collect::<Vec<_>>());
        assert_eq!(rounds_of(2, 8), [0, 4]);
        assert_eq!(rounds_of(3, 8), [0, 2, 5]);
        assert_eq!(rounds_of(1, 8), [0]);
        assert_eq!(rounds_of(1, 1), [0]);
    }

    #[test]
    fn a_scenario_with_every_window_measured_is_never_due() {
        assert!(!due(8, 8, 8, 7));
        assert!(!due(1, 1, 8, 0));
    }
}
