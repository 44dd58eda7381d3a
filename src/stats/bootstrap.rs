//! How much the change of a percentile between two runs varies: the standard deviation of
//! the change over a seeded bootstrap of both runs (the caller turns it into an interval at
//! the confidence it needs).
//!
//! Resampling n recorded values with replacement and taking their k-th smallest
//! (k = ceil(q × n)) gives the value at a uniform order statistic, which follows
//! Beta(k, n + 1 − k), pushed through the recorded distribution. So each resample draws
//! that Beta variate once per run instead of n values: the same distribution as the
//! textbook bootstrap, at a cost that does not grow with the iteration count. Pure and
//! deterministic for a given seed.
//!
//! When both runs recorded measurement windows (each on its own connections), the
//! resampling is two-level: first the windows of each run, with replacement (a block
//! bootstrap, so noise shared by a window's values, such as where the scheduler put the
//! client and the server process, or a stall of the machine, counts as noise), then the
//! order statistic within the pooled windows drawn.

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Beta, Distribution};

use super::histogram::Recorded;

/// Resamples per interval: enough for stable 2.5% / 97.5% bounds.
pub const RESAMPLES: usize = 2_000;

/// The seed every comparison uses, so the same two files always give the same interval.
pub const SEED: u64 = 0x7EC5_BE7C;

/// The bootstrap standard deviation of `new(q) − old(q)` in microseconds, resampling the
/// values of each run; `None` when a run is empty.
pub fn change_spread(old: &Recorded, new: &Recorded, quantile: f64, seed: u64) -> Option<f64> {
    let old_rank = OrderStatistic::new(old.count(), quantile)?;
    let new_rank = OrderStatistic::new(new.count(), quantile)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let changes: Vec<f64> = (0..RESAMPLES)
        .map(|_| {
            let then = old.value_at(old_rank.draw(&mut rng));
            let now = new.value_at(new_rank.draw(&mut rng));
            now - then
        })
        .collect();
    Some(standard_deviation(&changes))
}

/// The same from the runs' windows, by the two-level bootstrap; `None` when a run has
/// fewer than two non-empty windows.
pub fn windowed_change_spread(
    old: &[Recorded],
    new: &[Recorded],
    quantile: f64,
    seed: u64,
) -> Option<f64> {
    let (old, new) = (Blocks::of(old)?, Blocks::of(new)?);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut changes = Vec::with_capacity(RESAMPLES);
    for _ in 0..RESAMPLES {
        let then = old.resample(quantile, &mut rng)?;
        let now = new.resample(quantile, &mut rng)?;
        changes.push(now - then);
    }
    Some(standard_deviation(&changes))
}

/// The bootstrap standard deviation of one run's percentile `q` in microseconds, from its
/// windows by the two-level bootstrap; `None` with fewer than two non-empty windows.
pub fn windowed_quantile_spread(windows: &[Recorded], quantile: f64, seed: u64) -> Option<f64> {
    let blocks = Blocks::of(windows)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let values = (0..RESAMPLES)
        .map(|_| blocks.resample(quantile, &mut rng))
        .collect::<Option<Vec<f64>>>()?;
    Some(standard_deviation(&values))
}

