//! Resolves where to connect: `--database-url`, `DATABASE_URL`, the libpq variables, or
//! a throwaway cluster; then builds the named target from its connection string, the
//! service it names and what libpq would take from elsewhere (`db::libpq_env`), and
//! redacts passwords for display. Pure: must not connect or read the process env
//! directly (the environment is passed in, so resolution is unit-testable).

use std::time::Duration;

use tokio_postgres::config::Host;

use crate::db::libpq_env::{self, Env};
use crate::db::{conninfo, service};

pub use crate::db::libpq_env::{DEFAULT_APPLICATION_NAME, DEFAULT_CONNECT_TIMEOUT};

/// A resolved connection target.
#[derive(Clone)]
pub struct DbTarget {
    /// tokio-postgres configuration (host, port, user, password, dbname, timeouts).
    pub config: tokio_postgres::Config,
    /// How to secure the connection.
    pub tls: crate::db::tls::TlsSettings,
    /// "postgres://user@host:port/db" with no password, for messages and reports.
    pub display: String,
    /// True for a cluster the tool started itself (safe to migrate and seed).
    pub throwaway: bool,
}

impl std::fmt::Debug for DbTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbTarget")
            .field("display", &self.display)
            .field("throwaway", &self.throwaway)
            .finish()
    }
}

/// Where the connection came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSource {
    Flag,
    DatabaseUrlEnv,
    LibpqEnv,
}

/// The outcome of resolution: a named database, or none (start a throwaway cluster).
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // made once per command; boxing would only add noise
pub enum Resolved {
    Named(DbTarget, TargetSource),
    Throwaway,
}

/// Resolves the target from the flag value and an environment lookup, in this order:
/// `--database-url`, `DATABASE_URL`, then the libpq variables when `PGHOST`,
/// `PGDATABASE` or `PGSERVICE` is set, else [`Resolved::Throwaway`].
///
/// Each value comes from, in order (as libpq does): the connection string; the
/// service it names (`service=`, else `PGSERVICE`; see [`service`]); the libpq
/// variables; then the defaults (see [`libpq_env`]). A URL with one host and no port
/// names no port, so `PGPORT` applies to it. `connect_timeout` is the
/// `--connect-timeout` flag when given: it beats the string, the service and
/// `PGCONNECT_TIMEOUT` (see [`libpq_env::connect_timeout`]). With no password, the
/// password file (`passfile`, `PGPASSFILE` or `~/.pgpass`) is consulted. `verify-ca` and
/// `verify-full` without a root certificate are refused here (exit 3).
pub fn resolve(
    flag: Option<&str>,
    env: Env,
    connect_timeout: Option<Duration>,
) -> crate::Result<Resolved> {
    let env = |key: &str| env(key).filter(|value| !value.trim().is_empty());
    let (text, source, origin) = if let Some(text) = flag.filter(|f| !f.trim().is_empty()) {
        (text.to_string(), TargetSource::Flag, "--database-url")
    } else if let Some(text) = env("DATABASE_URL") {
        (text, TargetSource::DatabaseUrlEnv, "DATABASE_URL")
    } else if ["PGHOST", "PGDATABASE", "PGSERVICE"]
        .iter()
        .any(|key| env(key).is_some())
    {
        (
            String::new(),
            TargetSource::LibpqEnv,
            "the PG* environment variables",
        )
    } else {
        return Ok(Resolved::Throwaway);
    };
    let target = named_target(&text, &env, connect_timeout).map_err(|error| match error {
        crate::Error::Config(message) => crate::Error::config(format!("{origin}: {message}")),
        other => other,
    })?;
    Ok(Resolved::Named(target, source))
}

/// Builds the target of a connection string, filling what it leaves out.
fn named_target(
    text: &str,
    env: Env,
    connect_timeout: Option<Duration>,
) -> crate::Result<DbTarget> {
    let mut info = conninfo::parse(text)?;
    if let Some(name) = info.service.take().or_else(|| env("PGSERVICE")) {
        info.fill_missing_from(service::lookup(&name, env)?);
    }
    let mut config = info.config;
    libpq_env::fill_from_environment(&mut config, &info.given, env)?;
    if config.get_password().is_none()
        && let Some(password) = libpq_env::password_from_file(&config, info.passfile, env)
    {
        config.password(password);
    }
    let timeout =
        libpq_env::connect_timeout(connect_timeout, config.get_connect_timeout().copied(), env)?;
    config.connect_timeout(timeout);
    let tls = libpq_env::tls_settings(info.ssl_mode, info.ssl_root_cert, env)?;
    config.ssl_mode(tls.mode.negotiation());
    let display = display(&config);
    tls.check().map_err(|error| match error {
        crate::Error::Environment(message) => {
            crate::Error::environment(format!("cannot connect to {display}: {message}"))
        }
        other => other,
    })?;
    Ok(DbTarget {
        config,
        tls,
        display,
        throwaway: false,
    })
}

/// `postgres://user@host:port/db`, never with the password.
pub fn display(config: &tokio_postgres::Config) -> String {
    let mut hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|host| match host {
            Host::Tcp(name) if name.contains(':') => format!("[{name}]"),
            Host::Tcp(name) => name.clone(),
            Host::Unix(dir) => dir.display().to_string(),
        })
        .collect();
    if hosts.is_empty() {
        hosts = config
            .get_hostaddrs()
            .iter()
            .map(|a| a.to_string())
            .collect();
    }
    format!(
        "postgres://{}@{}:{}/{}",
        config.get_user().unwrap_or_default(),
        hosts.join(","),
        libpq_env::first_port(config),
        config.get_dbname().unwrap_or_default()
    )
}

#[cfg(test)]
impl DbTarget {
    /// A target from a connection string, without TLS and without reading the
    /// environment (unit tests only). Never prints the password.
    pub(crate) fn from_url_for_tests(url: &str) -> crate::Result<DbTarget> {
        let mut target = named_target(url, &|_| None, None)?;
        target.tls.mode = crate::db::tls::SslMode::Disable;
        target
            .config
            .ssl_mode(crate::db::tls::SslMode::Disable.negotiation());
        Ok(target)
    }
}

#[cfg(test)]
#[path = "target_tests.rs"]
mod tests;
