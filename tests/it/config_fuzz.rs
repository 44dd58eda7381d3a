//! Fuzzing of the configuration with proptest: the threshold parser on arbitrary and
//! grammar-shaped text, and the scenario and thresholds loaders (the functions the CLI
//! uses) on random mutations of the shipped files: characters and lines deleted,
//! inserted, replaced, swapped, and bytes that are not UTF-8. Every input either loads
//! or is a configuration error (exit 2) whose message names the file; none panics.
//! Must not need a database.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use proptest::prelude::*;
use techspec_bench::config::{Metric, Scenario, load_scenarios, load_thresholds, parse_threshold};

/// Cases per threshold-parser property (two properties).
const PARSER_CASES: u32 = 12_000;
/// Cases per loader property (two properties).
const LOADER_CASES: u32 = 2_000;

const SHIPPED_SCENARIOS: &[&str] = &[
    include_str!("../../scenarios/queries.toml"),
    include_str!("../../scenarios/cross_schema.toml"),
    include_str!("../../scenarios/access_paths.toml"),
];
const SHIPPED_THRESHOLDS: &str = include_str!("../../thresholds.toml");

/// Pieces of the threshold grammar, and near misses, to build expressions from.
const THRESHOLD_TOKENS: &[&str] = &[
    "p95",
    "p99.9",
    "p50",
    "p9",
    "mean",
    "max",
    "min",
    "errors",
    "throughput",
    "erors",
    "<",
    "<=",
    ">",
    ">=",
    "==",
    "=",
    "=>",
    "!=",
    "!",
    "-",
    "+",
    "0",
    "5",
    "1.5",
    "1.",
    ".5",
    "1e9",
    "99999999999999999999999999",
    "ms",
    "us",
    "µs",
    "μs",
    "s",
    "/s",
    "sec",
    "µ",
    " ",
    "\t",
    ".",
    "",
    "\u{0}",
    "é",
];

/// Text inserted into scenario and thresholds files: TOML syntax, keys, odd values.
const TOML_SNIPPETS: &[&str] = &[
    "[[scenario]]",
    "[[scenario.step]]",
    "[defaults]",
    "[thresholds]",
    "[scenario.expect]",
    "name = \"x\"",
    "name = \"Bad Name\"",
    "sql = \"SELECT $1\"",
    "sql = \"INSERT INTO t VALUES ($1)\"",
    "sql = \"SELECT $99999999999999999999\"",
    "iterations = 0",
    "iterations = 99999999999999999999",
    "duration = \"-1s\"",
    "clients = 4294967296",
    "rate = inf",
    "rate = nan",
    "warmup = -1",
    "statement_timeout = \"99999999999 years\"",
    "transaction = \"commit\"",
    "params = [{ int = [9223372036854775807, -9223372036854775808] }]",
    "params = [{ float = [-1e308, 1e308] }]",
    "params = [{ captured = \"nope\" }]",
    "params = []",
    "capture = { ids = \"id\" }",
    "expect = { max_buffers = -1 }",
    "session_by_id = \"p95 < -1ms\"",
    "fk_insert = []",
    "metric = \"errors\"",
    "\"",
    "'''",
    "\"\"\"",
    "[",
    "]",
    "{",
    "=",
    "#",
    "\\",
    "\u{feff}",
    "\r",
];

/// Single characters that tend to break TOML or the grammars behind it.
const MUTATION_CHARS: &[char] = &[
    '"', '\'', '[', ']', '{', '}', '=', ',', '.', '#', '\n', '\\', '$', '0', '9', '-', 'x', ' ',
    'µ', '\u{0}', '\u{7f}', '\u{2028}',
];

/// A position or choice: reduced modulo the number of candidates when applied.
type Index = usize;

/// `slice[at % len]`.
fn pick<T: Copy>(at: Index, slice: &[T]) -> T {
    slice[at % slice.len()]
}

/// One edit of a file's text.
#[derive(Debug, Clone)]
enum Mutation {
    DeleteChars(Index, usize),
    InsertChar(Index, Index),
    ReplaceChar(Index, Index),
    InsertSnippet(Index, Index),
    DeleteLine(Index),
    DuplicateLine(Index),
    SwapLines(Index, Index),
    ReplaceLine(Index, Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<Index>(), 1usize..12).prop_map(|(at, n)| Mutation::DeleteChars(at, n)),
        (any::<Index>(), any::<Index>()).prop_map(|(at, c)| Mutation::InsertChar(at, c)),
        (any::<Index>(), any::<Index>()).prop_map(|(at, c)| Mutation::ReplaceChar(at, c)),
        (any::<Index>(), any::<Index>()).prop_map(|(at, s)| Mutation::InsertSnippet(at, s)),
        any::<Index>().prop_map(Mutation::DeleteLine),
        any::<Index>().prop_map(Mutation::DuplicateLine),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        (any::<Index>(), any::<Index>()).prop_map(|(at, s)| Mutation::ReplaceLine(at, s)),
    ]
}

/// Applies `mutation` to `text`; positions are chosen among the text's characters.
fn apply(text: &str, mutation: &Mutation) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let position = |at: &Index, len: usize| at % (len + 1);
    match mutation {
        Mutation::DeleteChars(at, n) => {
            let start = position(at, chars.len());
            let end = (start + n).min(chars.len());
            chars.drain(start..end);
        }
        Mutation::InsertChar(at, c) => {
            let at = position(at, chars.len());
            chars.insert(at, pick(*c, MUTATION_CHARS));
        }
        Mutation::ReplaceChar(at, c) if !chars.is_empty() => {
            let at = at % chars.len();
            chars[at] = pick(*c, MUTATION_CHARS);
        }
        Mutation::InsertSnippet(at, s) => {
            let at = position(at, chars.len());
            chars.splice(at..at, pick(*s, TOML_SNIPPETS).chars());
        }
        _ => return apply_to_lines(text, mutation),
    }
    chars.into_iter().collect()
}

