//! The plans the timed loop ran: which steps used PostgreSQL's generic plan (from the
//! per-step counts of custom and generic executions), the plans a generic-plan iteration
//! runs, and the plan verdict over every kind of plan that was timed. Pure: must not run
//! EXPLAIN or format tables.

use crate::config::Expectations;
use crate::db::prepared::PlanCounts;
use crate::explain::check::PlanCheck;
use crate::explain::plan::Plan;
use crate::explain::summary::verdict;
use crate::results::{PlanKind, PlanVerdict, TimedPlan};

/// Per step: true when the timed loop ran it with the generic plan at least once.
pub fn generic_steps(counts: &[PlanCounts]) -> Vec<bool> {
    counts.iter().map(|c| c.generic > 0).collect()
}

/// The counts of all steps together.
pub fn total(counts: &[PlanCounts]) -> PlanCounts {
    counts
        .iter()
        .fold(PlanCounts::default(), |sum, c| sum.plus(*c))
}

/// The plans of an iteration on generic plans: each step's generic plan where there is
/// one, its custom plan otherwise. None when no step has a generic plan.
pub fn generic_iteration(custom: &[Plan], generic: &[Option<Plan>]) -> Option<Vec<Plan>> {
    if generic.iter().all(Option::is_none) {
        return None;
    }
    let plans = custom
        .iter()
        .enumerate()
        .map(|(i, plan)| {
            generic
                .get(i)
                .cloned()
                .flatten()
                .unwrap_or_else(|| plan.clone())
        })
        .collect();
    Some(plans)
}

/// A failure of the generic plan as the verdict states it: "generic plan: …".
pub fn generic_failure(message: &str) -> String {
    format!("generic plan: {message}")
}

/// The plan verdict over every plan that was timed. The custom plan (explained with drawn
/// values) is checked as always; when the timed loop also ran a generic plan, `generic`
/// (its check) must hold too, and its failures are named "generic plan: …". A generic plan
/// that ran but could not be checked fails the verdict. `counts` are per step; empty when
/// unknown (then only the custom plan is reported).
pub fn timed_verdict(
    custom: &PlanCheck,
    generic: Option<&PlanCheck>,
    counts: &[PlanCounts],
    expect: &Expectations,
    drift: Option<String>,
) -> PlanVerdict {
    let mut result = verdict(custom, expect, drift);
    if counts.is_empty() {
        return result;
    }
    let executions = total(counts);
    result.timed.push(TimedPlan {
        kind: PlanKind::Custom,
        executions: executions.custom,
        ok: custom.ok,
        failures: custom.failures.clone(),
    });
    if executions.generic == 0 {
        return result;
    }
    let failures = match generic {
        Some(check) => check.failures.clone(),
        None => vec!["not checked: it could not be explained after the run".to_string()],
    };
    result
        .failures
        .extend(failures.iter().map(|f| generic_failure(f)));
    result.ok &= failures.is_empty();
    result.timed.push(TimedPlan {
        kind: PlanKind::Generic,
        executions: executions.generic,
        ok: failures.is_empty(),
        failures,
    });
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::NoSeqScan;
    use crate::explain::check::check;
    use crate::explain::plan::parse;

    fn counts(custom: u64, generic: u64) -> PlanCounts {
        PlanCounts { custom, generic }
    }

    fn plan(node: &str, relation: &str, index: Option<&str>) -> Plan {
        let mut json = serde_json::json!({ "Plan": {
            "Node Type": node, "Relation Name": relation, "Schema": "public", "Plan Rows": 1.0
        }});
        if let Some(index) = index {
            json["Plan"]["Index Name"] = serde_json::json!(index);
        }
        parse(&json).expect("a literal plan parses")
    }

    fn expect_index() -> Expectations {
        Expectations {
            indexes: vec!["gp_name".into()],
            no_seq_scan: NoSeqScan::AllTables,
            ..Expectations::default()
        }
    }

    #[test]
    fn only_steps_that_ran_a_generic_plan_are_explained_generically() {
        assert_eq!(
            generic_steps(&[counts(5, 995), counts(1000, 0)]),
            vec![true, false]
        );
        assert_eq!(total(&[counts(5, 995), counts(1000, 0)]), counts(1005, 995));
        assert!(generic_steps(&[]).is_empty());
    }

    #[test]
    fn a_generic_iteration_keeps_custom_plans_of_steps_without_a_generic_one() {
        let custom = vec![
            plan("Index Scan", "gp", Some("gp_name")),
            plan("Seq Scan", "b", None),
        ];
        let seq = plan("Seq Scan", "gp", None);
        assert_eq!(generic_iteration(&custom, &[None, None]), None);
        let mixed = generic_iteration(&custom, &[Some(seq.clone()), None]).expect("one generic");
        assert_eq!(mixed, vec![seq, custom[1].clone()]);
    }

    #[test]
    fn a_generic_seq_scan_fails_the_verdict_and_says_which_plan() {
        let custom = check(&plan("Index Scan", "gp", Some("gp_name")), &expect_index());
        let generic = check(&plan("Seq Scan", "gp", None), &expect_index());
        let verdict = timed_verdict(
            &custom,
            Some(&generic),
            &[counts(5, 995)],
            &expect_index(),
            None,
        );
        assert!(!verdict.ok);
        assert!(!verdict.failures.is_empty());
        assert!(
            verdict
                .failures
                .iter()
                .all(|f| f.starts_with("generic plan: ")),
            "{:?}",
            verdict.failures
        );
        assert!(
            verdict.failures.iter().any(|f| f.contains("public.gp")),
            "{:?}",
            verdict.failures
        );
        let kinds: Vec<_> = verdict
            .timed
            .iter()
            .map(|t| (t.kind, t.executions, t.ok))
            .collect();
        assert_eq!(
            kinds,
            vec![(PlanKind::Custom, 5, true), (PlanKind::Generic, 995, false)]
        );
    }

    #[test]
    fn agreeing_plans_pass_and_report_both_counts() {
        let index = check(&plan("Index Scan", "gp", Some("gp_name")), &expect_index());
        let verdict = timed_verdict(
            &index,
            Some(&index),
            &[counts(5, 95)],
            &expect_index(),
            None,
        );
        assert!(verdict.ok, "{:?}", verdict.failures);
        assert_eq!(verdict.timed.len(), 2);
        assert!(verdict.timed.iter().all(|t| t.ok && t.failures.is_empty()));
    }

    #[test]
    fn without_counts_or_generic_executions_only_the_custom_plan_is_judged() {
        let index = check(&plan("Index Scan", "gp", Some("gp_name")), &expect_index());
        let unknown = timed_verdict(&index, None, &[], &expect_index(), None);
        assert!(unknown.ok && unknown.timed.is_empty());
        let custom_only = timed_verdict(&index, None, &[counts(100, 0)], &expect_index(), None);
        assert!(custom_only.ok);
        assert_eq!(custom_only.timed.len(), 1);
    }

    #[test]
    fn a_generic_plan_that_ran_but_was_not_checked_fails() {
        let index = check(&plan("Index Scan", "gp", Some("gp_name")), &expect_index());
        let verdict = timed_verdict(&index, None, &[counts(0, 100)], &expect_index(), None);
        assert!(!verdict.ok);
        assert_eq!(
            verdict.failures,
            vec!["generic plan: not checked: it could not be explained after the run"]
        );
    }
}
