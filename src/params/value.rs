//! Parameter and captured values, bound to PostgreSQL with the type of their column
//! (ToSql) and read back from rows (FromSql). Must not draw random values.

use std::error::Error as StdError;

use bytes::BytesMut;
use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use tokio_postgres::types::{FromSql, IsNull, Kind, ToSql, Type, to_sql_checked};

use crate::params::numeric;

type BoxError = Box<dyn StdError + Sync + Send>;

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

impl ParamValue {
    /// A short name of the variant, for error messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            ParamValue::Null => "null",
            ParamValue::Bool(_) => "bool",
            ParamValue::Int(_) => "integer",
            ParamValue::Float(_) => "float",
            ParamValue::Text(_) => "text",
            ParamValue::Uuid(_) => "uuid",
            ParamValue::Array(_) => "array",
        }
    }
}

/// True for the scalar types values are bound to and read from.
fn is_supported_scalar(ty: &Type) -> bool {
    matches!(
        *ty,
        Type::BOOL
            | Type::INT2
            | Type::INT4
            | Type::INT8
            | Type::FLOAT4
            | Type::FLOAT8
            | Type::NUMERIC
            | Type::TEXT
            | Type::VARCHAR
            | Type::BPCHAR
            | Type::NAME
            | Type::UNKNOWN
            | Type::UUID
            | Type::TIMESTAMPTZ
            | Type::TIMESTAMP
            | Type::DATE
            | Type::JSON
            | Type::JSONB
    )
}

fn is_supported(ty: &Type) -> bool {
    match ty.kind() {
        Kind::Array(member) => is_supported_scalar(member),
        _ => is_supported_scalar(ty),
    }
}

fn is_text_type(ty: &Type) -> bool {
    matches!(
        *ty,
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN
    )
}

fn mismatch(value: &ParamValue, ty: &Type) -> BoxError {
    format!(
        "cannot bind a {} value to a parameter of type {}",
        value.kind_name(),
        ty.name()
    )
    .into()
}

impl ToSql for ParamValue {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        match self {
            ParamValue::Null => Ok(IsNull::Yes),
            ParamValue::Array(items) => match ty.kind() {
                Kind::Array(_) => items.as_slice().to_sql(ty, out),
                _ => Err(mismatch(self, ty)),
            },
            ParamValue::Bool(b) if *ty == Type::BOOL => b.to_sql(ty, out),
            ParamValue::Int(i) => {
                int_to_sql(*i, ty, out).unwrap_or_else(|| Err(mismatch(self, ty)))
            }
            ParamValue::Float(f) => {
                float_to_sql(*f, ty, out).unwrap_or_else(|| Err(mismatch(self, ty)))
            }
            ParamValue::Text(s) => {
                text_to_sql(s, ty, out).unwrap_or_else(|| Err(mismatch(self, ty)))
            }
            ParamValue::Uuid(u) if *ty == Type::UUID => u.to_sql(ty, out),
            ParamValue::Uuid(u) if is_text_type(ty) => u.to_string().as_str().to_sql(ty, out),
            _ => Err(mismatch(self, ty)),
        }
    }

    fn accepts(ty: &Type) -> bool {
        is_supported(ty)
    }

    to_sql_checked!();
}

/// Binds an integer to an integer, float or numeric parameter; None for other types.
fn int_to_sql(value: i64, ty: &Type, out: &mut BytesMut) -> Option<Result<IsNull, BoxError>> {
    let out_of_range =
        || -> BoxError { format!("{value} is out of range for type {}", ty.name()).into() };
    Some(match *ty {
        Type::INT8 => value.to_sql(ty, out),
        Type::INT4 => i32::try_from(value)
            .map_err(|_| out_of_range())
            .and_then(|v| v.to_sql(ty, out)),
        Type::INT2 => i16::try_from(value)
            .map_err(|_| out_of_range())
            .and_then(|v| v.to_sql(ty, out)),
        Type::FLOAT8 => (value as f64).to_sql(ty, out),
        Type::FLOAT4 => (value as f32).to_sql(ty, out),
        Type::NUMERIC => numeric::encode_decimal(&value.to_string(), out).map(|()| IsNull::No),
        _ => return None,
    })
}

/// Binds a float to a float or numeric parameter; None for other types.
fn float_to_sql(value: f64, ty: &Type, out: &mut BytesMut) -> Option<Result<IsNull, BoxError>> {
    Some(match *ty {
        Type::FLOAT8 => value.to_sql(ty, out),
        Type::FLOAT4 => (value as f32).to_sql(ty, out),
        Type::NUMERIC if value.is_finite() => {
            numeric::encode_decimal(&value.to_string(), out).map(|()| IsNull::No)
        }
        Type::NUMERIC => Err(format!("{value} cannot be bound to a numeric parameter").into()),
        _ => return None,
    })
}

