//! Resolves where to connect (flag, DATABASE_URL, libpq variables, ~/.pgpass, or a
//! throwaway cluster) and redacts passwords. Pure: must not connect or read the process env
//! directly (the environment is passed in, so resolution is unit-testable).

use std::path::PathBuf;
use std::time::Duration;

use tokio_postgres::config::Host;

use crate::db::conninfo;
use crate::db::pgpass::{self, PgpassQuery};
use crate::db::tls::{SslMode, TlsSettings};

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
/// `--database-url`, `DATABASE_URL`, then the libpq variables when `PGHOST` or
/// `PGDATABASE` is set, else [`Resolved::Throwaway`].
///
/// A connection string's own values win; values it leaves out come from the libpq
/// variables (`PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`, `PGSSLMODE`,
/// `PGSSLROOTCERT`) as libpq does, then from defaults (host `localhost`, port 5432,
/// user `$USER`, database = user). With no password, the password file (`passfile`,
/// `PGPASSFILE` or `~/.pgpass`) is consulted. A `connect_timeout` in the string wins
/// over `connect_timeout`.
pub fn resolve(
    flag: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
    connect_timeout: Duration,
) -> crate::Result<Resolved> {
    let env = |key: &str| env(key).filter(|value| !value.trim().is_empty());
    let (text, source, origin) = if let Some(text) = flag.filter(|f| !f.trim().is_empty()) {
        (text.to_string(), TargetSource::Flag, "--database-url")
    } else if let Some(text) = env("DATABASE_URL") {
        (text, TargetSource::DatabaseUrlEnv, "DATABASE_URL")
    } else if env("PGHOST").is_some() || env("PGDATABASE").is_some() {
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
    env: &dyn Fn(&str) -> Option<String>,
    connect_timeout: Duration,
) -> crate::Result<DbTarget> {
    let info = conninfo::parse(text)?;
    let mut config = info.config;
    fill_from_environment(&mut config, env)?;
    if config.get_password().is_none()
        && let Some(password) = password_from_file(&config, info.passfile, env)
    {
        config.password(password);
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(connect_timeout);
    }
    let mode = match (info.ssl_mode, env("PGSSLMODE")) {
        (Some(mode), _) => mode,
        (None, Some(text)) => {
            SslMode::parse(&text).map_err(|e| crate::Error::config(format!("PGSSLMODE: {e}")))?
        }
        (None, None) => SslMode::default(),
    };
    let root_cert = info
        .ssl_root_cert
        .or_else(|| env("PGSSLROOTCERT").map(PathBuf::from))
        .or_else(|| {
            let default = PathBuf::from(env("HOME")?).join(".postgresql/root.crt");
            default.is_file().then_some(default)
        });
    config.ssl_mode(mode.negotiation());
    let display = display(&config);
    Ok(DbTarget {
        config,
        tls: TlsSettings { mode, root_cert },
        display,
        throwaway: false,
    })
}

/// Fills host, port, user, password, database and application name like libpq.
fn fill_from_environment(
    config: &mut tokio_postgres::Config,
    env: &dyn Fn(&str) -> Option<String>,
) -> crate::Result<()> {
    if config.get_hosts().is_empty() && config.get_hostaddrs().is_empty() {
        let hosts = env("PGHOST").unwrap_or_else(|| "localhost".to_string());
        for host in hosts.split(',').map(str::trim).filter(|h| !h.is_empty()) {
            config.host(host);
        }
    }
    if config.get_ports().is_empty()
        && let Some(text) = env("PGPORT")
    {
        let port = text.trim().parse::<u16>().map_err(|_| {
            crate::Error::config(format!("PGPORT=`{text}` is not a port number (1-65535)"))
        })?;
        config.port(port);
    }
    if config.get_user().is_none() {
        let user = ["PGUSER", "USER", "LOGNAME"]
            .iter()
            .find_map(|key| env(key));
        config.user(user.unwrap_or_else(|| "postgres".to_string()));
    }
    if config.get_password().is_none()
        && let Some(password) = env("PGPASSWORD")
    {
        config.password(password);
    }
    if config.get_dbname().is_none() {
        let dbname = env("PGDATABASE").or_else(|| config.get_user().map(str::to_string));
        config.dbname(dbname.unwrap_or_else(|| "postgres".to_string()));
    }
    if config.get_application_name().is_none() {
        config.application_name("techspec-bench");
    }
    Ok(())
}

fn password_from_file(
    config: &tokio_postgres::Config,
    passfile: Option<PathBuf>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<String> {
    let path = pgpass::file_path(passfile, env)?;
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(name)) => name.clone(),
        Some(Host::Unix(dir)) => dir.display().to_string(),
        None => config
            .get_hostaddrs()
            .first()
            .map(|a| a.to_string())
            .unwrap_or_default(),
    };
    let query = PgpassQuery {
        host: &host,
        port: first_port(config),
        database: config.get_dbname().unwrap_or_default(),
        user: config.get_user().unwrap_or_default(),
    };
    pgpass::lookup_file(&path, &query)
}

