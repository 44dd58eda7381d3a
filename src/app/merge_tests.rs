//! Unit tests of `merge`: the arithmetic (counts add up, percentiles come from the merged
//! histogram, thresholds judged again) and the refusals, on results built in memory.

use super::*;
use crate::config::{Metric, parse_threshold};
use crate::results::{LatencySummary, StepResult, ThresholdOutcome};

fn histogram_of(values: &[(u64, u64)]) -> Histogram<u64> {
    let mut histogram = new_latency_histogram();
    for &(value, count) in values {
        histogram.record_n(value, count).unwrap();
    }
    histogram
}

/// A passing scenario measured as `values` (µs, count), judged by "p95 < 5ms".
fn measured(name: &str, values: &[(u64, u64)]) -> ScenarioResult {
    let histogram = histogram_of(values);
    let threshold = parse_threshold("p95 < 5ms", Metric::P95).unwrap();
    let latency = summarize(&histogram);
    ScenarioResult {
        status: Status::Pass,
        reason: None,
        iterations: histogram.len(),
        errors: 0,
        duration_s: 1.0,
        throughput_per_s: histogram.len() as f64,
        latency_us: Some(latency),
        thresholds: vec![ThresholdOutcome {
            actual: Some(latency.p95 as f64),
            ok: (latency.p95 as f64) < threshold.limit,
            interval: None,
            paired: None,
            threshold,
        }],
        plan: Some(PlanVerdict {
            ok: true,
            expect: "index x".into(),
            ..PlanVerdict::default()
        }),
        histogram: Some(encode_histogram(&histogram)),
        ..ScenarioResult::unmeasured(name, "queries", Status::Pass, String::new())
    }
}

fn input(path: &str, scenarios: Vec<ScenarioResult>) -> MergeInput {
    MergeInput {
        path: PathBuf::from(path),
        definition_hashes: vec![None; scenarios.len()],
        report: RunReport {
            format: RESULTS_FORMAT.into(),
            tool_version: "0.1.0".into(),
            started_at: format!("2026-01-0{}T00:00:00Z", path.len() % 9 + 1),
            database: DatabaseInfo::default(),
            dataset: Default::default(),
            rng_seed: None,
            seed: None,
            machine: None,
            commit: None,
            against: None,
            reference: Vec::new(),
            run_change: None,
            summary: Summary::of(&scenarios),
            scenarios,
        },
    }
}

#[test]
fn counts_add_up_and_percentiles_come_from_the_merged_histogram() {
    let a = input("a.json", vec![measured("s", &[(100, 900), (200, 100)])]);
    let b = input("b.json", vec![measured("s", &[(10_000, 1_000)])]);
    let merged = merge(&[a.clone(), b.clone()], None).unwrap().report;
    let result = &merged.scenarios[0];
    assert_eq!(result.iterations, 2_000);
    assert_eq!(result.throughput_per_s, 2_000.0);
    let expected = summarize(&histogram_of(&[(100, 900), (200, 100), (10_000, 1_000)]));
    assert_eq!(result.latency_us, Some(expected));
    // Half the samples are 10ms: the merged p50 is 200µs and p95 10ms, which no average of
    // the two files' percentiles (100µs/10ms, 200µs/10ms) gives.
    let latency: LatencySummary = result.latency_us.unwrap();
    assert_eq!((latency.p50, latency.min), (200, 100));
    assert!(latency.p95 >= 9_990 && latency.p95 <= 10_010, "{latency:?}");
    let back = decode_histogram(result.histogram.as_deref().unwrap()).unwrap();
    assert_eq!(back.len(), 2_000);
    assert_eq!(merged.summary.fail, 1);
}

#[test]
fn thresholds_are_judged_again_on_the_merged_values() {
    let a = input("a.json", vec![measured("s", &[(100, 1_000)])]);
    let b = input("b.json", vec![measured("s", &[(6_000, 1_000)])]);
    assert_eq!(a.report.scenarios[0].status, Status::Pass);
    let merged = merge(&[a.clone(), b], None).unwrap().report;
    let result = &merged.scenarios[0];
    assert_eq!(result.status, Status::Fail);
    assert!(!result.thresholds[0].ok);
    assert!(
        result.reason.as_deref().unwrap().contains("p95"),
        "{result:?}"
    );
    assert_eq!(verdict::gate_exit_code(&merged.summary, false), 1);
    let mut lenient = Thresholds::default();
    let limit = parse_threshold("p95 < 1s", Metric::P95).unwrap();
    lenient.by_scenario.insert("s".into(), vec![limit]);
    let again = merge(&[a.clone(), a], Some(&lenient)).unwrap().report;
    assert_eq!(again.scenarios[0].status, Status::Pass);
    assert_eq!(again.scenarios[0].thresholds[0].threshold.text, "p95 < 1s");
}

