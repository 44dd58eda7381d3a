//! Updates an existing thresholds file in place with calibrated gates, keeping everything
//! else byte for byte: ratio gates, `errors` and other gates, `[regression]`, `[defaults]`,
//! comments, blank lines and the order of entries (a format-preserving TOML edit). Only a
//! scenario's latency upper limit on p95 (`p95 < X`, `p95 <= X`, or a bare limit when
//! `[defaults] metric` is p95) and its `buffers` upper limit are replaced; a scenario
//! without them gets them appended. Must not read or write files, or decide the limits
//! (`app::calibrate` does): text in, text and the list of changes out.

use std::path::Path;

use toml_edit::{Array, DocumentMut, Item, Table, Value};

use super::model::{Comparison, Metric, ThresholdExpr};
use super::threshold_expr::parse_threshold;
use super::thresholds::DEFAULT_METRIC;
use crate::{Error, Result};

/// The gates calibrated for one scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibratedGates {
    pub scenario: String,
    /// `p95 <` this, in microseconds.
    pub p95_limit_us: f64,
    /// `buffers <=` this, when buffers were measured.
    pub max_buffers: Option<u64>,
}

/// Which calibrated gate a change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateKind {
    P95,
    Buffers,
}

/// One gate of the file after the update: what it was (`None` when it was added) and
/// what it is now, as written in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateChange {
    pub scenario: String,
    pub kind: GateKind,
    pub old: Option<String>,
    pub new: String,
}

impl GateChange {
    /// True when the gate is written as it was.
    pub fn is_unchanged(&self) -> bool {
        self.old.as_deref() == Some(self.new.as_str())
    }
}

/// A limit as the threshold grammar reads it: `660us`, `5.26ms`.
pub fn limit_text(limit_us: f64) -> String {
    if limit_us < 1_000.0 {
        return format!("{limit_us:.0}us");
    }
    let ms = format!("{:.3}", limit_us / 1_000.0);
    format!("{}ms", ms.trim_end_matches('0').trim_end_matches('.'))
}

/// The gate texts calibrate writes for `gates`: `p95 < X`, then `buffers <= N`.
pub fn gate_texts(gates: &CalibratedGates) -> Vec<String> {
    let mut texts = vec![format!("p95 < {}", limit_text(gates.p95_limit_us))];
    texts.extend(gates.max_buffers.map(|max| format!("buffers <= {max}")));
    texts
}

/// `text` (the file `file`) with `calibrated` written into `[thresholds]`, and one change
/// per calibrated gate, in the order of `calibrated`. A file that is not valid TOML is a
/// configuration error at its line and column.
pub fn update_thresholds(
    text: &str,
    file: &Path,
    calibrated: &[CalibratedGates],
) -> Result<(String, Vec<GateChange>)> {
    let mut document: DocumentMut = text.parse().map_err(|error: toml_edit::TomlError| {
        Error::config(format!(
            "{}: not a valid thresholds file: {}",
            file.display(),
            error.to_string().trim_end()
        ))
    })?;
    let default_metric = default_metric(&document);
    let table = thresholds_table(&mut document, file)?;
    let mut changes = Vec::new();
    for gates in calibrated {
        changes.extend(update_entry(table, gates, default_metric));
    }
    Ok((document.to_string(), changes))
}

/// `[defaults] metric`, or p95 when unset or unreadable (the loader reports a bad one).
fn default_metric(document: &DocumentMut) -> Metric {
    document
        .get("defaults")
        .and_then(|defaults| defaults.get("metric"))
        .and_then(Item::as_str)
        .and_then(|name| Metric::parse(name).ok())
        .unwrap_or(DEFAULT_METRIC)
}

/// The `[thresholds]` table, created at the end of the file when there is none.
fn thresholds_table<'a>(document: &'a mut DocumentMut, file: &Path) -> Result<&'a mut Table> {
    let item = document
        .entry("thresholds")
        .or_insert_with(|| Item::Table(Table::new()));
    item.as_table_mut().ok_or_else(|| {
        Error::config(format!(
            "{}: `thresholds` is not a table; write it as a [thresholds] section of \
             name = \"p95 < 5ms\" lines",
            file.display()
        ))
    })
}

/// Writes one scenario's gates into its entry (created when missing).
fn update_entry(
    table: &mut Table,
    gates: &CalibratedGates,
    default_metric: Metric,
) -> Vec<GateChange> {
    let mut wanted = vec![(GateKind::P95, limit_text(gates.p95_limit_us))];
    wanted.extend(
        gates
            .max_buffers
            .map(|max| (GateKind::Buffers, max.to_string())),
    );
    let Some(value) = table.get_mut(&gates.scenario).and_then(Item::as_value_mut) else {
        let texts = gate_texts(gates);
        table.insert(
            &gates.scenario,
            toml_edit::value(Array::from_iter(texts.iter().map(String::as_str))),
        );
        return added(gates, &wanted, &texts);
    };
    let mut entry = EntryGates::read(value);
    let changes = wanted
        .iter()
        .map(|(kind, limit)| entry.set(&gates.scenario, *kind, limit, default_metric))
        .collect();
    entry.write(value);
    changes
}

/// The changes of a scenario that had no entry: every gate added.
fn added(
    gates: &CalibratedGates,
    wanted: &[(GateKind, String)],
    texts: &[String],
) -> Vec<GateChange> {
    wanted
        .iter()
        .zip(texts)
        .map(|((kind, _), text)| GateChange {
            scenario: gates.scenario.clone(),
            kind: *kind,
            old: None,
            new: text.clone(),
        })
        .collect()
}

