//! Scales and ticks of the chart kit: linear, log10 and the log percentile scale
//! (x = log10(1 / (1 − p)), so 50 %, 90 %, 99 %, 99.9 % are evenly spread), the nice
//! 1-2-5 bounds of a log axis, whole decades, and round steps of a linear axis. Pure.

use crate::report::spectrum::percentile_x;

/// How data values map to a share (0 to 1) of an axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scale {
    /// `low` to `high`, evenly.
    Linear { low: f64, high: f64 },
    /// Positive values, `low` to `high` on a log scale (values under 1 count as 1).
    Log10 { low: f64, high: f64 },
    /// Percentiles (0 to 100) on the log percentile scale, from 0 % to `x_max`
    /// (in log10 units: 2 is 99 %, 3 is 99.9 %).
    Percentile { x_max: f64 },
}

impl Scale {
    /// Where `value` falls, 0 at the start of the axis and 1 at its end, clamped.
    pub fn share(&self, value: f64) -> f64 {
        let share = match *self {
            Scale::Linear { low, high } => (value - low) / nonzero(high - low),
            Scale::Log10 { low, high } => {
                let (lo, hi) = (low.max(1.0).log10(), high.max(1.0).log10());
                (value.max(1.0).log10() - lo) / nonzero(hi - lo)
            }
            Scale::Percentile { x_max } => percentile_x(value) / nonzero(x_max),
        };
        share.clamp(0.0, 1.0)
    }

    /// A log axis fitting `values` and `limits` (all ≥ 1): from the nice 1-2-5 value at or
    /// below the smallest to the one at or above 1.5 × the largest, so a line at the top
    /// value never sits on the frame.
    pub fn log_fit(values: impl Iterator<Item = f64>) -> Scale {
        let (low, high) = values
            .map(|v| v.max(1.0))
            .fold((f64::MAX, 1.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
        let low = nice_floor(low.min(high));
        Scale::Log10 {
            low,
            high: nice_ceil(high * 1.5).max(nice_ceil(low * 1.01)),
        }
    }

    /// A log axis of whole decades covering the positive `values` (at least one decade).
    pub fn log_decades(values: impl Iterator<Item = f64>) -> Scale {
        let (low, high) = values
            .filter(|v| *v > 0.0 && v.is_finite())
            .map(f64::log10)
            .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
        let (low, high) = if low > high {
            (0.0, 1.0)
        } else {
            let (low, high) = (low.floor(), high.ceil());
            (low, if high > low { high } else { low + 1.0 })
        };
        Scale::Log10 {
            low: 10f64.powf(low),
            high: 10f64.powf(high),
        }
    }
}

fn nonzero(span: f64) -> f64 {
    if span.abs() < f64::EPSILON { 1.0 } else { span }
}

/// The largest 1, 2 or 5 × 10^k at or below `value` (≥ 1).
pub fn nice_floor(value: f64) -> f64 {
    let decade = 10f64.powf(value.max(1.0).log10().floor());
    let step = [5.0, 2.0, 1.0]
        .into_iter()
        .find(|s| s * decade <= value * (1.0 + 1e-9));
    step.unwrap_or(1.0) * decade
}

/// The smallest 1, 2 or 5 × 10^k at or above `value` (≥ 1).
pub fn nice_ceil(value: f64) -> f64 {
    let decade = 10f64.powf(value.max(1.0).log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .find(|s| s * decade >= value * (1.0 - 1e-9));
    step.unwrap_or(10.0) * decade
}

/// Grid values of a log axis from `low` to `high`: 1, 2 and 5 × 10^k within it, or only
/// the powers of ten when that would be more than eight lines.
pub fn log_ticks(low: f64, high: f64) -> Vec<f64> {
    let first = low.max(1.0).log10().floor() as i32;
    let last = high.max(1.0).log10().ceil() as i32;
    let within = |v: &f64| *v >= low * (1.0 - 1e-9) && *v <= high * (1.0 + 1e-9);
    let all: Vec<f64> = (first..=last)
        .flat_map(|k| [1.0, 2.0, 5.0].map(|s| s * 10f64.powi(k)))
        .filter(within)
        .collect();
    if all.len() <= 8 {
        return all;
    }
    (first..=last)
        .map(|k| 10f64.powi(k))
        .filter(within)
        .collect()
}

/// Round values (multiples of 1, 2 or 5 × 10^k) from `low` to `high`, at most `most` of them.
pub fn linear_ticks(low: f64, high: f64, most: usize) -> Vec<f64> {
    let span = (high - low).max(1e-9);
    let raw = span / most.max(1) as f64;
    let decade = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|s| s * decade)
        .find(|s| span / s <= most as f64)
        .unwrap_or(10.0 * decade);
    let first = (low / step).ceil() as i64;
    let last = (high / step + 1e-9).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_bounds_are_one_two_or_five_times_a_power_of_ten() {
        assert_eq!(nice_floor(230.0), 200.0);
        assert_eq!(nice_floor(1_000.0), 1_000.0);
        assert_eq!(nice_floor(0.3), 1.0);
        assert_eq!(nice_ceil(230.0), 500.0);
        assert_eq!(nice_ceil(600.0), 1_000.0);
        assert_eq!(nice_ceil(5_000.0), 5_000.0);
    }

    #[test]
    fn a_log_fit_leaves_headroom_and_ticks_follow_one_two_five() {
        let scale = Scale::log_fit([150.0, 900.0, 5_000.0].into_iter());
        assert_eq!(
            scale,
            Scale::Log10 {
                low: 100.0,
                high: 10_000.0
            }
        );
        assert_eq!(
            log_ticks(100.0, 10_000.0),
            [100.0, 200.0, 500.0, 1_000.0, 2_000.0, 5_000.0, 10_000.0]
        );
        assert_eq!(log_ticks(1.0, 1_000_000.0).len(), 7);
        let flat = Scale::log_fit([1_000.0, 1_000.0].into_iter());
        assert!(matches!(flat, Scale::Log10 { low, high } if high > low));
    }

    #[test]
    fn decades_cover_the_values_and_are_never_empty() {
        let decades = |values: &[f64]| Scale::log_decades(values.iter().copied());
        let log = |low: f64, high: f64| Scale::Log10 { low, high };
        assert_eq!(decades(&[100.0, 100_000.0]), log(100.0, 100_000.0));
        assert_eq!(decades(&[150.0, 900.0]), log(100.0, 1_000.0));
        assert_eq!(decades(&[100.0]), log(100.0, 1_000.0));
        assert_eq!(decades(&[]), log(1.0, 10.0));
        assert!((log(100.0, 100_000.0).share(1_000.0) - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn the_percentile_scale_spreads_the_usual_percentiles_evenly() {
        let scale = Scale::Percentile { x_max: 3.0 };
        assert!((scale.share(90.0) - 1.0 / 3.0).abs() < 1e-9);
        assert!((scale.share(99.0) - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(scale.share(100.0), 1.0);
        assert_eq!(scale.share(0.0), 0.0);
    }

    #[test]
    fn linear_ticks_are_round_and_few() {
        assert_eq!(
            linear_ticks(1.0, 10.0, 10),
            (1..=10).map(f64::from).collect::<Vec<_>>()
        );
        assert_eq!(
            linear_ticks(1.0, 300.0, 8),
            [50.0, 100.0, 150.0, 200.0, 250.0, 300.0]
        );
        assert_eq!(linear_ticks(0.0, 1.0, 5).len(), 6);
    }
}
