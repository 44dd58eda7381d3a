//! `watch`'s outputs from a `WatchReport`: the terminal table (the statements that broke a
//! limit, then the busiest others, up to a row count), Markdown (the same table, for a CI
//! summary or a ticket) and JSON (every statement, format `techspec-bench-watch/1`).
//! Pure text: must not judge or write files.

use comfy_table::Table;

use super::{Breach, Judged, WatchReport};
use crate::report::units::format_latency_us;

/// Characters of SQL shown in a table cell.
const SQL_WIDTH: usize = 60;

/// The rows shown: every breach, then the busiest other statements, `rows` at most in all
/// (breaches are never cut).
fn shown(report: &WatchReport, rows: usize) -> Vec<&Judged> {
    let (breached, others): (Vec<&Judged>, Vec<&Judged>) = report
        .statements
        .iter()
        .partition(|s| !s.breaches.is_empty());
    let room = rows.saturating_sub(breached.len());
    breached
        .into_iter()
        .chain(others.into_iter().take(room))
        .collect()
}

const HEADER: [&str; 7] = [
    "queryid",
    "calls",
    "mean",
    "before",
    "limit",
    "verdict",
    "statement",
];

fn cells(statement: &Judged) -> [String; 7] {
    let a = &statement.activity;
    let ms = |v: f64| format_latency_us(v * 1000.0);
    let limit = statement.max_mean_ms.map_or("—".to_string(), ms);
    let limit = match statement.max_growth {
        Some(factor) => format!("{limit}, {factor}×"),
        None => limit,
    };
    [
        a.queryid.to_string(),
        a.calls.to_string(),
        ms(a.mean_ms),
        a.previous_mean_ms.map_or("—".to_string(), ms),
        limit,
        verdict(statement),
        one_line(&a.query, SQL_WIDTH),
    ]
}

/// `✗ mean 250ms > 100ms; ✗ 3.1× > 2×`, `ok`, or why it was not judged.
pub fn verdict(statement: &Judged) -> String {
    if !statement.judged {
        return match &statement.rule {
            Some(rule) if statement.activity.calls >= statement.min_calls => {
                format!("ignored ({rule})")
            }
            _ => format!("not judged (< {} calls)", statement.min_calls),
        };
    }
    if statement.breaches.is_empty() {
        return "ok".to_string();
    }
    statement
        .breaches
        .iter()
        .map(|breach| match breach {
            Breach::MaxMean { mean_ms, limit_ms } => format!(
                "✗ mean {} > {}",
                format_latency_us(mean_ms * 1000.0),
                format_latency_us(limit_ms * 1000.0)
            ),
            Breach::MaxGrowth { growth, limit, .. } => format!("✗ {growth:.1}× > {limit}×"),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The terminal table and a summary line.
pub fn table(report: &WatchReport, rows: usize) -> String {
    if report.statements.is_empty() {
        return format!("{}\n", summary(report));
    }
    let mut table = Table::new();
    table.load_style(comfy_table::presets::UTF8_HORIZONTAL_ONLY);
    table.set_header(HEADER);
    for statement in shown(report, rows) {
        table.add_row(cells(statement));
    }
    format!("{table}\n{}\n", summary(report))
}

/// `2 of 14 statements broke a limit between 10:00:00Z and 10:00:05Z (5.0s)`.
pub fn summary(report: &WatchReport) -> String {
    if report.statements.is_empty() {
        return format!(
            "no statement was called between {} and {} ({:.1}s) on {}",
            report.from, report.to, report.interval_s, report.database
        );
    }
    let verdict = if report.failed() {
        "broke a limit"
    } else {
        "within limits"
    };
    let count = if report.failed() {
        report.breached
    } else {
        report.statements.len()
    };
    format!(
        "{count} of {} statements {verdict} between {} and {} ({:.1}s) on {}",
        report.statements.len(),
        report.from,
        report.to,
        report.interval_s,
        report.database
    )
}

/// A Markdown section: the summary and the same rows as the table.
pub fn markdown(report: &WatchReport, rows: usize) -> String {
    let mut out = format!("## Slow statements\n\n{}\n\n", summary(report));
    if report.statements.is_empty() {
        return out;
    }
    out.push_str(&format!("| {} |\n", HEADER.join(" | ")));
    out.push_str(&format!("|{}\n", "---|".repeat(HEADER.len())));
    for statement in shown(report, rows) {
        let mut row = cells(statement);
        row[6] = format!("`{}`", row[6].replace('`', "'"));
        let escaped: Vec<String> = row.iter().map(|c| c.replace('|', "\\|")).collect();
        out.push_str(&format!("| {} |\n", escaped.join(" | ")));
    }
    out
}

/// The JSON document.
pub fn json(report: &WatchReport) -> crate::Result<String> {
    serde_json::to_string_pretty(report)
        .map(|mut text| {
            text.push('\n');
            text
        })
        .map_err(|e| {
            crate::Error::environment(format!("cannot render the watch report as JSON: {e}"))
        })
}

/// `text` on one line, cut to `width` characters with an ellipsis.
fn one_line(text: &str, width: usize) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(width) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}
