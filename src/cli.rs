//! Command-line definitions (clap derive) and nothing else.
//! Must not validate files, touch the database or print: `app` does that.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::regression::{parse_percent, parse_ratio};
use crate::config::select;

mod stats_args;
pub use stats_args::{CaptureArgs, CaptureRank, WatchArgs};

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

In GitHub Actions, `run` also appends its Markdown summary to $GITHUB_STEP_SUMMARY and
annotates failing scenarios at their line in the scenario file.

Examples:
  techspec-bench run
  techspec-bench --database-url postgres://app@db.internal/app run --json results.json
  techspec-bench migrate --status
  techspec-bench check && techspec-bench list"
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

    /// How long to wait for a connection. Given, it beats the connection string's
    /// connect_timeout and PGCONNECT_TIMEOUT [default: those, else 10s].
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_duration)]
    pub connect_timeout: Option<Duration>,

    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
// Parsed once per process: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
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
  techspec-bench --database-url postgres://ci@db/app run --strict --thresholds ci/thresholds.toml
  techspec-bench run --scenarios my.toml --clients 8 --duration 30s --json - | jq .summary
  techspec-bench run --json results.json --bmf bmf.json --github-benchmark bench.json
  techspec-bench --database-url postgres://ci@pgbouncer:6432/app run --protocol extended")]
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
  techspec-bench calibrate                 # writes ./thresholds.toml; refused if it exists
  techspec-bench calibrate --force         # updates it: only the p95 and buffers limits change
  techspec-bench calibrate --headroom 3x --output ci/thresholds.toml")]
    Calibrate(CalibrateArgs),

    /// Show each scenario's plan and whether it uses the indexes it must.
    #[command(after_help = "\
Examples:
  techspec-bench explain
  techspec-bench explain --filter session_list_by_status --json plans.json")]
    Explain(ExplainArgs),

    /// List the scenarios: group, load shape, thresholds, plan expectations (no database).
    #[command(after_help = "\
Examples:
  techspec-bench list
  techspec-bench list --scenarios ci/scenarios --thresholds ci/thresholds.toml")]
    List(ConfigArgs),

    /// Validate scenarios and thresholds without a database (exit 0, or 2 on an error).
    #[command(after_help = "\
Examples:
  techspec-bench check
  techspec-bench check --scenarios my.toml --thresholds my-thresholds.toml")]
    Check(ConfigArgs),

    /// Write the built-in scenarios and thresholds into DIR, for editing.
    #[command(after_help = "\
Writes DIR/scenarios/queries.toml, DIR/scenarios/cross_schema.toml and DIR/thresholds.toml;
run later commands from DIR to use them.

Examples:
  techspec-bench init
  techspec-bench init bench --force")]
    Init(InitArgs),

    /// Print a shell completion script on standard output.
    #[command(after_help = "\
Examples:
  techspec-bench completions bash > ~/.local/share/bash-completion/completions/techspec-bench
  techspec-bench completions zsh > ~/.zfunc/_techspec-bench")]
    Completions(CompletionsArgs),

    /// Print the man page (roff) on standard output.
    #[command(after_help = "\
Examples:
  techspec-bench man > techspec-bench.1 && man ./techspec-bench.1")]
    Man,

    /// Merge the results of the same scenarios run from several machines, and gate again.
    #[command(after_help = "\
Histograms of the same scenario are added (HdrHistogram add), iterations and errors summed,
percentiles recomputed from the merged histogram and the thresholds evaluated again (exit 1
when a gate fails). Scenarios whose definitions differ are refused (exit 2).

Examples:
  techspec-bench merge runner-1.json runner-2.json --json merged.json
  techspec-bench merge out/results-*.json --json merged.json --thresholds ci/thresholds.toml
  techspec-bench merge runner-*.json --json merged.json --bmf bmf.json")]
    Merge(MergeArgs),

    /// Render saved results (table, Markdown, HTML, JUnit) without a database.
    #[command(after_help = "\
