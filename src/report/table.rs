//! The terminal table `run` prints: one row per scenario, then the reasons of every
//! non-pass, a summary line and notes; as a `Reporter` for stdout (`TableReporter`, or
//! `SummaryReporter` for the summary line alone). By default a row reads at a glance and
//! fits one line at 100 columns (name, iterations, p50/p95/p99, the threshold and plan
//! verdicts in a word or two, status), rows grouped by their scenario file with a line
//! per group; `-v` gets the detailed table (max, every threshold, the plans that ran).
//! Must not print (it returns text) nor decide statuses; colour only when the caller
//! says so.

use comfy_table::presets::UTF8_HORIZONTAL_ONLY;
use comfy_table::{
    Attribute, Cell, CellAlignment, Color, ColumnConstraint, ContentArrangement, LineStyle, Table,
    TableStyle, Width,
};

use super::Reporter;
use super::baseline::{Comparison, p95_delta_cell};
use super::cells::{
    NONE, format_signed_percent, plan_glance, plan_text, status_label, threshold_glance,
    thresholds_text, truncate_chars,
};
use super::rows::{not_passed, percentile_texts, precision_text, protocol_text};
use super::units::format_latency_us;
use crate::results::{RunReport, ScenarioResult, Status, Summary};

/// The default layout width: a narrow CI log or terminal.
pub const TABLE_WIDTH: u16 = 100;
/// Longest scenario name shown in full at `TABLE_WIDTH` in the detailed table; longer
/// names are cut with `…` (the reasons below the table always carry the full name). Wider
/// tables allow more.
const NAME_WIDTH: usize = 24;
/// The same at a glance: the shipped scenarios' names fit.
const GLANCE_NAME_WIDTH: usize = 33;
/// The same at a glance with a Δ column.
const GLANCE_DELTA_NAME_WIDTH: usize = 29;
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

/// How much a row says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// One line per scenario at 100 columns, grouped by file.
    Glance,
    /// Every threshold and the plans that ran (`-v`).
    Full,
}

/// The terminal table as a [`Reporter`]: `render_table_with`'s text.
#[derive(Debug, Clone)]
pub struct TableReporter {
    /// Colour the status column.
    pub color: bool,
    /// The terminal's width (see `stdout_width`).
    pub width: u16,
    /// Adds a Δ p95 column.
    pub baseline: Option<Comparison>,
    /// `-v`: the detailed table.
    pub verbose: bool,
}

