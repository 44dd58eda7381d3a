//! Connection services, as libpq has them: a named section of a `pg_service.conf` file
//! whose `key=value` lines fill what a connection string leaves out. Files are searched
//! in libpq's order: `PGSERVICEFILE` (else `~/.pg_service.conf`), then
//! `$PGSYSCONFDIR/pg_service.conf`; the first file with the section wins. Must not
//! connect, read the process environment directly (it is passed in), or put a value (a
//! password) into an error message.

use std::path::{Path, PathBuf};

use crate::db::conninfo::{self, ConnInfo};

/// The parameters of service `name`, from the first file that defines it. A file that
/// is missing or unreadable is skipped (libpq does the same); a service defined nowhere
/// is a configuration error naming the files searched.
pub fn lookup(name: &str, env: &dyn Fn(&str) -> Option<String>) -> crate::Result<ConnInfo> {
    let files = search_path(env);
    for file in &files {
        let Ok(contents) = std::fs::read_to_string(file) else {
            continue;
        };
        if let Some(pairs) = section(&contents, name, file)? {
            return conninfo::from_pairs(pairs).map_err(|error| match error {
                crate::Error::Config(message) => crate::Error::config(format!(
                    "service `{name}` in {}: {message}",
                    file.display()
                )),
                other => other,
            });
        }
    }
    let searched: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    Err(crate::Error::config(format!(
        "service `{name}` (from `service=` or PGSERVICE) is not defined in {}: add a [{name}] section \
         with key=value lines to ~/.pg_service.conf (or the file PGSERVICEFILE names), or set \
         PGSYSCONFDIR to the directory of a pg_service.conf that has it",
        if searched.is_empty() {
            "any service file (neither PGSERVICEFILE, HOME nor PGSYSCONFDIR is set)".to_string()
        } else {
            searched.join(" or ")
        }
    )))
}

/// The files to search, in order: `PGSERVICEFILE` or `$HOME/.pg_service.conf`, then
/// `$PGSYSCONFDIR/pg_service.conf`.
fn search_path(env: &dyn Fn(&str) -> Option<String>) -> Vec<PathBuf> {
    let set = |key: &str| env(key).filter(|v| !v.trim().is_empty());
    let user_file = set("PGSERVICEFILE")
        .map(PathBuf::from)
        .or_else(|| set("HOME").map(|home| Path::new(&home).join(".pg_service.conf")));
    let system_file = set("PGSYSCONFDIR").map(|dir| Path::new(&dir).join("pg_service.conf"));
    user_file.into_iter().chain(system_file).collect()
}

/// The `key=value` pairs of section `[name]` of a service file (`None` when it has
/// no such section). Blank lines and `#` comments are skipped; only the section asked
/// for is checked, as libpq does, so other sections may hold keys this tool does not know.
pub fn section(
    contents: &str,
    name: &str,
    file: &Path,
) -> crate::Result<Option<Vec<(String, String)>>> {
    let mut pairs: Option<Vec<(String, String)>> = None;
    for (index, raw) in contents.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(header) = line.strip_prefix('[') {
            if pairs.is_some() {
                break;
            }
            if header.strip_suffix(']').map(str::trim) == Some(name) {
                pairs = Some(Vec::new());
            }
            continue;
        }
        if let Some(pairs) = pairs.as_mut() {
            pairs.push(key_value(line, name, file, index + 1)?);
        }
    }
    Ok(pairs)
}

