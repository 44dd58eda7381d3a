//! The results of a run, shaped as the JSON format `techspec-bench/1`.
//! Reporters read these; the engine and verdict fill them. Must not do I/O nor render
//! text for people (report/ does that).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::{Metric, ThresholdExpr, parse_threshold};
use crate::stats::Interval;
use crate::verdict::machine::RunWideChange;
use crate::verdict::regression::BaselineComparison;

/// Format identifier written into every JSON result.
pub const RESULTS_FORMAT: &str = "techspec-bench/1";

/// A whole run: what was measured, where, and the verdicts.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct RunReport {
    pub format: String,
    pub tool_version: String,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub database: DatabaseInfo,
    /// Row counts per table at the start of the run.
    pub dataset: BTreeMap<String, i64>,
    pub scenarios: Vec<ScenarioResult>,
    pub summary: Summary,
    /// Seed of the random parameter draws (`--rng-seed`); baselines must match it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rng_seed: Option<u64>,
    /// How the dataset was seeded (the last complete seed run), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<SeedInfo>,
    /// Host name of the machine that ran the tool, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<String>,
    /// The commit that was measured, from the CI's environment (`GITHUB_SHA`,
    /// `CI_COMMIT_SHA`, …, see `app::ci::commit`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// An A/B run (`--against`): the base side, measured in the same run and windows
    /// (its database, dataset and one result per scenario, in the same shape). Each
    /// scenario's `baseline` then holds the paired comparison.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub against: Option<Box<RunReport>>,
    /// The machine reference probes, measured interleaved with the scenarios (same
    /// shape as a scenario's result; never gated). Baseline comparisons divide by how
    /// much they moved. Empty in an A/B run and in files of older versions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reference: Vec<ScenarioResult>,
    /// With `--baseline`: the change of the whole run beyond the machine reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_change: Option<RunWideChange>,
}

/// The seed run that made the dataset: the same seed, `as_of` and size give the same rows.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SeedInfo {
    pub rng_seed: u64,
    /// RFC 3339, UTC.
    pub as_of: String,
    pub sessions: u64,
}

/// The server a run measured.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct DatabaseInfo {
    pub server_version: String,
    /// Connection target with the password hidden.
    pub target: String,
    pub throwaway: bool,
    /// Non-default settings that change timings (e.g. "fsync=off"); empty when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The verdict of one scenario.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    Skip,
    Error,
}

impl Status {
    /// Lowercase name, as in the JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Skip => "skip",
            Status::Error => "error",
        }
    }
}

/// One scenario's measurements and verdicts.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ScenarioResult {
    pub name: String,
    pub group: String,
    pub status: Status,
    /// Why it failed, was skipped or errored; null on pass.
    pub reason: Option<String>,
    /// Recorded iterations (warmup excluded), errors included.
    pub iterations: u64,
    pub errors: u64,
    pub duration_s: f64,
    /// Successful iterations per second.
    pub throughput_per_s: f64,
    /// Failed iterations per second.
    #[serde(default)]
    pub errors_per_s: f64,
    /// Successful iterations: from the scheduled start with `rate`, from the send otherwise.
    pub latency_us: Option<LatencySummary>,
    /// Failed iterations, measured as `latency_us`. Null when there were no errors.
    #[serde(default)]
    pub error_latency_us: Option<LatencySummary>,
    /// With `rate`: measured from the actual send. Null without `rate`.
    pub service_time_us: Option<LatencySummary>,
    /// With `rate`: actual send minus scheduled start of every iteration. Null without `rate`.
    #[serde(default)]
    pub schedule_lag_us: Option<LatencySummary>,
    pub thresholds: Vec<ThresholdOutcome>,
    pub plan: Option<PlanVerdict>,
    pub steps: Vec<StepResult>,
    /// Base64 of the HdrHistogram V2 + DEFLATE encoding of `latency_us`.
    pub histogram: Option<String>,
    /// The same successful iterations split into measurement windows, in time order, each
    /// encoded as `histogram` (closed-loop windows each ran on their own connections).
    /// Baseline comparisons resample them. Empty when not recorded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub windows: Vec<String>,
    /// An A/B run's target side: per connection draw (new connections to both sides),
    /// the median over its pairs of target / base latency (the same drawn parameters on
    /// both sides). The p50 change and its interval come from these. Empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pair_ratios: Vec<f64>,
    /// The measuring time a budgeted scenario was given (seconds); `None` when it ran a
    /// fixed number of iterations or a fixed duration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_s: Option<f64>,
    /// How precisely the p50 is known: the relative half-width of its 95% interval over
    /// the measurement windows (0.05 = ±5%); `None` with fewer than two windows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<f64>,
    /// Shared buffers (hit + read) per execution, all steps, from EXPLAIN (ANALYZE, BUFFERS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buffers: Option<u64>,
    /// Hash of the scenario's SQL, parameters, load shape and expectations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<String>,
    /// The comparison with `--baseline`, when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineComparison>,
    /// How the timed statements were sent; `None` when nothing was measured (and in
    /// results written before the protocol was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<crate::config::Protocol>,
}

