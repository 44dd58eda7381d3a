//! The machine reference between two runs: how much faster or slower the machine and
//! server were now than then, from the reference probes both runs measured interleaved
//! with their scenarios (`db::reference`). A scenario's change against a baseline is
//! judged after dividing by this factor; a change of the whole run that the factor does
//! not explain is judged on its own. Pure: must not read files or render text.

use serde::{Deserialize, Serialize};

use super::regression::{BaselineComparison, Change};
use crate::db::reference::ROUND_TRIP_PROBE;
use crate::results::ScenarioResult;
use crate::stats::bootstrap::{SEED, windowed_quantile_spread};
use crate::stats::histogram::{Recorded, decode};
use crate::stats::history::median;
use crate::stats::two_sided_quantile;

/// How the machine moved between a baseline run and this one. The factor is the server
/// work probes' (CPU, buffer reads): a query is expected to take `factor ×` its time of
/// then on an unchanged database. The round trip probe is measured and shown but not
/// used: on a virtual machine a `SELECT 1` flips between a fast and a slow wake-up path
/// (28 µs and 85 µs p50 on the development machine) that longer queries do not follow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MachineReference {
    /// Round trip probe: p50 now / then (shown, not used).
    pub round_trip_factor: Option<f64>,
    /// Server work probes: geometric mean of their p50 now / then.
    pub work_factor: f64,
    /// Standard deviation of ln(work_factor) from the probes' own noise (their windows).
    pub log_spread: f64,
    /// Each probe's ratio, by name.
    pub probes: Vec<ProbeRatio>,
}

impl MachineReference {
    /// The machine factor a scenario's time is divided by.
    pub fn factor(&self) -> f64 {
        self.work_factor
    }
}

/// One probe's p50 now / then.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeRatio {
    pub name: String,
    pub ratio: f64,
}

/// The factor from the probes measured in both runs; `None` unless a server work probe
/// was measured in both (a baseline saved before probes existed).
pub fn machine_reference(
    now: &[ScenarioResult],
    then: &[ScenarioResult],
) -> Option<MachineReference> {
    let mut round_trip_factor = None;
    let (mut logs, mut noise) = (Vec::new(), 0.0);
    let mut probes = Vec::new();
    for probe in now {
        let Some(old) = then.iter().find(|t| t.name == probe.name) else {
            continue;
        };
        let (Some(new_p50), Some(old_p50)) = (p50(probe), p50(old)) else {
            continue;
        };
        let ratio = new_p50 / old_p50;
        if probe.name == ROUND_TRIP_PROBE {
            round_trip_factor = Some(ratio);
        } else {
            logs.push(ratio.ln());
            noise += relative_spread(probe).powi(2) + relative_spread(old).powi(2);
        }
        probes.push(ProbeRatio {
            name: probe.name.clone(),
            ratio,
        });
    }
    if logs.is_empty() {
        return None;
    }
    let k = logs.len() as f64;
    Some(MachineReference {
        round_trip_factor,
        work_factor: (logs.iter().sum::<f64>() / k).exp(),
        log_spread: (noise / (k * k)).sqrt(),
        probes,
    })
}

fn p50(result: &ScenarioResult) -> Option<f64> {
    result
        .latency_us
        .map(|l| l.p50 as f64)
        .filter(|value| *value > 0.0)
}

/// The relative spread of a probe's p50 from its windows (0 without windows).
fn relative_spread(result: &ScenarioResult) -> f64 {
    let windows: Option<Vec<Recorded>> = result
        .windows
        .iter()
        .map(|w| decode(w).ok().map(|h| Recorded::of(&h)))
        .collect();
    let spread = windows.and_then(|w| windowed_quantile_spread(&w, 0.5, SEED));
    match (spread, p50(result)) {
        (Some(spread), Some(value)) => spread / value,
        _ => 0.0,
    }
}

/// Fewest compared scenarios a whole-run change is judged from.
pub const MIN_RUN_WIDE_SCENARIOS: usize = 3;

/// The change of the whole run beyond what the machine reference explains.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunWideChange {
    /// Compared scenarios it was estimated from.
    pub scenarios: usize,
    /// Median over those scenarios of their p50 change, after the machine factor, in %.
    pub median_change_percent: f64,
    /// The machine reference it was judged with; `None` without one (the change is then
    /// raw, and a slower machine cannot be told from slower queries).
    pub machine: Option<MachineReference>,
    /// Regression when the median is beyond `--max-regression` and beyond the
    /// reference's own noise (95%).
    pub verdict: Change,
}