fn first_port(config: &tokio_postgres::Config) -> u16 {
    config.get_ports().first().copied().unwrap_or(5432)
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
        first_port(config),
        config.get_dbname().unwrap_or_default()
    )
}

#[cfg(test)]
impl DbTarget {
    /// A target from a connection string, without TLS and without reading the
    /// environment (unit tests only). Never prints the password.
    pub(crate) fn from_url_for_tests(url: &str) -> crate::Result<DbTarget> {
        let mut target = named_target(url, &|_| None, Duration::from_secs(10))?;
        target.tls.mode = SslMode::Disable;
        target.config.ssl_mode(SslMode::Disable.negotiation());
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const TIMEOUT: Duration = Duration::from_secs(10);

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |key: &str| map.get(key).cloned()
    }

    fn named(resolved: Resolved) -> (DbTarget, TargetSource) {
        match resolved {
            Resolved::Named(target, source) => (target, source),
            Resolved::Throwaway => panic!("expected a named target"),
        }
    }

    #[test]
    fn flag_wins_over_database_url_and_libpq_variables() {
        let env = env_of(&[
            ("DATABASE_URL", "postgres://env@envhost/envdb"),
            ("PGHOST", "pghost"),
        ]);
        let (target, source) =
            named(resolve(Some("postgres://flag@flaghost/flagdb"), &env, TIMEOUT).unwrap());
        assert_eq!(source, TargetSource::Flag);
        assert_eq!(target.display, "postgres://flag@flaghost:5432/flagdb");
        assert!(!target.throwaway);
    }

    #[test]
    fn database_url_wins_over_libpq_variables() {
        let env = env_of(&[
            ("DATABASE_URL", "postgres://env@envhost:6000/envdb"),
            ("PGHOST", "pghost"),
        ]);
        let (target, source) = named(resolve(None, &env, TIMEOUT).unwrap());
        assert_eq!(source, TargetSource::DatabaseUrlEnv);
        assert_eq!(target.display, "postgres://env@envhost:6000/envdb");
    }

    #[test]
    fn libpq_variables_apply_when_pghost_or_pgdatabase_is_set() {
        let env = env_of(&[
            ("PGDATABASE", "app"),
            ("PGUSER", "me"),
            ("PGPORT", "6543"),
            ("PGSSLMODE", "require"),
        ]);
        let (target, source) = named(resolve(None, &env, TIMEOUT).unwrap());
        assert_eq!(source, TargetSource::LibpqEnv);
        assert_eq!(target.display, "postgres://me@localhost:6543/app");
        assert_eq!(target.tls.mode, SslMode::Require);
        let only_user = env_of(&[("PGUSER", "me"), ("PGPASSWORD", "x")]);
        assert!(matches!(
            resolve(None, &only_user, TIMEOUT).unwrap(),
            Resolved::Throwaway
        ));
    }

    #[test]
    fn nothing_configured_means_a_throwaway_cluster() {
        assert!(matches!(
            resolve(None, &|_| None, TIMEOUT).unwrap(),
            Resolved::Throwaway
        ));
        let blank = env_of(&[("DATABASE_URL", "  "), ("PGHOST", "")]);
        assert!(matches!(
            resolve(Some(""), &blank, TIMEOUT).unwrap(),
            Resolved::Throwaway
        ));
    }

