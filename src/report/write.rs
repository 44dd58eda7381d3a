//! Writes result files so a crash never leaves half of one: a temporary file in the same
//! directory, fsync, rename. `ResultSink` is the list of requested outputs (reporter and
//! target): files after each scenario, stdout at the end. `check_writable` proves an
//! output path usable before any work. Must not render formats itself (the reporters do).

use std::fs::{self, File};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use super::Reporter;
use crate::Error;
use crate::results::RunReport;

/// Replaces `path` with `bytes` atomically: readers see the old file or the new one,
/// never a mix. Creates missing parent directories. A new file gets mode 0644; a
/// replaced file keeps its permissions.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> crate::Result<()> {
    let directory = parent_directory(path);
    fs::create_dir_all(directory).map_err(|e| write_error(path, "create its directory", e))?;
    let mut temporary = tempfile::Builder::new()
        .prefix(&temporary_prefix(path))
        .suffix(".tmp")
        .tempfile_in(directory)
        .map_err(|e| write_error(path, "create a temporary file next to it", e))?;
    temporary
        .write_all(bytes)
        .map_err(|e| write_error(path, "write", e))?;
    set_permissions(path, temporary.as_file())?;
    temporary
        .as_file()
        .sync_all()
        .map_err(|e| write_error(path, "flush to disk", e))?;
    temporary
        .persist(path)
        .map_err(|e| write_error(path, "rename the temporary file onto it", e.error))?;
    sync_directory(directory);
    Ok(())
}

/// The directory `path` lives in (`.` for a bare file name).
fn parent_directory(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// `.results.json.` for `out/results.json`: hidden, and says whose temporary file it is.
fn temporary_prefix(path: &Path) -> String {
    let name = path
        .file_name()
        .map_or("results".into(), |n| n.to_string_lossy());
    format!(".{name}.")
}

/// Keeps the permissions of the file being replaced; 0644 for a new one.
fn set_permissions(path: &Path, temporary: &File) -> crate::Result<()> {
    let permissions = match fs::metadata(path) {
        Ok(existing) => existing.permissions(),
        Err(_) => {
            use std::os::unix::fs::PermissionsExt;
            fs::Permissions::from_mode(0o644)
        }
    };
    temporary
        .set_permissions(permissions)
        .map_err(|e| write_error(path, "set permissions of", e))
}

/// Makes the rename itself durable. Best effort: some file systems refuse to sync a directory.
fn sync_directory(directory: &Path) {
    if let Ok(handle) = File::open(directory) {
        let _ = handle.sync_all();
    }
}

fn write_error(path: &Path, doing: &str, error: std::io::Error) -> Error {
    Error::io(
        format!(
            "cannot write results to {}: could not {doing}",
            path.display()
        ),
        error,
        Some(
            "check that the directory exists and is writable and that the disk is not full, \
             or choose another path",
        ),
    )
}

/// Checks, before any work, that the output `path` given with `flag` can be written: it
/// is not a directory, and its directory (or, when that is missing, the nearest existing
/// ancestor, since `write_atomic` creates missing directories) is a directory where a
/// temporary file can be created and removed. A configuration error (exit 2) otherwise.
pub fn check_writable(flag: &str, path: &Path) -> crate::Result<()> {
    let unwritable = |why: String| {
        Error::config(format!(
            "{flag} {}: cannot write results there: {why}",
            path.display()
        ))
    };
    if path.is_dir() {
        return Err(unwritable(format!(
            "it is a directory; name a file instead, e.g. {}",
            path.join("results").display()
        )));
    }
    let directory = existing_ancestor(parent_directory(path)).map_err(&unwritable)?;
    let probe = tempfile::Builder::new()
        .prefix(&temporary_prefix(path))
        .suffix(".tmp")
        .tempfile_in(directory);
    match probe {
        Ok(file) => file.close().map_err(|e| {
            unwritable(format!(
                "the test file in {} could not be removed ({e})",
                directory.display()
            ))
        }),
        Err(e) => Err(unwritable(format!(
            "no file can be created in {} ({e}); make that directory writable, or choose \
             another path",
            directory.display()
        ))),
    }
}

/// `directory` itself or its nearest existing ancestor; an error saying how to fix it when
/// that is not a directory or cannot be inspected.
fn existing_ancestor(directory: &Path) -> Result<&Path, String> {
    for candidate in directory.ancestors() {
        let candidate = if candidate.as_os_str().is_empty() {
            Path::new(".")
        } else {
            candidate
        };
        match fs::metadata(candidate) {
            Ok(found) if found.is_dir() => return Ok(candidate),
            Ok(_) => {
                return Err(format!(
                    "{} is a file, not a directory; choose another path",
                    candidate.display()
                ));
            }
            Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {}
            Err(e) => {
                return Err(format!(
                    "{} cannot be inspected ({e}); fix its permissions, or choose another path",
                    candidate.display()
                ));
            }
        }
    }
    Ok(Path::new("."))
}

/// Where one reporter's bytes go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A file, rewritten atomically after every scenario.
    File(PathBuf),
    /// Standard output, once, when the run is over (the terminal table).
    Stdout,
    /// Standard error, once, when the run is over (the table while stdout carries JSON).
    Stderr,
    /// Appended to a file, once, when the run is over (a CI job summary).
    Append(PathBuf),
}

/// One requested output: a reporter and its target.
struct Export {
    reporter: Box<dyn Reporter>,
    target: Target,
}

