//! The only code that talks to PostgreSQL: target resolution, TLS, connections, the
//! throwaway cluster, migrations, catalog queries, and the recognition of "does not
//! exist" errors that make a scenario skip. Must not format reports.

pub mod catalog;
pub mod cluster;
pub mod connect;
pub mod conninfo;
pub mod migrate;
pub mod missing;
pub mod pg_install;
pub mod pgpass;
pub mod target;
pub mod tls;

pub use connect::connect;
pub use target::DbTarget;
