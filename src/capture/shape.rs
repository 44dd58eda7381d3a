//! What a statement is, as far as `capture` cares: read, write or other, the tables it
//! names, and where each `$n` is used (compared with a column, a LIMIT, a stored value).
//! Plain data, independent of the parser that fills it (see `parse`). Must not parse SQL,
//! look at a catalog or decide generators (see `infer`).

/// A table as the statement names it (`schema` only when written).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TableName {
    pub schema: Option<String>,
    pub name: String,
}

impl TableName {
    /// A name without schema.
    pub fn bare(name: &str) -> TableName {
        TableName {
            schema: None,
            name: name.to_string(),
        }
    }

    /// `schema.name` or `name`, as written (unquoted).
    pub fn display(&self) -> String {
        match &self.schema {
            Some(schema) => format!("{schema}.{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// The kind of statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementKind {
    /// A query that only reads (SELECT, VALUES, WITH of reads).
    Read,
    /// INSERT, UPDATE, DELETE, MERGE, SELECT ... FOR UPDATE, or a WITH holding one.
    Write,
    /// Anything else (BEGIN, SET, EXPLAIN, COPY, DDL, ...): never a scenario.
    Utility,
}

/// One name visible in a FROM clause: a table (with the name it is seen by), or something
/// whose columns cannot be sampled (a subquery, a CTE, a function).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeEntry {
    /// The alias, else the table's own name.
    pub visible: String,
    /// The table; `None` for a subquery, CTE or function.
    pub table: Option<TableName>,
}

/// A column reference, with the FROM clauses it may come from (innermost first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnUse {
    /// `s` in `s.status`.
    pub qualifier: Option<String>,
    pub name: String,
    pub scopes: Vec<Vec<ScopeEntry>>,
}

/// A column of the table a statement writes: by name, or by position when the INSERT
/// lists no columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetColumn {
    Named(String),
    /// 0-based position among the table's columns.
    Position(usize),
}

/// How one `$n` is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// `column op $n`, `column IN (..., $n, ...)`, `column BETWEEN $n AND ...`; with
    /// `array`, `column = ANY($n)` (the parameter is an array of the column's values).
    Compared { column: ColumnUse, array: bool },
    /// `LIMIT $n`.
    Limit,
    /// `OFFSET $n`.
    Offset,
    /// A value stored into a column: `INSERT ... VALUES (..., $n)`, `UPDATE ... SET c = $n`.
    Stored {
        table: TableName,
        column: TargetColumn,
    },
}

/// One recognised use of `$param`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamUse {
    pub param: usize,
    pub role: Role,
}

/// A statement's shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    pub kind: StatementKind,
    /// Every relation the statement names that is not one of its CTEs, sorted, once each.
    pub tables: Vec<TableName>,
    /// The recognised uses of parameters, in the order found.
    pub uses: Vec<ParamUse>,
    /// Byte offset of each `$n` in the SQL (index n-1), from the lexer; `None` if absent.
    pub locations: Vec<Option<usize>>,
}

impl Shape {
    /// The number of parameters (the highest `$n`).
    pub fn param_count(&self) -> usize {
        self.locations.len()
    }

    /// The first recognised use of `$param`.
    pub fn use_of(&self, param: usize) -> Option<&Role> {
        self.uses.iter().find(|u| u.param == param).map(|u| &u.role)
    }
}
