//! The HTML page's percentile-spectrum charts on reports with real histograms: one chart
//! per measured scenario, the baseline's curve when the reporter has the baseline, the
//! threshold line, and nothing loaded from the network.

use crate::report_fixtures;

use std::sync::Arc;

use report_fixtures::*;
use techspec_bench::bench::encode_histogram;
use techspec_bench::bench::histogram::new_latency_histogram;
use techspec_bench::report::{HtmlReporter, Reporter, compare};
use techspec_bench::results::RunReport;

/// `result` with a real histogram of `count` values spread from `low` to `high` µs.
fn with_histogram(
    mut result: techspec_bench::results::ScenarioResult,
    low: u64,
    high: u64,
) -> techspec_bench::results::ScenarioResult {
    let mut histogram = new_latency_histogram();
    for index in 0..2_000u64 {
        let value = low + (high - low) * index * index / (2_000 * 2_000);
        histogram.record(value.max(1)).unwrap();
    }
    result.iterations = histogram.len();
    result.latency_us = Some(techspec_bench::bench::summarize(&histogram));
    result.histogram = Some(encode_histogram(&histogram));
    result
}

fn html(reporter: &HtmlReporter, report: &RunReport) -> String {
    String::from_utf8(reporter.render(report).unwrap()).unwrap()
}

fn measured_report() -> RunReport {
    report_of(vec![
        with_histogram(passing(), 300, 2_000),
        with_histogram(failing(), 4_000, 30_000),
        skipped(),
    ])
}

#[test]
fn one_chart_per_measured_scenario_with_its_threshold() {
    let page = html(&HtmlReporter::default(), &measured_report());
    assert_eq!(
        page.matches("<figure class=\"chart\">").count(),
        2,
        "{page}"
    );
    assert!(page.contains("<h2>Percentile spectrum</h2>"));
    assert!(page.contains(">p95 &lt; 5ms</text>"), "{page}");
    assert!(page.contains(">99.9%</text>"), "{page}");
    assert!(!page.contains("no histogram stored"));
    assert!(!page.contains(">baseline</text>"));
    assert!(!page.contains("<script"));
    assert!(!page.contains("src=\"http") && !page.contains("href=\"http"));
}

#[test]
fn a_baseline_adds_its_curve_to_every_scenario_it_measured() {
    let report = measured_report();
    let mut then = report.clone();
    then.scenarios[0] = with_histogram(passing(), 200, 900);
    let reporter = HtmlReporter {
        baseline: Some(compare(&report, &then)),
        baseline_report: Some(Arc::new(then)),
    };
    let page = html(&reporter, &report);
    assert_eq!(page.matches("<polyline").count(), 4, "{page}");
    assert!(page.contains(">baseline</text>"));
    assert!(page.contains("grey: the baseline"));
}
