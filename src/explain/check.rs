//! Checks parsed plans against a scenario's `expect`: index, any_index_on, no_seq_scan,
//! node, max_buffers, max_row_estimate_error. Pure: must not run EXPLAIN or read the catalog.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::config::{Expectations, NoSeqScan};
use crate::explain::plan::{Plan, PlanNode, Relation};

/// The outcome of checking a scenario's plans (all steps) against its expectations.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PlanCheck {
    pub ok: bool,
    /// One message per broken expectation, naming the node and the relation.
    pub failures: Vec<String>,
    /// Index names read by Index Scan, Index Only Scan or Bitmap Index Scan, sorted.
    pub indexes_used: Vec<String>,
    /// Relations read by a Seq Scan ("schema.table" when known), sorted.
    pub seq_scans: Vec<String>,
    /// Failures that `diagnose` can explain by re-planning with seq scans off.
    #[serde(skip)]
    pub diagnosable: Vec<Diagnosable>,
}

/// A failure about an access path that was not chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnosable {
    /// Index into `PlanCheck::failures`.
    pub failure: usize,
    pub wanted: WantedPath,
}

/// The access path an expectation asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WantedPath {
    /// `index = "name"`.
    Index(String),
    /// `any_index_on = ["table"]`.
    AnyIndexOn(String),
}

impl WantedPath {
    /// True when `plans` satisfy this path.
    pub fn is_met(&self, plans: &[Plan]) -> bool {
        let nodes = || plans.iter().flat_map(Plan::nodes);
        match self {
            WantedPath::Index(index) => nodes().any(|n| uses_index(n, index)),
            WantedPath::AnyIndexOn(table) => {
                let reads: Vec<_> = nodes().filter(|n| reads_table(n, table)).collect();
                !reads.is_empty() && reads.iter().all(|n| is_index_access(n))
            }
        }
    }
}

/// The table each index belongs to, when known (from the catalog); sharpens messages.
pub type IndexTables = BTreeMap<String, Relation>;

/// Checks one plan.
pub fn check(plan: &Plan, expect: &Expectations) -> PlanCheck {
    check_plans(std::slice::from_ref(plan), expect, &IndexTables::new())
}

/// Checks the plans of all steps of a scenario together: an index expected anywhere is
/// satisfied by any step; a Seq Scan in any step breaks `no_seq_scan`; buffers add up.
pub fn check_plans(plans: &[Plan], expect: &Expectations, index_tables: &IndexTables) -> PlanCheck {
    let steps = Steps { plans };
    let mut result = PlanCheck {
        indexes_used: sorted(
            steps
                .nodes()
                .filter(|(_, n)| n.is_index_scan())
                .filter_map(|(_, n)| n.index.clone()),
        ),
        seq_scans: sorted(
            steps
                .nodes()
                .filter(|(_, n)| is_seq_scan(n))
                .filter_map(|(_, n)| relation_name(n)),
        ),
        ..PlanCheck::default()
    };
    for index in &expect.indexes {
        if let Some(message) = check_index(&steps, index, index_tables.get(bare(index))) {
            result.push_diagnosable(message, WantedPath::Index(index.clone()));
        }
    }
    for table in &expect.any_index_on {
        if let Some(message) = check_any_index_on(&steps, table) {
            result.push_diagnosable(message, WantedPath::AnyIndexOn(table.clone()));
        }
    }
    result
        .failures
        .extend(check_no_seq_scan(&steps, &expect.no_seq_scan));
    result.failures.extend(
        expect
            .node
            .as_deref()
            .and_then(|node| check_node(&steps, node)),
    );
    result.failures.extend(
        expect
            .max_buffers
            .and_then(|max| check_buffers(&steps, max)),
    );
    result.failures.extend(
        expect
            .max_row_estimate_error
            .and_then(|max| check_estimates(&steps, max)),
    );
    result.ok = result.failures.is_empty();
    result
}

impl PlanCheck {
    fn push_diagnosable(&mut self, message: String, wanted: WantedPath) {
        self.diagnosable.push(Diagnosable {
            failure: self.failures.len(),
            wanted,
        });
        self.failures.push(message);
    }
}

/// The plans of a scenario's steps, with step numbers for messages.
struct Steps<'a> {
    plans: &'a [Plan],
}

