//! A cache of `initdb`'s output for the throwaway cluster: the first cluster made with a
//! given server installation is copied, once initialized, into the user's cache
//! directory; later clusters copy it instead of running `initdb` again (a copy of the
//! fresh data directory takes a fraction of initdb's time).
//!
//! Where: `$TECHSPEC_BENCH_CACHE_DIR`, else `$XDG_CACHE_HOME/techspec-bench`, else
//! `$HOME/.cache/techspec-bench`; `TECHSPEC_BENCH_CACHE_DIR=off` turns the cache off.
//! Each template is a directory `initdb-<key>`, where the key hashes the binaries'
//! directory, the size and modification time of `initdb` and `postgres`, and initdb's
//! arguments: a new server version, a reinstalled package or other options never reuse
//! an old template. A template is written to a temporary name and renamed when complete,
//! so a crash never leaves half of one; a template that cannot be copied is ignored and
//! `initdb` runs as before.
//!
//! A second kind, `seeded-<key>`, holds a migrated and seeded data directory (see
//! `app::dataset`): its key adds to the initdb key what determines the dataset (the
//! tool's own binary, the seed's size and day). Only the newest seeded template is kept,
//! as each is the size of a dataset. Must not start or stop servers.

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use nix::unistd::User;
use sha2::{Digest, Sha256};

/// The environment variable that names the cache directory (or `off`).
pub const CACHE_DIR_VARIABLE: &str = "TECHSPEC_BENCH_CACHE_DIR";
/// The prefix of an initdb template directory's name.
const TEMPLATE_PREFIX: &str = "initdb-";
/// The prefix of a seeded template directory's name.
const SEEDED_PREFIX: &str = "seeded-";

