//! Parses a connection string (a `postgres://` URL or a libpq `key=value` string) and
//! takes out the keys the tool handles itself (`sslmode`, `sslrootcert`, `passfile`,
//! `service`), which tokio-postgres does not know; fills what a string leaves out from a
//! service's parameters. A URL whose one host has no port names no port, as in libpq
//! (`url_hosts`), so `PGPORT` and a service's port still apply. Pure: must not read the
//! environment or files, and must never put a value (a password) into an error message.

use std::collections::BTreeSet;
use std::path::PathBuf;

use tokio_postgres::config::Host;

use crate::db::tls::{RootCert, SslMode};
use crate::db::url_hosts;

/// A connection string split into what tokio-postgres parses and what the tool parses.
#[derive(Debug, Clone)]
pub struct ConnInfo {
    /// tokio-postgres configuration built from the remaining keys.
    pub config: tokio_postgres::Config,
    /// `sslmode`, when the string gave one.
    pub ssl_mode: Option<SslMode>,
    /// `sslrootcert`, when the string gave one.
    pub ssl_root_cert: Option<RootCert>,
    /// `passfile`, when the string gave one.
    pub passfile: Option<PathBuf>,
    /// `service` (a section of pg_service.conf), when the string gave one.
    pub service: Option<String>,
    /// Every key the string named, whatever its value: tokio-postgres cannot tell an
    /// explicit `target_session_attrs=any` from its default, and libpq's variables fill
    /// only what the string left out.
    pub given: BTreeSet<String>,
}

/// Keys the tool takes out of the string before tokio-postgres sees it.
const OWN_KEYS: [&str; 4] = ["sslmode", "sslrootcert", "passfile", "service"];
/// The keys a service (pg_service.conf section) may set.
pub const SERVICE_KEYS: [&str; 13] = [
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "options",
    "application_name",
    "connect_timeout",
    "sslmode",
    "sslrootcert",
    "passfile",
    "target_session_attrs",
];
/// libpq keys the tool does not support (client certificates).
const UNSUPPORTED_KEYS: [&str; 3] = ["sslcert", "sslkey", "sslpassword"];

/// Parses a URL or key=value connection string (an empty string is allowed: all
/// defaults). Errors are configuration errors (exit 2) and never quote the string.
pub fn parse(text: &str) -> crate::Result<ConnInfo> {
    let trimmed = text.trim();
    let is_url = trimmed.starts_with("postgres://") || trimmed.starts_with("postgresql://");
    let split = if is_url {
        split_url(trimmed)?
    } else {
        split_key_values(trimmed)?
    };
    build(split)
}

/// Builds a [`ConnInfo`] from `key=value` pairs (a pg_service.conf section), with the
/// same keys and checks as a key=value string.
pub fn from_pairs(pairs: Vec<(String, String)>) -> crate::Result<ConnInfo> {
    build(split_pairs(pairs)?)
}

/// A connection string split: what tokio-postgres parses, the tool's own keys, and the
/// name of every key given.
struct Split {
    rest: String,
    own: Pairs,
    given: BTreeSet<String>,
}

/// The tokio-postgres part parsed, and the tool's own keys read.
fn build(split: Split) -> crate::Result<ConnInfo> {
    let Split { rest, own, given } = split;
    let config: tokio_postgres::Config = if rest.trim().is_empty() {
        tokio_postgres::Config::new()
    } else {
        rest.parse().map_err(|e| {
            crate::Error::config(format!(
                "the database connection string is not valid: {e}; \
                 expected postgres://user@host:port/dbname or host=.. user=.. dbname=.."
            ))
        })?
    };
    let mut info = ConnInfo {
        config,
        ssl_mode: None,
        ssl_root_cert: None,
        passfile: None,
        service: None,
        given,
    };
    for (key, value) in own {
        match key.as_str() {
            "sslmode" => info.ssl_mode = Some(SslMode::parse(&value)?),
            "sslrootcert" => info.ssl_root_cert = Some(RootCert::from_setting(&value)),
            "service" => info.service = Some(value),
            _ => info.passfile = Some(PathBuf::from(value)),
        }
    }
    Ok(info)
}

impl ConnInfo {
    /// Fills what this string left out from `service` (a service's parameters), as
    /// libpq does: the string's own values win. Hosts and host addresses go together.
    pub fn fill_missing_from(&mut self, service: ConnInfo) {
        let (config, defaults) = (&mut self.config, &service.config);
        if config.get_hosts().is_empty() && config.get_hostaddrs().is_empty() {
            for host in defaults.get_hosts() {
                match host {
                    Host::Tcp(name) => config.host(name),
                    Host::Unix(dir) => config.host_path(dir),
                };
            }
            for addr in defaults.get_hostaddrs() {
                config.hostaddr(*addr);
            }
        }
        if config.get_ports().is_empty() {
            for port in defaults.get_ports() {
                config.port(*port);
            }
        }
        fill_scalars(config, defaults);
        if !self.given.contains("target_session_attrs") {
            config.target_session_attrs(defaults.get_target_session_attrs());
        }
        self.given.extend(service.given);
        self.ssl_mode = self.ssl_mode.or(service.ssl_mode);
        self.ssl_root_cert = self.ssl_root_cert.take().or(service.ssl_root_cert);
        self.passfile = self.passfile.take().or(service.passfile);
    }
}