Prints the table and writes the requested files; the exit code says whether rendering
worked (0), not whether the saved run passed: `run` and `merge` gate.

Examples:
  techspec-bench report results.json
  techspec-bench report merged.json --html report.html --markdown summary.md --junit junit.xml
  techspec-bench report results.json --bmf bmf.json --github-benchmark bench.json")]
    Report(ReportArgs),

    /// Seed growing datasets, measure the scenarios at each size, fit and gate their growth.
    #[command(after_help = "\
Seeds the first size (a throwaway cluster unless a database is named; a named database
needs --yes), grows the dataset to each next size, runs ANALYZE, then every scenario.
For each scenario it fits latency ~ a*n^k on log p50 and log p95 against sessions and
reports the exponent, R^2, the growth class (constant, log, linear, worse; buffers per
execution decide, see docs/scenario-format.md), and a projection to --project sessions
with its 95% prediction interval. A scenario growing faster than its max_growth fails
(exit 1).

Examples:
  techspec-bench scale
  techspec-bench scale --sessions 100,1000,10000 --filter 'session_*' --json scale.json
  techspec-bench scale --markdown scale.md --html scale.html --project 5000000
  techspec-bench --database-url postgres://me@localhost/scratch scale --yes")]
    Scale(ScaleArgs),

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

    /// Write the query optimisation guide (Markdown) from a saved run, sweep and ablation.
    #[command(after_help = "\
Each scenario of the run becomes a section: its SQL, plan, measured p50/p95, buffers per
execution, growth class (with --scale) and the gain of its index (with --ablate); each
anti-pattern names its fix and the measured ratio. The guide opens with where and when the
numbers were taken (machine, PostgreSQL version, dataset, date). No database is needed.

Examples:
  techspec-bench run --scenarios scenarios/patterns.toml --json run.json
  techspec-bench guide --run run.json > docs/QUERY_OPTIMIZATION_GUIDE.md
  techspec-bench guide --run run.json --scale scale.json --ablate ablate.json")]
    Guide(GuideArgs),

    /// Turn the statements a database ran (pg_stat_statements) into a scenario file.
    #[command(after_help = "\
Reads pg_stat_statements of the named database on a read-only connection and writes its
top statements as scenarios: each $n compared with a column becomes a `sample` of that
column (an array sample for = ANY($n)), LIMIT/OFFSET $n a small int range; any other
parameter is left as { todo = \"...\" }, which `check` refuses until it is filled in. Writes
get transaction = \"rollback\"; reads get an `expect` from their current plans (the indexes
they use, a buffer budget). The tool's own, utility and catalog statements are left out.
Needs shared_preload_libraries = 'pg_stat_statements' and CREATE EXTENSION
pg_stat_statements on the server (exit 3 says so when missing).

Examples:
  techspec-bench --database-url postgres://app@db/app capture --output captured.toml
  techspec-bench capture --top 20 --by calls --min-calls 100 -o scenarios/captured.toml
  techspec-bench capture --by mean | less
  techspec-bench check --scenarios captured.toml && techspec-bench run --scenarios captured.toml")]
    Capture(CaptureArgs),

    /// Alert on slow statements: read pg_stat_statements twice, an interval apart.
    #[command(after_help = "\
Judges every statement called within the interval: its mean time there against --max-mean
(default 100ms), and, with --max-growth, against its mean before (the previous interval, or
everything recorded before the first reading). A limits file sets limits per statement,
naming it by queryid or by a fragment of its SQL (see docs/capture.md). With --once it exits
1 when a statement broke a limit, 0 otherwise (for cron or a CI step); without, it reports
every interval until interrupted, rewriting --json and --markdown each time.

Examples:
  techspec-bench --database-url postgres://app@db/app watch --once --interval 5s
  techspec-bench watch --once --interval 1m --max-mean 20ms --max-growth 2x --json slow.json
  techspec-bench watch --interval 30s --limits watch-limits.toml --markdown slow.md")]
    Watch(WatchArgs),
    /// Draw a history of results files: p50/p95/p99 per scenario over the runs, their
    /// intervals, failed runs, change points and plan changes (no database).
    #[command(after_help = "\
