//! The limits file of `watch`: default limits and per-statement ones, each statement named
//! by its queryid or by a fragment of its SQL, validated into `WatchLimits` with
//! file:line:column errors. Must not read pg_stat_statements or judge (see `watch`).
//!
//! ```toml
//! [defaults]
//! max_mean = "100ms"     # mean time per call within the interval
//! max_growth = "2x"      # interval mean over the previous interval's mean
//! min_calls = 5          # judge only statements called this often in the interval
//!
//! [[statement]]
//! sql = "FROM tech_conversations"   # a fragment of the SQL (case and spacing ignored)
//! max_mean = "30ms"
//!
//! [[statement]]
//! queryid = -4503389137611307110
//! ignore = true
//! ```

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::diagnostics::SourceText;
use super::load_shape::positive_duration;
use super::regression::parse_ratio;
use crate::Result;

/// Limits, each optional (unset: not judged, or the next level's value).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LimitSet {
    pub max_mean: Option<Duration>,
    pub max_growth: Option<f64>,
    pub min_calls: Option<u64>,
}

impl LimitSet {
    /// These limits where set, `under`'s elsewhere.
    pub fn over(self, under: LimitSet) -> LimitSet {
        LimitSet {
            max_mean: self.max_mean.or(under.max_mean),
            max_growth: self.max_growth.or(under.max_growth),
            min_calls: self.min_calls.or(under.min_calls),
        }
    }
}

/// How a `[[statement]]` names statements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatementMatch {
    QueryId(i64),
    /// Lower case, runs of white space as one space.
    Fragment(String),
}

impl StatementMatch {
    /// True when this names the statement `queryid` with text `query`.
    pub fn matches(&self, queryid: i64, query: &str) -> bool {
        match self {
            StatementMatch::QueryId(id) => *id == queryid,
            StatementMatch::Fragment(fragment) => folded(query).contains(fragment.as_str()),
        }
    }
}

/// One `[[statement]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct StatementLimits {
    pub matcher: StatementMatch,
    pub limits: LimitSet,
    /// Never judged.
    pub ignore: bool,
    /// `file:line:column` of the entry, for reports.
    pub origin: String,
}

/// A whole limits file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WatchLimits {
    pub defaults: LimitSet,
    /// In file order: the first entry that names a statement applies.
    pub statements: Vec<StatementLimits>,
}