/// The gate strings of one entry (a string or an array of strings), edited in memory.
struct EntryGates {
    texts: Vec<String>,
    /// The entry was a single string (kept a string while it holds one gate).
    single: bool,
    /// The entry is neither a string nor an array of strings: left alone.
    foreign: bool,
}

impl EntryGates {
    fn read(value: &Value) -> EntryGates {
        match value {
            Value::String(text) => EntryGates {
                texts: vec![text.value().clone()],
                single: true,
                foreign: false,
            },
            Value::Array(array) => {
                let texts: Vec<String> = array
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect();
                let foreign = texts.len() != array.len();
                EntryGates {
                    texts,
                    single: false,
                    foreign,
                }
            }
            _ => EntryGates {
                texts: Vec::new(),
                single: false,
                foreign: true,
            },
        }
    }

    /// Replaces every gate of `kind` with the calibrated `limit` (a bare limit stays bare),
    /// or appends one when there is none.
    fn set(&mut self, scenario: &str, kind: GateKind, limit: &str, default: Metric) -> GateChange {
        let canonical = match kind {
            GateKind::P95 => format!("p95 < {limit}"),
            GateKind::Buffers => format!("buffers <= {limit}"),
        };
        let mut first: Option<(String, String)> = None;
        for text in self.texts.iter_mut() {
            if !gate_matches(text, kind, default) {
                continue;
            }
            let new = if is_bare(text) {
                limit.to_string()
            } else {
                canonical.clone()
            };
            first.get_or_insert_with(|| (text.clone(), new.clone()));
            *text = new;
        }
        let (old, new) = match first {
            Some((old, new)) => (Some(old), new),
            None => {
                self.texts.push(canonical.clone());
                (None, canonical)
            }
        };
        GateChange {
            scenario: scenario.to_string(),
            kind,
            old,
            new,
        }
    }

    /// Writes the gates back into `value`, keeping its comments and spacing.
    fn write(self, value: &mut Value) {
        if self.foreign {
            return;
        }
        let decor = value.decor().clone();
        if self.single && self.texts.len() == 1 {
            if let Value::String(text) = value
                && text.value() != &self.texts[0]
            {
                *value = Value::from(self.texts[0].as_str());
                *value.decor_mut() = decor;
            }
            return;
        }
        if let Value::Array(array) = value {
            write_array(array, &self.texts);
            return;
        }
        let mut array = Array::from_iter(self.texts.iter().map(String::as_str));
        *array.decor_mut() = decor;
        *value = Value::Array(array);
    }
}

/// Sets the strings of `array` to `texts`: changed elements keep their spacing and
/// comments, new ones are appended.
fn write_array(array: &mut Array, texts: &[String]) {
    for (index, text) in texts.iter().enumerate() {
        match array.get_mut(index) {
            Some(element) if element.as_str() == Some(text) => {}
            Some(element) => {
                let decor = element.decor().clone();
                *element = Value::from(text.as_str());
                *element.decor_mut() = decor;
            }
            None => push_laid_out(array, text),
        }
    }
}

/// Appends `text` laid out like the elements before it. In a list written one element per
/// line it goes on a line of its own with their indentation, and whatever followed the
/// last element (a comment, the line break before `]`) stays where it was written.
fn push_laid_out(array: &mut Array, text: &str) {
    let Some(indent) = line_indent(array) else {
        array.push(text);
        return;
    };
    let trailing_comma = array.trailing_comma();
    let closing = match (trailing_comma, array.iter().last()) {
        (true, _) | (false, None) => raw_text(Some(array.trailing())),
        (false, Some(last)) => raw_text(last.decor().suffix()),
    };
    let (prefix, rest) = match closing.rfind('\n') {
        Some(at) => (
            format!("{}{indent}", &closing[..=at]),
            format!("\n{}", &closing[at + 1..]),
        ),
        None => (format!("\n{indent}"), closing),
    };
    let mut value = Value::from(text);
    value.decor_mut().set_prefix(prefix);
    if trailing_comma {
        array.set_trailing(rest);
    } else {
        if let Some(last) = array.get_mut(array.len() - 1) {
            last.decor_mut().set_suffix("");
        }
        value.decor_mut().set_suffix(rest);
    }
    array.push(value);
}

/// The indentation of the last element when it starts a line of its own.
fn line_indent(array: &Array) -> Option<String> {
    let prefix = array.iter().last()?.decor().prefix()?.as_str()?;
    prefix
        .rsplit_once('\n')
        .map(|(_, indent)| indent.to_string())
}

fn raw_text(raw: Option<&toml_edit::RawString>) -> String {
    raw.and_then(toml_edit::RawString::as_str)
        .unwrap_or_default()
        .to_string()
}

/// True when `text` parses as a gate of `kind`.
fn gate_matches(text: &str, kind: GateKind, default: Metric) -> bool {
    parse_threshold(text, default).is_ok_and(|expr| gate_kind(&expr) == Some(kind))
}

/// The calibrated gate `expr` is, if any: an upper limit on p95 or on buffers.
fn gate_kind(expr: &ThresholdExpr) -> Option<GateKind> {
    let upper = matches!(expr.comparison, Comparison::Lt | Comparison::Le);
    match expr.metric {
        _ if expr.is_ratio() || !upper => None,
        Metric::P95 => Some(GateKind::P95),
        Metric::Buffers => Some(GateKind::Buffers),
        _ => None,
    }
}

/// A bare limit ("5ms"): no metric named.
fn is_bare(text: &str) -> bool {
    !text.trim_start().starts_with(char::is_alphabetic)
}

#[cfg(test)]
#[path = "thresholds_update_tests.rs"]
mod tests;
