//! PostgreSQL `EXPLAIN (FORMAT JSON)` output -> a typed plan tree, with iterators over
//! its nodes. Pure: must not talk to the database or judge the plan (see `check`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One statement's plan: the node tree and the statement-level timings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub root: PlanNode,
    /// Milliseconds; present with ANALYZE (and SUMMARY).
    pub planning_time_ms: Option<f64>,
    /// Milliseconds; present with ANALYZE.
    pub execution_time_ms: Option<f64>,
}

/// A table (or other relation) a node reads or writes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Relation {
    /// Known only when EXPLAIN ran with VERBOSE.
    pub schema: Option<String>,
    pub name: String,
}

impl Relation {
    /// "schema.name", or "name" when the schema is unknown.
    pub fn qualified(&self) -> String {
        match &self.schema {
            Some(schema) => format!("{schema}.{}", self.name),
            None => self.name.clone(),
        }
    }

    /// True when `wanted` ("name" or "schema.name") names this relation. A bare name
    /// matches any schema; a qualified name matches a relation of unknown schema by name.
    pub fn matches(&self, wanted: &str) -> bool {
        match wanted.split_once('.') {
            Some((schema, name)) => {
                name == self.name && self.schema.as_deref().is_none_or(|own| own == schema)
            }
            None => wanted == self.name,
        }
    }
}

impl std::fmt::Display for Relation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.qualified())
    }
}

/// One node of the plan tree. Row counts follow EXPLAIN: `plan_rows` is the estimate
/// per loop, `actual_rows` the average per loop; buffers are totals over all loops,
/// children included.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanNode {
    /// "Seq Scan", "Index Scan", "Hash Join", ... as in the JSON ("Node Type").
    pub node_type: String,
    /// True for the parallel variant (shown as "Parallel Seq Scan" in text EXPLAIN).
    pub parallel_aware: bool,
    /// "Insert", "Update", ... for ModifyTable.
    pub operation: Option<String>,
    pub relation: Option<Relation>,
    pub alias: Option<String>,
    pub index: Option<String>,
    /// The CTE a CTE Scan reads.
    pub cte_name: Option<String>,
    /// "Outer", "Inner", "SubPlan", "InitPlan", "Member", "Subquery".
    pub parent_relationship: Option<String>,
    /// "SubPlan 1", "InitPlan 2 (returns $1)", "CTE recent".
    pub subplan_name: Option<String>,
    pub plan_rows: f64,
    pub actual_rows: Option<f64>,
    pub actual_loops: Option<f64>,
    /// Milliseconds per loop, as EXPLAIN reports it.
    pub actual_total_time_ms: Option<f64>,
    pub shared_hit_blocks: Option<u64>,
    pub shared_read_blocks: Option<u64>,
    pub children: Vec<PlanNode>,
}

impl PlanNode {
    /// The node type as text EXPLAIN shows it ("Parallel Seq Scan", "Insert").
    pub fn display_type(&self) -> String {
        match (&self.operation, self.parallel_aware) {
            (Some(op), _) if self.node_type == "ModifyTable" => op.clone(),
            (_, true) => format!("Parallel {}", self.node_type),
            _ => self.node_type.clone(),
        }
    }

    /// Shared hit + read blocks of this node and its children, over all loops.
    pub fn shared_blocks(&self) -> u64 {
        self.shared_hit_blocks.unwrap_or(0) + self.shared_read_blocks.unwrap_or(0)
    }

    /// True when ANALYZE reports that this node never ran.
    pub fn never_executed(&self) -> bool {
        self.actual_loops == Some(0.0)
    }

    /// True for scans that go through `index` ("Index Scan", "Index Only Scan", "Bitmap Index Scan").
    pub fn is_index_scan(&self) -> bool {
        self.index.is_some()
            && matches!(
                self.node_type.as_str(),
                "Index Scan" | "Index Only Scan" | "Bitmap Index Scan"
            )
    }

