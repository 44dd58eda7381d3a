//! Looks a password up in a libpq password file (`~/.pgpass` format:
//! `hostname:port:database:username:password`, `*` matches anything, `\:` and `\\`
//! escape). A file that is not a regular file, or that group or others may access, is
//! ignored with one warning on stderr naming it, as libpq does. Must not print or log
//! anything it reads.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// What a password-file line is matched against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgpassQuery<'a> {
    /// Host name; a Unix-socket directory is matched as `localhost`, as libpq does.
    pub host: &'a str,
    pub port: u16,
    pub database: &'a str,
    pub user: &'a str,
}

/// The password file to read: `passfile`, else `PGPASSFILE`, else `$HOME/.pgpass`.
pub fn file_path(
    passfile: Option<PathBuf>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<PathBuf> {
    passfile
        .or_else(|| {
            env("PGPASSFILE")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .or_else(|| {
            env("HOME")
                .filter(|v| !v.is_empty())
                .map(|home| Path::new(&home).join(".pgpass"))
        })
}

/// Reads the file and returns the password of the first matching line. A missing or
/// unreadable file means no password; an insecure one too, after a warning on stderr
/// (libpq does the same).
pub fn lookup_file(path: &Path, query: &PgpassQuery<'_>) -> Option<String> {
    let metadata = std::fs::metadata(path).ok()?;
    if let Some(problem) = insecure(metadata.is_file(), metadata.permissions().mode()) {
        eprintln!("warning: password file {} {problem}", path.display());
        return None;
    }
    let contents = std::fs::read_to_string(path).ok()?;
    lookup(&contents, query)
}

/// Why a password file must be ignored, from its type and mode bits (`None`: safe).
pub fn insecure(is_regular_file: bool, mode: u32) -> Option<String> {
    if !is_regular_file {
        return Some("is not a plain file, so it is ignored".to_string());
    }
    (mode & 0o077 != 0).then(|| {
        format!(
            "has group or world access (mode {:04o}), so it is ignored; permissions should be \
             u=rw (0600) or less: chmod 600 it",
            mode & 0o7777
        )
    })
}

/// The password of the first line of `contents` matching `query`.
pub fn lookup(contents: &str, query: &PgpassQuery<'_>) -> Option<String> {
    let host = if query.host.starts_with('/') {
        "localhost"
    } else {
        query.host
    };
    let port = query.port.to_string();
    let wanted = [host, port.as_str(), query.database, query.user];
    contents
        .lines()
        .map(|line| line.trim_end_matches('\r'))
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .find_map(|line| {
            let fields = split_fields(line);
            if fields.len() < 5 {
                return None;
            }
            let matches = wanted
                .iter()
                .zip(&fields)
                .all(|(want, field)| field == "*" || field == want);
            matches.then(|| fields[4..].join(":"))
        })
}

/// Splits on unescaped `:` and removes the backslash escapes.
fn split_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => fields.last_mut().expect("never empty").extend(chars.next()),
            ':' => fields.push(String::new()),
            _ => fields.last_mut().expect("never empty").push(c),
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query<'a>(host: &'a str, port: u16, database: &'a str, user: &'a str) -> PgpassQuery<'a> {
        PgpassQuery {
            host,
            port,
            database,
            user,
        }
    }

    #[test]
    fn first_matching_line_wins_with_wildcards() {
        let file = "# comment\n\
                    db.example:5432:app:alice:first\n\
                    *:*:*:alice:second\n\
                    *:*:*:*:fallback\n";
        assert_eq!(
            lookup(file, &query("db.example", 5432, "app", "alice")).as_deref(),
            Some("first")
        );
        assert_eq!(
            lookup(file, &query("other", 5432, "app", "alice")).as_deref(),
            Some("second")
        );
        assert_eq!(
            lookup(file, &query("other", 1, "x", "bob")).as_deref(),
            Some("fallback")
        );
    }

    #[test]
    fn escapes_and_colons_in_the_password() {
        let file = "h\\:x:5432:*:u:pa\\:ss\\\\word\nh:5432:*:v:a:b\n";
        assert_eq!(
            lookup(file, &query("h:x", 5432, "d", "u")).as_deref(),
            Some("pa:ss\\word")
        );
        assert_eq!(
            lookup(file, &query("h", 5432, "d", "v")).as_deref(),
            Some("a:b")
        );
    }

    #[test]
    fn unix_socket_hosts_match_localhost_and_non_matches_give_none() {
        let file = "localhost:5432:*:u:sock\n";
        assert_eq!(
            lookup(file, &query("/var/run/postgresql", 5432, "d", "u")).as_deref(),
            Some("sock")
        );
        assert_eq!(lookup(file, &query("localhost", 5433, "d", "u")), None);
        assert_eq!(
            lookup("short:line\n", &query("short", 5432, "d", "u")),
            None
        );
    }

    #[test]
    fn file_path_prefers_passfile_then_pgpassfile_then_home() {
        let env = |k: &str| match k {
            "HOME" => Some("/home/me".to_string()),
            "PGPASSFILE" => Some("/etc/pw".to_string()),
            _ => None,
        };
        assert_eq!(
            file_path(Some("/x".into()), &env),
            Some(PathBuf::from("/x"))
        );
        assert_eq!(file_path(None, &env), Some(PathBuf::from("/etc/pw")));
        let home_only = |k: &str| (k == "HOME").then(|| "/home/me".to_string());
        assert_eq!(
            file_path(None, &home_only),
            Some(PathBuf::from("/home/me/.pgpass"))
        );
        assert_eq!(file_path(None, &|_| None), None);
    }

    #[test]
    fn group_or_world_access_makes_the_file_insecure() {
        assert_eq!(insecure(true, 0o100600), None);
        assert_eq!(insecure(true, 0o100400), None);
        for mode in [0o100640, 0o100604, 0o100660, 0o100610] {
            let problem = insecure(true, mode).expect("insecure");
            assert!(problem.contains("0600"), "{problem}");
        }
        assert!(insecure(false, 0o040700).is_some());
    }

    #[test]
    fn an_insecure_file_gives_no_password() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pgpass");
        std::fs::write(&path, "*:*:*:*:secret\n").unwrap();
        let wanted = query("h", 5432, "d", "u");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(lookup_file(&path, &wanted), None);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(lookup_file(&path, &wanted).as_deref(), Some("secret"));
    }
}
