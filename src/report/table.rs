//! The terminal table `run` prints: one row per scenario, then the reasons of every
//! non-pass, a summary line and notes; as a `Reporter` for stdout (`TableReporter`, or
//! `SummaryReporter` for the summary line alone). Must not print (it returns text) nor
//! decide statuses; colour only when the caller says so.

use comfy_table::presets::UTF8_HORIZONTAL_ONLY;
use comfy_table::{
    Attribute, Cell, CellAlignment, Color, ColumnConstraint, ContentArrangement, LineStyle, Table,
    TableStyle, Width,
};

use super::Reporter;
use super::baseline::{Comparison, p95_delta_cell};
use super::cells::{plan_text, status_label, thresholds_text, truncate_chars};
use super::rows::{not_passed, percentile_texts};
use super::units::format_latency_us;
use crate::results::{RunReport, ScenarioResult, Status, Summary};

/// The default layout width: a narrow CI log or terminal.
pub const TABLE_WIDTH: u16 = 100;
/// Longest scenario name shown in full at `TABLE_WIDTH`; longer names are cut with `…`
/// (the reasons below the table always carry the full name). Wider tables allow more.
const NAME_WIDTH: usize = 24;
/// Longest name shown however wide the table is.
const MAX_NAME_WIDTH: usize = 64;
/// Longest plan verdict shown in the table.
const PLAN_WIDTH: usize = 40;
/// Enough for `p95 < 5ms ✓` on one line.
const THRESHOLD_MIN_WIDTH: u16 = 12;
/// Horizontal lines only and columns two spaces apart, so the content gets the width.
const COMPACT_STYLE: TableStyle = UTF8_HORIZONTAL_ONLY.row_separator(LineStyle::none());
/// The same with a dotted line between rows, which keeps wrapped cells readable.
const SEPARATED_STYLE: TableStyle =
    UTF8_HORIZONTAL_ONLY.row_separator(LineStyle::none().fill('╌').junction('╌'));

/// The terminal table as a [`Reporter`]: `render_table_with_width`'s text.
#[derive(Debug, Clone)]
pub struct TableReporter {
    /// Colour the status column.
    pub color: bool,
    /// The terminal's width (see `stdout_width`).
    pub width: u16,
    /// Adds a Δ p95 column.
    pub baseline: Option<Comparison>,
}

impl Reporter for TableReporter {
    fn render(&self, report: &RunReport) -> crate::Result<Vec<u8>> {
        let text = render_table_with_width(report, self.color, self.baseline.as_ref(), self.width);
        Ok(text.into_bytes())
    }
}

/// The summary line alone (for `-q`), ending with a newline.
#[derive(Debug, Clone, Copy, Default)]
pub struct SummaryReporter;

impl Reporter for SummaryReporter {
    fn render(&self, report: &RunReport) -> crate::Result<Vec<u8>> {
        Ok(format!("{}\n", summary_line(&report.summary)).into_bytes())
    }
}

/// The whole text `run` prints: table, reasons, summary, notes, laid out for
/// `TABLE_WIDTH` columns. Ends with a newline.
pub fn render_table(report: &RunReport, color: bool, baseline: Option<&Comparison>) -> String {
    render_table_with_width(report, color, baseline, TABLE_WIDTH)
}

/// `render_table` for a terminal of `width` columns (the name, counts, latencies and
/// status never wrap; thresholds and plan wrap at spaces when space is short).
pub fn render_table_with_width(
    report: &RunReport,
    color: bool,
    baseline: Option<&Comparison>,
    width: u16,
) -> String {
    let mut text = table_text(report, color, baseline, width);
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
        text.push_str("Δ p95 compares with the newest baseline run.\n");
    }
    text.push_str(&gate_lines(report));
    text
}

/// The baseline gate's verdict per compared scenario, and how it was reached.
fn gate_lines(report: &RunReport) -> String {
    let Some(note) = super::regression::method_note(report) else {
        return String::new();
    };
    let mut text = format!("{note}\n");
    for line in super::regression::comparison_lines(report) {
        text.push_str(&format!("  {line}\n"));
    }
    text
}

/// The width to pass to `render_table_with_width` for stdout: the terminal's width when
/// stdout is a terminal, else `TABLE_WIDTH` (CI logs, pipes).
pub fn stdout_width() -> u16 {
    Table::new().width().unwrap_or(TABLE_WIDTH)
}

