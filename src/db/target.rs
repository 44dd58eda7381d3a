//! Resolves where to connect (flag, DATABASE_URL, libpq variables and services,
//! ~/.pgpass, or a throwaway cluster) and redacts passwords. Pure: must not connect or read the process env
//! directly (the environment is passed in, so resolution is unit-testable).

use std::path::PathBuf;
use std::time::Duration;

use tokio_postgres::config::Host;

use crate::db::pgpass::{self, PgpassQuery};
use crate::db::tls::{RootCert, SslMode, TlsSettings};
use crate::db::{conninfo, service};

/// The `application_name` of the tool's sessions unless the string, the service or
/// `PGAPPNAME` gives one, so the load is easy to find in `pg_stat_activity`.
pub const DEFAULT_APPLICATION_NAME: &str = "techspec-bench";

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
/// variables (`PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`, `PGSSLMODE`,
/// `PGSSLROOTCERT`, `PGCONNECT_TIMEOUT`, `PGAPPNAME`); then the defaults (host
/// `localhost`, port 5432, user `$USER`, database = user, application name
/// `techspec-bench`, the `connect_timeout` argument). With no password, the password
/// file (`passfile`, `PGPASSFILE` or `~/.pgpass`) is consulted. `verify-ca` and
/// `verify-full` without a root certificate are refused here (exit 3).
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
    env: &dyn Fn(&str) -> Option<String>,
    connect_timeout: Duration,
) -> crate::Result<DbTarget> {
    let mut info = conninfo::parse(text)?;
    if let Some(name) = info.service.take().or_else(|| env("PGSERVICE")) {
        info.fill_missing_from(service::lookup(&name, env)?);
    }
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
    let tls = tls_settings(info.ssl_mode, info.ssl_root_cert, env)?;
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

/// sslmode and root certificate: the string's (or service's), else `PGSSLMODE` and
/// `PGSSLROOTCERT`, else `~/.postgresql/root.crt` when it exists. With
/// `sslrootcert=system` the default mode is `verify-full`, as in libpq.
fn tls_settings(
    mode: Option<SslMode>,
    root_cert: Option<RootCert>,
    env: &dyn Fn(&str) -> Option<String>,
) -> crate::Result<TlsSettings> {
    let root_cert = root_cert
        .or_else(|| env("PGSSLROOTCERT").map(|value| RootCert::from_setting(&value)))
        .or_else(|| {
            let default = PathBuf::from(env("HOME")?).join(".postgresql/root.crt");
            default.is_file().then_some(RootCert::File(default))
        });
    let mode = match (mode, env("PGSSLMODE")) {
        (Some(mode), _) => mode,
        (None, Some(text)) => {
            SslMode::parse(&text).map_err(|e| crate::Error::config(format!("PGSSLMODE: {e}")))?
        }
        (None, None) if root_cert == Some(RootCert::System) => SslMode::VerifyFull,
        (None, None) => SslMode::default(),
    };
    Ok(TlsSettings { mode, root_cert })
}

/// Fills host, port, user, password, database, connect timeout and application name
/// like libpq.
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
    if config.get_connect_timeout().is_none()
        && let Some(timeout) = connect_timeout_from_env(env)?
    {
        config.connect_timeout(timeout);
    }
    if config.get_application_name().is_none() {
        let name = env("PGAPPNAME").unwrap_or_else(|| DEFAULT_APPLICATION_NAME.to_string());
        config.application_name(&name);
    }
    Ok(())
}