impl WatchLimits {
    /// The first entry naming this statement.
    pub fn entry_for(&self, queryid: i64, query: &str) -> Option<&StatementLimits> {
        self.statements
            .iter()
            .find(|s| s.matcher.matches(queryid, query))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    defaults: Option<RawLimits>,
    #[serde(default)]
    statement: Vec<Spanned<RawStatement>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    max_mean: Option<Spanned<String>>,
    max_growth: Option<Spanned<String>>,
    min_calls: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStatement {
    queryid: Option<i64>,
    sql: Option<Spanned<String>>,
    max_mean: Option<Spanned<String>>,
    max_growth: Option<Spanned<String>>,
    min_calls: Option<Spanned<i64>>,
    ignore: Option<bool>,
}

/// Reads and validates a limits file.
pub fn load_watch_limits(path: &Path) -> Result<WatchLimits> {
    parse_watch_limits(&super::sources::read_text(path, "limits")?)
}

/// Validates the text of a limits file.
pub fn parse_watch_limits(source: &SourceText) -> Result<WatchLimits> {
    let raw: RawFile = toml::from_str(&source.text).map_err(|e| source.toml_error(&e))?;
    let defaults = match &raw.defaults {
        Some(d) => limit_set(source, &d.max_mean, &d.max_growth, &d.min_calls)?,
        None => LimitSet::default(),
    };
    let statements = raw
        .statement
        .iter()
        .map(|entry| statement(source, entry))
        .collect::<Result<_>>()?;
    Ok(WatchLimits {
        defaults,
        statements,
    })
}

fn statement(source: &SourceText, entry: &Spanned<RawStatement>) -> Result<StatementLimits> {
    let raw = entry.get_ref();
    let matcher = match (&raw.queryid, &raw.sql) {
        (Some(id), None) => StatementMatch::QueryId(*id),
        (None, Some(sql)) if !sql.get_ref().trim().is_empty() => {
            StatementMatch::Fragment(folded(sql.get_ref()))
        }
        (None, Some(sql)) => {
            return Err(source.error_at(
                sql.span(),
                "`sql` is empty",
                "write a fragment of the statement, e.g. sql = \"FROM orders\"",
            ));
        }
        _ => {
            return Err(source.error_at(
                entry.span(),
                "a [[statement]] names its statement by exactly one of `queryid` or `sql`",
                "write queryid = 123 (from pg_stat_statements or `watch --json`) or sql = \"a fragment of its text\"",
            ));
        }
    };
    Ok(StatementLimits {
        matcher,
        limits: limit_set(source, &raw.max_mean, &raw.max_growth, &raw.min_calls)?,
        ignore: raw.ignore.unwrap_or(false),
        origin: source.position(entry.span().start),
    })
}

fn limit_set(
    source: &SourceText,
    max_mean: &Option<Spanned<String>>,
    max_growth: &Option<Spanned<String>>,
    min_calls: &Option<Spanned<i64>>,
) -> Result<LimitSet> {
    let max_mean = max_mean
        .as_ref()
        .map(|text| positive_duration(source, text, "max_mean"))
        .transpose()?;
    let max_growth = max_growth
        .as_ref()
        .map(|text| {
            parse_ratio(text.get_ref()).map_err(|message| {
                source.error_at(text.span(), &message, "write e.g. max_growth = \"2x\"")
            })
        })
        .transpose()?;
    let min_calls = min_calls
        .as_ref()
        .map(|n| {
            u64::try_from(*n.get_ref())
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| {
                    source.error_at(n.span(), "`min_calls` must be >= 1", "e.g. min_calls = 5")
                })
        })
        .transpose()?;
    Ok(LimitSet {
        max_mean,
        max_growth,
        min_calls,
    })
}

/// Lower case, white space runs as one space: how fragments and statements are compared.
fn folded(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<WatchLimits> {
        parse_watch_limits(&SourceText {
            name: "limits.toml".into(),
            text: text.into(),
        })
    }

    #[test]
    fn defaults_and_statements_by_queryid_or_fragment() {
        let limits = parse(
            "[defaults]\nmax_mean = \"50ms\"\nmin_calls = 3\n\n\
             [[statement]]\nsql = \"FROM   Orders\"\nmax_growth = \"3x\"\n\n\
             [[statement]]\nqueryid = -42\nignore = true\n",
        )
        .unwrap();
        assert_eq!(limits.defaults.max_mean, Some(Duration::from_millis(50)));
        assert_eq!(limits.defaults.min_calls, Some(3));
        let orders = limits
            .entry_for(7, "SELECT *\n  from orders WHERE id = $1")
            .unwrap();
        assert_eq!(orders.limits.max_growth, Some(3.0));
        assert_eq!(orders.origin, "limits.toml:5:1");
        assert!(limits.entry_for(-42, "SELECT 1").unwrap().ignore);
        assert!(limits.entry_for(1, "SELECT 1").is_none());
    }

    #[test]
    fn errors_say_where_and_how_to_fix() {
        let both = parse("[[statement]]\nqueryid = 1\nsql = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            both.starts_with("limits.toml:1:1: a [[statement]] names"),
            "{both}"
        );
        let growth = parse("[defaults]\nmax_growth = \"0.5x\"\n")
            .unwrap_err()
            .to_string();
        assert!(growth.starts_with("limits.toml:2:14:"), "{growth}");
        assert!(growth.contains("max_growth = \"2x\""), "{growth}");
        let unknown = parse("[defaults]\nmax_men = \"1s\"\n")
            .unwrap_err()
            .to_string();
        assert!(unknown.contains("did you mean `max_mean`"), "{unknown}");
        let calls = parse("[defaults]\nmin_calls = 0\n")
            .unwrap_err()
            .to_string();
        assert!(calls.contains("`min_calls` must be >= 1"), "{calls}");
    }

    #[test]
    fn limits_fall_back_level_by_level() {
        let entry = LimitSet {
            max_mean: Some(Duration::from_millis(5)),
            ..LimitSet::default()
        };
        let defaults = LimitSet {
            max_mean: Some(Duration::from_millis(100)),
            max_growth: Some(2.0),
            min_calls: None,
        };
        let applied = entry.over(defaults);
        assert_eq!(applied.max_mean, Some(Duration::from_millis(5)));
        assert_eq!(applied.max_growth, Some(2.0));
        assert_eq!(applied.min_calls, None);
    }
}
