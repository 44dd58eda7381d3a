//! Unit tests of the regression decisions, on fixed histograms and a fixed bootstrap seed.

use super::*;
use crate::bench::histogram::new_latency_histogram;
use crate::bench::{encode_histogram, summarize};
use crate::results::Status;
use crate::verdict::machine::MachineReference;
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

/// A measured scenario whose `count` latencies are spread ±20% around `center` µs.
fn measured(center: f64, count: usize, seed: u64, buffers: Option<u64>) -> ScenarioResult {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut histogram = new_latency_histogram();
    for _ in 0..count {
        histogram
            .record((center * rng.random_range(0.8..1.2)) as u64)
            .unwrap();
    }
    let mut result = ScenarioResult::unmeasured("s", "g", Status::Pass, String::new());
    result.reason = None;
    result.latency_us = Some(summarize(&histogram));
    result.histogram = Some(encode_histogram(&histogram));
    result.buffers = buffers;
    result
}

fn limits() -> RegressionLimits {
    RegressionLimits::default()
}

#[test]
fn the_same_distribution_is_unchanged() {
    let (old, new) = (
        measured(1_000.0, 2_000, 1, Some(40)),
        measured(1_000.0, 2_000, 2, Some(40)),
    );
    let found = compare_scenario(&new, &[&old], &[], limits()).unwrap();
    assert_eq!(found.method, Method::Bootstrap);
    assert_eq!(found.verdict, Change::Unchanged, "{found:#?}");
    assert_eq!(found.percentiles.len(), 3);
    assert_eq!(found.buffers.unwrap().ratio, Some(1.0));
}

#[test]
fn a_slowdown_beyond_both_limits_is_a_regression() {
    let (old, new) = (
        measured(1_000.0, 2_000, 1, None),
        measured(1_300.0, 2_000, 2, None),
    );
    let found = compare_scenario(&new, &[&old], &[], limits()).unwrap();
    assert!(found.is_regression(), "{found:#?}");
    let p95 = &found.percentiles[1];
    assert_eq!(p95.percentile, "p95");
    assert!(p95.change_percent.unwrap() > 25.0, "{p95:?}");
    assert!(p95.interval_us.unwrap().low > 50.0, "{p95:?}");
}

#[test]
fn a_large_relative_change_of_a_tiny_latency_is_not_a_regression() {
    // 40 µs -> 60 µs is +50% but only 20 µs: below --min-regression 50us.
    let (old, new) = (
        measured(40.0, 2_000, 1, None),
        measured(60.0, 2_000, 2, None),
    );
    let found = compare_scenario(&new, &[&old], &[], limits()).unwrap();
    assert_eq!(found.verdict, Change::Unchanged, "{found:#?}");
}

#[test]
fn a_speedup_is_an_improvement_and_never_fails() {
    let (old, new) = (
        measured(2_000.0, 2_000, 1, Some(50)),
        measured(1_000.0, 2_000, 2, Some(20)),
    );
    let found = compare_scenario(&new, &[&old], &[], limits()).unwrap();
    assert_eq!(found.verdict, Change::Improvement);
    assert!(!found.is_regression());
    assert_eq!(found.buffers.unwrap().verdict, Change::Improvement);
}

#[test]
fn more_buffers_fail_whatever_the_timing() {
    let (old, new) = (
        measured(1_000.0, 2_000, 1, Some(10)),
        measured(1_000.0, 2_000, 2, Some(16)),
    );
    let found = compare_scenario(&new, &[&old], &[], limits()).unwrap();
    assert_eq!(found.buffers.unwrap().verdict, Change::Regression);
    assert!(found.is_regression());
    assert_eq!(judge_buffers(10, 15, 1.5), Change::Unchanged);
    assert_eq!(
        judge_buffers(1, 2, 1.5),
        Change::Unchanged,
        "one more buffer is noise"
    );
    assert_eq!(judge_buffers(0, 2, 1.5), Change::Regression);
}

#[test]
fn a_history_uses_the_spread_between_runs() {
    let runs: Vec<ScenarioResult> = [1_000.0, 1_100.0, 950.0, 1_050.0]
        .iter()
        .zip(1..)
        .map(|(&center, seed)| measured(center, 2_000, seed, Some(40)))
        .collect();
    let history: Vec<&ScenarioResult> = runs.iter().collect();
    let within = measured(1_080.0, 2_000, 9, Some(40));
    let found = compare_scenario(&within, &history, &[], limits()).unwrap();
    assert_eq!((found.method, found.runs), (Method::History, 4));
    assert_eq!(found.verdict, Change::Unchanged, "{found:#?}");
    assert!(found.percentiles[1].z_score.is_some());
    let far = measured(2_000.0, 2_000, 9, Some(40));
    assert!(
        compare_scenario(&far, &history, &[], limits())
            .unwrap()
            .is_regression()
    );
}

