//! What a seed run reports: rows per table, time, bytes, the time of each phase, and the
//! profile (time per phase and connection); the summary and profile tables printed at the
//! end. Must not print.

use std::time::Duration;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{CellAlignment, Table as TextTable};

use crate::report::units::format_latency_us;

/// Rows written per table (or found, for an already seeded database).
#[derive(Debug, Clone, PartialEq)]
pub struct SeedReport {
    pub rows: Vec<(String, u64)>,
    pub elapsed: Duration,
    /// `pg_total_relation_size` of the eight tables after loading, when known.
    pub bytes: Option<u64>,
    /// Time per phase (clear, copy per table, index rebuild, analyze ...), in order.
    pub phases: Vec<(String, Duration)>,
    /// Time per profiled phase and connection.
    pub profile: Vec<PhaseTime>,
}

/// The phases `seed -v` profiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SeedPhase {
    /// Generating and encoding rows (on the generator threads, overlapping the COPY).
    Generation,
    /// Streaming rows into the server.
    Copy,
    /// Rebuilding primary keys and secondary indexes.
    IndexBuild,
    /// Re-adding and validating foreign keys.
    KeyValidation,
    /// Refreshing planner statistics.
    Analyze,
}

impl SeedPhase {
    pub const ALL: [SeedPhase; 5] = [
        SeedPhase::Generation,
        SeedPhase::Copy,
        SeedPhase::IndexBuild,
        SeedPhase::KeyValidation,
        SeedPhase::Analyze,
    ];

    pub fn label(self) -> &'static str {
        match self {
            SeedPhase::Generation => "generation",
            SeedPhase::Copy => "COPY",
            SeedPhase::IndexBuild => "index build",
            SeedPhase::KeyValidation => "key validation",
            SeedPhase::Analyze => "ANALYZE",
        }
    }
}

/// Time one connection (numbered from 1; 0 is the coordinating connection of a parallel
/// load) spent in one phase.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PhaseTime {
    pub phase: SeedPhase,
    pub connection: usize,
    pub elapsed: Duration,
}

/// A table of time per phase (rows) and connection (columns), with the phase's total.
pub fn profile_table(profile: &[PhaseTime]) -> String {
    let mut connections: Vec<usize> = profile.iter().map(|p| p.connection).collect();
    connections.sort_unstable();
    connections.dedup();
    let mut table = TextTable::new();
    table.load_style(UTF8_FULL_CONDENSED);
    let mut header = vec!["phase".to_string()];
    header.extend(connections.iter().map(|c| match c {
        0 => "coordinator".to_string(),
        c => format!("conn {c}"),
    }));
    header.push("sum".to_string());
    table.set_header(header);
    for phase in SeedPhase::ALL {
        let times: Vec<Duration> = connections
            .iter()
            .map(|&c| {
                profile
                    .iter()
                    .filter(|p| p.phase == phase && p.connection == c)
                    .map(|p| p.elapsed)
                    .sum()
            })
            .collect();
        let total: Duration = times.iter().sum();
        let mut row = vec![phase.label().to_string()];
        row.extend(
            times
                .iter()
                .chain([&total])
                .map(|t| format_latency_us(t.as_secs_f64() * 1e6)),
        );
        table.add_row(row);
    }
    for column in 1..=connections.len() + 1 {
        if let Some(column) = table.column_mut(column) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    table.to_string()
}

impl SeedReport {
    pub fn total_rows(&self) -> u64 {
        self.rows.iter().map(|(_, n)| n).sum()
    }
}

/// A table of rows per table with a total line.
/// The wall time of each step in order, on one line:
/// `steps: prepare 120ms, copy 6.10s, analyze 700ms`.
pub fn steps_line(phases: &[(String, Duration)]) -> String {
    let steps: Vec<String> = phases
        .iter()
        .map(|(name, elapsed)| format!("{name} {}", format_latency_us(elapsed.as_secs_f64() * 1e6)))
        .collect();
    format!("steps: {}", steps.join(", "))
}

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
            profile: vec![],
        };
        let text = summary_table(&report);
        assert!(text.contains("tech_spec_sessions"));
        assert!(text.contains("1,234,567"));
        assert!(text.contains("1,234,577"));
    }

    #[test]
    fn the_profile_sums_each_phase_per_connection() {
        let at = |phase, connection, ms| PhaseTime {
            phase,
            connection,
            elapsed: Duration::from_millis(ms),
        };
        let text = profile_table(&[
            at(SeedPhase::Copy, 1, 1500),
            at(SeedPhase::Copy, 2, 700),
            at(SeedPhase::Copy, 2, 800),
            at(SeedPhase::Analyze, 1, 20),
        ]);
        assert!(text.contains("conn 2"), "{text}");
        let copy = text.lines().find(|l| l.contains("COPY")).unwrap();
        assert_eq!(copy.matches("1.50").count(), 2, "{copy}");
        assert!(copy.contains("3.00"), "{copy}");
        assert!(text.contains("index build") && text.contains("generation"));
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1_000), "1,000");
        assert_eq!(group_thousands(14_000_000), "14,000,000");
    }

    #[test]
    fn the_steps_line_names_each_step_with_its_wall_time_in_order() {
        let phases = vec![
            ("prepare".to_string(), Duration::from_millis(120)),
            ("copy".to_string(), Duration::from_millis(6_100)),
        ];
        assert_eq!(steps_line(&phases), "steps: prepare 120ms, copy 6.10s");
    }
}
