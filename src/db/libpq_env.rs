//! Where libpq looks for what a connection string (and its service) leave out: the
//! libpq environment variables, the password file and the default root certificate, then
//! the defaults; and the connect timeout, where the tool's own `--connect-timeout` flag,
//! when given, beats every other source. Each rule is a small function over an
//! environment lookup passed in, unit-tested one by one. Must not connect or read the
//! process environment directly; files are read only for the password file and to see
//! whether `~/.postgresql/root.crt` exists.
//!
//! Read here: `PGHOST`, `PGHOSTADDR`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`,
//! `PGOPTIONS`, `PGAPPNAME`, `PGCONNECT_TIMEOUT`, `PGTARGETSESSIONATTRS`,
//! `PGCHANNELBINDING`, `PGLOADBALANCEHOSTS`, `PGSSLNEGOTIATION`, `PGSSLMODE`,
//! `PGSSLROOTCERT`, `PGPASSFILE` (services: `db::service`).

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use tokio_postgres::Config;
use tokio_postgres::config::{
    ChannelBinding, Host, LoadBalanceHosts, SslNegotiation, TargetSessionAttrs,
};

use crate::db::pgpass::{self, PgpassQuery};
use crate::db::tls::{RootCert, SslMode, TlsSettings};
use crate::{Error, Result};

/// An environment lookup (the process environment, or a map in tests).
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The `application_name` of the tool's sessions unless the string, the service or
/// `PGAPPNAME` gives one, so the load is easy to find in `pg_stat_activity`.
pub const DEFAULT_APPLICATION_NAME: &str = "techspec-bench";

/// How long to wait for a connection when nothing says otherwise.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The port libpq uses when nothing names one.
pub const DEFAULT_PORT: u16 = 5432;

/// Fills, like libpq, every value the string and its service left out (`given`: the keys
/// they named) from the libpq variables, then the defaults (host `localhost`, port 5432,
/// user `$USER`, database = user, application name `techspec-bench`). The connect
/// timeout is not filled here: see [`connect_timeout`].
pub fn fill_from_environment(
    config: &mut Config,
    given: &BTreeSet<String>,
    env: Env,
) -> Result<()> {
    fill_hosts(config, env)?;
    fill_ports(config, env)?;
    fill_identity(config, env);
    if config.get_options().is_none()
        && let Some(options) = env("PGOPTIONS")
    {
        config.options(&options);
    }
    if config.get_application_name().is_none() {
        let name = env("PGAPPNAME").unwrap_or_else(|| DEFAULT_APPLICATION_NAME.to_string());
        config.application_name(&name);
    }
    fill_choices(config, given, env)
}

/// `PGHOST` where the string named no host, `PGHOSTADDR` where it named no host address
/// (each comma-separated, as in libpq); `localhost` when neither names anything.
fn fill_hosts(config: &mut Config, env: Env) -> Result<()> {
    if config.get_hosts().is_empty()
        && let Some(hosts) = env("PGHOST")
    {
        for host in hosts.split(',').map(str::trim).filter(|h| !h.is_empty()) {
            config.host(host);
        }
    }
    if config.get_hostaddrs().is_empty()
        && let Some(text) = env("PGHOSTADDR")
    {
        for address in text.split(',').map(str::trim).filter(|a| !a.is_empty()) {
            let address: IpAddr = address.parse().map_err(|_| {
                Error::config(format!(
                    "PGHOSTADDR=`{text}` is not a list of IP addresses (e.g. PGHOSTADDR=10.0.0.5); \
                     put host names in PGHOST"
                ))
            })?;
            config.hostaddr(address);
        }
    }
    if config.get_hosts().is_empty() && config.get_hostaddrs().is_empty() {
        config.host("localhost");
    }
    Ok(())
}

