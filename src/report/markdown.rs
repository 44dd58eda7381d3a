//! GitHub-flavoured Markdown for PR comments: a summary, one table row per scenario,
//! the reasons of every non-pass, and baseline deltas when given. Must not decide
//! statuses; every text from the report is escaped so it cannot break the table.

use super::Reporter;
use super::baseline::{Comparison, ScenarioDelta, delta_text, p95_delta_cell};
use super::cells::{NONE, dataset_text, plan_text, status_label, thresholds_text};
use super::rows::{not_passed, percentile_texts, target_kind};
use super::table::summary_line;
use crate::results::{RunReport, ScenarioResult, Status};

/// Renders Markdown; with `baseline`, adds a Δ p95 column and a comparison section.
#[derive(Debug, Clone, Default)]
pub struct MarkdownReporter {
    pub baseline: Option<Comparison>,
}

impl Reporter for MarkdownReporter {
    fn render(&self, report: &RunReport) -> crate::Result<Vec<u8>> {
        let mut out = String::new();
        out.push_str("## techspec-bench results\n\n");
        out.push_str(&format!("{}\n\n", headline(report)));
        out.push_str(&scenario_table(report, self.baseline.as_ref()));
        out.push_str(&reasons_section(report));
        if let Some(comparison) = &self.baseline {
            out.push_str(&comparison_section(comparison));
        }
        out.push_str(&gate_section(report));
        out.push_str(&environment_section(report));
        Ok(out.into_bytes())
    }
}

/// `✅ 14 passed, 0 failed, 1 skipped, 0 errors` (❌ when anything failed or errored).
fn headline(report: &RunReport) -> String {
    let summary = report.summary;
    let mark = if summary.fail + summary.error > 0 {
        "❌"
    } else {
        "✅"
    };
    format!("{mark} **{}**", summary_line(&summary))
}

fn scenario_table(report: &RunReport, baseline: Option<&Comparison>) -> String {
    let mut head = vec!["Scenario", "Iterations", "p50", "p95", "p99", "max"];
    if baseline.is_some() {
        head.push("Δ p95");
    }
    head.extend(["Threshold", "Plan", "Status"]);
    let numeric = ["Iterations", "p50", "p95", "p99", "max", "Δ p95"];
    let align: Vec<&str> = head
        .iter()
        .map(|name| {
            if numeric.contains(name) {
                "---:"
            } else {
                "---"
            }
        })
        .collect();
    let mut out = table_line(&head);
    out.push_str(&table_line(&align));
    for result in &report.scenarios {
        let cells = scenario_cells(result, baseline);
        out.push_str(&table_line(
            &cells.iter().map(String::as_str).collect::<Vec<_>>(),
        ));
    }
    out.push('\n');
    out
}

fn scenario_cells(result: &ScenarioResult, baseline: Option<&Comparison>) -> Vec<String> {
    let mut cells = vec![
        format!("`{}`", escape_code(&result.name)),
        result.iterations.to_string(),
    ];
    cells.extend(percentile_texts(result.latency_us.as_ref()));
    if let Some(comparison) = baseline {
        cells.push(p95_delta_cell(comparison, &result.name));
    }
    cells.push(escape_cell(&thresholds_text(result)));
    cells.push(escape_cell(&plan_text(result.plan.as_ref())));
    cells.push(status_badge(result.status).to_string());
    cells
}

fn table_line(cells: &[&str]) -> String {
    format!("| {} |\n", cells.join(" | "))
}

fn status_badge(status: Status) -> String {
    let mark = match status {
        Status::Pass => "✅",
        Status::Fail => "❌",
        Status::Skip => "⏭️",
        Status::Error => "💥",
    };
    format!("{mark} {}", status_label(status))
}

fn reasons_section(report: &RunReport) -> String {
    let lines: Vec<String> = not_passed(report)
        .map(|(result, reason)| {
            format!(
                "- **{}** `{}`: {}\n",
                status_label(result.status),
                escape_code(&result.name),
                escape_text(&reason)
            )
        })
        .collect();
    if lines.is_empty() {
        return String::new();
    }
    format!("### Not passed\n\n{}\n", lines.concat())
}

/// The baseline gate: how it compared, then one line per scenario with its verdict.
fn gate_section(report: &RunReport) -> String {
    let Some(note) = super::regression::method_note(report) else {
        return String::new();
    };
    let mut out = format!("### Baseline gate\n\n{}\n\n", escape_text(&note));
    for line in super::regression::comparison_lines(report) {
        out.push_str(&format!("- {}\n", escape_text(&line)));
    }
    out.push('\n');
    out
}

fn comparison_section(comparison: &Comparison) -> String {
    let mut out = format!(
        "### Compared with the baseline of {}\n\n",
        escape_text(&comparison.baseline_started_at)
    );
    out.push_str(&table_line(&["Scenario", "Δ p50", "Δ p95", "Δ p99"]));
    out.push_str(&table_line(&["---", "---:", "---:", "---:"]));
    for delta in &comparison.scenarios {
        out.push_str(&comparison_row(delta));
    }
    out.push('\n');
    if !comparison.missing_from_current.is_empty() {
        let names: Vec<String> = comparison
            .missing_from_current
            .iter()
            .map(|name| format!("`{}`", escape_code(name)))
            .collect();
        out.push_str(&format!("Not in this run: {}\n\n", names.join(", ")));
    }
    out
}

fn comparison_row(delta: &ScenarioDelta) -> String {
    let name = format!("`{}`", escape_code(&delta.name));
    match &delta.deltas {
        None => table_line(&[&name, NONE, NONE, NONE]),
        Some(values) => table_line(&[
            &name,
            &delta_text(&values.p50),
            &delta_text(&values.p95),
            &delta_text(&values.p99),
        ]),
    }
}

fn environment_section(report: &RunReport) -> String {
    let database = &report.database;
    let mut out = format!(
        "<sub>techspec-bench {} · PostgreSQL {} · {} ({}) · started {}</sub>\n",
        escape_text(&report.tool_version),
        escape_text(&database.server_version),
        escape_text(&database.target),
        target_kind(database),
        escape_text(&report.started_at),
    );
    if !report.dataset.is_empty() {
        out.push_str(&format!(
            "\n<sub>rows: {}</sub>\n",
            escape_text(&dataset_text(&report.dataset))
        ));
    }
    if let Some(line) = super::rows::precision_text(report) {
        out.push_str(&format!("\n<sub>{}</sub>\n", escape_text(&line)));
    }
    if !database.notes.is_empty() {
        out.push_str(&format!(
            "\n> **Note:** {}\n",
            escape_text(&database.notes.join(", "))
        ));
    }
    out
}

/// Text inside a table cell: no pipe, no raw HTML, lines joined by `<br>`.
fn escape_cell(text: &str) -> String {
    let lines: Vec<String> = text.lines().map(escape_text).collect();
    lines.join("<br>")
}

/// Text in Markdown: HTML-significant characters and pipes neutralised.
fn escape_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace('\n', " ")
}

/// Text inside backticks: only pipes and backticks can break out of a cell.
fn escape_code(text: &str) -> String {
    text.replace('`', "'")
        .replace('|', "\\|")
        .replace('\n', " ")
}
