//! `techspec-bench run`: check configuration, prepare the database, run every scenario
//! (plan check, timing, plan re-check), gate on thresholds and plans, write results after
//! each scenario. Must not hold SQL or format output itself.

use std::path::PathBuf;
use std::sync::Arc;

use crate::app::compare::BaselineGate;
use crate::app::database::{self, OpenDatabase};
use crate::app::dataset::ensure_dataset;
use crate::app::scenario_run::run_one;
use crate::app::ui::Ui;
use crate::cli::{Cli, RunArgs};
use crate::config::{self, Scenario, Thresholds};
use crate::db::catalog;
use crate::explain;
use crate::report::{
    self, HtmlReporter, JsonReporter, JunitReporter, MarkdownReporter, Reporter, ResultSink,
    SummaryReporter, TableReporter, Target, WithBaseline,
};
use crate::results::{DatabaseInfo, RESULTS_FORMAT, RunReport, SeedInfo, Summary};
use crate::verdict::definition::definition_hash;
use crate::{Result, TOOL_VERSION, verdict};

/// Everything `run` needs from files and flags, validated before any database is touched.
pub struct RunPlan {
    pub scenarios: Vec<Scenario>,
    pub thresholds: Thresholds,
    /// Every output: result files, then the terminal table.
    pub sink: ResultSink,
    /// `--save-baseline`: where to save the results once the run is over.
    pub save_baseline: Option<PathBuf>,
    /// `--seed`: seed the named database first.
    pub seed: bool,
    /// Sessions to seed.
    pub sessions: u64,
    /// `--strict`: skipped scenarios fail the gate.
    pub strict: bool,
    /// Seed of the random parameter draws.
    pub rng_seed: u64,
    /// `--baseline`: the runs to compare with and the regression limits.
    pub gate: Option<BaselineGate>,
}

impl RunPlan {
    /// Loads and validates scenarios, thresholds and the baseline, and checks that every
    /// output path is writable (exit 2 on any problem).
    pub fn check(args: &RunArgs, ui: &Ui) -> Result<RunPlan> {
        let scenarios = config::load_scenarios(&args.selection.scenarios)?;
        let thresholds = config::load_thresholds(args.thresholds.as_deref(), &scenarios)?;
        let scenarios = config::select(scenarios, &args.selection.filter)?;
        let gate = BaselineGate::load(&args.regression, &thresholds.regression)?;
        if let Some(gate) = &gate {
            gate.check_definitions(&scenarios)?;
        }
        let baseline = gate
            .as_ref()
            .and_then(BaselineGate::newest)
            .cloned()
            .map(Arc::new);
        let files = result_files(args, baseline.as_ref());
        check_output_paths(&files, &args.save_baseline)?;
        Ok(RunPlan {
            scenarios,
            thresholds,
            sink: sink(files, baseline, ui),
            save_baseline: args.save_baseline.clone(),
            seed: args.seed,
            sessions: args.sessions,
            strict: args.strict,
            rng_seed: args.selection.rng_seed,
            gate,
        })
    }
}

/// A result file `run` can write: its flag, the path given (if any) and its reporter.
type ResultFile<'a> = (&'static str, &'a Option<PathBuf>, Box<dyn Reporter>);

/// Every result file format of `run`. A new format is its reporter plus one line here.
fn result_files<'a>(args: &'a RunArgs, baseline: Option<&Arc<RunReport>>) -> Vec<ResultFile<'a>> {
    let compared = || baseline.cloned();
    vec![
        ("--json", &args.json, Box::new(JsonReporter)),
        ("--junit", &args.junit, Box::new(JunitReporter)),
        (
            "--markdown",
            &args.markdown,
            Box::new(WithBaseline::new(compared(), |baseline| MarkdownReporter {
                baseline,
            })),
        ),
        (
            "--html",
            &args.html,
            Box::new(WithBaseline::new(compared(), |baseline| HtmlReporter {
                baseline,
            })),
        ),
    ]
}

/// Checks every output path before any database work, so a bad path fails at once.
fn check_output_paths(files: &[ResultFile], save_baseline: &Option<PathBuf>) -> Result<()> {
    let saved = ("--save-baseline", save_baseline);
    let paths = files.iter().map(|(flag, path, _)| (*flag, *path));
    for (flag, path) in paths.chain([saved]) {
        if let Some(path) = path {
            report::check_writable(flag, path)?;
        }
    }
    Ok(())
}

/// The requested files, then the terminal output (the summary line alone with `-q`).
fn sink(files: Vec<ResultFile>, baseline: Option<Arc<RunReport>>, ui: &Ui) -> ResultSink {
    let mut sink = ResultSink::default();
    for (_, path, reporter) in files {
        if let Some(path) = path {
            sink.add_boxed(reporter, Target::File(path.clone()));
        }
    }
    if ui.quiet {
        sink.add(SummaryReporter, Target::Stdout);
    } else {
        let (color, width) = (ui.color, report::table::stdout_width());
        let table = move |baseline| TableReporter {
            color,
            width,
            baseline,
        };
        sink.add(WithBaseline::new(baseline, table), Target::Stdout);
    }
    sink
}

