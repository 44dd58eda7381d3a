//! Statistics for comparing runs: decoding saved latency histograms, a seeded bootstrap of
//! the change of a percentile between two runs, the spread of a percentile over a history
//! of runs, and the confidence each comparison needs so that a whole run's comparisons
//! hold together. Pure: no I/O, no printing, no decisions (`verdict::regression` decides
//! what counts as a regression).

use statrs::distribution::{ContinuousCDF, Normal};

pub mod bootstrap;
pub mod histogram;
pub mod history;
pub mod interval;
pub mod paired;
pub mod precision;

/// The confidence of the intervals when nothing says otherwise.
pub const DEFAULT_CONFIDENCE: f64 = 0.95;

/// The confidence each of `comparisons` intervals needs so that, all together, they hold
/// with `overall` confidence (Bonferroni): a run of 37 scenarios × 3 percentiles at 95%
/// overall uses 99.955% intervals, so 19 runs in 20 of an unchanged build flag nothing.
pub fn per_comparison(overall: f64, comparisons: usize) -> f64 {
    1.0 - (1.0 - overall) / comparisons.max(1) as f64
}

/// `center ± z · spread`, z the two-sided standard normal quantile of `confidence`.
pub fn normal_interval(center: f64, spread: f64, confidence: f64) -> Interval {
    let half_width = two_sided_quantile(confidence) * spread;
    Interval {
        low: center - half_width,
        high: center + half_width,
    }
}

/// The standard normal quantile leaving `(1 − confidence) / 2` above it.
pub fn two_sided_quantile(confidence: f64) -> f64 {
    let upper = 1.0 - (1.0 - confidence.clamp(0.5, 1.0 - 1e-12)) / 2.0;
    Normal::standard().inverse_cdf(upper)
}

/// A two-sided interval of a change, in the unit of the change (microseconds).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_confidence_per_comparison_shares_out_the_overall_risk() {
        assert!((per_comparison(0.95, 1) - 0.95).abs() < 1e-12);
        assert!((per_comparison(0.95, 100) - 0.9995).abs() < 1e-12);
        assert!((per_comparison(0.95, 0) - 0.95).abs() < 1e-12);
    }

    #[test]
    fn normal_intervals_use_the_two_sided_quantile() {
        assert!((two_sided_quantile(0.95) - 1.959_964).abs() < 1e-5);
        assert!((two_sided_quantile(0.999_55) - 3.508_88).abs() < 1e-4);
        let interval = normal_interval(10.0, 2.0, 0.95);
        assert!((interval.low - 6.08).abs() < 1e-2 && (interval.high - 13.92).abs() < 1e-2);
    }
}
