//! A synthetic history of results files for `trend`: `runs` runs of four scenarios, an
//! hour apart, each with real histograms over eight measurement windows and a commit;
//! `session_by_id` gets 40% slower from run `step_at` on (the injected step), the plan of
//! `session_list_by_status` changes at run `plan_at`, and `conversation_history` fails
//! the gate in every run divisible by 25. Shared by the integration tests and by
//! `examples/trend_history.rs` (the screenshot script); uses only the public library.

use std::path::{Path, PathBuf};

use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal};
use techspec_bench::bench::histogram::new_latency_histogram;
use techspec_bench::bench::{encode_histogram, summarize};
use techspec_bench::report::{JsonReporter, Reporter};
use techspec_bench::results::{
    PlanVerdict, RESULTS_FORMAT, RunReport, ScenarioResult, Status, Summary,
};

/// Where the history's events are, by 1-based run number.
#[derive(Debug, Clone, Copy)]
pub struct Events {
    pub step_at: usize,
    pub plan_at: usize,
}

/// (name, median µs, spread of ln latency).
const SCENARIOS: [(&str, f64, f64); 4] = [
    ("session_by_id", 900.0, 0.25),
    ("session_list_by_status", 4_000.0, 0.35),
    ("conversation_history", 2_500.0, 0.3),
    ("relationship_eager_load", 12_000.0, 0.4),
];

/// Writes `runs` files `run-NNN.json` into `directory`; returns their paths, oldest first.
pub fn write_history(directory: &Path, runs: usize, events: Events) -> Vec<PathBuf> {
    std::fs::create_dir_all(directory).expect("the history directory");
    (1..=runs)
        .map(|number| {
            let report = run(number, events);
            let path = directory.join(format!("run-{number:03}.json"));
            let bytes = JsonReporter.render(&report).expect("renders");
            std::fs::write(&path, bytes).expect("writes the run");
            path
        })
        .collect()
}

fn run(number: usize, events: Events) -> RunReport {
    let mut rng = ChaCha8Rng::seed_from_u64(number as u64);
    let scenarios: Vec<ScenarioResult> = SCENARIOS
        .iter()
        .map(|&(name, median, spread)| {
            let slower = name == "session_by_id" && number >= events.step_at;
            let median = if slower { median * 1.4 } else { median };
            // The machine's mood of the day: a run-wide factor within ±4%.
            let mood = 1.0 + 0.04 * ((number * 7919 % 17) as f64 / 8.0 - 1.0);
            let mut result = scenario(name, median * mood, spread, &mut rng);
            let plan = if name == "session_list_by_status" && number >= events.plan_at {
                "0:Limit 1:Sort 2:Seq Scan on public.tech_spec_sessions"
            } else {
                "0:Limit 1:Index Scan using idx_session_status_created on public.tech_spec_sessions"
            };
            result.plan = Some(PlanVerdict {
                ok: true,
                fingerprint: Some(plan.to_string()),
                ..PlanVerdict::default()
            });
            if name == "conversation_history" && number.is_multiple_of(25) {
                result.status = Status::Fail;
                result.reason = Some("p95 above its threshold".into());
            }
            result
        })
        .collect();
    RunReport {
        format: RESULTS_FORMAT.into(),
        tool_version: "0.1.0".into(),
        started_at: format!(
            "2026-{:02}-{:02}T{:02}:00:00Z",
            1 + number / 672,
            1 + number / 24 % 28,
            number % 24
        ),
        commit: Some(format!("{:040x}", number as u128 * 0x9e37_79b9_7f4a_7c15)),
        summary: Summary::of(&scenarios),
        scenarios,
        ..RunReport::default()
    }
}

/// One scenario measured in eight windows of 250 log-normal latencies.
fn scenario(name: &str, median: f64, spread: f64, rng: &mut ChaCha8Rng) -> ScenarioResult {
    let distribution = LogNormal::new(median.ln(), spread).expect("a valid spread");
    let mut whole = new_latency_histogram();
    let mut windows = Vec::new();
    for _ in 0..8 {
        let mut window = new_latency_histogram();
        for _ in 0..250 {
            let value = distribution.sample(rng).max(1.0) as u64;
            window.record(value).expect("records");
            whole.record(value).expect("records");
        }
        windows.push(encode_histogram(&window));
    }
    let mut result = ScenarioResult::unmeasured(name, "queries", Status::Pass, String::new());
    result.reason = None;
    result.iterations = whole.len();
    result.duration_s = 1.0;
    result.throughput_per_s = whole.len() as f64;
    result.latency_us = Some(summarize(&whole));
    result.histogram = Some(encode_histogram(&whole));
    result.windows = windows;
    result
}
