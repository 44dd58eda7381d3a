//! Change points of a series of runs (used on ln p50): binary segmentation under a
//! normal mean-shift model, on the series smoothed by a running median of three (so one
//! slow run is never a change). The noise σ is estimated robustly from the raw series'
//! successive differences (1.4826 × their median absolute deviation / √2, so a step does
//! not inflate it); a segment is split where the split lowers the sum of squared deviations the most,
//! when that drop exceeds the penalty 3·σ²·ln n (the modified BIC) and the medians of the
//! two sides differ by at least [`MIN_CHANGE`]; both halves are then searched again.
//! Segments keep at least [`MIN_SEGMENT`] runs. Pure.

use crate::stats::history::median;

/// Fewest runs on each side of a change.
pub const MIN_SEGMENT: usize = 3;
/// Smallest change reported, as a ratio of the segment means on the original scale
/// (0.05 = 5 %): smaller shifts are real but not worth a line.
pub const MIN_CHANGE: f64 = 0.05;
/// The penalty's factor: a split must explain more than `PENALTY × σ² × ln n`.
pub const PENALTY: f64 = 3.0;
/// The smallest σ assumed (ln units: 0.5 %), so a perfectly flat series still has a scale.
const MIN_SIGMA: f64 = 0.005;

/// The method in words, for the page and the summary.
pub const METHOD: &str = "binary segmentation of ln p50 (smoothed by a running median of 3 \
runs) under a normal mean-shift model: noise σ from the median absolute deviation of \
successive differences, a split kept when it lowers the sum of squares by more than \
3·σ²·ln n (modified BIC) and moves the median by at least 5 %, each side at least 3 runs";

/// The indices where a new segment starts, ascending.
pub fn change_points(series: &[f64]) -> Vec<usize> {
    let n = series.len();
    if n < 2 * MIN_SEGMENT {
        return Vec::new();
    }
    let smooth = running_median(series);
    let sums = PrefixSums::of(&smooth);
    // The raw series' noise: larger than the smoothed series', whose values are correlated.
    let sigma = noise(series).max(MIN_SIGMA);
    let penalty = PENALTY * sigma * sigma * (n as f64).ln();
    let mut found = Vec::new();
    let mut pending = vec![(0, n)];
    while let Some((start, end)) = pending.pop() {
        if let Some(split) = best_split(&sums, start, end, penalty)
            .filter(|&split| shifts(&smooth[start..split], &smooth[split..end]))
        {
            found.push(split);
            pending.push((start, split));
            pending.push((split, end));
        }
    }
    found.sort_unstable();
    found
}

/// Each value replaced by the median of itself and its neighbours (the ends kept).
fn running_median(series: &[f64]) -> Vec<f64> {
    let mut smooth = series.to_vec();
    for (index, window) in series.windows(3).enumerate() {
        smooth[index + 1] = median(window);
    }
    smooth
}

/// True when the medians of two sides differ by at least [`MIN_CHANGE`].
fn shifts(before: &[f64], after: &[f64]) -> bool {
    (median(after) - median(before)).abs() >= (1.0 + MIN_CHANGE).ln()
}

/// The robust noise of a series: 1.4826 × MAD of the successive differences / √2.
fn noise(series: &[f64]) -> f64 {
    let differences: Vec<f64> = series.windows(2).map(|w| w[1] - w[0]).collect();
    let center = median(&differences);
    let deviations: Vec<f64> = differences.iter().map(|d| (d - center).abs()).collect();
    1.4826 * median(&deviations) / std::f64::consts::SQRT_2
}

/// The split of `[start, end)` that lowers the sum of squares most, when it is worth a
/// change point.
fn best_split(sums: &PrefixSums, start: usize, end: usize, penalty: f64) -> Option<usize> {
    if end - start < 2 * MIN_SEGMENT {
        return None;
    }
    let whole = sums.cost(start, end);
    let (split, gain) = (start + MIN_SEGMENT..=end - MIN_SEGMENT)
        .map(|k| (k, whole - sums.cost(start, k) - sums.cost(k, end)))
        .max_by(|a, b| a.1.total_cmp(&b.1))?;
    (gain > penalty).then_some(split)
}

/// Prefix sums of values and squares: any segment's mean and sum of squared deviations
/// in constant time.
struct PrefixSums {
    sum: Vec<f64>,
    squares: Vec<f64>,
}

impl PrefixSums {
    fn of(series: &[f64]) -> Self {
        let mut sum = vec![0.0];
        let mut squares = vec![0.0];
        for value in series {
            sum.push(sum.last().unwrap_or(&0.0) + value);
            squares.push(squares.last().unwrap_or(&0.0) + value * value);
        }
        PrefixSums { sum, squares }
    }

    /// Sum of squared deviations from the segment's mean.
    fn cost(&self, start: usize, end: usize) -> f64 {
        let count = (end - start) as f64;
        let sum = self.sum[end] - self.sum[start];
        (self.squares[end] - self.squares[start] - sum * sum / count).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::ChaCha8Rng;
    use rand::{RngExt, SeedableRng};
    use rand_distr::{Distribution, Normal};

    /// ln of `n` latencies around `level`, with `noise` relative scatter, from `seed`.
    fn noisy(levels: &[(usize, f64)], noise: f64, seed: u64) -> Vec<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let normal = Normal::new(0.0, noise).unwrap();
        levels
            .iter()
            .flat_map(|&(n, level)| vec![level; n])
            .map(|level: f64| level.ln() + normal.sample(&mut rng))
            .collect()
    }

    #[test]
    fn an_injected_step_is_found_where_it_was_injected() {
        let series = noisy(&[(200, 1_000.0), (100, 1_400.0)], 0.05, 7);
        let found = change_points(&series);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!((198..=202).contains(&found[0]), "{found:?}");
    }

    #[test]
    fn two_steps_are_both_found() {
        let series = noisy(&[(30, 500.0), (30, 800.0), (30, 600.0)], 0.03, 3);
        let found = change_points(&series);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!((29..=31).contains(&found[0]) && (59..=61).contains(&found[1]));
    }

    #[test]
    fn noise_alone_and_flat_series_have_no_change_point() {
        for seed in 0..20 {
            let series = noisy(&[(300, 1_000.0)], 0.08, seed);
            assert_eq!(change_points(&series), Vec::<usize>::new(), "seed {seed}");
        }
        assert!(change_points(&[5.0; 50]).is_empty());
    }

    #[test]
    fn one_slow_run_a_short_series_or_a_tiny_shift_is_not_a_change() {
        let mut series = noisy(&[(40, 1_000.0)], 0.02, 1);
        series[20] += 2.0;
        assert!(
            change_points(&series).is_empty(),
            "an outlier is not a segment"
        );
        assert!(change_points(&[1.0, 1.0, 9.0, 9.0, 9.0]).is_empty());
        let tiny = noisy(&[(50, 1_000.0), (50, 1_030.0)], 0.001, 2);
        assert!(change_points(&tiny).is_empty(), "3% is below MIN_CHANGE");
    }

    #[test]
    fn a_clean_step_in_a_flat_series_is_found() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let series: Vec<f64> = (0..40)
            .map(|i| if i < 25 { 0.0 } else { 0.5 } + rng.random_range(-0.001..0.001))
            .collect();
        assert_eq!(change_points(&series), [25]);
    }
}
