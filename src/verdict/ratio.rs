//! Ratio gates (`"p50 faster_than OTHER by 5x"`), judged once every scenario of a run was
//! measured: the gated scenario's outcome is appended and its status re-decided. A gate on
//! a percentile that `run` measured in pairs (both scenarios alternated on one connection,
//! `bench::ratio_pairs`) is judged on the pairs: the mean over connection draws of the
//! draw's log ratio, with Student's t over the draws (`stats::paired`, the model an A/B run
//! uses). Without pairs (files merged from several machines) the ratio of the two
//! summaries gets an interval from both scenarios' windows (a two-level bootstrap of each,
//! combined on the log scale). Confidence is 95% shared over the run's ratio gates; a gate
//! holds when any ratio in its interval meets the factor, so a shortfall within the noise
//! does not fail. Pure: no I/O. Must not format text (report/ renders the outcome) nor
//! measure anything.

use std::collections::BTreeMap;

use super::Observed;
use crate::config::{Metric, ThresholdExpr, Thresholds};
use crate::results::{LatencySummary, PairedGate, ScenarioResult, Status, ThresholdOutcome};
use crate::stats::bootstrap::{SEED, windowed_quantile_spread};
use crate::stats::histogram::{Recorded, decode};
use crate::stats::paired::{PairedRatio, paired_ratio};
use crate::stats::{DEFAULT_CONFIDENCE, Interval, per_comparison, two_sided_quantile};

/// Both scenarios of a ratio gate measured in pairs: per connection draw, each side's
/// recorded latencies.
#[derive(Debug, Clone, Default)]
pub struct PairedSamples {
    pub own: Vec<Recorded>,
    pub other: Vec<Recorded>,
    /// Pairs in which both sides succeeded.
    pub pairs: u64,
}

/// The pairs measured in a run, by (gated scenario, the scenario it is compared with).
pub type PairedGates = BTreeMap<(String, String), PairedSamples>;

/// Below this many microseconds a latency counts as this much, so that a ratio stays finite.
const SMALLEST_LATENCY_US: f64 = 1.0;

/// One ratio gate: `other / own` of the threshold's metric against its factor. No data on
/// either side (no successful iteration) fails with `actual: None`. `log_spread` is the
/// standard deviation of ln(ratio), when known: the gate then holds when the factor is
/// within the ratio's interval at `confidence`.
pub fn ratio_outcome(
    threshold: &ThresholdExpr,
    own: Option<&LatencySummary>,
    other: Option<&LatencySummary>,
    log_spread: Option<f64>,
    confidence: f64,
) -> ThresholdOutcome {
    let value = |summary: &LatencySummary| {
        let observed = Observed {
            latency: *summary,
            successes: 1,
            ..Default::default()
        };
        observed.value_of(threshold.metric)
    };
    let actual = match (own.and_then(value), other.and_then(value)) {
        (Some(own), Some(other)) => Some(other / own.max(SMALLEST_LATENCY_US)),
        _ => None,
    };
    let interval = actual.zip(log_spread).map(|(ratio, spread)| {
        let factor = (two_sided_quantile(confidence) * spread).exp();
        Interval {
            low: ratio / factor,
            high: ratio * factor,
        }
    });
    let holds = |ratio: f64| threshold.comparison.holds(ratio, threshold.limit);
    let within_noise = interval.is_some_and(|i| holds(i.low) || holds(i.high));
    ThresholdOutcome {
        threshold: threshold.clone(),
        actual,
        ok: actual.is_some_and(holds) || within_noise,
        interval,
        paired: None,
    }
}

/// The outcome of a gate from its pairs' estimate of `other / own`.
pub fn paired_outcome(
    threshold: &ThresholdExpr,
    estimate: PairedRatio,
    pairs: u64,
) -> ThresholdOutcome {
    let holds = |ratio: f64| threshold.comparison.holds(ratio, threshold.limit);
    let within_noise = estimate
        .interval
        .is_some_and(|i| holds(i.low) || holds(i.high));
    ThresholdOutcome {
        threshold: threshold.clone(),
        actual: Some(estimate.ratio),
        ok: holds(estimate.ratio) || within_noise,
        interval: estimate.interval,
        paired: Some(PairedGate {
            draws: u32::try_from(estimate.windows).unwrap_or(u32::MAX),
            pairs,
        }),
    }
}

