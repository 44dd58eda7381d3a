//! Statistics for comparing runs: decoding saved latency histograms, a seeded bootstrap of
//! the change of a percentile between two runs, and the spread of a percentile over a
//! history of runs. Pure: no I/O, no printing, no decisions (`verdict::regression`
//! decides what counts as a regression).

pub mod bootstrap;
pub mod histogram;
pub mod history;

/// A two-sided 95% interval of a change, in the unit of the change (microseconds).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}