/// The table alone: compact when every row fits on one line, rows separated otherwise.
fn table_text(
    report: &RunReport,
    color: bool,
    baseline: Option<&Comparison>,
    width: u16,
) -> String {
    let compact = build_table(report, color, baseline, width, COMPACT_STYLE).to_string();
    // Top border, header, header separator, one line per row, bottom border.
    if compact.lines().count() <= report.scenarios.len() + 4 {
        return compact;
    }
    build_table(report, color, baseline, width, SEPARATED_STYLE).to_string()
}

fn build_table(
    report: &RunReport,
    color: bool,
    baseline: Option<&Comparison>,
    width: u16,
    style: TableStyle,
) -> Table {
    let mut table = Table::new();
    table
        .load_style(style)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width);
    if color {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    let name_width = name_width(width);
    for result in &report.scenarios {
        table.add_row(scenario_row(result, name_width, color, baseline));
    }
    lay_out_columns(&mut table, baseline.is_some());
    table
}

/// What a column holds, which decides its alignment and how it may shrink.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// Never wrapped: names (already cut to `NAME_WIDTH`), numbers, status.
    Fixed,
    /// Never wrapped and right-aligned.
    Number,
    /// Wraps at spaces, but keeps at least this width.
    Wrapping(u16),
}

/// The header and kind of every column, in order.
fn columns(with_delta: bool) -> Vec<(&'static str, Kind)> {
    let mut columns = vec![
        ("scenario", Kind::Fixed),
        ("iter", Kind::Number),
        ("p50", Kind::Number),
        ("p95", Kind::Number),
        ("p99", Kind::Number),
        ("max", Kind::Number),
        ("threshold", Kind::Wrapping(THRESHOLD_MIN_WIDTH)),
        ("plan", Kind::Wrapping(4)),
        ("status", Kind::Fixed),
    ];
    if with_delta {
        columns.insert(6, ("Δ p95", Kind::Number));
    }
    columns
}

/// Sets the header, alignment and width constraints from `columns`.
fn lay_out_columns(table: &mut Table, with_delta: bool) {
    let columns = columns(with_delta);
    table.set_header(columns.iter().map(|(name, _)| *name).collect::<Vec<_>>());
    let last = columns.len() - 1;
    for (index, (column, (_, kind))) in table.column_iter_mut().zip(columns).enumerate() {
        column.set_padding((0, u16::from(index != last)));
        let constraint = match kind {
            Kind::Fixed => ColumnConstraint::ContentWidth,
            Kind::Number => {
                column.set_cell_alignment(CellAlignment::Right);
                ColumnConstraint::ContentWidth
            }
            Kind::Wrapping(width) => ColumnConstraint::LowerBoundary(Width::Fixed(width)),
        };
        column.set_constraint(constraint);
    }
}

/// How much of a scenario name fits: `NAME_WIDTH` at 100 columns, half of any extra width.
fn name_width(table_width: u16) -> usize {
    let extra = usize::from(table_width.saturating_sub(TABLE_WIDTH)) / 2;
    (NAME_WIDTH + extra).min(MAX_NAME_WIDTH)
}

fn scenario_row(
    result: &ScenarioResult,
    name_width: usize,
    color: bool,
    baseline: Option<&Comparison>,
) -> Vec<Cell> {
    let mut row = vec![
        Cell::new(truncate_chars(&result.name, name_width)),
        Cell::new(result.iterations),
    ];
    row.extend(percentile_texts(result.latency_us.as_ref()).map(Cell::new));
    row.extend([
        Cell::new(thresholds_text(result)),
        Cell::new(truncate_chars(&short_plan_text(result), PLAN_WIDTH)),
        status_cell(result.status, color),
    ]);
    if let Some(comparison) = baseline {
        let delta = p95_delta_cell(comparison, &result.name).replacen(" (", "\n", 1);
        row.insert(6, Cell::new(delta.trim_end_matches(')')));
    }
    row
}

/// The plan verdict without the default `public.` schema, to save width.
fn short_plan_text(result: &ScenarioResult) -> String {
    plan_text(result.plan.as_ref()).replace("public.", "")
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
    not_passed(report)
        .map(|(result, reason)| {
            format!("{} {}: {reason}", status_label(result.status), result.name)
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
