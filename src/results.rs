//! The results of a run, shaped as the JSON format `techspec-bench/1`.
//! Reporters read these; the engine and verdict fill them. Must not do I/O.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Format identifier written into every JSON result.
pub const RESULTS_FORMAT: &str = "techspec-bench/1";

/// A whole run: what was measured, where, and the verdicts.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
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
    pub throughput_per_s: f64,
    /// From the scheduled start with `rate`, from the send otherwise.
    pub latency_us: Option<LatencySummary>,
    /// With `rate`: measured from the actual send. Null without `rate`.
    pub service_time_us: Option<LatencySummary>,
    pub thresholds: Vec<ThresholdOutcome>,
    pub plan: Option<PlanVerdict>,
    pub steps: Vec<StepResult>,
    /// Base64 of the HdrHistogram V2 + DEFLATE encoding of `latency_us`.
    pub histogram: Option<String>,
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
            latency_us: None,
            service_time_us: None,
            thresholds: Vec::new(),
            plan: None,
            steps: Vec::new(),
            histogram: None,
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

/// One threshold and whether it held.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ThresholdOutcome {
    pub expr: String,
    pub ok: bool,
    /// The measured value: microseconds, an error count or a rate per second.
    pub actual_us: f64,
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
