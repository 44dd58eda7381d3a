//! One step of a scenario on a lean connection (`db::wire`), in the protocol it is
//! measured with: described once (parameter and column types; for `prepared` also kept
//! as a named statement), then per iteration its messages appended to the write buffer
//! (Bind/Execute/Sync; Parse/Bind/Execute/Sync for `extended`; one Query with the
//! parameters inlined as literals for `simple`) and its answer read up to ReadyForQuery,
//! capturing the columns later steps use. Must not wrap iterations in transactions,
//! time anything, or decide what an error means for the run.

use std::ops::Range;

use bytes::BytesMut;
use postgres_protocol::message::frontend::{self, BindError};
use tokio_postgres::types::{FromSql, ToSql, Type};

use crate::config::model::{Protocol, Step};
use crate::config::sql_scan::SqlScan;
use crate::db::wire::messages::{self, ServerError};
use crate::db::wire::{Described, WireConnection, WireError};
use crate::params::{Captures, ParamValue, literal};

/// Why a step failed.
#[derive(Debug)]
pub enum StepFailure {
    /// The server's error, or the connection's.
    Wire(WireError),
    /// Found by the tool: a value that does not bind, a column that cannot be captured.
    Local(String),
}

impl From<WireError> for StepFailure {
    fn from(e: WireError) -> Self {
        StepFailure::Wire(e)
    }
}

impl From<std::io::Error> for StepFailure {
    fn from(e: std::io::Error) -> Self {
        StepFailure::Wire(WireError::Io(e))
    }
}

/// A piece of a `simple` statement: its own text, or where parameter n (0-based) goes.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(Range<usize>),
    Param(usize),
}

/// A column captured into a named array: its index and type, or why it cannot be.
#[derive(Debug)]
struct CaptureSpec {
    name: String,
    column: Result<(usize, Type), String>,
}

/// A step ready to run on one connection.
#[derive(Debug)]
pub struct WireStep {
    pub sql: String,
    /// The prepared statement's name (`prepared`), else "" (the unnamed statement).
    pub name: String,
    pub protocol: Protocol,
    pub described: Described,
    param_oids: Vec<u32>,
    pieces: Vec<Piece>,
    captures: Vec<CaptureSpec>,
}

impl WireStep {
    /// Describes `step` on `conn` (as statement `name` for `prepared`, else unnamed).
    pub fn prepare(
        conn: &mut WireConnection,
        step: &Step,
        protocol: Protocol,
        name: String,
    ) -> Result<WireStep, WireError> {
        let name = if protocol == Protocol::Prepared {
            name
        } else {
            String::new()
        };
        let described = conn.describe(&name, &step.sql)?;
        let captures = step
            .captures
            .iter()
            .map(|capture| CaptureSpec {
                name: capture.name.clone(),
                column: capture_column(&described, &capture.column),
            })
            .collect();
        Ok(WireStep {
            param_oids: described.params.iter().map(Type::oid).collect(),
            pieces: pieces(&step.sql),
            sql: step.sql.clone(),
            name,
            protocol,
            described,
            captures,
        })
    }

    /// Appends this step's messages with `params` to `out` (`text`: scratch space for a
    /// `simple` statement). A value that does not bind is an error and nothing is sent.
    pub fn encode(
        &self,
        params: &[ParamValue],
        out: &mut BytesMut,
        text: &mut String,
    ) -> Result<(), String> {
        if self.protocol == Protocol::Simple {
            text.clear();
            for piece in &self.pieces {
                match piece {
                    Piece::Text(range) => text.push_str(&self.sql[range.clone()]),
                    Piece::Param(n) => {
                        literal::write_literal(params.get(*n).unwrap_or(&ParamValue::Null), text)
                    }
                }
            }
            return frontend::query(text, out).map_err(|e| e.to_string());
        }
        if self.protocol == Protocol::Extended {
            frontend::parse("", &self.sql, self.param_oids.iter().copied(), out)
                .map_err(|e| e.to_string())?;
        }
        self.bind(params, out)?;
        frontend::execute("", 0, out).map_err(|e| e.to_string())?;
        frontend::sync(out);
        Ok(())
    }

    /// Bind with every parameter and result column in binary.
    fn bind(&self, params: &[ParamValue], out: &mut BytesMut) -> Result<(), String> {
        let mut at = 0;
        let values = params.iter().zip(&self.described.params).enumerate();
        let bound = frontend::bind(
            "",
            &self.name,
            Some(1),
            values,
            |(n, (value, ty)), buf| {
                at = n;
                match value.to_sql_checked(ty, buf)? {
                    tokio_postgres::types::IsNull::Yes => Ok(postgres_protocol::IsNull::Yes),
                    tokio_postgres::types::IsNull::No => Ok(postgres_protocol::IsNull::No),
                }
            },
            Some(1),
            out,
        );
        match bound {
            Ok(()) => Ok(()),
            Err(BindError::Conversion(e)) => Err(format!("parameter ${}: {e}", at + 1)),
            Err(BindError::Serialization(e)) => Err(e.to_string()),
        }
    }

