//! Writes result files so a crash never leaves half of one: a temporary file in the same
//! directory, fsync, rename. `ResultSink` writes every requested format; the run command
//! calls it after each scenario. Must not render formats itself (the reporters do).

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::baseline::compare;
use super::{HtmlReporter, JsonReporter, JunitReporter, MarkdownReporter, Reporter};
use crate::Error;
use crate::results::RunReport;

/// Replaces `path` with `bytes` atomically: readers see the old file or the new one,
/// never a mix. Creates missing parent directories. A new file gets mode 0644; a
/// replaced file keeps its permissions.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> crate::Result<()> {
    let directory = parent_directory(path);
    fs::create_dir_all(directory).map_err(|e| write_error(path, "create its directory", &e))?;
    let mut temporary = tempfile::Builder::new()
        .prefix(&temporary_prefix(path))
        .suffix(".tmp")
        .tempfile_in(directory)
        .map_err(|e| write_error(path, "create a temporary file next to it", &e))?;
    temporary
        .write_all(bytes)
        .map_err(|e| write_error(path, "write", &e))?;
    set_permissions(path, temporary.as_file())?;
    temporary
        .as_file()
        .sync_all()
        .map_err(|e| write_error(path, "flush to disk", &e))?;
    temporary
        .persist(path)
        .map_err(|e| write_error(path, "rename the temporary file onto it", &e.error))?;
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
        .map_err(|e| write_error(path, "set permissions of", &e))
}

/// Makes the rename itself durable. Best effort: some file systems refuse to sync a directory.
fn sync_directory(directory: &Path) {
    if let Ok(handle) = File::open(directory) {
        let _ = handle.sync_all();
    }
}

fn write_error(path: &Path, doing: &str, error: &std::io::Error) -> Error {
    Error::environment(format!(
        "cannot write results to {}: could not {doing}: {error}; check that the directory \
         exists and is writable and that the disk is not full, or choose another path",
        path.display()
    ))
}

/// The result files a run was asked for. `write_all` rewrites all of them; calling it after
/// every scenario means a crash keeps everything measured so far.
#[derive(Debug, Clone, Default)]
pub struct ResultSink {
    pub json: Option<PathBuf>,
    pub junit: Option<PathBuf>,
    pub markdown: Option<PathBuf>,
    pub html: Option<PathBuf>,
    /// A baseline to show deltas against in markdown and HTML (informative only).
    pub baseline: Option<RunReport>,
}

impl ResultSink {
    /// The outputs named by `run`'s flags (`--json`, `--junit`, `--markdown`, `--html`).
    /// `baseline` is what `load_baseline(--baseline)` returned, if given.
    pub fn from_run_args(args: &crate::cli::RunArgs, baseline: Option<RunReport>) -> Self {
        ResultSink {
            json: args.json.clone(),
            junit: args.junit.clone(),
            markdown: args.markdown.clone(),
            html: args.html.clone(),
            baseline,
        }
    }

    /// True when no file was requested.
    pub fn is_empty(&self) -> bool {
        self.json.is_none()
            && self.junit.is_none()
            && self.markdown.is_none()
            && self.html.is_none()
    }

    /// Renders and writes every requested file. Tries all of them even when one fails,
    /// then reports every failure in one error.
    pub fn write_all(&self, report: &RunReport) -> crate::Result<()> {
        let comparison = self.baseline.as_ref().map(|b| compare(report, b));
        let markdown = MarkdownReporter {
            baseline: comparison.clone(),
        };
        let html = HtmlReporter {
            baseline: comparison,
        };
        let outputs: [(&Option<PathBuf>, &dyn Reporter); 4] = [
            (&self.json, &JsonReporter),
            (&self.junit, &JunitReporter),
            (&self.markdown, &markdown),
            (&self.html, &html),
        ];
        let failures: Vec<String> = outputs
            .into_iter()
            .filter_map(|(path, reporter)| Some((path.as_deref()?, reporter)))
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
}