#[test]
fn the_decision_needs_both_the_relative_change_and_the_lower_bound() {
    let interval = |low, high| Some(Interval { low, high });
    let l = limits();
    assert_eq!(
        judge_latency(200.0, Some(20.0), interval(60.0, 300.0), l),
        Change::Regression
    );
    assert_eq!(
        judge_latency(200.0, Some(20.0), interval(10.0, 300.0), l),
        Change::Unchanged
    );
    assert_eq!(
        judge_latency(200.0, Some(5.0), interval(60.0, 300.0), l),
        Change::Unchanged
    );
    assert_eq!(
        judge_latency(-200.0, Some(-20.0), interval(-300.0, -60.0), l),
        Change::Improvement
    );
    assert_eq!(judge_latency(80.0, None, None, l), Change::Regression);
}

#[test]
fn nothing_to_compare_without_latency_on_either_side() {
    let skipped = ScenarioResult::unmeasured("s", "g", Status::Skip, "no table".into());
    let measured = measured(1_000.0, 100, 1, None);
    assert_eq!(
        compare_scenario(&skipped, &[&measured], &[], limits()),
        None
    );
    assert_eq!(
        compare_scenario(&measured, &[&skipped], &[], limits()),
        None
    );
    assert_eq!(compare_scenario(&measured, &[], &[], limits()), None);
}

/// A measured scenario of 8 windows of 125 latencies, window w around `centers[w]` µs
/// (±20%), with the whole-run histogram and summary made from the same values.
fn windowed(centers: [f64; 8], seed: u64) -> ScenarioResult {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut whole = new_latency_histogram();
    let mut windows = Vec::new();
    for center in centers {
        let mut window = new_latency_histogram();
        for _ in 0..125 {
            let value = (center * rng.random_range(0.8..1.2)) as u64;
            window.record(value).unwrap();
            whole.record(value).unwrap();
        }
        windows.push(encode_histogram(&window));
    }
    let mut result = ScenarioResult::unmeasured("s", "g", Status::Pass, String::new());
    result.reason = None;
    result.latency_us = Some(summarize(&whole));
    result.histogram = Some(encode_histogram(&whole));
    result.windows = windows;
    result
}

#[test]
fn connection_noise_seen_in_the_windows_is_not_a_regression() {
    // Each window's connection ran at 100 µs or 300 µs: 5 of 8 fast before, 3 of 8 now.
    let old = windowed([100.0, 300.0, 100.0, 100.0, 300.0, 100.0, 300.0, 100.0], 1);
    let new = windowed([300.0, 100.0, 300.0, 300.0, 100.0, 300.0, 300.0, 100.0], 2);
    let found = compare_scenario(&new, &[&old], &[], limits()).unwrap();
    assert_eq!(found.verdict, Change::Unchanged, "{found:#?}");
    // The same values without their windows look like a regression of the median.
    let (mut old_flat, mut new_flat) = (old.clone(), new.clone());
    old_flat.windows.clear();
    new_flat.windows.clear();
    let flat = compare_scenario(&new_flat, &[&old_flat], &[], limits()).unwrap();
    assert!(flat.is_regression(), "{flat:#?}");
}

#[test]
fn a_slowdown_in_every_window_is_a_regression() {
    let old = windowed([1_000.0; 8], 1);
    let new = windowed([1_500.0; 8], 2);
    let found = compare_scenario(&new, &[&old], &[], limits()).unwrap();
    assert!(found.is_regression(), "{found:#?}");
    assert!(
        found.percentiles[0].interval_us.unwrap().low > 400.0,
        "{found:#?}"
    );
}

/// A machine reference whose round trip and server work both moved by `factor`.
fn machine(factor: f64) -> MachineReference {
    MachineReference {
        round_trip_factor: None,
        work_factor: factor,
        log_spread: 0.02,
        probes: Vec::new(),
    }
}

#[test]
fn a_machine_slower_by_the_reference_factor_is_not_a_regression() {
    let (old, new) = (windowed([1_000.0; 8], 1), windowed([1_300.0; 8], 2));
    let raw = compare_scenario(&new, &[&old], &[], limits()).unwrap();
    assert!(raw.is_regression(), "{raw:#?}");
    let divided = compare_scenario(&new, &[&old], &[Some(machine(1.3))], limits()).unwrap();
    assert_eq!(divided.verdict, Change::Unchanged, "{divided:#?}");
    let p50 = &divided.percentiles[0];
    assert!((p50.machine_factor.unwrap() - 1.3).abs() < 1e-9, "{p50:?}");
    assert!(p50.change_percent.unwrap().abs() < 5.0, "{p50:?}");
    assert!(
        (p50.current_us - 1_300.0).abs() < 30.0,
        "the value shown stays measured"
    );
}

#[test]
fn a_scenario_slower_than_its_machine_is_still_a_regression() {
    let (old, new) = (windowed([2_000.0; 8], 3), windowed([6_000.0; 8], 4));
    let found = compare_scenario(&new, &[&old], &[Some(machine(1.3))], limits()).unwrap();
    assert!(found.is_regression(), "{found:#?}");
    // The reference's own noise widens the interval.
    let noisy = MachineReference {
        log_spread: 0.3,
        ..machine(1.3)
    };
    let wide = compare_scenario(&new, &[&old], &[Some(noisy)], limits()).unwrap();
    let width = |c: &BaselineComparison| {
        let i = c.percentiles[0].interval_us.unwrap();
        i.high - i.low
    };
    assert!(width(&wide) > 2.0 * width(&found), "{wide:#?}");
}
