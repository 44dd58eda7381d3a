//! Unit and property tests of the threshold grammar. Must not touch files.

use proptest::prelude::*;

use super::*;

fn parse(text: &str) -> ThresholdExpr {
    parse_threshold(text, Metric::P95).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

fn parse_error(text: &str) -> String {
    match parse_threshold(text, Metric::P95) {
        Ok(expr) => panic!("{text:?} parsed as {expr:?}"),
        Err(message) => message,
    }
}

#[test]
fn a_bare_latency_means_the_default_metric_below_it() {
    let expr = parse("5ms");
    assert_eq!(
        (expr.metric, expr.comparison, expr.limit),
        (Metric::P95, Comparison::Lt, 5_000.0)
    );
    assert_eq!(expr.text, "p95 < 5ms");
    let p99 = parse_threshold("2s", Metric::P99).expect("parses");
    assert_eq!(p99.text, "p99 < 2s");
}

#[test]
fn the_documented_examples_parse_to_canonical_text() {
    for (input, canonical, limit) in [
        ("p95 < 30ms", "p95 < 30ms", 30_000.0),
        ("errors == 0", "errors == 0", 0.0),
        ("throughput > 500/s", "throughput > 500/s", 500.0),
        ("p99.9 <= 1.5s", "p99.9 <= 1.5s", 1_500_000.0),
        ("mean < 800us", "mean < 800us", 800.0),
        ("max<800µs", "max < 800us", 800.0),
        ("  p50   >=  2 ms ", "p50 >= 2ms", 2_000.0),
        ("min > 0.5ms", "min > 0.5ms", 500.0),
        ("p90 < 100μs", "p90 < 100us", 100.0),
    ] {
        let expr = parse(input);
        assert_eq!(expr.text, canonical, "{input}");
        assert_eq!(expr.limit, limit, "{input}");
    }
}

#[test]
fn bare_counts_and_rates_use_the_natural_direction() {
    let errors = parse_threshold("3", Metric::Errors).expect("errors");
    assert_eq!(errors.text, "errors <= 3");
    let rate = parse_threshold("100/s", Metric::Throughput).expect("throughput");
    assert_eq!(rate.text, "throughput >= 100/s");
}

#[test]
fn an_unknown_metric_lists_the_metrics_and_suggests_one() {
    let message = parse_error("p98 < 5ms");
    assert!(message.contains("unknown metric `p98`"), "{message}");
    assert!(message.contains("did you mean"), "{message}");
    assert!(message.contains(METRIC_NAMES), "{message}");
    assert!(parse_error("erors == 0").contains("did you mean `errors`?"));
}

#[test]
fn a_bad_or_missing_unit_is_explained() {
    let unknown = parse_error("p95 < 5sec");
    assert!(
        unknown.contains("unknown unit `sec`") && unknown.contains("us µs ms s"),
        "{unknown}"
    );
    assert!(parse_error("p95 < 5").contains("missing unit"));
    assert!(parse_error("5").contains("missing unit"));
    assert!(parse_error("errors == 1ms").contains("takes no unit"));
    assert!(parse_error("errors < 0.5").contains("whole number"));
    assert!(parse_error("throughput > 500").contains("per second"));
}

#[test]
fn bad_comparisons_and_numbers_are_explained() {
    assert!(parse_error("p95 = 5ms").contains("write `==`"));
    assert!(parse_error("p95 5ms").contains("expected a comparison"));
    assert!(parse_error("p95 < ms").contains("expected a number"));
    assert!(parse_error("p95 < 1.2.3ms").contains("not a number"));
    assert!(parse_error("p95 <").contains("found nothing"));
    assert!(parse_error("").contains("empty threshold"));
    assert!(parse_error("p95 < 5ms extra").contains("unknown unit"));
    assert!(parse_error("p95 < -5ms").contains("never negative"));
    assert!(parse_error("-1/s").contains("never negative"));
    let huge = format!("p95 < {}ms", "9".repeat(400));
    assert!(parse_error(&huge).contains("too large"));
}

#[test]
fn comparisons_hold_and_break_as_written() {
    assert!(Comparison::Lt.holds(1.0, 2.0) && !Comparison::Lt.holds(2.0, 2.0));
    assert!(Comparison::Le.holds(2.0, 2.0) && !Comparison::Le.holds(3.0, 2.0));
    assert!(Comparison::Gt.holds(3.0, 2.0) && !Comparison::Gt.holds(2.0, 2.0));
    assert!(Comparison::Ge.holds(2.0, 2.0) && !Comparison::Ge.holds(1.0, 2.0));
    assert!(Comparison::Eq.holds(0.0, 0.0) && !Comparison::Eq.holds(1.0, 0.0));
}

fn metric_strategy() -> impl Strategy<Value = Metric> {
    proptest::sample::select(
        METRICS
            .iter()
            .map(|(metric, _)| *metric)
            .collect::<Vec<_>>(),
    )
}

fn comparison_strategy() -> impl Strategy<Value = Comparison> {
    proptest::sample::select(vec![
        Comparison::Lt,
        Comparison::Le,
        Comparison::Gt,
        Comparison::Ge,
        Comparison::Eq,
    ])
}

fn spaces() -> impl Strategy<Value = String> {
    "[ \t]{0,3}"
}

proptest! {
    #[test]
    fn any_valid_expression_round_trips(
        metric in metric_strategy(),
        comparison in comparison_strategy(),
        whole in 0u32..100_000,
        fraction in proptest::option::of(0u32..1000),
        unit_index in 0usize..LATENCY_UNITS.len(),
        gaps in proptest::collection::vec(spaces(), 4),
    ) {
        let (number, value) = match (metric, fraction) {
            (Metric::Errors | Metric::Buffers, _) | (_, None) => (whole.to_string(), f64::from(whole)),
            (_, Some(fraction)) => {
                let text = format!("{whole}.{fraction:03}");
                let value: f64 = text.parse().expect("number");
                (text, value)
            }
        };
        let (unit, scale) = match metric {
            Metric::Errors | Metric::Buffers => ("", 1.0),
            Metric::Throughput => ("/s", 1.0),
            _ => (LATENCY_UNITS[unit_index].0, LATENCY_UNITS[unit_index].1),
        };
        let text = format!(
            "{}{}{}{}{}{number}{}{unit}{}",
            gaps[0], metric.name(), gaps[1], comparison.symbol(), gaps[2], gaps[3], gaps[0]
        );
        let expr = parse_threshold(&text, Metric::P95).expect("valid expression parses");
        prop_assert_eq!(expr.metric, metric);
        prop_assert_eq!(expr.comparison, comparison);
        prop_assert!((expr.limit - value * scale).abs() <= 1e-9 * (value * scale).max(1.0));
        let again = parse_threshold(&expr.text, Metric::Max).expect("canonical text parses");
        prop_assert_eq!(again, expr);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,40}") {
        let _ = parse_threshold(&text, Metric::P95);
    }

    #[test]
    fn grammar_shaped_noise_never_panics(text in "[pe0-9.<>=!/ µmsu]{0,20}") {
        let _ = parse_threshold(&text, Metric::Throughput);
    }
}
