//! Renders a `RunReport` as bytes, one reporter per format (table, json, junit, markdown,
//! html, and the dashboard exports bmf and github_benchmark), compares with a baseline,
//! and sends each reporter's bytes to its target (a file written atomically, or stdout).
//! Every SVG is drawn with the chart kit (`chart`). Must not measure or decide verdicts: it shows what
//! `bench`, `verdict` and `explain` put in the report.

pub mod baseline;
mod bmf;
pub mod cells;
pub mod chart;
pub mod export;
mod github_benchmark;
pub mod guide;
mod html;
mod html_chart;
mod html_spectrum;
mod json;
mod junit;
mod markdown;
pub mod regression;
pub mod rows;
pub mod scale;
mod scale_chart;
pub mod spectrum;
pub mod table;
pub mod trend;
pub mod units;
pub mod write;

pub use baseline::{
    BaselineRun, Comparison, Delta, ScenarioDelta, compare, load_baseline, load_baselines,
    save_baseline,
};
pub use bmf::BmfReporter;
pub use github_benchmark::GithubBenchmarkReporter;
pub use html::HtmlReporter;
pub use json::JsonReporter;
pub use junit::JunitReporter;
pub use markdown::MarkdownReporter;
pub use table::{SummaryReporter, TableReporter, render_table};
pub use write::{ResultSink, Target, check_writable, write_atomic};

use crate::results::RunReport;

/// One output format (hyperfine's exporter model): turns a run's results into the bytes
/// of one file. Implementations are pure; writing is `write::write_atomic`'s job.
pub trait Reporter {
    /// The whole file for `report`.
    fn render(&self, report: &RunReport) -> crate::Result<Vec<u8>>;
}

/// A reporter that shows deltas against a baseline: every render compares the report with
/// `baseline` afresh and hands the comparison (none without a baseline) to `make`, which
/// builds the reporter to use (e.g. `|baseline| MarkdownReporter { baseline }`).
#[derive(Debug, Clone)]
pub struct WithBaseline<F> {
    baseline: Option<std::sync::Arc<RunReport>>,
    make: F,
}

impl<F> WithBaseline<F> {
    /// Compares with `baseline` when there is one.
    pub fn new(baseline: Option<std::sync::Arc<RunReport>>, make: F) -> Self {
        WithBaseline { baseline, make }
    }
}

impl<F, R> Reporter for WithBaseline<F>
where
    F: Fn(Option<Comparison>) -> R,
    R: Reporter,
{
    fn render(&self, report: &RunReport) -> crate::Result<Vec<u8>> {
        // An A/B run compares with its own base side when no baseline file was given.
        let baseline = self.baseline.as_deref().or(report.against.as_deref());
        let comparison = baseline.map(|b| compare(report, b));
        (self.make)(comparison).render(report)
    }
}