impl<'a> Steps<'a> {
    /// Every node of every step, with its 0-based step.
    fn nodes(&self) -> impl Iterator<Item = (usize, &'a PlanNode)> + '_ {
        self.plans
            .iter()
            .enumerate()
            .flat_map(|(step, plan)| plan.nodes().map(move |n| (step, n)))
    }

    /// "Seq Scan on public.t", with " (step 2)" when the scenario has several steps.
    fn describe(&self, step: usize, node: &PlanNode) -> String {
        if self.plans.len() > 1 {
            format!("{} (step {})", node.describe(), step + 1)
        } else {
            node.describe()
        }
    }

    /// How tables are read: "public.t is read by Seq Scan", joined for several reads.
    fn reads_of(&self, reads: &[(usize, &PlanNode)]) -> String {
        let items: Vec<String> = reads
            .iter()
            .map(|(step, node)| {
                let relation = relation_name(node).unwrap_or_default();
                let mut how = node.display_type();
                if let Some(index) = &node.index {
                    how.push_str(&format!(" using {index}"));
                }
                if self.plans.len() > 1 {
                    how.push_str(&format!(" (step {})", step + 1));
                }
                format!("{relation} is read by {how}")
            })
            .collect();
        items.join(", and ")
    }
}

fn check_index(steps: &Steps, index: &str, table: Option<&Relation>) -> Option<String> {
    if steps.nodes().any(|(_, n)| uses_index(n, index)) {
        return None;
    }
    let mut message = format!("expected index {index}, but ");
    match table {
        Some(table) => {
            let reads: Vec<_> = steps
                .nodes()
                .filter(|(_, n)| reads_table(n, &table.qualified()))
                .collect();
            if reads.is_empty() {
                message.push_str(&format!("its table {table} does not appear in the plan"));
            } else {
                message.push_str(&steps.reads_of(&reads));
            }
        }
        None => message.push_str(&without_index(steps)),
    }
    Some(message)
}

/// What the plan does instead, when the index's table is unknown.
fn without_index(steps: &Steps) -> String {
    let seq: Vec<_> = steps.nodes().filter(|(_, n)| is_seq_scan(n)).collect();
    if !seq.is_empty() {
        return steps.reads_of(&seq);
    }
    let scans: Vec<_> = steps
        .nodes()
        .filter(|(_, n)| n.relation.is_some())
        .collect();
    if scans.is_empty() {
        return "the plan reads no table".to_string();
    }
    steps.reads_of(&scans)
}

fn check_any_index_on(steps: &Steps, table: &str) -> Option<String> {
    let reads: Vec<_> = steps
        .nodes()
        .filter(|(_, n)| reads_table(n, table))
        .collect();
    if reads.is_empty() {
        return Some(format!(
            "expected {table} to be read through an index, but it does not appear in the plan"
        ));
    }
    let unindexed: Vec<_> = reads
        .into_iter()
        .filter(|(_, n)| !is_index_access(n))
        .collect();
    if unindexed.is_empty() {
        return None;
    }
    Some(format!(
        "expected {table} to be read through an index, but {}",
        steps.reads_of(&unindexed)
    ))
}

fn check_no_seq_scan(steps: &Steps, rule: &NoSeqScan) -> Vec<String> {
    let covered = |node: &PlanNode| match rule {
        NoSeqScan::Off => false,
        NoSeqScan::AllTables => true,
        NoSeqScan::Tables(tables) => tables.iter().any(|t| reads_table(node, t)),
    };
    steps
        .nodes()
        .filter(|(_, n)| is_seq_scan(n) && covered(n))
        .map(|read| format!("expected no Seq Scan, but {}", steps.reads_of(&[read])))
        .collect()
}

fn check_node(steps: &Steps, wanted: &str) -> Option<String> {
    let matches = |n: &PlanNode| {
        n.node_type.eq_ignore_ascii_case(wanted) || n.display_type().eq_ignore_ascii_case(wanted)
    };
    if steps.nodes().any(|(_, n)| matches(n)) {
        return None;
    }
    let present: Vec<String> = steps
        .nodes()
        .map(|(step, n)| steps.describe(step, n))
        .collect();
    Some(format!(
        "expected a {wanted} node, but the plan has none: {}",
        present.join(", ")
    ))
}

/// Shared hit + read blocks per execution of a scenario, all steps added up: each top
/// node's count covers its whole tree (the number `max_buffers` checks and `scale` fits).
pub fn buffers_per_execution(plans: &[Plan]) -> u64 {
    let per_execution = |plan: &Plan| {
        plan.root.shared_blocks() / plan.root.actual_loops.unwrap_or(1.0).max(1.0) as u64
    };
    plans.iter().map(per_execution).sum()
}

/// Checks `max_buffers` against [`buffers_per_execution`].
fn check_buffers(steps: &Steps, max: u64) -> Option<String> {
    let total = buffers_per_execution(steps.plans);
    if total <= max {
        return None;
    }
    let mut biggest: Option<(u64, usize, &PlanNode)> = None;
    for (step, plan) in steps.plans.iter().enumerate() {
        visit_own_blocks(&plan.root, 0, &mut |node, own| {
            if biggest.is_none_or(|(most, _, _)| own > most) {
                biggest = Some((own, step, node));
            }
        });
    }
    let (own, step, node) = biggest?;
    Some(format!(
        "expected at most {max} shared buffers per execution, but the plan reads {total} (hit + read); \
         the most at {} ({own} blocks)",
        steps.describe(step, node)
    ))
}

/// Visits each node with the blocks it read itself: its count minus its children's and
/// minus the InitPlans above it (whose reads PostgreSQL counts in the node that first
/// needs their value, not in their parent).
fn visit_own_blocks<'a>(
    node: &'a PlanNode,
    initplans_above: u64,
    visit: &mut dyn FnMut(&'a PlanNode, u64),
) {
    let is_initplan = |n: &PlanNode| n.parent_relationship.as_deref() == Some("InitPlan");
    let initplans_here: u64 = node
        .children
        .iter()
        .filter(|c| is_initplan(c))
        .map(PlanNode::shared_blocks)
        .sum();
    let regular_children: u64 = node
        .children
        .iter()
        .filter(|c| !is_initplan(c))
        .map(PlanNode::shared_blocks)
        .sum();
    let own = node
        .shared_blocks()
        .saturating_sub(regular_children + initplans_above + initplans_here);
    visit(node, own);
    for child in &node.children {
        let above = if is_initplan(child) {
            0
        } else {
            initplans_above + initplans_here
        };
        visit_own_blocks(child, above, visit);
    }
}

fn check_estimates(steps: &Steps, max: f64) -> Option<String> {
    let mut offenders: Vec<(f64, usize, &PlanNode)> = Vec::new();
    for (step, plan) in steps.plans.iter().enumerate() {
        collect_estimate_errors(&plan.root, false, &mut |node, ratio| {
            if ratio > max {
                offenders.push((ratio, step, node));
            }
        });
    }
    let (ratio, step, node) = *offenders.iter().max_by(|a, b| a.0.total_cmp(&b.0))?;
    let others = match offenders.len() - 1 {
        0 => String::new(),
        n => format!(" ({n} more node(s) over the limit)"),
    };
    Some(format!(
        "expected row estimates within {max}x, but {} estimated {} rows and returned {} per loop ({ratio:.1}x){others}",
        steps.describe(step, node),
        node.plan_rows,
        node.actual_rows.unwrap_or(0.0),
    ))
}

/// Visits each node whose estimate can be compared with what it returned: executed,
/// not below a Limit (which stops it early), not a BitmapAnd/Or or ModifyTable
/// (which report no rows). Zero rows count as one: the planner never estimates below one.
fn collect_estimate_errors<'a>(
    node: &'a PlanNode,
    below_limit: bool,
    visit: &mut dyn FnMut(&'a PlanNode, f64),
) {
    let comparable = !below_limit
        && !node.never_executed()
        && !matches!(
            node.node_type.as_str(),
            "BitmapAnd" | "BitmapOr" | "ModifyTable"
        );
    if let (true, Some(actual)) = (comparable, node.actual_rows) {
        let (estimated, actual) = (node.plan_rows.max(1.0), actual.max(1.0));
        visit(node, estimated.max(actual) / estimated.min(actual));
    }
    let below_limit = below_limit || node.node_type == "Limit";
    for child in &node.children {
        collect_estimate_errors(child, below_limit, visit);
    }
}

fn uses_index(node: &PlanNode, index: &str) -> bool {
    node.is_index_scan() && node.index.as_deref() == Some(bare(index))
}

/// An index may be given as "schema.index"; plans name it without schema.
fn bare(index: &str) -> &str {
    index.rsplit_once('.').map_or(index, |(_, name)| name)
}

fn is_seq_scan(node: &PlanNode) -> bool {
    node.node_type == "Seq Scan"
}

/// Nodes that read a table through an index.
fn is_index_access(node: &PlanNode) -> bool {
    matches!(
        node.node_type.as_str(),
        "Index Scan" | "Index Only Scan" | "Bitmap Heap Scan"
    )
}

/// True when `node` reads (not writes) the table named `table`.
fn reads_table(node: &PlanNode, table: &str) -> bool {
    node.node_type != "ModifyTable" && node.relation.as_ref().is_some_and(|r| r.matches(table))
}

fn relation_name(node: &PlanNode) -> Option<String> {
    node.relation.as_ref().map(Relation::qualified)
}

fn sorted(items: impl Iterator<Item = String>) -> Vec<String> {
    items.collect::<BTreeSet<_>>().into_iter().collect()
}

#[cfg(test)]
#[path = "check_tests.rs"]
mod tests;
