//! Fixture `RunReport`s for the reporter tests: one scenario of each status, one with
//! steps, one with a rate (service time). Must not touch a database or the file system.

use std::collections::BTreeMap;

use techspec_bench::config::{Metric, parse_threshold};
use techspec_bench::results::{
    DatabaseInfo, LatencySummary, PlanVerdict, RESULTS_FORMAT, RunReport, ScenarioResult, Status,
    StepResult, Summary, ThresholdOutcome,
};

/// Latencies around `p50` microseconds, with a plausible tail.
pub fn latency(p50: u64) -> LatencySummary {
    LatencySummary {
        min: p50 * 8 / 10,
        mean: p50 as f64 * 1.05,
        p50,
        p90: p50 * 13 / 10,
        p95: p50 * 3 / 2,
        p99: p50 * 2,
        p99_9: p50 * 3,
        max: p50 * 4,
        stddev: p50 as f64 * 0.2,
    }
}

fn measured(name: &str, group: &str, status: Status, p50: u64) -> ScenarioResult {
    ScenarioResult {
        name: name.to_string(),
        group: group.to_string(),
        status,
        reason: None,
        iterations: 1000,
        errors: 0,
        duration_s: 0.25,
        throughput_per_s: 4000.0,
        errors_per_s: 0.0,
        latency_us: Some(latency(p50)),
        error_latency_us: None,
        service_time_us: None,
        schedule_lag_us: None,
        thresholds: Vec::new(),
        plan: None,
        steps: Vec::new(),
        histogram: Some("SGlzdG9ncmFt".to_string()),
        windows: Vec::new(),
        pair_ratios: Vec::new(),
        budget_s: None,
        precision: None,
        buffers: None,
        definition: None,
        baseline: None,
        protocol: None,
    }
}

fn index_plan(index: &str) -> PlanVerdict {
    PlanVerdict {
        ok: true,
        indexes_used: vec![index.to_string()],
        seq_scans: Vec::new(),
        expect: format!("index {index}"),
        failures: Vec::new(),
        drift: None,
        fingerprint: None,
        timed: Vec::new(),
    }
}

fn threshold(expr: &str, ok: bool, actual: f64) -> ThresholdOutcome {
    ThresholdOutcome {
        threshold: parse_threshold(expr, Metric::P95).expect("a valid threshold"),
        actual: Some(actual),
        ok,
        interval: None,
        paired: None,
    }
}

/// A pass with a threshold and an index plan.
pub fn passing() -> ScenarioResult {
    let mut result = measured("session_by_id", "queries", Status::Pass, 850);
    result.thresholds = vec![threshold("p95 < 5ms", true, 1275.0)];
    result.plan = Some(index_plan("tech_spec_sessions_pkey"));
    result
}

/// A fail: a broken p95 threshold and a sequential scan.
pub fn failing() -> ScenarioResult {
    let mut result = measured("session_list_by_status", "queries", Status::Fail, 8_200);
    result.reason = Some("p95 12.3ms ≥ 5ms; plan: Seq Scan on public.tech_spec_sessions".into());
    result.thresholds = vec![
        threshold("p95 < 5ms", false, 12_300.0),
        threshold("errors == 0", true, 0.0),
    ];
    result.plan = Some(PlanVerdict {
        ok: false,
        indexes_used: Vec::new(),
        seq_scans: vec!["public.tech_spec_sessions".into()],
        expect: "index idx_session_status_created".into(),
        failures: vec![
            "expected index idx_session_status_created, got Seq Scan on public.tech_spec_sessions"
                .into(),
        ],
        drift: None,
        fingerprint: None,
        timed: Vec::new(),
    });
    result
}

/// A skip: the shared schema is absent.
pub fn skipped() -> ScenarioResult {
    ScenarioResult::unmeasured(
        "cross_schema_join",
        "cross_schema",
        Status::Skip,
        "relation shared.design_jobs does not exist".into(),
    )
}

/// An error: the scenario could not run.
pub fn errored() -> ScenarioResult {
    ScenarioResult::unmeasured(
        "design_outputs_load",
        "cross_schema",
        Status::Error,
        "prepare failed: syntax error at or near \"FORM\" (SQLSTATE 42601)".into(),
    )
}

/// A pass of two steps, each with its own latency.
pub fn with_steps() -> ScenarioResult {
    let mut result = measured("relationship_eager_load", "queries", Status::Pass, 2_400);
    result.thresholds = vec![threshold("p95 < 100ms", true, 3_600.0)];
    result.plan = Some(PlanVerdict {
        drift: Some("Index Scan became Bitmap Heap Scan".into()),
        ..index_plan("ix_tech_research_session_id")
    });
    result.steps = vec![
        StepResult {
            sql: "SELECT id FROM tech_spec_sessions WHERE status = $1 LIMIT 50".into(),
            latency_us: latency(900),
        },
        StepResult {
            sql: "SELECT * FROM tech_research WHERE session_id = ANY($1)".into(),
            latency_us: latency(1_400),
        },
    ];
    result
}

/// A pass at a fixed rate: latency from the scheduled start far above the service time.
pub fn with_service_time() -> ScenarioResult {
    let mut result = measured(
        "conversation_history_at_rate",
        "queries",
        Status::Pass,
        45_000,
    );
    result.throughput_per_s = 50.0;
    result.duration_s = 2.0;
    result.iterations = 100;
    result.service_time_us = Some(latency(19_000));
    result.thresholds = vec![threshold("throughput > 40/s", true, 50.0)];
    result
}

/// A report of the given scenarios with a fixed date and target, summary computed.
pub fn report_of(scenarios: Vec<ScenarioResult>) -> RunReport {
    let mut dataset = BTreeMap::new();
    dataset.insert("tech_spec_sessions".to_string(), 10_000);
    dataset.insert("tech_research".to_string(), 30_000);
    RunReport {
        format: RESULTS_FORMAT.to_string(),
        tool_version: "0.1.0".to_string(),
        started_at: "2026-11-27T10:00:00Z".to_string(),
        database: DatabaseInfo {
            server_version: "15.18".to_string(),
            target: "postgresql://postgres@/postgres?host=/tmp/techspec-bench-x".to_string(),
            throwaway: true,
            notes: vec!["fsync=off".to_string()],
        },
        dataset,
        summary: Summary::of(&scenarios),
        scenarios,
        rng_seed: None,
        seed: None,
        machine: None,
        commit: None,
        against: None,
        reference: Vec::new(),
        run_change: None,
    }
}

/// Every status, steps and service time in one report.
pub fn full_report() -> RunReport {
    report_of(vec![
        passing(),
        failing(),
        skipped(),
        errored(),
        with_steps(),
        with_service_time(),
    ])
}
