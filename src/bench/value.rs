//! Parameter and captured values, bound to PostgreSQL with the type of their column
//! (ToSql) and read back from rows (FromSql). Must not draw random values.

/// A value bound to a `$n` parameter or captured from a column.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    Uuid(uuid::Uuid),
    /// A captured column (all rows), bound as an array (`= ANY($1)`).
    Array(Vec<ParamValue>),
}
