//! Saved latency histograms (base64 of HdrHistogram V2 + DEFLATE) back into values and
//! counts, and the inverse distribution function the bootstrap samples from. Pure: must not
//! read files.

use base64::Engine as _;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::Deserializer;

/// The recorded values of a histogram, sorted, with their cumulative counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    /// (value in µs, number of values recorded at or below it), ascending.
    steps: Vec<(u64, u64)>,
}

impl Recorded {
    /// Every value recorded in `histogram`.
    pub fn of(histogram: &Histogram<u64>) -> Self {
        let mut total = 0;
        let steps = histogram
            .iter_recorded()
            .map(|bucket| {
                total += bucket.count_at_value();
                (
                    histogram.highest_equivalent(bucket.value_iterated_to()),
                    total,
                )
            })
            .collect();
        Recorded { steps }
    }

    /// How many values were recorded.
    pub fn count(&self) -> u64 {
        self.steps.last().map_or(0, |&(_, total)| total)
    }

    /// The distinct recorded values, ascending.
    pub fn values(&self) -> impl Iterator<Item = u64> + '_ {
        self.steps.iter().map(|&(value, _)| value)
    }

    /// The mean of the recorded values (each counted at its bucket's highest equivalent
    /// value); 0 when empty.
    pub fn mean(&self) -> f64 {
        let mut previous = 0;
        let sum: f64 = self
            .steps
            .iter()
            .map(|&(value, total)| {
                let count = total - previous;
                previous = total;
                value as f64 * count as f64
            })
            .sum();
        sum / self.count().max(1) as f64
    }

    /// How many recorded values are at or below `value`.
    pub fn count_at_or_below(&self, value: u64) -> u64 {
        let index = self.steps.partition_point(|&(at, _)| at <= value);
        index.checked_sub(1).map_or(0, |i| self.steps[i].1)
    }

    /// The value below which a fraction `quantile` (0..=1) of the recorded values lie:
    /// the `ceil(quantile × count)`-th smallest value (at least the first).
    pub fn value_at(&self, quantile: f64) -> f64 {
        let count = self.count();
        if count == 0 {
            return 0.0;
        }
        let rank = ((quantile.clamp(0.0, 1.0) * count as f64).ceil() as u64).clamp(1, count);
        let index = self.steps.partition_point(|&(_, total)| total < rank);
        self.steps[index.min(self.steps.len() - 1)].0 as f64
    }
}

/// Decodes the `histogram` field of a results file; the error says what is wrong with it.
pub fn decode(encoded: &str) -> Result<Histogram<u64>, String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|error| format!("the histogram is not base64: {error}"))?;
    Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(|error| format!("the histogram is not an HdrHistogram V2 encoding: {error:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::encode_histogram;
    use crate::bench::histogram::new_latency_histogram;

    fn histogram(values: &[u64]) -> Histogram<u64> {
        let mut histogram = new_latency_histogram();
        for &value in values {
            histogram.record(value).unwrap();
        }
        histogram
    }

    #[test]
    fn a_saved_histogram_decodes_to_the_same_counts() {
        let original = histogram(&[100, 200, 200, 300, 5_000]);
        let decoded = decode(&encode_histogram(&original)).unwrap();
        assert_eq!(decoded.len(), 5);
        assert_eq!(
            decoded.value_at_quantile(0.5),
            original.value_at_quantile(0.5)
        );
        assert!(decode("not base64!").unwrap_err().contains("base64"));
        assert!(decode("AAAA").unwrap_err().contains("HdrHistogram"));
    }

    #[test]
    fn value_at_follows_the_rank_of_the_quantile() {
        let recorded = Recorded::of(&histogram(&[100, 200, 300, 400]));
        assert_eq!(recorded.count(), 4);
        assert_eq!(recorded.value_at(0.0), 100.0);
        assert_eq!(recorded.value_at(0.25), 100.0);
        assert_eq!(recorded.value_at(0.26), 200.0);
        assert_eq!(recorded.value_at(0.75), 300.0);
        assert_eq!(recorded.value_at(1.0), 400.0);
        assert_eq!(Recorded::of(&new_latency_histogram()).value_at(0.5), 0.0);
        assert_eq!(recorded.mean(), 250.0);
        assert_eq!(Recorded::of(&new_latency_histogram()).mean(), 0.0);
    }
}
