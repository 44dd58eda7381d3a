//! The dashboard exports shared by `run`, `merge` and `report`: `--bmf FILE` (Bencher
//! Metric Format) and `--github-benchmark FILE` (github-action-benchmark's
//! `customSmallerIsBetter` JSON), as (flag, path, reporter) outputs; and adding such
//! outputs to a sink once their paths are checked. Must not render (the reporters do).

use std::path::PathBuf;

use crate::Result;
use crate::cli::ExportArgs;
use crate::report::{self, BmfReporter, GithubBenchmarkReporter, Reporter, ResultSink, Target};

/// An output file a command can write: its flag, the path given (if any), its reporter.
pub type OutputFile<'a> = (&'static str, &'a Option<PathBuf>, Box<dyn Reporter>);

/// The export files of `args`.
pub fn files(args: &ExportArgs) -> Vec<OutputFile<'_>> {
    vec![
        ("--bmf", &args.bmf, Box::new(BmfReporter)),
        (
            "--github-benchmark",
            &args.github_benchmark,
            Box::new(GithubBenchmarkReporter),
        ),
    ]
}

/// Checks that every requested path is writable, then adds its file to `sink`.
pub fn add_files(sink: &mut ResultSink, files: Vec<OutputFile>) -> Result<()> {
    for (flag, path, reporter) in files {
        if let Some(path) = path {
            report::check_writable(flag, path)?;
            sink.add_boxed(reporter, Target::File(path.clone()));
        }
    }
    Ok(())
}
