//! How libpq reads the host part of a `postgres://` URL, where tokio-postgres differs: a
//! URL with one host and no port (`postgres://db.example/app`, or `db.example:`) names no
//! port in libpq, so `PGPORT`, a service's port or the default 5432 apply in that order;
//! tokio-postgres gives such a host port 5432 outright. [`without_default_port`] moves a
//! lone portless host into the query (`?host=`), which tokio-postgres reads without a
//! port. Several hosts are left as they are: libpq then gives each portless one 5432, as
//! tokio-postgres does. Pure text: must not decode, judge or quote values (a password).

/// `base` (a URL without its query) with a lone portless host taken out, and that host as
/// a raw `host=` query segment; `base` unchanged and `None` when it has no such host.
pub fn without_default_port(base: &str) -> (String, Option<String>) {
    let unchanged = || (base.to_string(), None);
    let Some(scheme_end) = base.find("://").map(|at| at + 3) else {
        return unchanged();
    };
    let after_scheme = &base[scheme_end..];
    // As tokio-postgres reads it: credentials end at the first `@`.
    let host_start = scheme_end + after_scheme.find('@').map_or(0, |at| at + 1);
    let netloc = &base[host_start..];
    let host_end = host_start + netloc.find('/').unwrap_or(netloc.len());
    let hosts = &base[host_start..host_end];
    match portless_host(hosts) {
        Some(host) => (
            format!("{}{}", &base[..host_start], &base[host_end..]),
            Some(format!("host={host}")),
        ),
        None => unchanged(),
    }
}

/// The host of a host list that is one host with no port (or an empty one after `:`);
/// `None` for no host, several hosts, a port, or a malformed `[address]`.
fn portless_host(hosts: &str) -> Option<&str> {
    if hosts.is_empty() || hosts.contains(',') {
        return None;
    }
    let (host, port) = match hosts.strip_prefix('[') {
        Some(bracketed) => {
            let (address, rest) = bracketed.split_once(']')?;
            match rest {
                "" => (address, ""),
                _ => (address, rest.strip_prefix(':')?),
            }
        }
        None => hosts.split_once(':').unwrap_or((hosts, "")),
    };
    (port.is_empty() && !host.is_empty()).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moved(base: &str) -> (String, Option<String>) {
        without_default_port(base)
    }

    #[test]
    fn a_lone_host_without_a_port_moves_into_the_query() {
        let expect = |base: &str, rest: &str, host: &str| {
            assert_eq!(
                moved(base),
                (rest.to_string(), Some(format!("host={host}")))
            );
        };
        expect("postgres://db.example/app", "postgres:///app", "db.example");
        expect(
            "postgres://u:p%40w@db.example/app",
            "postgres://u:p%40w@/app",
            "db.example",
        );
        expect("postgresql://db.example", "postgresql://", "db.example");
        expect(
            "postgres://db.example:/app",
            "postgres:///app",
            "db.example",
        );
        expect("postgres://[::1]/app", "postgres:///app", "::1");
        expect(
            "postgres://%2Fvar%2Frun%2Fpostgresql/app",
            "postgres:///app",
            "%2Fvar%2Frun%2Fpostgresql",
        );
    }

    #[test]
    fn ports_several_hosts_no_host_and_malformed_addresses_are_left_alone() {
        for base in [
            "postgres://db.example:6000/app",
            "postgres://[::1]:6000/app",
            "postgres://a,b/app",
            "postgres://a:1,b/app",
            "postgres:///app",
            "postgres://u@/app",
            "postgres://[::1/app",
            "postgres://[::1]x/app",
            "not a url",
        ] {
            assert_eq!(moved(base), (base.to_string(), None), "{base}");
        }
    }

    #[test]
    fn tokio_postgres_reads_the_moved_host_without_a_port() {
        let (base, host) = moved("postgres://me@db.example/app");
        let url = format!("{base}?{}", host.unwrap());
        let config: tokio_postgres::Config = url.parse().unwrap();
        assert_eq!(
            config.get_hosts(),
            &[tokio_postgres::config::Host::Tcp("db.example".into())]
        );
        assert!(config.get_ports().is_empty());
        assert_eq!(config.get_user(), Some("me"));
        assert_eq!(config.get_dbname(), Some("app"));
    }
}
