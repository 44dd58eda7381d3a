//! `techspec-bench run`: check configuration, prepare the database, run every scenario
//! (plan check, timing in interleaved windows, plan re-check: `interleave`), gate on
//! thresholds and plans, write results after each scenario, then compare with the baseline
//! (which needs the whole run, for its drift) and judge the ratio gates between scenarios. When the database is lost for good mid-run, the scenarios finished
//! so far are kept, the rest are written as errors with the cause, and the run ends with
//! the environment error. Must not hold SQL or format output itself.

use std::path::PathBuf;
use std::sync::Arc;

use crate::app::ab::{self, Against, AgainstPlan};
use crate::app::compare::BaselineGate;
use crate::app::database::{self, OpenDatabase};
use crate::app::dataset::{ensure_dataset, throwaway_dataset};
use crate::app::phase_clock::{PhaseClock, timed_total};
use crate::app::ui::Ui;
use crate::app::{ci, interleave, ratio_pairs, selection};
use crate::cli::{Cli, RunArgs};
use crate::config::model::TransactionMode;
use crate::config::{Scenario, Thresholds};
use crate::db::catalog;
use crate::explain;
use crate::report::{
    self, HtmlReporter, JsonReporter, JunitReporter, MarkdownReporter, ResultSink, SummaryReporter,
    TableReporter, Target, WithBaseline,
};
use crate::results::{DatabaseInfo, RESULTS_FORMAT, RunReport, ScenarioResult, SeedInfo, Summary};
use crate::{Error, Result, TOOL_VERSION, verdict};

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
    /// `--allow-writes`: `transaction = "commit"` scenarios may run on a named database.
    pub allow_writes: bool,
    /// `--baseline`: the runs to compare with and the regression limits.
    pub gate: Option<BaselineGate>,
    /// `--rounds`: the most windows a scenario is measured in, interleaved.
    pub rounds: u32,
    /// `--against`: the base database of a paired A/B run.
    pub against: Option<AgainstPlan>,
    /// Measure the machine reference: the run is compared with a baseline, or its results
    /// are kept (`--json`, `--save-baseline`) and may serve as one later.
    pub reference: bool,
}

impl RunPlan {
    /// Loads and validates scenarios, thresholds and the baseline, and checks that every
    /// output path is writable (exit 2 on any problem).
    pub fn check(args: &RunArgs, ui: &Ui) -> Result<RunPlan> {
        let load = selection::load_override(&args.load);
        let selected = selection::load(&args.selection, args.thresholds.as_deref(), &load, ui)?;
        let (scenarios, thresholds) = (selected.scenarios, selected.thresholds);
        let gate = BaselineGate::load(&args.regression, &thresholds.regression)?
            .map(|gate| gate.comparing(scenarios.iter().map(|s| s.name.as_str())));
        if let Some(gate) = &gate {
            gate.check_definitions(&scenarios)?;
        }
        let baseline = gate
            .as_ref()
            .and_then(BaselineGate::newest)
            .cloned()
            .map(Arc::new);
        let against = args.against.as_deref().map(|url| {
            AgainstPlan::new(
                url,
                &args.regression,
                &thresholds.regression,
                scenarios.len(),
            )
        });
        let files = result_files(args, baseline.as_ref());
        check_output_paths(&files, &args.save_baseline)?;
        let reference = against.is_none()
            && (gate.is_some() || args.json.is_some() || args.save_baseline.is_some());
        Ok(RunPlan {
            scenarios,
            thresholds,
            sink: sink(files, baseline, ui),
            save_baseline: args.save_baseline.clone(),
            seed: args.seed,
            sessions: args.sessions,
            strict: args.strict,
            rng_seed: args.selection.rng_seed,
            allow_writes: args.allow_writes,
            gate,
            rounds: args.rounds,
            reference,
            against,
        })
    }
}

/// A result file `run` can write: its flag, the path given (if any) and its reporter.
type ResultFile<'a> = crate::app::exports::OutputFile<'a>;

