//! Integration tests of `seed` on a migrated database: counts, foreign keys, idempotence,
//! --clear, determinism, and the refusals. Must not depend on the CLI wiring.

use crate::common;
use crate::seed_support;

use seed_support::{
    checksums, counts, design_job_exists, insert_foreign_design_job, options, record_stand_in,
};
use techspec_bench::seed::{
    DatasetState, SeedOptions, SeedOutcome, SeedReport, dataset_state, seed, summary_table,
};

async fn migrated(label: &str) -> common::TestDb {
    let db = common::TestDb::create(label).await;
    db.apply_schema_files().await;
    db
}

/// Asserts that the dataset is one complete seed run of `sessions` sessions.
async fn assert_complete(client: &tokio_postgres::Client, sessions: u64) {
    let state = dataset_state(client).await.unwrap();
    assert!(
        matches!(state, DatasetState::Complete { sessions: s, .. } if s == sessions),
        "expected a complete dataset of {sessions} sessions, got {state:?}"
    );
}

/// Seeds enough sessions that keys and indexes are dropped and rebuilt; returns the report.
async fn seed_large(client: &mut tokio_postgres::Client) -> SeedReport {
    let opts = SeedOptions {
        sessions: techspec_bench::seed::DEFER_FROM_SESSIONS + 200,
        ..options()
    };
    match seed(client, &opts).await.unwrap() {
        SeedOutcome::Seeded(report) => report,
        other => panic!("expected Seeded, got {other:?}"),
    }
}