fn standard_deviation(values: &[f64]) -> f64 {
    let n = values.len().max(2) as f64;
    let mean = values.iter().sum::<f64>() / n;
    (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
}

/// The non-empty windows of one run, ready to be resampled: every distinct value, and
/// per window how many of its values lie at or below each.
struct Blocks {
    values: Vec<u64>,
    /// `at_or_below[w][i]`: values of window w at or below `values[i]`.
    at_or_below: Vec<Vec<u64>>,
}

impl Blocks {
    fn of(windows: &[Recorded]) -> Option<Blocks> {
        let windows: Vec<&Recorded> = windows.iter().filter(|w| w.count() > 0).collect();
        if windows.len() < 2 {
            return None;
        }
        let mut values: Vec<u64> = windows.iter().flat_map(|w| w.values()).collect();
        values.sort_unstable();
        values.dedup();
        let at_or_below = windows
            .iter()
            .map(|w| values.iter().map(|&v| w.count_at_or_below(v)).collect())
            .collect();
        Some(Blocks {
            values,
            at_or_below,
        })
    }

    /// One resample's percentile: windows drawn with replacement, then the order
    /// statistic of the pooled draw.
    fn resample(&self, quantile: f64, rng: &mut ChaCha8Rng) -> Option<f64> {
        let count = self.at_or_below.len();
        let mut weights = vec![0_u64; count];
        for _ in 0..count {
            weights[rng.random_range(0..count)] += 1;
        }
        let pooled_at = |i: usize| -> u64 {
            weights
                .iter()
                .zip(&self.at_or_below)
                .map(|(weight, below)| weight * below[i])
                .sum()
        };
        let total = pooled_at(self.values.len() - 1);
        let position = OrderStatistic::new(total, quantile)?.draw(rng);
        let rank = ((position * total as f64).ceil() as u64).clamp(1, total);
        let index = partition_point(self.values.len(), |i| pooled_at(i) < rank);
        Some(self.values[index.min(self.values.len() - 1)] as f64)
    }
}

/// The first index in `0..len` for which `below` is false (`below` must be true, then false).
fn partition_point(len: usize, below: impl Fn(usize) -> bool) -> usize {
    let (mut low, mut high) = (0, len);
    while low < high {
        let middle = low + (high - low) / 2;
        if below(middle) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    low
}

/// The distribution of the uniform k-th order statistic of n draws.
struct OrderStatistic {
    beta: Beta<f64>,
}

impl OrderStatistic {
    fn new(count: u64, quantile: f64) -> Option<Self> {
        if count == 0 {
            return None;
        }
        let n = count as f64;
        let k = (quantile * n).ceil().clamp(1.0, n);
        let beta = Beta::new(k, n + 1.0 - k).ok()?;
        Some(OrderStatistic { beta })
    }

    /// A quantile position whose recorded value is one resample's percentile.
    fn draw(&self, rng: &mut ChaCha8Rng) -> f64 {
        self.beta.sample(rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::histogram::new_latency_histogram;

    /// `count` latencies around `center` µs (uniform ±20%), from a fixed seed.
    fn run(center: f64, count: usize, seed: u64) -> Recorded {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut histogram = new_latency_histogram();
        for _ in 0..count {
            let value = center * rng.random_range(0.8..1.2);
            histogram.record(value as u64).unwrap();
        }
        Recorded::of(&histogram)
    }

    #[test]
    fn two_runs_of_the_same_distribution_vary_little() {
        let spread = change_spread(&run(1_000.0, 2_000, 1), &run(1_000.0, 2_000, 2), 0.95, SEED);
        assert!(spread.unwrap() < 15.0, "{spread:?}");
    }

    #[test]
    fn fewer_iterations_vary_more_and_the_seed_fixes_it() {
        let (old, new) = (run(1_000.0, 20, 1), run(1_000.0, 20, 2));
        let narrow =
            change_spread(&run(1_000.0, 2_000, 1), &run(1_000.0, 2_000, 2), 0.99, SEED).unwrap();
        let wide = change_spread(&old, &new, 0.99, SEED).unwrap();
        assert!(wide > 3.0 * narrow, "{wide} {narrow}");
        assert_eq!(change_spread(&old, &new, 0.99, SEED), Some(wide));
    }

    /// Eight windows, each `count` latencies around its center (window w around
    /// `centers[w % len]`).
    fn windows(centers: &[f64], count: usize, seed: u64) -> Vec<Recorded> {
        (0..8)
            .map(|w| run(centers[w % centers.len()], count, seed * 100 + w as u64))
            .collect()
    }

    /// Every value of `runs` in one.
    fn pooled(runs: &[Recorded]) -> Recorded {
        let mut h = new_latency_histogram();
        for r in runs {
            for v in r.values() {
                let at = r.count_at_or_below(v) - r.count_at_or_below(v - 1);
                h.record_n(v, at).unwrap();
            }
        }
        Recorded::of(&h)
    }

    #[test]
    fn windows_that_disagree_vary_more_than_their_values_alone() {
        // Windows ran at 50 µs or at 150 µs (two placements on the CPUs), 5 of 8 fast.
        let fast_then_slow: Vec<f64> = (0..8).map(|w| if w < 5 { 50.0 } else { 150.0 }).collect();
        let old = windows(&fast_then_slow, 125, 1);
        let new = windows(&fast_then_slow, 125, 2);
        let flat = change_spread(&pooled(&old), &pooled(&new), 0.5, SEED).unwrap();
        let windowed = windowed_change_spread(&old, &new, 0.5, SEED).unwrap();
        assert!(windowed > 4.0 * flat, "{windowed} {flat}");
        assert!(windowed > 25.0, "{windowed}");
    }

    #[test]
    fn consistent_windows_vary_little() {
        let (old, new) = (windows(&[1_000.0], 125, 1), windows(&[1_500.0], 125, 2));
        let spread = windowed_change_spread(&old, &new, 0.95, SEED).unwrap();
        assert!(spread < 40.0, "{spread}");
        assert_eq!(windowed_change_spread(&old, &new, 0.95, SEED), Some(spread));
    }

    #[test]
    fn a_run_whose_windows_disagree_has_a_wider_percentile() {
        let steady = windowed_quantile_spread(&windows(&[100.0], 50, 1), 0.5, SEED).unwrap();
        let mixed = windowed_quantile_spread(&windows(&[50.0, 150.0], 50, 1), 0.5, SEED).unwrap();
        assert!(mixed > 5.0 * steady, "{mixed} {steady}");
        assert_eq!(
            windowed_quantile_spread(&windows(&[100.0], 50, 1)[..1], 0.5, SEED),
            None
        );
    }

    #[test]
    fn fewer_than_two_windows_give_no_windowed_spread() {
        let one = vec![run(100.0, 50, 1)];
        let empty = Recorded::of(&new_latency_histogram());
        let many = windows(&[100.0], 50, 2);
        assert_eq!(windowed_change_spread(&one, &many, 0.5, SEED), None);
        assert_eq!(
            windowed_change_spread(&[run(1.0, 5, 1), empty], &many, 0.5, SEED),
            None
        );
    }

    #[test]
    fn an_empty_run_has_no_spread() {
        let empty = Recorded::of(&new_latency_histogram());
        assert_eq!(change_spread(&empty, &run(1.0, 5, 1), 0.5, SEED), None);
    }
}