#[test]
fn errors_add_up_and_a_failed_plan_anywhere_fails() {
    let mut a = measured("s", &[(100, 10)]);
    a.errors = 2;
    a.plan.as_mut().unwrap().ok = false;
    a.plan.as_mut().unwrap().failures = vec!["Seq Scan on t".into()];
    let b = measured("s", &[(100, 10)]);
    let merged = merge(&[input("a.json", vec![a]), input("b.json", vec![b])], None).unwrap();
    let result = &merged.report.scenarios[0];
    assert_eq!((result.errors, result.status), (2, Status::Fail));
    let plan = result.plan.as_ref().unwrap();
    assert_eq!((plan.ok, plan.failures.len()), (false, 1));
}

#[test]
fn a_skip_or_error_on_one_machine_is_kept_with_its_file() {
    let skipped =
        ScenarioResult::unmeasured("s", "queries", Status::Skip, "no shared schema".into());
    let a = input("a.json", vec![measured("s", &[(100, 10)])]);
    let merged = merge(&[a, input("b.json", vec![skipped])], None).unwrap();
    let result = &merged.report.scenarios[0];
    assert_eq!(result.status, Status::Skip);
    assert_eq!(
        result.reason.as_deref(),
        Some("in b.json: no shared schema")
    );
}

#[test]
fn different_definitions_are_refused() {
    let a = input("a.json", vec![measured("s", &[(100, 10)])]);
    let mut moved = measured("s", &[(100, 10)]);
    moved.group = "other".into();
    let error = merge(&[a.clone(), input("b.json", vec![moved])], None).unwrap_err();
    assert!(matches!(error, Error::Config(_)));
    assert!(
        error.to_string().contains("group `queries` vs `other`"),
        "{error}"
    );

    let step = |sql: &str| StepResult {
        sql: sql.into(),
        latency_us: LatencySummary::default(),
    };
    let mut one = measured("s", &[(100, 10)]);
    one.steps = vec![step("SELECT 1"), step("SELECT 2")];
    let mut two = one.clone();
    two.steps[1] = step("SELECT 3");
    let error = merge(
        &[input("a.json", vec![one]), input("b.json", vec![two])],
        None,
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("the SQL of its steps"),
        "{error}"
    );

    let mut hashed = a.clone();
    hashed.definition_hashes = vec![Some(serde_json::json!("abc"))];
    let mut rehashed = a.clone();
    rehashed.path = "c.json".into();
    rehashed.definition_hashes = vec![Some(serde_json::json!("def"))];
    let error = merge(&[hashed.clone(), rehashed], None).unwrap_err();
    assert!(
        error.to_string().contains("definition \"abc\" vs \"def\""),
        "{error}"
    );
    assert!(
        merge(&[hashed, a], None).is_ok(),
        "a file without hashes is compared by fields"
    );
}

#[test]
fn different_scenario_sets_are_refused_naming_scenario_and_files() {
    let a = input(
        "a.json",
        vec![measured("s", &[(100, 10)]), measured("t", &[(1, 1)])],
    );
    let b = input("b.json", vec![measured("s", &[(100, 10)])]);
    let error = merge(&[a, b], None).unwrap_err().to_string();
    assert!(
        error.contains("scenario `t` is in a.json but not in b.json"),
        "{error}"
    );
}

#[test]
fn latencies_without_a_histogram_cannot_be_merged() {
    let mut bare = measured("s", &[(100, 10)]);
    bare.histogram = None;
    let a = input("a.json", vec![measured("s", &[(100, 10)])]);
    let error = merge(&[a, input("b.json", vec![bare])], None).unwrap_err();
    assert!(error.to_string().contains("no histogram"), "{error}");
}

#[test]
fn ratio_gates_are_judged_again_on_the_merged_scenarios() {
    // On each machine alone `fast` is 4x faster than `slow` (p50 100µs vs 400µs); merged,
    // machine b's slow `fast` (p50 300µs) breaks "faster_than slow by 2x".
    let gate = parse_threshold("p50 faster_than slow by 2x", Metric::P95).unwrap();
    let with_gate = |mut result: ScenarioResult, ok: bool| {
        result.thresholds.push(ThresholdOutcome {
            threshold: gate.clone(),
            actual: Some(4.0),
            ok,
            interval: None,
            paired: None,
        });
        result
    };
    let a = input(
        "a.json",
        vec![
            with_gate(measured("fast", &[(100, 1_000)]), true),
            measured("slow", &[(400, 1_000)]),
        ],
    );
    let b = input(
        "b.json",
        vec![
            with_gate(measured("fast", &[(300, 3_000)]), true),
            measured("slow", &[(400, 1_000)]),
        ],
    );
    let merged = merge(&[a, b], None).unwrap().report;
    let fast = &merged.scenarios[0];
    let ratios: Vec<&ThresholdOutcome> = fast
        .thresholds
        .iter()
        .filter(|t| t.threshold.is_ratio())
        .collect();
    assert_eq!(
        ratios.len(),
        1,
        "judged once, afresh: {:?}",
        fast.thresholds
    );
    assert!(!ratios[0].ok, "{:?}", ratios[0]);
    assert_eq!(fast.status, Status::Fail);
    assert!(
        fast.reason.as_deref().unwrap().contains("faster than slow"),
        "{fast:?}"
    );
}
