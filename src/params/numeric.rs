//! PostgreSQL `numeric` binary wire format <-> decimal strings, so parameters can be bound
//! to numeric columns without a decimal crate. Must not know about scenarios or drawing.

use bytes::{BufMut, BytesMut};

type BoxError = Box<dyn std::error::Error + Sync + Send>;

const SIGN_POSITIVE: u16 = 0x0000;
const SIGN_NEGATIVE: u16 = 0x4000;
const SIGN_NAN: u16 = 0xC000;
const SIGN_PLUS_INFINITY: u16 = 0xD000;
const SIGN_MINUS_INFINITY: u16 = 0xF000;

/// Writes a plain decimal ("-12.3400", "7", "NaN") as a binary `numeric`.
pub fn encode_decimal(text: &str, out: &mut BytesMut) -> Result<(), BoxError> {
    let trimmed = text.trim();
    if trimmed.eq_ignore_ascii_case("nan") {
        write_header(out, 0, 0, SIGN_NAN, 0);
        return Ok(());
    }
    let (negative, unsigned) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
    };
    let (int_part, frac_part) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let is_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int_part.is_empty() && frac_part.is_empty())
        || !is_digits(int_part)
        || !is_digits(frac_part)
    {
        return Err(format!("`{text}` is not a decimal number (expected e.g. 12.50)").into());
    }
    let dscale = u16::try_from(frac_part.len()).map_err(|_| "numeric scale too large")?;
    let int_part = int_part.trim_start_matches('0');
    let mut digits = base_10000_groups(int_part, frac_part);
    let int_groups = int_part.len().div_ceil(4);
    let mut weight = int_groups as i64 - 1;
    let leading_zeros = digits.iter().take_while(|&&d| d == 0).count();
    digits.drain(..leading_zeros);
    weight -= leading_zeros as i64;
    while digits.last() == Some(&0) {
        digits.pop();
    }
    if digits.is_empty() {
        write_header(out, 0, 0, SIGN_POSITIVE, dscale);
        return Ok(());
    }
    let ndigits = i16::try_from(digits.len()).map_err(|_| "numeric has too many digits")?;
    let weight = i16::try_from(weight).map_err(|_| "numeric exponent out of range")?;
    let sign = if negative {
        SIGN_NEGATIVE
    } else {
        SIGN_POSITIVE
    };
    write_header(out, ndigits, weight, sign, dscale);
    for digit in digits {
        out.put_i16(digit);
    }
    Ok(())
}

/// Groups the integer digits (aligned at the decimal point, padded left) and the
/// fraction digits (padded right) into base-10000 digits.
fn base_10000_groups(int_part: &str, frac_part: &str) -> Vec<i16> {
    let int_pad = (4 - int_part.len() % 4) % 4;
    let frac_pad = (4 - frac_part.len() % 4) % 4;
    let padded: Vec<u8> = std::iter::repeat_n(b'0', int_pad)
        .chain(int_part.bytes())
        .chain(frac_part.bytes())
        .chain(std::iter::repeat_n(b'0', frac_pad))
        .collect();
    padded
        .chunks(4)
        .map(|chunk| {
            chunk
                .iter()
                .fold(0i16, |acc, b| acc * 10 + i16::from(b - b'0'))
        })
        .collect()
}

fn write_header(out: &mut BytesMut, ndigits: i16, weight: i16, sign: u16, dscale: u16) {
    out.put_i16(ndigits);
    out.put_i16(weight);
    out.put_u16(sign);
    out.put_u16(dscale);
}

/// Reads a binary `numeric` back into its exact decimal text.
pub fn decode_decimal(raw: &[u8]) -> Result<String, BoxError> {
    let word = |i: usize| -> Result<[u8; 2], BoxError> {
        raw.get(i * 2..i * 2 + 2)
            .map(|b| [b[0], b[1]])
            .ok_or_else(|| "truncated numeric value".into())
    };
    let ndigits = i16::from_be_bytes(word(0)?);
    let weight = i64::from(i16::from_be_bytes(word(1)?));
    let sign = u16::from_be_bytes(word(2)?);
    let dscale = usize::from(u16::from_be_bytes(word(3)?));
    match sign {
        SIGN_NAN => return Ok("NaN".into()),
        SIGN_PLUS_INFINITY => return Ok("Infinity".into()),
        SIGN_MINUS_INFINITY => return Ok("-Infinity".into()),
        _ => {}
    }
    let digits = (0..ndigits.max(0) as usize)
        .map(|i| word(4 + i).map(i16::from_be_bytes))
        .collect::<Result<Vec<_>, _>>()?;
    // Digit i stands for digits[i] * 10000^(weight - i).
    let digit_at = |power: i64| -> i16 {
        let index = weight - power;
        if index < 0 {
            0
        } else {
            digits.get(index as usize).copied().unwrap_or(0)
        }
    };
    let mut text = String::new();
    if sign == SIGN_NEGATIVE && !digits.is_empty() {
        text.push('-');
    }
    if weight < 0 {
        text.push('0');
    } else {
        text.push_str(&digit_at(weight).to_string());
        for power in (0..weight).rev() {
            text.push_str(&format!("{:04}", digit_at(power)));
        }
    }
    if dscale > 0 {
        let mut fraction = String::new();
        for k in 1..=dscale.div_ceil(4) as i64 {
            fraction.push_str(&format!("{:04}", digit_at(-k)));
        }
        fraction.truncate(dscale);
        text.push('.');
        text.push_str(&fraction);
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(text: &str) -> String {
        let mut out = BytesMut::new();
        encode_decimal(text, &mut out).unwrap();
        decode_decimal(&out).unwrap()
    }

    #[test]
    fn decimals_survive_a_round_trip_through_the_wire_format() {
        for text in [
            "0",
            "7",
            "12.5",
            "-12.3400",
            "10000",
            "123456789.000001",
            "0.0001",
            "-0.5",
            "NaN",
        ] {
            assert_eq!(round_trip(text), text, "{text}");
        }
        assert_eq!(round_trip("007.10"), "7.10");
        assert_eq!(round_trip("+3"), "3");
    }

    #[test]
    fn encoding_matches_postgres_layout() {
        let mut out = BytesMut::new();
        encode_decimal("12345.678", &mut out).unwrap();
        // ndigits 3, weight 1, positive, dscale 3, digits 1 2345 6780
        assert_eq!(
            &out[..],
            &[0, 3, 0, 1, 0, 0, 0, 3, 0, 1, 0x09, 0x29, 0x1A, 0x7C]
        );
    }

    #[test]
    fn text_that_is_not_a_number_is_rejected() {
        for bad in ["", "abc", "1.2.3", "1e5", "-", "."] {
            assert!(encode_decimal(bad, &mut BytesMut::new()).is_err(), "{bad}");
        }
    }
}
