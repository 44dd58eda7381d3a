//! Command-line definitions (clap derive) and nothing else.
//! Must not validate files, touch the database or print: `app` does that.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Gate PostgreSQL query performance in CI.
#[derive(Debug, Parser)]
#[command(
    name = "techspec-bench",
    version,
    about = "Gate PostgreSQL query performance in CI: migrate, seed, run scenarios, check plans",
    after_help = "\
Connection, in this order: --database-url, DATABASE_URL, then the libpq variables
(PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, ~/.pgpass) when PGHOST or
PGDATABASE is set. With none of these, a throwaway cluster is started and removed at exit.

Exit codes: 0 pass, 1 a gate failed, 2 usage or configuration error,
3 database or environment error, 130 interrupted.

Examples:
  techspec-bench run
  techspec-bench --database-url postgres://app@db.internal/app run --json results.json
  techspec-bench migrate --status"
)]
pub struct Cli {
    /// PostgreSQL URL or key=value string (password is never printed).
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,

    /// When to use colours.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Print only errors and the final verdict.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Print more detail (SQL, per-step latencies, server settings).
    #[arg(short, long, global = true)]
    pub verbose: bool,

    /// How long to wait for a connection.
    #[arg(long, global = true, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub connect_timeout: Duration,

    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending SQL migrations (or list them with --status).
    #[command(after_help = "\
Examples:
  techspec-bench migrate
  techspec-bench migrate --status
  techspec-bench --database-url postgres://me@localhost/app migrate --create-shared-stand-in")]
    Migrate(MigrateArgs),

    /// Fill the Tech Spec tables with realistic, deterministic data.
    #[command(after_help = "\
Examples:
  techspec-bench --database-url postgres://me@localhost/app seed
  techspec-bench seed --sessions 100000 --rng-seed 7 --as-of 2026-01-01T00:00:00Z
  techspec-bench seed --clear")]
    Seed(SeedArgs),

    /// Run the query scenarios, check thresholds and plans, exit non-zero on failure.
    #[command(after_help = "\
Examples:
  techspec-bench run
  techspec-bench run --filter 'session_*' --json results.json --junit junit.xml
  techspec-bench --database-url postgres://ci@db/app run --strict --thresholds ci/thresholds.toml")]
    Run(RunArgs),

    /// Show each scenario's plan and whether it uses the indexes it must.
    #[command(after_help = "\
Examples:
  techspec-bench explain
  techspec-bench explain --filter session_list_by_status --json plans.json")]
    Explain(ExplainArgs),

    /// Measure what each index buys and what each index and foreign key costs a write.
    #[command(after_help = "\
For each index a scenario's plan uses: drop it, re-plan, measure again and roll back;
for each index and foreign key of a table a write scenario inserts into: the same, on
the write. Everything runs in one transaction per (object, scenario) that is always
rolled back, so nothing is left dropped, even if the process is killed.

Lock: while an object is dropped, its table (for a primary key also the tables whose
foreign keys reference it) is held under an ACCESS EXCLUSIVE lock: every other session
using it waits. A named database is therefore refused unless --yes is given; with no
database named, a throwaway cluster is seeded and measured.

Examples:
  techspec-bench ablate
  techspec-bench ablate --filter 'sessions_*' --markdown ablation.md
  techspec-bench --database-url postgres://me@localhost/app ablate --yes --json ablation.json")]
    Ablate(AblateArgs),
}

/// `migrate` options.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// List applied and pending migrations instead of applying them.
    #[arg(long)]
    pub status: bool,
    /// Create the stand-in for the Design Agent's `shared` schema when it is absent.
    #[arg(long)]
    pub create_shared_stand_in: bool,
}

