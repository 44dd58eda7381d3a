//! Renders an `AblationReport` as the terminal table and as Markdown (the measured
//! "Performance Gain from Indexes" table, plus the write costs and the candidates to drop).
//! Must not measure, decide noise or print: it returns text.

use comfy_table::presets::UTF8_HORIZONTAL_ONLY;
use comfy_table::{CellAlignment, ContentArrangement, LineStyle, Table};

use crate::app::ablate::gain::Ratio;
use crate::app::ablate::model::{AblationReport, ReadAblation, WriteAblation};
use crate::report::units::format_latency_us;

const READ_HEADER: [&str; 7] = [
    "index",
    "scenario",
    "p95 with",
    "p95 without",
    "gain",
    "buffers",
    "fallback plan",
];
const WRITE_HEADER: [&str; 7] = [
    "object",
    "kind",
    "write scenario",
    "p50 with",
    "p50 without",
    "cost",
    "per write",
];

/// The terminal output: reads table, writes table, candidates, unmeasured pairs. Rows
/// never wrap (index names and plans stay whole and greppable in CI logs).
pub fn table(report: &AblationReport) -> String {
    let mut text = String::new();
    if !report.reads.is_empty() {
        let rows = report.reads.iter().map(read_cells).collect();
        text.push_str(&terminal_table(&READ_HEADER, &[2, 3, 4, 5], rows));
        text.push('\n');
    }
    if !report.writes.is_empty() {
        let rows = report.writes.iter().map(write_cells).collect();
        text.push_str(&terminal_table(&WRITE_HEADER, &[3, 4, 5, 6], rows));
        text.push('\n');
    }
    text.push_str(&closing_lines(report));
    text
}

/// A table with the `numeric` columns right-aligned.
fn terminal_table(header: &[&str], numeric: &[usize], rows: Vec<Vec<String>>) -> String {
    let mut table = Table::new();
    table
        .load_style(UTF8_HORIZONTAL_ONLY.row_separator(LineStyle::none()))
        .force_no_tty()
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.to_vec());
    for row in rows {
        table.add_row(row);
    }
    for index in numeric {
        if let Some(column) = table.column_mut(*index) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    table.to_string()
}

/// The Markdown report: both tables with p50 as well, the method and the candidates.
pub fn markdown(report: &AblationReport) -> String {
    let mut text = String::from("# Index and foreign-key ablation\n\n");
    text.push_str(&format!(
        "PostgreSQL {} at {}, {} ({} sessions). {}\n\n",
        report.database.server_version,
        report.database.target,
        report.started_at,
        report
            .dataset
            .get("tech_spec_sessions")
            .copied()
            .unwrap_or(0),
        capitalised(&report.method.noise_rule)
    ));
    text.push_str("## What each index buys\n\n");
    text.push_str(&markdown_table(
        &[
            "index",
            "scenario",
            "p50 with",
            "p50 without",
            "p95 with",
            "p95 without",
            "gain (p95)",
            "gain (p50)",
            "buffers",
            "plan with",
            "fallback plan",
        ],
        report.reads.iter().map(read_markdown_cells).collect(),
    ));
    text.push_str("\n## What each index and foreign key costs a write\n\n");
    text.push_str(&markdown_table(
        &[
            "object",
            "kind",
            "write scenario",
            "p50 with",
            "p50 without",
            "p95 with",
            "p95 without",
            "cost (p50)",
            "per write",
        ],
        report.writes.iter().map(write_markdown_cells).collect(),
    ));
    text.push('\n');
    text.push_str(&closing_lines(report));
    text
}

fn markdown_table(header: &[&str], rows: Vec<Vec<String>>) -> String {
    if rows.is_empty() {
        return "Nothing measured.\n".to_string();
    }
    let mut text = format!("| {} |\n", header.join(" | "));
    text.push_str(&format!("|{}\n", "---|".repeat(header.len())));
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| c.replace('|', "\\|")).collect();
        text.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    text
}

