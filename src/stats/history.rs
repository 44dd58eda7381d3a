//! A new value against the same percentile over a history of runs: mean, spread between
//! runs, z-score and a prediction interval of the change at a given confidence (Student's
//! t with n − 1 degrees of freedom, widened by √(1 + 1/n) because the new run is one more
//! draw). Pure.

use statrs::distribution::{ContinuousCDF, StudentsT};

use super::Interval;

/// How a new value sits in a history of at least two earlier values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AgainstHistory {
    pub mean: f64,
    /// Sample standard deviation between runs.
    pub spread: f64,
    /// (new − mean) / spread; `None` when every run measured the same.
    pub z_score: Option<f64>,
    /// Prediction interval of `new − mean` at the confidence asked for.
    pub interval: Interval,
}

/// Compares `new` with `history` at `confidence` (0.95 for a 95% interval); `None` with
/// fewer than two earlier runs.
pub fn against_history(history: &[f64], new: f64, confidence: f64) -> Option<AgainstHistory> {
    let n = history.len();
    if n < 2 {
        return None;
    }
    let mean = history.iter().sum::<f64>() / n as f64;
    let variance = history.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let spread = variance.sqrt();
    let change = new - mean;
    let half_width = t_quantile(confidence, n - 1) * spread * (1.0 + 1.0 / n as f64).sqrt();
    Some(AgainstHistory {
        mean,
        spread,
        z_score: (spread > 0.0).then(|| change / spread),
        interval: Interval {
            low: change - half_width,
            high: change + half_width,
        },
    })
}

/// The two-sided quantile of Student's t with `degrees` degrees of freedom for
/// `confidence` (12.706 for 95% and one degree).
pub fn t_quantile(confidence: f64, degrees: usize) -> f64 {
    let upper = 1.0 - (1.0 - confidence.clamp(0.5, 1.0 - 1e-12)) / 2.0;
    StudentsT::new(0.0, 1.0, degrees.max(1) as f64).map_or(f64::INFINITY, |t| t.inverse_cdf(upper))
}

/// The median of `values` (the mean of the middle two for an even count); 0 when empty.
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_inside_the_spread_has_an_interval_across_zero() {
        let found = against_history(&[100.0, 110.0, 90.0, 105.0, 95.0], 104.0, 0.95).unwrap();
        assert_eq!(found.mean, 100.0);
        assert!((found.spread - 7.9057).abs() < 1e-3, "{found:?}");
        assert!((found.z_score.unwrap() - 0.506).abs() < 1e-3, "{found:?}");
        assert!(
            found.interval.low < 0.0 && found.interval.high > 0.0,
            "{found:?}"
        );
    }

    #[test]
    fn a_value_far_above_the_history_has_a_positive_lower_bound() {
        let found = against_history(&[100.0, 102.0, 98.0, 101.0, 99.0], 150.0, 0.95).unwrap();
        // half width = 2.776 × 1.581 × √1.2 ≈ 4.81
        assert!((found.interval.low - 45.19).abs() < 0.05, "{found:?}");
        assert!(found.z_score.unwrap() > 30.0);
    }

    #[test]
    fn a_history_of_one_run_or_identical_runs() {
        assert_eq!(against_history(&[100.0], 150.0, 0.95), None);
        let flat = against_history(&[100.0, 100.0], 120.0, 0.95).unwrap();
        assert_eq!(flat.z_score, None);
        assert_eq!(
            flat.interval,
            Interval {
                low: 20.0,
                high: 20.0
            }
        );
        assert!((t_quantile(0.95, 1) - 12.706).abs() < 1e-3);
        assert!((t_quantile(0.95, 100) - 1.984).abs() < 1e-3);
        assert!((t_quantile(0.999, 9) - 4.781).abs() < 1e-3);
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(&[]), 0.0);
    }
}