/// The (gated, other) scenario pairs of the latency ratio gates that can be judged on
/// `results`, once each: what `run` measures in pairs. A gate whose windows already
/// decide it, its whole interval on the passing side, is left out: pairs would only
/// confirm it (an anti-pattern 2,000× slower than its fix needs no pairs to hold "by 10x").
pub fn gates_to_pair(results: &[ScenarioResult], thresholds: &Thresholds) -> Vec<(String, String)> {
    let confidence = per_comparison(DEFAULT_CONFIDENCE, ratio_gate_count(results, thresholds));
    let mut found: Vec<(String, String)> = Vec::new();
    for (index, own) in results.iter().enumerate() {
        let Some(gates) = thresholds.by_scenario.get(&own.name) else {
            continue;
        };
        for threshold in gates.iter().filter(|t| t.is_ratio()) {
            let pairable = quantile_of(threshold.metric).is_some()
                && partner(results, index, threshold).is_some_and(|o| o.latency_us.is_some())
                && !decided_by_windows(results, index, threshold, confidence);
            let key = (
                own.name.clone(),
                threshold.relative_to.clone().unwrap_or_default(),
            );
            if pairable && !found.contains(&key) {
                found.push(key);
            }
        }
    }
    found
}

/// True when the gate's interval from the windows lies wholly on the passing side.
fn decided_by_windows(
    results: &[ScenarioResult],
    index: usize,
    threshold: &ThresholdExpr,
    confidence: f64,
) -> bool {
    let Some(outcome) = judge(results, index, threshold, confidence, &PairedGates::new()) else {
        return false;
    };
    let holds = |ratio: f64| threshold.comparison.holds(ratio, threshold.limit);
    outcome
        .interval
        .is_some_and(|interval| holds(interval.low) && holds(interval.high))
}

/// How many ratio gates the thresholds set on the scenarios of `results`.
fn ratio_gate_count(results: &[ScenarioResult], thresholds: &Thresholds) -> usize {
    results
        .iter()
        .filter_map(|r| thresholds.by_scenario.get(&r.name))
        .flat_map(|gates| gates.iter().filter(|t| t.is_ratio()))
        .count()
}

/// The quantile a percentile metric reads; `None` for other metrics.
fn quantile_of(metric: Metric) -> Option<f64> {
    match metric {
        Metric::P50 => Some(0.50),
        Metric::P90 => Some(0.90),
        Metric::P95 => Some(0.95),
        Metric::P99 => Some(0.99),
        Metric::P999 => Some(0.999),
        _ => None,
    }
}

/// The standard deviation of ln(other / own) at `quantile` from both scenarios' windows
/// (delta method: the relative spreads add in quadrature); `None` without windows.
fn log_ratio_spread(own: &ScenarioResult, other: &ScenarioResult, quantile: f64) -> Option<f64> {
    let relative = |result: &ScenarioResult| -> Option<f64> {
        let windows = result
            .windows
            .iter()
            .map(|text| decode(text).ok().map(|h| Recorded::of(&h)))
            .collect::<Option<Vec<_>>>()?;
        let value = Recorded::of(&decode(result.histogram.as_deref()?).ok()?).value_at(quantile);
        let spread = windowed_quantile_spread(&windows, quantile, SEED)?;
        (value > 0.0).then(|| spread / value)
    };
    let (own, other) = (relative(own)?, relative(other)?);
    Some((own * own + other * other).sqrt())
}

/// A broken gate that turned into a failure: (index of the result, index of its outcome).
pub type BrokenGate = (usize, usize);

