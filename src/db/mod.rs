//! Everything the tool itself says to PostgreSQL: target resolution, TLS, connections,
//! lean connections for the timed loop (`wire`), cancel requests on Ctrl-C (`cancel`),
//! pooler errors (`pooler`), the throwaway cluster, migrations, catalog reads, the DDL it issues (bulk-load keys and
//! indexes, TRUNCATE, ANALYZE, load settings), the bookkeeping of seed runs, and the
//! recognition of "does not exist" errors that make a scenario skip. The user's SQL is run
//! by `bench` and `explain` by design; `seed` generates, encodes and COPYs rows. Must not
//! format reports.

pub mod ablation;
pub mod cancel;
pub mod catalog;
pub mod cluster;
pub mod connect;
pub mod conninfo;
pub mod constraints;
pub mod ddl;
pub mod libpq_env;
pub mod migrate;
pub mod missing;
pub mod pg_install;
pub mod pgpass;
pub mod pooler;
pub mod prepared;
pub mod reference;
pub mod seed_growth;
pub mod seed_runs;
pub mod service;
pub mod stat_statements;
pub mod target;
pub mod tls;
pub mod url_hosts;
pub mod wire;

pub use connect::{connect, connect_read_only, connect_read_only_session};
pub use target::DbTarget;
