//! `seed` options: validated from the CLI flags into a typed `SeedOptions`.
//! Must not touch the database or generate data.

use chrono::{DateTime, SubsecRound, Utc};

use crate::Error;
use crate::cli::SeedArgs;

/// The largest `--sessions` accepted (far beyond any CI dataset; keeps arithmetic exact).
pub const MAX_SESSIONS: u64 = 100_000_000;
/// The largest per-session rate accepted for the child tables.
pub const MAX_RATE: f64 = 1_000.0;

/// Everything `seed` needs, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedOptions {
    pub sessions: u64,
    pub rng_seed: u64,
    /// The "now" that generated timestamps are relative to.
    pub as_of: DateTime<Utc>,
    pub clear: bool,
    pub force: bool,
    pub research_per_session: f64,
    pub messages_per_session: f64,
    pub trds_per_session: f64,
    pub errors_per_session: f64,
    pub sessions_per_design_job: f64,
    /// Draw a progress bar per table on stderr.
    pub progress: bool,
}

impl Default for SeedOptions {
    /// The `seed` defaults (10 sessions, rng seed 42), as of the current second.
    fn default() -> Self {
        SeedOptions {
            sessions: 10,
            rng_seed: 42,
            as_of: Utc::now().trunc_subsecs(0),
            clear: false,
            force: false,
            research_per_session: 3.0,
            messages_per_session: 8.0,
            trds_per_session: 0.6,
            errors_per_session: 1.5,
            sessions_per_design_job: 2.0,
            progress: false,
        }
    }
}

impl SeedOptions {
    /// Validates the `seed` flags. Errors are configuration errors (exit 2) saying how to fix.
    pub fn from_args(args: &SeedArgs, progress: bool) -> crate::Result<SeedOptions> {
        let as_of = match &args.as_of {
            Some(text) => parse_as_of(text)?,
            None => Utc::now().trunc_subsecs(0),
        };
        let options = SeedOptions {
            sessions: args.sessions,
            rng_seed: args.rng_seed,
            as_of,
            clear: args.clear,
            force: args.force,
            research_per_session: args.research_per_session,
            messages_per_session: args.messages_per_session,
            trds_per_session: args.trds_per_session,
            errors_per_session: args.errors_per_session,
            sessions_per_design_job: args.sessions_per_design_job,
            progress,
        };
        options.validate()?;
        Ok(options)
    }

    /// Checks the combination of values (also for options built in code).
    pub fn validate(&self) -> crate::Result<()> {
        if self.force && !self.clear {
            return Err(Error::config(
                "seed: --force only applies together with --clear (it lets --clear delete Tech Spec rows \
                 that no seed run created); add --clear, or drop --force",
            ));
        }
        if self.sessions == 0 || self.sessions > MAX_SESSIONS {
            return Err(Error::config(format!(
                "seed: --sessions {} is out of range; give a number from 1 to {MAX_SESSIONS}",
                self.sessions
            )));
        }
        let rates = [
            ("--research-per-session", self.research_per_session),
            ("--messages-per-session", self.messages_per_session),
            ("--trds-per-session", self.trds_per_session),
            ("--errors-per-session", self.errors_per_session),
        ];
        for (flag, rate) in rates {
            if !(rate.is_finite() && (0.0..=MAX_RATE).contains(&rate)) {
                return Err(Error::config(format!(
                    "seed: {flag} {rate} is out of range; give a number from 0 to {MAX_RATE} (fractions allowed, e.g. 0.6)"
                )));
            }
        }
        let per_job = self.sessions_per_design_job;
        if !(per_job.is_finite() && (0.001..=1_000_000.0).contains(&per_job)) {
            return Err(Error::config(format!(
                "seed: --sessions-per-design-job {per_job} is out of range; give a number from 0.001 to 1000000 (default 2)"
            )));
        }
        Ok(())
    }
}

/// Parses `--as-of` (RFC 3339), truncated to whole microseconds as PostgreSQL stores them.
pub fn parse_as_of(text: &str) -> crate::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc).trunc_subsecs(6))
        .map_err(|e| {
            Error::config(format!(
                "seed: --as-of {text:?} is not an RFC 3339 time ({e}); write it like 2026-01-01T00:00:00Z \
                 or 2026-01-01T09:30:00+02:00"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn args(extra: &[&str]) -> SeedArgs {
        #[derive(Parser)]
        struct Wrapper {
            #[command(flatten)]
            seed: SeedArgs,
        }
        let mut argv = vec!["seed"];
        argv.extend_from_slice(extra);
        Wrapper::try_parse_from(argv).unwrap().seed
    }

    #[test]
    fn defaults_seed_ten_sessions() {
        let options = SeedOptions::from_args(&args(&[]), false).unwrap();
        assert_eq!(options.sessions, 10);
        assert_eq!(options.research_per_session, 3.0);
        assert_eq!(options.messages_per_session, 8.0);
        assert_eq!(options.trds_per_session, 0.6);
        assert_eq!(options.errors_per_session, 1.5);
        assert_eq!(options.sessions_per_design_job, 2.0);
    }

    #[test]
    fn as_of_is_parsed_as_rfc3339_in_utc() {
        let options =
            SeedOptions::from_args(&args(&["--as-of", "2026-01-01T02:00:00+02:00"]), false)
                .unwrap();
        assert_eq!(options.as_of.to_rfc3339(), "2026-01-01T00:00:00+00:00");
    }

    #[test]
    fn a_bad_as_of_is_a_config_error_with_an_example() {
        let error = SeedOptions::from_args(&args(&["--as-of", "yesterday"]), false).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        assert!(
            error.to_string().contains("2026-01-01T00:00:00Z"),
            "{error}"
        );
    }

    #[test]
    fn force_without_clear_is_a_config_error() {
        let error = SeedOptions::from_args(&args(&["--force"]), false).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        assert!(error.to_string().contains("--clear"));
        assert!(SeedOptions::from_args(&args(&["--force", "--clear"]), false).is_ok());
    }

    #[test]
    fn out_of_range_values_are_config_errors() {
        for bad in [
            &["--sessions", "0"][..],
            &["--trds-per-session=-1"],
            &["--messages-per-session", "NaN"],
            &["--sessions-per-design-job", "0"],
        ] {
            let error = SeedOptions::from_args(&args(bad), false).unwrap_err();
            assert_eq!(error.exit_code(), 2, "{bad:?}");
        }
    }
}
