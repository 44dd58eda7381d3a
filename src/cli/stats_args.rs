//! The options of `capture` and `watch`, the commands that read pg_stat_statements (clap
//! derive). Must not validate files, touch the database or print.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use super::parse_positive_duration;
use crate::config::regression::parse_ratio;

/// What `capture --by` ranks statements by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CaptureRank {
    /// Total execution time.
    Total,
    /// Number of calls.
    Calls,
    /// Mean execution time per call.
    Mean,
}

/// `capture` options.
#[derive(Debug, Args, Clone)]
pub struct CaptureArgs {
    /// How many statements to capture.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub top: u32,
    /// What ranks the statements.
    #[arg(long, value_enum, default_value_t = CaptureRank::Total)]
    pub by: CaptureRank,
    /// Leave out statements called fewer times than this.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub min_calls: u64,
    /// Where to write the scenario file; `-` writes it on standard output.
    #[arg(long, short = 'o', value_name = "FILE", default_value = "-")]
    pub output: PathBuf,
    /// Replace the output file when it exists.
    #[arg(long)]
    pub force: bool,
    /// Buffer budgets (`max_buffers`) are the most buffers a plan read times this factor.
    #[arg(long, value_name = "FACTOR", default_value = "2x", value_parser = parse_ratio)]
    pub buffers_factor: f64,
    /// Seed of the parameter draws whose plans are explained (`run` draws from 42 too).
    #[arg(long, value_name = "N", default_value_t = 42)]
    pub rng_seed: u64,
}

/// `watch` options.
#[derive(Debug, Args, Clone)]
pub struct WatchArgs {
    /// Read twice, report, and exit: 1 when a statement broke a limit, else 0.
    #[arg(long)]
    pub once: bool,
    /// Time between the two readings (and between reports without --once).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_positive_duration)]
    pub interval: Duration,
    /// Mean time per call within the interval above which a statement is slow (default 100ms).
    #[arg(long, value_name = "DURATION", value_parser = parse_positive_duration)]
    pub max_mean: Option<Duration>,
    /// A statement is slow when its mean grew beyond this factor of its mean before.
    #[arg(long, value_name = "FACTOR", value_parser = parse_ratio)]
    pub max_growth: Option<f64>,
    /// Judge only statements called at least this often within the interval (default 1).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub min_calls: Option<u64>,
    /// Limits per statement (by queryid or SQL fragment) and defaults, in TOML.
    #[arg(long, value_name = "FILE")]
    pub limits: Option<PathBuf>,
    /// Write the report as JSON (format techspec-bench-watch/1); `-` for standard output.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write the report as Markdown.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Rows of the table and Markdown: every breach, then the busiest other statements.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub rows: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    #[test]
    fn capture_and_watch_parse_and_refuse_bad_values() {
        let cli = Cli::try_parse_from([
            "techspec-bench",
            "capture",
            "--by",
            "calls",
            "--top",
            "5",
            "-o",
            "c.toml",
        ])
        .unwrap();
        let Command::Capture(args) = cli.command else {
            panic!("not capture")
        };
        assert_eq!(
            (args.by, args.top, args.min_calls),
            (CaptureRank::Calls, 5, 10)
        );
        assert_eq!(args.output, PathBuf::from("c.toml"));
        let cli = Cli::try_parse_from([
            "techspec-bench",
            "watch",
            "--once",
            "--interval",
            "5s",
            "--max-growth",
            "2x",
        ])
        .unwrap();
        let Command::Watch(args) = cli.command else {
            panic!("not watch")
        };
        assert!(args.once);
        assert_eq!(args.interval, Duration::from_secs(5));
        assert_eq!((args.max_mean, args.max_growth), (None, Some(2.0)));
        for bad in [
            vec!["techspec-bench", "watch", "--interval", "0s"],
            vec!["techspec-bench", "watch", "--min-calls", "0"],
            vec!["techspec-bench", "capture", "--top", "0"],
            vec!["techspec-bench", "capture", "--by", "rows"],
        ] {
            assert!(Cli::try_parse_from(&bad).is_err(), "{bad:?}");
        }
    }
}
