//! The change of a percentile between two runs, with a 95% interval from a seeded
//! bootstrap of both histograms.
//!
//! Resampling n recorded values with replacement and taking their k-th smallest
//! (k = ceil(q × n)) gives the value at a uniform order statistic, which follows
//! Beta(k, n + 1 − k), pushed through the recorded distribution. So each resample draws
//! that Beta variate once per run instead of n values: the same distribution as the
//! textbook bootstrap, at a cost that does not grow with the iteration count. Pure and
//! deterministic for a given seed.

use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;
use rand_distr::{Beta, Distribution};

use super::Interval;
use super::histogram::Recorded;

/// Resamples per interval: enough for stable 2.5% / 97.5% bounds.
pub const RESAMPLES: usize = 2_000;

/// The seed every comparison uses, so the same two files always give the same interval.
pub const SEED: u64 = 0x7EC5_BE7C;

/// The 95% interval of `new(q) − old(q)` in microseconds; `None` when a run is empty.
pub fn change_interval(
    old: &Recorded,
    new: &Recorded,
    quantile: f64,
    seed: u64,
) -> Option<Interval> {
    let old_rank = OrderStatistic::new(old.count(), quantile)?;
    let new_rank = OrderStatistic::new(new.count(), quantile)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut changes: Vec<f64> = (0..RESAMPLES)
        .map(|_| {
            let then = old.value_at(old_rank.draw(&mut rng));
            let now = new.value_at(new_rank.draw(&mut rng));
            now - then
        })
        .collect();
    changes.sort_by(f64::total_cmp);
    Some(Interval {
        low: percentile_of_sorted(&changes, 0.025),
        high: percentile_of_sorted(&changes, 0.975),
    })
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

/// The value at fraction `at` of sorted values (nearest rank).
fn percentile_of_sorted(sorted: &[f64], at: f64) -> f64 {
    let index = ((at * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::histogram::new_latency_histogram;
    use rand::RngExt;

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
    fn two_runs_of_the_same_distribution_give_an_interval_around_zero() {
        let interval =
            change_interval(&run(1_000.0, 2_000, 1), &run(1_000.0, 2_000, 2), 0.95, SEED).unwrap();
        assert!(interval.low < 0.0 && interval.high > 0.0, "{interval:?}");
        assert!(interval.high - interval.low < 60.0, "{interval:?}");
    }

    #[test]
    fn a_slower_run_gives_an_interval_around_the_slowdown() {
        let interval =
            change_interval(&run(1_000.0, 2_000, 1), &run(1_500.0, 2_000, 2), 0.5, SEED).unwrap();
        assert!(
            interval.low > 400.0 && interval.high < 600.0,
            "{interval:?}"
        );
    }

    #[test]
    fn fewer_iterations_give_a_wider_interval_and_the_seed_fixes_it() {
        let (old, new) = (run(1_000.0, 20, 1), run(1_000.0, 20, 2));
        let narrow =
            change_interval(&run(1_000.0, 2_000, 1), &run(1_000.0, 2_000, 2), 0.99, SEED).unwrap();
        let wide = change_interval(&old, &new, 0.99, SEED).unwrap();
        assert!(
            wide.high - wide.low > narrow.high - narrow.low,
            "{wide:?} {narrow:?}"
        );
        assert_eq!(change_interval(&old, &new, 0.99, SEED), Some(wide));
    }

    #[test]
    fn an_empty_run_has_no_interval() {
        let empty = Recorded::of(&new_latency_histogram());
        assert_eq!(change_interval(&empty, &run(1.0, 5, 1), 0.5, SEED), None);
    }
}
