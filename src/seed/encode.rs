//! PostgreSQL binary COPY encoding of generated rows (the framing `BinaryCopyInWriter`
//! writes, done on the generator thread so the async loader only forwards bytes), plus
//! the two column types tokio-postgres has no ready encoding for here: jsonb from text and
//! numeric(5,2). Must not talk to the database.

use std::error::Error as StdError;

use bytes::{BufMut, Bytes, BytesMut};
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};

const MAGIC: &[u8] = b"PGCOPY\n\xff\r\n\0";

/// Encodes rows of fixed column types into binary COPY data.
pub struct CopyEncoder {
    types: &'static [Type],
    buf: BytesMut,
    rows: u64,
}

impl CopyEncoder {
    /// An encoder whose first chunk starts with the binary COPY header.
    pub fn new(types: &'static [Type], capacity: usize) -> CopyEncoder {
        let mut buf = BytesMut::with_capacity(capacity);
        buf.put_slice(MAGIC);
        buf.put_i32(0); // flags
        buf.put_i32(0); // header extension length
        CopyEncoder {
            types,
            buf,
            rows: 0,
        }
    }

    /// Appends one row; the values must match the column types in number and type.
    pub fn row(&mut self, values: &[&(dyn ToSql + Sync)]) -> Result<(), String> {
        if values.len() != self.types.len() {
            return Err(format!(
                "row has {} values for {} columns",
                values.len(),
                self.types.len()
            ));
        }
        self.buf.put_i16(self.types.len() as i16);
        for (value, ty) in values.iter().zip(self.types) {
            let length_at = self.buf.len();
            self.buf.put_i32(-1);
            let written = value
                .to_sql_checked(ty, &mut self.buf)
                .map_err(|e| format!("cannot encode a {ty} value: {e}"))?;
            if let IsNull::No = written {
                let length = (self.buf.len() - length_at - 4) as i32;
                self.buf[length_at..length_at + 4].copy_from_slice(&length.to_be_bytes());
            }
        }
        self.rows += 1;
        Ok(())
    }

    /// Bytes buffered so far.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Takes the buffered bytes and the number of rows they hold.
    pub fn take(&mut self) -> (Bytes, u64) {
        let rows = std::mem::take(&mut self.rows);
        (self.buf.split().freeze(), rows)
    }

    /// Takes the remaining bytes followed by the end-of-data trailer.
    pub fn finish(mut self) -> (Bytes, u64) {
        self.buf.put_i16(-1);
        self.take()
    }
}

/// A jsonb (or json) value given as JSON text that is already valid.
#[derive(Debug)]
pub struct JsonText<'a>(pub &'a str);

impl ToSql for JsonText<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        if *ty == Type::JSONB {
            out.put_u8(1); // jsonb binary format version
        }
        out.put_slice(self.0.as_bytes());
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::JSONB || *ty == Type::JSON
    }

    to_sql_checked!();
}

/// A numeric with two decimals, given in hundredths (87.45 = 8745), for numeric(5,2).
#[derive(Debug, Clone, Copy)]
pub struct Hundredths(pub u32);

impl ToSql for Hundredths {
    fn to_sql(
        &self,
        _: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        // Binary numeric: ndigits, weight, sign, dscale, then base-10000 digits.
        let whole = (self.0 / 100) as i16;
        let fraction = ((self.0 % 100) * 100) as i16;
        let digits: &[i16] = match (whole, fraction) {
            (0, 0) => &[],
            (0, f) => &[f][..],
            (w, 0) => &[w][..],
            (w, f) => &[w, f][..],
        };
        let weight: i16 = if whole == 0 && fraction != 0 { -1 } else { 0 };
        out.put_i16(digits.len() as i16);
        out.put_i16(weight);
        out.put_u16(0); // positive
        out.put_i16(2); // display scale
        for digit in digits {
            out.put_i16(*digit);
        }
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::NUMERIC
    }

    to_sql_checked!();
}

#[cfg(test)]
mod tests {
    use super::*;

    static TYPES: [Type; 2] = [Type::INT4, Type::TEXT];

    #[test]
    fn rows_are_framed_with_a_header_counts_lengths_and_a_trailer() {
        let mut encoder = CopyEncoder::new(&TYPES, 64);
        encoder.row(&[&7i32, &"ab"]).unwrap();
        encoder.row(&[&8i32, &None::<String>]).unwrap();
        let (bytes, rows) = encoder.finish();
        assert_eq!(rows, 2);
        assert!(bytes.starts_with(MAGIC));
        let body = &bytes[MAGIC.len() + 8..];
        assert_eq!(&body[..2], &2i16.to_be_bytes());
        assert_eq!(&body[2..6], &4i32.to_be_bytes());
        assert_eq!(&body[6..10], &7i32.to_be_bytes());
        assert_eq!(&body[10..14], &2i32.to_be_bytes());
        assert_eq!(&body[14..16], b"ab");
        assert_eq!(
            &body[body.len() - 6..body.len() - 2],
            &(-1i32).to_be_bytes()
        );
        assert_eq!(&body[body.len() - 2..], &(-1i16).to_be_bytes());
    }

    #[test]
    fn a_wrong_value_type_is_an_error_not_a_panic() {
        let mut encoder = CopyEncoder::new(&TYPES, 64);
        assert!(encoder.row(&[&"not an int", &"x"]).is_err());
        assert!(encoder.row(&[&1i32]).is_err());
    }

    #[test]
    fn hundredths_encode_as_base_10000_digits() {
        let encode = |v: u32| {
            let mut out = BytesMut::new();
            Hundredths(v).to_sql(&Type::NUMERIC, &mut out).unwrap();
            out.to_vec()
        };
        // 87.45 -> digits [87, 4500], weight 0
        assert_eq!(encode(8745), [0, 2, 0, 0, 0, 0, 0, 2, 0, 87, 0x11, 0x94]);
        // 0.05 -> digits [500], weight -1
        assert_eq!(encode(5), [0, 1, 0xff, 0xff, 0, 0, 0, 2, 0x01, 0xf4]);
        // 100.00 -> digits [100]
        assert_eq!(encode(10000), [0, 1, 0, 0, 0, 0, 0, 2, 0, 100]);
        assert_eq!(encode(0), [0, 0, 0, 0, 0, 0, 0, 2]);
    }
}
