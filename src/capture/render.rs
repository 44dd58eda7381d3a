//! The scenario file `capture` writes: a header saying where and when the statements were
//! captured, then one `[[scenario]]` per statement with its share of calls and time as a
//! comment, its SQL, one generator per `$n` (each with a comment saying why), `transaction =
//! "rollback"` for a write, and the `expect` its current plans support. Placeholders are
//! `{ todo = "..." }` entries, which `check` refuses until they are replaced.
//! Pure: must not query or write files.

use std::fmt::Write as _;

use super::expect::PlanEvidence;
use super::infer::{Guess, Source};
use super::lex::needs_quotes;
use super::shape::TableName;
use super::statements::{Candidate, RankBy, Skipped};
use crate::config::{Expectations, IntDist, ParamGen};

/// Rows a sample query reads at most (as the shipped scenarios do).
pub const SAMPLE_ROWS: u32 = 1000;
/// `LIMIT $n` draws from this range: the value the application used is not recorded.
pub const LIMIT_RANGE: [i64; 2] = [1, 100];
/// `OFFSET $n` draws from this range.
pub const OFFSET_RANGE: [i64; 2] = [0, 100];
/// The values of an array sample come in groups of about this many.
const ARRAY_GROUPS: u32 = 100;

/// What the plan check of a statement found, or why there is none.
#[derive(Debug, Clone, PartialEq)]
pub enum PlanNote {
    Derived(PlanEvidence),
    /// No `expect`: why (a write on a read-only connection, a placeholder, an error).
    None(String),
}

/// One statement, ready to render.
#[derive(Debug, Clone, PartialEq)]
pub struct Captured {
    pub name: String,
    pub candidate: Candidate,
    pub guesses: Vec<Guess>,
    pub write: bool,
    pub plan: PlanNote,
}

/// What the header says.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// The database, without password.
    pub source: String,
    /// RFC 3339.
    pub taken_at: String,
    pub by: RankBy,
    pub recorded: usize,
    pub eligible: usize,
    pub skipped: Skipped,
}

/// The whole file.
pub fn render(header: &Header, statements: &[Captured]) -> String {
    let mut out = header_text(header, statements);
    for (rank, statement) in statements.iter().enumerate() {
        out.push('\n');
        out.push_str(&scenario_text(rank + 1, statement));
    }
    out
}

fn header_text(header: &Header, statements: &[Captured]) -> String {
    let by = match header.by {
        RankBy::Total => "total execution time",
        RankBy::Calls => "calls",
        RankBy::Mean => "mean execution time",
    };
    let s = header.skipped;
    let todos: usize = statements
        .iter()
        .map(|c| c.guesses.iter().filter(|g| g.is_todo()).count())
        .sum();
    let mut out = format!(
        "# Captured by `techspec-bench capture` from pg_stat_statements of {}\n\
         # at {}: the top {} statements by {by}, of {} eligible ({} recorded; left out: {} \
         the tool's own, {} utility, {} catalog or no table, {} unparsable, {} with too few calls).\n\
         # Shares are of all the calls and execution time recorded for this database.\n",
        header.source,
        header.taken_at,
        statements.len(),
        header.eligible,
        header.recorded,
        s.tool,
        s.utility,
        s.catalog,
        s.unparsable,
        s.few_calls
    );
    if todos > 0 {
        out.push_str(&format!(
            "# {todos} parameter(s) could not be inferred from the SQL and are `todo` placeholders:\n\
             # replace each with a generator (value, int, float, choice, uuid, sample); `techspec-bench\n\
             # check --scenarios FILE` names every one that is left.\n"
        ));
    }
    out
}

fn scenario_text(rank: usize, statement: &Captured) -> String {
    let c = &statement.candidate;
    let mut out = format!(
        "# {rank}. queryid {}: {:.1}% of calls, {:.1}% of execution time ({} calls, mean {})\n",
        c.queryid,
        c.share_of_calls * 100.0,
        c.share_of_time * 100.0,
        c.calls,
        crate::report::units::format_latency_us(c.mean_ms() * 1000.0)
    );
    out.push_str("[[scenario]]\n");
    let _ = writeln!(out, "name = {}", toml_string(&statement.name));
    let _ = writeln!(out, "sql = {}", toml_string(&c.sql));
    if !statement.guesses.is_empty() {
        out.push_str("params = [\n");
        for (index, guess) in statement.guesses.iter().enumerate() {
            let _ = writeln!(out, "  {},  # {}", generator(guess), why(index + 1, guess));
        }
        out.push_str("]\n");
    }
    if statement.write {
        out.push_str("transaction = \"rollback\"  # it writes: every iteration is rolled back\n");
    }
    out.push_str(&expect_text(&statement.plan));
    out
}

/// The generator a guess stands for; `None` for a placeholder.
pub fn param_gen(guess: &Guess) -> Option<ParamGen> {
    let int = |[low, high]: [i64; 2]| ParamGen::Int {
        low,
        high,
        dist: IntDist::Uniform,
    };
    match guess {
        Guess::Sample(source) => Some(ParamGen::Sample(sample_sql(source))),
        Guess::ArraySample(source) => Some(ParamGen::Sample(array_sample_sql(source))),
        Guess::Limit => Some(int(LIMIT_RANGE)),
        Guess::Offset => Some(int(OFFSET_RANGE)),
        Guess::NewUuid => Some(ParamGen::Uuid),
        Guess::Todo(_) => None,
    }
}

