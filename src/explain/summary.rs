//! Turns a plan check into what reports show: the verdict, the expectation in words and a
//! shape fingerprint for plan-drift detection. Pure: must not run EXPLAIN or format tables.

use crate::config::{Expectations, NoSeqScan};
use crate::explain::check::PlanCheck;
use crate::explain::plan::Plan;
use crate::results::PlanVerdict;

/// The plan verdict written into results (`plan` in the JSON): the check, plus the drift
/// message when the plan changed during the run, which fails the verdict too.
pub fn verdict(check: &PlanCheck, expect: &Expectations, drift: Option<String>) -> PlanVerdict {
    PlanVerdict {
        ok: check.ok && drift.is_none(),
        indexes_used: check.indexes_used.clone(),
        seq_scans: check.seq_scans.clone(),
        expect: describe(expect),
        failures: check.failures.clone(),
        drift,
        fingerprint: None,
        timed: Vec::new(),
    }
}

/// The expectations in words: "index idx_x; no seq scan". "none" when nothing is expected.
pub fn describe(expect: &Expectations) -> String {
    let mut parts = Vec::new();
    match expect.indexes.as_slice() {
        [] => {}
        [one] => parts.push(format!("index {one}")),
        many => parts.push(format!("indexes {}", many.join(", "))),
    }
    if !expect.any_index_on.is_empty() {
        parts.push(format!("any index on {}", expect.any_index_on.join(", ")));
    }
    match &expect.no_seq_scan {
        NoSeqScan::Off => {}
        NoSeqScan::AllTables => parts.push("no seq scan".to_string()),
        NoSeqScan::Tables(tables) => parts.push(format!("no seq scan on {}", tables.join(", "))),
    }
    if let Some(node) = &expect.node {
        parts.push(format!("node {node}"));
    }
    if let Some(max) = expect.max_buffers {
        parts.push(format!("max buffers {max}"));
    }
    if let Some(max) = expect.max_row_estimate_error {
        parts.push(format!("row estimate error <= {max}x"));
    }
    if parts.is_empty() {
        "none".to_string()
    } else {
        parts.join("; ")
    }
}

/// The shape of the plans (node types, relations, indexes; no numbers), one step per
/// `|`-separated part. Two runs with the same parameters and the same plan give the
/// same fingerprint, so `run` compares before and after to detect plan drift.
pub fn plan_fingerprint(plans: &[Plan]) -> String {
    let steps: Vec<String> = plans
        .iter()
        .map(|plan| {
            let nodes: Vec<String> = plan
                .nodes_with_depth()
                .map(|(depth, node)| format!("{depth}:{}", node.describe()))
                .collect();
            nodes.join(" ")
        })
        .collect();
    steps.join(" | ")
}

/// The plan-drift message when two fingerprints (before and after a run) differ, naming
/// the first step whose plan changed.
pub fn drift(before: &str, after: &str) -> Option<String> {
    if before == after {
        return None;
    }
    let steps = before.split(" | ").zip(after.split(" | ")).enumerate();
    let (step, (was, now)) = steps
        .clone()
        .find(|(_, (was, now))| was != now)
        .unwrap_or((0, (before, after)));
    let which = if before.contains(" | ") {
        format!("of step {} ", step + 1)
    } else {
        String::new()
    };
    Some(format!(
        "plan {which}changed during the run: before [{was}], after [{now}]"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explain::check::check;
    use crate::explain::plan::tests::fixture;

    #[test]
    fn describe_lists_each_expectation_in_order() {
        let expect = Expectations {
            indexes: vec!["idx_x".into()],
            any_index_on: vec!["tech_research".into()],
            no_seq_scan: NoSeqScan::AllTables,
            node: Some("Index Only Scan".into()),
            max_buffers: Some(100),
            max_row_estimate_error: Some(10.0),
        };
        assert_eq!(
            describe(&expect),
            "index idx_x; any index on tech_research; no seq scan; node Index Only Scan; max buffers 100; row estimate error <= 10x"
        );
        let two = Expectations {
            indexes: vec!["a".into(), "b".into()],
            no_seq_scan: NoSeqScan::Tables(vec!["t".into()]),
            ..Expectations::default()
        };
        assert_eq!(describe(&two), "indexes a, b; no seq scan on t");
        assert_eq!(describe(&Expectations::default()), "none");
    }

    #[test]
    fn verdict_copies_the_check() {
        let expect = Expectations {
            no_seq_scan: NoSeqScan::AllTables,
            ..Expectations::default()
        };
        let result = check(&fixture("seq_scan_like"), &expect);
        let verdict = verdict(&result, &expect, None);
        assert!(!verdict.ok);
        assert_eq!(verdict.seq_scans, ["public.tech_conversations"]);
        assert_eq!(verdict.expect, "no seq scan");
        assert_eq!(verdict.failures.len(), 1);
        assert_eq!(verdict.drift, None);
    }

    #[test]
    fn drift_fails_a_plan_that_passed_its_check() {
        let expect = Expectations::default();
        let result = check(&fixture("index_scan_status"), &expect);
        assert!(verdict(&result, &expect, None).ok);
        let drifted = verdict(&result, &expect, Some("plan changed".into()));
        assert!(!drifted.ok);
        assert_eq!(drifted.drift.as_deref(), Some("plan changed"));
        assert!(drifted.failures.is_empty());
    }

    #[test]
    fn drift_names_the_step_whose_plan_changed() {
        assert_eq!(drift("0:Limit", "0:Limit"), None);
        assert_eq!(
            drift("0:Index Scan using a on t", "0:Seq Scan on t").as_deref(),
            Some(
                "plan changed during the run: before [0:Index Scan using a on t], after [0:Seq Scan on t]"
            )
        );
        let two = drift(
            "0:Limit | 0:Index Scan using a on t",
            "0:Limit | 0:Seq Scan on t",
        )
        .unwrap();
        assert!(two.starts_with("plan of step 2 changed"), "{two}");
    }

    #[test]
    fn fingerprint_ignores_numbers_but_sees_shape() {
        let plan = fixture("nested_loop");
        let mut slower = plan.clone();
        slower.execution_time_ms = Some(999.0);
        slower.root.plan_rows = 12345.0;
        slower.root.shared_hit_blocks = Some(1);
        assert_eq!(
            plan_fingerprint(std::slice::from_ref(&plan)),
            plan_fingerprint(&[slower])
        );
        let mut other = plan.clone();
        other.root.children[0].children[1].index = Some("another_idx".into());
        assert_ne!(
            plan_fingerprint(std::slice::from_ref(&plan)),
            plan_fingerprint(&[other])
        );
        assert_eq!(
            plan_fingerprint(&[fixture("index_scan_status")]),
            "0:Limit 1:Index Scan using idx_session_status_created on public.tech_spec_sessions"
        );
        assert!(
            plan_fingerprint(&[fixture("index_only_scan"), fixture("seq_scan_like")])
                .contains(" | 0:Seq Scan")
        );
    }
}
