//! The change of a percentile between two sides measured in pairs: each measurement
//! window ran both sides alternately on its own new connections, so the ratio of the two
//! sides' percentiles within a window is free of the machine's speed at that moment. The
//! estimate is the mean of the windows' log ratios; its interval is Student's t over the
//! windows (the connection draws), never over individual iterations, because a backend
//! keeps its own speed for its whole life. The same model serves an A/B run (target
//! against base), a ratio gate measured in pairs, and a machine reference. Pure.

use super::Interval;
use super::histogram::Recorded;
use super::history::t_quantile;

/// Below this many microseconds a percentile counts as this much, so a ratio stays finite.
const SMALLEST_US: f64 = 1.0;

/// What the paired windows say about `new(q) / old(q)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairedRatio {
    /// exp(mean of the windows' ln(new / old)).
    pub ratio: f64,
    /// Interval of `ratio` at the confidence asked for; `None` with fewer than two windows.
    pub interval: Option<Interval>,
    /// Windows that measured both sides.
    pub windows: usize,
    /// Standard deviation of one window's ln ratio (the noise of one connection draw).
    pub window_log_spread: Option<f64>,
}

/// Pairs window i of `new` with window i of `old` (both measured in the same window) and
/// estimates the ratio of percentile `quantile`. Windows where either side recorded
/// nothing are left out; `None` when no window has both.
pub fn paired_ratio(
    new: &[Recorded],
    old: &[Recorded],
    quantile: f64,
    confidence: f64,
) -> Option<PairedRatio> {
    let logs: Vec<f64> = new
        .iter()
        .zip(old)
        .filter(|(n, o)| n.count() > 0 && o.count() > 0)
        .map(|(n, o)| {
            let (n, o) = (n.value_at(quantile), o.value_at(quantile));
            (n.max(SMALLEST_US) / o.max(SMALLEST_US)).ln()
        })
        .collect();
    log_ratio_estimate(&logs, confidence)
}

/// The estimate from per-window log ratios: their mean, and Student's t interval over the
/// windows at `confidence`, back on the ratio scale.
pub fn log_ratio_estimate(logs: &[f64], confidence: f64) -> Option<PairedRatio> {
    let n = logs.len();
    if n == 0 {
        return None;
    }
    let mean = logs.iter().sum::<f64>() / n as f64;
    let spread = (n >= 2).then(|| {
        let variance = logs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        variance.sqrt()
    });
    let interval = spread.map(|s| {
        let half = t_quantile(confidence, n - 1) * s / (n as f64).sqrt();
        Interval {
            low: (mean - half).exp(),
            high: (mean + half).exp(),
        }
    });
    Some(PairedRatio {
        ratio: mean.exp(),
        interval,
        windows: n,
        window_log_spread: spread,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::histogram::new_latency_histogram;

    fn window(values: &[u64]) -> Recorded {
        let mut h = new_latency_histogram();
        for &v in values {
            h.record(v).unwrap();
        }
        Recorded::of(&h)
    }

    /// Eight windows whose speed swings 2× between them; `new` is `factor` × `old` in each.
    fn swinging(factor: f64) -> (Vec<Recorded>, Vec<Recorded>) {
        let speeds = [1.0, 2.0, 1.3, 1.9, 1.1, 1.6, 2.1, 1.0];
        let old: Vec<Recorded> = speeds
            .iter()
            .map(|s| {
                window(&[
                    (1000.0 * s) as u64,
                    (1100.0 * s) as u64,
                    (1200.0 * s) as u64,
                ])
            })
            .collect();
        let new = speeds
            .iter()
            .map(|s| {
                let base = 1000.0 * s * factor;
                window(&[base as u64, (base * 1.1) as u64, (base * 1.2) as u64])
            })
            .collect();
        (new, old)
    }

    #[test]
    fn a_machine_that_swings_between_windows_does_not_widen_the_paired_ratio() {
        let (new, old) = swinging(1.25);
        let found = paired_ratio(&new, &old, 0.5, 0.999).unwrap();
        assert!((found.ratio - 1.25).abs() < 0.01, "{found:?}");
        let interval = found.interval.unwrap();
        assert!(interval.low > 1.2 && interval.high < 1.3, "{interval:?}");
        assert_eq!(found.windows, 8);
    }

    #[test]
    fn noisy_windows_give_a_wide_interval_over_windows() {
        let logs = [0.1, -0.1, 0.2, -0.2, 0.0, 0.15, -0.15, 0.05];
        let found = log_ratio_estimate(&logs, 0.95).unwrap();
        let interval = found.interval.unwrap();
        assert!(interval.low < 1.0 && interval.high > 1.0, "{interval:?}");
        let tight = log_ratio_estimate(&[0.2; 8], 0.95).unwrap();
        assert!((tight.ratio - 0.2_f64.exp()).abs() < 1e-12);
        assert_eq!(tight.interval.unwrap().low, tight.interval.unwrap().high);
    }

    #[test]
    fn one_window_has_no_interval_and_empty_windows_are_left_out() {
        let found = paired_ratio(&[window(&[200])], &[window(&[100])], 0.5, 0.95).unwrap();
        assert!((found.ratio - 2.0).abs() < 0.02 && found.interval.is_none());
        let empty = window(&[]);
        assert_eq!(
            paired_ratio(std::slice::from_ref(&empty), &[window(&[1])], 0.5, 0.95),
            None
        );
        let found = paired_ratio(
            &[window(&[300]), empty, window(&[300])],
            &[window(&[100]), window(&[5]), window(&[100])],
            0.5,
            0.95,
        )
        .unwrap();
        assert_eq!(found.windows, 2);
    }
}
