//! `techspec-bench watch`: slow-query alerting. Reads pg_stat_statements of the named
//! database on a read-only connection, waits `--interval`, reads again, and judges each
//! statement called in between with `watch` (limits from flags and a limits file); prints the
//! table, writes `--json`/`--markdown` atomically. `--once` exits 1 on a breach, 0 otherwise;
//! without it, it reports every interval until interrupted. Must not hold SQL or write to
//! the database.

use std::path::Path;
use std::time::Instant;

use crate::app::database;
use crate::app::ui::Ui;
use crate::cli::{Cli, WatchArgs};
use crate::config::watch_limits::{LimitSet, WatchLimits, load_watch_limits};
use crate::db::stat_statements;
use crate::watch::{self, Activity, Reading, WatchReport, render};
use crate::{Error, Result, TOOL_VERSION, exit_code};

/// Runs `watch`.
pub async fn run(cli: &Cli, args: &WatchArgs) -> Result<i32> {
    let ui = Ui::from_cli(cli);
    let limits = match &args.limits {
        Some(path) => load_watch_limits(path)?,
        None => WatchLimits::default(),
    };
    for (flag, path) in [("--json", &args.json), ("--markdown", &args.markdown)] {
        if let Some(path) = path.as_deref().filter(|p| !is_stdout(p)) {
            crate::report::check_writable(flag, path)?;
        }
    }
    if database::names_no_target(cli)? {
        return Err(Error::config(
            "watch reads the statements of a database you name: pass --database-url URL (or \
             DATABASE_URL, or PGHOST/PGDATABASE)",
        ));
    }
    let database = database::open(cli, false).await?;
    let client = crate::db::connect_read_only_session(&database.target).await?;
    let target = database.target.display.clone();
    let schema = stat_statements::locate(&client, &target).await?;
    let flags = LimitSet {
        max_mean: args.max_mean,
        max_growth: args.max_growth,
        min_calls: args.min_calls,
    };
    let (mut before, mut from) = (read(&client, &schema, &target).await?, Moment::now());
    let mut previous: Option<Vec<Activity>> = None;
    loop {
        tokio::time::sleep(args.interval).await;
        let (after, to) = (read(&client, &schema, &target).await?, Moment::now());
        let active = watch::activity(&before, &after, previous.as_deref());
        let statements = watch::judge(active.clone(), flags, &limits);
        let report = WatchReport {
            format: watch::FORMAT,
            tool_version: TOOL_VERSION,
            database: target.clone(),
            from: from.stamp.clone(),
            to: to.stamp.clone(),
            interval_s: (to.instant - from.instant).as_secs_f64(),
            breached: statements.iter().filter(|s| !s.breaches.is_empty()).count(),
            statements,
        };
        emit(&report, args, &ui)?;
        if args.once {
            return Ok(if report.failed() {
                exit_code::GATE_FAILED
            } else {
                exit_code::SUCCESS
            });
        }
        (before, from, previous) = (after, to, Some(active));
    }
}

/// One reading of pg_stat_statements.
async fn read(client: &tokio_postgres::Client, schema: &str, target: &str) -> Result<Reading> {
    Ok(watch::reading(
        &stat_statements::read(client, schema, target).await?,
    ))
}

/// When a reading was taken: for the interval's length and the report's timestamps.
struct Moment {
    instant: Instant,
    stamp: String,
}

impl Moment {
    fn now() -> Moment {
        Moment {
            instant: Instant::now(),
            stamp: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }
    }
}

fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// The table (on stderr when the JSON goes to stdout), then the requested files.
fn emit(report: &WatchReport, args: &WatchArgs, ui: &Ui) -> Result<()> {
    let json_to_stdout = args.json.as_deref().is_some_and(is_stdout);
    let text = if ui.quiet {
        format!("{}\n", render::summary(report))
    } else {
        render::table(report, args.rows)
    };
    if json_to_stdout {
        eprint!("{text}");
    } else {
        print!("{text}");
    }
    if let Some(path) = &args.json {
        let json = render::json(report)?;
        if is_stdout(path) {
            print!("{json}");
        } else {
            crate::report::write_atomic(path, json.as_bytes())?;
        }
    }
    if let Some(path) = &args.markdown {
        crate::report::write_atomic(path, render::markdown(report, args.rows).as_bytes())?;
    }
    Ok(())
}