Reads results files (written by `run --json` or `merge`; a directory stands for its *.json
files) and orders them by start time, run 1 the oldest. For each scenario it follows p50,
p95 and p99 with their 95% intervals, marks the runs whose gate it failed and the runs where
its plan or its definition changed, and finds change points: binary segmentation of ln p50
(smoothed by a running median of 3 runs; noise from the successive differences; a split
kept when it beats the modified BIC penalty and moves the median by at least 5%).
--html writes one self-contained page (hover a run for its commit, date and values);
--markdown writes the summary, which is also printed. Exit 0 once written: trend informs,
`run` gates. A run's commit is recorded by `run` from the CI's environment (GITHUB_SHA,
CI_COMMIT_SHA, BUILDKITE_COMMIT, CIRCLE_SHA1, BITBUCKET_COMMIT or GIT_COMMIT).

Examples:
  techspec-bench trend history/ --html trends.html
  techspec-bench trend history/ --html trends.html --markdown trends.md --last 100
  techspec-bench trend main-*.json branch.json")]
    Trend(TrendArgs),
}

/// `trend` options.
#[derive(Debug, Args, Clone)]
pub struct TrendArgs {
    /// Results files, or directories of them (their *.json files), in any order.
    #[arg(value_name = "DIR|FILES", required = true, num_args = 1..)]
    pub inputs: Vec<PathBuf>,
    /// Write the trend page (self-contained HTML).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Write the summary (Markdown).
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Keep only the newest N runs.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub last: Option<u64>,
}

/// `guide` options.
#[derive(Debug, Args, Clone)]
pub struct GuideArgs {
    /// A results file written by `run --json` (the patterns run).
    #[arg(long = "run", value_name = "RESULTS.json")]
    pub run: PathBuf,
    /// A sweep written by `scale --json`: adds each scenario's growth class.
    #[arg(long, value_name = "SCALE.json")]
    pub scale: Option<PathBuf>,
    /// An ablation written by `ablate --json`: adds the gain of each scenario's indexes.
    #[arg(long, value_name = "ABLATE.json")]
    pub ablate: Option<PathBuf>,
    /// Scenario files the SQL is read from. Default: ./scenarios, else built-in.
    #[arg(long = "scenarios", value_name = "PATH")]
    pub scenarios: Vec<PathBuf>,
}

/// `merge` options.
#[derive(Debug, Args, Clone)]
pub struct MergeArgs {
    /// Results files written by `run --json` (or by `merge`), one per machine.
    #[arg(value_name = "RESULTS", required = true, num_args = 1..)]
    pub inputs: Vec<PathBuf>,
    /// Where to write the merged results (JSON, format techspec-bench/1).
    #[arg(long, value_name = "FILE")]
    pub json: PathBuf,
    /// Evaluate the thresholds of this file instead of those recorded in the results.
    #[arg(long, value_name = "FILE")]
    pub thresholds: Option<PathBuf>,
    #[command(flatten)]
    pub exports: ExportArgs,
}

/// The dashboard exports of `run`, `merge` and `report`.
#[derive(Debug, Args, Clone, Default)]
pub struct ExportArgs {
    /// Write the results in Bencher Metric Format (JSON) for `bencher run --adapter json
    /// --file FILE`: latency p50/p95/p99 (ns), throughput and buffers per scenario, each
    /// with lower and upper values from its 95% interval.
    #[arg(long, value_name = "FILE")]
    pub bmf: Option<PathBuf>,
    /// Write the results as github-action-benchmark JSON for
    /// `tool: 'customSmallerIsBetter'`: p50/p95/p99 (µs) and buffers per scenario.
    #[arg(long, value_name = "FILE")]
    pub github_benchmark: Option<PathBuf>,
}

