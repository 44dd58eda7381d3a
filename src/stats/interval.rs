//! The 95% interval of one run's percentile, or of its throughput, for exports and trends.
//! With two or more measurement windows (each on its own connections, at its own time) the
//! windows are the independent units: the interval is Student's t over the windows' log
//! values (the model of `stats::precision`), as a relative half-width around the run's
//! value. Without windows, the distribution-free interval of a quantile from the ranks of
//! the whole histogram (binomial order statistics), which knows nothing of connection or
//! machine noise and is narrower. Pure.

use super::histogram::Recorded;
use super::precision::{quantile_precision, relative_precision};
use super::{DEFAULT_CONFIDENCE, two_sided_quantile};

/// How an interval was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// Student's t over the measurement windows.
    Windows,
    /// Order statistics of the whole histogram (no windows recorded).
    Ranks,
}

/// An interval around a measured value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValueInterval {
    pub low: f64,
    pub high: f64,
    pub basis: Basis,
}

impl ValueInterval {
    /// `value` divided and multiplied by `1 + half_width` (symmetric on the log scale).
    fn relative(value: f64, half_width: f64) -> Self {
        ValueInterval {
            low: value / (1.0 + half_width),
            high: value * (1.0 + half_width),
            basis: Basis::Windows,
        }
    }
}

/// The interval of percentile `quantile` (0..=1) whose measured value is `value`: from
/// the `windows` when at least two recorded something, else from the ranks of `merged`;
/// `None` when neither is there.
pub fn percentile_interval(
    value: f64,
    quantile: f64,
    windows: &[Recorded],
    merged: Option<&Recorded>,
) -> Option<ValueInterval> {
    if let Some(half_width) = quantile_precision(windows, quantile) {
        return Some(ValueInterval::relative(value, half_width));
    }
    rank_interval(merged?, quantile)
}

/// The interval of a closed loop's throughput `value` (iterations per second): a client's
/// throughput is the inverse of its mean latency, so it moves by the relative interval of
/// the windows' mean latencies; `None` with fewer than two windows.
pub fn throughput_interval(value: f64, windows: &[Recorded]) -> Option<ValueInterval> {
    let means: Vec<f64> = windows
        .iter()
        .filter(|w| w.count() > 0)
        .map(Recorded::mean)
        .collect();
    relative_precision(&means).map(|half_width| ValueInterval::relative(value, half_width))
}

/// The distribution-free interval of a quantile: the values at the ranks
/// n·q ± z·√(n·q·(1 − q)), z of the default confidence.
fn rank_interval(recorded: &Recorded, quantile: f64) -> Option<ValueInterval> {
    let n = recorded.count();
    if n == 0 {
        return None;
    }
    let count = n as f64;
    let q = quantile.clamp(0.0, 1.0);
    let reach = two_sided_quantile(DEFAULT_CONFIDENCE) * (count * q * (1.0 - q)).sqrt();
    let rank = |r: f64| r.clamp(1.0, count) / count;
    Some(ValueInterval {
        low: recorded.value_at(rank((count * q - reach).floor())),
        high: recorded.value_at(rank((count * q + reach).ceil() + 1.0)),
        basis: Basis::Ranks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::histogram::new_latency_histogram;

    fn recorded(values: impl IntoIterator<Item = u64>) -> Recorded {
        let mut histogram = new_latency_histogram();
        for value in values {
            histogram.record(value).unwrap();
        }
        Recorded::of(&histogram)
    }

    #[test]
    fn windows_give_a_relative_interval_that_widens_with_their_scatter() {
        let steady: Vec<Recorded> = [100, 101, 99, 100]
            .map(|m| recorded([m / 2, m, m * 2]))
            .to_vec();
        let narrow = percentile_interval(1_000.0, 0.5, &steady, None).unwrap();
        assert_eq!(narrow.basis, Basis::Windows);
        assert!(narrow.low < 1_000.0 && narrow.high > 1_000.0);
        assert!(
            (narrow.low * narrow.high - 1e6).abs() < 1e-3,
            "log-symmetric"
        );
        let scattered: Vec<Recorded> = [100, 200, 70, 150]
            .map(|m| recorded([m / 2, m, m * 2]))
            .to_vec();
        let wide = percentile_interval(1_000.0, 0.5, &scattered, None).unwrap();
        assert!(wide.high - wide.low > 5.0 * (narrow.high - narrow.low));
    }

    #[test]
    fn without_windows_the_ranks_of_the_histogram_bound_the_quantile() {
        let all = recorded(1..=1_000);
        let interval = percentile_interval(500.0, 0.5, &[], Some(&all)).unwrap();
        assert_eq!(interval.basis, Basis::Ranks);
        // n·q ± 1.96·√(n·q·(1 − q)) = 500 ± 31.
        assert!((468.0..=470.0).contains(&interval.low), "{interval:?}");
        assert!((531.0..=533.0).contains(&interval.high), "{interval:?}");
        assert_eq!(percentile_interval(1.0, 0.5, &[], None), None);
        assert_eq!(
            percentile_interval(1.0, 0.5, &[], Some(&recorded([]))),
            None
        );
    }

    #[test]
    fn throughput_moves_with_the_windows_mean_latency() {
        let windows: Vec<Recorded> = [100, 110, 90].map(|m| recorded([m, m])).to_vec();
        let interval = throughput_interval(500.0, &windows).unwrap();
        assert!(interval.low < 500.0 && interval.high > 500.0);
        assert_eq!(throughput_interval(500.0, &windows[..1]), None);
    }
}