impl Reporter for TableReporter {
    fn render(&self, report: &RunReport) -> crate::Result<Vec<u8>> {
        let detail = match self.verbose {
            true => Detail::Full,
            false => Detail::Glance,
        };
        let baseline = self.baseline.as_ref();
        let text = render_table_with(report, self.color, baseline, self.width, detail);
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

/// `render_table` for a terminal of `width` columns.
pub fn render_table_with_width(
    report: &RunReport,
    color: bool,
    baseline: Option<&Comparison>,
    width: u16,
) -> String {
    render_table_with(report, color, baseline, width, Detail::Glance)
}

/// The whole text at `detail` for `width` columns (the name, counts, latencies and status
/// never wrap; in the detailed table thresholds and plan wrap at spaces when space is
/// short).
pub fn render_table_with(
    report: &RunReport,
    color: bool,
    baseline: Option<&Comparison>,
    width: u16,
    detail: Detail,
) -> String {
    let layout = Layout {
        color,
        width,
        detail,
    };
    let mut text = table_text(report, baseline, layout);
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
    if let Some(line) = precision_text(report) {
        text.push_str(&format!("{line}\n"));
    }
    if let Some(line) = protocol_text(report) {
        text.push_str(&format!("{line}\n"));
    }
    if !report.database.notes.is_empty() {
        text.push_str(&format!("notes: {}\n", report.database.notes.join(", ")));
    }
    if baseline.is_some() {
        text.push_str(
            "Δ p95 compares with the baseline: the change the gate judged, where it compared.\n",
        );
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

/// How a table is laid out.
#[derive(Debug, Clone, Copy)]
struct Layout {
    color: bool,
    width: u16,
    detail: Detail,
}

/// The table alone: compact when every row fits on one line (at a glance, with a line per
/// group of scenarios), rows separated otherwise.
fn table_text(report: &RunReport, baseline: Option<&Comparison>, layout: Layout) -> String {
    let compact = build_table(report, baseline, layout, COMPACT_STYLE).to_string();
    // Top border, header, header separator, one line per row, bottom border.
    if compact.lines().count() <= report.scenarios.len() + 4 {
        return match layout.detail {
            Detail::Glance => with_group_lines(&compact, &report.scenarios),
            Detail::Full => compact,
        };
    }
    build_table(report, baseline, layout, SEPARATED_STYLE).to_string()
}

/// `compact` (one line per row) with a line before each group of consecutive scenarios of
/// the same file: `queries (19): 18 passed, 1 failed`. Unchanged with a single group.
fn with_group_lines(compact: &str, results: &[ScenarioResult]) -> String {
    let groups = group_runs(results);
    if groups.len() < 2 {
        return compact.to_string();
    }
    let lines: Vec<&str> = compact.lines().collect();
    let (head, rows) = lines.split_at(3.min(lines.len()));
    let mut text: Vec<String> = head.iter().map(|l| l.to_string()).collect();
    let mut next = 0;
    for group in groups {
        let members = &results[next..next + group];
        text.push(group_line(members));
        text.extend(rows[next..next + group].iter().map(|l| l.to_string()));
        next += group;
    }
    text.extend(rows[next..].iter().map(|l| l.to_string()));
    text.join("\n")
}

/// The lengths of the runs of consecutive results with the same group.
fn group_runs(results: &[ScenarioResult]) -> Vec<usize> {
    let mut runs: Vec<usize> = Vec::new();
    for (index, result) in results.iter().enumerate() {
        match index.checked_sub(1).map(|before| &results[before].group) {
            Some(group) if *group == result.group => *runs.last_mut().expect("a run") += 1,
            _ => runs.push(1),
        }
    }
    runs
}

/// `queries (19): 18 passed, 1 failed`: the counts that are not zero.
fn group_line(members: &[ScenarioResult]) -> String {
    let summary = Summary::of(members);
    let errors = if summary.error == 1 {
        "error"
    } else {
        "errors"
    };
    let counts = [
        (summary.pass, "passed"),
        (summary.fail, "failed"),
        (summary.skip, "skipped"),
        (summary.error, errors),
    ];
    let parts: Vec<String> = counts
        .iter()
        .filter(|(count, _)| *count > 0)
        .map(|(count, word)| format!("{count} {word}"))
        .collect();
    let group = members.first().map_or("", |m| m.group.as_str());
    format!("{group} ({}): {}", members.len(), parts.join(", "))
}

fn build_table(
    report: &RunReport,
    baseline: Option<&Comparison>,
    layout: Layout,
    style: TableStyle,
) -> Table {
    let mut table = Table::new();
    table
        .load_style(style)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(layout.width);
    if layout.color {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    for result in &report.scenarios {
        table.add_row(scenario_row(result, layout, baseline));
    }
    lay_out_columns(&mut table, baseline.is_some(), layout.detail);
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

/// The header and kind of every column, in order: the latencies, then at a glance the
/// verdicts in a word or two, in full also the max and the wrapping verdicts; the Δ p95
/// column (with a baseline) goes right after the latencies.
fn columns(with_delta: bool, detail: Detail) -> Vec<(&'static str, Kind)> {
    let mut columns = vec![
        ("scenario", Kind::Fixed),
        ("iter", Kind::Number),
        ("p50", Kind::Number),
        ("p95", Kind::Number),
        ("p99", Kind::Number),
    ];
    if detail == Detail::Full {
        columns.push(("max", Kind::Number));
    }
    if with_delta {
        columns.push(("Δ p95", Kind::Number));
    }
    columns.extend(match detail {
        Detail::Glance => [
            ("thresholds", Kind::Fixed),
            ("plan", Kind::Fixed),
            ("status", Kind::Fixed),
        ],
        Detail::Full => [
            ("threshold", Kind::Wrapping(THRESHOLD_MIN_WIDTH)),
            ("plan", Kind::Wrapping(4)),
            ("status", Kind::Fixed),
        ],
    });
    columns
}

/// Sets the header, alignment and width constraints from `columns`.
fn lay_out_columns(table: &mut Table, with_delta: bool, detail: Detail) {
    let columns = columns(with_delta, detail);
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

/// How much of a scenario name fits: the layout's width at 100 columns, half of any extra.
fn name_width(layout: Layout, with_delta: bool) -> usize {
    let at_100 = match (layout.detail, with_delta) {
        (Detail::Full, _) => NAME_WIDTH,
        (Detail::Glance, false) => GLANCE_NAME_WIDTH,
        (Detail::Glance, true) => GLANCE_DELTA_NAME_WIDTH,
    };
    let extra = usize::from(layout.width.saturating_sub(TABLE_WIDTH)) / 2;
    (at_100 + extra).min(MAX_NAME_WIDTH)
}

fn scenario_row(
    result: &ScenarioResult,
    layout: Layout,
    baseline: Option<&Comparison>,
) -> Vec<Cell> {
    let name_width = name_width(layout, baseline.is_some());
    if layout.detail == Detail::Glance {
        return glance_row(result, name_width, layout.color, baseline);
    }
    let color = layout.color;
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

/// A row at a glance: no max, the verdicts in a word or two, the Δ as a percentage.
fn glance_row(
    result: &ScenarioResult,
    name_width: usize,
    color: bool,
    baseline: Option<&Comparison>,
) -> Vec<Cell> {
    let [p50, p95, p99, _max] = percentile_texts(result.latency_us.as_ref());
    let mut row = vec![
        Cell::new(truncate_chars(&result.name, name_width)),
        Cell::new(result.iterations),
        Cell::new(p50),
        Cell::new(p95),
        Cell::new(p99),
        Cell::new(threshold_glance(result)),
        Cell::new(plan_glance(result.plan.as_ref())),
        status_cell(result.status, color),
    ];
    if let Some(comparison) = baseline {
        row.insert(5, Cell::new(p95_delta_glance(comparison, &result.name)));
    }
    row
}

/// The Δ p95 as a percentage (`+12.0%`), `new` when the baseline lacks the scenario, `—`
/// without latency or a percentage.
fn p95_delta_glance(comparison: &Comparison, name: &str) -> String {
    let Some(delta) = comparison.scenario(name) else {
        return "new".to_string();
    };
    delta
        .deltas
        .and_then(|values| values.p95.change_percent)
        .map_or(NONE.to_string(), format_signed_percent)
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

#[cfg(test)]
#[path = "table_tests.rs"]
mod tests;
