//! The plan expectations a captured statement starts with, from the plans it has now:
//! the indexes every plan used (each custom plan of a few parameter draws, and the generic
//! plan a prepared statement may switch to), and a buffer budget above the most shared
//! buffers any of them read per execution. Pure: must not run EXPLAIN (`explain` does).

use crate::config::Expectations;
use crate::explain::check::buffers_per_execution;
use crate::explain::plan::Plan;

/// What the plans showed, for the file's comment.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanEvidence {
    pub expect: Expectations,
    /// The most shared buffers (hit + read) per execution over the plans, when known.
    pub buffers: Option<u64>,
    /// How many plans were looked at.
    pub plans: usize,
}

/// Expectations that hold for every plan of `plans` (each one statement's plan; at least
/// one): the indexes all of them use, and `max_buffers` = the most buffers read × `factor`
/// (rounded up, at least one more than read) when the plans were executed (ANALYZE).
pub fn derive(plans: &[Plan], factor: f64) -> PlanEvidence {
    let mut indexes: Vec<String> = plans.first().map(index_names).unwrap_or_default();
    for plan in plans.iter().skip(1) {
        let used = index_names(plan);
        indexes.retain(|index| used.contains(index));
    }
    let executed: Vec<u64> = plans
        .iter()
        .filter(|plan| plan.root.actual_loops.is_some())
        .map(|plan| buffers_per_execution(std::slice::from_ref(plan)))
        .collect();
    let buffers = executed.iter().copied().max();
    PlanEvidence {
        expect: Expectations {
            indexes,
            max_buffers: buffers.map(|most| budget(most, factor)),
            ..Expectations::default()
        },
        buffers,
        plans: plans.len(),
    }
}

/// The index names a plan scans, in plan order, once each.
fn index_names(plan: &Plan) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for node in plan.nodes().filter(|n| n.is_index_scan()) {
        if let Some(index) = &node.index
            && !names.contains(index)
        {
            names.push(index.clone());
        }
    }
    names
}

/// `most × factor` rounded up, at least `most + 1`.
fn budget(most: u64, factor: f64) -> u64 {
    ((most as f64 * factor).ceil() as u64).max(most + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn plan(index: Option<&str>, hit: u64) -> Plan {
        let mut node = json!({
            "Node Type": if index.is_some() { "Index Scan" } else { "Seq Scan" },
            "Relation Name": "t", "Schema": "public", "Plan Rows": 1,
            "Actual Rows": 1, "Actual Loops": 1, "Shared Hit Blocks": hit, "Shared Read Blocks": 0
        });
        if let Some(index) = index {
            node["Index Name"] = json!(index);
        }
        crate::explain::plan::parse(&json!([{ "Plan": node }])).unwrap()
    }

    #[test]
    fn indexes_are_those_every_plan_uses_and_buffers_the_most_read_times_the_factor() {
        let plans = [plan(Some("t_pkey"), 4), plan(Some("t_pkey"), 10)];
        let evidence = derive(&plans, 2.0);
        assert_eq!(evidence.expect.indexes, vec!["t_pkey".to_string()]);
        assert_eq!(evidence.buffers, Some(10));
        assert_eq!(evidence.expect.max_buffers, Some(20));
        assert_eq!(evidence.plans, 2);
    }

    #[test]
    fn an_index_one_plan_does_not_use_is_not_expected() {
        let evidence = derive(&[plan(Some("t_pkey"), 3), plan(None, 30)], 1.5);
        assert!(evidence.expect.indexes.is_empty());
        assert_eq!(evidence.expect.max_buffers, Some(45));
    }

    #[test]
    fn the_budget_is_above_what_was_read() {
        assert_eq!(budget(0, 2.0), 1);
        assert_eq!(budget(3, 1.2), 4);
        assert_eq!(budget(100, 1.5), 150);
    }
}
