//! The results of a scale sweep (format `techspec-bench-scale/1`) and the pure judgement
//! of one scenario: fits of p50, p95 and buffers against sessions, the class that decides,
//! the projection and the `max_growth` gate. Must not measure, print or render.
//!
//! Which class decides: buffers (shared hit + read per execution, from EXPLAIN ANALYZE)
//! count the pages a plan touches and are the same on every run, while latency carries
//! fixed costs (round trip, parse, executor start-up) that flatten its exponent at small
//! sizes, and noise of a few per cent that moves k by ±0.1 over a short sweep. So when
//! buffers are known and positive at every level, their class decides; the p50 class
//! overrides it only when it is higher, its fit is clean (R² ≥ 0.98) and the lower end of
//! k's 95 % confidence interval lies above the buffers class's largest exponent
//! (constant 0.1, log 0.8, linear 1.2): latency can reveal growth that buffers miss
//! (CPU-bound work on the same pages), but noise can neither lower nor raise a class.
//! Without buffers at every level, the p50 fit decides alone.

use serde::{Deserialize, Serialize};

use super::{
    CONSTANT_BELOW, GrowthClass, LINEAR_FROM, PowerFit, Projection, WORSE_ABOVE, classify, t_975,
};
use crate::results::{DatabaseInfo, Status};

/// The `format` of the JSON sweep report.
pub const SCALE_FORMAT: &str = "techspec-bench-scale/1";
/// R² from which a p50 fit is clean enough to raise the class set by buffers.
pub const LATENCY_CLEAN_R2: f64 = 0.98;

/// A whole sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScaleReport {
    pub format: String,
    pub tool_version: String,
    pub started_at: String,
    pub database: DatabaseInfo,
    pub rng_seed: u64,
    /// The "now" of the generated data (RFC 3339).
    pub as_of: String,
    /// The size projections are made for.
    pub project: u64,
    pub levels: Vec<LevelInfo>,
    pub scenarios: Vec<ScenarioGrowth>,
    pub summary: ScaleSummary,
}

/// How one level's dataset was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelInfo {
    pub sessions: u64,
    /// `seeded` from empty, or `grown` from the level before.
    pub dataset: String,
    pub seed_s: f64,
    pub measure_s: f64,
}

/// One scenario at one level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelMeasure {
    pub sessions: u64,
    pub status: Status,
    pub p50_us: Option<f64>,
    pub p95_us: Option<f64>,
    /// Shared hit + read blocks per execution (all steps).
    pub buffers: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One measure's fit against sessions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GrowthFit {
    pub k: f64,
    pub k_stderr: Option<f64>,
    pub r2: f64,
    /// Levels fitted.
    pub points: usize,
    pub class: GrowthClass,
    pub projection: Projection,
}

/// What decided a scenario's class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    Buffers,
    Latency,
    BuffersRaisedByLatency,
}

/// One scenario across the sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioGrowth {
    pub name: String,
    pub group: String,
    pub max_growth: Option<GrowthClass>,
    pub levels: Vec<LevelMeasure>,
    pub p50: Option<GrowthFit>,
    pub p95: Option<GrowthFit>,
    pub buffers: Option<GrowthFit>,
    pub class: Option<GrowthClass>,
    pub basis: Option<Basis>,
    /// False when `max_growth` is exceeded or cannot be checked.
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Scenarios within their limit (or without one), over it, and without a class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScaleSummary {
    pub pass: usize,
    pub fail: usize,
    pub unclassified: usize,
}

impl ScaleSummary {
    pub fn of(scenarios: &[ScenarioGrowth]) -> ScaleSummary {
        let mut summary = ScaleSummary::default();
        for scenario in scenarios {
            if scenario.ok {
                summary.pass += 1;
            } else {
                summary.fail += 1;
            }
            if scenario.class.is_none() {
                summary.unclassified += 1;
            }
        }
        summary
    }
}

/// Fits one measure, with its projection to `project` sessions.
fn fit_measure(points: &[(f64, f64)], project: u64) -> Option<GrowthFit> {
    let (class, fit): (GrowthClass, PowerFit) = classify(points)?;
    Some(GrowthFit {
        k: fit.k,
        k_stderr: fit.k_stderr,
        r2: fit.r2,
        points: fit.points,
        class,
        projection: fit.project(project),
    })
}