/// Judges every ratio gate of `thresholds` on the measured `results`, appends each outcome
/// to its scenario, and fails a passing scenario whose gate broke. A gate is not judged
/// when either scenario was skipped or not run (not selected); the gated scenario must
/// have been measured. Returns the broken gates, for the caller to word the reason.
pub fn apply_ratio_gates(
    results: &mut [ScenarioResult],
    thresholds: &Thresholds,
    paired: &PairedGates,
) -> Vec<BrokenGate> {
    let confidence = per_comparison(DEFAULT_CONFIDENCE, ratio_gate_count(results, thresholds));
    let mut broken = Vec::new();
    for index in 0..results.len() {
        let Some(gates) = thresholds.by_scenario.get(&results[index].name) else {
            continue;
        };
        for threshold in gates.iter().filter(|t| t.is_ratio()) {
            let Some(outcome) = judge(results, index, threshold, confidence, paired) else {
                continue;
            };
            let result = &mut results[index];
            let ok = outcome.ok;
            result.thresholds.push(outcome);
            if !ok {
                result.status = Status::Fail;
                broken.push((index, result.thresholds.len() - 1));
            }
        }
    }
    broken
}

/// The outcome of one gate on `results[index]`, or `None` when it cannot be judged.
fn judge(
    results: &[ScenarioResult],
    index: usize,
    threshold: &ThresholdExpr,
    confidence: f64,
    paired: &PairedGates,
) -> Option<ThresholdOutcome> {
    let own = &results[index];
    let other = partner(results, index, threshold)?;
    let quantile = quantile_of(threshold.metric);
    let key = (own.name.clone(), other.name.clone());
    if let (Some(q), Some(samples)) = (quantile, paired.get(&key))
        && let Some(estimate) = paired_ratio(&samples.other, &samples.own, q, confidence)
    {
        return Some(paired_outcome(threshold, estimate, samples.pairs));
    }
    let spread = quantile.and_then(|q| log_ratio_spread(own, other, q));
    Some(ratio_outcome(
        threshold,
        own.latency_us.as_ref(),
        other.latency_us.as_ref(),
        spread,
        confidence,
    ))
}

