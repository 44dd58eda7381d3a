//! Unit tests of `check` against the recorded PostgreSQL 15 plans in tests/fixtures/plans.

use super::*;
use crate::explain::plan::tests::fixture;

fn expect_index(index: &str) -> Expectations {
    Expectations {
        indexes: vec![index.to_string()],
        ..Expectations::default()
    }
}

fn no_seq_scan(rule: NoSeqScan) -> Expectations {
    Expectations {
        no_seq_scan: rule,
        ..Expectations::default()
    }
}

#[test]
fn an_empty_expectation_passes_and_still_lists_access_paths() {
    let result = check(&fixture("nested_loop"), &Expectations::default());
    assert!(result.ok);
    assert_eq!(
        result.indexes_used,
        ["idx_session_status_created", "ix_tech_research_session_id"]
    );
    assert!(result.seq_scans.is_empty());
    let hash = check(&fixture("hash_join"), &Expectations::default());
    assert_eq!(
        hash.seq_scans,
        ["public.tech_research", "public.tech_spec_sessions"]
    );
}

#[test]
fn expected_index_passes_for_index_scan_index_only_scan_and_bitmap_index_scan() {
    assert!(
        check(
            &fixture("index_scan_status"),
            &expect_index("idx_session_status_created")
        )
        .ok
    );
    assert!(
        check(
            &fixture("index_only_scan"),
            &expect_index("pgbench_accounts_pkey")
        )
        .ok
    );
    assert!(
        check(
            &fixture("bitmap_scan"),
            &expect_index("pgbench_accounts_pkey")
        )
        .ok
    );
    assert!(
        check(
            &fixture("subplan_initplan"),
            &expect_index("ix_tech_research_session_id")
        )
        .ok
    );
    assert!(
        check(
            &fixture("index_scan_status"),
            &expect_index("public.idx_session_status_created")
        )
        .ok
    );
}

#[test]
fn missing_index_names_the_seq_scan_and_its_relation() {
    let result = check(&fixture("seq_scan_like"), &expect_index("idx_x"));
    assert!(!result.ok);
    assert_eq!(
        result.failures,
        ["expected index idx_x, but public.tech_conversations is read by Seq Scan"]
    );
    assert_eq!(
        result.diagnosable,
        [Diagnosable {
            failure: 0,
            wanted: WantedPath::Index("idx_x".into())
        }]
    );
}

#[test]
fn missing_index_with_a_known_table_names_how_that_table_is_read() {
    let tables = IndexTables::from([(
        "ix_tech_research_session_id".to_string(),
        Relation {
            schema: Some("public".into()),
            name: "tech_research".into(),
        },
    )]);
    let expect = expect_index("ix_tech_research_session_id");
    let result = check_plans(&[fixture("hash_join")], &expect, &tables);
    assert_eq!(
        result.failures,
        [
            "expected index ix_tech_research_session_id, but public.tech_research is read by Seq Scan"
        ]
    );
    let absent = check_plans(&[fixture("index_only_scan")], &expect, &tables);
    assert!(
        absent.failures[0].contains("its table public.tech_research does not appear in the plan")
    );
}

#[test]
fn missing_index_without_seq_scans_names_the_other_index_used() {
    let result = check(&fixture("index_scan_status"), &expect_index("idx_other"));
    assert_eq!(
        result.failures,
        [
            "expected index idx_other, but public.tech_spec_sessions is read by Index Scan using idx_session_status_created"
        ]
    );
}

#[test]
fn any_index_on_accepts_bitmap_heap_scans_and_rejects_seq_scans() {
    let on = |t: &str| Expectations {
        any_index_on: vec![t.to_string()],
        ..Expectations::default()
    };
    assert!(check(&fixture("bitmap_scan"), &on("pgbench_accounts")).ok);
    assert!(check(&fixture("nested_loop"), &on("public.tech_research")).ok);
    let seq = check(&fixture("subplan_initplan"), &on("tech_spec_sessions"));
    assert_eq!(seq.failures.len(), 1);
    assert!(seq.failures[0].starts_with("expected tech_spec_sessions to be read through an index, but public.tech_spec_sessions is read by Seq Scan"));
    let absent = check(&fixture("index_only_scan"), &on("tech_research"));
    assert!(absent.failures[0].contains("does not appear in the plan"));
    assert!(!check(&fixture("nested_loop"), &on("shared.tech_research")).ok);
}

#[test]
fn no_seq_scan_for_all_tables_names_each_seq_scan() {
    let result = check(
        &fixture("seq_scan_like"),
        &no_seq_scan(NoSeqScan::AllTables),
    );
    assert_eq!(
        result.failures,
        ["expected no Seq Scan, but public.tech_conversations is read by Seq Scan"]
    );
    assert!(result.diagnosable.is_empty());
    let hash = check(&fixture("hash_join"), &no_seq_scan(NoSeqScan::AllTables));
    assert_eq!(hash.failures.len(), 2);
    assert!(check(&fixture("nested_loop"), &no_seq_scan(NoSeqScan::AllTables)).ok);
}

