//! A throwaway cluster started with pg_stat_statements preloaded and created, for the
//! `capture` and `watch` tests (the server of DATABASE_URL does not preload it), with the
//! conninfo the binary is given. Must not run workloads (the tests do).

use std::time::Duration;

use techspec_bench::db::cluster::ThrowawayCluster;

/// The cluster (stopped and deleted on drop) and how the binary reaches it.
pub struct StatsCluster {
    pub cluster: ThrowawayCluster,
    /// `host=DIR port=5432 user=postgres dbname=postgres sslmode=disable`.
    pub conninfo: String,
}

impl StatsCluster {
    /// Starts the cluster with `shared_preload_libraries = 'pg_stat_statements'` and runs
    /// `CREATE EXTENSION pg_stat_statements` in its `postgres` database.
    pub async fn start() -> StatsCluster {
        let cluster = ThrowawayCluster::start_with_settings(
            Duration::from_secs(10),
            &[("shared_preload_libraries", "pg_stat_statements")],
        )
        .await
        .expect("a throwaway cluster with pg_stat_statements starts");
        let conninfo = format!(
            "host={} port=5432 user=postgres dbname=postgres sslmode=disable",
            cluster.path().display()
        );
        let stats = StatsCluster { cluster, conninfo };
        stats
            .client()
            .await
            .batch_execute("CREATE EXTENSION pg_stat_statements")
            .await
            .expect("CREATE EXTENSION pg_stat_statements");
        stats
    }

    /// A new connection to the cluster's `postgres` database.
    pub async fn client(&self) -> tokio_postgres::Client {
        techspec_bench::db::connect(&self.cluster.target())
            .await
            .expect("connects to the stats cluster")
    }

    /// Forgets every recorded statement.
    pub async fn reset(&self) {
        self.client()
            .await
            .batch_execute("SELECT pg_stat_statements_reset()")
            .await
            .expect("pg_stat_statements_reset()");
    }
}
