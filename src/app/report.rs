//! `techspec-bench report RESULTS.json`: renders saved results (the table on stdout, and
//! Markdown, HTML and JUnit files on request) without a database. Also reads results
//! files for `merge`. Must not connect to a database nor change a verdict: it shows the
//! statuses as saved.

use std::path::{Path, PathBuf};

use crate::app::ui::Ui;
use crate::cli::{Cli, ReportArgs};
use crate::report::{
    self, HtmlReporter, JunitReporter, MarkdownReporter, Reporter, ResultSink, SummaryReporter,
    TableReporter, Target,
};
use crate::results::{RESULTS_FORMAT, RunReport};
use crate::{Error, Result, exit_code};

/// Renders `args.results`; exit 0 once everything is written.
pub fn run(cli: &Cli, args: &ReportArgs) -> Result<i32> {
    let ui = Ui::from_cli(cli);
    let report = load_results(&args.results)?;
    let files: [(&str, &Option<PathBuf>, Box<dyn Reporter>); 3] = [
        (
            "--markdown",
            &args.markdown,
            Box::new(MarkdownReporter::default()),
        ),
        ("--html", &args.html, Box::new(HtmlReporter::default())),
        ("--junit", &args.junit, Box::new(JunitReporter)),
    ];
    let mut sink = ResultSink::default();
    for (flag, path, reporter) in files {
        if let Some(path) = path {
            report::check_writable(flag, path)?;
            sink.add_boxed(reporter, Target::File(path.clone()));
        }
    }
    add_terminal_output(&mut sink, &ui);
    sink.write_files(&report)?;
    sink.write_stdout(&report)?;
    Ok(exit_code::SUCCESS)
}

/// The table on stdout (the summary line alone with `-q`), as `run` prints it.
pub fn add_terminal_output(sink: &mut ResultSink, ui: &Ui) {
    if ui.quiet {
        sink.add(SummaryReporter, Target::Stdout);
    } else {
        let table = TableReporter {
            color: ui.color,
            width: report::table::stdout_width(),
            baseline: None,
            verbose: ui.verbose,
        };
        sink.add(table, Target::Stdout);
    }
}

/// Reads a results file as JSON, checking its format (a configuration error, exit 2,
/// naming the file and how to fix it, when it cannot be used).
pub fn read_results_json(path: &Path) -> Result<serde_json::Value> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|error| {
        Error::config(format!(
            "cannot read the results file {shown}: {error}; pass a file written by \
             `techspec-bench run --json FILE`"
        ))
    })?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|error| {
        Error::config(format!(
            "{shown}:{}:{}: the results file is not valid JSON: {error}; pass a file written \
             by `techspec-bench run --json FILE`, not an edited or truncated copy",
            error.line(),
            error.column()
        ))
    })?;
    let found = value.get("format").and_then(|format| format.as_str());
    if found != Some(RESULTS_FORMAT) {
        let found = found.map_or("no \"format\" field".to_string(), |f| {
            format!("format \"{f}\"")
        });
        return Err(Error::config(format!(
            "{shown}: the results file has {found}, expected \"{RESULTS_FORMAT}\"; pass a \
             file written by `techspec-bench run --json` of this version (see \
             docs/results-format.md)"
        )));
    }
    Ok(value)
}

/// Reads a results file into the typed report.
pub(crate) fn load_results(path: &Path) -> Result<RunReport> {
    results_from_json(path, read_results_json(path)?)
}

/// The typed report of a results file already read as JSON.
pub fn results_from_json(path: &Path, value: serde_json::Value) -> Result<RunReport> {
    serde_json::from_value(value).map_err(|error| {
        Error::config(format!(
            "{}: the results do not match format {RESULTS_FORMAT}: {error}; pass a file \
             written by `techspec-bench run --json` (see docs/results-format.md)",
            path.display()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_with(text: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        file
    }

    #[test]
    fn a_missing_file_bad_json_or_another_format_is_a_config_error_naming_the_file() {
        let missing = load_results(Path::new("/nonexistent/results.json")).unwrap_err();
        assert!(matches!(missing, Error::Config(_)), "{missing:?}");
        assert!(missing.to_string().contains("/nonexistent/results.json"));
        let bad = file_with("{\"format\": ");
        let error = load_results(bad.path()).unwrap_err().to_string();
        assert!(error.contains("is not valid JSON"), "{error}");
        let other = file_with(r#"{"format": "techspec-bench/0"}"#);
        let error = load_results(other.path()).unwrap_err().to_string();
        assert!(error.contains("format \"techspec-bench/0\""), "{error}");
        let shapeless = file_with(r#"{"format": "techspec-bench/1"}"#);
        let error = load_results(shapeless.path()).unwrap_err().to_string();
        assert!(error.contains("do not match format"), "{error}");
    }
}
