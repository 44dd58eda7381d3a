//! The typed result of `ablate` (what `--json` writes, what the table and Markdown render)
//! and its construction from measurements. Must not talk to the database or format numbers
//! as text: reporters do that.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::app::ablate::gain::{self, BatchLatency, IndexGain, Ratio};
use crate::app::ablate::measure::Measurement;
use crate::db::ablation::{Ablatable, qualified};
use crate::results::DatabaseInfo;

/// The `format` of `ablate --json`.
pub const ABLATION_FORMAT: &str = "techspec-bench-ablate/1";

/// Everything `ablate` measured.
#[derive(Debug, Clone, Serialize)]
pub struct AblationReport {
    pub format: String,
    pub tool_version: String,
    pub started_at: String,
    pub database: DatabaseInfo,
    /// Rows per dataset table.
    pub dataset: BTreeMap<String, i64>,
    pub method: Method,
    /// What each index used by a scenario's plan buys that scenario.
    pub reads: Vec<ReadAblation>,
    /// What each index and foreign key of a written table costs the write.
    pub writes: Vec<WriteAblation>,
    /// Indexes whose gain is noise on every scenario that uses them.
    pub candidates_to_drop: Vec<String>,
    /// Scenarios or pairs that could not be measured, with why.
    pub unmeasured: Vec<Unmeasured>,
}

/// How the numbers were taken.
#[derive(Debug, Clone, Serialize)]
pub struct Method {
    pub batches: u32,
    /// A gain or cost below this ratio is noise.
    pub min_ratio: f64,
    pub noise_rule: String,
}

impl Method {
    pub fn new(batches: u32) -> Method {
        Method {
            batches,
            min_ratio: gain::MIN_MEANINGFUL_RATIO,
            noise_rule: format!(
                "below noise when the ratio is under {}x or its 95% interval (from the spread \
                 of the ratios of {batches} paired batches, Student's t) includes 1.0",
                gain::MIN_MEANINGFUL_RATIO
            ),
        }
    }
}

/// One side of a measurement (with or without the object).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Side {
    pub p50_us: u64,
    pub p95_us: u64,
    /// Shared hit + read blocks of one execution (all steps), from EXPLAIN ANALYZE BUFFERS.
    pub buffers: u64,
}

/// The object measured: name, table, kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Object {
    pub name: String,
    /// "schema.table".
    pub table: String,
    /// "index", "constraint index" or "foreign key".
    pub kind: &'static str,
    /// The constraint dropped with a constraint index (and, CASCADE, the foreign keys that
    /// reference it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub constraint: Option<String>,
}

impl Object {
    pub fn of(object: &Ablatable) -> Object {
        Object {
            name: object.name.clone(),
            table: qualified(&object.table),
            kind: object.kind_name(),
            constraint: object.constraint().map(str::to_string),
        }
    }
}

/// What one index buys one scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReadAblation {
    pub index: Object,
    pub scenario: String,
    pub with: Side,
    pub without: Side,
    /// p50 without / with.
    pub gain_p50: f64,
    /// p95 without / with, with its interval.
    pub gain_p95: Ratio,
    /// Buffers without / with.
    pub gain_buffers: f64,
    pub below_noise: bool,
    /// The plan with the index, summarised as the fallback is.
    pub plan_with: String,
    /// The plan without it: node types down to the access to the index's table.
    pub fallback_plan: String,
}

/// What one index or foreign key costs one write scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WriteAblation {
    pub object: Object,
    pub scenario: String,
    pub with: Side,
    pub without: Side,
    /// p50 with / without, with its interval.
    pub cost: Ratio,
    /// p50 with − p50 without: microseconds per write the object costs.
    pub cost_us_per_write: i64,
    pub below_noise: bool,
}

/// A scenario or pair that was not measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unmeasured {
    pub scenario: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// "skipped" (cannot run here) or "failed" (a statement or the DROP failed).
    pub status: &'static str,
    pub reason: String,
}

/// p50, p95 and buffers of one side.
fn side(histogram: &Histogram<u64>, buffers: u64) -> Side {
    let summary = crate::bench::histogram::summarize(histogram);
    Side {
        p50_us: summary.p50,
        p95_us: summary.p95,
        buffers,
    }
}

/// Paired per-batch percentiles (`quantile` 0.5 or 0.95).
fn batch_latencies(measurement: &Measurement, quantile: f64) -> Vec<BatchLatency> {
    measurement
        .batches
        .iter()
        .map(|(with, without)| BatchLatency {
            with_us: with.value_at_quantile(quantile),
            without_us: without.value_at_quantile(quantile),
        })
        .collect()
}

/// The read row of `object` for `scenario`.
pub fn read_row(object: &Ablatable, scenario: &str, measurement: &Measurement) -> ReadAblation {
    let with = side(
        &measurement.with,
        gain::total_buffers(&measurement.plans_with),
    );
    let without = side(
        &measurement.without,
        gain::total_buffers(&measurement.plans_without),
    );
    let gain_p95 = gain::speed_up(
        with.p95_us,
        without.p95_us,
        &batch_latencies(measurement, 0.95),
    );
    let table = qualified(&object.table);
    ReadAblation {
        index: Object::of(object),
        scenario: scenario.to_string(),
        gain_p50: gain::ratio(without.p50_us, with.p50_us),
        gain_buffers: gain::ratio(without.buffers, with.buffers),
        below_noise: gain_p95.is_noise(),
        gain_p95,
        plan_with: gain::fallback_summary(&measurement.plans_with, &table),
        fallback_plan: gain::fallback_summary(&measurement.plans_without, &table),
        with,
        without,
    }
}

/// The write row of `object` for the write scenario `scenario`.
pub fn write_row(object: &Ablatable, scenario: &str, measurement: &Measurement) -> WriteAblation {
    let with = side(
        &measurement.with,
        gain::total_buffers(&measurement.plans_with),
    );
    let without = side(
        &measurement.without,
        gain::total_buffers(&measurement.plans_without),
    );
    let cost = gain::write_cost(
        with.p50_us,
        without.p50_us,
        &batch_latencies(measurement, 0.5),
    );
    WriteAblation {
        object: Object::of(object),
        scenario: scenario.to_string(),
        cost_us_per_write: with.p50_us as i64 - without.p50_us as i64,
        below_noise: cost.is_noise(),
        cost,
        with,
        without,
    }
}

/// The candidates to drop among the read rows.
pub fn candidates(reads: &[ReadAblation]) -> Vec<String> {
    let gains: Vec<IndexGain> = reads
        .iter()
        .map(|row| IndexGain {
            index: &row.index.name,
            enforces_constraint: row.index.constraint.is_some(),
            gain: row.gain_p95,
        })
        .collect();
    gain::candidates_to_drop(&gains)
}