/// `list` and `check` options: which scenario and thresholds files.
#[derive(Debug, Args, Clone, Default)]
pub struct ConfigArgs {
    #[command(flatten)]
    pub selection: ScenarioSelection,
    /// Thresholds file. Default: ./thresholds.toml, else built-in.
    #[arg(long, value_name = "FILE")]
    pub thresholds: Option<PathBuf>,
}

/// `report` options.
#[derive(Debug, Args, Clone)]
pub struct ReportArgs {
    /// A results file written by `run --json`, `--save-baseline` or `merge`.
    #[arg(value_name = "RESULTS")]
    pub results: PathBuf,
    /// Write the results as a Markdown table.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Write the results as a standalone HTML page.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Write the results as JUnit XML.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    #[command(flatten)]
    pub exports: ExportArgs,
}

/// `init` options.
#[derive(Debug, Args, Clone)]
pub struct InitArgs {
    /// Directory to write into (created when missing).
    #[arg(value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// Replace files that already exist.
    #[arg(long)]
    pub force: bool,
}

/// `completions` options.
#[derive(Debug, Args, Clone)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

/// `run` flags that replace the load shape of every selected scenario.
#[derive(Debug, Args, Clone, Default)]
pub struct LoadFlags {
    /// Concurrent clients of every scenario (>= 1).
    #[arg(long, value_name = "N", value_parser = select::clients_flag, allow_hyphen_values = true)]
    pub clients: Option<u32>,
    /// Run every scenario for this long (e.g. 30s); replaces iterations.
    #[arg(long, value_name = "DURATION", value_parser = select::duration_flag, conflicts_with = "iterations")]
    pub duration: Option<Duration>,
    /// Run every scenario for N iterations across its clients (>= 1); replaces duration.
    #[arg(long, value_name = "N", value_parser = select::iterations_flag)]
    pub iterations: Option<u64>,
    /// Measure every scenario until its p50 is within ±5% or this much time is spent
    /// (e.g. 1s); replaces iterations and duration.
    #[arg(long, value_name = "DURATION", value_parser = select::duration_flag, conflicts_with_all = ["iterations", "duration"])]
    pub budget: Option<Duration>,
    /// Unrecorded iterations per client before timing starts.
    #[arg(long, value_name = "N")]
    pub warmup: Option<u64>,
    /// Open-loop rate of every scenario, iterations per second across its clients (> 0).
    #[arg(long, value_name = "PER_SECOND", value_parser = select::rate_flag, allow_hyphen_values = true)]
    pub rate: Option<f64>,
    /// How every scenario's statements are sent: prepared (named prepared statements, the
    /// default), extended (unnamed statements: works behind a transaction-mode pooler such
    /// as PgBouncer) or simple (simple query protocol, parameters inlined as literals).
    #[arg(long, value_name = "PROTOCOL", value_parser = select::protocol_flag)]
    pub protocol: Option<crate::config::Protocol>,
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
    /// Connections to load on (default: the number of cores, at most 8). 1 loads in one
    /// transaction; more load in parallel, and a seed interrupted then leaves an incomplete
    /// dataset that `run` refuses and the next `seed` replaces.
    #[arg(long, value_name = "N", default_value_t = crate::seed::default_jobs())]
    pub jobs: usize,
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
    /// Let scenarios with transaction = "commit" run on the named database: their
    /// iterations commit, so whatever they write stays. Not needed on a throwaway cluster.
    #[arg(long)]
    pub allow_writes: bool,
    /// Treat skipped scenarios as failures.
    #[arg(long)]
    pub strict: bool,
    /// Write results as JSON (format techspec-bench/1); `-` writes it on standard output
    /// and the table on standard error.
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
    pub exports: ExportArgs,
    #[command(flatten)]
    pub regression: RegressionArgs,
    /// Paired A/B: measure every scenario on the target and on BASE_URL in the same run,
    /// alternating the two sides pair by pair on the same clients and parameter draws;
    /// a regression of the target against the base fails the gate (--max-regression,
    /// --min-regression, --max-buffers-ratio and [regression] apply). Both databases must
    /// hold the same dataset.
    #[arg(long, value_name = "BASE_URL", conflicts_with = "baseline")]
    pub against: Option<String>,
    /// Save these results as a baseline (JSON).
    #[arg(long, value_name = "FILE")]
    pub save_baseline: Option<PathBuf>,
    /// Measure every scenario in up to N windows (at least 10 iterations each), taken in
    /// rounds that interleave the scenarios, each window on new connections, so a run
    /// samples the machine at several times; 1 measures each scenario in one go.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub rounds: u32,
    #[command(flatten)]
    pub load: LoadFlags,
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
    /// Change the interval's lower bound must exceed to count as a regression (the
    /// intervals share 95% confidence over the run's comparisons).
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
    /// Update the --output file although it exists: only its p95 and buffers limits are
    /// rewritten; other gates, [regression], comments and order are kept.
    #[arg(long)]
    pub force: bool,
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

/// `scale` options.
#[derive(Debug, Args, Clone)]
pub struct ScaleArgs {
    #[command(flatten)]
    pub selection: ScenarioSelection,
    /// Dataset sizes to measure, in sessions, increasing (comma separated).
    #[arg(
        long,
        value_name = "N,N,...",
        value_delimiter = ',',
        default_value = "100,1000,10000,100000"
    )]
    pub sessions: Vec<u64>,
    /// Project every scenario's latency to this many sessions.
    #[arg(long, value_name = "N", default_value_t = 1_000_000)]
    pub project: u64,
    /// The "now" generated timestamps are relative to (RFC 3339). Default: the current time.
    #[arg(long, value_name = "TIME")]
    pub as_of: Option<String>,
    /// Allow seeding and growing a named database (its earlier seed data is replaced).
    #[arg(long)]
    pub yes: bool,
    /// Write the sweep as JSON (format techspec-bench-scale/1).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write the sweep as Markdown.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Write a standalone HTML page with a log-log chart (inline SVG).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Write the log-log chart alone as SVG.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
}

