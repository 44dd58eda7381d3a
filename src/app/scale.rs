//! `techspec-bench scale`: check the flags, then for each size seed (first level) or grow
//! (later levels) the dataset, ANALYZE, run every scenario through the `run` pipeline
//! (`scenario_run::run_one`), read its buffers per execution from EXPLAIN ANALYZE, and
//! finally fit, classify, gate and write the sweep. Must not hold SQL, fit numbers
//! (`growth` does) or render output (`report::scale` does).

mod dataset;

use std::path::PathBuf;
use std::time::Instant;

use chrono::{DateTime, SubsecRound, Utc};

use crate::app::database::{self, OpenDatabase};
use crate::app::scenario_run::run_one;
use crate::app::ui::Ui;
use crate::cli::{Cli, ScaleArgs};
use crate::config::{self, Scenario};
use crate::db::catalog;
use crate::explain;
use crate::growth::sweep::{
    LevelInfo, LevelMeasure, SCALE_FORMAT, ScaleReport, ScaleSummary, judge,
};
use crate::outcome::Outcome;
use crate::report::{self, scale as render};
use crate::results::{DatabaseInfo, ScenarioResult};
use crate::seed::MAX_SESSIONS;
use crate::{Error, Result, TOOL_VERSION, exit_code};

/// Everything `scale` needs from files and flags, validated before any database is touched.
pub struct ScalePlan {
    pub scenarios: Vec<Scenario>,
    pub levels: Vec<u64>,
    pub project: u64,
    pub rng_seed: u64,
    pub as_of: DateTime<Utc>,
    pub yes: bool,
    /// (flag, path, renderer) of every requested file.
    pub files: Vec<(&'static str, PathBuf, render::Format)>,
}

impl ScalePlan {
    /// Loads the scenarios and checks sizes, projection and output paths (exit 2).
    pub fn check(args: &ScaleArgs) -> Result<ScalePlan> {
        let scenarios = config::load_scenarios(&args.selection.scenarios)?;
        let scenarios = config::select(scenarios, &args.selection.filter)?;
        check_levels(&args.sessions)?;
        if args.project == 0 || args.project > MAX_SESSIONS * 1_000 {
            return Err(Error::config(format!(
                "scale: --project {} is out of range; give a number of sessions from 1 to {}",
                args.project,
                MAX_SESSIONS * 1_000
            )));
        }
        let as_of = match &args.as_of {
            Some(text) => crate::seed::parse_as_of(text)?,
            None => Utc::now().trunc_subsecs(0),
        };
        let requested = [
            ("--json", &args.json, render::Format::Json),
            ("--markdown", &args.markdown, render::Format::Markdown),
            ("--html", &args.html, render::Format::Html),
            ("--svg", &args.svg, render::Format::Svg),
        ];
        let mut files = Vec::new();
        for (flag, path, format) in requested {
            if let Some(path) = path {
                report::check_writable(flag, path)?;
                files.push((flag, path.clone(), format));
            }
        }
        Ok(ScalePlan {
            scenarios,
            levels: args.sessions.clone(),
            project: args.project,
            rng_seed: args.selection.rng_seed,
            as_of,
            yes: args.yes,
            files,
        })
    }
}

/// At least two sizes, strictly increasing, each a valid `--sessions`.
fn check_levels(levels: &[u64]) -> Result<()> {
    if levels.len() < 2 {
        return Err(Error::config(format!(
            "scale: --sessions {} gives {} size; a fit needs at least two, e.g. --sessions 100,1000,10000",
            join(levels),
            levels.len()
        )));
    }
    if let Some(bad) = levels.iter().find(|n| **n == 0 || **n > MAX_SESSIONS) {
        return Err(Error::config(format!(
            "scale: --sessions {bad} is out of range; give sizes from 1 to {MAX_SESSIONS}"
        )));
    }
    if let Some(pair) = levels.windows(2).find(|w| w[1] <= w[0]) {
        return Err(Error::config(format!(
            "scale: --sessions {} is not increasing ({} then {}); list the sizes smallest first",
            join(levels),
            pair[0],
            pair[1]
        )));
    }
    Ok(())
}

fn join(levels: &[u64]) -> String {
    levels
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Runs `scale` and returns the gate's exit code.
pub async fn run(cli: &Cli, args: &ScaleArgs) -> Result<i32> {
    let ui = Ui::from_cli(cli);
    let plan = ScalePlan::check(args)?;
    let database = database::open(cli, true).await?;
    if !database.is_throwaway() && !plan.yes {
        return Err(Error::config(format!(
            "scale: seeding and growing {} would replace its seed data; pass --yes to allow it, \
             or leave out --database-url (and DATABASE_URL) to use a throwaway cluster",
            database.target.display
        )));
    }
    let mut client = database.connect().await?;
    let mut report = new_report(&database, &client, &plan).await?;
    let mut measures: Vec<Vec<LevelMeasure>> = vec![Vec::new(); plan.scenarios.len()];
    for (index, sessions) in plan.levels.iter().enumerate() {
        let step = format!("level {}/{}", index + 1, plan.levels.len());
        let started = Instant::now();
        let how = dataset::prepare(&mut client, &plan, index, &step, &ui).await?;
        let seed_s = started.elapsed().as_secs_f64();
        let started = Instant::now();
        for (n, scenario) in plan.scenarios.iter().enumerate() {
            ui.note(format!(
                "{step}: {sessions} sessions: measuring {} ({}/{})",
                scenario.name,
                n + 1,
                plan.scenarios.len()
            ));
            let measure = measure(
                &database,
                &mut client,
                scenario,
                *sessions,
                plan.rng_seed,
                &ui,
            )
            .await
            .map_err(|e| e.in_context(format!("scale at {sessions} sessions")))?;
            measures[n].push(measure);
        }
        report.levels.push(LevelInfo {
            sessions: *sessions,
            dataset: how.to_string(),
            seed_s,
            measure_s: started.elapsed().as_secs_f64(),
        });
    }
    report.scenarios = plan
        .scenarios
        .iter()
        .zip(measures)
        .map(|(s, levels)| judge(&s.name, &s.group, s.max_growth, levels, plan.project))
        .collect();
    report.summary = ScaleSummary::of(&report.scenarios);
    write_outputs(&plan, &report, &ui)?;
    Ok(if report.summary.fail > 0 {
        exit_code::GATE_FAILED
    } else {
        exit_code::SUCCESS
    })
}

/// One scenario at one size: the run pipeline's result plus buffers per execution.
async fn measure(
    database: &OpenDatabase,
    client: &mut tokio_postgres::Client,
    scenario: &Scenario,
    sessions: u64,
    rng_seed: u64,
    ui: &Ui,
) -> Result<LevelMeasure> {
    let result: ScenarioResult = run_one(database, client, scenario, None, rng_seed, ui).await?;
    let buffers = match explain::explain_scenario(client, scenario, rng_seed).await? {
        Outcome::Ok(explained) => Some(explain::check::buffers_per_execution(&explained.plans())),
        Outcome::Skip(_) | Outcome::Error(_) => None,
    };
    let latency = result.latency_us.as_ref();
    Ok(LevelMeasure {
        sessions,
        status: result.status,
        p50_us: latency.map(|l| l.p50 as f64),
        p95_us: latency.map(|l| l.p95 as f64),
        buffers,
        reason: latency.is_none().then_some(result.reason).flatten(),
    })
}

async fn new_report(
    database: &OpenDatabase,
    client: &tokio_postgres::Client,
    plan: &ScalePlan,
) -> Result<ScaleReport> {
    let mut notes = database.notes();
    notes.extend(catalog::settings_notes(client).await?);
    Ok(ScaleReport {
        format: SCALE_FORMAT.to_string(),
        tool_version: TOOL_VERSION.to_string(),
        started_at: Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        database: DatabaseInfo {
            server_version: catalog::server_version(client).await?,
            target: database.target.display.clone(),
            throwaway: database.is_throwaway(),
            notes,
        },
        rng_seed: plan.rng_seed,
        as_of: plan
            .as_of
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        project: plan.project,
        levels: Vec::new(),
        scenarios: Vec::new(),
        summary: ScaleSummary::default(),
    })
}

/// The requested files, then the table on stdout (the summary line alone with `-q`).
fn write_outputs(plan: &ScalePlan, report: &ScaleReport, ui: &Ui) -> Result<()> {
    for (_, path, format) in &plan.files {
        report::write_atomic(path, &render::render(*format, report)?)?;
    }
    if ui.quiet {
        println!("{}", render::summary_line(report));
    } else {
        print!("{}", render::table(report));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_must_be_two_or_more_increasing_valid_sizes() {
        assert!(check_levels(&[100, 1_000]).is_ok());
        let message = |levels: &[u64]| check_levels(levels).unwrap_err().to_string();
        assert!(message(&[100]).contains("at least two"));
        assert!(message(&[100, 100]).contains("not increasing (100 then 100)"));
        assert!(message(&[0, 100]).contains("--sessions 0 is out of range"));
        assert_eq!(check_levels(&[1_000, 100]).unwrap_err().exit_code(), 2);
    }
}