/// `PGCONNECT_TIMEOUT` in whole seconds; 0 or less means "not set" (the tool always
/// bounds the wait, by the `connect_timeout` argument then).
fn connect_timeout_from_env(
    env: &dyn Fn(&str) -> Option<String>,
) -> crate::Result<Option<Duration>> {
    let Some(text) = env("PGCONNECT_TIMEOUT") else {
        return Ok(None);
    };
    let seconds = text.trim().parse::<i64>().map_err(|_| {
        crate::Error::config(format!(
            "PGCONNECT_TIMEOUT=`{text}` is not a whole number of seconds (e.g. PGCONNECT_TIMEOUT=30)"
        ))
    })?;
    Ok((seconds > 0).then(|| Duration::from_secs(seconds.unsigned_abs())))
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
            ("PGSSLROOTCERT", "/etc/ca.pem"),
        ]);
        let (target, _) = named(resolve(Some("postgres://h"), &env, TIMEOUT).unwrap());
        assert_eq!(target.display, "postgres://osuser@h:5432/osuser");
        assert_eq!(target.config.get_password(), Some(&b"pw"[..]));
        assert_eq!(target.tls.mode, SslMode::VerifyFull);
        assert_eq!(
            target.tls.root_cert,
            Some(RootCert::File("/etc/ca.pem".into()))
        );
        assert_eq!(target.config.get_connect_timeout(), Some(&TIMEOUT));
        assert_eq!(target.config.get_application_name(), Some("techspec-bench"));
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
        std::fs::set_permissions(
            dir.path().join(".pgpass"),
            std::os::unix::fs::PermissionsExt::from_mode(0o600),
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

    #[test]
    fn verifying_modes_without_a_root_certificate_are_refused_naming_the_target() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().to_str().unwrap().to_string();
        let env = env_of(&[("HOME", &home)]);
        for mode in ["verify-ca", "verify-full"] {
            let url = format!("postgres://u:hunter2pw@db.example/app?sslmode={mode}");
            let error = resolve(Some(&url), &env, TIMEOUT).unwrap_err();
            assert_eq!(error.exit_code(), 3);
            let text = error.to_string();
            assert!(text.contains("postgres://u@db.example:5432/app"), "{text}");
            assert!(
                text.contains("PGSSLROOTCERT") && !text.contains("hunter2pw"),
                "{text}"
            );
        }
        std::fs::create_dir(dir.path().join(".postgresql")).unwrap();
        std::fs::write(dir.path().join(".postgresql/root.crt"), "").unwrap();
        let (target, _) = named(
            resolve(
                Some("postgres://db.example/app?sslmode=verify-ca"),
                &env,
                TIMEOUT,
            )
            .unwrap(),
        );
        assert_eq!(
            target.tls.root_cert,
            Some(RootCert::File(dir.path().join(".postgresql/root.crt")))
        );
    }

    #[test]
    fn sslrootcert_system_defaults_to_verify_full_and_refuses_weaker_modes() {
        let (target, _) = named(
            resolve(
                Some("postgres://db.example/app?sslrootcert=system"),
                &|_| None,
                TIMEOUT,
            )
            .unwrap(),
        );
        assert_eq!(target.tls.mode, SslMode::VerifyFull);
        assert_eq!(target.tls.root_cert, Some(RootCert::System));
        let env = env_of(&[("PGSSLROOTCERT", "system"), ("PGSSLMODE", "verify-ca")]);
        let error = resolve(Some("postgres://db.example/app"), &env, TIMEOUT).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        assert!(error.to_string().starts_with("--database-url:"), "{error}");
    }

    #[test]
    fn pgconnect_timeout_and_pgappname_fill_what_the_string_leaves_out() {
        let env = env_of(&[("PGCONNECT_TIMEOUT", "25"), ("PGAPPNAME", "nightly-gate")]);
        let (target, _) = named(resolve(Some("postgres://h/d"), &env, TIMEOUT).unwrap());
        assert_eq!(
            target.config.get_connect_timeout(),
            Some(&Duration::from_secs(25))
        );
        assert_eq!(target.config.get_application_name(), Some("nightly-gate"));
        let (own, _) = named(
            resolve(
                Some("postgres://h/d?connect_timeout=3&application_name=mine"),
                &env,
                TIMEOUT,
            )
            .unwrap(),
        );
        assert_eq!(
            own.config.get_connect_timeout(),
            Some(&Duration::from_secs(3))
        );
        assert_eq!(own.config.get_application_name(), Some("mine"));
        let zero = env_of(&[("PGCONNECT_TIMEOUT", "0")]);
        let (fallback, _) = named(resolve(Some("postgres://h/d"), &zero, TIMEOUT).unwrap());
        assert_eq!(fallback.config.get_connect_timeout(), Some(&TIMEOUT));
        let bad = env_of(&[("PGCONNECT_TIMEOUT", "10s")]);
        let error = resolve(Some("postgres://h/d"), &bad, TIMEOUT).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        assert!(error.to_string().contains("PGCONNECT_TIMEOUT"), "{error}");
    }

    /// A service file in a temp dir, and an environment naming it.
    fn service_env(
        contents: &str,
        extra: &[(&str, &str)],
    ) -> (tempfile::TempDir, impl Fn(&str) -> Option<String> + use<>) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("services.conf");
        std::fs::write(&file, contents).unwrap();
        let file = file.to_str().unwrap().to_string();
        let mut pairs = vec![("PGSERVICEFILE", file.as_str())];
        pairs.extend_from_slice(extra);
        (dir, env_of(&pairs))
    }

    #[test]
    fn a_service_sits_between_the_string_and_the_libpq_variables() {
        let services = "[ci]\nhost=svc-host\nport=7000\nuser=svc-user\ndbname=svc-db\n";
        let (_dir, env) = service_env(
            services,
            &[
                ("PGSERVICE", "ci"),
                ("PGPORT", "6000"),
                ("PGUSER", "env-user"),
            ],
        );
        let (target, source) = named(resolve(None, &env, TIMEOUT).unwrap());
        assert_eq!(source, TargetSource::LibpqEnv);
        assert_eq!(target.display, "postgres://svc-user@svc-host:7000/svc-db");
        let (own, _) =
            named(resolve(Some("host=own user=me dbname=own_db"), &env, TIMEOUT).unwrap());
        assert_eq!(own.display, "postgres://me@own:7000/own_db");
        let (kv, _) = named(resolve(Some("service=ci dbname=x"), &env, TIMEOUT).unwrap());
        assert_eq!(kv.display, "postgres://svc-user@svc-host:7000/x");
    }

    #[test]
    fn service_in_the_string_wins_over_pgservice_and_unknown_services_are_config_errors() {
        let services = "[a]\nhost=host-a\n[b]\nhost=host-b\n";
        let (_dir, env) = service_env(services, &[("PGSERVICE", "a"), ("PGUSER", "u")]);
        let (target, _) = named(resolve(Some("service=b dbname=d"), &env, TIMEOUT).unwrap());
        assert_eq!(target.display, "postgres://u@host-b:5432/d");
        let error = resolve(Some("service=nope"), &env, TIMEOUT).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        let text = error.to_string();
        assert!(
            text.starts_with("--database-url:") && text.contains("`nope`"),
            "{text}"
        );
    }
}
