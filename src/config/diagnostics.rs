//! Configuration error messages: `file:line:column`, the source line with a caret,
//! did-you-mean suggestions, and TOML/serde errors rewritten into that form.
//! Must not decide what is valid: callers validate, this only words the message.

use std::ops::Range;

use crate::Error;

/// One configuration file's name (as shown to the user) and its text.
#[derive(Debug, Clone)]
pub struct SourceText {
    /// As given, or `<built-in>/queries.toml`.
    pub name: String,
    pub text: String,
}

impl SourceText {
    /// A configuration error at byte `span` of this file: "file:line:col: message",
    /// then the line with a caret, then the hint on how to fix it.
    pub fn error_at(&self, span: Range<usize>, message: &str, hint: &str) -> Error {
        let (line, column) = line_column(&self.text, span.start);
        let mut text = format!("{}:{line}:{column}: {message}", self.name);
        text.push_str(&snippet(&self.text, span, line, column));
        if !hint.is_empty() {
            text.push_str(&format!("\n  = help: {hint}"));
        }
        Error::config(text)
    }

    /// "file:line:column" of a byte offset, for messages naming a second place.
    pub fn position(&self, offset: usize) -> String {
        let (line, column) = line_column(&self.text, offset);
        format!("{}:{line}:{column}", self.name)
    }

    /// A TOML syntax or shape error, with a did-you-mean when it is an unknown key.
    pub fn toml_error(&self, error: &toml::de::Error) -> Error {
        let span = error.span().unwrap_or(0..0);
        let message = error.message().trim_end();
        match unknown_field(message) {
            Some((key, allowed)) => {
                let suggestion = did_you_mean(&key, allowed.iter().map(String::as_str));
                let hint = format!(
                    "{}allowed keys here: {}",
                    suggestion
                        .map(|s| format!("did you mean `{s}`? "))
                        .unwrap_or_default(),
                    if allowed.is_empty() {
                        "none".to_string()
                    } else {
                        allowed.join(", ")
                    }
                );
                let what = format!(
                    "unknown key `{key}` (unknown keys are errors so a typo never switches a check off)"
                );
                self.error_at(span, &what, &hint)
            }
            None => {
                let message = readable_types(message);
                let hint = match message.strip_prefix("missing field `") {
                    Some(rest) => format!("add `{}` to this table", rest.trim_end_matches('`')),
                    None => "fix the TOML at this position".to_string(),
                };
                self.error_at(span, &message, &hint)
            }
        }
    }
}

/// serde names Rust types ("expected i64"); say what to write instead.
fn readable_types(message: &str) -> String {
    message
        .replace("expected i64", "expected an integer")
        .replace("expected u64", "expected an integer >= 0")
        .replace("expected f64", "expected a number")
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The source line of `span` with carets under it, rustc style.
fn snippet(text: &str, span: Range<usize>, line: usize, column: usize) -> String {
    let Some(source_line) = text.lines().nth(line - 1) else {
        return String::new();
    };
    let start = floor_char_boundary(text, span.start.min(text.len()));
    let end = floor_char_boundary(text, span.end.min(text.len())).max(start);
    let on_line = text[start..end].lines().next().unwrap_or("");
    let width = on_line.chars().count().max(1);
    let gutter = " ".repeat(line.to_string().len());
    format!(
        "\n{gutter} |\n{line} | {source_line}\n{gutter} | {}{}",
        " ".repeat(column - 1),
        "^".repeat(width)
    )
}

/// The closest candidate to `word`, when one is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(word, candidate), candidate))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate.to_string())
}

/// ", did you mean `x`?" or nothing: for appending to a sentence.
pub fn suggestion_suffix<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    did_you_mean(word, candidates)
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default()
}

/// Parses serde's "unknown field `x`, expected one of `a`, `b`" into the key and the
/// allowed keys.
fn unknown_field(message: &str) -> Option<(String, Vec<String>)> {
    let rest = message.strip_prefix("unknown field `")?;
    let (key, rest) = rest.split_once('`')?;
    let allowed = rest
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    Some((key.to_string(), allowed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_from_one_and_in_characters() {
        let text = "a = 1\nµb = 2\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        assert_eq!(line_column(text, 8), (2, 2));
        assert_eq!(line_column(text, 1000), (3, 1));
    }

    #[test]
    fn did_you_mean_finds_typos_and_ignores_unrelated_words() {
        let keys = ["index", "indexes", "expect", "name"];
        assert_eq!(did_you_mean("expct", keys).as_deref(), Some("expect"));
        assert_eq!(did_you_mean("indexs", keys).as_deref(), Some("indexes"));
        assert_eq!(did_you_mean("zzz", keys), None);
    }

    #[test]
    fn unknown_field_message_is_parsed_into_key_and_allowed_keys() {
        let parsed = unknown_field("unknown field `expct`, expected one of `name`, `expect`");
        assert_eq!(
            parsed,
            Some((
                "expct".to_string(),
                vec!["name".to_string(), "expect".to_string()]
            ))
        );
        let single = unknown_field("unknown field `indx`, expected `index`");
        assert_eq!(
            single,
            Some(("indx".to_string(), vec!["index".to_string()]))
        );
        assert_eq!(unknown_field("missing field `sql`"), None);
    }

    #[test]
    fn shape_errors_are_worded_for_a_toml_writer() {
        let source = SourceText {
            name: "s.toml".into(),
            text: "n = \"10\"\n".into(),
        };
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Shape {
            n: i64,
            m: Option<i64>,
        }
        let error = toml::from_str::<Shape>(&source.text).unwrap_err();
        let message = source.toml_error(&error).to_string();
        assert!(
            message.starts_with("s.toml:1:5: invalid type: string \"10\", expected an integer"),
            "{message}"
        );
        let missing = toml::from_str::<Shape>("m = 1").unwrap_err();
        let message = source.toml_error(&missing).to_string();
        assert!(
            message.contains("missing field `n`") && message.contains("add `n` to this table"),
            "{message}"
        );
    }

    #[test]
    fn error_at_names_file_line_column_and_draws_the_line() {
        let source = SourceText {
            name: "s.toml".into(),
            text: "x = 1\nname = \"A\"\n".into(),
        };
        let message = source
            .error_at(13..16, "bad name", "use lowercase")
            .to_string();
        assert!(message.starts_with("s.toml:2:8: bad name"), "{message}");
        assert!(message.contains("2 | name = \"A\""), "{message}");
        assert!(message.contains("|        ^^^"), "{message}");
        assert!(message.contains("help: use lowercase"), "{message}");
    }
}
