//! Resolves where to connect (flag, DATABASE_URL, libpq variables, ~/.pgpass, or a
//! throwaway cluster) and redacts passwords. Pure: must not connect or read the process env
//! directly (the environment is passed in, so resolution is unit-testable).

use std::time::Duration;

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
pub enum Resolved {
    Named(DbTarget, TargetSource),
    Throwaway,
}

/// Resolves the target from the flag value and an environment lookup, DESIGN §1 order.
pub fn resolve(
    _flag: Option<&str>,
    _env: &dyn Fn(&str) -> Option<String>,
    _connect_timeout: Duration,
) -> crate::Result<Resolved> {
    todo!("db helper: resolution order, libpq vars, pgpass, sslmode")
}

impl DbTarget {
    /// A target from a URL without TLS (tests and interim use). Never prints the password.
    pub fn from_url_for_tests(url: &str) -> crate::Result<DbTarget> {
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| crate::Error::config(format!("bad database URL: {e}")))?;
        Ok(DbTarget {
            config,
            tls: Default::default(),
            display: "test database".to_string(),
            throwaway: false,
        })
    }
}