    /// "Seq Scan on public.t s", "Index Scan using idx on public.t" — for messages.
    pub fn describe(&self) -> String {
        let mut text = self.display_type();
        if let Some(index) = &self.index {
            text.push_str(&format!(" using {index}"));
        }
        if let Some(relation) = &self.relation {
            text.push_str(&format!(" on {relation}"));
            if let Some(alias) = self.alias.as_ref().filter(|a| **a != relation.name) {
                text.push_str(&format!(" {alias}"));
            }
        } else if let Some(cte) = &self.cte_name {
            text.push_str(&format!(" on {cte}"));
        }
        text
    }

    /// This node and all below it, depth first, parents before children.
    pub fn nodes(&self) -> Nodes<'_> {
        Nodes {
            stack: vec![(0, self)],
        }
    }
}

impl Plan {
    /// Every node of the plan, depth first.
    pub fn nodes(&self) -> impl Iterator<Item = &PlanNode> {
        self.root.nodes().map(|(_, node)| node)
    }

    /// Every node with its depth (root = 0), depth first.
    pub fn nodes_with_depth(&self) -> Nodes<'_> {
        self.root.nodes()
    }
}

/// Depth-first iterator over a node tree, yielding (depth, node).
pub struct Nodes<'a> {
    stack: Vec<(usize, &'a PlanNode)>,
}

impl<'a> Iterator for Nodes<'a> {
    type Item = (usize, &'a PlanNode);

    fn next(&mut self) -> Option<Self::Item> {
        let (depth, node) = self.stack.pop()?;
        self.stack
            .extend(node.children.iter().rev().map(|child| (depth + 1, child)));
        Some((depth, node))
    }
}

/// Parses EXPLAIN JSON: the `[{"Plan": ...}]` array the server returns, a single
/// `{"Plan": ...}` object, or either of those as a JSON string (the text form).
pub fn parse(json: &Value) -> Result<Plan, String> {
    match json {
        Value::String(text) => parse_str(text),
        Value::Array(items) => match items.as_slice() {
            [single] => parse(single),
            _ => Err(format!(
                "EXPLAIN JSON: expected an array with one statement, found {} entries",
                items.len()
            )),
        },
        Value::Object(statement) => parse_statement(statement),
        other => Err(format!(
            "EXPLAIN JSON: expected an array or an object, found {other}"
        )),
    }
}

/// Parses EXPLAIN JSON given as text.
pub fn parse_str(text: &str) -> Result<Plan, String> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| format!("EXPLAIN output is not JSON: {e}"))?;
    parse(&value)
}

fn parse_statement(statement: &Map<String, Value>) -> Result<Plan, String> {
    let root = statement
        .get("Plan")
        .ok_or("EXPLAIN JSON: no \"Plan\" key in the statement")?;
    Ok(Plan {
        root: parse_node(root)?,
        planning_time_ms: statement.get("Planning Time").and_then(Value::as_f64),
        execution_time_ms: statement.get("Execution Time").and_then(Value::as_f64),
    })
}

