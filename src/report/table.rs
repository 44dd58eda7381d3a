//! The terminal table `run` prints: one row per scenario, then the reasons of every
//! non-pass, a summary line and notes. Must not print (it returns a String) nor decide
//! statuses; colour only when the caller says so.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Attribute, Cell, CellAlignment, Color, ContentArrangement, Table};

use super::baseline::{Comparison, p95_delta_cell};
use super::cells::{
    NONE, format_latency_us, plan_text, reason_text, status_label, thresholds_text, truncate_chars,
};
use crate::results::{LatencySummary, RunReport, ScenarioResult, Status, Summary};

/// The table is laid out to fit this many columns (a narrow CI log or terminal).
pub const TABLE_WIDTH: u16 = 100;
/// Longest scenario name shown in full in the table; longer names are cut with `…`
/// (the reasons below the table always carry the full name).
const NAME_WIDTH: usize = 28;
/// Longest plan verdict shown in the table.
const PLAN_WIDTH: usize = 24;

/// The whole text `run` prints: table, reasons, summary, notes. Ends with a newline.
pub fn render_table(report: &RunReport, color: bool, baseline: Option<&Comparison>) -> String {
    let mut text = build_table(report, color, baseline).to_string();
    text.push('\n');
    for line in reason_lines(report) {
        text.push_str(&line);
        text.push('\n');
    }
    if let Some(line) = service_time_lines(report) {
        text.push_str(&line);
    }
    text.push_str(&summary_line(&report.summary));
    text.push('\n');
    if !report.database.notes.is_empty() {
        text.push_str(&format!("notes: {}\n", report.database.notes.join(", ")));
    }
    if baseline.is_some() {
        text.push_str("Δ p95 compares with the baseline; it informs and does not gate.\n");
    }
    text
}

fn build_table(report: &RunReport, color: bool, baseline: Option<&Comparison>) -> Table {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(TABLE_WIDTH);
    if color {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    let mut header = vec![
        "scenario",
        "iter",
        "p50",
        "p95",
        "p99",
        "max",
        "threshold",
        "plan",
        "status",
    ];
    if baseline.is_some() {
        header.insert(6, "Δ p95");
    }
    table.set_header(header);
    for result in &report.scenarios {
        table.add_row(scenario_row(result, color, baseline));
    }
    for index in 1..6 {
        if let Some(column) = table.column_mut(index) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    table
}

fn scenario_row(result: &ScenarioResult, color: bool, baseline: Option<&Comparison>) -> Vec<Cell> {
    let latency = result.latency_us.as_ref();
    let mut row = vec![
        Cell::new(truncate_chars(&result.name, NAME_WIDTH)),
        Cell::new(result.iterations),
        Cell::new(latency_cell(latency, |l| l.p50)),
        Cell::new(latency_cell(latency, |l| l.p95)),
        Cell::new(latency_cell(latency, |l| l.p99)),
        Cell::new(latency_cell(latency, |l| l.max)),
        Cell::new(thresholds_text(result)),
        Cell::new(truncate_chars(&plan_text(result.plan.as_ref()), PLAN_WIDTH)),
        status_cell(result.status, color),
    ];
    if let Some(comparison) = baseline {
        row.insert(6, Cell::new(p95_delta_cell(comparison, &result.name)));
    }
    row
}

fn latency_cell(latency: Option<&LatencySummary>, pick: fn(&LatencySummary) -> u64) -> String {
    latency.map_or(NONE.to_string(), |l| format_latency_us(pick(l) as f64))
}

fn status_cell(status: Status, color: bool) -> Cell {
    let cell = Cell::new(status_label(status));
    if !color {
        return cell;
    }
    let tint = match status {
        Status::Pass => Color::Green,
        Status::Fail => Color::Red,
        Status::Skip => Color::Yellow,
        Status::Error => Color::Magenta,
    };
    cell.fg(tint).add_attribute(Attribute::Bold)
}

/// `FAIL session_by_id: ✗ p95 12.3ms ≥ 5ms`, one line per scenario that did not pass.
fn reason_lines(report: &RunReport) -> Vec<String> {
    report
        .scenarios
        .iter()
        .filter_map(|result| {
            let reason = reason_text(result).unwrap_or_else(|| "no reason given".into());
            (result.status != Status::Pass)
                .then(|| format!("{} {}: {reason}", status_label(result.status), result.name))
        })
        .collect()
}

/// With `rate`, the service time next to the latency, so overload stays visible.
fn service_time_lines(report: &RunReport) -> Option<String> {
    let lines: Vec<String> = report
        .scenarios
        .iter()
        .filter_map(|result| {
            let (latency, service) = (result.latency_us?, result.service_time_us?);
            Some(format!(
                "{}: p99 {} from the scheduled start, service time p99 {}\n",
                result.name,
                format_latency_us(latency.p99 as f64),
                format_latency_us(service.p99 as f64)
            ))
        })
        .collect();
    (!lines.is_empty()).then(|| lines.concat())
}

/// `14 passed, 0 failed, 1 skipped, 0 errors`.
pub fn summary_line(summary: &Summary) -> String {
    let errors = if summary.error == 1 {
        "error"
    } else {
        "errors"
    };
    format!(
        "{} passed, {} failed, {} skipped, {} {errors}",
        summary.pass, summary.fail, summary.skip, summary.error
    )
}