/// Every result file format of `run`. A new format is its reporter plus one line here.
fn result_files<'a>(args: &'a RunArgs, baseline: Option<&Arc<RunReport>>) -> Vec<ResultFile<'a>> {
    let compared = || baseline.cloned();
    let mut files: Vec<ResultFile> = vec![
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
            Box::new(WithBaseline::new(compared(), {
                let baseline_report = compared();
                move |baseline| HtmlReporter {
                    baseline,
                    baseline_report: baseline_report.clone(),
                }
            })),
        ),
    ];
    files.extend(crate::app::exports::files(&args.exports));
    files
}

/// Checks every output path before any database work, so a bad path fails at once.
fn check_output_paths(files: &[ResultFile], save_baseline: &Option<PathBuf>) -> Result<()> {
    let saved = ("--save-baseline", save_baseline);
    let paths = files.iter().map(|(flag, path, _)| (*flag, *path));
    for (flag, path) in paths.chain([saved]) {
        if let Some(path) = path.as_ref().filter(|p| !ci::is_stdout_path(p)) {
            report::check_writable(flag, path)?;
        }
    }
    Ok(())
}

/// The requested files, then the terminal output (the summary line alone with `-q`; on
/// stderr when `--json -` puts the JSON on stdout), then the GitHub job summary.
fn sink(files: Vec<ResultFile>, baseline: Option<Arc<RunReport>>, ui: &Ui) -> ResultSink {
    let mut sink = ResultSink::default();
    let mut terminal = Target::Stdout;
    for (_, path, reporter) in files {
        match path {
            Some(path) if ci::is_stdout_path(path) => {
                sink.add_boxed(reporter, Target::Stdout);
                terminal = Target::Stderr;
            }
            Some(path) => sink.add_boxed(reporter, Target::File(path.clone())),
            None => {}
        }
    }
    if ui.quiet {
        sink.add(SummaryReporter, terminal);
    } else {
        let (color, width, verbose) = (ui.color, report::table::stdout_width(), ui.verbose);
        let table = move |baseline| TableReporter {
            color,
            width,
            baseline,
            verbose,
        };
        sink.add(WithBaseline::new(baseline.clone(), table), terminal);
    }
    if let Some(path) = ci::step_summary_path(&ci::process_env) {
        let markdown = move |baseline| MarkdownReporter { baseline };
        sink.add(WithBaseline::new(baseline, markdown), Target::Append(path));
    }
    sink
}

