//! A small SQL lexer for validation: the highest `$n` placeholder and the keywords,
//! skipping string literals, quoted identifiers, dollar quotes and comments.
//! Must not parse SQL structure or decide what a query does beyond its keywords.

/// What the lexer found in one statement.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SqlScan {
    /// The highest `$n` (0 when there is none).
    pub max_placeholder: usize,
    /// True when a `$0` appears (PostgreSQL numbers parameters from 1).
    pub has_placeholder_zero: bool,
    /// Bare words, upper-cased, in order.
    pub keywords: Vec<String>,
    /// Each `$n` outside literals and comments: its byte range in the statement and n.
    pub placeholders: Vec<(std::ops::Range<usize>, usize)>,
}

/// Statements that change data.
const WRITE_KEYWORDS: &[&str] = &["INSERT", "UPDATE", "DELETE", "MERGE", "TRUNCATE"];

impl SqlScan {
    /// Lexes `sql`; unterminated literals or comments simply end the scan.
    pub fn of(sql: &str) -> SqlScan {
        let mut scan = SqlScan::default();
        let chars: Vec<char> = sql.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            i = scan.step(&chars, i);
        }
        scan
    }

    /// Consumes one token starting at `i`; returns the index after it.
    fn step(&mut self, chars: &[char], i: usize) -> usize {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            '-' if next == Some('-') => skip_until_newline(chars, i),
            '/' if next == Some('*') => skip_block_comment(chars, i),
            '\'' => skip_quoted(chars, i + 1, '\'', escapes_backslash(chars, i)),
            '"' => skip_quoted(chars, i + 1, '"', false),
            '$' if next.is_some_and(|d| d.is_ascii_digit()) => self.placeholder(chars, i + 1),
            '$' => skip_dollar_quote(chars, i),
            c if c.is_alphabetic() || c == '_' => self.word(chars, i),
            _ => i + 1,
        }
    }

    fn placeholder(&mut self, chars: &[char], start: usize) -> usize {
        let end = advance_while(chars, start, |c| c.is_ascii_digit());
        let digits: String = chars[start..end].iter().collect();
        match digits.parse::<usize>() {
            Ok(0) => self.has_placeholder_zero = true,
            Ok(n) => {
                self.max_placeholder = self.max_placeholder.max(n);
                let byte = |at: usize| chars[..at].iter().map(|c| c.len_utf8()).sum::<usize>();
                let from = byte(start - 1);
                self.placeholders.push((from..from + 1 + digits.len(), n));
            }
            Err(_) => self.max_placeholder = usize::MAX,
        }
        end
    }

    fn word(&mut self, chars: &[char], start: usize) -> usize {
        let end = advance_while(chars, start, |c| {
            c.is_alphanumeric() || c == '_' || c == '$'
        });
        let word: String = chars[start..end].iter().collect();
        self.keywords.push(word.to_uppercase());
        end
    }

    /// True when the statement visibly changes data: it starts with INSERT/UPDATE/DELETE/
    /// MERGE/TRUNCATE, or is a WITH whose body holds one of them (`FOR UPDATE` locks do not
    /// count). Only an early, friendly configuration error: writes it cannot see (functions,
    /// `nextval()`, DDL) are stopped by the read-only connections of `bench` and `explain`.
    pub fn is_write(&self) -> bool {
        let Some(first) = self.keywords.first() else {
            return false;
        };
        if WRITE_KEYWORDS.contains(&first.as_str()) {
            return true;
        }
        first == "WITH"
            && self.keywords.iter().enumerate().any(|(index, word)| {
                let previous = index.checked_sub(1).map(|p| self.keywords[p].as_str());
                WRITE_KEYWORDS.contains(&word.as_str())
                    && !(word == "UPDATE" && matches!(previous, Some("FOR" | "KEY")))
            })
    }
}

fn advance_while(chars: &[char], mut i: usize, keep: impl Fn(char) -> bool) -> usize {
    while i < chars.len() && keep(chars[i]) {
        i += 1;
    }
    i
}

fn skip_until_newline(chars: &[char], i: usize) -> usize {
    advance_while(chars, i, |c| c != '\n')
}

/// Skips a `/* ... */` comment; PostgreSQL nests them.
fn skip_block_comment(chars: &[char], mut i: usize) -> usize {
    let mut depth = 0usize;
    while i < chars.len() {
        if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
            depth += 1;
            i += 2;
        } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    i
}

