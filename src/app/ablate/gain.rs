//! The arithmetic of an ablation: speed-up and cost ratios, their interval from repeated
//! batches, the noise rule, the candidates to drop, and the summary of the plan a query
//! falls back to. Pure: must not talk to the database or format numbers for display.

use serde::Serialize;

use crate::explain::plan::{Plan, PlanNode};

/// A gain (or cost) below this ratio is treated as noise whatever its interval.
pub const MIN_MEANINGFUL_RATIO: f64 = 1.2;

/// One batch's latency percentile (p95 for reads, p50 for writes) with and without the
/// object, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BatchLatency {
    pub with_us: u64,
    pub without_us: u64,
}

/// A ratio with its 95 % interval over the batches.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Ratio {
    pub value: f64,
    /// Lower bound of its 95 % interval, from the spread of the per-batch ratios.
    pub low: f64,
    /// Upper bound of the same interval.
    pub high: f64,
}

impl Ratio {
    /// True when the ratio is not shown to exceed 1: below [`MIN_MEANINGFUL_RATIO`], or an
    /// interval that reaches 1.0.
    pub fn is_noise(&self) -> bool {
        self.value < MIN_MEANINGFUL_RATIO || self.low <= 1.0
    }
}

/// `numerator / denominator` of two latencies in µs (a 0 µs latency counts as 1 µs).
pub fn ratio(numerator: u64, denominator: u64) -> f64 {
    numerator.max(1) as f64 / denominator.max(1) as f64
}

/// The p95 speed-up `without / with` (> 1 when the object makes the query faster): the
/// overall value from the merged histograms, the interval from the paired batches' p95.
pub fn speed_up(with_p95: u64, without_p95: u64, batches: &[BatchLatency]) -> Ratio {
    let per_batch: Vec<f64> = batches
        .iter()
        .map(|b| ratio(b.without_us, b.with_us))
        .collect();
    with_interval(ratio(without_p95, with_p95), &per_batch)
}

/// The p50 write cost `with / without` (> 1 when maintaining or checking the object slows
/// the write): as [`speed_up`] the other way round, with the batches' p50.
pub fn write_cost(with_p50: u64, without_p50: u64, batches: &[BatchLatency]) -> Ratio {
    let per_batch: Vec<f64> = batches
        .iter()
        .map(|b| ratio(b.with_us, b.without_us))
        .collect();
    with_interval(ratio(with_p50, without_p50), &per_batch)
}

/// `value` with a 95 % interval on the log scale: `value · exp(± t · s/√n)`, where `s` is
/// the standard deviation of the log per-batch ratios (the batch-means estimate of the
/// noise). Fewer than two batches give a point interval.
fn with_interval(value: f64, per_batch: &[f64]) -> Ratio {
    let logs: Vec<f64> = per_batch.iter().map(|r| r.ln()).collect();
    let n = logs.len();
    if n < 2 {
        return Ratio {
            value,
            low: value,
            high: value,
        };
    }
    let mean = logs.iter().sum::<f64>() / n as f64;
    let variance = logs.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let half_width = t_quantile_975(n - 1) * (variance / n as f64).sqrt();
    Ratio {
        value,
        low: value * (-half_width).exp(),
        high: value * half_width.exp(),
    }
}

/// The 97.5 % quantile of Student's t with `df` degrees of freedom (df ≥ 1).
fn t_quantile_975(df: usize) -> f64 {
    const TABLE: [f64; 10] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    ];
    TABLE.get(df.saturating_sub(1)).copied().unwrap_or(1.96)
}

/// One index's measured gains, for the candidate rule.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexGain<'a> {
    pub index: &'a str,
    /// Backs a primary key or unique constraint: it enforces correctness, never a candidate.
    pub enforces_constraint: bool,
    pub gain: Ratio,
}

