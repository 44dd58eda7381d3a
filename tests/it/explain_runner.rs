//! Integration tests of `explain`: EXPLAIN ANALYZE of scenarios on a real PostgreSQL with
//! the Tech Spec schema and rows generated in SQL; checks, diagnoses, validation, rollback.

use crate::common;

use std::path::PathBuf;

use techspec_bench::Error;
use techspec_bench::config::{
    Capture, Expectations, Literal, LoadAmount, NoSeqScan, Origin, ParamGen, Scenario, Step,
    TransactionMode,
};
use techspec_bench::explain::diagnose::Finding;
use techspec_bench::explain::{ExplainedScenario, explain_scenario, validate_expectations};
use techspec_bench::outcome::Outcome;

use common::step;

/// Inserts `sessions` sessions (and 2 conversations and research rows per session).
async fn seed(db: &common::TestDb, sessions: u32) {
    db.apply_schema_files().await;
    let client = db.client().await;
    let sql = format!(
        "INSERT INTO shared.design_jobs (id, project_id, user_id, title)
           SELECT md5('job' || g)::uuid, md5('p' || g)::uuid, md5('u' || g)::uuid, 'job ' || g
           FROM generate_series(1, 50) g;
         INSERT INTO tech_spec_sessions (id, design_job_id, project_id, user_id, status, current_stage,
                                         created_at, updated_at, completed_at)
           SELECT md5('s' || g)::uuid, md5('job' || (g % 50 + 1))::uuid, md5('p' || (g % 20))::uuid,
                  md5('u' || (g % 100))::uuid,
                  (ARRAY['pending','in_progress','paused','completed','failed'])[g % 5 + 1], 'research',
                  now() - g * interval '1 minute', now(),
                  CASE WHEN g % 5 + 1 = 4 THEN now() END
           FROM generate_series(1, {sessions}) g;
         INSERT INTO tech_conversations (id, session_id, role, content, \"timestamp\")
           SELECT md5('c' || g)::uuid, md5('s' || (g % {sessions} + 1))::uuid,
                  (ARRAY['user','agent','system'])[g % 3 + 1],
                  CASE WHEN g % 40 = 0 THEN 'connection timeout after 30s' ELSE 'message ' || g END,
                  now() - g * interval '1 second'
           FROM generate_series(1, {sessions} * 2) g;
         INSERT INTO tech_research (id, session_id, technology_category)
           SELECT md5('r' || g)::uuid, md5('s' || (g % {sessions} + 1))::uuid,
                  (ARRAY['db','cache','queue'])[g % 3 + 1]
           FROM generate_series(1, {sessions} * 2) g;
         ANALYZE;"
    );
    client.batch_execute(&sql).await.expect("seed rows");
}

/// A scenario of group `queries` from `scenarios/queries.toml:7`, 10 iterations.
fn scenario(name: &str, steps: Vec<Step>, expect: Expectations) -> Scenario {
    Scenario {
        group: "queries".into(),
        origin: Origin {
            file: PathBuf::from("scenarios/queries.toml"),
            line: 7,
        },
        expect,
        ..common::scenario(name, steps, LoadAmount::Iterations(10))
    }
}

fn index(name: &str) -> Expectations {
    Expectations {
        indexes: vec![name.into()],
        ..Expectations::default()
    }
}

fn status_choice() -> Vec<ParamGen> {
    let statuses = ["pending", "in_progress", "completed", "failed"];
    vec![ParamGen::Choice(
        statuses
            .iter()
            .map(|s| Literal::Text(s.to_string()))
            .collect(),
    )]
}

const STATUS_LIST: &str = "SELECT id, status, created_at FROM tech_spec_sessions \
                           WHERE status = $1 ORDER BY created_at DESC LIMIT 50";

fn explained(outcome: Outcome<ExplainedScenario>) -> ExplainedScenario {
    match outcome {
        Outcome::Ok(explained) => explained,
        other => panic!("expected a plan, got {other:?}"),
    }
}

#[tokio::test]
async fn like_with_no_seq_scan_fails_naming_the_seq_scan_on_tech_conversations() {
    let db = common::TestDb::create("explain_like").await;
    seed(&db, 2000).await;
    let mut client = db.client().await;
    let expect = Expectations {
        no_seq_scan: NoSeqScan::AllTables,
        ..Expectations::default()
    };
    let sql = "SELECT * FROM tech_conversations WHERE content LIKE '%timeout%'";
    let like = scenario("conversation_like", vec![step(sql, vec![])], expect);
    let result = explained(explain_scenario(&mut client, &like, 1).await.unwrap());
    assert!(!result.check.ok);
    assert_eq!(result.check.seq_scans, ["public.tech_conversations"]);
    assert_eq!(
        result.check.failures,
        ["expected no Seq Scan, but public.tech_conversations is read by Seq Scan"]
    );
    let plan = &result.steps[0].plan;
    assert_eq!(plan.root.actual_rows, Some(100.0));
    assert!(plan.root.shared_blocks() > 0 && plan.execution_time_ms.is_some());
}

#[tokio::test]
async fn an_index_scenario_passes_and_a_tiny_table_is_usable_not_chosen() {
    let db = common::TestDb::create("explain_index").await;
    seed(&db, 10_000).await;
    let mut client = db.client().await;
    let list = scenario(
        "session_list_by_status",
        vec![step(STATUS_LIST, status_choice())],
        index("idx_session_status_created"),
    );
    let result = explained(explain_scenario(&mut client, &list, 42).await.unwrap());
    assert!(result.check.ok, "{:?}", result.check.failures);
    assert!(
        result
            .check
            .indexes_used
            .contains(&"idx_session_status_created".to_string())
    );
    assert!(result.diagnoses.is_empty());
    assert_eq!(result.steps[0].params.len(), 1);

    let tiny = common::TestDb::create("explain_tiny").await;
    seed(&tiny, 20).await;
    let mut tiny_client = tiny.client().await;
    let result = explained(explain_scenario(&mut tiny_client, &list, 42).await.unwrap());
    assert!(!result.check.ok);
    assert_eq!(result.diagnoses.len(), 1);
    assert_eq!(result.diagnoses[0].finding, Finding::UsableNotChosen);
    let failure = &result.check.failures[0];
    assert!(
        failure.starts_with(
            "expected index idx_session_status_created, but public.tech_spec_sessions is read by Seq Scan"
        ),
        "{failure}"
    );
    assert!(
        failure.contains("index usable, not chosen at this size"),
        "{failure}"
    );
}

#[tokio::test]
async fn an_index_that_cannot_serve_the_query_is_diagnosed_not_usable() {
    let db = common::TestDb::create("explain_unusable").await;
    seed(&db, 500).await;
    let mut client = db.client().await;
    let sql = "SELECT id FROM tech_spec_sessions WHERE current_stage = 'research'";
    let wrong = scenario(
        "by_stage",
        vec![step(sql, vec![])],
        index("idx_session_status_created"),
    );
    let result = explained(explain_scenario(&mut client, &wrong, 1).await.unwrap());
    assert_eq!(result.diagnoses[0].finding, Finding::NotUsable);
    assert!(result.check.failures[0].contains("index not usable for this query"));
}

#[tokio::test]
async fn multi_step_scenarios_capture_from_earlier_steps_and_writes_are_rolled_back() {
    let db = common::TestDb::create("explain_steps").await;
    seed(&db, 10_000).await;
    let mut client = db.client().await;
    let mut first = step(STATUS_LIST, status_choice());
    first.captures = vec![Capture {
        name: "ids".into(),
        column: "id".into(),
    }];
    let second = step(
        "SELECT * FROM tech_research WHERE session_id = ANY($1)",
        vec![ParamGen::Captured("ids".into())],
    );
    let insert = step(
        "INSERT INTO tech_research (id, session_id, technology_category) \
         SELECT gen_random_uuid(), id, 'db' FROM tech_spec_sessions LIMIT 5",
        vec![],
    );
    let mut eager = scenario(
        "relationship_eager_load",
        vec![first, second, insert],
        Expectations {
            indexes: vec![
                "idx_session_status_created".into(),
                "ix_tech_research_session_id".into(),
            ],
            ..Expectations::default()
        },
    );
    eager.transaction = Some(TransactionMode::Rollback);
    let result = explained(explain_scenario(&mut client, &eager, 7).await.unwrap());
    assert!(result.check.ok, "{:?}", result.check.failures);
    assert_eq!(result.steps.len(), 3);
    assert_eq!(result.steps[1].params, ["[50 values]"]);
    assert_eq!(
        result.steps[1].plan.nodes().map(|n| n.actual_rows).next(),
        Some(Some(100.0))
    );
    assert_eq!(result.steps[2].plan.root.display_type(), "Insert");
    assert!(result.fingerprint.contains(" | "));
    let count: i64 = client
        .query_one("SELECT count(*) FROM tech_research", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        count, 20_000,
        "EXPLAIN ANALYZE of the INSERT must be rolled back"
    );
}

#[tokio::test]
async fn a_missing_relation_skips_the_scenario_naming_it_and_validation_spares_it() {
    let db = common::TestDb::create("explain_skip").await;
    seed(&db, 100).await;
    let mut client = db.client().await;
    client
        .batch_execute("DROP SCHEMA shared CASCADE")
        .await
        .unwrap();
    let cross = scenario(
        "cross_schema_join",
        vec![step(
            "SELECT * FROM shared.design_jobs WHERE id = md5('job1')::uuid",
            vec![],
        )],
        index("design_jobs_pkey"),
    );
    let outcome = explain_scenario(&mut client, &cross, 1).await.unwrap();
    assert_eq!(
        outcome,
        Outcome::Skip("relation shared.design_jobs does not exist".into())
    );
    validate_expectations(&client, &[cross])
        .await
        .expect("a scenario that will be skipped is not a config error");
}

#[tokio::test]
async fn validate_expectations_rejects_a_nonexistent_index_with_did_you_mean() {
    let db = common::TestDb::create("explain_validate").await;
    seed(&db, 10).await;
    let client = db.client().await;
    let good = scenario(
        "good",
        vec![step(STATUS_LIST, status_choice())],
        index("idx_session_status_created"),
    );
    validate_expectations(&client, std::slice::from_ref(&good))
        .await
        .unwrap();
    let typo = scenario(
        "typo",
        vec![step(STATUS_LIST, status_choice())],
        index("idx_session_status_create"),
    );
    let error = validate_expectations(&client, &[good, typo])
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Config(_)));
    assert_eq!(error.exit_code(), 2);
    let message = error.to_string();
    assert!(
        message.starts_with("scenarios/queries.toml:7: scenario `typo`"),
        "{message}"
    );
    assert!(
        message.contains("Did you mean `idx_session_status_created`?"),
        "{message}"
    );
}