/// `E'...'` strings take backslash escapes.
fn escapes_backslash(chars: &[char], quote: usize) -> bool {
    quote > 0
        && matches!(chars[quote - 1], 'e' | 'E')
        && (quote < 2 || !(chars[quote - 2].is_alphanumeric() || chars[quote - 2] == '_'))
}

/// Skips to after the closing `quote`; a doubled quote is an escaped one.
fn skip_quoted(chars: &[char], mut i: usize, quote: char, backslash: bool) -> usize {
    while i < chars.len() {
        let escaped_backslash = backslash && chars[i] == '\\';
        let doubled_quote = chars[i] == quote && chars.get(i + 1) == Some(&quote);
        if escaped_backslash || doubled_quote {
            i += 2;
        } else if chars[i] == quote {
            return i + 1;
        } else {
            i += 1;
        }
    }
    i
}

/// Skips `$tag$ ... $tag$` (or `$$ ... $$`); a lone `$` is skipped by itself.
fn skip_dollar_quote(chars: &[char], start: usize) -> usize {
    let tag_end = advance_while(chars, start + 1, |c| c.is_alphanumeric() || c == '_');
    if chars.get(tag_end) != Some(&'$') {
        return start + 1;
    }
    let tag = &chars[start..=tag_end];
    let mut i = tag_end + 1;
    while i + tag.len() <= chars.len() {
        if &chars[i..i + tag.len()] == tag {
            return i + tag.len();
        }
        i += 1;
    }
    chars.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn highest(sql: &str) -> usize {
        SqlScan::of(sql).max_placeholder
    }

    #[test]
    fn counts_the_highest_placeholder() {
        assert_eq!(highest("SELECT 1"), 0);
        assert_eq!(highest("SELECT * FROM t WHERE a = $1 AND b = $2"), 2);
        assert_eq!(highest("SELECT $3, $1"), 3);
        assert_eq!(highest("SELECT * FROM t WHERE id = ($1::uuid[])[7]"), 1);
        assert_eq!(highest("SELECT $10"), 10);
    }

    #[test]
    fn ignores_placeholders_in_literals_identifiers_and_comments() {
        assert_eq!(highest("SELECT '$2', $1"), 1);
        assert_eq!(highest("SELECT 'it''s $5', $1"), 1);
        assert_eq!(highest("SELECT E'\\' $4', $1"), 1);
        assert_eq!(highest("SELECT \"col$3\", $1"), 1);
        assert_eq!(highest("SELECT $1 -- and $9\n"), 1);
        assert_eq!(highest("SELECT /* $7 /* nested $8 */ $6 */ $1"), 1);
        assert_eq!(highest("SELECT $$ $5 $$, $body$ $6 $body$, $2"), 2);
        assert_eq!(highest("SELECT a$1 FROM t"), 0);
    }

    #[test]
    fn flags_placeholder_zero() {
        assert!(SqlScan::of("SELECT $0").has_placeholder_zero);
        assert!(!SqlScan::of("SELECT $10").has_placeholder_zero);
    }

    #[test]
    fn unterminated_text_does_not_panic() {
        for sql in ["SELECT '", "SELECT \"", "/*", "$tag$ x", "E'\\", "$", "--"] {
            let _ = SqlScan::of(sql);
        }
    }

    #[test]
    fn recognises_write_statements() {
        for sql in [
            "INSERT INTO t VALUES ($1)",
            "  update t SET a = 1",
            "-- comment\nDELETE FROM t",
            "MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE",
            "TRUNCATE t",
            "WITH gone AS (DELETE FROM t RETURNING id) SELECT count(*) FROM gone",
        ] {
            assert!(SqlScan::of(sql).is_write(), "{sql}");
        }
    }

    #[test]
    fn reads_are_not_writes() {
        for sql in [
            "SELECT * FROM t",
            "SELECT 'DELETE' FROM t",
            "SELECT \"update\" FROM t",
            "WITH x AS (SELECT 1) SELECT * FROM x",
            "WITH x AS (SELECT id FROM t FOR UPDATE) SELECT * FROM x",
            "WITH x AS (SELECT id FROM t FOR NO KEY UPDATE) SELECT * FROM x",
            "",
        ] {
            assert!(!SqlScan::of(sql).is_write(), "{sql}");
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_sql_never_panics(sql in "[$'\"a-zE0-9/*\\\\ \n-]{0,40}") {
            let _ = SqlScan::of(&sql).is_write();
        }
    }
}