/// Runs `run` and returns the gate's exit code.
pub async fn run(cli: &Cli, args: &RunArgs) -> Result<i32> {
    let ui = Ui::from_cli(cli);
    let plan = RunPlan::check(args, &ui)?;
    let database = database::open(cli, true).await?;
    let mut client = database.connect().await?;
    ensure_dataset(&database, &mut client, plan.seed, plan.sessions, &ui).await?;
    explain::validate_expectations(&client, &plan.scenarios).await?;
    let mut report = new_report(&database, &client).await?;
    report.rng_seed = Some(plan.rng_seed);
    if let Some(gate) = &plan.gate {
        for warning in gate.check_dataset(&report)? {
            eprintln!("warning: {warning}");
        }
    }
    for scenario in &plan.scenarios {
        let thresholds = plan.thresholds.by_scenario.get(&scenario.name);
        let result = run_one(
            &database,
            &mut client,
            scenario,
            thresholds,
            plan.rng_seed,
            &ui,
        )
        .await?;
        let mut result = result;
        result.definition = Some(definition_hash(scenario));
        if let Some(gate) = &plan.gate {
            gate.apply(&mut result);
        }
        report.scenarios.push(result);
        report.summary = Summary::of(&report.scenarios);
        plan.sink.write_files(&report)?;
    }
    plan.sink.write_stdout(&report)?;
    if ui.verbose && !ui.quiet {
        print!("{}", verbose_details(&report));
    }
    if let Some(note) = strict_skip_note(&report.summary, plan.strict) {
        println!("{note}");
    }
    if let Some(path) = &plan.save_baseline {
        report::save_baseline(path, &report)?;
    }
    Ok(verdict::gate_exit_code(&report.summary, plan.strict))
}

async fn new_report(database: &OpenDatabase, client: &tokio_postgres::Client) -> Result<RunReport> {
    let mut notes = database.notes();
    notes.extend(catalog::settings_notes(client).await?);
    Ok(RunReport {
        format: RESULTS_FORMAT.to_string(),
        tool_version: TOOL_VERSION.to_string(),
        started_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        database: DatabaseInfo {
            server_version: catalog::server_version(client).await?,
            target: database.target.display.clone(),
            throwaway: database.is_throwaway(),
            notes,
        },
        dataset: catalog::table_row_counts(client).await?,
        scenarios: Vec::new(),
        summary: Summary::default(),
        rng_seed: None,
        seed: latest_seed(client).await,
        machine: machine_name(),
    })
}

/// The last complete seed run, when the database records one.
pub async fn latest_seed(client: &tokio_postgres::Client) -> Option<SeedInfo> {
    let runs = crate::db::seed_runs::seed_runs(client).await.ok()?;
    let last = runs.into_iter().rev().find(|run| run.complete)?;
    Some(SeedInfo {
        rng_seed: last.rng_seed,
        as_of: last
            .as_of
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        sessions: last.sessions,
    })
}

/// The host name of this machine, when the system tells it.
pub fn machine_name() -> Option<String> {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
    Some(name.trim().to_string()).filter(|name| !name.is_empty())
}

/// Why the gate fails although nothing failed: skips under `--strict`.
fn strict_skip_note(summary: &Summary, strict: bool) -> Option<String> {
    match summary.skip {
        0 => None,
        _ if !strict => None,
        1 => Some("--strict: 1 skipped scenario fails the gate".to_string()),
        n => Some(format!("--strict: {n} skipped scenarios fail the gate")),
    }
}

/// `-v`: the database, the dataset and the per-step latencies of multi-step scenarios.
fn verbose_details(report: &RunReport) -> String {
    use report::units::format_latency_us as us;
    let mut text = format!(
        "\nserver {} at {}\ndataset: {}\n",
        report.database.server_version,
        report.database.target,
        report
            .dataset
            .iter()
            .map(|(table, rows)| format!("{table}={rows}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for scenario in report.scenarios.iter().filter(|s| !s.steps.is_empty()) {
        text.push_str(&format!("{} per step:\n", scenario.name));
        for (index, step) in scenario.steps.iter().enumerate() {
            let sql: String = step.sql.split_whitespace().collect::<Vec<_>>().join(" ");
            let sql: String = sql.chars().take(70).collect();
            text.push_str(&format!(
                "  {:>2}. p50 {:>8}  p95 {:>8}  {sql}\n",
                index + 1,
                us(step.latency_us.p50 as f64),
                us(step.latency_us.p95 as f64)
            ));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_are_explained_only_under_strict() {
        let summary = |skip| Summary {
            pass: 1,
            fail: 0,
            skip,
            error: 0,
        };
        assert_eq!(strict_skip_note(&summary(2), false), None);
        assert_eq!(strict_skip_note(&summary(0), true), None);
        assert_eq!(
            strict_skip_note(&summary(1), true).as_deref(),
            Some("--strict: 1 skipped scenario fails the gate")
        );
        assert_eq!(
            strict_skip_note(&summary(2), true).as_deref(),
            Some("--strict: 2 skipped scenarios fail the gate")
        );
    }
}
