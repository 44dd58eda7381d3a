//! `techspec-bench explain`: show each scenario's custom plan (for drawn values) and
//! generic plan (for any values) and the verdict; exit 1 when an expectation fails on the
//! custom plan, or on the generic plan when the server always uses it. Must not time scenarios or hold SQL.

use std::path::PathBuf;

use serde::Serialize;

use crate::app::database;
use crate::app::dataset::{self, ensure_dataset};
use crate::app::ui::Ui;
use crate::cli::{Cli, ExplainArgs};
use crate::config::{self, Scenario};
use crate::explain::{self, ExplainedScenario, GenericPlans, render};
use crate::outcome::Outcome;
use crate::report::{check_writable, write_atomic};
use crate::{Error, Result, exit_code};

/// Sessions seeded on a throwaway cluster, as for `run`.
const THROWAWAY_SESSIONS: u64 = 10_000;

/// One scenario in `explain --json`.
#[derive(Debug, Serialize)]
struct ExplainEntry<'a> {
    name: &'a str,
    group: &'a str,
    expect: String,
    ok: bool,
    /// `explained`, `skipped` or `failed`.
    status: &'static str,
    /// Why it was skipped or failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    #[serde(flatten)]
    explained: Option<&'a ExplainedScenario>,
}

/// Everything `explain` needs from files and flags, validated before any database is touched.
pub struct ExplainPlan {
    pub scenarios: Vec<Scenario>,
    /// Seed of the random parameter draws.
    pub rng_seed: u64,
    /// `--json`: where to write the plans and verdicts.
    pub json: Option<PathBuf>,
}

impl ExplainPlan {
    /// Loads and selects the scenarios and checks that the `--json` path is writable
    /// (exit 2 on any problem).
    pub fn check(args: &ExplainArgs) -> Result<ExplainPlan> {
        let scenarios = config::load_scenarios(&args.selection.scenarios)?;
        let scenarios = config::select(scenarios, &args.selection.filter)?;
        if let Some(path) = &args.json {
            check_writable("--json", path)?;
        }
        Ok(ExplainPlan {
            scenarios,
            rng_seed: args.selection.rng_seed,
            json: args.json.clone(),
        })
    }
}

/// Runs `explain`.
pub async fn run(cli: &Cli, args: &ExplainArgs) -> Result<i32> {
    let ExplainPlan {
        scenarios,
        rng_seed,
        json,
    } = ExplainPlan::check(args)?;
    let ui = Ui::from_cli(cli);
    let mut database =
        database::open_seeded(cli, dataset::throwaway_dataset(THROWAWAY_SESSIONS)).await?;
    let mut client = database.connect().await?;
    ensure_dataset(&mut database, &mut client, false, THROWAWAY_SESSIONS, &ui).await?;
    explain::validate_expectations(&client, &scenarios).await?;
    let mut outcomes = Vec::with_capacity(scenarios.len());
    for scenario in &scenarios {
        let outcome =
            explain::explain_scenario_with(&mut client, scenario, rng_seed, GenericPlans::All)
                .await?;
        if !ui.quiet {
            println!(
                "{}",
                render::scenario(&scenario.name, &outcome, &scenario.expect)
            );
        }
        outcomes.push(outcome);
    }
    let entries: Vec<ExplainEntry> = scenarios
        .iter()
        .zip(&outcomes)
        .map(|(scenario, outcome)| ExplainEntry {
            name: &scenario.name,
            group: &scenario.group,
            expect: explain::describe(&scenario.expect),
            ok: passed(outcome),
            status: status_name(outcome),
            reason: outcome.reason(),
            explained: match outcome {
                Outcome::Ok(explained) => Some(explained),
                Outcome::Skip(_) | Outcome::Error(_) => None,
            },
        })
        .collect();
    if let Some(path) = &json {
        let bytes = serde_json::to_vec_pretty(&entries)
            .map_err(|e| Error::environment(format!("cannot encode the plans as JSON: {e}")))?;
        write_atomic(path, &bytes)?;
    }
    let failed = entries.iter().filter(|e| !e.ok).count();
    println!(
        "{} scenarios explained, {failed} with a failed plan check",
        entries.len()
    );
    Ok(if failed == 0 {
        exit_code::SUCCESS
    } else {
        exit_code::GATE_FAILED
    })
}

/// A skipped scenario is not a failure (as in `run` without --strict).
fn passed(outcome: &Outcome<ExplainedScenario>) -> bool {
    match outcome {
        Outcome::Ok(explained) => explained.passes(),
        Outcome::Skip(_) => true,
        Outcome::Error(_) => false,
    }
}

/// The `status` of an entry in `explain --json`.
fn status_name(outcome: &Outcome<ExplainedScenario>) -> &'static str {
    match outcome {
        Outcome::Ok(_) => "explained",
        Outcome::Skip(_) => "skipped",
        Outcome::Error(_) => "failed",
    }
}
