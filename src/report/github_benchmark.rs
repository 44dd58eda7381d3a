//! `--github-benchmark FILE`: the run as github-action-benchmark's custom JSON for
//! `tool: 'customSmallerIsBetter'`: an array of `{name, unit, value, range, extra}`. One
//! entry per measured scenario and percentile (`"session_by_id p95"`, unit `us`), plus
//! one for its buffers per execution (unit `buffers`); throughput is left out, being
//! bigger-is-better. `range` is `± half the 95% interval`, `extra` the interval itself,
//! how it was found, the status and the iteration count (the dashboard's tooltip). Must
//! not decide anything: it carries what the run measured.

use serde::Serialize;

use super::Reporter;
use super::export::{ScenarioExport, scenarios};
use super::units::format_latency_us;
use crate::Error;
use crate::results::RunReport;
use crate::stats::interval::{Basis, ValueInterval};

/// One benchmark entry, as github-action-benchmark reads it.
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Entry {
    name: String,
    unit: &'static str,
    value: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    range: Option<String>,
    extra: String,
}

/// Writes the JSON array.
#[derive(Debug, Clone, Copy, Default)]
pub struct GithubBenchmarkReporter;

impl Reporter for GithubBenchmarkReporter {
    fn render(&self, report: &RunReport) -> crate::Result<Vec<u8>> {
        let entries: Vec<Entry> = scenarios(report).iter().flat_map(entries).collect();
        let mut bytes = serde_json::to_vec_pretty(&entries).map_err(|error| {
            Error::environment(format!(
                "could not encode the results for github-action-benchmark: {error}"
            ))
        })?;
        bytes.push(b'\n');
        Ok(bytes)
    }
}

fn entries(scenario: &ScenarioExport) -> Vec<Entry> {
    let about = format!(
        "status: {}\niterations: {}",
        scenario.status.as_str(),
        scenario.iterations
    );
    let mut entries: Vec<Entry> = scenario
        .percentiles
        .iter()
        .map(|percentile| {
            let estimate = percentile.latency_us;
            Entry {
                name: format!("{} {}", scenario.name, percentile.name),
                unit: "us",
                value: estimate.value,
                range: estimate.interval.map(|i| half_width_text(&i)),
                extra: match estimate.interval {
                    Some(interval) => format!("{}\n{about}", interval_text(&interval)),
                    None => about.clone(),
                },
            }
        })
        .collect();
    if let Some(buffers) = scenario.buffers {
        entries.push(Entry {
            name: format!("{} buffers", scenario.name),
            unit: "buffers",
            value: buffers as f64,
            range: None,
            extra: format!("shared buffers (hit + read) per execution\n{about}"),
        });
    }
    entries
}

/// `± 12.5`: half the interval's width, in the value's unit.
fn half_width_text(interval: &ValueInterval) -> String {
    let half = (interval.high - interval.low) / 2.0;
    format!("± {}", (half * 10.0).round() / 10.0)
}

/// The interval in words, e.g. `95% interval 840µs to 910µs (over 8 windows)`.
fn interval_text(interval: &ValueInterval) -> String {
    let basis = match interval.basis {
        Basis::Windows => "over the measurement windows",
        Basis::Ranks => "from the histogram's ranks",
    };
    format!(
        "95% interval {} to {} ({basis})",
        format_latency_us(interval.low),
        format_latency_us(interval.high)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::export::tests::measured;

    #[test]
    fn each_percentile_and_the_buffers_are_an_entry_with_range_and_tooltip() {
        let mut report = RunReport::default();
        report.scenarios.push(measured("session_by_id"));
        let bytes = GithubBenchmarkReporter.render(&report).unwrap();
        let entries: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let names: Vec<&str> = entries
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "session_by_id p50",
                "session_by_id p95",
                "session_by_id p99",
                "session_by_id buffers"
            ]
        );
        let p95 = &entries[1];
        assert_eq!(
            (p95["unit"].as_str(), p95["value"].as_f64()),
            (Some("us"), Some(950.0))
        );
        assert!(p95["range"].as_str().unwrap().starts_with("± "), "{p95}");
        assert!(
            p95["extra"].as_str().unwrap().contains("95% interval"),
            "{p95}"
        );
        assert!(entries[3].get("range").is_none());
    }
}