/// Judges the median p50 change over `comparisons` (each already divided by the machine
/// factor); `None` with fewer than `MIN_RUN_WIDE_SCENARIOS`.
pub fn run_wide_change(
    comparisons: &[&BaselineComparison],
    machine: Option<MachineReference>,
    max_percent: f64,
) -> Option<RunWideChange> {
    let logs: Vec<f64> = comparisons
        .iter()
        .filter_map(|c| c.percentiles.first())
        .filter_map(|p| p.change_percent)
        .map(|percent| (1.0 + percent / 100.0).max(1e-6).ln())
        .collect();
    if logs.len() < MIN_RUN_WIDE_SCENARIOS {
        return None;
    }
    let center = median(&logs);
    let noise = machine.as_ref().map_or(0.0, |m| m.log_spread);
    let low = center - two_sided_quantile(0.95) * noise;
    let limit = (1.0 + max_percent / 100.0).ln();
    let verdict = if center > limit && low > 0.0 {
        Change::Regression
    } else if center < -limit && center + two_sided_quantile(0.95) * noise < 0.0 {
        Change::Improvement
    } else {
        Change::Unchanged
    };
    Some(RunWideChange {
        scenarios: logs.len(),
        median_change_percent: center.exp_m1() * 100.0,
        machine,
        verdict,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::histogram::new_latency_histogram;
    use crate::bench::{encode_histogram, summarize};
    use crate::results::Status;
    use crate::verdict::regression::{Method, PercentileChange, RegressionLimits};

    fn probe(name: &str, p50: u64) -> ScenarioResult {
        let mut h = new_latency_histogram();
        for v in [p50 - 1, p50, p50 + 1] {
            h.record(v).unwrap();
        }
        let mut result =
            ScenarioResult::unmeasured(name, "(machine reference)", Status::Pass, String::new());
        result.latency_us = Some(summarize(&h));
        result.windows = vec![encode_histogram(&h), encode_histogram(&h)];
        result
    }

    fn changed(percent: f64) -> BaselineComparison {
        BaselineComparison {
            method: Method::Bootstrap,
            runs: 1,
            limits: RegressionLimits::default(),
            percentiles: vec![PercentileChange {
                percentile: "p50".into(),
                baseline_us: 100.0,
                current_us: 100.0 + percent,
                change_us: percent,
                change_percent: Some(percent),
                interval_us: None,
                z_score: None,
                machine_factor: None,
                verdict: Change::Unchanged,
                judged: true,
            }],
            buffers: None,
            plan: None,
            verdict: Change::Unchanged,
        }
    }

    #[test]
    fn the_factor_is_the_server_work_probes_and_the_round_trip_is_only_shown() {
        let then = [
            probe(ROUND_TRIP_PROBE, 100),
            probe("cpu", 1000),
            probe("scan", 500),
        ];
        let now = [
            probe(ROUND_TRIP_PROBE, 300),
            probe("cpu", 2000),
            probe("scan", 2000),
        ];
        let found = machine_reference(&now, &then).unwrap();
        assert!(
            (found.round_trip_factor.unwrap() - 3.0).abs() < 0.05,
            "{found:?}"
        );
        assert!((found.factor() - 8.0_f64.sqrt()).abs() < 0.05, "{found:?}");
        assert_eq!(found.probes.len(), 3);
        assert_eq!(machine_reference(&now, &[]), None);
        assert_eq!(machine_reference(&now[..1], &then), None, "no work probe");
    }

    #[test]
    fn a_whole_run_slower_than_the_machine_explains_is_a_regression() {
        let slower: Vec<BaselineComparison> = (0..8).map(|_| changed(50.0)).collect();
        let refs: Vec<&BaselineComparison> = slower.iter().collect();
        let found = run_wide_change(&refs, None, 10.0).unwrap();
        assert_eq!(found.verdict, Change::Regression);
        assert!((found.median_change_percent - 50.0).abs() < 1e-9);
        let mixed: Vec<BaselineComparison> = [50.0, 0.0, 1.0, -2.0, 3.0]
            .iter()
            .map(|p| changed(*p))
            .collect();
        let refs: Vec<&BaselineComparison> = mixed.iter().collect();
        assert_eq!(
            run_wide_change(&refs, None, 10.0).unwrap().verdict,
            Change::Unchanged
        );
        assert_eq!(run_wide_change(&refs[..2], None, 10.0), None);
    }

    #[test]
    fn a_noisy_reference_does_not_fail_a_run_within_its_noise() {
        let slower: Vec<BaselineComparison> = (0..8).map(|_| changed(15.0)).collect();
        let refs: Vec<&BaselineComparison> = slower.iter().collect();
        let noisy = MachineReference {
            round_trip_factor: None,
            work_factor: 1.0,
            log_spread: 0.2,
            probes: Vec::new(),
        };
        let found = run_wide_change(&refs, Some(noisy), 10.0).unwrap();
        assert_eq!(found.verdict, Change::Unchanged);
    }
}