fn apply_to_lines(text: &str, mutation: &Mutation) -> String {
    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    let len = lines.len();
    match mutation {
        Mutation::DeleteLine(at) => {
            lines.remove(at % len);
        }
        Mutation::DuplicateLine(at) => {
            let at = at % len;
            lines.insert(at, lines[at].clone());
        }
        Mutation::SwapLines(a, b) => lines.swap(a % len, b % len),
        Mutation::ReplaceLine(at, s) => lines[at % len] = pick(*s, TOML_SNIPPETS).to_string(),
        _ => {}
    }
    lines.join("\n")
}

/// A mutated file's bytes: the text edits, then maybe one byte that is not UTF-8.
fn mutated_bytes(original: &str, mutations: &[Mutation], bad_byte: Option<(Index, u8)>) -> Vec<u8> {
    let text = mutations
        .iter()
        .fold(original.to_string(), |text, m| apply(&text, m));
    let mut bytes = text.into_bytes();
    if let Some((at, byte)) = bad_byte {
        bytes.insert(at % (bytes.len() + 1), byte);
    }
    bytes
}

fn mutations() -> impl Strategy<Value = (Vec<Mutation>, Option<(Index, u8)>)> {
    (
        proptest::collection::vec(mutation(), 1..5),
        proptest::option::weighted(0.05, (any::<Index>(), 0x80u8..=0xff)),
    )
}

/// Writes `bytes` to a fresh `name` and hands its path to `check`.
fn with_file<T>(name: &str, bytes: &[u8], check: impl FnOnce(&Path) -> T) -> T {
    let dir = tempfile::tempdir().expect("temp dir");
    let path: PathBuf = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write fuzzed file");
    check(&path)
}

/// An error must be the configuration class and name the file it is about.
fn check_error<T>(path: &Path, result: techspec_bench::Result<T>) -> Result<(), TestCaseError> {
    if let Err(error) = result {
        let message = error.to_string();
        prop_assert_eq!(error.exit_code(), 2, "{}", message);
        prop_assert!(
            message.starts_with(&path.display().to_string())
                && message.len() > path.as_os_str().len() + 2,
            "the message does not name the file or says nothing: {}",
            message
        );
    }
    Ok(())
}

fn shipped_scenarios() -> &'static [Scenario] {
    static SCENARIOS: OnceLock<Vec<Scenario>> = OnceLock::new();
    SCENARIOS.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        load_scenarios(&[root.join("scenarios")]).expect("shipped scenarios load")
    })
}

fn metric() -> impl Strategy<Value = Metric> {
    proptest::sample::select(vec![
        Metric::P95,
        Metric::P999,
        Metric::Mean,
        Metric::Errors,
        Metric::Throughput,
    ])
}

/// A parsed threshold is sane (finite, non-negative limit) and its canonical text parses
/// back to itself; an error says something.
fn check_threshold(text: &str, default_metric: Metric) -> Result<(), TestCaseError> {
    match parse_threshold(text, default_metric) {
        Ok(expr) => {
            prop_assert!(expr.limit.is_finite() && expr.limit >= 0.0, "{:?}", expr);
            let again = parse_threshold(&expr.text, Metric::Max);
            prop_assert_eq!(again.as_ref(), Ok(&expr), "canonical text of {:?}", text);
        }
        Err(message) => prop_assert!(!message.trim().is_empty(), "empty error for {:?}", text),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(PARSER_CASES))]

    #[test]
    fn the_threshold_parser_survives_arbitrary_text(
        text in prop_oneof!["\\PC{0,40}", any::<String>()],
        default_metric in metric(),
    ) {
        check_threshold(&text, default_metric)?;
    }

    #[test]
    fn the_threshold_parser_survives_grammar_shaped_noise(
        tokens in proptest::collection::vec(proptest::sample::select(THRESHOLD_TOKENS), 0..8),
        default_metric in metric(),
    ) {
        check_threshold(&tokens.concat(), default_metric)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(LOADER_CASES))]

    #[test]
    fn the_scenario_loader_survives_mutated_shipped_files(
        file in any::<Index>(),
        (edits, bad_byte) in mutations(),
    ) {
        let original = pick(file, SHIPPED_SCENARIOS);
        let bytes = mutated_bytes(original, &edits, bad_byte);
        with_file("fuzzed.toml", &bytes, |path| check_error(path, load_scenarios(&[path.to_path_buf()])))?;
    }

    #[test]
    fn the_thresholds_loader_survives_mutated_shipped_files((edits, bad_byte) in mutations()) {
        let bytes = mutated_bytes(SHIPPED_THRESHOLDS, &edits, bad_byte);
        let scenarios = shipped_scenarios();
        with_file("thresholds.toml", &bytes, |path| check_error(path, load_thresholds(Some(path), scenarios)))?;
    }
}

#[test]
fn mutations_edit_characters_and_lines_as_named() {
    let first: Index = 0;
    assert_eq!(apply("ab\ncd", &Mutation::DeleteChars(first, 2)), "\ncd");
    assert_eq!(apply("ab\ncd", &Mutation::DeleteLine(first)), "cd");
    assert_eq!(
        apply("ab\ncd", &Mutation::DuplicateLine(first)),
        "ab\nab\ncd"
    );
    assert_eq!(apply("", &Mutation::ReplaceChar(first, first)), "");
    assert_eq!(mutated_bytes("ab", &[], Some((first, 0xff))), b"\xffab");
}
