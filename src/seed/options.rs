//! `seed` options: the typed `SeedOptions` and their validation (`app::seed` builds them
//! from the command line). Must not know about the command-line parser, touch the
//! database or generate data.

use chrono::{DateTime, SubsecRound, Utc};

use crate::Error;

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
    /// Connections to load on: 1 loads in one transaction (an interrupted seed leaves the
    /// database as it was); more load in parallel (an interrupted seed leaves an
    /// incomplete dataset that `run` refuses and the next `seed` replaces).
    pub jobs: usize,
}

/// The most connections `seed --jobs` opens.
pub const MAX_JOBS: usize = 64;

/// The default of `seed --jobs`: the number of cores, at most 8.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8)
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
            jobs: 1,
        }
    }
}

impl SeedOptions {
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
        if !(1..=MAX_JOBS).contains(&self.jobs) {
            return Err(Error::config(format!(
                "seed: --jobs {} is out of range; give a number of connections from 1 to {MAX_JOBS}",
                self.jobs
            )));
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

    fn options(change: impl FnOnce(&mut SeedOptions)) -> SeedOptions {
        let mut options = SeedOptions::default();
        change(&mut options);
        options
    }

    #[test]
    fn the_defaults_are_valid() {
        assert!(SeedOptions::default().validate().is_ok());
    }

    #[test]
    fn as_of_is_parsed_as_rfc3339_in_utc() {
        let as_of = parse_as_of("2026-01-01T02:00:00+02:00").unwrap();
        assert_eq!(as_of.to_rfc3339(), "2026-01-01T00:00:00+00:00");
    }

    #[test]
    fn a_bad_as_of_is_a_config_error_with_an_example() {
        let error = parse_as_of("yesterday").unwrap_err();
        assert_eq!(error.exit_code(), 2);
        assert!(
            error.to_string().contains("2026-01-01T00:00:00Z"),
            "{error}"
        );
    }

    #[test]
    fn force_without_clear_is_a_config_error() {
        let error = options(|o| o.force = true).validate().unwrap_err();
        assert_eq!(error.exit_code(), 2);
        assert!(error.to_string().contains("--clear"));
        let both = options(|o| {
            o.force = true;
            o.clear = true;
        });
        assert!(both.validate().is_ok());
    }

    #[test]
    fn out_of_range_values_are_config_errors() {
        let bad: [fn(&mut SeedOptions); 6] = [
            |o| o.jobs = 0,
            |o| o.jobs = MAX_JOBS + 1,
            |o| o.sessions = 0,
            |o| o.trds_per_session = -1.0,
            |o| o.messages_per_session = f64::NAN,
            |o| o.sessions_per_design_job = 0.0,
        ];
        for (index, change) in bad.into_iter().enumerate() {
            let error = options(change).validate().unwrap_err();
            assert_eq!(error.exit_code(), 2, "case {index}");
        }
    }
}