/// `PGPORT` (one port, or one per host) where the string named none; an empty item is 5432.
fn fill_ports(config: &mut Config, env: Env) -> Result<()> {
    if !config.get_ports().is_empty() {
        return Ok(());
    }
    let Some(text) = env("PGPORT") else {
        return Ok(());
    };
    for item in text.split(',').map(str::trim) {
        let port = match item {
            "" => DEFAULT_PORT,
            item => item.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| {
                Error::config(format!(
                    "PGPORT=`{text}` is not a port number (1-65535), or one per host separated by commas"
                ))
            })?,
        };
        config.port(port);
    }
    Ok(())
}

/// User (`PGUSER`, else the OS user), password (`PGPASSWORD`) and database
/// (`PGDATABASE`, else the user name).
fn fill_identity(config: &mut Config, env: Env) {
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
}

/// One libpq variable whose value is one of a few words, mapped to tokio-postgres'.
struct Choice<T: 'static> {
    variable: &'static str,
    key: &'static str,
    values: &'static [(&'static str, T)],
}

const TARGET_SESSION_ATTRS: Choice<TargetSessionAttrs> = Choice {
    variable: "PGTARGETSESSIONATTRS",
    key: "target_session_attrs",
    values: &[
        ("any", TargetSessionAttrs::Any),
        ("read-write", TargetSessionAttrs::ReadWrite),
        ("read-only", TargetSessionAttrs::ReadOnly),
    ],
};
const CHANNEL_BINDING: Choice<ChannelBinding> = Choice {
    variable: "PGCHANNELBINDING",
    key: "channel_binding",
    values: &[
        ("disable", ChannelBinding::Disable),
        ("prefer", ChannelBinding::Prefer),
        ("require", ChannelBinding::Require),
    ],
};
const LOAD_BALANCE_HOSTS: Choice<LoadBalanceHosts> = Choice {
    variable: "PGLOADBALANCEHOSTS",
    key: "load_balance_hosts",
    values: &[
        ("disable", LoadBalanceHosts::Disable),
        ("random", LoadBalanceHosts::Random),
    ],
};
const SSL_NEGOTIATION: Choice<SslNegotiation> = Choice {
    variable: "PGSSLNEGOTIATION",
    key: "sslnegotiation",
    values: &[
        ("postgres", SslNegotiation::Postgres),
        ("direct", SslNegotiation::Direct),
    ],
};