/// Binds text to a text-like, uuid, timestamp, date, json or numeric parameter.
fn text_to_sql(text: &str, ty: &Type, out: &mut BytesMut) -> Option<Result<IsNull, BoxError>> {
    let parsed = |what: &str, e: &dyn std::fmt::Display| -> BoxError {
        format!(
            "`{text}` is not a valid {what} for a parameter of type {}: {e}",
            ty.name()
        )
        .into()
    };
    Some(match *ty {
        _ if is_text_type(ty) => text.to_sql(ty, out),
        Type::UUID => uuid::Uuid::parse_str(text)
            .map_err(|e| parsed("uuid", &e))
            .and_then(|u| u.to_sql(ty, out)),
        Type::TIMESTAMPTZ => DateTime::parse_from_rfc3339(text)
            .map_err(|e| parsed("RFC 3339 timestamp", &e))
            .and_then(|t| t.with_timezone(&Utc).to_sql(ty, out)),
        Type::TIMESTAMP => parse_naive_timestamp(text)
            .map_err(|e| parsed("timestamp", &e))
            .and_then(|t| t.to_sql(ty, out)),
        Type::DATE => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|e| parsed("date (YYYY-MM-DD)", &e))
            .and_then(|d| d.to_sql(ty, out)),
        Type::JSON | Type::JSONB => serde_json::from_str::<serde_json::Value>(text)
            .map_err(|e| parsed("JSON document", &e))
            .and_then(|v| v.to_sql(ty, out)),
        Type::NUMERIC => numeric::encode_decimal(text, out).map(|()| IsNull::No),
        _ => return None,
    })
}

