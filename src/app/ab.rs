//! `run --against BASE_URL`: the base side of a paired A/B run. Opens the base database,
//! refuses one that holds another dataset than the target (exit 2, saying what differs),
//! and judges each scenario's target side against its base side once both are measured
//! (`verdict::regression::compare_paired`, the `--baseline` limits, 95% confidence shared
//! over the run's comparisons). Must not hold statistics or SQL.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::app::compare::{dataset_difference_of, fail_on_regression, limits_of};
use crate::cli::RegressionArgs;
use crate::config::RegressionOverride;
use crate::db::target::{self, Resolved};
use crate::db::{self as db, DbTarget};
use crate::results::{RunReport, ScenarioResult};
use crate::stats::{DEFAULT_CONFIDENCE, per_comparison};
use crate::verdict::regression::{RegressionLimits, compare_paired};
use crate::{Error, Result};

/// The base database of an A/B run and the limits its comparisons use.
pub struct Against {
    pub target: DbTarget,
    /// For the base side's plan checks and catalog reads.
    pub client: tokio_postgres::Client,
    limits: RegressionLimits,
    overrides: BTreeMap<String, RegressionOverride>,
}

/// What `run` was asked to compare with: the base URL and the limits, checked before any
/// connection.
#[derive(Debug, Clone)]
pub struct AgainstPlan {
    pub url: String,
    limits: RegressionLimits,
    overrides: BTreeMap<String, RegressionOverride>,
}

impl AgainstPlan {
    /// `--against` with the regression flags' limits; the 95% confidence is shared over
    /// three percentiles of each of `scenarios` scenarios.
    pub fn new(
        url: &str,
        args: &RegressionArgs,
        overrides: &BTreeMap<String, RegressionOverride>,
        scenarios: usize,
    ) -> AgainstPlan {
        let mut limits = limits_of(args);
        limits.confidence = per_comparison(DEFAULT_CONFIDENCE, 3 * scenarios);
        AgainstPlan {
            url: url.to_string(),
            limits,
            overrides: overrides.clone(),
        }
    }

    /// Connects to the base database (a connection string or URL, with the libpq
    /// variables filling what it leaves out, as for `--database-url`).
    pub async fn open(&self, connect_timeout: Option<Duration>) -> Result<Against> {
        let env = |key: &str| std::env::var(key).ok();
        let target = match target::resolve(Some(&self.url), &env, connect_timeout) {
            Ok(Resolved::Named(target, _)) => target,
            Ok(Resolved::Throwaway) => {
                return Err(Error::config(
                    "--against needs the base database's connection string or URL",
                ));
            }
            Err(Error::Config(message)) => {
                return Err(Error::config(format!("--against: {message}")));
            }
            Err(other) => return Err(other),
        };
        let client = db::connect(&target).await?;
        Ok(Against {
            target,
            client,
            limits: self.limits,
            overrides: self.overrides.clone(),
        })
    }
}

impl Against {
    /// Compares the target's result with the base's and fails it on a regression (the
    /// reason gives the numbers).
    pub fn judge(&self, target: &mut ScenarioResult, base: &ScenarioResult) {
        let limits = self
            .overrides
            .get(&target.name)
            .map_or(self.limits, |o| o.apply(self.limits));
        target.baseline = compare_paired(target, base, limits);
        fail_on_regression(target);
    }
}

/// `--against` with no named target: there is nothing to compare the base with.
pub fn needs_named_target() -> Error {
    Error::config(
        "--against compares the database you name with a base database: name the target \
         too (--database-url or DATABASE_URL), seeded identically to the base",
    )
}

/// The two sides must hold the same dataset: the same row counts and seed run.
pub fn check_same_dataset(base: &RunReport, target: &RunReport) -> Result<()> {
    match dataset_difference_of(base, target, ("on the base", "on the target")) {
        None => Ok(()),
        Some(what) => Err(Error::config(format!(
            "--against {}: the base and the target hold different datasets ({what}); an A/B \
             comparison needs the same rows on both sides: seed both with the same --sessions, \
             --rng-seed and --as-of",
            base.database.target
        ))),
    }
}