/// The scenario a gate on `results[index]` compares with, when the gate can be judged:
/// the gated scenario was measured (passed or failed), the other is present and was not
/// skipped.
fn partner<'a>(
    results: &'a [ScenarioResult],
    index: usize,
    threshold: &ThresholdExpr,
) -> Option<&'a ScenarioResult> {
    if !matches!(results[index].status, Status::Pass | Status::Fail) {
        return None;
    }
    let other_name = threshold.relative_to.as_deref()?;
    let other = results.iter().find(|r| r.name == other_name)?;
    (other.status != Status::Skip).then_some(other)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Metric, parse_threshold};

    fn gate() -> ThresholdExpr {
        parse_threshold("p50 faster_than slow by 5x", Metric::P95).expect("parses")
    }

    fn p50_of(p50: u64) -> LatencySummary {
        LatencySummary {
            p50,
            ..Default::default()
        }
    }

    fn measured(name: &str, p50: u64) -> ScenarioResult {
        let mut result = ScenarioResult::unmeasured(name, "g", Status::Pass, String::new());
        result.reason = None;
        result.latency_us = Some(LatencySummary {
            p50,
            p95: p50 * 2,
            ..Default::default()
        });
        result
    }

    fn thresholds() -> Thresholds {
        let mut thresholds = Thresholds::default();
        let bound = parse_threshold("p95 < 1s", Metric::P95).expect("parses");
        thresholds
            .by_scenario
            .insert("fast".into(), vec![bound, gate()]);
        thresholds
    }

    #[test]
    fn the_ratio_is_the_other_over_this_and_holds_at_the_factor() {
        let (fast, slow) = (p50_of(100), p50_of);
        let held = ratio_outcome(&gate(), Some(&fast), Some(&slow(500)), None, 0.95);
        assert_eq!((held.actual, held.ok), (Some(5.0), true));
        let broken = ratio_outcome(&gate(), Some(&fast), Some(&slow(499)), None, 0.95);
        assert!(!broken.ok);
        let no_data = ratio_outcome(&gate(), Some(&fast), None, None, 0.95);
        assert_eq!((no_data.actual, no_data.ok), (None, false));
        let instant = ratio_outcome(&gate(), Some(&slow(0)), Some(&slow(7)), None, 0.95);
        assert_eq!(instant.actual, Some(7.0));
    }

    #[test]
    fn a_shortfall_within_the_noise_holds_and_one_beyond_it_fails() {
        let (fast, slow) = (p50_of(100), p50_of);
        // ln-spread 0.1 at 95%: the interval is the ratio ×/÷ e^0.196 ≈ 1.217.
        let close = ratio_outcome(&gate(), Some(&fast), Some(&slow(420)), Some(0.1), 0.95);
        assert!(close.ok, "{close:?}");
        let interval = close.interval.unwrap();
        assert!((interval.high - 4.2 * 1.2165).abs() < 0.01, "{interval:?}");
        let far = ratio_outcome(&gate(), Some(&fast), Some(&slow(400)), Some(0.1), 0.95);
        assert!(!far.ok, "4.0 × 1.2165 < 5: {far:?}");
        let exact = ratio_outcome(&gate(), Some(&fast), Some(&slow(420)), None, 0.95);
        assert!(!exact.ok && exact.interval.is_none());
    }

    /// Draw histograms of `own` at `base` µs and `other` at `base × ratio` (± 2%).
    fn pairs(ratios: &[f64]) -> PairedSamples {
        use crate::bench::histogram::new_latency_histogram;
        let draw = |micros: f64| {
            let mut h = new_latency_histogram();
            for jitter in [0.98, 1.0, 1.02] {
                h.record((micros * jitter) as u64).unwrap();
            }
            Recorded::of(&h)
        };
        PairedSamples {
            own: ratios.iter().map(|_| draw(1000.0)).collect(),
            other: ratios.iter().map(|r| draw(1000.0 * r)).collect(),
            pairs: 3 * ratios.len() as u64,
        }
    }

    #[test]
    fn a_gate_measured_in_pairs_is_judged_on_the_pairs_not_the_summaries() {
        // The summaries say 9× (the gate would hold); the pairs say 4× on every draw.
        let mut results = vec![measured("fast", 100), measured("slow", 900)];
        let mut paired = PairedGates::new();
        paired.insert(("fast".into(), "slow".into()), pairs(&[4.0, 4.1, 3.9, 4.0]));
        let broken = apply_ratio_gates(&mut results, &thresholds(), &paired);
        assert_eq!(broken, [(0, 0)]);
        let outcome = &results[0].thresholds[0];
        let actual = outcome.actual.unwrap();
        assert!((actual - 4.0).abs() < 0.1, "{outcome:?}");
        let interval = outcome.interval.unwrap();
        assert!(interval.low < actual && actual < interval.high && interval.high < 5.0);
        assert_eq!(
            outcome.paired,
            Some(PairedGate {
                draws: 4,
                pairs: 12
            })
        );
    }

    #[test]
    fn draws_that_disagree_widen_the_paired_interval_until_the_factor_is_within_it() {
        let mut results = vec![measured("fast", 100), measured("slow", 900)];
        let mut paired = PairedGates::new();
        paired.insert(("fast".into(), "slow".into()), pairs(&[3.0, 6.5, 3.5, 5.5]));
        assert!(apply_ratio_gates(&mut results, &thresholds(), &paired).is_empty());
        let outcome = &results[0].thresholds[0];
        assert!(outcome.ok && outcome.actual.unwrap() < 5.0, "{outcome:?}");
        assert!(outcome.interval.unwrap().high >= 5.0);
    }

    #[test]
    fn only_latency_gates_whose_partner_was_measured_are_paired() {
        let results = vec![measured("fast", 100), measured("slow", 900)];
        assert_eq!(
            gates_to_pair(&results, &thresholds()),
            [("fast".to_string(), "slow".to_string())]
        );
        // The mean is no percentile of a draw: judged from the summaries.
        let mut mean = Thresholds::default();
        let gate = parse_threshold("mean faster_than slow by 2x", Metric::P95).expect("parses");
        mean.by_scenario.insert("fast".into(), vec![gate]);
        assert!(gates_to_pair(&results, &mean).is_empty());
        let mut unmeasured = results.clone();
        unmeasured[1].latency_us = None;
        assert!(gates_to_pair(&unmeasured, &thresholds()).is_empty());
        let mut skipped = results;
        skipped[0].status = Status::Skip;
        assert!(gates_to_pair(&skipped, &thresholds()).is_empty());
    }

    /// `measured` with 8 windows of 50 latencies around `p50` (±`jitter` µs).
    fn windowed(name: &str, p50: u64, jitter: u64) -> ScenarioResult {
        use crate::bench::histogram::{encode_histogram, new_latency_histogram};
        let mut result = measured(name, p50);
        let mut whole = new_latency_histogram();
        for window in 0..8u64 {
            let mut histogram = new_latency_histogram();
            for i in 0..50u64 {
                let value = p50 - jitter + (i * 7 + window * 3) % (2 * jitter + 1);
                histogram.record(value).unwrap();
                whole.record(value).unwrap();
            }
            result.windows.push(encode_histogram(&histogram));
        }
        result.histogram = Some(encode_histogram(&whole));
        result
    }

    #[test]
    fn a_gate_its_windows_decide_is_not_paired_and_a_close_one_is() {
        let far = vec![windowed("fast", 100, 10), windowed("slow", 5_000, 200)];
        assert!(gates_to_pair(&far, &thresholds()).is_empty());
        let close = vec![windowed("fast", 100, 10), windowed("slow", 520, 200)];
        assert_eq!(
            gates_to_pair(&close, &thresholds()),
            [("fast".to_string(), "slow".to_string())]
        );
        let failing = vec![windowed("fast", 100, 10), windowed("slow", 300, 20)];
        assert_eq!(gates_to_pair(&failing, &thresholds()).len(), 1);
    }

    #[test]
    fn a_broken_gate_fails_the_passing_scenario_and_is_reported() {
        let mut results = vec![measured("fast", 100), measured("slow", 300)];
        let broken = apply_ratio_gates(&mut results, &thresholds(), &PairedGates::new());
        assert_eq!(broken, [(0, 0)]);
        assert_eq!(results[0].status, Status::Fail);
        assert_eq!(results[0].thresholds[0].actual, Some(3.0));
        assert_eq!(results[1].status, Status::Pass);
        assert!(results[1].thresholds.is_empty());
    }

    #[test]
    fn a_held_gate_keeps_the_status_and_records_the_outcome() {
        let mut results = vec![measured("fast", 100), measured("slow", 900)];
        assert!(apply_ratio_gates(&mut results, &thresholds(), &PairedGates::new()).is_empty());
        assert_eq!(results[0].status, Status::Pass);
        assert!(results[0].thresholds[0].ok);
    }

    #[test]
    fn a_gate_is_not_judged_without_its_partner_or_when_either_was_skipped() {
        let mut alone = vec![measured("fast", 100)];
        assert!(apply_ratio_gates(&mut alone, &thresholds(), &PairedGates::new()).is_empty());
        assert!(alone[0].thresholds.is_empty());
        let mut skipped_partner = vec![measured("fast", 100), measured("slow", 1)];
        skipped_partner[1].status = Status::Skip;
        assert!(
            apply_ratio_gates(&mut skipped_partner, &thresholds(), &PairedGates::new()).is_empty()
        );
        let mut skipped = vec![measured("fast", 100), measured("slow", 1)];
        skipped[0].status = Status::Skip;
        assert!(apply_ratio_gates(&mut skipped, &thresholds(), &PairedGates::new()).is_empty());
        let mut errored_partner = vec![measured("fast", 100), measured("slow", 1)];
        errored_partner[1].status = Status::Error;
        errored_partner[1].latency_us = None;
        assert_eq!(
            apply_ratio_gates(&mut errored_partner, &thresholds(), &PairedGates::new()),
            [(0, 0)]
        );
    }
}
