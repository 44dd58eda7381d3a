//! Renders a `RunReport` as bytes, one file per format (table, json, junit, markdown,
//! html), compares with a baseline and writes files atomically. Must not measure or
//! decide verdicts: it shows what `bench`, `verdict` and `explain` put in the report.

pub mod baseline;
pub mod cells;
mod html;
mod html_chart;
mod json;
mod junit;
mod markdown;
pub mod rows;
pub mod table;
pub mod units;
pub mod write;

pub use baseline::{Comparison, Delta, ScenarioDelta, compare, load_baseline, save_baseline};
pub use html::HtmlReporter;
pub use json::JsonReporter;
pub use junit::JunitReporter;
pub use markdown::MarkdownReporter;
pub use table::render_table;
pub use write::{ResultSink, write_atomic};

use crate::results::RunReport;

/// One output format (hyperfine's exporter model): turns a run's results into the bytes
/// of one file. Implementations are pure; writing is `write::write_atomic`'s job.
pub trait Reporter {
    /// The whole file for `report`.
    fn render(&self, report: &RunReport) -> crate::Result<Vec<u8>>;
}