/// The (sessions, value) points of the levels that have the value, or `None` unless
/// every level has it.
fn series(
    levels: &[LevelMeasure],
    value: impl Fn(&LevelMeasure) -> Option<f64>,
) -> Option<Vec<(f64, f64)>> {
    levels
        .iter()
        .map(|level| value(level).map(|v| (level.sessions as f64, v)))
        .collect()
}

/// The largest exponent of `class` (infinite for `worse`).
fn upper_bound(class: GrowthClass) -> f64 {
    match class {
        GrowthClass::Constant => CONSTANT_BELOW,
        GrowthClass::Log => LINEAR_FROM,
        GrowthClass::Linear => WORSE_ABOVE,
        GrowthClass::Worse => f64::INFINITY,
    }
}

/// Whether the p50 fit proves faster growth than `class`: a higher class, a clean fit
/// (R² ≥ 0.98) and the lower end of k's 95 % confidence interval above the class's
/// largest exponent (never from two levels, which give no interval).
fn raises(latency: &GrowthFit, class: GrowthClass) -> bool {
    let Some(stderr) = latency.k_stderr else {
        return false;
    };
    let lowest_k = latency.k - t_975(latency.points.saturating_sub(2)) * stderr;
    latency.class > class && latency.r2 >= LATENCY_CLEAN_R2 && lowest_k > upper_bound(class)
}

/// The deciding class and its basis (see the module documentation).
pub fn decide(
    p50: Option<&GrowthFit>,
    buffers: Option<&GrowthFit>,
) -> Option<(GrowthClass, Basis)> {
    match (buffers, p50) {
        (Some(b), Some(l)) if raises(l, b.class) => Some((l.class, Basis::BuffersRaisedByLatency)),
        (Some(b), _) => Some((b.class, Basis::Buffers)),
        (None, Some(l)) => Some((l.class, Basis::Latency)),
        (None, None) => None,
    }
}

/// Judges one scenario from its measures at every level.
pub fn judge(
    name: &str,
    group: &str,
    max_growth: Option<GrowthClass>,
    levels: Vec<LevelMeasure>,
    project: u64,
) -> ScenarioGrowth {
    let fit = |value: fn(&LevelMeasure) -> Option<f64>| {
        series(&levels, value).and_then(|points| fit_measure(&points, project))
    };
    let p50 = fit(|l| l.p50_us);
    let p95 = fit(|l| l.p95_us);
    let buffers = fit(|l| l.buffers.filter(|b| *b > 0).map(|b| b as f64));
    let decided = decide(p50.as_ref(), buffers.as_ref());
    let reason = gate_failure(
        max_growth,
        decided.map(|d| d.0),
        &levels,
        p50.as_ref(),
        buffers.as_ref(),
    );
    ScenarioGrowth {
        name: name.to_string(),
        group: group.to_string(),
        max_growth,
        ok: reason.is_none(),
        reason,
        class: decided.map(|d| d.0),
        basis: decided.map(|d| d.1),
        levels,
        p50,
        p95,
        buffers,
    }
}

