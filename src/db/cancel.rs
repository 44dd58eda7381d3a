//! Cancel requests for the queries in flight when the tool is interrupted. Every open
//! connection is registered here while it lives (those of `db::connect` for as long as
//! their connection task runs, the lean ones of `db::wire` for as long as they are held);
//! [`cancel_all`] sends each a cancel request on a new socket, as libpq's `PQcancel`
//! does, so a statement running on a named database stops at once instead of at its
//! `statement_timeout`. A connection with no query running ignores the request. Must not
//! decide when to cancel (the caller handles Ctrl-C and SIGTERM).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio_postgres::CancelToken;

use crate::db::wire::socket::Endpoint;

/// How a registered connection is reached for its cancel request.
#[derive(Clone)]
enum Route {
    /// A connection opened by tokio-postgres: it knows its own address and TLS mode.
    Driver(
        CancelToken,
        Option<tokio_postgres_rustls::MakeRustlsConnect>,
    ),
    /// A lean connection: its address; the request is sent unencrypted (it carries only
    /// the key the server handed this connection).
    Endpoint(CancelToken, Endpoint),
}

static NEXT: AtomicU64 = AtomicU64::new(0);
static OPEN: Mutex<Vec<(u64, Route)>> = Mutex::new(Vec::new());

/// A connection's entry: removed when dropped.
pub struct Registration(u64);

impl Drop for Registration {
    fn drop(&mut self) {
        open().retain(|(id, _)| *id != self.0);
    }
}

fn open() -> std::sync::MutexGuard<'static, Vec<(u64, Route)>> {
    OPEN.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn register(route: Route) -> Registration {
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    open().push((id, route));
    Registration(id)
}

/// Registers a connection opened by tokio-postgres (`tls`: the connector it was opened
/// with, for a server that requires TLS).
pub fn register_driver(
    token: CancelToken,
    tls: Option<tokio_postgres_rustls::MakeRustlsConnect>,
) -> Registration {
    register(Route::Driver(token, tls))
}

/// Registers a lean connection at `endpoint` (its token's TLS mode is `disable`).
pub fn register_endpoint(token: CancelToken, endpoint: Endpoint) -> Registration {
    register(Route::Endpoint(token, endpoint))
}

/// How many connections are registered (for tests and notes).
pub fn registered() -> usize {
    open().len()
}

/// Sends a cancel request to every registered connection, all at once, and waits at
/// most `within` for them to be sent. Best effort: a connection that cannot be reached
/// is left to its `statement_timeout`.
pub async fn cancel_all(within: Duration) {
    let routes: Vec<Route> = open().iter().map(|(_, route)| route.clone()).collect();
    let requests = routes.into_iter().map(send);
    let _ = tokio::time::timeout(within, futures_util::future::join_all(requests)).await;
}

async fn send(route: Route) {
    let _ = match route {
        Route::Driver(token, Some(tls)) => token.cancel_query(tls).await,
        Route::Driver(token, None) => token.cancel_query(tokio_postgres::NoTls).await,
        Route::Endpoint(token, Endpoint::Tcp { addr, .. }) => {
            match tokio::net::TcpStream::connect(addr).await {
                Ok(stream) => token.cancel_query_raw(stream, tokio_postgres::NoTls).await,
                Err(_) => return,
            }
        }
        Route::Endpoint(token, Endpoint::Unix(path)) => {
            match tokio::net::UnixStream::connect(path).await {
                Ok(stream) => token.cancel_query_raw(stream, tokio_postgres::NoTls).await,
                Err(_) => return,
            }
        }
    };
}
