//! `--bmf FILE`: the run in Bencher Metric Format (BMF) JSON, for `bencher run --adapter
//! json --file FILE`. One benchmark per measured scenario (its name), with the measures
//! `latency` (p50), `latency-p95` and `latency-p99` in nanoseconds (Bencher's built-in
//! Latency measure is in nanoseconds), `throughput` in iterations per second, and
//! `buffers` (shared buffers per execution). Each value carries `lower_value` and
//! `upper_value` from its 95% interval when there is one (`report::export`). Must not
//! decide anything: it carries what the run measured.

use serde_json::{Map, Value, json};

use super::Reporter;
use super::export::{Estimate, ScenarioExport, scenarios};
use crate::Error;
use crate::results::RunReport;

/// Nanoseconds per microsecond.
const NS_PER_US: f64 = 1_000.0;

/// Writes the BMF JSON object.
#[derive(Debug, Clone, Copy, Default)]
pub struct BmfReporter;

impl Reporter for BmfReporter {
    fn render(&self, report: &RunReport) -> crate::Result<Vec<u8>> {
        let benchmarks: Map<String, Value> = scenarios(report)
            .iter()
            .map(|scenario| (scenario.name.clone(), measures(scenario)))
            .collect();
        let mut bytes = serde_json::to_vec_pretty(&Value::Object(benchmarks)).map_err(|error| {
            Error::environment(format!("could not encode the results as BMF JSON: {error}"))
        })?;
        bytes.push(b'\n');
        Ok(bytes)
    }
}

/// The measures of one benchmark.
fn measures(scenario: &ScenarioExport) -> Value {
    let mut measures = Map::new();
    for percentile in &scenario.percentiles {
        let slug = match percentile.name {
            "p50" => "latency".to_string(),
            other => format!("latency-{other}"),
        };
        measures.insert(slug, metric(&percentile.latency_us, NS_PER_US));
    }
    measures.insert("throughput".into(), metric(&scenario.throughput, 1.0));
    if let Some(buffers) = scenario.buffers {
        measures.insert("buffers".into(), json!({ "value": buffers as f64 }));
    }
    Value::Object(measures)
}

/// A metric: `value`, and `lower_value` / `upper_value` when the interval is known.
fn metric(estimate: &Estimate, scale: f64) -> Value {
    let mut metric = Map::new();
    metric.insert("value".into(), json!(estimate.value * scale));
    if let Some(interval) = estimate.interval {
        metric.insert("lower_value".into(), json!(interval.low * scale));
        metric.insert("upper_value".into(), json!(interval.high * scale));
    }
    Value::Object(metric)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::export::tests::measured;

    #[test]
    fn each_scenario_is_a_benchmark_with_latency_in_nanoseconds_and_its_interval() {
        let mut report = RunReport::default();
        report.scenarios.push(measured("session_by_id"));
        let bytes = BmfReporter.render(&report).unwrap();
        let bmf: Value = serde_json::from_slice(&bytes).unwrap();
        let benchmark = &bmf["session_by_id"];
        assert_eq!(benchmark["latency"]["value"], 500_000.0);
        assert_eq!(benchmark["latency-p95"]["value"], 950_000.0);
        assert_eq!(benchmark["latency-p99"]["value"], 990_000.0);
        for slug in ["latency", "latency-p95", "latency-p99", "throughput"] {
            let metric = &benchmark[slug];
            let (low, value, high) = (
                metric["lower_value"].as_f64().unwrap(),
                metric["value"].as_f64().unwrap(),
                metric["upper_value"].as_f64().unwrap(),
            );
            assert!(low <= value && value <= high, "{slug}: {metric}");
        }
        assert_eq!(benchmark["buffers"], json!({ "value": 120.0 }));
        assert_eq!(benchmark.as_object().unwrap().len(), 5);
    }
}