#[test]
fn no_seq_scan_on_listed_tables_ignores_others_and_parallel_counts() {
    let listed = |tables: &[&str]| {
        no_seq_scan(NoSeqScan::Tables(
            tables.iter().map(|t| t.to_string()).collect(),
        ))
    };
    assert!(check(&fixture("hash_join"), &listed(&["pgbench_accounts"])).ok);
    let one = check(&fixture("hash_join"), &listed(&["public.tech_research"]));
    assert_eq!(
        one.failures,
        ["expected no Seq Scan, but public.tech_research is read by Seq Scan"]
    );
    let parallel = check(
        &fixture("parallel_gather"),
        &listed(&["tech_conversations"]),
    );
    assert_eq!(
        parallel.failures,
        ["expected no Seq Scan, but public.tech_conversations is read by Parallel Seq Scan"]
    );
}

#[test]
fn a_modify_table_target_is_not_a_read() {
    let result = check(
        &fixture("modify_table_insert"),
        &no_seq_scan(NoSeqScan::AllTables),
    );
    assert_eq!(
        result.failures,
        ["expected no Seq Scan, but public.tech_spec_sessions is read by Seq Scan"]
    );
    let target = Expectations {
        any_index_on: vec!["tech_research".into()],
        ..Expectations::default()
    };
    assert!(
        check(&fixture("modify_table_insert"), &target).failures[0].contains("does not appear")
    );
}

#[test]
fn node_expectation_matches_json_and_text_names() {
    let node = |n: &str| Expectations {
        node: Some(n.to_string()),
        ..Expectations::default()
    };
    assert!(check(&fixture("index_only_scan"), &node("Index Only Scan")).ok);
    assert!(check(&fixture("parallel_gather"), &node("Parallel Seq Scan")).ok);
    assert!(check(&fixture("parallel_gather"), &node("Gather")).ok);
    assert!(check(&fixture("modify_table_insert"), &node("ModifyTable")).ok);
    let missing = check(&fixture("index_scan_status"), &node("Index Only Scan"));
    assert_eq!(
        missing.failures,
        [
            "expected a Index Only Scan node, but the plan has none: Limit, Index Scan using idx_session_status_created on public.tech_spec_sessions"
        ]
    );
}

#[test]
fn max_buffers_uses_the_top_node_and_names_the_biggest_reader() {
    let buffers = |max: u64| Expectations {
        max_buffers: Some(max),
        ..Expectations::default()
    };
    assert!(check(&fixture("subplan_initplan"), &buffers(335)).ok);
    let result = check(&fixture("subplan_initplan"), &buffers(334));
    assert_eq!(result.failures.len(), 1);
    assert!(
        result.failures[0].contains("reads 335 (hit + read)"),
        "{}",
        result.failures[0]
    );
    assert!(
        result.failures[0].contains("Seq Scan on public.tech_spec_sessions (182 blocks)"),
        "{}",
        result.failures[0]
    );
}

#[test]
fn max_buffers_adds_up_the_steps_of_a_scenario() {
    let plans = [fixture("index_scan_status"), fixture("nested_loop")];
    let expect = Expectations {
        max_buffers: Some(50),
        ..Expectations::default()
    };
    let result = check_plans(&plans, &expect, &IndexTables::new());
    assert!(
        result.failures[0].contains("reads 54"),
        "{}",
        result.failures[0]
    );
    assert!(
        result.failures[0].contains("(step 2)"),
        "{}",
        result.failures[0]
    );
}

#[test]
fn row_estimate_error_skips_nodes_a_limit_stopped_early() {
    let error = |max: f64| Expectations {
        max_row_estimate_error: Some(max),
        ..Expectations::default()
    };
    // Limit > Index Scan estimated 2000, returned 50 because the Limit stopped it.
    assert!(check(&fixture("index_scan_status"), &error(1.5)).ok);
    assert!(check(&fixture("sort_limit"), &error(1.5)).ok);
    // cte: the Aggregate estimated 100 groups and produced 5.
    let cte = check(&fixture("cte"), &error(10.0));
    assert_eq!(
        cte.failures,
        [
            "expected row estimates within 10x, but Aggregate estimated 100 rows and returned 5 per loop (20.0x)"
        ]
    );
    assert!(check(&fixture("cte"), &error(20.0)).ok);
}

#[test]
fn row_estimate_error_counts_zero_rows_as_one_and_uses_per_loop_rows() {
    let error = Expectations {
        max_row_estimate_error: Some(4.0),
        ..Expectations::default()
    };
    // Estimated 5, returned 0: off by 5x, not infinitely.
    let zero = check(&fixture("no_verbose_bitmap"), &error);
    assert!(zero.failures[0].contains("(5.0x)"), "{}", zero.failures[0]);
    assert!(
        zero.failures[0].contains("(2 more node(s) over the limit)"),
        "{}",
        zero.failures[0]
    );
    // Inner index scan: 3 rows per loop over 7 loops, estimated 3 per loop.
    let tight = Expectations {
        max_row_estimate_error: Some(1.01),
        ..Expectations::default()
    };
    assert!(check(&fixture("subplan_initplan"), &tight).ok);
    assert!(
        check(
            &fixture("bitmap_scan"),
            &Expectations {
                max_row_estimate_error: Some(1.2),
                ..Expectations::default()
            }
        )
        .ok
    );
}

#[test]
fn wanted_path_is_met_by_a_plan_that_uses_it() {
    let plans = [fixture("nested_loop")];
    assert!(WantedPath::Index("ix_tech_research_session_id".into()).is_met(&plans));
    assert!(!WantedPath::Index("idx_x".into()).is_met(&plans));
    assert!(WantedPath::AnyIndexOn("tech_research".into()).is_met(&plans));
    assert!(!WantedPath::AnyIndexOn("tech_research".into()).is_met(&[fixture("hash_join")]));
}
