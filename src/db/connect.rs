//! Opens connections to a resolved target, with TLS and a clear error naming host, port,
//! user and database, read-write or read-only (every transaction read-only from the first
//! statement on). Must not decide where to connect (see `target`), nor which statements
//! may write (the caller chooses the connection).

use std::time::Duration;

use tokio_postgres::error::SqlState;

use crate::db::DbTarget;
use crate::db::{cancel, pooler, tls};

/// Used when a target carries no connect timeout (never the case after `resolve`).
const FALLBACK_TIMEOUT: Duration = Duration::from_secs(10);

/// The startup option that makes every transaction of a session read-only unless the
/// session itself changes the setting.
const READ_ONLY_OPTION: &str = "-c default_transaction_read_only=on";

/// Like [`connect`], but every transaction on the connection is read-only: the server
/// receives `default_transaction_read_only=on` in the startup packet, so it holds before
/// the first statement, and `RESET`/`DISCARD ALL` return to it. A write of any kind
/// (DML, DDL, `nextval()`, a function that writes) fails with SQLSTATE 25006.
///
/// A connection pooler that refuses the `options` startup parameter (PgBouncer in
/// transaction mode: SQLSTATE 08P01) gets a plain connection instead: the second value is
/// then false, and the caller must make every transaction read-only itself
/// (`BEGIN READ ONLY`), which it does anyway where session state cannot be trusted.
pub async fn connect_read_only(target: &DbTarget) -> crate::Result<(tokio_postgres::Client, bool)> {
    match attempt(&read_only(target)).await {
        Ok(client) => Ok((client, true)),
        Err(Failed::Driver(e)) if pooler::refuses_startup_option(&e) => {
            Ok((connect(target).await?, false))
        }
        Err(Failed::Driver(e)) => Err(failure(target, &e)),
        Err(Failed::Other(e)) => Err(e),
    }
}

/// A read-only connection for a command's own reads (`capture`, `watch`): where a pooler
/// refused the startup option, the session is made read-only with `SET` (enough for
/// statements that only read; the timed loop makes each transaction read-only instead).
pub async fn connect_read_only_session(target: &DbTarget) -> crate::Result<tokio_postgres::Client> {
    let (client, guarded) = connect_read_only(target).await?;
    if !guarded {
        client
            .batch_execute("SET default_transaction_read_only = on")
            .await
            .map_err(|e| crate::Error::database("cannot make the session read-only", &e))?;
    }
    Ok(client)
}

/// `target` with [`READ_ONLY_OPTION`] after any `options` it already carries (so it wins
/// over a `default_transaction_read_only` given there).
pub(crate) fn read_only(target: &DbTarget) -> DbTarget {
    let mut target = target.clone();
    let options = match target.config.get_options() {
        Some(given) if !given.trim().is_empty() => format!("{given} {READ_ONLY_OPTION}"),
        _ => READ_ONLY_OPTION.to_string(),
    };
    target.config.options(options);
    target
}

/// Connects and spawns the connection task on the current tokio runtime (which may be
/// a `current_thread` runtime owned by one benchmark client thread). The whole attempt
/// (TCP, TLS, authentication) is bounded by the target's connect timeout. The connection
/// is registered for a cancel request on Ctrl-C (`db::cancel`) while its task runs.
pub async fn connect(target: &DbTarget) -> crate::Result<tokio_postgres::Client> {
    attempt(target).await.map_err(|failed| match failed {
        Failed::Driver(e) => failure(target, &e),
        Failed::Other(e) => e,
    })
}

/// Why an attempt failed: the driver's error (its SQLSTATE still readable), or the
/// tool's own (TLS set-up, no answer in time).
enum Failed {
    Driver(tokio_postgres::Error),
    Other(crate::Error),
}

async fn attempt(target: &DbTarget) -> Result<tokio_postgres::Client, Failed> {
    let timeout = connect_timeout(target);
    let attempt = async {
        let connector = tls::connector(&target.tls).map_err(Failed::Other)?;
        match connector {
            None => {
                let (client, connection) = target
                    .config
                    .connect(tokio_postgres::NoTls)
                    .await
                    .map_err(Failed::Driver)?;
                let registration = cancel::register_driver(client.cancel_token(), None);
                spawn_registered(connection, registration);
                Ok(client)
            }
            Some(connector) => {
                let (client, connection) = target
                    .config
                    .connect(connector.clone())
                    .await
                    .map_err(Failed::Driver)?;
                let registration = cancel::register_driver(client.cancel_token(), Some(connector));
                spawn_registered(connection, registration);
                Ok(client)
            }
        }
    };
    match tokio::time::timeout(timeout, attempt).await {
        Ok(result) => result,
        Err(_) => Err(Failed::Other(no_answer(target, timeout))),
    }
}

/// Runs the connection task; the connection stays registered for a cancel request
/// until the task ends (the connection closed, or its runtime shut down).
fn spawn_registered<F>(connection: F, registration: cancel::Registration)
where
    F: std::future::Future + Send + 'static,
    F::Output: Send,
{
    tokio::spawn(async move {
        let _registered = registration;
        connection.await
    });
}