/// Why `max_growth` fails, if it does.
fn gate_failure(
    limit: Option<GrowthClass>,
    class: Option<GrowthClass>,
    levels: &[LevelMeasure],
    p50: Option<&GrowthFit>,
    buffers: Option<&GrowthFit>,
) -> Option<String> {
    let limit = limit?;
    let Some(class) = class else {
        let why = levels
            .iter()
            .find_map(|l| {
                l.reason
                    .as_ref()
                    .map(|r| format!("at {} sessions: {r}", l.sessions))
            })
            .unwrap_or_else(|| "fewer than two levels with a latency".to_string());
        return Some(format!(
            "max_growth = \"{}\" cannot be checked: no growth class ({why})",
            limit.as_str()
        ));
    };
    if class <= limit {
        return None;
    }
    let exponent =
        |name: &str, fit: Option<&GrowthFit>| fit.map(|f| format!("{name} k = {:.2}", f.k));
    let evidence: Vec<String> = [exponent("buffers", buffers), exponent("p50", p50)]
        .into_iter()
        .flatten()
        .collect();
    Some(format!(
        "grows {} ({}) but max_growth = \"{}\"",
        class.as_str(),
        evidence.join(", "),
        limit.as_str()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(sessions: u64, p50: f64, buffers: Option<u64>) -> LevelMeasure {
        LevelMeasure {
            sessions,
            status: Status::Pass,
            p50_us: Some(p50),
            p95_us: Some(p50 * 1.5),
            buffers,
            reason: None,
        }
    }

    #[test]
    fn buffers_decide_when_latency_is_noisy() {
        // p50 wobbles (k 0.17, R² 0.18), buffers stay at 4 blocks: constant.
        let levels = vec![
            level(50, 100.0, Some(4)),
            level(200, 300.0, Some(4)),
            level(800, 160.0, Some(4)),
        ];
        let growth = judge(
            "by_id",
            "queries",
            Some(GrowthClass::Log),
            levels,
            1_000_000,
        );
        assert_eq!(growth.class, Some(GrowthClass::Constant));
        assert_eq!(growth.basis, Some(Basis::Buffers));
        assert!(growth.p50.as_ref().unwrap().r2 < LATENCY_CLEAN_R2);
        assert!(growth.ok);
        assert_eq!(growth.buffers.unwrap().projection.value, 4.0);
    }

    #[test]
    fn clean_latency_raises_the_class_and_fails_the_gate() {
        let levels = vec![
            level(100, 100.0, Some(4)),
            level(1_000, 1_000.0, Some(4)),
            level(10_000, 10_000.0, Some(4)),
        ];
        let growth = judge("sort", "queries", Some(GrowthClass::Log), levels, 100_000);
        assert_eq!(growth.class, Some(GrowthClass::Linear));
        assert_eq!(growth.basis, Some(Basis::BuffersRaisedByLatency));
        assert!(!growth.ok);
        assert_eq!(
            growth.reason.as_deref(),
            Some("grows linear (buffers k = 0.00, p50 k = 1.00) but max_growth = \"log\"")
        );
        let projection = growth.p50.unwrap().projection;
        assert!((projection.value - 100_000.0).abs() < 1e-6);
    }

    #[test]
    fn a_steep_but_uncertain_latency_does_not_raise_the_class() {
        // p50 k 1.30 ± 0.058 from three levels (R² 0.998): t(1) = 12.706 puts the lower end at 0.56,
        // not above linear's 1.2, so buffers (linear) decide.
        let levels = vec![
            level(50, 100.0, Some(19)),
            level(200, 700.0, Some(77)),
            level(800, 3_700.0, Some(304)),
        ];
        let growth = judge("like", "queries", None, levels, 1_000_000);
        let p50 = growth.p50.as_ref().unwrap();
        assert_eq!(p50.class, GrowthClass::Worse);
        assert!(p50.r2 >= LATENCY_CLEAN_R2);
        assert_eq!(growth.class, Some(GrowthClass::Linear));
        assert_eq!(growth.basis, Some(Basis::Buffers));
    }

    #[test]
    fn without_buffers_latency_decides_and_without_levels_nothing_does() {
        let levels = vec![level(100, 10.0, None), level(1_000, 100.0, Some(3))];
        let growth = judge("scan", "queries", None, levels, 10_000);
        assert_eq!(growth.class, Some(GrowthClass::Linear));
        assert_eq!(growth.basis, Some(Basis::Latency));
        assert!(growth.ok, "no limit, no failure");
        let mut broken = level(100, 1.0, None);
        broken.p50_us = None;
        broken.status = Status::Error;
        broken.reason = Some("relation \"t\" does not exist".to_string());
        let growth = judge("t", "queries", Some(GrowthClass::Linear), vec![broken], 10);
        assert_eq!(growth.class, None);
        assert_eq!(
            growth.reason.as_deref(),
            Some(
                "max_growth = \"linear\" cannot be checked: no growth class (at 100 sessions: relation \"t\" does not exist)"
            )
        );
        assert_eq!(
            ScaleSummary::of(&[growth]),
            ScaleSummary {
                pass: 0,
                fail: 1,
                unclassified: 1
            }
        );
    }
}
