//! Checks that the migration files apply as plain SQL on a fresh database (the fixture
//! other integration tests build on). Must not depend on the tool's migration runner.

use crate::common;

#[tokio::test]
async fn migration_files_create_the_eight_tables_and_fifteen_indexes() {
    let db = common::TestDb::create("schema").await;
    db.apply_schema_files().await;
    let client = db.client().await;
    let tables: i64 = client
        .query_one(
            "SELECT count(*) FROM information_schema.tables WHERE (table_schema, table_name) IN \
             (('shared','design_jobs'),('shared','design_outputs'),('shared','design_decisions'),\
              ('public','tech_spec_sessions'),('public','tech_research'),('public','tech_conversations'),\
              ('public','trd_documents'),('public','tech_error_logs'))",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(tables, 8);
    let indexes: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' AND tablename IN \
             ('tech_spec_sessions','tech_research','tech_conversations','trd_documents','tech_error_logs')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(indexes, 15);
}
