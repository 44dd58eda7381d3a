//! Renders a plan as a compact text tree: one line per node with relation, index, rows
//! estimated/actual, loops, buffers and time. Pure: must not print or colour.

use crate::config::Expectations;
use crate::explain::plan::{Plan, PlanNode};
use crate::explain::runner::ExplainedScenario;
use crate::explain::summary::describe;
use crate::explain::timed::generic_failure;
use crate::outcome::Outcome;

/// A scenario's section of `explain` output: a verdict line, then each step's SQL (for
/// multi-step scenarios), parameters and plan tree, then one line per failure.
pub fn scenario(name: &str, outcome: &Outcome<ExplainedScenario>, expect: &Expectations) -> String {
    match outcome {
        Outcome::Skip(reason) => format!("{name}  SKIP  {reason}\n"),
        Outcome::Error(reason) => format!("{name}  ERROR  {reason}\n"),
        Outcome::Ok(explained) => explained_scenario(name, explained, expect),
    }
}

fn explained_scenario(name: &str, explained: &ExplainedScenario, expect: &Expectations) -> String {
    let verdict = if explained.passes() { "PASS" } else { "FAIL" };
    let mut out = format!("{name}  {verdict}  expect: {}\n", describe(expect));
    let multi_step = explained.steps.len() > 1;
    for (number, step) in explained.steps.iter().enumerate() {
        if multi_step {
            out.push_str(&format!("  step {}: {}\n", number + 1, one_line(&step.sql)));
        }
        if !step.params.is_empty() {
            out.push_str(&format!("  params: {}\n", step.params.join(", ")));
        }
        if step.generic_plan.is_some() {
            out.push_str("  custom plan (for these values):\n");
        }
        for line in tree(&step.plan).lines() {
            out.push_str(&format!("  {line}\n"));
        }
        if let Some(generic) = &step.generic_plan {
            out.push_str("  generic plan (for any values):\n");
            for line in tree(generic).lines() {
                out.push_str(&format!("  {line}\n"));
            }
        }
    }
    for failure in &explained.check.failures {
        out.push_str(&format!("  FAIL: {failure}\n"));
    }
    out.push_str(&generic_failures(explained));
    out
}

/// The generic plan's broken expectations: failures when the server always uses it
/// (`force_generic_plan`), notes otherwise (it runs only if PostgreSQL switches to it).
fn generic_failures(explained: &ExplainedScenario) -> String {
    let Some(check) = &explained.generic_check else {
        return String::new();
    };
    let label = if explained.generic_plan_forced() {
        "FAIL"
    } else {
        "NOTE (if PostgreSQL switches to the generic plan)"
    };
    check
        .failures
        .iter()
        .map(|failure| format!("  {label}: {}\n", generic_failure(failure)))
        .collect()
}

