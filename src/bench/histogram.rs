//! Latency histograms in microseconds: creation with fixed bounds (memory independent of
//! the iteration count), recording, summary statistics and the standard V2+DEFLATE
//! base64 encoding. Must not measure time or talk to the database.

use std::time::Duration;

use base64::Engine as _;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Serializer as _, V2DeflateSerializer};

use crate::results::LatencySummary;

/// Highest trackable latency: 60 s. Slower samples are recorded as 60 s (saturating).
pub const HIGHEST_TRACKABLE_US: u64 = 60_000_000;
/// Significant digits kept for every recorded value.
pub const SIGNIFICANT_DIGITS: u8 = 3;

/// Where an empty histogram's range starts; it grows as slower values are recorded.
const INITIAL_HIGHEST_US: u64 = 2_048;

/// An empty histogram of microseconds, 3 significant digits, from 1 µs; it grows its range
/// as values are recorded (up to `HIGHEST_TRACKABLE_US` through `record`), so that a
/// histogram of fast queries takes a fraction of the memory of one sized for 60 s.
pub fn new_latency_histogram() -> Histogram<u64> {
    let mut histogram = Histogram::new_with_bounds(1, INITIAL_HIGHEST_US, SIGNIFICANT_DIGITS)
        .expect("constant histogram bounds are valid");
    histogram.auto(true);
    histogram
}

/// Records `elapsed` in microseconds, saturating at the highest trackable value.
pub fn record(histogram: &mut Histogram<u64>, elapsed: Duration) {
    let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
    let micros = micros.min(HIGHEST_TRACKABLE_US);
    // The histogram grows to hold the value; should it not (no memory), the value is
    // kept at the top of its current range rather than lost.
    if histogram.record(micros).is_err() {
        histogram.saturating_record(micros);
    }
}

/// Adds `source` into `target`; both were made by `new_latency_histogram`.
pub fn merge_into(target: &mut Histogram<u64>, source: &Histogram<u64>) -> crate::Result<()> {
    target
        .add(source)
        .map_err(|e| crate::Error::environment(format!("cannot merge latency histograms: {e:?}")))
}

/// min, mean, p50, p90, p95, p99, p99.9, max and standard deviation (all zero when empty).
pub fn summarize(h: &Histogram<u64>) -> LatencySummary {
    if h.is_empty() {
        return LatencySummary::default();
    }
    LatencySummary {
        min: h.min(),
        mean: h.mean(),
        p50: h.value_at_quantile(0.50),
        p90: h.value_at_quantile(0.90),
        p95: h.value_at_quantile(0.95),
        p99: h.value_at_quantile(0.99),
        p99_9: h.value_at_quantile(0.999),
        max: h.max(),
        stddev: h.stdev(),
    }
}

/// Base64 (standard alphabet, padded) of the HdrHistogram V2 + DEFLATE serialization,
/// readable by every HdrHistogram implementation.
pub fn encode_histogram(h: &Histogram<u64>) -> String {
    let mut bytes = Vec::new();
    // Serializing into a Vec cannot fail on I/O; an empty string signals the impossible case.
    match V2DeflateSerializer::new().serialize(h, &mut bytes) {
        Ok(_) => base64::engine::general_purpose::STANDARD.encode(bytes),
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_histogram_starts_small_and_grows_to_hold_slow_values_up_to_60_s() {
        let mut histogram = new_latency_histogram();
        let small = histogram.buckets();
        record(&mut histogram, Duration::from_millis(5));
        record(&mut histogram, Duration::from_secs(90));
        assert!(histogram.buckets() > small);
        assert_eq!(histogram.len(), 2);
        assert!(histogram.max() >= HIGHEST_TRACKABLE_US * 99 / 100);
        assert!(histogram.max() <= HIGHEST_TRACKABLE_US * 101 / 100);
        let mut total = new_latency_histogram();
        merge_into(&mut total, &histogram).expect("a small histogram takes a grown one");
        assert_eq!(total.len(), 2);
    }

    use super::*;
    use hdrhistogram::serialization::Deserializer;

    #[test]
    fn summary_reports_percentiles_of_recorded_microseconds() {
        let mut h = new_latency_histogram();
        for micros in 1..=1000 {
            record(&mut h, Duration::from_micros(micros));
        }
        let s = summarize(&h);
        assert_eq!(s.min, 1);
        assert!((s.mean - 500.5).abs() < 1.0, "{}", s.mean);
        assert_eq!(s.p50, 500);
        assert_eq!(s.p90, 900);
        assert_eq!(s.p99, 990);
        assert_eq!(s.p99_9, 999);
        assert_eq!(s.max, 1000);
        assert!((s.stddev - 288.7).abs() < 1.0, "{}", s.stddev);
    }

    #[test]
    fn empty_histograms_summarize_to_zero() {
        assert_eq!(
            summarize(&new_latency_histogram()),
            LatencySummary::default()
        );
    }

    #[test]
    fn values_beyond_sixty_seconds_saturate_instead_of_failing() {
        let mut h = new_latency_histogram();
        record(&mut h, Duration::from_secs(3600));
        assert_eq!(h.len(), 1);
        assert!(
            h.max() >= HIGHEST_TRACKABLE_US
                && h.max() < HIGHEST_TRACKABLE_US + HIGHEST_TRACKABLE_US / 500
        );
    }

    #[test]
    fn merged_histograms_count_every_sample() {
        let mut a = new_latency_histogram();
        let mut b = new_latency_histogram();
        record(&mut a, Duration::from_micros(10));
        record(&mut b, Duration::from_micros(2000));
        merge_into(&mut a, &b).unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!((a.min(), a.value_at_quantile(1.0) / 10), (10, 200));
    }

    #[test]
    fn the_encoding_is_standard_base64_of_a_v2_deflate_histogram() {
        let mut h = new_latency_histogram();
        for micros in [50, 60, 70, 12_000] {
            record(&mut h, Duration::from_micros(micros));
        }
        let text = encode_histogram(&h);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&text)
            .unwrap();
        let back: Histogram<u64> = Deserializer::new()
            .deserialize(&mut bytes.as_slice())
            .unwrap();
        assert_eq!(back.len(), 4);
        assert_eq!(summarize(&back), summarize(&h));
    }
}