impl ScenarioResult {
    /// A result with no measurement (skip or error before running).
    pub fn unmeasured(name: &str, group: &str, status: Status, reason: String) -> Self {
        ScenarioResult {
            name: name.to_string(),
            group: group.to_string(),
            status,
            reason: Some(reason),
            iterations: 0,
            errors: 0,
            duration_s: 0.0,
            throughput_per_s: 0.0,
            errors_per_s: 0.0,
            latency_us: None,
            error_latency_us: None,
            service_time_us: None,
            schedule_lag_us: None,
            thresholds: Vec::new(),
            plan: None,
            steps: Vec::new(),
            histogram: None,
            windows: Vec::new(),
            pair_ratios: Vec::new(),
            budget_s: None,
            precision: None,
            buffers: None,
            definition: None,
            baseline: None,
            protocol: None,
        }
    }
}

/// Latency statistics in microseconds.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Default)]
pub struct LatencySummary {
    pub min: u64,
    pub mean: f64,
    pub p50: u64,
    pub p90: u64,
    pub p95: u64,
    pub p99: u64,
    pub p99_9: u64,
    pub max: u64,
    pub stddev: f64,
}

/// One threshold, what was measured for it, and whether it held.
///
/// In the JSON: `expr` (the canonical text), `ok`, `actual_us` (the measured value, named
/// so for compatibility; null when there was nothing to measure) and `unit` (`us`,
/// `count` or `per_s`). Reading a saved file parses `expr` back into the typed threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "ThresholdOutcomeOut", try_from = "ThresholdOutcomeIn")]
pub struct ThresholdOutcome {
    pub threshold: ThresholdExpr,
    /// The measured value in the metric's unit: microseconds for latency metrics, a count
    /// for `errors`, a rate per second for `throughput`. `None` ("no data") when the
    /// metric needs successful iterations and there were none: the threshold then fails.
    pub actual: Option<f64>,
    pub ok: bool,
    /// Ratio gates on a percentile: the interval of the ratio, from the pairs (`paired`)
    /// or else from both scenarios' measurement windows. A gate whose interval reaches its
    /// factor holds (the shortfall is within the noise). `None` for every other threshold.
    pub interval: Option<Interval>,
    /// Ratio gates measured in pairs: how.
    pub paired: Option<PairedGate>,
}

/// How a ratio gate was measured in pairs: both scenarios alternated on one connection,
/// re-drawn `draws` times, `pairs` pairs in all (both sides succeeded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairedGate {
    pub draws: u32,
    pub pairs: u64,
}

/// A threshold entry as written.
#[derive(Serialize)]
struct ThresholdOutcomeOut {
    expr: String,
    ok: bool,
    actual_us: Option<f64>,
    unit: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    interval: Option<Interval>,
    #[serde(skip_serializing_if = "Option::is_none")]
    paired: Option<PairedGate>,
}

/// A threshold entry as read; `unit` follows from the metric and is not needed.
#[derive(Deserialize)]
struct ThresholdOutcomeIn {
    expr: String,
    ok: bool,
    actual_us: Option<f64>,
    #[serde(default)]
    interval: Option<Interval>,
    #[serde(default)]
    paired: Option<PairedGate>,
}

impl From<ThresholdOutcome> for ThresholdOutcomeOut {
    fn from(outcome: ThresholdOutcome) -> Self {
        ThresholdOutcomeOut {
            unit: match outcome.threshold.is_ratio() {
                true => "ratio",
                false => unit_name(outcome.threshold.metric),
            },
            expr: outcome.threshold.text,
            ok: outcome.ok,
            actual_us: outcome.actual,
            interval: outcome.interval,
            paired: outcome.paired,
        }
    }
}

impl TryFrom<ThresholdOutcomeIn> for ThresholdOutcome {
    type Error = String;

    fn try_from(entry: ThresholdOutcomeIn) -> Result<Self, String> {
        let threshold = parse_threshold(&entry.expr, Metric::P95)
            .map_err(|error| format!("threshold \"{}\" cannot be read: {error}", entry.expr))?;
        Ok(ThresholdOutcome {
            threshold,
            actual: entry.actual_us,
            ok: entry.ok,
            interval: entry.interval,
            paired: entry.paired,
        })
    }
}

/// The unit of a metric's values in the JSON.
fn unit_name(metric: Metric) -> &'static str {
    match metric {
        Metric::Errors | Metric::Buffers => "count",
        Metric::Throughput => "per_s",
        _ => "us",
    }
}