/// `--color` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Parses a duration above zero: "5s", "20ms".
pub fn parse_positive_duration(text: &str) -> Result<Duration, String> {
    match parse_duration(text)? {
        duration if duration.is_zero() => Err("must be > 0 (examples: 5s, 20ms, 1m)".to_string()),
        duration => Ok(duration),
    }
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
    fn connect_timeout_is_unset_unless_given_so_the_environment_can_fill_it() {
        let cli = Cli::try_parse_from(["techspec-bench", "migrate"]).unwrap();
        assert_eq!(cli.connect_timeout, None);
        let given =
            Cli::try_parse_from(["techspec-bench", "--connect-timeout", "3s", "migrate"]).unwrap();
        assert_eq!(given.connect_timeout, Some(Duration::from_secs(3)));
    }

    #[test]
    fn load_flags_parse_and_duration_excludes_iterations() {
        let cli = Cli::try_parse_from([
            "techspec-bench",
            "run",
            "--clients",
            "4",
            "--duration",
            "30s",
            "--warmup",
            "10",
            "--rate",
            "200",
        ])
        .unwrap();
        let Command::Run(args) = cli.command else {
            panic!("not run")
        };
        assert_eq!(args.load.clients, Some(4));
        assert_eq!(args.load.duration, Some(Duration::from_secs(30)));
        assert_eq!((args.load.warmup, args.load.rate), (Some(10), Some(200.0)));
        let both = [
            "techspec-bench",
            "run",
            "--iterations",
            "5",
            "--duration",
            "1s",
        ];
        assert!(Cli::try_parse_from(both).is_err());
    }

    #[test]
    fn the_offline_commands_parse() {
        for args in [
            vec!["techspec-bench", "list"],
            vec!["techspec-bench", "check", "--thresholds", "t.toml"],
            vec!["techspec-bench", "init", "dir", "--force"],
            vec!["techspec-bench", "completions", "zsh"],
            vec!["techspec-bench", "man"],
        ] {
            Cli::try_parse_from(&args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
        }
    }
}
