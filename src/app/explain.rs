//! `techspec-bench explain`: show each scenario's plan and its verdict; exit 1 when an
//! expectation fails. Must not time scenarios or hold SQL.

use serde::Serialize;

use crate::app::database;
use crate::app::dataset::ensure_dataset;
use crate::app::ui::Ui;
use crate::cli::{Cli, ExplainArgs};
use crate::config;
use crate::explain::{self, ExplainedScenario, render};
use crate::outcome::Outcome;
use crate::report::write_atomic;
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

/// Runs `explain`.
pub async fn run(cli: &Cli, args: &ExplainArgs) -> Result<i32> {
    let scenarios = config::load_scenarios(&args.selection.scenarios)?;
    let scenarios = config::select(scenarios, &args.selection.filter)?;
    let ui = Ui::from_cli(cli);
    let database = database::open(cli, true).await?;
    let mut client = database.connect().await?;
    ensure_dataset(&database, &mut client, false, THROWAWAY_SESSIONS, &ui).await?;
    explain::validate_expectations(&client, &scenarios).await?;
    let mut outcomes = Vec::with_capacity(scenarios.len());
    for scenario in &scenarios {
        let outcome =
            explain::explain_scenario(&mut client, scenario, args.selection.rng_seed).await?;
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
    if let Some(path) = &args.json {
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
        Outcome::Ok(explained) => explained.check.ok,
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