/// A timestamp without time zone: RFC 3339 (converted to UTC) or `YYYY-MM-DD[ T]HH:MM:SS[.f]`.
fn parse_naive_timestamp(text: &str) -> Result<NaiveDateTime, chrono::ParseError> {
    if let Ok(with_zone) = DateTime::parse_from_rfc3339(text) {
        return Ok(with_zone.naive_utc());
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f"))
}

impl<'a> FromSql<'a> for ParamValue {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<ParamValue, BoxError> {
        if let Kind::Array(_) = ty.kind() {
            return Vec::<ParamValue>::from_sql(ty, raw).map(ParamValue::Array);
        }
        Ok(match *ty {
            Type::BOOL => ParamValue::Bool(bool::from_sql(ty, raw)?),
            Type::INT2 => ParamValue::Int(i16::from_sql(ty, raw)?.into()),
            Type::INT4 => ParamValue::Int(i32::from_sql(ty, raw)?.into()),
            Type::INT8 => ParamValue::Int(i64::from_sql(ty, raw)?),
            Type::FLOAT4 => ParamValue::Float(f32::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => ParamValue::Float(f64::from_sql(ty, raw)?),
            Type::NUMERIC => ParamValue::Text(numeric::decode_decimal(raw)?),
            Type::UUID => ParamValue::Uuid(uuid::Uuid::from_sql(ty, raw)?),
            Type::TIMESTAMPTZ => {
                let t = DateTime::<Utc>::from_sql(ty, raw)?;
                ParamValue::Text(t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
            }
            Type::TIMESTAMP => {
                let t = NaiveDateTime::from_sql(ty, raw)?;
                ParamValue::Text(t.format("%Y-%m-%dT%H:%M:%S%.f").to_string())
            }
            Type::DATE => {
                ParamValue::Text(NaiveDate::from_sql(ty, raw)?.format("%Y-%m-%d").to_string())
            }
            Type::JSON | Type::JSONB => {
                ParamValue::Text(serde_json::Value::from_sql(ty, raw)?.to_string())
            }
            _ if is_text_type(ty) => ParamValue::Text(<&str>::from_sql(ty, raw)?.to_string()),
            _ => return Err(format!("cannot read a value of type {}", ty.name()).into()),
        })
    }

    fn from_sql_null(_: &Type) -> Result<ParamValue, BoxError> {
        Ok(ParamValue::Null)
    }

    fn accepts(ty: &Type) -> bool {
        is_supported(ty)
    }
}

/// The values of `column` in all `rows`, as an `Array` (empty when there are no rows).
pub fn capture_column(rows: &[tokio_postgres::Row], column: &str) -> Result<ParamValue, String> {
    let Some(first) = rows.first() else {
        return Ok(ParamValue::Array(Vec::new()));
    };
    let Some(index) = first.columns().iter().position(|c| c.name() == column) else {
        let names: Vec<&str> = first.columns().iter().map(|c| c.name()).collect();
        return Err(format!(
            "cannot capture column `{column}`: the statement returns only [{}]",
            names.join(", ")
        ));
    };
    rows.iter()
        .map(|row| {
            row.try_get::<_, ParamValue>(index)
                .map_err(|e| format!("cannot capture column `{column}`: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(ParamValue::Array)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(value: &ParamValue, ty: &Type) -> Result<Vec<u8>, String> {
        let mut out = BytesMut::new();
        match value.to_sql_checked(ty, &mut out) {
            Ok(IsNull::No) => Ok(out.to_vec()),
            Ok(IsNull::Yes) => Ok(Vec::new()),
            Err(e) => Err(e.to_string()),
        }
    }

    fn round_trip(value: &ParamValue, ty: &Type) -> ParamValue {
        let bytes = encode(value, ty).unwrap();
        ParamValue::from_sql(ty, &bytes).unwrap()
    }

    #[test]
    fn integers_bind_to_every_integer_width_and_range_is_checked() {
        assert_eq!(
            round_trip(&ParamValue::Int(7), &Type::INT2),
            ParamValue::Int(7)
        );
        assert_eq!(
            round_trip(&ParamValue::Int(-7), &Type::INT4),
            ParamValue::Int(-7)
        );
        assert_eq!(
            round_trip(&ParamValue::Int(1 << 40), &Type::INT8),
            ParamValue::Int(1 << 40)
        );
        assert_eq!(
            round_trip(&ParamValue::Int(3), &Type::FLOAT8),
            ParamValue::Float(3.0)
        );
        assert_eq!(
            round_trip(&ParamValue::Int(42), &Type::NUMERIC),
            ParamValue::Text("42".into())
        );
        let error = encode(&ParamValue::Int(1 << 40), &Type::INT4).unwrap_err();
        assert!(error.contains("out of range for type int4"), "{error}");
    }

    #[test]
    fn floats_bind_to_float_and_numeric() {
        assert_eq!(
            round_trip(&ParamValue::Float(1.5), &Type::FLOAT4),
            ParamValue::Float(1.5)
        );
        assert_eq!(
            round_trip(&ParamValue::Float(-2.25), &Type::NUMERIC),
            ParamValue::Text("-2.25".into())
        );
        assert!(encode(&ParamValue::Float(f64::NAN), &Type::NUMERIC).is_err());
    }

    #[test]
    fn text_binds_to_text_like_uuid_time_and_json_types() {
        let id = uuid::Uuid::from_u128(0x1234);
        assert_eq!(
            round_trip(&ParamValue::Text(id.to_string()), &Type::UUID),
            ParamValue::Uuid(id)
        );
        assert_eq!(
            round_trip(&ParamValue::Uuid(id), &Type::TEXT),
            ParamValue::Text(id.to_string())
        );
        let stamp = ParamValue::Text("2026-11-27T10:00:00Z".into());
        assert_eq!(round_trip(&stamp, &Type::TIMESTAMPTZ), stamp);
        let local = ParamValue::Text("2026-11-27 10:00:00.5".into());
        assert_eq!(
            round_trip(&local, &Type::TIMESTAMP),
            ParamValue::Text("2026-11-27T10:00:00.500".into())
        );
        let day = ParamValue::Text("2026-11-27".into());
        assert_eq!(round_trip(&day, &Type::DATE), day);
        let doc = ParamValue::Text(r#"{"a":1}"#.into());
        assert_eq!(round_trip(&doc, &Type::JSONB), doc);
        assert_eq!(
            round_trip(&ParamValue::Text("x".into()), &Type::BPCHAR),
            ParamValue::Text("x".into())
        );
    }

    #[test]
    fn arrays_bind_with_their_member_type() {
        let ids = ParamValue::Array(vec![
            ParamValue::Uuid(uuid::Uuid::from_u128(1)),
            ParamValue::Null,
            ParamValue::Text(uuid::Uuid::from_u128(2).to_string()),
        ]);
        let back = round_trip(&ids, &Type::UUID_ARRAY);
        assert_eq!(
            back,
            ParamValue::Array(vec![
                ParamValue::Uuid(uuid::Uuid::from_u128(1)),
                ParamValue::Null,
                ParamValue::Uuid(uuid::Uuid::from_u128(2)),
            ])
        );
        let ints = ParamValue::Array(vec![ParamValue::Int(1), ParamValue::Int(2)]);
        assert_eq!(round_trip(&ints, &Type::INT4_ARRAY), ints);
    }

    #[test]
    fn mismatches_are_encoding_errors_not_panics() {
        let cases = [
            (ParamValue::Text("abc".into()), Type::INT4),
            (ParamValue::Text("not-a-uuid".into()), Type::UUID),
            (ParamValue::Text("yesterday".into()), Type::TIMESTAMPTZ),
            (ParamValue::Text("{".into()), Type::JSONB),
            (ParamValue::Bool(true), Type::INT8),
            (ParamValue::Int(1), Type::UUID_ARRAY),
            (ParamValue::Array(vec![ParamValue::Int(1)]), Type::INT4),
            (
                ParamValue::Array(vec![ParamValue::Bool(true)]),
                Type::UUID_ARRAY,
            ),
            (ParamValue::Int(1), Type::BYTEA),
        ];
        for (value, ty) in cases {
            assert!(encode(&value, &ty).is_err(), "{value:?} as {ty}");
        }
    }

    #[test]
    fn null_binds_to_any_supported_type() {
        assert_eq!(encode(&ParamValue::Null, &Type::UUID), Ok(Vec::new()));
        assert_eq!(
            ParamValue::from_sql_null(&Type::INT4).unwrap(),
            ParamValue::Null
        );
    }
}
