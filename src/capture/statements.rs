//! Chooses the statements `capture` turns into scenarios: pg_stat_statements rows summed
//! per queryid, each statement's share of calls and time, the tool's own, utility and
//! catalog statements left out (and counted), ranked by total time, calls or mean time.
//! Pure: must not query (see `db::stat_statements`) or render.

use std::collections::BTreeMap;

use super::parse;
use super::shape::{Shape, StatementKind, TableName};
use crate::db::stat_statements::{StatRow, is_tool_statement};

/// What `--by` ranks by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RankBy {
    /// Total execution time (the default: where the server's time goes).
    Total,
    Calls,
    /// Mean execution time per call.
    Mean,
}

/// A statement chosen for a scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub queryid: i64,
    pub sql: String,
    pub calls: u64,
    pub total_ms: f64,
    /// Of all the database's recorded calls and execution time, 0..=1.
    pub share_of_calls: f64,
    pub share_of_time: f64,
    pub shape: Shape,
}

impl Candidate {
    /// Mean execution time per call, in milliseconds.
    pub fn mean_ms(&self) -> f64 {
        self.total_ms / self.calls.max(1) as f64
    }
}

/// Why statements were left out, counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Skipped {
    /// Statements the tool sent (marked) or about its own bookkeeping schema.
    pub tool: usize,
    /// BEGIN, SET, EXPLAIN, COPY, DDL, ...
    pub utility: usize,
    /// Statements that read only the system catalogs, or no table at all.
    pub catalog: usize,
    /// Texts the parser refused.
    pub unparsable: usize,
    /// Fewer calls than `--min-calls`.
    pub few_calls: usize,
}

/// The outcome of choosing.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    pub chosen: Vec<Candidate>,
    pub skipped: Skipped,
    /// Distinct statements recorded for the database.
    pub recorded: usize,
    /// Statements that could have been chosen (before `--top`).
    pub eligible: usize,
}

/// The schemas of the system catalogs, and the tool's own bookkeeping schema.
const CATALOG_SCHEMAS: [&str; 3] = ["pg_catalog", "information_schema", "pg_toast"];
const TOOL_SCHEMA: &str = "techspec_bench";

/// Sums `rows` per queryid, leaves out what is not workload, ranks and keeps `top`.
pub fn choose(rows: &[StatRow], by: RankBy, top: usize, min_calls: u64) -> Selection {
    let merged = merge(rows);
    let total_calls: u64 = merged.values().map(|r| r.calls).sum();
    let total_ms: f64 = merged.values().map(|r| r.total_ms).sum();
    let mut skipped = Skipped::default();
    let mut eligible: Vec<Candidate> = Vec::new();
    for row in merged.values() {
        let Some(shape) = workload_shape(row, &mut skipped) else {
            continue;
        };
        if row.calls < min_calls {
            skipped.few_calls += 1;
            continue;
        }
        eligible.push(Candidate {
            queryid: row.queryid,
            sql: row.query.clone(),
            calls: row.calls,
            total_ms: row.total_ms,
            share_of_calls: ratio(row.calls as f64, total_calls as f64),
            share_of_time: ratio(row.total_ms, total_ms),
            shape,
        });
    }
    eligible.sort_by(|a, b| {
        rank_key(b, by)
            .total_cmp(&rank_key(a, by))
            .then(a.queryid.cmp(&b.queryid))
    });
    let count = eligible.len();
    eligible.truncate(top);
    Selection {
        chosen: eligible,
        skipped,
        recorded: merged.len(),
        eligible: count,
    }
}

/// One row per queryid: calls and time summed over users and nesting levels, the text of
/// the row with the most calls.
fn merge(rows: &[StatRow]) -> BTreeMap<i64, StatRow> {
    let mut merged: BTreeMap<i64, StatRow> = BTreeMap::new();
    for row in rows {
        match merged.get_mut(&row.queryid) {
            Some(sum) => {
                if row.calls > sum.calls {
                    sum.query = row.query.clone();
                }
                sum.calls += row.calls;
                sum.total_ms += row.total_ms;
            }
            None => {
                merged.insert(row.queryid, row.clone());
            }
        }
    }
    merged
}

/// The statement's shape when it is workload; otherwise counts why not.
fn workload_shape(row: &StatRow, skipped: &mut Skipped) -> Option<Shape> {
    if is_tool_statement(&row.query) {
        skipped.tool += 1;
        return None;
    }
    let Ok(shape) = parse::shape(&row.query) else {
        skipped.unparsable += 1;
        return None;
    };
    if shape.kind == StatementKind::Utility {
        skipped.utility += 1;
        return None;
    }
    if shape
        .tables
        .iter()
        .any(|t| t.schema.as_deref() == Some(TOOL_SCHEMA))
    {
        skipped.tool += 1;
        return None;
    }
    if shape.tables.iter().all(is_catalog) {
        skipped.catalog += 1;
        return None;
    }
    Some(shape)
}

/// A system catalog table: in a catalog schema, or an unqualified `pg_*` name.
fn is_catalog(table: &TableName) -> bool {
    match &table.schema {
        Some(schema) => CATALOG_SCHEMAS.contains(&schema.as_str()),
        None => table.name.starts_with("pg_"),
    }
}

fn rank_key(candidate: &Candidate, by: RankBy) -> f64 {
    match by {
        RankBy::Total => candidate.total_ms,
        RankBy::Calls => candidate.calls as f64,
        RankBy::Mean => candidate.mean_ms(),
    }
}

fn ratio(part: f64, whole: f64) -> f64 {
    if whole > 0.0 { part / whole } else { 0.0 }
}
