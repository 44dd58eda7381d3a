//! Finds the local PostgreSQL server binaries (`initdb`, `postgres`) for the throwaway
//! cluster. Must not start anything but `pg_config --bindir`.
//!
//! Search order: `$TECHSPEC_BENCH_PG_BINDIR` (when set, the only place looked at), the
//! directories of `PATH`, `pg_config --bindir`, then `/usr/lib/postgresql/*/bin` with the
//! newest major version first.

use std::path::{Path, PathBuf};

/// Environment variable naming the directory of `initdb` and `postgres`, replacing the search.
pub const BINDIR_ENV: &str = "TECHSPEC_BENCH_PG_BINDIR";

/// Where the Debian/Ubuntu packages install each major version.
const DEBIAN_ROOT: &str = "/usr/lib/postgresql";

/// The directory holding both `initdb` and `postgres`, or an environment error (exit 3)
/// saying what to install.
pub fn find(env: &dyn Fn(&str) -> Option<String>) -> crate::Result<PathBuf> {
    if let Some(dir) = env(BINDIR_ENV).filter(|d| !d.trim().is_empty()) {
        let dir = PathBuf::from(dir);
        return if has_server_binaries(&dir) {
            Ok(dir)
        } else {
            Err(not_found(&format!(
                "{BINDIR_ENV}={} (it has no initdb and postgres)",
                dir.display()
            )))
        };
    }
    let path_dirs = env("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    path_dirs
        .into_iter()
        .chain(pg_config_bindir())
        .chain(debian_bindirs(Path::new(DEBIAN_ROOT)))
        .find(|dir| has_server_binaries(dir))
        .ok_or_else(|| {
            not_found(&format!(
                "PATH, `pg_config --bindir` and {DEBIAN_ROOT}/*/bin"
            ))
        })
}

fn not_found(looked_in: &str) -> crate::Error {
    crate::Error::environment(format!(
        "no PostgreSQL server installation found for the throwaway cluster (looked in {looked_in}). \
         Install the server binaries (e.g. `apt-get install postgresql`), set {BINDIR_ENV} to the \
         directory holding initdb and postgres, or pass --database-url (or set DATABASE_URL) to use \
         your own database."
    ))
}

fn has_server_binaries(dir: &Path) -> bool {
    is_executable(&dir.join("initdb")) && is_executable(&dir.join("postgres"))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn pg_config_bindir() -> Option<PathBuf> {
    let output = std::process::Command::new("pg_config")
        .arg("--bindir")
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    (output.status.success() && !text.trim().is_empty()).then(|| PathBuf::from(text.trim()))
}

/// `<root>/<version>/bin`, newest version first (numeric: 9.6 < 10 < 17).
fn debian_bindirs(root: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut versions: Vec<(Vec<u32>, PathBuf)> = entries
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let key: Option<Vec<u32>> = name.split('.').map(|part| part.parse().ok()).collect();
            Some((key?, entry.path().join("bin")))
        })
        .collect();
    versions.sort_by(|a, b| b.0.cmp(&a.0));
    versions.into_iter().map(|(_, dir)| dir).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_install(dir: &Path) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::create_dir_all(dir).unwrap();
        for name in ["initdb", "postgres"] {
            let path = dir.join(name);
            std::fs::write(&path, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }

    #[test]
    fn the_override_is_the_only_place_looked_at() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        fake_install(&bin);
        let good = bin.to_str().unwrap().to_string();
        assert_eq!(
            find(&|k| (k == BINDIR_ENV).then(|| good.clone())).unwrap(),
            bin
        );
        let error = find(&|k| (k == BINDIR_ENV).then(|| "/nonexistent".to_string())).unwrap_err();
        assert_eq!(error.exit_code(), 3);
        let text = error.to_string();
        assert!(
            text.contains("apt-get install postgresql") && text.contains("--database-url"),
            "{text}"
        );
    }

    #[test]
    fn debian_versions_are_tried_newest_first() {
        let root = tempfile::tempdir().unwrap();
        for version in ["9.6", "10", "17", "notaversion"] {
            std::fs::create_dir_all(root.path().join(version)).unwrap();
        }
        let dirs = debian_bindirs(root.path());
        let names: Vec<_> = dirs
            .iter()
            .map(|d| d.parent().unwrap().file_name().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["17", "10", "9.6"]);
    }

    #[test]
    fn a_directory_without_both_binaries_does_not_count() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("initdb"), "").unwrap();
        assert!(!has_server_binaries(dir.path()));
    }
}