impl<T: Copy> Choice<T> {
    /// The variable's value when the string did not name the key; an unknown word is a
    /// configuration error listing the accepted ones.
    fn read(&self, given: &BTreeSet<String>, env: Env) -> Result<Option<T>> {
        if given.contains(self.key) {
            return Ok(None);
        }
        let Some(text) = env(self.variable) else {
            return Ok(None);
        };
        let word = text.trim();
        match self.values.iter().find(|(name, _)| *name == word) {
            Some((_, value)) => Ok(Some(*value)),
            None => Err(Error::config(format!(
                "{}=`{text}` is not supported; use one of {}",
                self.variable,
                self.values
                    .iter()
                    .map(|(name, _)| *name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }
}

/// `target_session_attrs`, `channel_binding`, `load_balance_hosts` and `sslnegotiation`
/// from their variables, where the string did not name them.
fn fill_choices(config: &mut Config, given: &BTreeSet<String>, env: Env) -> Result<()> {
    if let Some(value) = TARGET_SESSION_ATTRS.read(given, env)? {
        config.target_session_attrs(value);
    }
    if let Some(value) = CHANNEL_BINDING.read(given, env)? {
        config.channel_binding(value);
    }
    if let Some(value) = LOAD_BALANCE_HOSTS.read(given, env)? {
        config.load_balance_hosts(value);
    }
    if let Some(value) = SSL_NEGOTIATION.read(given, env)? {
        config.ssl_negotiation(value);
    }
    Ok(())
}

/// The connect timeout, from the first of: `--connect-timeout` when given (an explicit
/// flag beats everything), the string's or its service's `connect_timeout`,
/// `PGCONNECT_TIMEOUT`, then 10 s. A `connect_timeout` or `PGCONNECT_TIMEOUT` of 0 or
/// less counts as not set: the tool always bounds the wait.
pub fn connect_timeout(
    flag: Option<Duration>,
    from_string: Option<Duration>,
    env: Env,
) -> Result<Duration> {
    if let Some(timeout) = flag.or(from_string) {
        return Ok(timeout);
    }
    Ok(connect_timeout_from_env(env)?.unwrap_or(DEFAULT_CONNECT_TIMEOUT))
}

/// `PGCONNECT_TIMEOUT` in whole seconds; 0 or less means "not set".
fn connect_timeout_from_env(env: Env) -> Result<Option<Duration>> {
    let Some(text) = env("PGCONNECT_TIMEOUT") else {
        return Ok(None);
    };
    let seconds = text.trim().parse::<i64>().map_err(|_| {
        Error::config(format!(
            "PGCONNECT_TIMEOUT=`{text}` is not a whole number of seconds (e.g. PGCONNECT_TIMEOUT=30)"
        ))
    })?;
    Ok((seconds > 0).then(|| Duration::from_secs(seconds.unsigned_abs())))
}

/// sslmode and root certificate: the string's (or service's), else `PGSSLMODE` and
/// `PGSSLROOTCERT`, else `~/.postgresql/root.crt` when it exists. With
/// `sslrootcert=system` the default mode is `verify-full`, as in libpq.
pub fn tls_settings(
    mode: Option<SslMode>,
    root_cert: Option<RootCert>,
    env: Env,
) -> Result<TlsSettings> {
    let root_cert = root_cert
        .or_else(|| env("PGSSLROOTCERT").map(|value| RootCert::from_setting(&value)))
        .or_else(|| {
            let default = PathBuf::from(env("HOME")?).join(".postgresql/root.crt");
            default.is_file().then_some(RootCert::File(default))
        });
    let mode = match (mode, env("PGSSLMODE")) {
        (Some(mode), _) => mode,
        (None, Some(text)) => {
            SslMode::parse(&text).map_err(|e| Error::config(format!("PGSSLMODE: {e}")))?
        }
        (None, None) if root_cert == Some(RootCert::System) => SslMode::VerifyFull,
        (None, None) => SslMode::default(),
    };
    Ok(TlsSettings { mode, root_cert })
}

/// The password for `config`'s first host, port, database and user from the password
/// file (`passfile`, `PGPASSFILE` or `~/.pgpass`), if it has one.
pub fn password_from_file(config: &Config, passfile: Option<PathBuf>, env: Env) -> Option<String> {
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

/// The first port, or 5432 when none is named.
pub fn first_port(config: &Config) -> u16 {
    config.get_ports().first().copied().unwrap_or(DEFAULT_PORT)
}

/// libpq variables the tool does not read (client certificates, GSSAPI, session defaults
/// sent at startup, protocol limits), so a caller can say so rather than ignore them
/// silently.
pub const UNREAD_VARIABLES: [&str; 15] = [
    "PGSSLCERT",
    "PGSSLKEY",
    "PGSSLCERTMODE",
    "PGSSLCRL",
    "PGSSLCRLDIR",
    "PGSSLMINPROTOCOLVERSION",
    "PGSSLMAXPROTOCOLVERSION",
    "PGREQUIREPEER",
    "PGREQUIREAUTH",
    "PGGSSENCMODE",
    "PGCLIENTENCODING",
    "PGDATESTYLE",
    "PGTZ",
    "PGGEQO",
    "PGREQUIRESSL",
];

/// The [`UNREAD_VARIABLES`] set (not blank) in `env`, in that order.
pub fn unread_variables(env: Env) -> Vec<&'static str> {
    UNREAD_VARIABLES
        .into_iter()
        .filter(|name| env(name).is_some_and(|value| !value.trim().is_empty()))
        .collect()
}

#[cfg(test)]
#[path = "libpq_env_tests.rs"]
mod tests;
