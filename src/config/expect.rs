//! Plan expectations: a raw `expect = { ... }` table -> validated `Expectations`.
//! Must not read plans: `explain` checks these against EXPLAIN output.

use std::ops::Range;

use super::diagnostics::SourceText;
use super::model::{Expectations, NoSeqScan};
use super::raw::{RawExpect, RawNoSeqScan};
use crate::Result;

/// Validates `expect`; `header` locates the scenario for errors without a finer span.
pub fn build_expectations(
    source: &SourceText,
    raw: Option<&RawExpect>,
    header: Range<usize>,
) -> Result<Expectations> {
    let Some(raw) = raw else {
        return Ok(Expectations::default());
    };
    let mut indexes: Vec<String> = raw.index.iter().cloned().collect();
    for index in raw.indexes.iter().flatten() {
        if !indexes.contains(index) {
            indexes.push(index.clone());
        }
    }
    let any_index_on = raw.any_index_on.clone().unwrap_or_default();
    let names = indexes.iter().chain(&any_index_on).chain(raw.node.iter());
    if names.into_iter().any(|name| name.trim().is_empty()) {
        return Err(source.error_at(
            header,
            "`expect` has an empty index, table or node name",
            "name each index, table (schema.table) or node type, or remove the entry",
        ));
    }
    Ok(Expectations {
        indexes,
        any_index_on,
        no_seq_scan: no_seq_scan(source, raw)?,
        node: raw.node.clone(),
        max_buffers: max_buffers(source, raw)?,
        max_row_estimate_error: max_row_estimate_error(source, raw)?,
    })
}

fn no_seq_scan(source: &SourceText, raw: &RawExpect) -> Result<NoSeqScan> {
    let Some(spanned) = &raw.no_seq_scan else {
        return Ok(NoSeqScan::Off);
    };
    match spanned.get_ref() {
        RawNoSeqScan::Flag(true) => Ok(NoSeqScan::AllTables),
        RawNoSeqScan::Flag(false) => Ok(NoSeqScan::Off),
        RawNoSeqScan::Tables(tables)
            if tables.is_empty() || tables.iter().any(|t| t.trim().is_empty()) =>
        {
            Err(source.error_at(
                spanned.span(),
                "`no_seq_scan` lists no table (or an empty name)",
                "write no_seq_scan = true for every table, or list tables: [\"tech_research\"]",
            ))
        }
        RawNoSeqScan::Tables(tables) => Ok(NoSeqScan::Tables(tables.clone())),
    }
}

fn max_buffers(source: &SourceText, raw: &RawExpect) -> Result<Option<u64>> {
    let Some(spanned) = &raw.max_buffers else {
        return Ok(None);
    };
    u64::try_from(*spanned.get_ref()).map(Some).map_err(|_| {
        source.error_at(
            spanned.span(),
            "`max_buffers` must be >= 0",
            "it counts shared blocks hit + read per execution, e.g. max_buffers = 10",
        )
    })
}

/// A ratio between estimated and actual rows: 1 means exact, so it must be >= 1.
fn max_row_estimate_error(source: &SourceText, raw: &RawExpect) -> Result<Option<f64>> {
    let Some(spanned) = &raw.max_row_estimate_error else {
        return Ok(None);
    };
    let ratio = *spanned.get_ref();
    if !(ratio.is_finite() && ratio >= 1.0) {
        return Err(source.error_at(
            spanned.span(),
            "`max_row_estimate_error` is a ratio and must be >= 1",
            "1 means estimates must be exact; 10 allows a tenfold misestimate either way",
        ));
    }
    Ok(Some(ratio))
}
