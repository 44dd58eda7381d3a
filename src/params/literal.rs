//! Parameter values as SQL text, for the simple query protocol: each value becomes a
//! quoted literal of unknown type (`'42'`, `'it''s'`, `'{1,2}'`), which the server
//! resolves to the type a `$n` in the same place would get; and captured columns read
//! back from the text rows that protocol returns. Quoting assumes
//! `standard_conforming_strings = on` (the default since PostgreSQL 9.1). Must not draw
//! values or send anything.

use tokio_postgres::types::{Kind, Type};

use crate::params::ParamValue;

/// Appends `value` as a SQL literal.
pub fn write_literal(value: &ParamValue, out: &mut String) {
    if *value == ParamValue::Null {
        out.push_str("NULL");
        return;
    }
    let mut text = String::new();
    write_text(value, &mut text, false);
    out.push('\'');
    out.push_str(&text.replace('\'', "''"));
    out.push('\'');
}

/// The value's text form; inside an array, strings are double-quoted with backslash
/// escapes and NULL is bare.
fn write_text(value: &ParamValue, out: &mut String, in_array: bool) {
    use std::fmt::Write;
    match value {
        ParamValue::Null => out.push_str("NULL"),
        ParamValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        ParamValue::Int(i) => {
            let _ = write!(out, "{i}");
        }
        ParamValue::Float(f) if f.is_nan() => out.push_str("NaN"),
        ParamValue::Float(f) if f.is_infinite() => {
            out.push_str(if *f > 0.0 { "Infinity" } else { "-Infinity" })
        }
        ParamValue::Float(f) => {
            let _ = write!(out, "{f}");
        }
        ParamValue::Uuid(u) => {
            let _ = write!(out, "{u}");
        }
        ParamValue::Text(s) if in_array => {
            out.push('"');
            for c in s.chars() {
                if c == '"' || c == '\\' {
                    out.push('\\');
                }
                out.push(c);
            }
            out.push('"');
        }
        ParamValue::Text(s) => out.push_str(s),
        ParamValue::Array(items) => {
            out.push('{');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_text(item, out, true);
            }
            out.push('}');
        }
    }
}

/// A captured value from its text form, for a column of type `ty`: numbers, booleans and
/// uuids parsed, everything else (text, numeric, dates, times, JSON) kept as text, which
/// later steps inline as it came.
pub fn from_text(ty: &Type, text: &str) -> Result<ParamValue, String> {
    let bad = |e: &dyn std::fmt::Display| format!("cannot read `{text}` as {}: {e}", ty.name());
    if let Kind::Array(_) = ty.kind() {
        return Err(format!(
            "cannot capture a column of array type {} with the simple protocol; use --protocol \
             extended or prepared",
            ty.name()
        ));
    }
    Ok(match *ty {
        Type::BOOL => ParamValue::Bool(text == "t"),
        Type::INT2 | Type::INT4 | Type::INT8 => ParamValue::Int(text.parse().map_err(|e| bad(&e))?),
        Type::FLOAT4 | Type::FLOAT8 => ParamValue::Float(text.parse().map_err(|e| bad(&e))?),
        Type::UUID => ParamValue::Uuid(uuid::Uuid::parse_str(text).map_err(|e| bad(&e))?),
        _ => ParamValue::Text(text.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literal(value: &ParamValue) -> String {
        let mut out = String::new();
        write_literal(value, &mut out);
        out
    }

    #[test]
    fn values_become_quoted_literals_with_quotes_doubled() {
        assert_eq!(literal(&ParamValue::Null), "NULL");
        assert_eq!(literal(&ParamValue::Int(-42)), "'-42'");
        assert_eq!(literal(&ParamValue::Bool(true)), "'true'");
        assert_eq!(literal(&ParamValue::Float(1.5)), "'1.5'");
        assert_eq!(literal(&ParamValue::Float(f64::NAN)), "'NaN'");
        assert_eq!(literal(&ParamValue::Text("it's".into())), "'it''s'");
        assert_eq!(literal(&ParamValue::Text("a\\b".into())), "'a\\b'");
        let array = ParamValue::Array(vec![
            ParamValue::Int(1),
            ParamValue::Null,
            ParamValue::Text("x\"y'z".into()),
        ]);
        assert_eq!(literal(&array), "'{1,NULL,\"x\\\"y''z\"}'");
        assert_eq!(literal(&ParamValue::Array(Vec::new())), "'{}'");
    }

    #[test]
    fn captured_text_is_read_by_column_type() {
        assert_eq!(from_text(&Type::INT4, "7"), Ok(ParamValue::Int(7)));
        assert_eq!(from_text(&Type::BOOL, "f"), Ok(ParamValue::Bool(false)));
        assert_eq!(
            from_text(&Type::TIMESTAMPTZ, "2026-01-01 00:00:00+00"),
            Ok(ParamValue::Text("2026-01-01 00:00:00+00".into()))
        );
        assert!(from_text(&Type::INT8, "x").unwrap_err().contains("int8"));
        assert!(
            from_text(&Type::INT4_ARRAY, "{1}")
                .unwrap_err()
                .contains("--protocol")
        );
    }
}
