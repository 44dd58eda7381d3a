//! The percentile spectrum of a scenario's latency: latency against percentile, with the
//! percentile on HdrHistogram's usual log scale (x = log10(1 / (1 - p)), so 50 %, 90 %,
//! 99 %, 99.9 % … are evenly spread). Computed from the stored HdrHistogram (base64 V2 +
//! DEFLATE); from the summary percentiles when a result has no readable histogram.
//! Pure: no I/O and no markup (html_spectrum.rs draws it).

use hdrhistogram::Histogram;

use crate::results::{LatencySummary, ScenarioResult};
use crate::saved::decode_histogram;

/// Distance between two computed points on the x axis (log10 units): 20 points a decade.
const X_STEP: f64 = 0.05;
/// The axis always reaches 99 % (x = 2), however few the samples.
pub const MIN_X_LIMIT: f64 = 2.0;

/// One point of a spectrum.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpectrumPoint {
    /// The percentile, 0 to 100.
    pub percentile: f64,
    /// Latency at that percentile, in microseconds.
    pub latency_us: u64,
}

impl SpectrumPoint {
    /// The point's position on the log percentile axis.
    pub fn x(&self) -> f64 {
        percentile_x(self.percentile)
    }
}

/// Where a spectrum came from, so the chart can say so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpectrumSource {
    /// Every recorded value, from the stored histogram.
    Histogram,
    /// Only min, p50, p90, p95, p99, p99.9 and max, from the summary.
    Summary,
}

/// A curve: the points in increasing percentile order, and their source.
#[derive(Debug, Clone, PartialEq)]
pub struct Spectrum {
    pub points: Vec<SpectrumPoint>,
    pub source: SpectrumSource,
}

/// x = log10(1 / (1 - p)) for a percentile `p` in 0..100; 50 → 0.30, 90 → 1, 99 → 2.
/// Percentiles at or above 100 are placed at x = 9 (far right of any sensible axis).
pub fn percentile_x(percentile: f64) -> f64 {
    let remaining = 1.0 - percentile / 100.0;
    if remaining <= 1e-9 {
        return 9.0;
    }
    -remaining.log10()
}

/// The percentile at position `x`: the inverse of [`percentile_x`].
fn x_percentile(x: f64) -> f64 {
    (1.0 - 10f64.powf(-x)) * 100.0
}

/// The spectrum of a result: from its histogram when that can be read and holds values,
/// else from its latency summary; `None` when it measured nothing.
pub fn scenario_spectrum(result: &ScenarioResult) -> Option<Spectrum> {
    let decoded = result
        .histogram
        .as_deref()
        .and_then(|text| decode_histogram(text).ok())
        .filter(|histogram| !histogram.is_empty());
    match (decoded, &result.latency_us) {
        (Some(histogram), _) => Some(histogram_spectrum(&histogram)),
        (None, Some(latency)) => Some(summary_spectrum(latency, result.iterations)),
        (None, None) => None,
    }
}

/// The last x a sample count resolves: the percentile 1 − 1/n (x = log10 n), at least 99 %.
pub fn x_limit(count: u64) -> f64 {
    (count.max(1) as f64).log10().max(MIN_X_LIMIT)
}

/// The spectrum of a histogram: a point every 0.05 on the log axis from 0 % up to the
/// percentile the sample count resolves, ending with the maximum there.
fn histogram_spectrum(histogram: &Histogram<u64>) -> Spectrum {
    let limit = x_limit(histogram.len());
    let steps = (limit / X_STEP).floor() as usize;
    let mut points: Vec<SpectrumPoint> = (0..=steps)
        .map(|step| {
            let percentile = x_percentile(step as f64 * X_STEP);
            SpectrumPoint {
                percentile,
                latency_us: histogram.value_at_quantile(percentile / 100.0),
            }
        })
        .collect();
    points.push(SpectrumPoint {
        percentile: x_percentile(limit),
        latency_us: histogram.max(),
    });
    points.dedup_by(|later, earlier| later.percentile <= earlier.percentile);
    Spectrum {
        points,
        source: SpectrumSource::Histogram,
    }
}