    /// Reads this step's answer up to ReadyForQuery. Captured columns are added to
    /// `captures` when the step succeeded. An error that ends the connection returns at
    /// once; any other is returned after ReadyForQuery (the connection stays in step).
    pub fn read(
        &self,
        conn: &mut WireConnection,
        captures: &mut Captures,
    ) -> Result<(), StepFailure> {
        let mut first: Option<StepFailure> = None;
        let mut captured: Vec<Vec<ParamValue>> = self.captures.iter().map(|_| Vec::new()).collect();
        loop {
            let message = conn.receive()?;
            match message.tag {
                b'D' if !self.captures.is_empty() && first.is_none() => {
                    if let Err(e) = self.capture_row(conn.body(&message), &mut captured) {
                        first = Some(StepFailure::Local(e));
                    }
                }
                b'E' => {
                    let error = ServerError::parse(conn.body(&message))?;
                    if error.ends_connection() {
                        return Err(WireError::Server(error).into());
                    }
                    first.get_or_insert(WireError::Server(error).into());
                }
                b'Z' => break,
                _ => {}
            }
        }
        if let Some(failure) = first {
            return Err(failure);
        }
        for (spec, values) in self.captures.iter().zip(captured) {
            captures.insert(spec.name.clone(), ParamValue::Array(values));
        }
        Ok(())
    }

    fn capture_row(&self, body: &[u8], captured: &mut [Vec<ParamValue>]) -> Result<(), String> {
        let columns = messages::data_row(body).map_err(|e| e.to_string())?;
        for (spec, values) in self.captures.iter().zip(captured) {
            let (index, ty) = spec.column.as_ref().map_err(Clone::clone)?;
            let value = match columns.get(*index).copied().flatten() {
                None => ParamValue::Null,
                Some(raw) if self.protocol == Protocol::Simple => {
                    literal::from_text(ty, &String::from_utf8_lossy(raw))?
                }
                Some(raw) => ParamValue::from_sql(ty, raw).map_err(|e| {
                    format!(
                        "cannot capture column `{}`: {e}",
                        self.described.columns[*index].0
                    )
                })?,
            };
            values.push(value);
        }
        Ok(())
    }
}

/// The index and type of `column`, or the error a row would report.
fn capture_column(described: &Described, column: &str) -> Result<(usize, Type), String> {
    match described
        .columns
        .iter()
        .position(|(name, _)| name == column)
    {
        Some(index) => Ok((index, described.columns[index].1.clone())),
        None => {
            let names: Vec<&str> = described.columns.iter().map(|(n, _)| n.as_str()).collect();
            Err(format!(
                "cannot capture column `{column}`: the statement returns only [{}]",
                names.join(", ")
            ))
        }
    }
}

/// `sql` cut around its `$n` placeholders (literals and comments left alone).
fn pieces(sql: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut at = 0;
    for (range, n) in SqlScan::of(sql).placeholders {
        out.push(Piece::Text(at..range.start));
        out.push(Piece::Param(n - 1));
        at = range.end;
    }
    out.push(Piece::Text(at..sql.len()));
    out
}

/// The error of a failed statement on a prepared statement of the tool's: says so when it
/// means a transaction pooler lost or mixed up the statement.
pub fn describe_server_error(step: &WireStep, error: &ServerError) -> String {
    let text = format!("{} in `{}`", error.describe(), step.sql);
    if step.protocol == Protocol::Prepared {
        crate::db::pooler::explain(text, &error.code, &error.message)
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inline(sql: &str, params: &[ParamValue]) -> String {
        let step = WireStep {
            sql: sql.to_string(),
            name: String::new(),
            protocol: Protocol::Simple,
            described: Described {
                params: Vec::new(),
                columns: Vec::new(),
            },
            param_oids: Vec::new(),
            pieces: pieces(sql),
            captures: Vec::new(),
        };
        let (mut out, mut text) = (BytesMut::new(), String::new());
        step.encode(params, &mut out, &mut text).unwrap();
        text
    }

    #[test]
    fn simple_statements_inline_parameters_but_not_inside_literals_or_comments() {
        let sql = "SELECT '$1', $2 /* $1 */ FROM t WHERE a = $1 AND b = ANY($2) -- $2";
        assert_eq!(
            inline(
                sql,
                &[
                    ParamValue::Text("o'k".into()),
                    ParamValue::Array(vec![ParamValue::Int(1), ParamValue::Int(2)])
                ]
            ),
            "SELECT '$1', '{1,2}' /* $1 */ FROM t WHERE a = 'o''k' AND b = ANY('{1,2}') -- $2"
        );
        assert_eq!(
            inline("SELECT $10 + $1", &[ParamValue::Int(1)]),
            "SELECT NULL + '1'"
        );
        assert_eq!(inline("SELECT 1", &[]), "SELECT 1");
    }

    #[test]
    fn a_missing_capture_column_names_those_there_are() {
        let described = Described {
            params: Vec::new(),
            columns: vec![("id".into(), Type::INT4), ("name".into(), Type::TEXT)],
        };
        assert_eq!(capture_column(&described, "name"), Ok((1, Type::TEXT)));
        assert_eq!(
            capture_column(&described, "nope").unwrap_err(),
            "cannot capture column `nope`: the statement returns only [id, name]"
        );
    }
}
