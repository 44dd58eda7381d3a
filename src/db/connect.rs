//! Opens connections to a resolved target, with TLS and a clear error naming host, port,
//! user and database. Must not decide where to connect (see `target`).

use crate::db::DbTarget;

/// Connects and spawns the connection task on the current tokio runtime (which may be
/// a `current_thread` runtime owned by one benchmark client thread).
/// (Interim: no TLS yet; the db engineer replaces this.)
pub async fn connect(target: &DbTarget) -> crate::Result<tokio_postgres::Client> {
    let (client, connection) = target
        .config
        .connect(tokio_postgres::NoTls)
        .await
        .map_err(|e| crate::Error::database(format!("cannot connect to {}", target.display), &e))?;
    tokio::spawn(connection);
    Ok(client)
}