/// Indexes whose gain is noise on every scenario that uses them, sorted and without
/// duplicates. Constraint indexes are never candidates.
pub fn candidates_to_drop(gains: &[IndexGain]) -> Vec<String> {
    let mut names: Vec<&str> = gains
        .iter()
        .filter(|g| !g.enforces_constraint)
        .map(|g| g.index)
        .collect();
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .filter(|name| {
            gains
                .iter()
                .filter(|g| g.index == *name)
                .all(|g| g.gain.is_noise())
        })
        .map(str::to_string)
        .collect()
}

/// How the plans read `table` once the object is gone, e.g. "Limit > Sort > Seq Scan on
/// tech_spec_sessions": per step, the node types from the root down to the first node that
/// reads the table (at most four, the lowest kept), distinct steps joined by "; "; steps
/// that do not read the table are left out. When no step reads it any more, the roots.
pub fn fallback_summary(plans: &[Plan], table: &str) -> String {
    let paths: Vec<Vec<&PlanNode>> = plans
        .iter()
        .filter_map(|plan| path_to_table(&plan.root, table))
        .collect();
    let paths = match paths.is_empty() {
        true => plans.iter().map(|plan| vec![&plan.root]).collect(),
        false => paths,
    };
    let mut summaries: Vec<String> = Vec::new();
    for path in paths {
        let summary = render_path(&path);
        if !summaries.contains(&summary) {
            summaries.push(summary);
        }
    }
    summaries.join("; ")
}

/// Nodes from `node` down to the first (depth-first) node that reads `table`.
fn path_to_table<'a>(node: &'a PlanNode, table: &str) -> Option<Vec<&'a PlanNode>> {
    if node.relation.as_ref().is_some_and(|r| r.matches(table)) {
        return Some(vec![node]);
    }
    node.children.iter().find_map(|child| {
        path_to_table(child, table).map(|mut path| {
            path.insert(0, node);
            path
        })
    })
}

const MAX_PATH_NODES: usize = 4;

fn render_path(path: &[&PlanNode]) -> String {
    let skipped = path.len().saturating_sub(MAX_PATH_NODES);
    let mut parts: Vec<String> = Vec::new();
    if skipped > 0 {
        parts.push("…".to_string());
    }
    for (position, node) in path.iter().enumerate().skip(skipped) {
        parts.push(if position + 1 == path.len() {
            access_node(node)
        } else {
            node.display_type()
        });
    }
    parts.join(" > ")
}

/// "Seq Scan on tech_spec_sessions", "Index Scan using x on shared.design_jobs".
fn access_node(node: &PlanNode) -> String {
    let mut text = node.display_type();
    if let Some(index) = &node.index {
        text.push_str(&format!(" using {index}"));
    }
    if let Some(relation) = &node.relation {
        match relation.schema.as_deref() {
            Some("public") | None => text.push_str(&format!(" on {}", relation.name)),
            Some(_) => text.push_str(&format!(" on {relation}")),
        }
    }
    text
}