/// The target's connect timeout (10 s when it carries none).
pub(crate) fn connect_timeout(target: &DbTarget) -> Duration {
    target
        .config
        .get_connect_timeout()
        .copied()
        .unwrap_or(FALLBACK_TIMEOUT)
}

/// The error for an attempt that got no answer within `timeout`.
pub(crate) fn no_answer(target: &DbTarget, timeout: Duration) -> crate::Error {
    crate::Error::environment(format!(
        "cannot connect to {}: no answer within {} ({}). {}",
        target.display,
        humantime::format_duration(timeout),
        describe_target(target),
        advice_for_unreachable()
    ))
}

/// The error for a failed attempt: what failed, at which target, and what to check.
pub(crate) fn failure(target: &DbTarget, error: &tokio_postgres::Error) -> crate::Error {
    let advice = match error.code() {
        Some(code) if *code == SqlState::INVALID_PASSWORD => {
            "Check the password (in the URL, PGPASSWORD or ~/.pgpass) and the user name.".to_string()
        }
        Some(code) if *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION => {
            "Check pg_hba.conf on the server: it must allow this user, database and client address.".to_string()
        }
        Some(code) if *code == SqlState::INVALID_CATALOG_NAME => {
            "The database does not exist: create it (createdb) or name another one.".to_string()
        }
        Some(code) if *code == SqlState::TOO_MANY_CONNECTIONS => {
            "The server has no free connection slots: close other sessions or raise max_connections.".to_string()
        }
        Some(_) if pooler::refuses_startup_option(error) => pooler::ADVICE.to_string(),
        Some(_) => "Check the server log for details.".to_string(),
        None if is_tls_problem(error) => "Check sslmode and sslrootcert: `require` needs a server with TLS \
            enabled; `verify-ca` and `verify-full` need the CA certificate that signed the server's \
            certificate (sslrootcert=/path/ca.pem), and `verify-full` also needs the host name to match it."
            .to_string(),
        None => advice_for_unreachable(),
    };
    crate::Error::environment(format!(
        "cannot connect to {} ({}): {}. {advice}",
        target.display,
        describe_target(target),
        crate::error::describe_pg_error(error)
    ))
}

fn is_tls_problem(error: &tokio_postgres::Error) -> bool {
    let text = crate::error::describe_pg_error(error);
    text.contains("TLS") || text.contains("certificate")
}

pub(crate) fn advice_for_unreachable() -> String {
    "Check that the server is running and reachable at that host and port, that it accepts \
     connections from this machine (listen_addresses, pg_hba.conf, firewall), and the sslmode; \
     or unset --database-url, DATABASE_URL, PGHOST and PGDATABASE to use a throwaway cluster."
        .to_string()
}

/// "host h, port p, user u, database d, sslmode m".
pub(crate) fn describe_target(target: &DbTarget) -> String {
    let config = &target.config;
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|host| match host {
            tokio_postgres::config::Host::Tcp(name) => name.clone(),
            tokio_postgres::config::Host::Unix(dir) => format!("Unix socket in {}", dir.display()),
        })
        .chain(config.get_hostaddrs().iter().map(|a| a.to_string()))
        .collect();
    format!(
        "host {}, port {}, user {}, database {}, sslmode {}",
        hosts.join(","),
        config.get_ports().first().copied().unwrap_or(5432),
        config.get_user().unwrap_or("?"),
        config.get_dbname().unwrap_or("?"),
        sslmode_name(target.tls.mode)
    )
}

fn sslmode_name(mode: tls::SslMode) -> &'static str {
    match mode {
        tls::SslMode::Disable => "disable",
        tls::SslMode::Prefer => "prefer",
        tls::SslMode::Require => "require",
        tls::SslMode::VerifyCa => "verify-ca",
        tls::SslMode::VerifyFull => "verify-full",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_only_targets_add_the_startup_option_after_any_given_options() {
        let plain = DbTarget::from_url_for_tests("postgres://alice@127.0.0.1/app").unwrap();
        assert_eq!(
            read_only(&plain).config.get_options(),
            Some("-c default_transaction_read_only=on")
        );
        let given = DbTarget::from_url_for_tests(
            "postgres://alice@127.0.0.1/app?options=-c%20default_transaction_read_only%3Doff",
        )
        .unwrap();
        assert_eq!(
            read_only(&given).config.get_options(),
            Some("-c default_transaction_read_only=off -c default_transaction_read_only=on")
        );
        assert_eq!(read_only(&plain).display, plain.display);
    }

    #[tokio::test]
    async fn an_unreachable_port_names_host_port_user_and_database_without_the_password() {
        let target =
            DbTarget::from_url_for_tests("postgres://alice:hunter2pw@127.0.0.1:1/app").unwrap();
        let Err(error) = connect(&target).await else {
            panic!("port 1 must refuse");
        };
        let text = error.to_string();
        assert_eq!(error.exit_code(), 3);
        for part in [
            "127.0.0.1",
            "port 1",
            "user alice",
            "database app",
            "server is running",
        ] {
            assert!(text.contains(part), "missing {part:?} in {text}");
        }
        assert!(!text.contains("hunter2pw"), "{text}");
    }
}
