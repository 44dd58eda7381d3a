//! Opens connections to a resolved target, with TLS and a clear error naming host, port,
//! user and database. Must not decide where to connect (see `target`).

use crate::db::DbTarget;

/// Connects and spawns the connection task on the current tokio runtime (which may be
/// a `current_thread` runtime owned by one benchmark client thread).
pub async fn connect(_target: &DbTarget) -> crate::Result<tokio_postgres::Client> {
    todo!("db helper")
}
