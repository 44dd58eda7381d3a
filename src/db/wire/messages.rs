//! Backend messages of a lean connection: one reusable input buffer filled by blocking
//! reads, messages handed out as a tag and a body slice (no copy, no allocation for the
//! rows nobody reads), and the few bodies the tool looks into parsed by hand: errors,
//! data rows, row and parameter descriptions, ready-for-query. Must not write to the
//! socket nor decide what a message means for an iteration.

use std::io::{self, Read};
use std::ops::Range;

/// The input buffer starts this big and grows to hold the largest message seen.
const INITIAL: usize = 16 * 1024;

/// One backend message: its tag and where its body sits in the [`Inbox`].
#[derive(Debug, Clone)]
pub struct Message {
    pub tag: u8,
    body: Range<usize>,
}

/// The bytes read from the server and not yet handed out.
pub struct Inbox {
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl Default for Inbox {
    fn default() -> Self {
        Inbox {
            buf: vec![0; INITIAL],
            start: 0,
            end: 0,
        }
    }
}

impl Inbox {
    /// The next whole message, reading from `source` as needed. The body of the message
    /// returned before is no longer valid. A closed socket is `UnexpectedEof`.
    pub fn next(&mut self, source: &mut impl Read) -> io::Result<Message> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        loop {
            let have = self.end - self.start;
            if have >= 5 {
                let at = self.start;
                let len = i32::from_be_bytes([
                    self.buf[at + 1],
                    self.buf[at + 2],
                    self.buf[at + 3],
                    self.buf[at + 4],
                ]);
                let total = usize::try_from(len)
                    .ok()
                    .filter(|&n| n >= 4)
                    .ok_or_else(|| invalid("a message length below 4"))?
                    + 1;
                if have >= total {
                    self.start += total;
                    return Ok(Message {
                        tag: self.buf[at],
                        body: at + 5..at + total,
                    });
                }
                self.make_room(total);
            } else {
                self.make_room(5);
            }
            let read = source.read(&mut self.buf[self.end..])?;
            if read == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the server closed the connection",
                ));
            }
            self.end += read;
        }
    }

    /// The body of `message` (valid until the next call to [`Inbox::next`]).
    pub fn body(&self, message: &Message) -> &[u8] {
        &self.buf[message.body.clone()]
    }

    /// True when bytes of a further message are already buffered.
    pub fn has_pending(&self) -> bool {
        self.start < self.end
    }

    /// Room for a message of `total` bytes from `start`, and for reading more.
    fn make_room(&mut self, total: usize) {
        if self.start > 0 && self.buf.len() - self.start < total.max(INITIAL / 2) {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.buf.len() - self.start < total {
            self.buf.resize(self.start + total, 0);
        }
        if self.end == self.buf.len() {
            self.buf.resize(self.buf.len() * 2, 0);
        }
    }
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("invalid message from the server: {what}"),
    )
}

/// An ErrorResponse (or a FATAL one ending the connection).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerError {
    pub severity: String,
    pub code: String,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
}

impl ServerError {
    /// Parses an ErrorResponse or NoticeResponse body: fields of a type byte and a
    /// NUL-terminated string, up to a NUL.
    pub fn parse(body: &[u8]) -> io::Result<ServerError> {
        let mut error = ServerError::default();
        let mut rest = body;
        while let Some((&kind, tail)) = rest.split_first() {
            if kind == 0 {
                break;
            }
            let (value, tail) = cstr(tail)?;
            match kind {
                b'V' => error.severity = value,
                b'S' if error.severity.is_empty() => error.severity = value,
                b'C' => error.code = value,
                b'M' => error.message = value,
                b'D' => error.detail = Some(value),
                b'H' => error.hint = Some(value),
                _ => {}
            }
            rest = tail;
        }
        Ok(error)
    }

    /// "<message> (SQLSTATE <code>); detail: ...; hint: ..." as for driver errors.
    pub fn describe(&self) -> String {
        crate::error::format_server_error(
            &self.message,
            &self.code,
            self.detail.as_deref(),
            self.hint.as_deref(),
        )
    }

    /// True when the server ends the session with this error: a FATAL or PANIC error,
    /// a connection exception (class 08), or a shutdown (57P01, 57P02, 57P03).
    pub fn ends_connection(&self) -> bool {
        matches!(self.severity.as_str(), "FATAL" | "PANIC")
            || self.code.starts_with("08")
            || matches!(self.code.as_str(), "57P01" | "57P02" | "57P03")
    }
}

/// A NUL-terminated string and what follows it.
fn cstr(bytes: &[u8]) -> io::Result<(String, &[u8])> {
    let end = bytes
        .iter()
        .position(|&b| b == 0)
        .ok_or_else(|| invalid("an unterminated string"))?;
    Ok((
        String::from_utf8_lossy(&bytes[..end]).into_owned(),
        &bytes[end + 1..],
    ))
}

fn u16_at(bytes: &[u8], at: usize) -> io::Result<u16> {
    bytes
        .get(at..at + 2)
        .map(|b| u16::from_be_bytes([b[0], b[1]]))
        .ok_or_else(|| invalid("a short message"))
}

