//! What the dashboard exports (`--bmf`, `--github-benchmark`) carry, taken from a run
//! once for both: per measured scenario its p50, p95 and p99 with their 95% intervals
//! (`stats::interval`: over the measurement windows, else from the histogram's ranks), its
//! throughput with an interval (closed loops with windows only: with a `rate` the
//! throughput is the rate asked for), and its buffers per execution (a count from
//! EXPLAIN, exact, so without an interval). Scenarios that measured nothing (skipped,
//! errored before running) and the machine reference probes are left out. Pure.

use crate::results::{RunReport, ScenarioResult, Status};
use crate::saved::Decoded;
use crate::stats::interval::{ValueInterval, percentile_interval, throughput_interval};

/// A value and, when known, its interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub value: f64,
    pub interval: Option<ValueInterval>,
}

/// One percentile of a scenario's latency.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PercentileEstimate {
    /// "p50", "p95" or "p99".
    pub name: &'static str,
    /// Microseconds.
    pub latency_us: Estimate,
}

/// What the exports say about one scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioExport {
    pub name: String,
    pub status: Status,
    pub iterations: u64,
    pub percentiles: [PercentileEstimate; 3],
    /// Successful iterations per second.
    pub throughput: Estimate,
    pub buffers: Option<u64>,
}

/// The percentiles the exports carry, with their quantiles.
const PERCENTILES: [(&str, f64); 3] = [("p50", 0.5), ("p95", 0.95), ("p99", 0.99)];

/// Every measured scenario of `report`, in run order.
pub fn scenarios(report: &RunReport) -> Vec<ScenarioExport> {
    report.scenarios.iter().filter_map(scenario).collect()
}

fn scenario(result: &ScenarioResult) -> Option<ScenarioExport> {
    let latency = result.latency_us?;
    let decoded = Decoded::of(result);
    let values = [latency.p50, latency.p95, latency.p99];
    let percentiles = std::array::from_fn(|index| {
        let (name, quantile) = PERCENTILES[index];
        let value = values[index] as f64;
        PercentileEstimate {
            name,
            latency_us: Estimate {
                value,
                interval: percentile_interval(
                    value,
                    quantile,
                    &decoded.windows,
                    decoded.merged.as_ref(),
                ),
            },
        }
    });
    let closed_loop = result.service_time_us.is_none();
    let throughput = Estimate {
        value: result.throughput_per_s,
        interval: closed_loop
            .then(|| throughput_interval(result.throughput_per_s, &decoded.windows))
            .flatten(),
    };
    Some(ScenarioExport {
        name: result.name.clone(),
        status: result.status,
        iterations: result.iterations,
        percentiles,
        throughput,
        buffers: result.buffers,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::bench::encode_histogram;
    use crate::bench::histogram::new_latency_histogram;
    use crate::results::LatencySummary;

    /// A passing scenario with a histogram of 1..=1000 µs, four windows and 120 buffers.
    pub(crate) fn measured(name: &str) -> ScenarioResult {
        let mut result = ScenarioResult::unmeasured(name, "queries", Status::Pass, String::new());
        let mut whole = new_latency_histogram();
        let mut windows = Vec::new();
        for window in 0..4u64 {
            let mut part = new_latency_histogram();
            for value in 1..=250u64 {
                let value = value * 4 - window;
                part.record(value).unwrap();
                whole.record(value).unwrap();
            }
            windows.push(encode_histogram(&part));
        }
        result.reason = None;
        result.iterations = whole.len();
        result.throughput_per_s = 2_000.0;
        result.latency_us = Some(LatencySummary {
            p50: 500,
            p95: 950,
            p99: 990,
            ..crate::bench::summarize(&whole)
        });
        result.histogram = Some(encode_histogram(&whole));
        result.windows = windows;
        result.buffers = Some(120);
        result
    }

    #[test]
    fn a_measured_scenario_carries_three_percentiles_with_intervals_and_buffers() {
        let mut report = RunReport::default();
        report.scenarios.push(measured("q"));
        report.scenarios.push(ScenarioResult::unmeasured(
            "skipped",
            "queries",
            Status::Skip,
            "no table".into(),
        ));
        let exports = scenarios(&report);
        assert_eq!(exports.len(), 1, "the skipped scenario is left out");
        let q = &exports[0];
        let names: Vec<_> = q.percentiles.iter().map(|p| p.name).collect();
        assert_eq!(names, ["p50", "p95", "p99"]);
        for percentile in &q.percentiles {
            let interval = percentile.latency_us.interval.expect("windows give one");
            assert!(interval.low <= percentile.latency_us.value);
            assert!(interval.high >= percentile.latency_us.value);
        }
        assert!(q.throughput.interval.is_some());
        assert_eq!(q.buffers, Some(120));
    }
}
