//! Helpers shared by the seed integration tests: options with a fixed clock, row counts
//! and checksums. Must not be used outside tests.

use std::time::{Duration, Instant};

use techspec_bench::seed::{SeedOptions, parse_as_of};

pub use techspec_bench::db::catalog::DATASET_TABLES as TABLES;

/// Default options with a fixed `as_of` and seed.
pub fn options() -> SeedOptions {
    SeedOptions {
        rng_seed: 7,
        as_of: parse_as_of("2026-01-01T00:00:00Z").unwrap(),
        ..SeedOptions::default()
    }
}

/// Rows per table in `TABLES` order.
pub async fn counts(client: &tokio_postgres::Client) -> Vec<i64> {
    let mut out = Vec::new();
    for table in TABLES {
        let row = client
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])
            .await
            .unwrap();
        out.push(row.get(0));
    }
    out
}

/// md5 of every row of every table, ordered by id.
pub async fn checksums(client: &tokio_postgres::Client) -> Vec<String> {
    let mut out = Vec::new();
    for table in TABLES {
        let sql = format!(
            "SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY t.id)), '') FROM {table} t"
        );
        out.push(client.query_one(&sql, &[]).await.unwrap().get(0));
    }
    out
}

/// Inserts a design job the tool did not create (as the Design Agent would); returns its id.
pub async fn insert_foreign_design_job(client: &tokio_postgres::Client) -> uuid::Uuid {
    let id = uuid::Uuid::parse_str("0d0d0d0d-0000-4000-8000-000000000001").unwrap();
    client
        .execute(
            "INSERT INTO shared.design_jobs (id, project_id, user_id, title) VALUES ($1, $1, $1, 'real design job')",
            &[&id],
        )
        .await
        .unwrap();
    id
}

/// Records 0001_shared_stand_in with `outcome`, as `migrate` does ('applied' for the tool's
/// stand-in, 'skipped_external' when the Design Agent's schema was already there).
pub async fn record_stand_in(client: &tokio_postgres::Client, outcome: &str) {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS techspec_bench.schema_migrations (version integer PRIMARY KEY, \
             name text NOT NULL, checksum text NOT NULL, outcome text NOT NULL DEFAULT 'applied', \
             applied_at timestamptz NOT NULL DEFAULT now())",
        )
        .await
        .unwrap();
    client
        .execute(
            "INSERT INTO techspec_bench.schema_migrations (version, name, checksum, outcome) \
             VALUES (1, 'shared_stand_in', 'x', $1)",
            &[&outcome],
        )
        .await
        .unwrap();
}

/// Foreign keys declared on the `shared` tables.
pub async fn shared_foreign_keys(client: &tokio_postgres::Client) -> i64 {
    client
        .query_one(
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'shared'::regnamespace",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

/// True when `shared.design_jobs` holds the row `id`.
pub async fn design_job_exists(client: &tokio_postgres::Client, id: uuid::Uuid) -> bool {
    let found: i64 = client
        .query_one(
            "SELECT count(*) FROM shared.design_jobs WHERE id = $1",
            &[&id],
        )
        .await
        .unwrap()
        .get(0);
    found == 1
}

/// Waits until no other backend is connected to `dbname` (a killed seed's sessions ended).
pub async fn wait_until_idle(client: &tokio_postgres::Client, dbname: &str) {
    let started = Instant::now();
    loop {
        let others: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                &[&dbname],
            )
            .await
            .unwrap()
            .get(0);
        if others == 0 {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the seed's sessions did not end"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
