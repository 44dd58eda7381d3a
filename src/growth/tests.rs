//! Unit tests of the growth fit, classes and projections, with exact numbers.

use super::*;

fn close(actual: f64, expected: f64, tolerance: f64) {
    assert!(
        (actual - expected).abs() <= tolerance,
        "{actual} is not {expected} ± {tolerance}"
    );
}

const SWEEP: [f64; 4] = [100.0, 1_000.0, 10_000.0, 100_000.0];

fn points(f: impl Fn(f64) -> f64) -> Vec<(f64, f64)> {
    SWEEP.iter().map(|n| (*n, f(*n))).collect()
}

#[test]
fn an_exact_power_law_is_recovered() {
    let fit = fit_power(&points(|n| 3.0 * n.powf(0.75))).unwrap();
    close(fit.k, 0.75, 1e-12);
    close(fit.ln_a, 3f64.ln(), 1e-9);
    close(fit.r2, 1.0, 1e-12);
    close(fit.k_stderr.unwrap(), 0.0, 1e-9);
    close(fit.predict(1e6), 3.0 * 1e6f64.powf(0.75), 1e-6);
}

#[test]
fn a_noisy_sweep_gives_exponent_quality_and_a_prediction_interval() {
    let measured = [
        (100.0, 10.0),
        (1_000.0, 21.0),
        (10_000.0, 39.0),
        (100_000.0, 82.0),
    ];
    let fit = fit_power(&measured).unwrap();
    close(fit.k, 0.301_028_686_944, 1e-9);
    close(fit.ln_a, 0.928_342_521_102, 1e-9);
    close(fit.r2, 0.998_731_452_893, 1e-9);
    close(fit.k_stderr.unwrap(), 0.007_586_156_930, 1e-9);
    let projection = fit.project(1_000_000);
    assert_eq!(projection.sessions, 1_000_000);
    close(projection.value, 161.937_024_797, 1e-6);
    close(projection.low.unwrap(), 124.146_619_390, 1e-3);
    close(projection.high.unwrap(), 211.230_882_717, 1e-3);
}

#[test]
fn two_points_fit_but_give_no_uncertainty() {
    let fit = fit_power(&[(100.0, 5.0), (1_000.0, 50.0)]).unwrap();
    close(fit.k, 1.0, 1e-12);
    assert_eq!(fit.k_stderr, None);
    let projection = fit.project(10_000);
    close(projection.value, 500.0, 1e-9);
    assert_eq!((projection.low, projection.high), (None, None));
}

#[test]
fn unusable_points_are_not_fitted() {
    assert!(fit_power(&[(100.0, 5.0)]).is_none());
    assert!(fit_power(&[(100.0, 5.0), (100.0, 6.0)]).is_none());
    assert!(fit_power(&[(100.0, 0.0), (1_000.0, 6.0)]).is_none());
    assert!(fit_power(&[(100.0, f64::NAN), (1_000.0, 6.0)]).is_none());
}

#[test]
fn flat_values_are_constant_with_a_perfect_fit() {
    let (class, fit) = classify(&points(|_| 42.0)).unwrap();
    assert_eq!(class, GrowthClass::Constant);
    close(fit.k, 0.0, 1e-12);
    close(fit.r2, 1.0, 1e-12);
}

#[test]
fn a_logarithm_is_log_below_the_threshold_and_by_comparison_above_it() {
    // 5 + 2 ln n: k 0.098 -> constant (a gently rising log is indistinguishable)
    let (class, fit) = classify(&points(|n| 5.0 + 2.0 * n.ln())).unwrap();
    close(fit.k, 0.097_994_648_833, 1e-9);
    assert_eq!(class, GrowthClass::Constant);
    // b-tree depth 3, 3, 4 blocks over 50, 200, 800: k 0.104 -> log
    let (class, fit) = classify(&[(50.0, 3.0), (200.0, 3.0), (800.0, 4.0)]).unwrap();
    close(fit.k, 0.103_759_374_820, 1e-9);
    assert_eq!(class, GrowthClass::Log);
    // -40 + 10 ln n: k 0.354, but the logarithm fits exactly -> log
    let (class, fit) = classify(&points(|n| -40.0 + 10.0 * n.ln())).unwrap();
    close(fit.k, 0.353_510_291_057, 1e-9);
    assert_eq!(class, GrowthClass::Log);
}

#[test]
fn powers_are_linear_or_worse() {
    let class = |k: f64| classify(&points(|n| 2.0 * n.powf(k))).unwrap().0;
    assert_eq!(
        class(0.5),
        GrowthClass::Linear,
        "sqrt: the power fits better"
    );
    assert_eq!(class(0.8), GrowthClass::Linear);
    assert_eq!(class(1.0), GrowthClass::Linear);
    assert_eq!(class(1.2), GrowthClass::Linear);
    assert_eq!(class(1.5), GrowthClass::Worse);
    assert_eq!(class(0.09), GrowthClass::Constant);
    assert_eq!(class(0.2), GrowthClass::Log);
}

#[test]
fn classes_order_from_slowest_and_limits_parse() {
    assert!(GrowthClass::Constant < GrowthClass::Log);
    assert!(GrowthClass::Log < GrowthClass::Linear);
    assert!(GrowthClass::Linear < GrowthClass::Worse);
    assert_eq!(GrowthClass::parse_limit("log"), Some(GrowthClass::Log));
    assert_eq!(GrowthClass::parse_limit("worse"), None);
    for name in GrowthClass::LIMITS {
        assert_eq!(GrowthClass::parse_limit(name).unwrap().as_str(), name);
    }
}

#[test]
fn relative_errors_compare_models_on_one_scale() {
    let measured = [(10.0, 2.0), (100.0, 4.0)];
    close(relative_sse(&measured, |_| 3.0), 0.25 + 0.0625, 1e-12);
}

#[test]
fn student_quantiles_shrink_to_the_normal_one() {
    assert_eq!(t_975(1), 12.706);
    assert_eq!(t_975(2), 4.303);
    assert_eq!(t_975(30), 2.042);
    assert_eq!(t_975(31), 1.960);
}
