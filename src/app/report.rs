//! `techspec-bench report RESULTS.json`: renders saved results (the table on stdout, and
//! Markdown, HTML and JUnit files on request) without a database; `crate::saved` reads
//! the file. Must not connect to a database nor change a verdict: it shows the
//! statuses as saved.

use crate::app::exports::{self, OutputFile};
use crate::app::ui::Ui;
use crate::cli::{Cli, ReportArgs};
use crate::report::{
    self, HtmlReporter, JunitReporter, MarkdownReporter, ResultSink, SummaryReporter,
    TableReporter, Target,
};
use crate::{Result, exit_code};

/// Renders `args.results`; exit 0 once everything is written.
pub fn run(cli: &Cli, args: &ReportArgs) -> Result<i32> {
    let ui = Ui::from_cli(cli);
    let report = crate::saved::load_results(&args.results)?;
    let mut files: Vec<OutputFile> = vec![
        (
            "--markdown",
            &args.markdown,
            Box::new(MarkdownReporter::default()),
        ),
        ("--html", &args.html, Box::new(HtmlReporter::default())),
        ("--junit", &args.junit, Box::new(JunitReporter)),
    ];
    files.extend(exports::files(&args.exports));
    let mut sink = ResultSink::default();
    exports::add_files(&mut sink, files)?;
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