/// Shared hit + read blocks of all the plans' root nodes (children included).
pub fn total_buffers(plans: &[Plan]) -> u64 {
    plans.iter().map(|p| p.root.shared_blocks()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explain::plan::parse;

    fn ratio_of(value: f64, low: f64) -> Ratio {
        Ratio {
            value,
            low,
            high: value * 2.0,
        }
    }

    #[test]
    fn ratios_treat_zero_microseconds_as_one() {
        assert_eq!(ratio(50, 10), 5.0);
        assert_eq!(ratio(10, 0), 10.0);
    }

    #[test]
    fn steady_batches_give_a_tight_interval_around_the_gain() {
        let batches = vec![
            BatchLatency {
                with_us: 100,
                without_us: 1000,
            };
            5
        ];
        let gain = speed_up(100, 1000, &batches);
        assert_eq!(gain.value, 10.0);
        assert!((gain.low - 10.0).abs() < 1e-9 && (gain.high - 10.0).abs() < 1e-9);
        assert!(!gain.is_noise());
    }

    #[test]
    fn an_interval_reaching_one_is_noise_even_with_a_large_gain() {
        let batches = [(100, 300), (100, 90), (100, 400), (100, 80), (100, 200)].map(
            |(with_us, without_us)| BatchLatency {
                with_us,
                without_us,
            },
        );
        let gain = speed_up(100, 200, &batches);
        assert_eq!(gain.value, 2.0);
        assert!(gain.low <= 1.0, "{gain:?}");
        assert!(gain.is_noise());
    }

    #[test]
    fn a_small_gain_is_noise_however_steady() {
        assert!(ratio_of(1.1, 1.05).is_noise());
        assert!(!ratio_of(1.5, 1.3).is_noise());
    }

    #[test]
    fn write_cost_is_with_over_without() {
        let batches = [BatchLatency {
            with_us: 30,
            without_us: 20,
        }];
        let cost = write_cost(30, 20, &batches);
        assert_eq!((cost.value, cost.low, cost.high), (1.5, 1.5, 1.5));
    }

    #[test]
    fn an_index_is_a_candidate_only_when_every_scenario_shows_noise() {
        let gain = |index, enforces_constraint, value| IndexGain {
            index,
            enforces_constraint,
            gain: ratio_of(value, value * 0.9),
        };
        let gains = [
            gain("ix_a", false, 1.0),
            gain("ix_a", false, 1.05),
            gain("ix_b", false, 1.0),
            gain("ix_b", false, 8.0),
            gain("pkey", true, 1.0),
        ];
        assert_eq!(candidates_to_drop(&gains), ["ix_a"]);
    }

    fn plan(json: serde_json::Value) -> Plan {
        parse(&serde_json::json!([{ "Plan": json }])).unwrap()
    }

    #[test]
    fn the_fallback_is_the_path_down_to_the_table() {
        let fallback = plan(serde_json::json!({
            "Node Type": "Limit",
            "Plans": [{ "Node Type": "Sort", "Plans": [{
                "Node Type": "Seq Scan", "Schema": "public",
                "Relation Name": "tech_spec_sessions", "Alias": "tech_spec_sessions"
            }]}]
        }));
        assert_eq!(
            fallback_summary(&[fallback.clone(), fallback], "tech_spec_sessions"),
            "Limit > Sort > Seq Scan on tech_spec_sessions"
        );
    }

    #[test]
    fn long_paths_keep_their_lowest_nodes_and_other_schemas_stay_qualified() {
        let deep = plan(serde_json::json!({
            "Node Type": "Limit", "Plans": [{ "Node Type": "Sort", "Plans": [{
            "Node Type": "Hash Join", "Plans": [{ "Node Type": "Hash", "Plans": [{
                "Node Type": "Index Scan", "Index Name": "design_jobs_pkey",
                "Schema": "shared", "Relation Name": "design_jobs", "Alias": "j"
            }]}]}]}]
        }));
        assert_eq!(
            fallback_summary(&[deep], "shared.design_jobs"),
            "… > Sort > Hash Join > Hash > Index Scan using design_jobs_pkey on shared.design_jobs"
        );
    }

    #[test]
    fn steps_that_do_not_read_the_table_are_left_out() {
        let first = plan(serde_json::json!({ "Node Type": "Limit" }));
        let second = plan(serde_json::json!({
            "Node Type": "Seq Scan", "Relation Name": "tech_research"
        }));
        assert_eq!(
            fallback_summary(&[first, second], "tech_research"),
            "Seq Scan on tech_research"
        );
    }

    #[test]
    fn the_interval_is_centred_on_the_overall_ratio() {
        let batches = [(100, 300), (100, 500)].map(|(with_us, without_us)| BatchLatency {
            with_us,
            without_us,
        });
        let gain = speed_up(100, 350, &batches);
        assert!((gain.low * gain.high - 3.5 * 3.5).abs() < 1e-6, "{gain:?}");
        assert!(gain.low < 3.5 && gain.high > 3.5);
    }

    #[test]
    fn a_plan_that_no_longer_reads_the_table_is_its_root() {
        let result = plan(serde_json::json!({ "Node Type": "Result" }));
        assert_eq!(fallback_summary(&[result], "tech_research"), "Result");
    }
}
