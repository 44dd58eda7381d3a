//! Which generator each `$n` of a captured statement gets, from its `Shape` and the
//! catalog facts of the tables it names: a column it is compared with becomes a `sample`
//! of that column (resolving aliases and unqualified names), `= ANY($n)` an array sample,
//! LIMIT/OFFSET a small int range, a new value for a unique uuid column a random uuid.
//! Anything else is a placeholder saying what to fill in. Pure: must not query or guess.

use std::collections::BTreeMap;

use super::shape::{ColumnUse, Role, ScopeEntry, Shape, TableName, TargetColumn};
pub use crate::db::stat_statements::ColumnInfo;
use crate::params::ParamValue;
use tokio_postgres::types::{FromSql, Type};

/// A table as the catalog knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableInfo {
    /// Columns in their order in the table.
    pub columns: Vec<ColumnInfo>,
}

impl TableInfo {
    fn column(&self, name: &str) -> Option<&ColumnInfo> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// The tables of a statement that exist, by the name the statement uses.
pub type Tables = BTreeMap<TableName, TableInfo>;

/// Where a sampled value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The table as the statement names it.
    pub table: TableName,
    pub column: String,
    /// Unique values already (no DISTINCT needed).
    pub unique: bool,
}

/// What `$n` gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Guess {
    /// Values of a column (one per draw).
    Sample(Source),
    /// Arrays of values of a column (`= ANY($n)`).
    ArraySample(Source),
    /// `LIMIT $n`: a small int range.
    Limit,
    /// `OFFSET $n`: a small int range from 0.
    Offset,
    /// A new value for a unique uuid column: a random v4 uuid.
    NewUuid,
    /// Not inferred: what to fill in, for the person editing the file.
    Todo(String),
}

impl Guess {
    /// True for a placeholder.
    pub fn is_todo(&self) -> bool {
        matches!(self, Guess::Todo(_))
    }
}

/// One guess per `$n` of `sql`, in order.
pub fn infer(sql: &str, shape: &Shape, tables: &Tables) -> Vec<Guess> {
    (1..=shape.param_count())
        .map(|param| {
            let guess = match shape.use_of(param) {
                Some(role) => guess(role, tables),
                None => Err("not compared with a table column".to_string()),
            };
            guess.unwrap_or_else(|why| Guess::Todo(todo_text(sql, shape, param, &why)))
        })
        .collect()
}

fn guess(role: &Role, tables: &Tables) -> Result<Guess, String> {
    match role {
        Role::Limit => Ok(Guess::Limit),
        Role::Offset => Ok(Guess::Offset),
        Role::Compared { column, array } => {
            let source = resolve(column, tables)?;
            Ok(if *array {
                Guess::ArraySample(source)
            } else {
                Guess::Sample(source)
            })
        }
        Role::Stored { table, column } => stored(table, column, tables),
    }
}

/// A value written into `table.column`: an existing value unless the column is unique.
fn stored(table: &TableName, column: &TargetColumn, tables: &Tables) -> Result<Guess, String> {
    let info = tables
        .get(table)
        .ok_or_else(|| format!("stored into {}, which is not a table here", table.display()))?;
    let found = match column {
        TargetColumn::Named(name) => info.column(name),
        TargetColumn::Position(position) => info.columns.get(*position),
    }
    .ok_or_else(|| format!("stored into an unknown column of {}", table.display()))?;
    let place = format!("{}.{}", table.display(), found.name);
    if found.checked_with_others {
        return Err(format!(
            "stored into {place}, which a CHECK constraint ties to other columns: a sample drawn \
             alone may break it; give values that satisfy it"
        ));
    }
    match (found.unique, found.type_name.as_str()) {
        (false, _) if !drawable(found) => Err(undrawable(&place, found)),
        (false, _) => Ok(Guess::Sample(Source {
            table: table.clone(),
            column: found.name.clone(),
            unique: false,
        })),
        (true, "uuid") => Ok(Guess::NewUuid),
        (true, type_name) => Err(format!(
            "a new value for the unique column {place} ({type_name}): give a generator that makes \
             values not in the table yet"
        )),
    }
}

/// The table column `column` refers to: its qualifier's FROM entry, else the only table in
/// the innermost FROM clause that has such a column.
fn resolve(column: &ColumnUse, tables: &Tables) -> Result<Source, String> {
    for scope in &column.scopes {
        if let Some(found) = resolve_in(column, scope, tables)? {
            return Ok(found);
        }
    }
    Err(match &column.qualifier {
        Some(q) => format!(
            "compared with {q}.{}, whose table is not known",
            column.name
        ),
        None => format!(
            "compared with {}, found in no table of the FROM clause",
            column.name
        ),
    })
}

/// `Ok(None)`: not in this FROM clause, look further out.
fn resolve_in(
    column: &ColumnUse,
    scope: &[ScopeEntry],
    tables: &Tables,
) -> Result<Option<Source>, String> {
    let named = |entry: &ScopeEntry| match &column.qualifier {
        Some(q) => entry.visible == *q,
        None => true,
    };
    let mut found: Vec<Source> = Vec::new();
    let mut opaque: Vec<&str> = Vec::new();
    for entry in scope.iter().filter(|e| named(e)) {
        let info = entry
            .table
            .as_ref()
            .and_then(|t| tables.get(t).map(|i| (t, i)));
        match info {
            Some((table, info)) => {
                if let Some(c) = info.column(&column.name) {
                    if !drawable(c) {
                        return Err(undrawable(&format!("{}.{}", table.display(), c.name), c));
                    }
                    found.push(Source {
                        table: table.clone(),
                        column: c.name.clone(),
                        unique: c.unique,
                    });
                }
            }
            None => opaque.push(&entry.visible),
        }
    }
    match (found.len(), opaque.first()) {
        (1, None) => Ok(found.pop()),
        (1, Some(_)) if column.qualifier.is_some() => Ok(found.pop()),
        (0, None) => Ok(None),
        (0, Some(name)) => Err(format!(
            "compared with {}, a column of {name} (a subquery, CTE or function), not of a table",
            column.name
        )),
        _ => Err(format!(
            "compared with {}, which more than one FROM item may hold",
            column.name
        )),
    }
}

/// True when a sample of this column's type can be read and bound (see `params::value`).
fn drawable(column: &ColumnInfo) -> bool {
    Type::from_oid(column.type_oid).is_some_and(|ty| <ParamValue as FromSql>::accepts(&ty))
}

fn undrawable(place: &str, column: &ColumnInfo) -> String {
    format!(
        "compared with {place}, of type {}, whose values the tool cannot draw: give a generator, \
         or cast the parameter to text in the SQL and sample the column as text",
        column.type_name
    )
}

/// `$3 in "…left(content, $3)…": <why>`.
fn todo_text(sql: &str, shape: &Shape, param: usize, why: &str) -> String {
    let place = shape
        .locations
        .get(param - 1)
        .copied()
        .flatten()
        .map(|at| format!(" in `{}`", snippet(sql, at)))
        .unwrap_or_default();
    format!("${param}{place}: {why}")
}

/// About 30 bytes of `sql` on either side of `at`, on one line, with ellipses.
fn snippet(sql: &str, at: usize) -> String {
    const REACH: usize = 30;
    let mut start = at.saturating_sub(REACH);
    while !sql.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (at + REACH).min(sql.len());
    while !sql.is_char_boundary(end) {
        end += 1;
    }
    let text: Vec<&str> = sql[start..end].split_whitespace().collect();
    let open = if start > 0 { "…" } else { "" };
    let close = if end < sql.len() { "…" } else { "" };
    format!("{open}{}{close}", text.join(" "))
}
