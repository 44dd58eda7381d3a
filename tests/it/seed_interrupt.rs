//! An interrupted seed (lost connection, or the seeding future dropped mid-COPY) leaves
//! the database exactly as it was. Must not depend on timing beyond "the COPY has started".

use crate::common;
use crate::seed_support;

use std::time::Duration;

use seed_support::{counts, design_job_exists, options, record_stand_in, shared_foreign_keys};
use techspec_bench::seed::{DatasetState, SeedOptions, dataset_state, seed};

/// Waits until a COPY into a Tech Spec table is under way (`watcher` is connected to the
/// same database); returns the backend pid.
async fn wait_for_copy(watcher: &tokio_postgres::Client) -> i32 {
    for _ in 0..1200 {
        let row = watcher
            .query_opt(
                "SELECT p.pid FROM pg_stat_progress_copy p \
                 WHERE p.datid = (SELECT oid FROM pg_database WHERE datname = current_database()) \
                 AND p.relid::regclass::text IN ('tech_spec_sessions', 'tech_research', 'tech_conversations') AND p.tuples_processed > 0",
                &[],
            )
            .await
            .unwrap();
        if let Some(row) = row {
            return row.get(0);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no COPY into a Tech Spec table started within 120 s");
}

async fn assert_untouched(db: &common::TestDb, real_job: uuid::Uuid) {
    let client = db.client().await;
    assert_eq!(counts(&client).await, vec![1, 0, 0, 0, 0, 0, 0, 0]);
    assert!(design_job_exists(&client, real_job).await);
    let runs: i64 = client
        .query_one("SELECT count(*) FROM techspec_bench.seed_runs", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(runs, 0, "no seed run is recorded");
    assert_eq!(dataset_state(&client).await.unwrap(), DatasetState::Empty);
    let indexes: i64 = client
        .query_one("SELECT count(*) FROM pg_indexes WHERE tablename LIKE 'tech_%' OR tablename = 'trd_documents'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(indexes, 15, "indexes dropped for the load are back");
    assert_eq!(
        shared_foreign_keys(&client).await,
        2,
        "the stand-in's foreign keys dropped for the load are back"
    );
}

fn large() -> SeedOptions {
    SeedOptions {
        sessions: 40_000,
        ..options()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_killed_mid_copy_leaves_nothing_behind() {
    let db = common::TestDb::create("seed_killed").await;
    db.apply_schema_files().await;
    record_stand_in(&db.client().await, "applied").await; // the shared foreign keys are dropped too
    let real_job = seed_support::insert_foreign_design_job(&db.client().await).await;
    let mut seeding = db.client().await;
    let task = tokio::spawn(async move { seed(&mut seeding, &large()).await });
    let watcher = db.client().await;
    let pid = wait_for_copy(&watcher).await;
    watcher
        .execute("SELECT pg_terminate_backend($1)", &[&pid])
        .await
        .unwrap();
    let error = task.await.unwrap().unwrap_err();
    assert_eq!(error.exit_code(), 3, "{error}");
    assert_untouched(&db, real_job).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_seed_future_mid_copy_leaves_nothing_behind() {
    let db = common::TestDb::create("seed_dropped").await;
    db.apply_schema_files().await;
    let real_job = seed_support::insert_foreign_design_job(&db.client().await).await;
    let watcher = db.client().await;
    {
        let mut seeding = db.client().await;
        let opts = large();
        tokio::select! {
            result = seed(&mut seeding, &opts) => panic!("seed finished before it was interrupted: {result:?}"),
            _ = wait_for_copy(&watcher) => {}
        }
    } // the seed future and its client are dropped here, mid-COPY
    for _ in 0..600 {
        let busy: i64 = watcher
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if busy == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_untouched(&db, real_job).await;
}
