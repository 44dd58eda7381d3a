//! Integration tests of `seed` against concurrent writers and of what it rebuilds: a row
//! another session commits while seed waits for its lock is refused, not truncated;
//! `--clear` refuses foreign rows even when the dataset is incomplete; a large seed (keys
//! and indexes dropped and rebuilt) leaves `pg_dump --schema-only` unchanged, comments and
//! tablespaces included. Must not share databases with other tests.

use std::time::Duration;

use crate::common::{self, TestDb};
use crate::seed_support::{counts, insert_foreign_design_job, options};

use techspec_bench::seed::{DatasetState, SeedOptions, SeedOutcome, dataset_state, seed};

async fn migrated(label: &str) -> TestDb {
    let db = TestDb::create(label).await;
    db.apply_schema_files().await;
    db
}

/// Inserts one Tech Spec session of design job `job`, as another application would.
const FOREIGN_SESSION: &str = "INSERT INTO tech_spec_sessions (id, design_job_id, project_id, user_id, current_stage) \
     VALUES ('0e0e0e0e-0000-4000-8000-000000000001', $1, $1, $1, 'initialization')";

/// True once a session of database `name` waits for a lock.
async fn someone_waits_for_a_lock(admin: &tokio_postgres::Client, name: &str) -> bool {
    let waiting: i64 = admin
        .query_one(
            "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database \
             WHERE NOT l.granted AND d.datname = $1",
            &[&name],
        )
        .await
        .unwrap()
        .get(0);
    waiting > 0
}

#[tokio::test]
async fn a_row_committed_while_seed_waits_for_its_lock_is_refused_not_truncated() {
    let db = migrated("seed_race").await;
    let mut writer = db.client().await;
    let job = insert_foreign_design_job(&writer).await;
    let open = writer.transaction().await.unwrap();
    open.execute(FOREIGN_SESSION, &[&job]).await.unwrap();

    let mut seeder = db.client().await;
    let seeding = tokio::spawn(async move {
        let opts = SeedOptions {
            clear: true,
            ..options()
        };
        seed(&mut seeder, &opts).await
    });
    let admin = common::connect(&common::admin_url()).await;
    let mut waited = Duration::ZERO;
    while !someone_waits_for_a_lock(&admin, &db.name).await {
        assert!(!seeding.is_finished(), "seed did not wait for the writer");
        assert!(waited < Duration::from_secs(30), "seed never waited");
        tokio::time::sleep(Duration::from_millis(20)).await;
        waited += Duration::from_millis(20);
    }
    open.commit().await.unwrap();

    let error = seeding.await.unwrap().unwrap_err();
    assert_eq!(error.exit_code(), 2, "{error}");
    assert!(error.to_string().contains("--force"), "{error}");
    let client = db.client().await;
    assert_eq!(counts(&client).await[3], 1, "the committed session is kept");
}

#[tokio::test]
async fn clear_refuses_foreign_rows_when_the_dataset_is_incomplete() {
    let db = migrated("seed_clear_incomplete").await;
    let mut client = db.client().await;
    seed(&mut client, &options()).await.unwrap();
    let job = insert_foreign_design_job(&client).await;
    client.execute(FOREIGN_SESSION, &[&job]).await.unwrap();
    client
        .batch_execute(
            "UPDATE techspec_bench.seed_runs SET status = 'started', completed_at = NULL",
        )
        .await
        .unwrap();
    assert!(matches!(
        dataset_state(&client).await.unwrap(),
        DatasetState::Incomplete { .. }
    ));
    let sessions_before = counts(&client).await[3];

    let clearing = SeedOptions {
        clear: true,
        ..options()
    };
    let error = seed(&mut client, &clearing).await.unwrap_err();
    assert_eq!(error.exit_code(), 2, "{error}");
    let text = error.to_string();
    assert!(
        text.contains("1 sessions belong to design jobs no seed run created"),
        "{text}"
    );
    assert!(text.contains("--force"), "{text}");
    assert_eq!(
        counts(&client).await[3],
        sessions_before,
        "nothing was deleted"
    );

    let forced = SeedOptions {
        force: true,
        ..clearing
    };
    seed(&mut client, &forced).await.unwrap();
    assert_eq!(counts(&client).await[3], 10);
}

/// A tablespace in a fresh directory owned by `postgres`, dropped when this value is
/// (declare it before the database that uses it, so the database is dropped first).
struct Tablespace {
    name: String,
    _dir: tempfile::TempDir,
}

impl Tablespace {
    async fn create() -> Tablespace {
        let dir = tempfile::Builder::new()
            .prefix("tsb-tablespace-")
            .tempdir_in("/tmp")
            .unwrap();
        let chown = std::process::Command::new("chown")
            .arg("postgres:postgres")
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(
            chown.success(),
            "chown the tablespace directory to postgres"
        );
        let name = format!("tsb_space_{}", std::process::id());
        let admin = common::connect(&common::admin_url()).await;
        admin
            .batch_execute(&format!(
                "CREATE TABLESPACE {name} LOCATION '{}'",
                dir.path().display()
            ))
            .await
            .unwrap();
        Tablespace { name, _dir: dir }
    }
}

impl Drop for Tablespace {
    fn drop(&mut self) {
        let name = self.name.clone();
        // On a thread with its own runtime: Drop may run inside a runtime.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let admin = common::connect(&common::admin_url()).await;
                let _ = admin
                    .batch_execute(&format!("DROP TABLESPACE IF EXISTS {name}"))
                    .await;
            });
        })
        .join();
    }
}

fn schema_dump(db: &TestDb) -> String {
    let output = std::process::Command::new("pg_dump")
        .args(["--schema-only", "--no-owner", "--dbname", &db.url])
        .output()
        .expect("run pg_dump");
    assert!(
        output.status.success(),
        "pg_dump: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    // `\restrict` lines carry a random key per dump (newer pg_dump releases).
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter(|line| !line.starts_with("\\restrict") && !line.starts_with("\\unrestrict"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn a_large_seed_keeps_comments_and_tablespaces_of_what_it_rebuilds() {
    let space = Tablespace::create().await;
    let db = migrated("seed_dump").await;
    let mut client = db.client().await;
    client
        .batch_execute(&format!(
            "COMMENT ON INDEX idx_session_status_created IS 'the status list, newest first'; \
             COMMENT ON CONSTRAINT tech_research_session_id_fkey ON tech_research IS 'one session''s research'; \
             COMMENT ON CONSTRAINT tech_spec_sessions_pkey ON tech_spec_sessions IS 'C:\\path'; \
             ALTER INDEX idx_research_category_selected SET TABLESPACE {0}; \
             ALTER INDEX tech_research_pkey SET TABLESPACE {0}",
            space.name
        ))
        .await
        .unwrap();
    let before = schema_dump(&db);
    assert!(before.contains("the status list, newest first"), "{before}");
    assert!(before.contains(&space.name), "{before}");

    let opts = SeedOptions {
        sessions: techspec_bench::seed::DEFER_FROM_SESSIONS + 200,
        ..options()
    };
    let SeedOutcome::Seeded(report) = seed(&mut client, &opts).await.unwrap() else {
        panic!("expected a seed");
    };
    assert!(
        report
            .phases
            .iter()
            .any(|(phase, _)| phase.contains("dropped 5 primary keys, 10 secondary indexes")),
        "{:?}",
        report.phases
    );
    let after = schema_dump(&db);
    assert!(
        before == after,
        "schema changed:\n--- before\n{before}\n--- after\n{after}"
    );
    drop(client);
    drop(db);
    drop(space);
}