fn read_cells(row: &ReadAblation) -> Vec<String> {
    vec![
        row.index.name.clone(),
        row.scenario.clone(),
        us(row.with.p95_us),
        us(row.without.p95_us),
        gain_text(&row.gain_p95, row.below_noise),
        times(row.gain_buffers),
        row.fallback_plan.clone(),
    ]
}

fn read_markdown_cells(row: &ReadAblation) -> Vec<String> {
    vec![
        format!("`{}`", row.index.name),
        row.scenario.clone(),
        us(row.with.p50_us),
        us(row.without.p50_us),
        us(row.with.p95_us),
        us(row.without.p95_us),
        gain_text(&row.gain_p95, row.below_noise),
        times(row.gain_p50),
        format!(
            "{} → {} ({})",
            row.with.buffers,
            row.without.buffers,
            times(row.gain_buffers)
        ),
        row.plan_with.clone(),
        row.fallback_plan.clone(),
    ]
}

fn write_cells(row: &WriteAblation) -> Vec<String> {
    vec![
        row.object.name.clone(),
        row.object.kind.to_string(),
        row.scenario.clone(),
        us(row.with.p50_us),
        us(row.without.p50_us),
        gain_text(&row.cost, row.below_noise),
        signed_us(row.cost_us_per_write),
    ]
}

fn write_markdown_cells(row: &WriteAblation) -> Vec<String> {
    vec![
        format!("`{}`", row.object.name),
        row.object.kind.to_string(),
        row.scenario.clone(),
        us(row.with.p50_us),
        us(row.without.p50_us),
        us(row.with.p95_us),
        us(row.without.p95_us),
        gain_text(&row.cost, row.below_noise),
        signed_us(row.cost_us_per_write),
    ]
}

/// Candidates to drop, then what was not measured.
pub fn closing_lines(report: &AblationReport) -> String {
    let mut text = match report.candidates_to_drop.as_slice() {
        [] if report.reads.is_empty() => String::new(),
        [] => "Candidates to drop: none (every measured index beats noise on some scenario)\n"
            .to_string(),
        names => format!(
            "Candidates to drop (gain below noise on every scenario): {}\n",
            names.join(", ")
        ),
    };
    for entry in &report.unmeasured {
        let object = entry
            .object
            .as_ref()
            .map(|o| format!(" without {o}"))
            .unwrap_or_default();
        text.push_str(&format!(
            "{} {}{object}: {}\n",
            entry.status, entry.scenario, entry.reason
        ));
    }
    text
}

/// "12.3× [11.8–12.9]", with "(noise)" when below noise.
fn gain_text(ratio: &Ratio, below_noise: bool) -> String {
    let noise = if below_noise { " (noise)" } else { "" };
    format!(
        "{} [{}–{}]{noise}",
        times(ratio.value),
        short(ratio.low),
        short(ratio.high)
    )
}

fn times(value: f64) -> String {
    format!("{}×", short(value))
}

/// Two decimals under 10, one under 100, none above.
fn short(value: f64) -> String {
    match value {
        v if v < 10.0 => format!("{v:.2}"),
        v if v < 100.0 => format!("{v:.1}"),
        v => format!("{v:.0}"),
    }
}

fn us(value: u64) -> String {
    format_latency_us(value as f64)
}

fn signed_us(value: i64) -> String {
    crate::report::units::format_signed_latency_us(value as f64)
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect::<String>() + ".",
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_read_as_multiples_with_their_interval() {
        let ratio = Ratio {
            value: 12.34,
            low: 1.5,
            high: 140.2,
        };
        assert_eq!(gain_text(&ratio, false), "12.3× [1.50–140]");
        assert_eq!(gain_text(&ratio, true), "12.3× [1.50–140] (noise)");
    }

    #[test]
    fn markdown_cells_escape_pipes() {
        let table = markdown_table(&["a"], vec![vec!["x|y".to_string()]]);
        assert_eq!(table, "| a |\n|---|\n| x\\|y |\n");
    }
}
