//! The machine reference: a few probes that measure how fast this machine and server are
//! right now without touching the schema (a round trip, a CPU-bound expression, a scan of
//! a system catalog). `run` measures them interleaved with the scenarios, window by
//! window, each within a small budget, so that a comparison with a baseline run can
//! divide out the machine's own change; only in a run that is compared or whose results
//! are kept (`--baseline`, `--json`, `--save-baseline`). This file holds their SQL (the tool's own, hence in `db/`). Must not judge.

use std::time::Duration;

use crate::config::model::{Expectations, LoadAmount, LoadShape, Origin, Protocol, Scenario, Step};

/// The group of every probe's result; no scenario file can have it (file stems have no
/// spaces or parentheses).
pub const REFERENCE_GROUP: &str = "(machine reference)";

/// The probe of the fixed cost of every statement: a round trip to the server.
pub const ROUND_TRIP_PROBE: &str = "reference_round_trip";

/// (name, SQL) of each probe: the round trip, then the probes of the server's own work
/// (CPU, and reading buffers).
const PROBES: [(&str, &str); 3] = [
    (ROUND_TRIP_PROBE, "SELECT 1"),
    (
        "reference_cpu",
        "SELECT sum(i * 7 % 13) FROM generate_series(1, 20000) AS i",
    ),
    (
        "reference_catalog_scan",
        "SELECT count(*) FROM pg_catalog.pg_attribute",
    ),
];
/// Each probe's measuring budget: it stops sooner once its p50 is within ±5%.
const PROBE_BUDGET: Duration = Duration::from_millis(150);

/// The probes, as scenarios the engine measures like any other, sent with `protocol`
/// (the run's `--protocol`, so they work wherever its scenarios do).
pub fn probes(protocol: Protocol) -> Vec<Scenario> {
    PROBES
        .iter()
        .enumerate()
        .map(|(index, (name, sql))| Scenario {
            name: (*name).to_string(),
            group: REFERENCE_GROUP.to_string(),
            description: Some("machine reference probe".to_string()),
            origin: Origin {
                file: "<built-in machine reference>".into(),
                line: index + 1,
            },
            load: LoadShape {
                amount: LoadAmount::Budget(PROBE_BUDGET),
                warmup: 5,
                clients: 1,
                rate: None,
            },
            steps: vec![Step {
                sql: (*sql).to_string(),
                params: Vec::new(),
                captures: Vec::new(),
            }],
            transaction: None,
            expect: Expectations::default(),
            statement_timeout: Duration::from_secs(30),
            max_growth: None,
            protocol,
        })
        .collect()
}

/// True for a probe's scenario or result group.
pub fn is_probe_group(group: &str) -> bool {
    group == REFERENCE_GROUP
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_touch_no_schema_of_the_application_and_are_marked() {
        for probe in probes(Protocol::Prepared) {
            assert!(is_probe_group(&probe.group));
            let sql = &probe.steps[0].sql;
            assert!(!sql.contains("tech_") && !sql.contains("shared."), "{sql}");
            assert_eq!(probe.load.clients, 1);
        }
    }
}