/// The cache directory, from the environment (`env` reads a variable); `None` when it is
/// turned off or no home is known.
pub fn cache_root(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    match env(CACHE_DIR_VARIABLE).filter(|v| !v.is_empty()) {
        Some(value) if value == "off" => None,
        Some(value) => Some(PathBuf::from(value)),
        None => env("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .map(|xdg| PathBuf::from(xdg).join("techspec-bench"))
            .or_else(|| {
                env("HOME")
                    .filter(|v| !v.is_empty())
                    .map(|home| PathBuf::from(home).join(".cache/techspec-bench"))
            }),
    }
}

/// The template key of the installation in `bindir` run with `args`: `None` when the
/// binaries cannot be read (then nothing is cached).
pub fn key(bindir: &Path, args: &[&str]) -> Option<String> {
    let mut hasher = Sha256::new();
    hasher.update(bindir.as_os_str().as_encoded_bytes());
    for program in ["initdb", "postgres"] {
        let meta = fs::metadata(bindir.join(program)).ok()?;
        let modified = meta.modified().ok()?;
        let since = modified.duration_since(std::time::UNIX_EPOCH).ok()?;
        hasher.update(format!("{program}:{}:{}", meta.len(), since.as_nanos()));
    }
    for arg in args {
        hasher.update(arg.as_bytes());
        hasher.update([0]);
    }
    Some(hex_prefix(hasher))
}

/// The directory name of the initdb template of `key`.
pub fn initdb_name(key: &str) -> String {
    format!("{TEMPLATE_PREFIX}{key}")
}

/// The directory name of the seeded template of the installation `initdb_key` and the
/// dataset described by `dataset` (every input that changes the seeded data).
pub fn seeded_name(initdb_key: &str, dataset: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(initdb_key.as_bytes());
    hasher.update([0]);
    hasher.update(dataset.as_bytes());
    format!("{SEEDED_PREFIX}{}", hex_prefix(hasher))
}

fn hex_prefix(hasher: Sha256) -> String {
    let digest = hasher.finalize();
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// The template directory `name` under `root`, when one is complete.
pub fn find(root: &Path, name: &str) -> Option<PathBuf> {
    let dir = root.join(name);
    dir.join("PG_VERSION").is_file().then_some(dir)
}

/// Copies a data directory into the cache as the template `name` (best effort: a
/// failure leaves no template and is returned for the caller to ignore or report).
pub fn store(root: &Path, name: &str, data_dir: &Path) -> io::Result<()> {
    fs::create_dir_all(root)?;
    let target = root.join(name);
    if target.exists() {
        return Ok(());
    }
    let partial = root.join(format!(".{name}.{}", std::process::id()));
    let _ = fs::remove_dir_all(&partial);
    let copied = copy_tree(data_dir, &partial, None).and_then(|()| fs::rename(&partial, &target));
    if copied.is_err() {
        let _ = fs::remove_dir_all(&partial);
        // Another process stored the same template first: that one serves.
        if find(root, name).is_some() {
            return Ok(());
        }
    }
    copied
}

/// Removes every seeded template under `root` but `keep` (best effort: one that another
/// process is copying from at that moment makes that copy fail, and it seeds instead).
pub fn prune_seeded(root: &Path, keep: &str) {
    let Ok(entries) = fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(SEEDED_PREFIX) && name != keep {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// Copies `from` into the new directory `to` (directories and regular files, with their
/// permission bits), handing everything to `owner` when given (the tool runs as root and
/// the server as `postgres`). Anything else (a symbolic link, a socket) is an error.
pub fn copy_tree(from: &Path, to: &Path, owner: Option<&User>) -> io::Result<()> {
    fs::create_dir(to)?;
    fs::set_permissions(to, fs::metadata(from)?.permissions())?;
    hand_over(to, owner)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_tree(&source, &target, owner)?;
        } else if kind.is_file() {
            fs::copy(&source, &target)?;
            let mode = fs::metadata(&source)?.permissions().mode();
            fs::set_permissions(&target, fs::Permissions::from_mode(mode))?;
            hand_over(&target, owner)?;
        } else {
            return Err(io::Error::other(format!(
                "{} is neither a file nor a directory",
                source.display()
            )));
        }
    }
    Ok(())
}

fn hand_over(path: &Path, owner: Option<&User>) -> io::Result<()> {
    let Some(user) = owner else {
        return Ok(());
    };
    nix::unistd::chown(path, Some(user.uid), Some(user.gid)).map_err(io::Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |key| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }

    #[test]
    fn the_cache_lives_where_the_environment_says_or_nowhere() {
        let root = |pairs: &[(&str, &str)]| cache_root(&env_of(pairs));
        assert_eq!(
            root(&[(CACHE_DIR_VARIABLE, "/c"), ("HOME", "/h")]),
            Some(PathBuf::from("/c"))
        );
        assert_eq!(root(&[(CACHE_DIR_VARIABLE, "off"), ("HOME", "/h")]), None);
        assert_eq!(
            root(&[("XDG_CACHE_HOME", "/x"), ("HOME", "/h")]),
            Some(PathBuf::from("/x/techspec-bench"))
        );
        assert_eq!(
            root(&[("HOME", "/h")]),
            Some(PathBuf::from("/h/.cache/techspec-bench"))
        );
        assert_eq!(root(&[]), None);
    }

    #[test]
    fn the_key_changes_with_the_binaries_and_the_arguments() {
        let bin = tempfile::tempdir().unwrap();
        for program in ["initdb", "postgres"] {
            fs::write(bin.path().join(program), "v1").unwrap();
        }
        let first = key(bin.path(), &["-E", "UTF8"]).unwrap();
        assert_eq!(key(bin.path(), &["-E", "UTF8"]).unwrap(), first);
        assert_ne!(key(bin.path(), &["-E", "SQL_ASCII"]).unwrap(), first);
        fs::write(bin.path().join("postgres"), "version 2").unwrap();
        assert_ne!(key(bin.path(), &["-E", "UTF8"]).unwrap(), first);
        assert_eq!(key(&bin.path().join("missing"), &[]), None);
    }

    #[test]
    fn a_stored_template_is_found_and_copies_whole() {
        let data = tempfile::tempdir().unwrap();
        fs::write(data.path().join("PG_VERSION"), "15\n").unwrap();
        fs::create_dir(data.path().join("base")).unwrap();
        fs::write(data.path().join("base/1"), "rows").unwrap();
        fs::set_permissions(data.path(), fs::Permissions::from_mode(0o700)).unwrap();
        let cache = tempfile::tempdir().unwrap();
        let name = initdb_name("k");
        assert_eq!(find(cache.path(), &name), None);
        store(cache.path(), &name, data.path()).unwrap();
        let template = find(cache.path(), &name).expect("stored");
        store(cache.path(), &name, data.path()).expect("a second store is a no-op");
        let copy = tempfile::tempdir().unwrap();
        let target = copy.path().join("data");
        copy_tree(&template, &target, None).unwrap();
        assert_eq!(fs::read_to_string(target.join("base/1")).unwrap(), "rows");
        let mode = fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        let leftovers: Vec<_> = fs::read_dir(cache.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no partial copy left behind");
    }

    #[test]
    fn a_seeded_name_changes_with_the_installation_and_the_dataset() {
        let name = seeded_name("k1", "sessions 10000");
        assert!(name.starts_with(SEEDED_PREFIX), "{name}");
        assert_eq!(seeded_name("k1", "sessions 10000"), name);
        assert_ne!(seeded_name("k2", "sessions 10000"), name);
        assert_ne!(seeded_name("k1", "sessions 20000"), name);
        assert_ne!(name, initdb_name("k1"));
    }

    #[test]
    fn pruning_keeps_the_named_seeded_template_and_every_initdb_template() {
        let cache = tempfile::tempdir().unwrap();
        let names = [
            seeded_name("k", "old"),
            seeded_name("k", "new"),
            initdb_name("k"),
        ];
        for name in &names {
            fs::create_dir(cache.path().join(name)).unwrap();
        }
        prune_seeded(cache.path(), &names[1]);
        let mut left: Vec<String> = fs::read_dir(cache.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        let mut expected = vec![names[1].clone(), names[2].clone()];
        expected.sort();
        assert_eq!(left, expected);
    }

    #[test]
    fn a_symbolic_link_is_not_copied() {
        let data = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("/tmp", data.path().join("pg_wal")).unwrap();
        let copy = tempfile::tempdir().unwrap();
        assert!(copy_tree(data.path(), &copy.path().join("data"), None).is_err());
    }
}