    #[test]
    fn the_password_never_appears_in_the_display_or_debug_output() {
        let (target, _) =
            named(resolve(Some("postgres://u:hunter2pw@h/d"), &|_| None, TIMEOUT).unwrap());
        assert_eq!(target.config.get_password(), Some(&b"hunter2pw"[..]));
        assert_eq!(target.display, "postgres://u@h:5432/d");
        assert!(!format!("{target:?}").contains("hunter2pw"));
        let (kv, _) = named(
            resolve(
                Some("host=h user=u password=hunter2pw dbname=d"),
                &|_| None,
                TIMEOUT,
            )
            .unwrap(),
        );
        assert_eq!(kv.display, "postgres://u@h:5432/d");
    }

    #[test]
    fn bad_strings_are_config_errors_naming_their_origin_without_the_password() {
        let error = resolve(
            Some("postgres://u:hunter2pw@h/d?sslmode=sometimes"),
            &|_| None,
            TIMEOUT,
        )
        .unwrap_err();
        assert_eq!(error.exit_code(), 2);
        let text = error.to_string();
        assert!(text.starts_with("--database-url:"), "{text}");
        assert!(!text.contains("hunter2pw"), "{text}");
        let env = env_of(&[("DATABASE_URL", "host=h password=hunter2pw bogus")]);
        let text = resolve(None, &env, TIMEOUT).unwrap_err().to_string();
        assert!(
            text.starts_with("DATABASE_URL:") && !text.contains("hunter2pw"),
            "{text}"
        );
    }

    #[test]
    fn missing_values_come_from_the_libpq_variables_then_defaults() {
        let env = env_of(&[
            ("PGPASSWORD", "pw"),
            ("USER", "osuser"),
            ("PGSSLMODE", "verify-full"),
        ]);
        let (target, _) = named(resolve(Some("postgres://h"), &env, TIMEOUT).unwrap());
        assert_eq!(target.display, "postgres://osuser@h:5432/osuser");
        assert_eq!(target.config.get_password(), Some(&b"pw"[..]));
        assert_eq!(target.tls.mode, SslMode::VerifyFull);
        assert_eq!(target.config.get_connect_timeout(), Some(&TIMEOUT));
        let (own, _) = named(
            resolve(
                Some("postgres://h?sslmode=disable&connect_timeout=3"),
                &env,
                TIMEOUT,
            )
            .unwrap(),
        );
        assert_eq!(own.tls.mode, SslMode::Disable);
        assert_eq!(
            own.config.get_connect_timeout(),
            Some(&Duration::from_secs(3))
        );
    }

    #[test]
    fn pgpass_supplies_a_missing_password_only() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(".pgpass"),
            "db.example:5432:app:alice:frompgpass\n",
        )
        .unwrap();
        let home = dir.path().to_str().unwrap().to_string();
        let env = env_of(&[("HOME", &home)]);
        let (target, _) =
            named(resolve(Some("postgres://alice@db.example/app"), &env, TIMEOUT).unwrap());
        assert_eq!(target.config.get_password(), Some(&b"frompgpass"[..]));
        let (given, _) =
            named(resolve(Some("postgres://alice:given@db.example/app"), &env, TIMEOUT).unwrap());
        assert_eq!(given.config.get_password(), Some(&b"given"[..]));
        let (other, _) =
            named(resolve(Some("postgres://bob@db.example/app"), &env, TIMEOUT).unwrap());
        assert_eq!(other.config.get_password(), None);
    }

    #[test]
    fn unix_socket_hosts_and_multiple_hosts_display_readably() {
        let env = env_of(&[("PGHOST", "/var/run/postgresql"), ("PGUSER", "u")]);
        let (target, _) = named(resolve(None, &env, TIMEOUT).unwrap());
        assert_eq!(target.display, "postgres://u@/var/run/postgresql:5432/u");
        let (multi, _) =
            named(resolve(Some("host=a,b port=7 user=u dbname=d"), &|_| None, TIMEOUT).unwrap());
        assert_eq!(multi.display, "postgres://u@a,b:7/d");
    }

    #[test]
    fn a_bad_pgport_is_a_config_error() {
        let env = env_of(&[("PGHOST", "h"), ("PGPORT", "http")]);
        let error = resolve(None, &env, TIMEOUT).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        assert!(error.to_string().contains("PGPORT"));
    }
}
