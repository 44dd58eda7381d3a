//! The commands, wired: resolve the target, check configuration, call db/seed/bench/
//! explain, hand results to reporters. Must not hold SQL (see `db`).

pub mod ab;
pub mod ablate;
pub mod calibrate;
pub mod capture;
pub mod check;
pub mod ci;
pub mod compare;
pub mod database;
pub mod dataset;
pub mod explain;
pub mod exports;
pub mod guide;
pub mod init;
pub mod interleave;
pub mod list;
pub mod merge;
pub mod migrate;
pub mod phase_clock;
pub mod ratio_pairs;
pub mod report;
pub mod run;
pub mod scale;
pub mod scenario_run;
pub mod seed;
pub mod selection;
pub mod shell;
pub mod trend;
pub mod ui;
pub mod watch;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use crate::cli::{Cli, Command};
use crate::{Error, Result};

/// Runs the command and returns the process exit code. Ctrl-C or SIGTERM cancels the
/// command: a cancel request goes to every open connection (so no query runs on), its
/// future is dropped (which stops and deletes a throwaway cluster) and the result is
/// [`Error::Interrupted`] (exit 130).
pub async fn run(cli: Cli) -> Result<i32> {
    tokio::select! {
        // Biased, so the signal handlers are installed before the command starts.
        biased;
        () = interrupted() => Err(Error::Interrupted),
        result = execute(cli) => result,
    }
}

/// Completes on SIGINT or SIGTERM; never, if the handlers cannot be installed.
async fn interrupted() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut interrupt), Ok(mut terminate)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
    }
    cancel_flag().store(true, Ordering::SeqCst);
    // Queries in flight would otherwise run on until their statement_timeout.
    crate::db::cancel::cancel_all(std::time::Duration::from_secs(1)).await;
}

/// Set on Ctrl-C or SIGTERM; the benchmark's client threads check it between iterations
/// so they stop promptly while the command future is being dropped.
pub fn cancel_flag() -> Arc<AtomicBool> {
    static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();
    Arc::clone(FLAG.get_or_init(|| Arc::new(AtomicBool::new(false))))
}

async fn execute(cli: Cli) -> Result<i32> {
    // Order for every command: 1. check all configuration (files, flags) without
    // touching a database, 2. open the database (throwaway cluster if none is named),
    // 3. do the work. `migrate` has no configuration files.
    match &cli.command {
        Command::Migrate(args) => migrate::run(&cli, args).await,
        Command::Seed(args) => seed::run(&cli, args).await,
        Command::Run(args) => run::run(&cli, args).await,
        Command::Explain(args) => explain::run(&cli, args).await,
        // Without a database.
        Command::List(args) => list::run(&cli, args),
        Command::Check(args) => check::run(&cli, args),
        Command::Init(args) => init::run(&cli, args),
        Command::Completions(args) => shell::completions(args),
        Command::Man => shell::man(),
        // Saved results, without a database.
        Command::Merge(args) => merge::run(&cli, args),
        Command::Report(args) => report::run(&cli, args),
        Command::Compare(args) => compare::run(&cli, args),
        Command::Guide(args) => guide::run(&cli, args),
        Command::Trend(args) => trend::run(&cli, args),
        Command::Calibrate(args) => calibrate::run(&cli, args).await,
        Command::Scale(args) => scale::run(&cli, args).await,
        Command::Ablate(args) => ablate::run(&cli, args).await,
        Command::Capture(args) => capture::run(&cli, args).await,
        Command::Watch(args) => watch::run(&cli, args).await,
    }
}