/// SQL on one line, whitespace collapsed.
fn one_line(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The plan as indented lines, root first, then a line with planning and execution time.
pub fn tree(plan: &Plan) -> String {
    let mut out = String::new();
    for (depth, node) in plan.nodes_with_depth() {
        out.push_str(&"  ".repeat(depth));
        if depth > 0 {
            out.push_str("-> ");
        }
        out.push_str(&node_line(node));
        out.push('\n');
    }
    if let Some(summary) = timing_summary(plan) {
        out.push_str(&summary);
        out.push('\n');
    }
    out
}

/// "Index Scan using ix on public.t r  rows 3 est / 3 act x7  buffers 44 hit / 0 read  0.014 ms".
fn node_line(node: &PlanNode) -> String {
    let mut line = match &node.subplan_name {
        Some(name) => format!("{name}: {}", node.describe()),
        None => node.describe(),
    };
    line.push_str(&format!("  rows {} est", format_rows(node.plan_rows)));
    if node.never_executed() {
        line.push_str("  (never executed)");
        return line;
    }
    if let Some(actual) = node.actual_rows {
        line.push_str(&format!(" / {} act", format_rows(actual)));
    }
    if let Some(loops) = node.actual_loops.filter(|l| *l > 1.0) {
        line.push_str(&format!(" x{}", format_rows(loops)));
    }
    if let (Some(hit), Some(read)) = (node.shared_hit_blocks, node.shared_read_blocks) {
        line.push_str(&format!("  buffers {hit} hit / {read} read"));
    }
    if let Some(ms) = node.actual_total_time_ms {
        line.push_str(&format!("  {ms:.3} ms"));
    }
    line
}

fn timing_summary(plan: &Plan) -> Option<String> {
    match (plan.planning_time_ms, plan.execution_time_ms) {
        (None, None) => None,
        (planning, execution) => {
            let part = |label: &str, ms: Option<f64>| ms.map(|ms| format!("{label} {ms:.3} ms"));
            let parts: Vec<String> = [part("planning", planning), part("execution", execution)]
                .into_iter()
                .flatten()
                .collect();
            Some(parts.join(", "))
        }
    }
}

fn format_rows(rows: f64) -> String {
    if rows.fract() == 0.0 {
        format!("{rows:.0}")
    } else {
        format!("{rows}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explain::plan::tests::{ALL_FIXTURES, fixture};

    #[test]
    fn nested_loop_renders_one_indented_line_per_node_with_loops() {
        let text = tree(&fixture("nested_loop"));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5, "{text}");
        assert!(
            lines[0].starts_with("Limit  rows 20 est / 20 act  buffers 47 hit / 0 read  "),
            "{text}"
        );
        assert!(
            lines[1].starts_with("  -> Nested Loop  rows 6000 est / 20 act"),
            "{text}"
        );
        assert!(
            lines[3].starts_with(
                "    -> Index Scan using ix_tech_research_session_id on public.tech_research r  rows 3 est / 3 act x7  buffers 44 hit / 0 read"
            ),
            "{text}"
        );
        assert!(
            lines[4].starts_with("planning ") && lines[4].contains(", execution "),
            "{text}"
        );
    }

    #[test]
    fn subplans_are_labelled_and_parallel_nodes_named_as_in_text_explain() {
        let sub = tree(&fixture("subplan_initplan"));
        assert!(
            sub.contains("-> InitPlan 2 (returns $1): Aggregate"),
            "{sub}"
        );
        assert!(sub.contains("-> SubPlan 1: Aggregate"), "{sub}");
        let parallel = tree(&fixture("parallel_gather"));
        assert!(
            parallel.contains(
                "-> Parallel Seq Scan on public.tech_conversations  rows 424 est / 333 act x3"
            ),
            "{parallel}"
        );
        let insert = tree(&fixture("modify_table_insert"));
        assert!(
            insert.starts_with("Insert on public.tech_research  rows 0 est / 0 act"),
            "{insert}"
        );
    }

    #[test]
    fn never_executed_nodes_say_so() {
        let mut plan = fixture("nested_loop");
        plan.root.children[0].children[1].actual_loops = Some(0.0);
        assert!(tree(&plan).contains(
            "ix_tech_research_session_id on public.tech_research r  rows 3 est  (never executed)"
        ));
    }

    #[test]
    fn a_failed_scenario_shows_verdict_plan_and_failures() {
        use crate::config::NoSeqScan;
        use crate::explain::check::check;
        use crate::explain::runner::StepPlan;
        let expect = Expectations {
            no_seq_scan: NoSeqScan::AllTables,
            ..Expectations::default()
        };
        let plan = fixture("seq_scan_like");
        let explained = ExplainedScenario {
            check: check(&plan, &expect),
            steps: vec![StepPlan {
                sql: "SELECT 1".into(),
                params: vec![],
                plan,
                generic_plan: None,
            }],
            diagnoses: vec![],
            fingerprint: String::new(),
            generic_check: None,
            plan_cache_mode: None,
        };
        let text = scenario("like", &Outcome::Ok(explained), &expect);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "like  FAIL  expect: no seq scan");
        assert!(
            lines[1]
                .starts_with("  Seq Scan on public.tech_conversations  rows 1017 est / 1000 act"),
            "{text}"
        );
        assert_eq!(
            lines[3],
            "  FAIL: expected no Seq Scan, but public.tech_conversations is read by Seq Scan"
        );
        let skipped = Outcome::Skip("relation shared.design_jobs does not exist".into());
        assert_eq!(
            scenario("x", &skipped, &expect),
            "x  SKIP  relation shared.design_jobs does not exist\n"
        );
    }

    #[test]
    fn a_generic_plan_is_shown_beside_the_custom_one_and_fails_only_when_forced() {
        use crate::config::NoSeqScan;
        use crate::explain::check::check;
        use crate::explain::runner::StepPlan;
        let expect = Expectations {
            no_seq_scan: NoSeqScan::AllTables,
            ..Expectations::default()
        };
        let custom = fixture("index_scan_status");
        let generic = fixture("seq_scan_like");
        let mut explained = ExplainedScenario {
            check: check(&custom, &expect),
            steps: vec![StepPlan {
                sql: "SELECT 1".into(),
                params: vec![],
                plan: custom,
                generic_plan: Some(generic.clone()),
            }],
            diagnoses: vec![],
            fingerprint: String::new(),
            generic_check: Some(check(&generic, &expect)),
            plan_cache_mode: Some("auto".into()),
        };
        let auto = scenario("s", &Outcome::Ok(explained.clone()), &expect);
        assert!(auto.starts_with("s  PASS"), "{auto}");
        assert!(
            auto.contains("  custom plan (for these values):\n"),
            "{auto}"
        );
        assert!(
            auto.contains("  generic plan (for any values):\n"),
            "{auto}"
        );
        assert!(
            auto.contains("  NOTE (if PostgreSQL switches to the generic plan): generic plan: expected no Seq Scan"),
            "{auto}"
        );
        explained.plan_cache_mode = Some("force_generic_plan".into());
        let forced = scenario("s", &Outcome::Ok(explained), &expect);
        assert!(forced.starts_with("s  FAIL"), "{forced}");
        assert!(
            forced.contains("  FAIL: generic plan: expected no Seq Scan"),
            "{forced}"
        );
    }

    #[test]
    fn every_fixture_renders_a_line_per_node() {
        for kind in ALL_FIXTURES {
            let plan = fixture(kind);
            assert_eq!(
                tree(&plan).lines().count(),
                plan.nodes().count() + 1,
                "{kind}"
            );
        }
    }
}