/// `seed` options.
#[derive(Debug, Args, Clone)]
pub struct SeedArgs {
    /// Remove the rows of earlier seed runs first, then seed again.
    #[arg(long)]
    pub clear: bool,
    /// Number of sessions; every other table scales with it.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub sessions: u64,
    /// Seed of the random generator: the same seed and --as-of give identical rows.
    #[arg(long, value_name = "N", default_value_t = 42)]
    pub rng_seed: u64,
    /// The "now" generated timestamps are relative to (RFC 3339). Default: the current time.
    #[arg(long, value_name = "TIME")]
    pub as_of: Option<String>,
    /// With --clear: also delete Tech Spec rows that no seed run created.
    #[arg(long)]
    pub force: bool,
    /// Research records per session.
    #[arg(long, value_name = "N", default_value_t = 3.0)]
    pub research_per_session: f64,
    /// Conversation messages per session.
    #[arg(long, value_name = "N", default_value_t = 8.0)]
    pub messages_per_session: f64,
    /// TRD documents per session.
    #[arg(long, value_name = "N", default_value_t = 0.6)]
    pub trds_per_session: f64,
    /// Error logs per session.
    #[arg(long, value_name = "N", default_value_t = 1.5)]
    pub errors_per_session: f64,
    /// Sessions per stub design job.
    #[arg(long, value_name = "N", default_value_t = 2.0)]
    pub sessions_per_design_job: f64,
}

/// Where scenarios come from and which ones to select (shared by `run` and `explain`).
#[derive(Debug, Args, Clone, Default)]
pub struct ScenarioSelection {
    /// Scenario file or directory of *.toml files (repeatable). Default: ./scenarios, else built-in.
    #[arg(long = "scenarios", value_name = "PATH")]
    pub scenarios: Vec<PathBuf>,
    /// Select scenarios whose name or group matches GLOB (repeatable).
    #[arg(long = "filter", value_name = "GLOB")]
    pub filter: Vec<String>,
    /// Seed of the random parameter draws, so a run is reproducible.
    #[arg(long, value_name = "N", default_value_t = 42)]
    pub rng_seed: u64,
}

/// `run` options.
#[derive(Debug, Args, Clone)]
pub struct RunArgs {
    #[command(flatten)]
    pub selection: ScenarioSelection,
    /// Thresholds file. Default: ./thresholds.toml, else built-in.
    #[arg(long, value_name = "FILE")]
    pub thresholds: Option<PathBuf>,
    /// Sessions to seed on a throwaway cluster or with --seed.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub sessions: u64,
    /// Seed the named database first (it is never written to otherwise).
    #[arg(long)]
    pub seed: bool,
    /// Treat skipped scenarios as failures.
    #[arg(long)]
    pub strict: bool,
    /// Write results as JSON (format techspec-bench/1).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write results as JUnit XML.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write results as a Markdown table.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Write results as a standalone HTML page.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Compare against results saved earlier with --save-baseline.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Save these results as a baseline (JSON).
    #[arg(long, value_name = "FILE")]
    pub save_baseline: Option<PathBuf>,
}

/// `explain` options.
#[derive(Debug, Args, Clone)]
pub struct ExplainArgs {
    #[command(flatten)]
    pub selection: ScenarioSelection,
    /// Write the parsed plans and verdicts as JSON.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

/// `ablate` options.
#[derive(Debug, Args, Clone)]
pub struct AblateArgs {
    #[command(flatten)]
    pub selection: ScenarioSelection,
    /// Ablate a named database although its tables are locked while measured.
    #[arg(long)]
    pub yes: bool,
    /// Write the measurements as JSON (format techspec-bench-ablate/1).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write the measurements as Markdown tables.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
}

/// `--color` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Parses "10s", "500ms", "1m" (humantime).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text).map_err(|e| format!("{e} (examples: 10s, 500ms, 1m)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_options_are_accepted_after_the_subcommand() {
        let cli = Cli::try_parse_from([
            "techspec-bench",
            "run",
            "--database-url",
            "postgres://x@y/z",
            "-q",
        ])
        .unwrap();
        assert_eq!(cli.database_url.as_deref(), Some("postgres://x@y/z"));
        assert!(cli.quiet);
    }

    #[test]
    fn connect_timeout_defaults_to_ten_seconds() {
        let cli = Cli::try_parse_from(["techspec-bench", "migrate"]).unwrap();
        assert_eq!(cli.connect_timeout, Duration::from_secs(10));
    }
}