fn u32_at(bytes: &[u8], at: usize) -> io::Result<u32> {
    bytes
        .get(at..at + 4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| invalid("a short message"))
}

/// The columns of a DataRow body: each value's bytes, `None` for NULL.
pub fn data_row(body: &[u8]) -> io::Result<Vec<Option<&[u8]>>> {
    let count = usize::from(u16_at(body, 0)?);
    let mut at = 2;
    let mut columns = Vec::with_capacity(count);
    for _ in 0..count {
        let len = u32_at(body, at)? as i32;
        at += 4;
        if len < 0 {
            columns.push(None);
            continue;
        }
        let end = at + len as usize;
        columns.push(Some(
            body.get(at..end).ok_or_else(|| invalid("a short row"))?,
        ));
        at = end;
    }
    Ok(columns)
}

/// The (name, type oid) of each column of a RowDescription body.
pub fn row_description(body: &[u8]) -> io::Result<Vec<(String, u32)>> {
    let count = usize::from(u16_at(body, 0)?);
    let mut rest = &body[2..];
    let mut columns = Vec::with_capacity(count);
    for _ in 0..count {
        let (name, tail) = cstr(rest)?;
        // table oid (4), column number (2), type oid (4), size (2), modifier (4), format (2)
        let oid = u32_at(tail, 6)?;
        rest = tail
            .get(18..)
            .ok_or_else(|| invalid("a short row description"))?;
        columns.push((name, oid));
    }
    Ok(columns)
}

/// The type oid of each parameter of a ParameterDescription body.
pub fn parameter_description(body: &[u8]) -> io::Result<Vec<u32>> {
    let count = usize::from(u16_at(body, 0)?);
    (0..count).map(|i| u32_at(body, 2 + 4 * i)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        out.extend_from_slice(&(body.len() as i32 + 4).to_be_bytes());
        out.extend_from_slice(body);
        out
    }

    /// Hands out its bytes a few at a time, as a socket may.
    struct Trickle(Vec<u8>, usize);

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(3).min(self.0.len() - self.1);
            buf[..n].copy_from_slice(&self.0[self.1..self.1 + n]);
            self.1 += n;
            Ok(n)
        }
    }

    #[test]
    fn messages_split_across_reads_and_larger_than_the_buffer_come_out_whole() {
        let big = vec![7u8; INITIAL * 3];
        let mut bytes = message(b'D', b"\x00\x01\x00\x00\x00\x01x");
        bytes.extend(message(b'X', &big));
        bytes.extend(message(b'Z', b"I"));
        let mut source = Trickle(bytes, 0);
        let mut inbox = Inbox::default();
        let row = inbox.next(&mut source).unwrap();
        assert_eq!(row.tag, b'D');
        assert_eq!(data_row(inbox.body(&row)).unwrap(), vec![Some(&b"x"[..])]);
        let large = inbox.next(&mut source).unwrap();
        assert_eq!((large.tag, inbox.body(&large).len()), (b'X', big.len()));
        let ready = inbox.next(&mut source).unwrap();
        assert_eq!((ready.tag, inbox.body(&ready)), (b'Z', &b"I"[..]));
        assert!(!inbox.has_pending());
        let closed = inbox.next(&mut source).unwrap_err();
        assert_eq!(closed.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn a_length_below_four_is_invalid_data() {
        let mut source = Trickle(vec![b'Z', 0, 0, 0, 2], 0);
        let error = Inbox::default().next(&mut source).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn errors_read_like_driver_errors_and_know_when_they_end_the_connection() {
        let body = b"SERROR\0VERROR\0C25006\0Mcannot execute nextval() in a read-only transaction\0Hsome hint\0\0";
        let error = ServerError::parse(body).unwrap();
        assert_eq!(
            error.describe(),
            "cannot execute nextval() in a read-only transaction (SQLSTATE 25006); hint: some hint"
        );
        assert!(!error.ends_connection());
        let fatal = ServerError::parse(b"SFATAL\0C57P01\0Mterminating connection\0\0").unwrap();
        assert!(fatal.ends_connection());
        let class08 = ServerError::parse(b"SERROR\0C08P01\0Mprotocol violation\0\0").unwrap();
        assert!(class08.ends_connection());
    }

    #[test]
    fn descriptions_and_rows_parse() {
        let mut body = vec![0, 2];
        for (name, oid) in [("id", 23u32), ("name", 25)] {
            body.extend_from_slice(name.as_bytes());
            body.push(0);
            body.extend_from_slice(&[0; 6]);
            body.extend_from_slice(&oid.to_be_bytes());
            body.extend_from_slice(&[0; 8]);
        }
        assert_eq!(
            row_description(&body).unwrap(),
            vec![("id".to_string(), 23), ("name".to_string(), 25)]
        );
        assert_eq!(
            parameter_description(&[0, 2, 0, 0, 0, 23, 0, 0, 0, 25]).unwrap(),
            vec![23, 25]
        );
        let row = [0, 2, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, b'a'];
        assert_eq!(data_row(&row).unwrap(), vec![None, Some(&b"a"[..])]);
        assert!(data_row(&[0, 1, 0, 0, 0, 9, b'a']).is_err());
    }
}
