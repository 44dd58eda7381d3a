//! The only code that talks to PostgreSQL: target resolution, TLS, connections, the
//! throwaway cluster, migrations and catalog queries. Must not format reports.

pub mod catalog;
pub mod cluster;
pub mod connect;
pub mod migrate;
pub mod target;
pub mod tls;

pub use connect::connect;
pub use target::DbTarget;
