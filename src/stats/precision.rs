//! How precisely a scenario's p50 is known from its measurement windows, and when a
//! budgeted scenario has measured enough. Each window ran on its own connections at its
//! own time, so the windows are the independent units: the p50 estimate is the mean of
//! the windows' log medians, its interval Student's t over the windows (the model of
//! `stats::paired`). Pure.

use super::histogram::Recorded;
use super::paired::log_ratio_estimate;

/// A budgeted scenario stops measuring windows once the 95% interval of its p50 is within
/// this fraction either side.
pub const TARGET: f64 = 0.05;
/// Fewest windows before a budgeted scenario may stop: fewer give too wide a t-interval
/// to trust, and a backend's speed must be sampled more than twice.
pub const MIN_WINDOWS: usize = 3;
/// Confidence of the precision's interval.
const CONFIDENCE: f64 = 0.95;

/// The relative half-width of the p50's 95% interval over `windows` (0.05 = ±5%);
/// `None` with fewer than two windows that recorded anything.
pub fn p50_precision(windows: &[Recorded]) -> Option<f64> {
    quantile_precision(windows, 0.5)
}

/// The same for any percentile `quantile` (0..=1) of the windows.
pub fn quantile_precision(windows: &[Recorded], quantile: f64) -> Option<f64> {
    let values: Vec<f64> = windows
        .iter()
        .filter(|w| w.count() > 0)
        .map(|w| w.value_at(quantile))
        .collect();
    relative_precision(&values)
}

/// The relative half-width of the 95% interval of the geometric mean of `values` (one per
/// window), Student's t over them; `None` with fewer than two.
pub fn relative_precision(values: &[f64]) -> Option<f64> {
    let logs: Vec<f64> = values.iter().map(|v| v.max(1.0).ln()).collect();
    let interval = log_ratio_estimate(&logs, CONFIDENCE)?.interval?;
    Some((interval.high / interval.low).sqrt() - 1.0)
}

/// True when a budgeted scenario has measured enough windows: at least `MIN_WINDOWS`, and
/// its p50 within `TARGET`.
pub fn precise_enough(windows: &[Recorded]) -> bool {
    windows.len() >= MIN_WINDOWS && p50_precision(windows).is_some_and(|p| p <= TARGET)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::histogram::new_latency_histogram;

    fn window(median_us: u64) -> Recorded {
        let mut h = new_latency_histogram();
        for v in [median_us / 2, median_us, median_us * 3] {
            h.record(v).unwrap();
        }
        Recorded::of(&h)
    }

    #[test]
    fn agreeing_windows_are_precise_and_scattered_ones_are_not() {
        let steady: Vec<Recorded> = [1000, 1010, 990, 1005].map(window).to_vec();
        let p = p50_precision(&steady).unwrap();
        assert!(p < 0.02, "{p}");
        assert!(precise_enough(&steady));
        let scattered: Vec<Recorded> = [1000, 2000, 700, 1500].map(window).to_vec();
        assert!(p50_precision(&scattered).unwrap() > 0.3);
        assert!(!precise_enough(&scattered));
    }

    #[test]
    fn too_few_windows_are_never_enough() {
        assert_eq!(p50_precision(&[window(1000)]), None);
        let two: Vec<Recorded> = [1000, 1000].map(window).to_vec();
        assert!(p50_precision(&two).is_some());
        assert!(!precise_enough(&two), "at least MIN_WINDOWS");
    }
}