/// The TOML of one generator.
pub fn generator(guess: &Guess) -> String {
    match guess {
        Guess::Sample(source) => format!("{{ sample = {} }}", toml_string(&sample_sql(source))),
        Guess::ArraySample(source) => {
            format!("{{ sample = {} }}", toml_string(&array_sample_sql(source)))
        }
        Guess::Limit => format!("{{ int = [{}, {}] }}", LIMIT_RANGE[0], LIMIT_RANGE[1]),
        Guess::Offset => format!("{{ int = [{}, {}] }}", OFFSET_RANGE[0], OFFSET_RANGE[1]),
        Guess::NewUuid => "{ uuid = \"v4\" }".to_string(),
        Guess::Todo(text) => format!("{{ todo = {} }}", toml_string(text)),
    }
}

/// The comment after a generator.
fn why(param: usize, guess: &Guess) -> String {
    match guess {
        Guess::Sample(s) => format!("${param}: values of {}.{}", s.table.display(), s.column),
        Guess::ArraySample(s) => format!(
            "${param}: = ANY of {}.{} values (arrays of about {} values)",
            s.table.display(),
            s.column,
            SAMPLE_ROWS / ARRAY_GROUPS
        ),
        Guess::Limit => format!("${param}: LIMIT (the application's value is not recorded)"),
        Guess::Offset => format!("${param}: OFFSET (the application's value is not recorded)"),
        Guess::NewUuid => format!("${param}: a new value for a unique uuid column"),
        Guess::Todo(_) => format!("${param}: fill in"),
    }
}

/// `SELECT [DISTINCT] c FROM t WHERE c IS NOT NULL ORDER BY 1 LIMIT 1000`.
pub fn sample_sql(source: &Source) -> String {
    let column = ident(&source.column);
    let distinct = if source.unique { "" } else { "DISTINCT " };
    format!(
        "SELECT {distinct}{column} FROM {} WHERE {column} IS NOT NULL ORDER BY 1 LIMIT {SAMPLE_ROWS}",
        table(&source.table)
    )
}

/// Arrays of about ten distinct values of the column, one array per row.
pub fn array_sample_sql(source: &Source) -> String {
    let values = sample_sql(&Source {
        unique: source.unique,
        ..source.clone()
    });
    format!(
        "SELECT array_agg(v) FROM (SELECT v, row_number() OVER () % {ARRAY_GROUPS} AS g \
         FROM ({values}) AS d(v)) AS s GROUP BY g"
    )
}

fn expect_text(plan: &PlanNote) -> String {
    match plan {
        PlanNote::None(why) => format!("# no expect: {why}\n"),
        PlanNote::Derived(evidence) => {
            let read = match evidence.buffers {
                Some(b) => format!(", reading at most {b} shared buffers per execution"),
                None => ", planned without running it (it writes): no buffer budget".to_string(),
            };
            let mut out = format!(
                "# expect: what its {} current plan(s) hold{read}\n",
                evidence.plans
            );
            match expect_toml(&evidence.expect) {
                Some(table) => out.push_str(&format!("expect = {table}\n")),
                None => out.push_str("# (no index and no buffer count to expect)\n"),
            }
            out
        }
    }
}

/// `{ index = "i", max_buffers = 8 }`; `None` when there is nothing to expect.
fn expect_toml(expect: &Expectations) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    match expect.indexes.as_slice() {
        [] => {}
        [one] => parts.push(format!("index = {}", toml_string(one))),
        many => parts.push(format!(
            "indexes = [{}]",
            many.iter()
                .map(|i| toml_string(i))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
    if let Some(max) = expect.max_buffers {
        parts.push(format!("max_buffers = {max}"));
    }
    (!parts.is_empty()).then(|| format!("{{ {} }}", parts.join(", ")))
}

fn ident(name: &str) -> String {
    if needs_quotes(name) {
        crate::db::ddl::quote_ident(name)
    } else {
        name.to_string()
    }
}

fn table(name: &TableName) -> String {
    match &name.schema {
        Some(schema) => format!("{}.{}", ident(schema), ident(&name.name)),
        None => ident(&name.name),
    }
}

/// A TOML basic string.
pub fn toml_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A scenario name per statement: `select_tech_spec_sessions`, then `_2`, `_3` for more of
/// the same kind and table.
pub fn names(candidates: &[Candidate]) -> Vec<String> {
    let mut taken: Vec<String> = Vec::new();
    for candidate in candidates {
        let verb = crate::config::sql_scan::SqlScan::of(&candidate.sql)
            .keywords
            .first()
            .map_or("statement".to_string(), |k| k.to_lowercase());
        let table = candidate
            .shape
            .tables
            .iter()
            .find(|t| !t.name.starts_with("pg_"))
            .map_or("query".to_string(), |t| t.name.clone());
        let base = sanitize(&format!("{verb}_{table}"));
        let mut name = base.clone();
        let mut n = 2;
        while taken.contains(&name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        taken.push(name);
    }
    taken
}

/// `[a-z0-9_]+`: lower case, anything else an underscore.
fn sanitize(text: &str) -> String {
    text.to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}
