//! `migrate` against a named database (a fresh TestDb on DATABASE_URL): tables and
//! indexes, idempotence, drift, the shared-schema rule, status, concurrency, catalog.
//! Must not touch databases other than its own.

use crate::common;

use techspec_bench::db::catalog;
use techspec_bench::db::migrate::{self, EMBEDDED, MigrateOptions, MigrationStatus, Outcome};

const TECH_SPEC_INDEXES: [&str; 15] = [
    "tech_spec_sessions_pkey",
    "tech_research_pkey",
    "tech_conversations_pkey",
    "trd_documents_pkey",
    "tech_error_logs_pkey",
    "ix_tech_spec_sessions_design_job_id",
    "ix_tech_spec_sessions_user_id",
    "ix_tech_spec_sessions_project_id",
    "ix_tech_research_session_id",
    "ix_trd_documents_session_id",
    "ix_tech_error_logs_session_id",
    "idx_session_status_created",
    "idx_conversation_session_timestamp",
    "idx_research_category_selected",
    "idx_error_logs_type_created",
];

struct CliOutput {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn migrate_cli(url: &str, extra: &[&str]) -> CliOutput {
    let output = common::tool()
        .args(["--database-url", url, "migrate"])
        .args(extra)
        .output()
        .unwrap();
    CliOutput {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[tokio::test]
async fn migrate_creates_the_tables_and_indexes_and_a_second_run_applies_nothing() {
    let db = common::TestDb::create("mig_fresh").await;
    let first = migrate_cli(&db.url, &["--create-shared-stand-in"]);
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    for migration in EMBEDDED {
        assert!(
            first
                .stdout
                .contains(&format!("applied {}", migration.label())),
            "{}",
            first.stdout
        );
    }
    let client = db.client().await;
    for table in common::DATA_TABLES {
        assert!(
            catalog::relation_exists(&client, table).await.unwrap(),
            "{table} missing"
        );
    }
    let names: Vec<String> = client
        .query(
            "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND tablename IN \
             ('tech_spec_sessions','tech_research','tech_conversations','trd_documents','tech_error_logs')",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    let mut expected: Vec<String> = TECH_SPEC_INDEXES.iter().map(|s| s.to_string()).collect();
    let mut actual = names.clone();
    expected.sort();
    actual.sort();
    assert_eq!(actual, expected);
    for index in TECH_SPEC_INDEXES {
        assert!(
            catalog::index_exists(&client, index).await.unwrap(),
            "{index}"
        );
    }

    let second = migrate_cli(&db.url, &[]);
    assert_eq!(second.code, Some(0), "{}", second.stderr);
    assert!(
        second.stdout.contains("nothing to apply"),
        "{}",
        second.stdout
    );
    let status = migrate_cli(&db.url, &["--status"]);
    assert_eq!(status.code, Some(0), "{}", status.stderr);
    assert!(status.stdout.contains("0 pending"), "{}", status.stdout);
}

#[tokio::test]
async fn a_changed_checksum_is_drift_exit_3_and_nothing_is_rerun() {
    let db = common::TestDb::create("mig_drift").await;
    assert_eq!(
        migrate_cli(&db.url, &["--create-shared-stand-in"]).code,
        Some(0)
    );
    let client = db.client().await;
    client
        .execute(
            "UPDATE techspec_bench.schema_migrations SET checksum = 'tampered' WHERE version = 2",
            &[],
        )
        .await
        .unwrap();
    let run = migrate_cli(&db.url, &[]);
    assert_eq!(run.code, Some(3), "{}", run.stderr);
    assert!(
        run.stderr.contains("drift") && run.stderr.contains("0002_tech_spec_tables"),
        "{}",
        run.stderr
    );
    let status = migrate_cli(&db.url, &["--status"]);
    assert_eq!(status.code, Some(3), "{}", status.stderr);
    assert!(status.stdout.contains("drifted"), "{}", status.stdout);
    let count: i64 = client
        .query_one("SELECT count(*) FROM techspec_bench.schema_migrations", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(count as usize, EMBEDDED.len());
}

#[tokio::test]
async fn without_the_shared_schema_migrate_exits_3_and_says_what_to_do() {
    let db = common::TestDb::create("mig_noshared").await;
    let run = migrate_cli(&db.url, &[]);
    assert_eq!(run.code, Some(3), "{}", run.stderr);
    assert!(
        run.stderr.contains("Run the Design Agent migrations first"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("--create-shared-stand-in"),
        "{}",
        run.stderr
    );
    let client = db.client().await;
    assert!(
        !catalog::relation_exists(&client, "public.tech_spec_sessions")
            .await
            .unwrap()
    );
    assert!(
        !catalog::relation_exists(&client, "shared.design_jobs")
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn an_existing_shared_schema_is_used_and_the_stand_in_is_skipped() {
    let db = common::TestDb::create("mig_external").await;
    let client = db.client().await;
    client
        .batch_execute("CREATE SCHEMA shared; CREATE TABLE shared.design_jobs (id uuid PRIMARY KEY, note text);")
        .await
        .unwrap();
    let run = migrate_cli(&db.url, &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout.contains("skipped 0001_shared_stand_in"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("applied 0002_tech_spec_tables"),
        "{}",
        run.stdout
    );
    assert!(
        !catalog::relation_exists(&client, "shared.design_outputs")
            .await
            .unwrap(),
        "stand-in not applied"
    );
    let states = migrate::status(&client).await.unwrap();
    assert_eq!(states[0].status, MigrationStatus::Skipped);
    assert!(
        states[1..]
            .iter()
            .all(|s| s.status == MigrationStatus::Applied)
    );
}

#[tokio::test]
async fn status_on_a_fresh_database_lists_everything_pending_and_writes_nothing() {
    let db = common::TestDb::create("mig_status").await;
    let run = migrate_cli(&db.url, &["--status"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout.contains(&format!("{} pending", EMBEDDED.len())),
        "{}",
        run.stdout
    );
    let client = db.client().await;
    assert!(
        !catalog::relation_exists(&client, "techspec_bench.schema_migrations")
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn concurrent_migrations_apply_each_file_once() {
    let db = common::TestDb::create("mig_race").await;
    let options = MigrateOptions {
        create_shared_stand_in: true,
    };
    let (mut a, mut b) = (db.client().await, db.client().await);
    let (first, second) = tokio::join!(
        migrate::apply(&mut a, &options),
        migrate::apply(&mut b, &options)
    );
    let mut versions: Vec<u32> = first
        .unwrap()
        .into_iter()
        .chain(second.unwrap())
        .map(|m| m.version)
        .collect();
    versions.sort();
    let expected: Vec<u32> = EMBEDDED.iter().map(|m| m.version).collect();
    assert_eq!(versions, expected);
}

#[tokio::test]
async fn catalog_reports_version_row_counts_and_settings() {
    let db = common::TestDb::create("mig_catalog").await;
    let mut client = db.client().await;
    let done = migrate::apply(
        &mut client,
        &MigrateOptions {
            create_shared_stand_in: true,
        },
    )
    .await
    .unwrap();
    assert!(done.iter().all(|m| m.outcome == Outcome::Applied));
    let version = catalog::server_version(&client).await.unwrap();
    assert!(
        version.chars().next().unwrap().is_ascii_digit(),
        "{version}"
    );
    let counts = catalog::table_row_counts(&client).await.unwrap();
    assert_eq!(counts.len(), 8);
    assert!(counts.values().all(|&n| n == 0));
    client
        .batch_execute("DROP TABLE tech_error_logs")
        .await
        .unwrap();
    assert!(
        !catalog::table_row_counts(&client)
            .await
            .unwrap()
            .contains_key("tech_error_logs")
    );
    let fsync: String = client
        .query_one("SELECT current_setting('fsync')", &[])
        .await
        .unwrap()
        .get(0);
    let notes = catalog::settings_notes(&client).await.unwrap();
    assert_eq!(notes.contains(&"fsync=off".to_string()), fsync == "off");
}

#[tokio::test]
async fn user_relations_lists_indexes_with_their_tables_and_leaves_out_system_schemas() {
    let db = common::TestDb::create("mig_relations").await;
    db.apply_schema_files().await;
    let client = db.client().await;
    let relations = catalog::user_relations(&client).await.unwrap();
    let name = |schema: &str, name: &str| catalog::QualifiedName {
        schema: schema.into(),
        name: name.into(),
    };
    assert!(relations.indexes.contains(&(
        name("public", "idx_session_status_created"),
        name("public", "tech_spec_sessions")
    )));
    assert!(relations.tables.contains(&name("shared", "design_jobs")));
    let system = ["pg_catalog", "information_schema"];
    let listed = relations.indexes.iter().flat_map(|(i, t)| [i, t]);
    assert!(
        listed
            .chain(&relations.tables)
            .all(|r| !system.contains(&r.schema.as_str())),
        "{relations:?}"
    );
    assert!(relations.schemas.iter().any(|s| s == "pg_catalog"));
}