/// User, password, database, options, application name and connect timeout, where
/// `config` has none.
fn fill_scalars(config: &mut tokio_postgres::Config, defaults: &tokio_postgres::Config) {
    if let (None, Some(user)) = (config.get_user(), defaults.get_user()) {
        config.user(user);
    }
    if let (None, Some(password)) = (config.get_password(), defaults.get_password()) {
        config.password(password);
    }
    if let (None, Some(dbname)) = (config.get_dbname(), defaults.get_dbname()) {
        config.dbname(dbname);
    }
    if let (None, Some(options)) = (config.get_options(), defaults.get_options()) {
        config.options(options);
    }
    if let (None, Some(name)) = (
        config.get_application_name(),
        defaults.get_application_name(),
    ) {
        config.application_name(name);
    }
    if let (None, Some(timeout)) = (config.get_connect_timeout(), defaults.get_connect_timeout()) {
        config.connect_timeout(*timeout);
    }
}

type Pairs = Vec<(String, String)>;

/// Splits the query of a URL: our keys out (decoded), the rest kept byte for byte. A
/// lone host without a port moves into the query (`url_hosts`), so that tokio-postgres
/// does not give it port 5432.
fn split_url(url: &str) -> crate::Result<Split> {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let (base, host) = url_hosts::without_default_port(base);
    let mut kept: Vec<String> = host.into_iter().collect();
    let mut own = Vec::new();
    let mut given = BTreeSet::new();
    for segment in query.split('&').filter(|s| !s.is_empty()) {
        let (raw_key, raw_value) = segment.split_once('=').unwrap_or((segment, ""));
        let key = percent_decode(raw_key)?;
        check_supported(&key)?;
        given.insert(key.clone());
        if OWN_KEYS.contains(&key.as_str()) {
            own.push((key, percent_decode(raw_value)?));
        } else {
            kept.push(segment.to_string());
        }
    }
    let rest = if kept.is_empty() {
        base
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok(Split { rest, own, given })
}

fn percent_decode(text: &str) -> crate::Result<String> {
    url::form_urlencoded::parse(format!("x={}", text.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .ok_or_else(|| crate::Error::config("the database URL has a malformed query parameter"))
}

fn check_supported(key: &str) -> crate::Result<()> {
    if UNSUPPORTED_KEYS.contains(&key) {
        return Err(crate::Error::config(format!(
            "connection option `{key}` (client certificates) is not supported; \
             authenticate with a password (PGPASSWORD or ~/.pgpass) instead"
        )));
    }
    Ok(())
}

/// Splits a key=value string: our keys out, the rest re-quoted for tokio-postgres.
fn split_key_values(text: &str) -> crate::Result<Split> {
    split_pairs(tokenize_key_values(text)?)
}

/// Our keys out, the rest quoted into a key=value string for tokio-postgres.
fn split_pairs(pairs: Pairs) -> crate::Result<Split> {
    let mut kept = Vec::new();
    let mut own = Vec::new();
    let mut given = BTreeSet::new();
    for (key, value) in pairs {
        check_supported(&key)?;
        given.insert(key.clone());
        if OWN_KEYS.contains(&key.as_str()) {
            own.push((key, value));
        } else {
            kept.push(format!("{key}={}", quote_value(&value)));
        }
    }
    Ok(Split {
        rest: kept.join(" "),
        own,
        given,
    })
}

/// Quotes a value the way libpq's key=value syntax reads it back.
fn quote_value(value: &str) -> String {
    let escaped = value.replace('\\', "\\\\").replace('\'', "\\'");
    format!("'{escaped}'")
}

/// Reads `key = value` pairs; values may be 'single quoted' with backslash escapes.
fn tokenize_key_values(text: &str) -> crate::Result<Pairs> {
    let mut chars = text.chars().peekable();
    let mut pairs = Vec::new();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Ok(pairs);
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && !c.is_whitespace()) {
            key.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next() != Some('=') {
            return Err(crate::Error::config(format!(
                "the database connection string is not valid: `{key}` must be followed by `=value` \
                 (expected e.g. host=localhost user=me dbname=app)"
            )));
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let value = read_value(&mut chars, &key)?;
        pairs.push((key, value));
    }
}

fn read_value(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    key: &str,
) -> crate::Result<String> {
    let mut value = String::new();
    if chars.next_if_eq(&'\'').is_some() {
        loop {
            match chars.next() {
                Some('\'') => return Ok(value),
                Some('\\') => value.extend(chars.next()),
                Some(c) => value.push(c),
                None => {
                    return Err(crate::Error::config(format!(
                        "the database connection string is not valid: the value of `{key}` has no closing quote"
                    )));
                }
            }
        }
    }
    while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
        if c == '\\' {
            value.extend(chars.next());
        } else {
            value.push(c);
        }
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_ssl_keys_are_taken_out_and_the_rest_parsed() {
        let info = parse("postgres://u:pw@db.example:6543/app?sslmode=verify-full&sslrootcert=%2Fca.pem&application_name=x")
            .unwrap();
        assert_eq!(info.ssl_mode, Some(SslMode::VerifyFull));
        assert_eq!(
            info.ssl_root_cert,
            Some(RootCert::File(PathBuf::from("/ca.pem")))
        );
        assert_eq!(info.config.get_user(), Some("u"));
        assert_eq!(info.config.get_password(), Some(&b"pw"[..]));
        assert_eq!(info.config.get_dbname(), Some("app"));
        assert_eq!(info.config.get_ports(), &[6543]);
        assert_eq!(info.config.get_application_name(), Some("x"));
    }

    #[test]
    fn key_value_strings_keep_quoted_values() {
        let info =
            parse("host=h user='me' password='a b\\'c' dbname = app sslmode=verify-ca").unwrap();
        assert_eq!(info.ssl_mode, Some(SslMode::VerifyCa));
        assert_eq!(info.config.get_password(), Some(&b"a b'c"[..]));
        assert_eq!(info.config.get_dbname(), Some("app"));
    }

    #[test]
    fn empty_string_is_all_defaults() {
        let info = parse("").unwrap();
        assert!(info.config.get_user().is_none());
        assert!(info.ssl_mode.is_none());
    }

    #[test]
    fn errors_never_quote_the_password() {
        let bad = [
            "host=h password=s3cretpw sslmode=bogus",
            "host=h password='s3cretpw",
            "postgres://u:s3cretpw@h:notaport/db",
            "host=h password=s3cretpw nonsense",
            "host=h password=s3cretpw sslcert=/c.pem",
        ];
        for text in bad {
            let error = parse(text).unwrap_err().to_string();
            assert!(!error.contains("s3cretpw"), "{error}");
            assert_eq!(parse(text).unwrap_err().exit_code(), 2);
        }
    }

    #[test]
    fn quoting_round_trips_through_tokio_postgres() {
        let value = "it's a \\ test";
        let config: tokio_postgres::Config =
            format!("password={}", quote_value(value)).parse().unwrap();
        assert_eq!(config.get_password(), Some(value.as_bytes()));
    }

    #[test]
    fn service_and_system_roots_are_read_as_own_keys() {
        let info = parse("postgres://h/d?service=ci&sslrootcert=system").unwrap();
        assert_eq!(info.service.as_deref(), Some("ci"));
        assert_eq!(info.ssl_root_cert, Some(RootCert::System));
        let kv = parse("service='my ci' dbname=d").unwrap();
        assert_eq!(kv.service.as_deref(), Some("my ci"));
    }

    #[test]
    fn a_service_fills_only_what_the_string_left_out() {
        let pairs = |list: &[(&str, &str)]| {
            list.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>()
        };
        let service = from_pairs(pairs(&[
            ("host", "svc-host"),
            ("port", "7000"),
            ("user", "svc-user"),
            ("password", "svc-pw"),
            ("dbname", "svc-db"),
            ("application_name", "svc-app"),
            ("connect_timeout", "4"),
            ("sslmode", "require"),
            ("passfile", "/svc/pgpass"),
        ]))
        .unwrap();
        let mut info = parse("host=own-host user=me dbname=own-db sslmode=disable").unwrap();
        info.fill_missing_from(service);
        let config = &info.config;
        assert_eq!(config.get_hosts(), &[Host::Tcp("own-host".into())]);
        assert_eq!(config.get_ports(), &[7000]);
        assert_eq!(config.get_user(), Some("me"));
        assert_eq!(config.get_password(), Some(&b"svc-pw"[..]));
        assert_eq!(config.get_dbname(), Some("own-db"));
        assert_eq!(config.get_application_name(), Some("svc-app"));
        assert_eq!(
            config.get_connect_timeout(),
            Some(&std::time::Duration::from_secs(4))
        );
        assert_eq!(info.ssl_mode, Some(SslMode::Disable));
        assert_eq!(info.passfile, Some(PathBuf::from("/svc/pgpass")));
    }
}