/// The outputs a run was asked for, in order (hyperfine's export manager). Calling
/// `write_files` after every scenario means a crash keeps everything measured so far;
/// `write_stdout` prints the terminal outputs once at the end.
#[derive(Default)]
pub struct ResultSink {
    exports: Vec<Export>,
}

impl ResultSink {
    /// Adds an output; outputs are written in the order they were added.
    pub fn add(&mut self, reporter: impl Reporter + 'static, target: Target) {
        self.add_boxed(Box::new(reporter), target);
    }

    /// `add` for a reporter already boxed (e.g. picked from a list of formats).
    pub fn add_boxed(&mut self, reporter: Box<dyn Reporter>, target: Target) {
        self.exports.push(Export { reporter, target });
    }

    /// `add`, builder style.
    pub fn with(mut self, reporter: impl Reporter + 'static, target: Target) -> Self {
        self.add(reporter, target);
        self
    }

    /// True when no output was requested.
    pub fn is_empty(&self) -> bool {
        self.exports.is_empty()
    }

    /// Renders and writes every file output. Tries all of them even when one fails, then
    /// reports every failure in one error.
    pub fn write_files(&self, report: &RunReport) -> crate::Result<()> {
        let failures: Vec<String> = self
            .exports
            .iter()
            .filter_map(|export| match &export.target {
                Target::File(path) => Some((path, &export.reporter)),
                _ => None,
            })
            .filter_map(|(path, reporter)| {
                let written = reporter.render(report).and_then(|b| write_atomic(path, &b));
                written.err().map(|error| error.to_string())
            })
            .collect();
        if failures.is_empty() {
            Ok(())
        } else {
            Err(Error::environment(failures.join("\n")))
        }
    }

    /// Renders every end-of-run output (stdout, stderr, appended files) and writes it, in
    /// order.
    pub fn write_stdout(&self, report: &RunReport) -> crate::Result<()> {
        for export in &self.exports {
            let written = match &export.target {
                Target::File(_) => continue,
                Target::Stdout => print_to(std::io::stdout().lock(), export, report),
                Target::Stderr => print_to(std::io::stderr().lock(), export, report),
                Target::Append(path) => append_to(path, export, report),
            };
            written?;
        }
        Ok(())
    }
}

/// Renders one export and prints it on `stream`.
fn print_to(mut stream: impl Write, export: &Export, report: &RunReport) -> crate::Result<()> {
    let bytes = export.reporter.render(report)?;
    stream
        .write_all(&bytes)
        .and_then(|()| stream.flush())
        .map_err(|e| {
            Error::environment(format!(
                "cannot print the results: {e}; check that whatever reads the output \
                 (a pipe, a file) is still open"
            ))
        })
}

/// Renders one export and appends it, followed by a blank line, to `path`.
fn append_to(path: &Path, export: &Export, report: &RunReport) -> crate::Result<()> {
    let mut bytes = export.reporter.render(report)?;
    bytes.push(b'\n');
    fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut file| file.write_all(&bytes))
        .map_err(|e| write_error(path, "append", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(directory: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(directory)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_path_in_a_writable_directory_passes_and_leaves_nothing_behind() {
        let directory = tempfile::tempdir().unwrap();
        fs::write(directory.path().join("old.json"), b"{}").unwrap();
        check_writable("--json", &directory.path().join("old.json")).unwrap();
        check_writable("--json", &directory.path().join("new.json")).unwrap();
        assert_eq!(entries(directory.path()), ["old.json"]);
    }

    #[test]
    fn missing_directories_pass_when_they_can_be_created_and_are_not_created() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("out/nested/junit.xml");
        check_writable("--junit", &path).unwrap();
        assert!(entries(directory.path()).is_empty());
    }

    #[test]
    fn a_path_below_a_file_is_a_config_error_naming_flag_path_and_fix() {
        let directory = tempfile::tempdir().unwrap();
        let blocker = directory.path().join("file");
        fs::write(&blocker, b"x").unwrap();
        let path = blocker.join("sub/results.json");
        let error = check_writable("--json", &path).unwrap_err();
        assert!(matches!(error, Error::Config(_)), "{error:?}");
        let message = error.to_string();
        assert!(
            message.starts_with(&format!("--json {}:", path.display())),
            "{message}"
        );
        assert!(message.contains("is a file, not a directory"), "{message}");
        assert!(message.contains("choose another path"), "{message}");
    }

    #[test]
    fn a_directory_is_not_an_output_file() {
        let directory = tempfile::tempdir().unwrap();
        let error = check_writable("--html", directory.path()).unwrap_err();
        assert!(matches!(error, Error::Config(_)), "{error:?}");
        assert!(error.to_string().contains("is a directory"), "{error}");
    }

    #[test]
    fn a_read_only_directory_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        if nix::unistd::geteuid().is_root() {
            return; // root may write anywhere: nothing to refuse
        }
        let directory = tempfile::tempdir().unwrap();
        let locked = directory.path().join("locked");
        fs::create_dir(&locked).unwrap();
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o555)).unwrap();
        let error = check_writable("--save-baseline", &locked.join("b.json")).unwrap_err();
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
        let message = error.to_string();
        assert!(message.contains("--save-baseline"), "{message}");
        assert!(
            message.contains("make that directory writable"),
            "{message}"
        );
    }

    #[test]
    fn a_bare_file_name_is_checked_in_the_current_directory() {
        assert_eq!(
            existing_ancestor(parent_directory(Path::new("r.json"))),
            Ok(Path::new("."))
        );
    }
}
