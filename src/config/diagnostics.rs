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
        self.toml_error_hinted(error, "change this value to the type the message names")
    }

    /// Like `toml_error`; `wrong_type_hint` answers a value of the wrong type under a key
    /// that has no built-in example (a scenario name in a thresholds file).
    pub fn toml_error_hinted(&self, error: &toml::de::Error, wrong_type_hint: &str) -> Error {
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
                let hint = self.toml_hint(&message, span.start, wrong_type_hint);
                self.error_at(span, &message, &hint)
            }
        }
    }

    /// How to fix a TOML error that is not an unknown key: the missing key to add, an
    /// example of the key whose value has the wrong type, or the TOML basics.
    fn toml_hint(&self, message: &str, offset: usize, wrong_type_hint: &str) -> String {
        if let Some(rest) = message.strip_prefix("missing field `") {
            return format!("add `{}` to this table", rest.trim_end_matches('`'));
        }
        if message.starts_with("duplicate key") {
            return "a key may appear once per table: remove or rename one of them".to_string();
        }
        let shape_error = [
            "invalid type:",
            "invalid value:",
            "invalid length",
            "integer `",
        ]
        .iter()
        .any(|prefix| message.starts_with(prefix));
        if !shape_error {
            return "fix the TOML syntax at this position: key = value, strings in \"double quotes\", lists in [brackets]; integers fit in 64 bits".to_string();
        }
        match key_before(&self.text, offset).and_then(example_of) {
            Some(example) => format!("write e.g. {example}"),
            None => wrong_type_hint.to_string(),
        }
    }
}

/// serde names Rust types ("expected i64"); say what to write instead.
fn readable_types(message: &str) -> String {
    if let Some(number) = message
        .strip_prefix("invalid type: integer `")
        .and_then(|rest| rest.split_once("` as i128"))
        .map(|(number, _)| number)
    {
        return format!(
            "integer `{number}` is too large: integers here are at most {}",
            i64::MAX
        );
    }
    message
        .replace("expected i64", "expected an integer")
        .replace("expected u64", "expected an integer >= 0")
        .replace("expected f64", "expected a number")
        .replace("a sequence", "a list [...]")
        .replace("invalid type: sequence", "invalid type: list")
        .replace("a map", "a table { ... }")
        .replace("invalid type: map", "invalid type: table")
}

/// An example of each configuration key, for values of the wrong type.
const KEY_EXAMPLES: &[(&str, &str)] = &[
    ("iterations", "iterations = 1000"),
    ("duration", "duration = \"10s\""),
    ("budget", "budget = \"300ms\""),
    ("warmup", "warmup = 100"),
    ("clients", "clients = 4"),
    ("rate", "rate = 100"),
    ("statement_timeout", "statement_timeout = \"5s\""),
    ("name", "name = \"session_by_id\""),
    (
        "description",
        "description = \"One session by primary key\"",
    ),
    ("sql", "sql = \"SELECT * FROM t WHERE id = $1\""),
    ("params", "params = [{ int = [1, 100] }]"),
    ("transaction", "transaction = \"rollback\""),
    ("expect", "expect = { index = \"tech_spec_sessions_pkey\" }"),
    ("capture", "capture = { ids = \"id\" }"),
    ("value", "value = 7"),
    ("int", "int = [1, 100]"),
    ("float", "float = [0.5, 2.5]"),
    ("choice", "choice = [\"pending\", \"failed\"]"),
    ("uuid", "uuid = \"v4\""),
    ("sample", "sample = \"SELECT id FROM t\""),
    ("captured", "captured = \"ids\""),
    ("dist", "dist = \"zipf\""),
    ("s", "s = 1.1"),
    ("index", "index = \"tech_spec_sessions_pkey\""),
    ("indexes", "indexes = [\"a_idx\", \"b_idx\"]"),
    ("any_index_on", "any_index_on = [\"shared.design_jobs\"]"),
    ("no_seq_scan", "no_seq_scan = true"),
    ("node", "node = \"Index Only Scan\""),
    ("max_buffers", "max_buffers = 10"),
    ("max_row_estimate_error", "max_row_estimate_error = 10"),
    ("metric", "metric = \"p95\""),
    ("defaults", "[defaults]"),
    ("scenario", "[[scenario]]"),
    ("step", "[[scenario.step]]"),
    ("thresholds", "[thresholds]"),
];

fn example_of(key: &str) -> Option<&'static str> {
    KEY_EXAMPLES
        .iter()
        .find(|(known, _)| *known == key)
        .map(|(_, example)| *example)
}

/// The key whose value starts at `offset` (`key = value`, the last part of a dotted key).
fn key_before(text: &str, offset: usize) -> Option<&str> {
    let before = text.get(..offset)?.trim_end().strip_suffix('=')?.trim_end();
    let start = before
        .trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        .len();
    let key = &before[start..];
    (!key.is_empty()).then_some(key)
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
fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
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
    fn a_wrong_type_is_answered_with_an_example_of_its_key() {
        let source = SourceText {
            name: "s.toml".into(),
            text: "[x]\nclients = \"4\"\n".into(),
        };
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Shape {
            x: Inner,
        }
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Inner {
            clients: i64,
        }
        let error = toml::from_str::<Shape>(&source.text).unwrap_err();
        let message = source.toml_error(&error).to_string();
        assert!(
            message.starts_with("s.toml:2:11: invalid type"),
            "{message}"
        );
        assert!(
            message.contains("help: write e.g. clients = 4"),
            "{message}"
        );
        assert_eq!(key_before("a.b = 1", 6), Some("b"));
        assert_eq!(key_before("a = [1, 2]", 5), None);
        assert_eq!(key_before("µ = 1", 5), None);
        assert_eq!(key_before("x", 9), None);
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
