//! `techspec-bench capture`: the statements a named database ran (pg_stat_statements) ->
//! a scenario file `check` accepts once its placeholders are filled. Opens one read-only
//! connection, chooses and infers with `capture`, explains each fully inferred statement
//! with `explain` for its `expect` (a read executed as `run` explains it, a write only
//! planned; always rolled back, read-only), and writes the file atomically (or to stdout). Must not hold SQL, write to the database, or invent a parameter value.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::app::database::{self, OpenDatabase};
use crate::app::ui::Ui;
use crate::capture::expect;
use crate::capture::infer::{self, Guess, TableInfo, Tables};
use crate::capture::render::{self, Captured, Header, PlanNote};
use crate::capture::shape::{StatementKind, TableName};
use crate::capture::statements::{self, Candidate, RankBy, Selection};
use crate::cli::{CaptureArgs, CaptureRank, Cli};
use crate::config::sql_scan::SqlScan;
use crate::config::{
    Expectations, LoadAmount, LoadShape, Origin, Protocol, Scenario, Step,
    load_shape::DEFAULT_BUDGET, scenario::DEFAULT_STATEMENT_TIMEOUT,
};
use crate::db::stat_statements;
use crate::explain::estimate::estimated_plans;
use crate::explain::{GenericPlans, explain_scenario_with};
use crate::outcome::Outcome;
use crate::{Error, Result, exit_code};

/// Parameter draws explained per statement (the first also with its generic plan).
const DRAWS: u64 = 3;

/// Runs `capture`.
pub async fn run(cli: &Cli, args: &CaptureArgs) -> Result<i32> {
    let ui = Ui::from_cli(cli);
    let output = output_path(args)?;
    if database::names_no_target(cli)? {
        return Err(Error::config(
            "capture reads the statements a database has run: name it with --database-url URL \
             (or DATABASE_URL, or PGHOST/PGDATABASE); a throwaway cluster has run nothing",
        ));
    }
    let database = database::open(cli, false).await?;
    let mut client = crate::db::connect_read_only_session(&database.target).await?;
    let display = database.target.display.clone();
    let schema = stat_statements::locate(&client, &display).await?;
    let rows = stat_statements::read(&client, &schema, &display).await?;
    let selection = statements::choose(&rows, rank(args.by), args.top as usize, args.min_calls);
    if selection.chosen.is_empty() {
        return Err(nothing_to_capture(&display, &selection));
    }
    let tables = table_facts(&client, &selection.chosen).await?;
    let group = output
        .as_deref()
        .and_then(Path::file_stem)
        .map_or("captured".to_string(), |s| s.to_string_lossy().into_owned());
    let names = render::names(&selection.chosen);
    let mut captured = Vec::new();
    for (candidate, name) in selection.chosen.iter().zip(names) {
        let context = Context {
            group: &group,
            output: output.as_deref(),
            args,
        };
        captured.push(capture_one(&mut client, candidate, name, &tables, &context).await?);
    }
    let text = render::render(&header(&database, args, &selection), &captured);
    write(output.as_deref(), &text)?;
    for line in notes(&captured, &selection, output.as_deref()) {
        ui.note(line);
    }
    Ok(exit_code::SUCCESS)
}

/// `None` for stdout; a file must not exist unless `--force`, and must be writable.
fn output_path(args: &CaptureArgs) -> Result<Option<PathBuf>> {
    if args.output.as_os_str() == "-" {
        return Ok(None);
    }
    if args.output.exists() && !args.force {
        return Err(Error::config(format!(
            "--output {}: the file exists (its placeholders may be filled in already); pass \
             --force to replace it, or choose another file",
            args.output.display()
        )));
    }
    crate::report::check_writable("--output", &args.output)?;
    Ok(Some(args.output.clone()))
}

fn rank(by: CaptureRank) -> RankBy {
    match by {
        CaptureRank::Total => RankBy::Total,
        CaptureRank::Calls => RankBy::Calls,
        CaptureRank::Mean => RankBy::Mean,
    }
}

/// The columns of every table the chosen statements name.
async fn table_facts(client: &tokio_postgres::Client, chosen: &[Candidate]) -> Result<Tables> {
    let mut names: Vec<TableName> = chosen.iter().flat_map(|c| c.shape.tables.clone()).collect();
    names.sort();
    names.dedup();
    let keys: Vec<(Option<String>, String)> = names
        .iter()
        .map(|t| (t.schema.clone(), t.name.clone()))
        .collect();
    let found = stat_statements::columns(client, &keys).await?;
    let mut tables = BTreeMap::new();
    for ((schema, name), columns) in found {
        tables.insert(TableName { schema, name }, TableInfo { columns });
    }
    Ok(tables)
}

/// What every statement of one capture shares.
struct Context<'a> {
    group: &'a str,
    output: Option<&'a Path>,
    args: &'a CaptureArgs,
}