/// One `key=value` line of the section, checked against the keys a service may set.
fn key_value(
    line: &str,
    name: &str,
    file: &Path,
    number: usize,
) -> crate::Result<(String, String)> {
    let at = format!("{}:{number} (service `{name}`)", file.display());
    let Some((key, value)) = line.split_once('=') else {
        return Err(crate::Error::config(format!(
            "{at}: a line of a service must be key=value, e.g. host=db.example"
        )));
    };
    let key = key.trim();
    if key == "service" {
        return Err(crate::Error::config(format!(
            "{at}: a service cannot name another service; copy its key=value lines instead"
        )));
    }
    if !conninfo::SERVICE_KEYS.contains(&key) {
        return Err(crate::Error::config(format!(
            "{at}: `{key}` is not supported in a service; use one of {}",
            conninfo::SERVICE_KEYS.join(", ")
        )));
    }
    Ok((key.to_string(), value.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::tls::{RootCert, SslMode};

    const FILE: &str = "\
# shared services
[other]
host=elsewhere
keepalives_idle=30

[ci]
host = db.example
port=6543
dbname=app
user=bench
password=s3cretpw
sslmode=verify-full
sslrootcert=/etc/ci/ca.pem

[ci]
host=second-definition-is-ignored
";

    fn file() -> PathBuf {
        PathBuf::from("/etc/pg_service.conf")
    }

    #[test]
    fn the_named_section_is_read_and_others_are_not_checked() {
        let pairs = section(FILE, "ci", &file()).unwrap().unwrap();
        assert_eq!(pairs[0], ("host".to_string(), "db.example".to_string()));
        assert_eq!(pairs.len(), 7);
        let info = conninfo::from_pairs(pairs).unwrap();
        assert_eq!(info.config.get_ports(), &[6543]);
        assert_eq!(info.config.get_dbname(), Some("app"));
        assert_eq!(info.ssl_mode, Some(SslMode::VerifyFull));
        assert_eq!(
            info.ssl_root_cert,
            Some(RootCert::File("/etc/ci/ca.pem".into()))
        );
        assert_eq!(section(FILE, "missing", &file()).unwrap(), None);
    }

    #[test]
    fn bad_lines_name_file_line_and_service_without_values() {
        let no_equals = "[ci]\nhost=h\npassword s3cretpw\n";
        let error = section(no_equals, "ci", &file()).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        let text = error.to_string();
        assert!(
            text.contains("/etc/pg_service.conf:3") && text.contains("`ci`"),
            "{text}"
        );
        assert!(!text.contains("s3cretpw"), "{text}");
        let nested = section("[ci]\nservice=other\n", "ci", &file()).unwrap_err();
        assert!(nested.to_string().contains("another service"), "{nested}");
        let unknown = section("[other]\nkeepalives_idle=30\n", "other", &file()).unwrap_err();
        assert!(unknown.to_string().contains("keepalives_idle"), "{unknown}");
    }

    #[test]
    fn search_path_follows_libpq() {
        let env = |key: &str| match key {
            "PGSERVICEFILE" => Some("/srv/services.conf".to_string()),
            "HOME" => Some("/home/me".to_string()),
            "PGSYSCONFDIR" => Some("/etc/pg".to_string()),
            _ => None,
        };
        assert_eq!(
            search_path(&env),
            [
                PathBuf::from("/srv/services.conf"),
                PathBuf::from("/etc/pg/pg_service.conf")
            ]
        );
        let home = |key: &str| (key == "HOME").then(|| "/home/me".to_string());
        assert_eq!(
            search_path(&home),
            [PathBuf::from("/home/me/.pg_service.conf")]
        );
        assert!(search_path(&|_| None).is_empty());
    }

    #[test]
    fn the_first_file_defining_the_service_wins() {
        let dir = tempfile::tempdir().unwrap();
        let user = dir.path().join("user.conf");
        std::fs::write(&user, "[mine]\nhost=user-file\n").unwrap();
        std::fs::write(
            dir.path().join("pg_service.conf"),
            "[mine]\nhost=system-file\n[shared]\nhost=system-only\n",
        )
        .unwrap();
        let (user, sysconf) = (user.display().to_string(), dir.path().display().to_string());
        let env = |key: &str| match key {
            "PGSERVICEFILE" => Some(user.clone()),
            "PGSYSCONFDIR" => Some(sysconf.clone()),
            _ => None,
        };
        let host = |name: &str| format!("{:?}", lookup(name, &env).unwrap().config.get_hosts());
        assert!(host("mine").contains("user-file"));
        assert!(host("shared").contains("system-only"));
        let error = lookup("absent", &env).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        assert!(error.to_string().contains("user.conf"), "{error}");
    }
}