/// The plan check of a scenario.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct PlanVerdict {
    pub ok: bool,
    pub indexes_used: Vec<String>,
    /// Relations read by a Seq Scan ("schema.table").
    pub seq_scans: Vec<String>,
    /// The expectation in words, e.g. "index tech_spec_sessions_pkey".
    pub expect: String,
    /// One message per broken expectation, naming node and relation.
    #[serde(default)]
    pub failures: Vec<String>,
    /// Set when the plan after the run differs from the plan before it.
    #[serde(default)]
    pub drift: Option<String>,
    /// The shape of the plan that was checked (node types, relations and indexes, no
    /// numbers; one `|`-separated part per step): two runs whose fingerprints differ ran
    /// different plans. Absent in files of older versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    /// The plans the timed loop ran (custom, and generic when PostgreSQL used one), with
    /// their executions and checks. Empty when the server keeps no counts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timed: Vec<TimedPlan>,
}

/// Which plan a prepared statement ran with.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum PlanKind {
    /// Planned for the bound parameter values (what EXPLAIN with values shows).
    Custom,
    /// Planned once for any values, reused by the prepared statement.
    Generic,
}

impl PlanKind {
    /// Lowercase name, as in the JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            PlanKind::Custom => "custom",
            PlanKind::Generic => "generic",
        }
    }
}

/// One kind of plan the timed loop ran: how often (all steps and clients, warmup
/// included) and whether it met the expectations.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TimedPlan {
    pub kind: PlanKind,
    pub executions: u64,
    pub ok: bool,
    /// One message per broken expectation; empty when `ok`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<String>,
}

/// Per-step latency of a multi-step scenario.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StepResult {
    pub sql: String,
    pub latency_us: LatencySummary,
}

/// Counts of scenario statuses.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct Summary {
    pub pass: usize,
    pub fail: usize,
    pub skip: usize,
    pub error: usize,
}

impl Summary {
    /// Counts the statuses of `results`.
    pub fn of(results: &[ScenarioResult]) -> Self {
        let mut summary = Summary::default();
        for result in results {
            match result.status {
                Status::Pass => summary.pass += 1,
                Status::Fail => summary.fail += 1,
                Status::Skip => summary.skip += 1,
                Status::Error => summary.error += 1,
            }
        }
        summary
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(text: &str, actual: f64, ok: bool) -> ThresholdOutcome {
        ThresholdOutcome {
            threshold: parse_threshold(text, Metric::P95).expect("valid threshold"),
            actual: Some(actual),
            ok,
            interval: None,
            paired: None,
        }
    }

    #[test]
    fn a_threshold_without_data_is_written_and_read_with_a_null_value() {
        let no_data = ThresholdOutcome {
            actual: None,
            ..outcome("p95 < 5ms", 0.0, false)
        };
        let written = serde_json::to_value(&no_data).unwrap();
        assert_eq!(written["actual_us"], serde_json::Value::Null);
        let read: ThresholdOutcome = serde_json::from_value(written).unwrap();
        assert_eq!(read, no_data);
    }

    #[test]
    fn a_threshold_is_written_as_canonical_text_value_and_unit() {
        let written = serde_json::to_value(outcome("p95 < 5ms", 1_275.0, true)).unwrap();
        assert_eq!(
            written,
            serde_json::json!({ "expr": "p95 < 5ms", "ok": true, "actual_us": 1275.0, "unit": "us" })
        );
        let rate = serde_json::to_value(outcome("throughput > 40/s", 50.0, true)).unwrap();
        assert_eq!(rate["unit"], "per_s");
        let errors = serde_json::to_value(outcome("errors == 0", 3.0, false)).unwrap();
        assert_eq!(errors["unit"], "count");
    }

    #[test]
    fn reading_a_saved_threshold_rebuilds_the_typed_expression() {
        let original = outcome("p99.9 <= 1.5ms", 2_000.0, false);
        let text = serde_json::to_string(&original).unwrap();
        let read: ThresholdOutcome = serde_json::from_str(&text).unwrap();
        assert_eq!(read, original);
        assert_eq!(read.threshold.metric, Metric::P999);
        assert_eq!(read.threshold.limit, 1_500.0);
        let without_unit = r#"{"expr": "errors == 0", "ok": true, "actual_us": 0.0}"#;
        let old: ThresholdOutcome = serde_json::from_str(without_unit).unwrap();
        assert_eq!(old.threshold.metric, Metric::Errors);
    }

    #[test]
    fn an_unreadable_threshold_names_the_expression() {
        let bad = r#"{"expr": "p95 < 5 parsecs", "ok": true, "actual_us": 1.0}"#;
        let error = serde_json::from_str::<ThresholdOutcome>(bad)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("threshold \"p95 < 5 parsecs\" cannot be read"),
            "{error}"
        );
    }
}