async fn capture_one(
    client: &mut tokio_postgres::Client,
    candidate: &Candidate,
    name: String,
    tables: &Tables,
    context: &Context<'_>,
) -> Result<Captured> {
    let guesses = infer::infer(&candidate.sql, &candidate.shape, tables);
    let write =
        candidate.shape.kind == StatementKind::Write || SqlScan::of(&candidate.sql).is_write();
    let plan = if guesses.iter().any(Guess::is_todo) {
        PlanNote::None(
            "fill in its placeholders, then `techspec-bench explain` shows its plan".to_string(),
        )
    } else {
        let scenario = scenario(&name, candidate, &guesses, context);
        if write {
            estimated_plan_note(client, &scenario, context.args).await?
        } else {
            plan_note(client, &scenario, context.args).await?
        }
    };
    Ok(Captured {
        name,
        candidate: candidate.clone(),
        guesses,
        write,
        plan,
    })
}

/// The scenario as `run` would load it from the file (without `expect`), to explain.
fn scenario(
    name: &str,
    candidate: &Candidate,
    guesses: &[Guess],
    context: &Context<'_>,
) -> Scenario {
    Scenario {
        name: name.to_string(),
        group: context.group.to_string(),
        description: None,
        origin: Origin {
            file: context.output.map_or(PathBuf::from("-"), Path::to_path_buf),
            line: 0,
        },
        load: LoadShape {
            amount: LoadAmount::Budget(DEFAULT_BUDGET),
            warmup: 0,
            clients: 1,
            rate: None,
        },
        steps: vec![Step {
            sql: candidate.sql.clone(),
            params: guesses.iter().filter_map(render::param_gen).collect(),
            captures: Vec::new(),
        }],
        transaction: None,
        expect: Expectations::default(),
        statement_timeout: DEFAULT_STATEMENT_TIMEOUT,
        max_growth: None,
        protocol: Protocol::default(),
    }
}

/// Explains `DRAWS` parameter draws (the first with its generic plan too), as `run` draws
/// them from `--rng-seed` on, and derives the expectations all those plans meet.
async fn plan_note(
    client: &mut tokio_postgres::Client,
    scenario: &Scenario,
    args: &CaptureArgs,
) -> Result<PlanNote> {
    let mut plans = Vec::new();
    for draw in 0..DRAWS {
        let generic = if draw == 0 {
            GenericPlans::All
        } else {
            GenericPlans::None
        };
        let seed = args.rng_seed.wrapping_add(draw);
        match explain_scenario_with(client, scenario, seed, generic).await? {
            Outcome::Ok(explained) => {
                for step in explained.steps {
                    plans.push(step.plan);
                    plans.extend(step.generic_plan);
                }
            }
            Outcome::Skip(reason) | Outcome::Error(reason) => {
                return Ok(PlanNote::None(format!(
                    "its plan could not be read: {reason}"
                )));
            }
        }
    }
    Ok(PlanNote::Derived(expect::derive(
        &plans,
        args.buffers_factor,
    )))
}

/// A write is planned without running it (the connection is read-only): the indexes of
/// its plan, no buffer budget.
async fn estimated_plan_note(
    client: &mut tokio_postgres::Client,
    scenario: &Scenario,
    args: &CaptureArgs,
) -> Result<PlanNote> {
    match estimated_plans(client, scenario, args.rng_seed).await? {
        Outcome::Ok(plans) => Ok(PlanNote::Derived(expect::derive(
            &plans,
            args.buffers_factor,
        ))),
        Outcome::Skip(reason) | Outcome::Error(reason) => Ok(PlanNote::None(format!(
            "its plan could not be read: {reason}"
        ))),
    }
}

fn header(database: &OpenDatabase, args: &CaptureArgs, selection: &Selection) -> Header {
    Header {
        source: database.target.display.clone(),
        taken_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        by: rank(args.by),
        recorded: selection.recorded,
        eligible: selection.eligible,
        skipped: selection.skipped,
    }
}

fn write(output: Option<&Path>, text: &str) -> Result<()> {
    match output {
        Some(path) => crate::report::write_atomic(path, text.as_bytes()),
        None => {
            use std::io::Write;
            std::io::stdout()
                .write_all(text.as_bytes())
                .map_err(|e| Error::io("writing the scenario file to standard output", e, None))
        }
    }
}

/// No statement qualifies: an environment error (nothing is written) saying why.
fn nothing_to_capture(target: &str, selection: &Selection) -> Error {
    let s = selection.skipped;
    Error::environment(format!(
        "{target}: no statement to capture: pg_stat_statements holds {} statements for this \
         database, none of them the application's with enough calls (left out: {} the tool's \
         own, {} utility, {} catalog or no table, {} unparsable, {} with fewer calls than \
         --min-calls); let the application run, or lower --min-calls, then capture again",
        selection.recorded, s.tool, s.utility, s.catalog, s.unparsable, s.few_calls
    ))
}

/// What was written, and what is left to do.
fn notes(captured: &[Captured], selection: &Selection, output: Option<&Path>) -> Vec<String> {
    let place = output.map_or("standard output".to_string(), |p| p.display().to_string());
    let todos: usize = captured
        .iter()
        .map(|c| c.guesses.iter().filter(|g| g.is_todo()).count())
        .sum();
    let mut lines = vec![format!(
        "captured {} of {} eligible statements into {place}",
        captured.len(),
        selection.eligible
    )];
    if todos > 0 {
        lines.push(format!(
            "note: {todos} parameter(s) are `todo` placeholders: fill them in, then `techspec-bench check --scenarios {place}`"
        ));
    }
    lines
}