#[tokio::test]
async fn default_seed_writes_the_default_counts_and_every_foreign_key_resolves() {
    let db = migrated("seed_defaults").await;
    let mut client = db.client().await;
    let outcome = seed(&mut client, &options()).await.unwrap();
    let SeedOutcome::Seeded(report) = outcome else {
        panic!("expected Seeded, got {outcome:?}")
    };
    assert_eq!(counts(&client).await, vec![5, 10, 15, 10, 30, 80, 6, 15]);
    let reported: Vec<u64> = report.rows.iter().map(|(_, n)| *n).collect();
    assert_eq!(reported, vec![5, 10, 15, 10, 30, 80, 6, 15]);
    assert!(summary_table(&report).contains("tech_conversations"));
    assert!(report.bytes.unwrap() > 0);
    let dangling = "SELECT \
        (SELECT count(*) FROM tech_spec_sessions s LEFT JOIN shared.design_jobs j ON j.id = s.design_job_id WHERE j.id IS NULL) + \
        (SELECT count(*) FROM tech_research r LEFT JOIN tech_spec_sessions s ON s.id = r.session_id WHERE s.id IS NULL) + \
        (SELECT count(*) FROM tech_conversations c LEFT JOIN tech_spec_sessions s ON s.id = c.session_id WHERE s.id IS NULL) + \
        (SELECT count(*) FROM trd_documents d LEFT JOIN tech_spec_sessions s ON s.id = d.session_id WHERE s.id IS NULL) + \
        (SELECT count(*) FROM tech_error_logs e LEFT JOIN tech_spec_sessions s ON s.id = e.session_id WHERE s.id IS NULL) + \
        (SELECT count(*) FROM shared.design_outputs o LEFT JOIN shared.design_jobs j ON j.id = o.job_id WHERE j.id IS NULL)";
    let dangling: i64 = client.query_one(dangling, &[]).await.unwrap().get(0);
    assert_eq!(dangling, 0);
    let fks: i64 = client
        .query_one("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(fks, 5, "every foreign key is still declared");
    let statuses: i64 = client
        .query_one("SELECT count(DISTINCT status) FROM tech_spec_sessions", &[])
        .await
        .unwrap()
        .get(0);
    assert!(statuses >= 2, "sessions come in various statuses");
    assert_complete(&client, 10).await;
}

#[tokio::test]
async fn a_second_seed_changes_nothing_and_says_so() {
    let db = migrated("seed_twice").await;
    let mut client = db.client().await;
    seed(&mut client, &options()).await.unwrap();
    let before = checksums(&client).await;
    let outcome = seed(
        &mut client,
        &SeedOptions {
            sessions: 50,
            ..options()
        },
    )
    .await
    .unwrap();
    let SeedOutcome::AlreadySeeded(existing) = outcome else {
        panic!("expected AlreadySeeded, got {outcome:?}")
    };
    assert_eq!(
        existing
            .rows
            .iter()
            .find(|(t, _)| t == "tech_spec_sessions")
            .unwrap()
            .1,
        10
    );
    assert_eq!(checksums(&client).await, before);
}

#[tokio::test]
async fn clear_reseeds_the_same_counts_and_keeps_a_design_job_the_tool_did_not_create() {
    let db = migrated("seed_clear").await;
    let mut client = db.client().await;
    seed(&mut client, &options()).await.unwrap();
    let real_job = insert_foreign_design_job(&client).await;
    let first = checksums(&client).await;
    let outcome = seed(
        &mut client,
        &SeedOptions {
            clear: true,
            ..options()
        },
    )
    .await
    .unwrap();
    assert!(matches!(outcome, SeedOutcome::Seeded(_)));
    assert_eq!(counts(&client).await, vec![6, 10, 15, 10, 30, 80, 6, 15]);
    assert!(design_job_exists(&client, real_job).await);
    assert_eq!(
        checksums(&client).await,
        first,
        "same seed and as_of: the same rows again"
    );
    let runs: i64 = client
        .query_one("SELECT count(*) FROM techspec_bench.seed_runs", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(runs, 1);
}

#[tokio::test]
async fn the_same_rng_seed_and_as_of_give_identical_checksums_on_two_databases() {
    let (a, b) = (migrated("seed_det_a").await, migrated("seed_det_b").await);
    let (mut client_a, mut client_b) = (a.client().await, b.client().await);
    let opts = SeedOptions {
        sessions: 200,
        ..options()
    };
    seed(&mut client_a, &opts).await.unwrap();
    seed(&mut client_b, &opts).await.unwrap();
    let sums = checksums(&client_a).await;
    assert_eq!(sums, checksums(&client_b).await);
    assert!(sums.iter().all(|s| s.len() == 32));

    let c = migrated("seed_det_c").await;
    let mut client_c = c.client().await;
    seed(
        &mut client_c,
        &SeedOptions {
            rng_seed: 8,
            ..opts
        },
    )
    .await
    .unwrap();
    assert_ne!(
        checksums(&client_c).await[3],
        sums[3],
        "another seed gives other sessions"
    );
}

#[tokio::test]
async fn without_the_shared_schema_seed_is_an_environment_error_naming_shared_design_jobs() {
    let db = common::TestDb::create("seed_noshared").await;
    let mut client = db.client().await;
    let error = seed(&mut client, &options()).await.unwrap_err();
    assert_eq!(error.exit_code(), 3);
    let message = error.to_string();
    assert!(message.contains("shared.design_jobs"), "{message}");
    assert!(message.contains("--create-shared-stand-in"), "{message}");
}

#[tokio::test]
async fn rows_no_seed_run_created_are_refused_unless_clear_and_force() {
    let db = migrated("seed_foreign").await;
    let mut client = db.client().await;
    let job = insert_foreign_design_job(&client).await;
    client
        .execute(
            "INSERT INTO tech_spec_sessions (id, design_job_id, project_id, user_id, current_stage) \
             VALUES (gen_random_uuid(), $1, $1, $1, 'initialization')",
            &[&job],
        )
        .await
        .unwrap();
    assert!(matches!(
        dataset_state(&client).await.unwrap(),
        DatasetState::Unknown {
            foreign_rows: 1,
            ..
        }
    ));
    for opts in [
        options(),
        SeedOptions {
            clear: true,
            ..options()
        },
    ] {
        let error = seed(&mut client, &opts).await.unwrap_err();
        assert_eq!(error.exit_code(), 2);
        assert!(error.to_string().contains("--force"), "{error}");
    }
    assert_eq!(
        counts(&client).await[3],
        1,
        "the foreign session is untouched"
    );
    seed(
        &mut client,
        &SeedOptions {
            clear: true,
            force: true,
            ..options()
        },
    )
    .await
    .unwrap();
    assert_eq!(counts(&client).await, vec![6, 10, 15, 10, 30, 80, 6, 15]);
}

#[tokio::test]
async fn a_seeded_dataset_with_rows_deleted_is_incomplete_and_clear_repairs_it() {
    let db = migrated("seed_incomplete").await;
    let mut client = db.client().await;
    seed(&mut client, &options()).await.unwrap();
    client
        .execute("DELETE FROM tech_conversations WHERE role = 'user'", &[])
        .await
        .unwrap();
    assert!(matches!(
        dataset_state(&client).await.unwrap(),
        DatasetState::Incomplete { .. }
    ));
    let error = seed(&mut client, &options()).await.unwrap_err();
    assert_eq!(error.exit_code(), 2);
    seed(
        &mut client,
        &SeedOptions {
            clear: true,
            ..options()
        },
    )
    .await
    .unwrap();
    assert!(matches!(
        dataset_state(&client).await.unwrap(),
        DatasetState::Complete { .. }
    ));
}

/// The first column of every row of `sql`, as text.
async fn first_column(client: &tokio_postgres::Client, sql: &str) -> Vec<String> {
    client
        .query(sql, &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

async fn schema_definitions(client: &tokio_postgres::Client) -> Vec<String> {
    let sql = "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid \
               WHERE c.relname IN ('tech_spec_sessions','tech_research','tech_conversations','trd_documents','tech_error_logs') \
               UNION ALL SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) \
               FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1";
    first_column(client, sql).await
}

#[tokio::test]
async fn a_large_seed_rebuilds_exactly_the_keys_indexes_and_constraints_it_dropped() {
    let db = migrated("seed_rebuild").await;
    let mut client = db.client().await;
    let before = schema_definitions(&client).await;
    assert!(before.len() >= 15 + 5 + 5);
    let report = seed_large(&mut client).await;
    assert!(
        report.phases.iter().any(
            |(p, _)| p.contains("dropped 5 primary keys, 10 secondary indexes, 5 foreign keys")
        )
    );
    assert_eq!(schema_definitions(&client).await, before);
    assert_complete(&client, 1200).await;
}

async fn shared_definitions(client: &tokio_postgres::Client) -> Vec<String> {
    let sql = "SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) \
               FROM pg_constraint WHERE connamespace = 'shared'::regnamespace ORDER BY 1";
    first_column(client, sql).await
}

#[tokio::test]
async fn on_the_tools_stand_in_a_large_seed_also_defers_and_restores_the_shared_foreign_keys() {
    let db = migrated("seed_stand_in").await;
    let mut client = db.client().await;
    record_stand_in(&client, "applied").await;
    let real_job = insert_foreign_design_job(&client).await;
    client
        .execute(
            "INSERT INTO shared.design_outputs (id, job_id, output_type, content) VALUES (gen_random_uuid(), $1, 'prd', 'kept')",
            &[&real_job],
        )
        .await
        .unwrap();
    let (public_before, shared_before) = (
        schema_definitions(&client).await,
        shared_definitions(&client).await,
    );
    let shared_foreign_keys = shared_before
        .iter()
        .filter(|d| d.contains("FOREIGN KEY"))
        .count();
    assert_eq!(shared_foreign_keys, 2, "{shared_before:?}");
    let report = seed_large(&mut client).await;
    assert!(
        report.phases.iter().any(
            |(p, _)| p.contains("dropped 5 primary keys, 10 secondary indexes, 7 foreign keys")
        ),
        "{:?}",
        report.phases
    );
    assert_eq!(schema_definitions(&client).await, public_before);
    assert_eq!(shared_definitions(&client).await, shared_before);
    let dangling: i64 = client
        .query_one(
            "SELECT (SELECT count(*) FROM shared.design_outputs o LEFT JOIN shared.design_jobs j ON j.id = o.job_id WHERE j.id IS NULL) + \
             (SELECT count(*) FROM shared.design_decisions x LEFT JOIN shared.design_jobs j ON j.id = x.job_id WHERE j.id IS NULL)",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(dangling, 0);
    assert_complete(&client, 1200).await;
}

#[tokio::test]
async fn on_the_design_agents_own_shared_schema_its_foreign_keys_stay_in_place() {
    let db = migrated("seed_real_shared").await;
    let mut client = db.client().await;
    record_stand_in(&client, "skipped_external").await;
    let report = seed_large(&mut client).await;
    assert!(
        report
            .phases
            .iter()
            .any(|(p, _)| p.contains("5 foreign keys")),
        "{:?}",
        report.phases
    );
}