/// The seven points a summary has, the maximum placed where `iterations` resolves.
fn summary_spectrum(latency: &LatencySummary, iterations: u64) -> Spectrum {
    let end = x_percentile(x_limit(iterations).max(3.0));
    let known = [
        (0.0, latency.min),
        (50.0, latency.p50),
        (90.0, latency.p90),
        (95.0, latency.p95),
        (99.0, latency.p99),
        (99.9, latency.p99_9),
        (end, latency.max),
    ];
    Spectrum {
        points: known
            .iter()
            .map(|&(percentile, latency_us)| SpectrumPoint {
                percentile,
                latency_us,
            })
            .collect(),
        source: SpectrumSource::Summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::encode_histogram;
    use crate::bench::histogram::new_latency_histogram;

    fn histogram_of(values: impl IntoIterator<Item = u64>) -> Histogram<u64> {
        let mut histogram = new_latency_histogram();
        for value in values {
            histogram.record(value).unwrap();
        }
        histogram
    }

    #[test]
    fn the_log_axis_spreads_the_usual_percentiles_evenly() {
        assert!((percentile_x(50.0) - std::f64::consts::LOG10_2).abs() < 1e-9);
        assert!((percentile_x(90.0) - 1.0).abs() < 1e-9);
        assert!((percentile_x(99.0) - 2.0).abs() < 1e-9);
        assert!((percentile_x(99.9) - 3.0).abs() < 1e-9);
        assert_eq!(percentile_x(0.0), 0.0);
        assert_eq!(percentile_x(100.0), 9.0);
        assert!((x_percentile(percentile_x(99.99)) - 99.99).abs() < 1e-9);
    }

    #[test]
    fn the_axis_ends_where_the_sample_count_resolves_and_never_before_99_percent() {
        assert_eq!(x_limit(10), MIN_X_LIMIT);
        assert!((x_limit(1_000) - 3.0).abs() < 1e-9);
        assert!((x_limit(100_000) - 5.0).abs() < 1e-9);
    }

    #[test]
    fn a_histogram_spectrum_follows_its_percentiles_and_ends_at_the_maximum() {
        let histogram = histogram_of(1..=1_000);
        let spectrum = histogram_spectrum(&histogram);
        assert_eq!(spectrum.source, SpectrumSource::Histogram);
        let first = spectrum.points[0];
        assert_eq!((first.percentile, first.latency_us), (0.0, 1));
        let at = |x: f64| {
            spectrum
                .points
                .iter()
                .find(|p| (p.x() - x).abs() < 1e-9)
                .unwrap()
                .latency_us
        };
        assert_eq!(at(1.0), 900);
        assert_eq!(at(2.0), 990);
        let last = spectrum.points.last().unwrap();
        assert_eq!(last.latency_us, 1_000);
        assert!((last.x() - 3.0).abs() < 1e-9);
        assert!(
            spectrum
                .points
                .windows(2)
                .all(|w| w[0].percentile < w[1].percentile)
        );
        assert!(
            spectrum
                .points
                .windows(2)
                .all(|w| w[0].latency_us <= w[1].latency_us)
        );
    }

    #[test]
    fn a_stored_histogram_is_decoded_and_preferred_over_the_summary() {
        let histogram = histogram_of([100, 200, 300, 40_000]);
        let mut result =
            ScenarioResult::unmeasured("s", "g", crate::results::Status::Pass, "".into());
        result.histogram = Some(encode_histogram(&histogram));
        result.latency_us = Some(LatencySummary::default());
        let spectrum = scenario_spectrum(&result).unwrap();
        assert_eq!(spectrum.source, SpectrumSource::Histogram);
        assert_eq!(spectrum.points.last().unwrap().latency_us, histogram.max());
        assert_eq!(
            decode_histogram(&encode_histogram(&histogram)).unwrap(),
            histogram
        );
    }

    #[test]
    fn without_a_readable_histogram_the_summary_gives_seven_points() {
        let latency = LatencySummary {
            min: 1,
            p50: 5,
            p90: 9,
            p95: 10,
            p99: 20,
            p99_9: 30,
            max: 40,
            ..Default::default()
        };
        let mut result =
            ScenarioResult::unmeasured("s", "g", crate::results::Status::Pass, "".into());
        result.latency_us = Some(latency);
        result.histogram = Some("not a histogram".into());
        let spectrum = scenario_spectrum(&result).unwrap();
        assert_eq!(spectrum.source, SpectrumSource::Summary);
        let values: Vec<u64> = spectrum.points.iter().map(|p| p.latency_us).collect();
        assert_eq!(values, [1, 5, 9, 10, 20, 30, 40]);
        result.latency_us = None;
        assert_eq!(scenario_spectrum(&result), None);
    }
}