fn parse_node(value: &Value) -> Result<PlanNode, String> {
    let node = value
        .as_object()
        .ok_or_else(|| format!("EXPLAIN JSON: a plan node is not an object: {value}"))?;
    let text = |key: &str| node.get(key).and_then(Value::as_str).map(str::to_string);
    let number = |key: &str| node.get(key).and_then(Value::as_f64);
    let count = |key: &str| node.get(key).and_then(Value::as_u64);
    let node_type = text("Node Type").ok_or("EXPLAIN JSON: a plan node has no \"Node Type\"")?;
    let children = match node.get("Plans") {
        Some(Value::Array(plans)) => plans.iter().map(parse_node).collect::<Result<_, _>>()?,
        Some(other) => return Err(format!("EXPLAIN JSON: \"Plans\" is not an array: {other}")),
        None => Vec::new(),
    };
    Ok(PlanNode {
        parallel_aware: node
            .get("Parallel Aware")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        operation: text("Operation"),
        relation: text("Relation Name").map(|name| Relation {
            schema: text("Schema"),
            name,
        }),
        alias: text("Alias"),
        index: text("Index Name"),
        cte_name: text("CTE Name"),
        parent_relationship: text("Parent Relationship"),
        subplan_name: text("Subplan Name"),
        plan_rows: number("Plan Rows").unwrap_or(0.0),
        actual_rows: number("Actual Rows"),
        actual_loops: number("Actual Loops"),
        actual_total_time_ms: number("Actual Total Time"),
        shared_hit_blocks: count("Shared Hit Blocks"),
        shared_read_blocks: count("Shared Read Blocks"),
        node_type,
        children,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Loads tests/fixtures/plans/<kind>.json, recorded from PostgreSQL 15.
    pub(crate) fn fixture(kind: &str) -> Plan {
        let path = format!(
            "{}/tests/fixtures/plans/{kind}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        parse_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn types(plan: &Plan) -> Vec<String> {
        plan.nodes().map(PlanNode::display_type).collect()
    }

    fn find<'a>(plan: &'a Plan, node_type: &str) -> &'a PlanNode {
        plan.nodes()
            .find(|n| n.node_type == node_type)
            .unwrap_or_else(|| panic!("no {node_type} in {:?}", types(plan)))
    }

    pub(crate) const ALL_FIXTURES: &[&str] = &[
        "append_partitions",
        "bitmap_scan",
        "cte",
        "hash_join",
        "index_only_scan",
        "index_scan_status",
        "merge_join",
        "modify_table_insert",
        "nested_loop",
        "no_verbose_bitmap",
        "parallel_gather",
        "seq_scan_like",
        "sort_limit",
        "subplan_initplan",
    ];

    #[test]
    fn every_fixture_parses_with_timings_and_actual_rows() {
        for kind in ALL_FIXTURES {
            let plan = fixture(kind);
            assert!(plan.planning_time_ms.is_some_and(|t| t > 0.0), "{kind}");
            assert!(plan.execution_time_ms.is_some_and(|t| t > 0.0), "{kind}");
            assert!(plan.nodes().all(|n| n.actual_loops.is_some()), "{kind}");
            assert!(plan.root.shared_hit_blocks.is_some(), "{kind}");
        }
    }

    #[test]
    fn nested_loop_reads_the_inner_side_by_index_with_loops() {
        let plan = fixture("nested_loop");
        assert_eq!(
            types(&plan),
            ["Limit", "Nested Loop", "Index Scan", "Index Scan"]
        );
        let inner = plan
            .nodes()
            .filter(|n| n.node_type == "Index Scan")
            .nth(1)
            .unwrap();
        assert_eq!(inner.parent_relationship.as_deref(), Some("Inner"));
        assert_eq!(inner.index.as_deref(), Some("ix_tech_research_session_id"));
        assert_eq!(
            inner.relation.as_ref().unwrap().qualified(),
            "public.tech_research"
        );
        assert_eq!(inner.alias.as_deref(), Some("r"));
        assert!(inner.actual_loops.unwrap() > 1.0);
    }

    #[test]
    fn hash_and_merge_joins_are_recognised() {
        let hash = fixture("hash_join");
        assert!(types(&hash).contains(&"Hash Join".to_string()));
        assert!(types(&hash).contains(&"Hash".to_string()));
        let merge = fixture("merge_join");
        assert!(types(&merge).contains(&"Merge Join".to_string()));
        let seq = find(&merge, "Seq Scan");
        assert_eq!(seq.relation.as_ref().unwrap().name, "pgbench_branches");
    }

    #[test]
    fn bitmap_scans_carry_relation_on_heap_and_index_on_index_nodes() {
        let plan = fixture("bitmap_scan");
        let heap = find(&plan, "Bitmap Heap Scan");
        assert_eq!(heap.relation.as_ref().unwrap().name, "pgbench_accounts");
        assert!(heap.index.is_none());
        let indexes: Vec<_> = plan.nodes().filter(|n| n.is_index_scan()).collect();
        assert_eq!(indexes.len(), 2);
        assert!(
            indexes
                .iter()
                .all(|n| n.index.as_deref() == Some("pgbench_accounts_pkey"))
        );
        assert!(types(&plan).contains(&"BitmapOr".to_string()));
    }

    #[test]
    fn index_only_scan_has_index_relation_and_buffers() {
        let plan = fixture("index_only_scan");
        let node = &plan.root;
        assert_eq!(node.node_type, "Index Only Scan");
        assert_eq!(node.index.as_deref(), Some("pgbench_accounts_pkey"));
        assert_eq!(node.actual_rows, Some(1001.0));
        assert!(node.shared_blocks() > 0);
    }

    #[test]
    fn cte_subplan_and_initplan_are_children_with_their_names() {
        let cte = fixture("cte");
        let scan = find(&cte, "CTE Scan");
        assert_eq!(scan.cte_name.as_deref(), Some("recent"));
        assert!(
            cte.nodes()
                .any(|n| n.subplan_name.as_deref() == Some("CTE recent"))
        );
        let sub = fixture("subplan_initplan");
        let relationships: Vec<_> = sub
            .nodes()
            .filter_map(|n| n.parent_relationship.as_deref())
            .collect();
        assert!(relationships.contains(&"SubPlan"));
        assert!(relationships.contains(&"InitPlan"));
        assert!(
            sub.nodes()
                .any(|n| n.subplan_name.as_deref() == Some("SubPlan 1"))
        );
    }

    #[test]
    fn parallel_plan_has_gather_over_workers() {
        let plan = fixture("parallel_gather");
        let gather = find(&plan, "Gather");
        assert_eq!(gather.children.len(), 1);
        let scan = find(&plan, "Seq Scan");
        assert!(scan.parallel_aware);
        assert_eq!(scan.display_type(), "Parallel Seq Scan");
        assert_eq!(scan.actual_loops, Some(3.0));
    }

    #[test]
    fn append_reads_each_partition() {
        let plan = fixture("append_partitions");
        let append = find(&plan, "Append");
        let members: Vec<_> = append
            .children
            .iter()
            .map(|c| c.relation.as_ref().unwrap().name.as_str())
            .collect();
        assert_eq!(members, ["events_2025", "events_2026"]);
        assert!(
            append
                .children
                .iter()
                .all(|c| c.parent_relationship.as_deref() == Some("Member"))
        );
    }

    #[test]
    fn sort_and_limit_and_modify_table() {
        let sorted = fixture("sort_limit");
        assert_eq!(types(&sorted), ["Limit", "Sort", "Seq Scan"]);
        let insert = fixture("modify_table_insert");
        assert_eq!(insert.root.display_type(), "Insert");
        assert_eq!(
            insert.root.relation.as_ref().unwrap().qualified(),
            "public.tech_research"
        );
    }

    #[test]
    fn schema_is_absent_without_verbose() {
        let plan = fixture("no_verbose_bitmap");
        let heap = find(&plan, "Bitmap Heap Scan");
        let relation = heap.relation.as_ref().unwrap();
        assert_eq!(relation.schema, None);
        assert!(relation.matches("public.tech_conversations"));
        assert!(relation.matches("tech_conversations"));
    }

    #[test]
    fn relation_matching_respects_a_known_schema() {
        let relation = Relation {
            schema: Some("shared".into()),
            name: "design_jobs".into(),
        };
        assert!(relation.matches("design_jobs"));
        assert!(relation.matches("shared.design_jobs"));
        assert!(!relation.matches("public.design_jobs"));
        assert!(!relation.matches("design_job"));
    }

    #[test]
    fn accepts_object_array_and_text_forms() {
        let object = serde_json::json!({"Plan": {"Node Type": "Result", "Plan Rows": 1}});
        let array = Value::Array(vec![object.clone()]);
        let text = Value::String(array.to_string());
        for form in [&object, &array, &text] {
            assert_eq!(parse(form).unwrap().root.node_type, "Result");
        }
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        assert!(parse(&serde_json::json!(42)).is_err());
        assert!(parse(&serde_json::json!([])).is_err());
        assert!(parse(&serde_json::json!({"Plan": {"Plans": []}})).is_err());
        assert!(parse(&serde_json::json!({"Plan": {"Node Type": "X", "Plans": 3}})).is_err());
        assert!(parse_str("not json").is_err());
    }

    #[test]
    fn depth_first_order_with_depths() {
        let plan = fixture("nested_loop");
        let depths: Vec<_> = plan.nodes_with_depth().map(|(d, _)| d).collect();
        assert_eq!(depths, [0, 1, 2, 2]);
    }
}
