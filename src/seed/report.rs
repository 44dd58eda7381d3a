//! What a seed run reports: rows per table, time, bytes, and the time of each phase;
//! and the summary table printed at the end. Must not print.

use std::time::Duration;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{CellAlignment, Table as TextTable};

/// Rows written per table (or found, for an already seeded database).
#[derive(Debug, Clone, PartialEq)]
pub struct SeedReport {
    pub rows: Vec<(String, u64)>,
    pub elapsed: Duration,
    /// `pg_total_relation_size` of the eight tables after loading, when known.
    pub bytes: Option<u64>,
    /// Time per phase (clear, copy per table, index rebuild, analyze ...), in order.
    pub phases: Vec<(String, Duration)>,
}

impl SeedReport {
    pub fn total_rows(&self) -> u64 {
        self.rows.iter().map(|(_, n)| n).sum()
    }
}

/// A table of rows per table with a total line.
pub fn summary_table(report: &SeedReport) -> String {
    let mut table = TextTable::new();
    table.load_style(UTF8_FULL_CONDENSED);
    table.set_header(vec!["table", "rows"]);
    for (name, rows) in &report.rows {
        table.add_row(vec![name.clone(), group_thousands(*rows)]);
    }
    table.add_row(vec![
        "total".to_string(),
        group_thousands(report.total_rows()),
    ]);
    if let Some(column) = table.column_mut(1) {
        column.set_cell_alignment(CellAlignment::Right);
    }
    table.to_string()
}

/// 1234567 -> "1,234,567".
pub fn group_thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_lists_every_table_and_the_total() {
        let report = SeedReport {
            rows: vec![
                ("tech_spec_sessions".into(), 10),
                ("tech_conversations".into(), 1_234_567),
            ],
            elapsed: Duration::from_millis(5),
            bytes: None,
            phases: vec![],
        };
        let text = summary_table(&report);
        assert!(text.contains("tech_spec_sessions"));
        assert!(text.contains("1,234,567"));
        assert!(text.contains("1,234,577"));
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1_000), "1,000");
        assert_eq!(group_thousands(14_000_000), "14,000,000");
    }
}
