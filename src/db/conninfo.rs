//! Parses a connection string (a `postgres://` URL or a libpq `key=value` string) and
//! takes out the keys the tool handles itself (`sslmode`, `sslrootcert`, `passfile`),
//! which tokio-postgres does not know. Pure: must not read the environment or files,
//! and must never put a value (a password) into an error message.

use std::path::PathBuf;

use crate::db::tls::SslMode;

/// A connection string split into what tokio-postgres parses and what the tool parses.
#[derive(Debug, Clone)]
pub struct ConnInfo {
    /// tokio-postgres configuration built from the remaining keys.
    pub config: tokio_postgres::Config,
    /// `sslmode`, when the string gave one.
    pub ssl_mode: Option<SslMode>,
    /// `sslrootcert`, when the string gave one.
    pub ssl_root_cert: Option<PathBuf>,
    /// `passfile`, when the string gave one.
    pub passfile: Option<PathBuf>,
}

/// Keys the tool takes out of the string before tokio-postgres sees it.
const OWN_KEYS: [&str; 3] = ["sslmode", "sslrootcert", "passfile"];
/// libpq keys the tool does not support (client certificates).
const UNSUPPORTED_KEYS: [&str; 3] = ["sslcert", "sslkey", "sslpassword"];

/// Parses a URL or key=value connection string (an empty string is allowed: all
/// defaults). Errors are configuration errors (exit 2) and never quote the string.
pub fn parse(text: &str) -> crate::Result<ConnInfo> {
    let trimmed = text.trim();
    let is_url = trimmed.starts_with("postgres://") || trimmed.starts_with("postgresql://");
    let (rest, own) = if is_url {
        split_url(trimmed)?
    } else {
        split_key_values(trimmed)?
    };
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
    };
    for (key, value) in own {
        match key.as_str() {
            "sslmode" => info.ssl_mode = Some(SslMode::parse(&value)?),
            "sslrootcert" => info.ssl_root_cert = Some(PathBuf::from(value)),
            _ => info.passfile = Some(PathBuf::from(value)),
        }
    }
    Ok(info)
}

type Pairs = Vec<(String, String)>;

/// Splits the query of a URL: our keys out (decoded), the rest kept byte for byte.
fn split_url(url: &str) -> crate::Result<(String, Pairs)> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_string(), Vec::new()));
    };
    let mut kept = Vec::new();
    let mut own = Vec::new();
    for segment in query.split('&').filter(|s| !s.is_empty()) {
        let (raw_key, raw_value) = segment.split_once('=').unwrap_or((segment, ""));
        let key = percent_decode(raw_key)?;
        check_supported(&key)?;
        if OWN_KEYS.contains(&key.as_str()) {
            own.push((key, percent_decode(raw_value)?));
        } else {
            kept.push(segment);
        }
    }
    let rest = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((rest, own))
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
fn split_key_values(text: &str) -> crate::Result<(String, Pairs)> {
    let mut kept = Vec::new();
    let mut own = Vec::new();
    for (key, value) in tokenize_key_values(text)? {
        check_supported(&key)?;
        if OWN_KEYS.contains(&key.as_str()) {
            own.push((key, value));
        } else {
            kept.push(format!("{key}={}", quote_value(&value)));
        }
    }
    Ok((kept.join(" "), own))
}

/// Quotes a value the way libpq's key=value syntax reads it back.
pub fn quote_value(value: &str) -> String {
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
        assert_eq!(info.ssl_root_cert, Some(PathBuf::from("/ca.pem")));
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
}
