//! Command-line definitions (clap derive) and nothing else.
//! Must not validate files, touch the database or print: `app` does that.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::regression::{parse_percent, parse_ratio};

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

    /// Compare two saved results files offline; exit 1 on a regression.
    #[command(after_help = "\
Examples:
  techspec-bench compare main.json branch.json
  techspec-bench compare history/ branch.json --max-regression 20%")]
    Compare(CompareArgs),

    /// Run the scenarios and write a thresholds file fitted to this machine and dataset.
    #[command(after_help = "\
Examples:
  techspec-bench calibrate
  techspec-bench calibrate --headroom 3x --output ci/thresholds.toml")]
    Calibrate(CalibrateArgs),

    /// Show each scenario's plan and whether it uses the indexes it must.
    #[command(after_help = "\
Examples:
  techspec-bench explain
  techspec-bench explain --filter session_list_by_status --json plans.json")]
    Explain(ExplainArgs),
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
    #[command(flatten)]
    pub regression: RegressionArgs,
    /// Save these results as a baseline (JSON).
    #[arg(long, value_name = "FILE")]
    pub save_baseline: Option<PathBuf>,
}

/// Baseline comparison: what to compare with and when a change is a regression
/// (shared by `run` and `compare`).
#[derive(Debug, Args, Clone)]
pub struct RegressionArgs {
    /// Compare with saved results: a file, or a directory of them (the history of the
    /// main branch). Repeatable. A regression fails the gate.
    #[arg(long, value_name = "PATH")]
    pub baseline: Vec<PathBuf>,
    /// Relative change a regression must exceed (default for every scenario).
    #[arg(long, value_name = "PERCENT", default_value = "10%", value_parser = parse_percent)]
    pub max_regression: f64,
    /// Change the 95% interval's lower bound must exceed to count as a regression.
    #[arg(long, value_name = "DURATION", default_value = "50us", value_parser = parse_duration)]
    pub min_regression: Duration,
    /// Buffers per execution above this multiple of the baseline's fail the gate.
    #[arg(long, value_name = "RATIO", default_value = "1.5", value_parser = parse_ratio)]
    pub max_buffers_ratio: f64,
}

/// `compare` options.
#[derive(Debug, Args, Clone)]
pub struct CompareArgs {
    /// The baseline: a results file, or a directory of them (a history).
    #[arg(value_name = "OLD")]
    pub old: PathBuf,
    /// The results to judge.
    #[arg(value_name = "NEW")]
    pub new: PathBuf,
    #[command(flatten)]
    pub regression: RegressionArgs,
}

/// `calibrate` options.
#[derive(Debug, Args, Clone)]
pub struct CalibrateArgs {
    #[command(flatten)]
    pub selection: ScenarioSelection,
    /// Limits are the measured p95 times this factor (at least p95 + 50µs).
    #[arg(long, value_name = "FACTOR", default_value = "2.5x", value_parser = parse_ratio)]
    pub headroom: f64,
    /// Buffer budgets are the measured buffers per execution times this factor.
    #[arg(long, value_name = "FACTOR", default_value = "1.2x", value_parser = parse_ratio)]
    pub buffers_factor: f64,
    /// Where to write the thresholds file.
    #[arg(long, value_name = "FILE", default_value = "thresholds.toml")]
    pub output: PathBuf,
    /// Sessions to seed on a throwaway cluster or with --seed.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub sessions: u64,
    /// Seed the named database first (it is never written to otherwise).
    #[arg(long)]
    pub seed: bool,
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
    fn percentages_and_factors_parse_with_or_without_their_sign() {
        assert_eq!(parse_percent("10%"), Ok(10.0));
        assert_eq!(parse_percent("2.5"), Ok(2.5));
        assert!(parse_percent("ten").unwrap_err().contains("10%"));
        assert_eq!(parse_ratio("3x"), Ok(3.0));
        assert_eq!(parse_ratio("1.5"), Ok(1.5));
        assert!(parse_ratio("0.5x").unwrap_err().contains("above 1"));
    }

    #[test]
    fn connect_timeout_defaults_to_ten_seconds() {
        let cli = Cli::try_parse_from(["techspec-bench", "migrate"]).unwrap();
        assert_eq!(cli.connect_timeout, Duration::from_secs(10));
    }
}
