//! `techspec-bench run`: check configuration, prepare the database, run every scenario
//! (plan check, timing, plan re-check), gate on thresholds and plans, write results after
//! each scenario. Must not hold SQL or format output itself.

use crate::app::database::{self, OpenDatabase};
use crate::app::dataset::ensure_dataset;
use crate::app::scenario_run::run_one;
use crate::app::ui::Ui;
use crate::cli::{Cli, RunArgs};
use crate::config::{self, Scenario, Thresholds};
use crate::db::catalog;
use crate::explain;
use crate::report::{self, ResultSink};
use crate::results::{DatabaseInfo, RESULTS_FORMAT, RunReport, Summary};
use crate::{Result, TOOL_VERSION, verdict};

/// Everything `run` needs from files and flags, validated before any database is touched.
pub struct RunPlan {
    pub scenarios: Vec<Scenario>,
    pub thresholds: Thresholds,
    pub baseline: Option<RunReport>,
    pub sink: ResultSink,
}

impl RunPlan {
    /// Loads and validates scenarios, thresholds and the baseline (exit 2 on any problem).
    pub fn check(args: &RunArgs) -> Result<RunPlan> {
        let scenarios = config::load_scenarios(&args.selection.scenarios)?;
        let thresholds = config::load_thresholds(args.thresholds.as_deref(), &scenarios)?;
        let scenarios = config::select(scenarios, &args.selection.filter)?;
        let baseline = args
            .baseline
            .as_deref()
            .map(report::load_baseline)
            .transpose()?;
        let sink = ResultSink::from_run_args(args, baseline.clone());
        Ok(RunPlan {
            scenarios,
            thresholds,
            baseline,
            sink,
        })
    }
}

/// Runs `run` and returns the gate's exit code.
pub async fn run(cli: &Cli, args: &RunArgs) -> Result<i32> {
    let plan = RunPlan::check(args)?;
    let ui = Ui::from_cli(cli);
    let database = database::open(cli, true).await?;
    let mut client = database.connect().await?;
    ensure_dataset(&database, &mut client, args.seed, args.sessions, &ui).await?;
    explain::validate_expectations(&client, &plan.scenarios).await?;
    let mut report = new_report(&database, &client).await?;
    for scenario in &plan.scenarios {
        let thresholds = plan.thresholds.by_scenario.get(&scenario.name);
        let result = run_one(&database, &mut client, scenario, thresholds, args, &ui).await?;
        report.scenarios.push(result);
        report.summary = Summary::of(&report.scenarios);
        plan.sink.write_all(&report)?;
    }
    print_results(&report, &plan, &ui);
    if let Some(note) = strict_skip_note(&report.summary, args.strict) {
        println!("{note}");
    }
    if let Some(path) = &args.save_baseline {
        report::save_baseline(path, &report)?;
    }
    Ok(verdict::gate_exit_code(&report.summary, args.strict))
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
    })
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

fn print_results(report: &RunReport, plan: &RunPlan, ui: &Ui) {
    if ui.quiet {
        println!("{}", report::table::summary_line(&report.summary));
        return;
    }
    let comparison = plan.baseline.as_ref().map(|b| report::compare(report, b));
    let width = report::table::stdout_width();
    print!(
        "{}",
        report::table::render_table_with_width(report, ui.color, comparison.as_ref(), width)
    );
    if ui.verbose {
        print!("{}", verbose_details(report));
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