/// Runs `run` and returns the gate's exit code.
pub async fn run(cli: &Cli, args: &RunArgs) -> Result<i32> {
    let ui = Ui::from_cli(cli);
    let mut plan = RunPlan::check(args, &ui)?;
    let mut clock = PhaseClock::new();
    if plan.against.is_some() && database::names_no_target(cli)? {
        return Err(ab::needs_named_target());
    }
    let mut database = database::open_seeded(cli, throwaway_dataset(plan.sessions)).await?;
    clock.opened(database.setup_times());
    check_committed_writes(&plan.scenarios, database.is_throwaway(), plan.allow_writes)?;
    let mut client = database.connect().await?;
    let mut against = match &plan.against {
        Some(against) => Some(against.open(cli.connect_timeout).await?),
        None => None,
    };
    ensure_dataset(&mut database, &mut client, plan.seed, plan.sessions, &ui).await?;
    clock.lap("seed");
    explain::validate_expectations(&client, &plan.scenarios).await?;
    if let Some(against) = &against {
        explain::validate_expectations(&against.client, &plan.scenarios).await?;
    }
    clock.lap("explain");
    if plan.reference {
        // Measured with the scenarios, so a baseline comparison can divide out the machine.
        let protocol = args.load.protocol.unwrap_or_default();
        plan.scenarios
            .extend(crate::db::reference::probes(protocol));
    }
    let mut report = new_report(&database, &client).await?;
    report.rng_seed = Some(plan.rng_seed);
    if let Some(against) = &against {
        report.against = Some(Box::new(base_report(against, &report).await?));
    }
    if let Some(gate) = &plan.gate {
        for warning in gate.check_dataset(&report)? {
            eprintln!("warning: {warning}");
        }
    }
    interleave::measure_all(
        &database,
        &mut client,
        against.as_mut(),
        &plan,
        &mut report,
        &ui,
    )
    .await?;
    let compared = plan.gate.as_ref().map(|gate| {
        gate.apply_all(&mut report);
        report.summary = Summary::of(&report.scenarios);
    });
    clock.lap("scenarios");
    let paired = ratio_pairs::measure_gates(&database, &plan, &report, &ui).await?;
    if !paired.is_empty() {
        clock.lap("ratio pairs");
    }
    if ratio_pairs::apply_ratio_gates(&mut report, &plan.thresholds, &paired) || compared.is_some()
    {
        plan.sink.write_files(&report)?;
    }
    plan.sink.write_stdout(&report)?;
    let json_on_stdout = args.json.as_deref().is_some_and(ci::is_stdout_path);
    if ui.verbose && !ui.quiet {
        ci::print_beside(json_on_stdout, &verbose_details(&report));
        eprintln!("{}", clock.line(timed_total(&report)));
    }
    if let Some(note) = strict_skip_note(&report.summary, plan.strict) {
        ci::print_beside(json_on_stdout, &format!("{note}\n"));
    }
    if ci::in_github_actions(&ci::process_env) {
        for line in ci::annotations(&report, &plan.scenarios) {
            ci::print_beside(json_on_stdout, &format!("{line}\n"));
        }
    }
    if let Some(path) = &plan.save_baseline {
        report::save_baseline(path, &report)?;
    }
    Ok(verdict::gate_exit_code(&report.summary, plan.strict))
}

/// Scenarios with `transaction = "commit"` keep whatever they write, so on a database the
/// user named they need `--allow-writes` (exit 2 otherwise, before any connection).
fn check_committed_writes(
    scenarios: &[Scenario],
    throwaway: bool,
    allow_writes: bool,
) -> Result<()> {
    let committing: Vec<String> = scenarios
        .iter()
        .filter(|s| s.transaction == Some(TransactionMode::Commit))
        .map(|s| {
            let at = format!("{}:{}", s.origin.file.display(), s.origin.line);
            format!("`{}` ({at})", s.name)
        })
        .collect();
    if throwaway || allow_writes || committing.is_empty() {
        return Ok(());
    }
    Err(Error::config(format!(
        "scenario {} has transaction = \"commit\": its iterations would commit to the database \
         you named. Pass --allow-writes to let them, use transaction = \"rollback\" to undo every \
         iteration, or leave --database-url and DATABASE_URL unset to run on a throwaway cluster",
        committing.join(", ")
    )))
}

async fn new_report(database: &OpenDatabase, client: &tokio_postgres::Client) -> Result<RunReport> {
    let notes = database.notes();
    let shown = (database.target.display.clone(), database.is_throwaway());
    report_of(client, shown, notes).await
}

/// The base side's report of an A/B run, refused (exit 2) when its dataset differs from
/// the target's.
async fn base_report(against: &Against, target: &RunReport) -> Result<RunReport> {
    let shown = (against.target.display.clone(), false);
    let mut base = report_of(&against.client, shown, Vec::new()).await?;
    base.rng_seed = target.rng_seed;
    ab::check_same_dataset(&base, target)?;
    Ok(base)
}

/// An empty report of the database behind `client` (`shown`: its display and whether it
/// is a throwaway cluster).
async fn report_of(
    client: &tokio_postgres::Client,
    shown: (String, bool),
    mut notes: Vec<String>,
) -> Result<RunReport> {
    notes.extend(catalog::settings_notes(client).await?);
    Ok(RunReport {
        format: RESULTS_FORMAT.to_string(),
        tool_version: TOOL_VERSION.to_string(),
        started_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        database: DatabaseInfo {
            server_version: catalog::server_version(client).await?,
            target: shown.0,
            throwaway: shown.1,
            notes,
        },
        dataset: catalog::table_row_counts(client).await?,
        scenarios: Vec::new(),
        summary: Summary::default(),
        rng_seed: None,
        seed: latest_seed(client).await,
        machine: machine_name(),
        commit: ci::commit(&ci::process_env),
        against: None,
        reference: Vec::new(),
        run_change: None,
    })
}

/// The last complete seed run, when the database records one.
async fn latest_seed(client: &tokio_postgres::Client) -> Option<SeedInfo> {
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
fn machine_name() -> Option<String> {
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

/// `-v`: the database, the dataset, the per-step latencies of multi-step scenarios,
/// and the errors (rate and latency) and schedule lag of each scenario that has them.
fn verbose_details(report: &RunReport) -> String {
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
    for scenario in &report.scenarios {
        text.push_str(&scenario_details(scenario));
    }
    text
}

/// One scenario's `-v` lines: per-step latency, errors, schedule lag (empty without any).
fn scenario_details(scenario: &ScenarioResult) -> String {
    use report::units::{format_latency_us as us, format_rate_per_s};
    let mut text = String::new();
    if !scenario.steps.is_empty() {
        text.push_str(&format!("{} per step:\n", scenario.name));
    }
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
    if let Some(errors) = &scenario.error_latency_us {
        text.push_str(&format!(
            "{}: {} errors ({}), failed iterations p50 {}  p95 {}  max {}\n",
            scenario.name,
            scenario.errors,
            format_rate_per_s(scenario.errors_per_s),
            us(errors.p50 as f64),
            us(errors.p95 as f64),
            us(errors.max as f64)
        ));
    }
    if let Some(lag) = &scenario.schedule_lag_us {
        text.push_str(&format!(
            "{}: schedule lag p50 {}  p99 {}  max {}\n",
            scenario.name,
            us(lag.p50 as f64),
            us(lag.p99 as f64),
            us(lag.max as f64)
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::Status;

    fn with_transaction(name: &str, transaction: Option<TransactionMode>) -> Scenario {
        let mut scenario = crate::config::load_scenarios(&[])
            .expect("the shipped scenarios load")
            .remove(0);
        scenario.name = name.to_string();
        scenario.transaction = transaction;
        scenario
    }

    #[test]
    fn committing_scenarios_need_allow_writes_on_a_named_database() {
        let scenarios = vec![
            with_transaction("reads", None),
            with_transaction("undone", Some(TransactionMode::Rollback)),
            with_transaction("kept", Some(TransactionMode::Commit)),
        ];
        let error = check_committed_writes(&scenarios, false, false).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        let text = error.to_string();
        assert!(text.contains("`kept`"), "{text}");
        assert!(!text.contains("`undone`"), "{text}");
        assert!(text.contains("--allow-writes"), "{text}");
        assert!(check_committed_writes(&scenarios, false, true).is_ok());
        assert!(check_committed_writes(&scenarios, true, false).is_ok());
        assert!(check_committed_writes(&scenarios[..2], false, false).is_ok());
    }

    #[test]
    fn verbose_details_show_errors_and_schedule_lag() {
        let summary = crate::results::LatencySummary {
            p50: 1_500,
            p95: 2_000,
            p99: 2_000,
            max: 3_000,
            ..Default::default()
        };
        let mut result = ScenarioResult::unmeasured("lookup", "g", Status::Fail, "x".to_string());
        result.errors = 2;
        result.errors_per_s = 4.0;
        result.error_latency_us = Some(summary);
        result.schedule_lag_us = Some(summary);
        let text = scenario_details(&result);
        assert!(text.contains("lookup: 2 errors (4.0/s)"), "{text}");
        assert!(text.contains("failed iterations p50 1.50ms"), "{text}");
        assert!(text.contains("lookup: schedule lag p50 1.50ms"), "{text}");
        let quiet = ScenarioResult::unmeasured("ok", "g", Status::Pass, String::new());
        assert_eq!(scenario_details(&quiet), "");
    }

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
