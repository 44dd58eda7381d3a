//! Serde mirrors of the scenario and thresholds files, exactly as written, with spans.
//! Every struct denies unknown keys. Must not validate or hold defaults: `scenario.rs`
//! and `thresholds.rs` turn these into the typed model.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use toml::Spanned;

/// A scenario file: optional `[defaults]` and `[[scenario]]` entries.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenarioFile {
    pub defaults: Option<RawDefaults>,
    #[serde(default)]
    pub scenario: Vec<Spanned<RawScenario>>,
}

/// `[defaults]`: load shape and timeout applied to every scenario of the file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDefaults {
    pub iterations: Option<Spanned<i64>>,
    pub duration: Option<Spanned<String>>,
    pub budget: Option<Spanned<String>>,
    pub warmup: Option<Spanned<i64>>,
    pub clients: Option<Spanned<i64>>,
    pub rate: Option<Spanned<f64>>,
    pub statement_timeout: Option<Spanned<String>>,
}

/// One `[[scenario]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub name: Option<Spanned<String>>,
    pub description: Option<String>,
    pub sql: Option<Spanned<String>>,
    pub params: Option<Spanned<Vec<Spanned<RawParam>>>>,
    #[serde(default)]
    pub step: Vec<Spanned<RawStep>>,
    pub iterations: Option<Spanned<i64>>,
    pub duration: Option<Spanned<String>>,
    pub budget: Option<Spanned<String>>,
    pub warmup: Option<Spanned<i64>>,
    pub clients: Option<Spanned<i64>>,
    pub rate: Option<Spanned<f64>>,
    pub statement_timeout: Option<Spanned<String>>,
    pub transaction: Option<Spanned<String>>,
    pub expect: Option<RawExpect>,
    /// `max_growth = "constant" | "log" | "linear"`: the fastest growth `scale` accepts.
    pub max_growth: Option<Spanned<String>>,
    /// `protocol = "prepared" | "extended" | "simple"`.
    pub protocol: Option<Spanned<String>>,
}

/// One `[[scenario.step]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    pub sql: Spanned<String>,
    pub params: Option<Spanned<Vec<Spanned<RawParam>>>>,
    /// `capture = { ids = "id" }`: array name -> column.
    pub capture: Option<BTreeMap<Spanned<String>, Spanned<String>>>,
}

/// One parameter generator; exactly one generator key must be set (checked later).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawParam {
    pub value: Option<toml::Value>,
    pub int: Option<Vec<i64>>,
    pub dist: Option<Spanned<String>>,
    pub s: Option<Spanned<f64>>,
    pub float: Option<Vec<f64>>,
    pub choice: Option<Vec<toml::Value>>,
    pub uuid: Option<Spanned<String>>,
    pub sample: Option<String>,
    pub captured: Option<Spanned<String>>,
    /// `{ todo = "what to fill in" }`: a placeholder `capture` leaves; never valid.
    pub todo: Option<Spanned<String>>,
}

/// `expect = { ... }`: plan expectations.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExpect {
    pub index: Option<String>,
    pub indexes: Option<Vec<String>>,
    pub any_index_on: Option<Vec<String>>,
    pub no_seq_scan: Option<Spanned<RawNoSeqScan>>,
    pub node: Option<String>,
    pub max_buffers: Option<Spanned<i64>>,
    pub max_row_estimate_error: Option<Spanned<f64>>,
}

/// `no_seq_scan = true` or `no_seq_scan = ["table", ...]`.
#[derive(Debug, Clone, PartialEq)]
pub enum RawNoSeqScan {
    Flag(bool),
    Tables(Vec<String>),
}

impl<'de> Deserialize<'de> for RawNoSeqScan {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NoSeqScanVisitor;
        impl<'de> Visitor<'de> for NoSeqScanVisitor {
            type Value = RawNoSeqScan;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("true, false or a list of table names")
            }
            fn visit_bool<E: de::Error>(self, value: bool) -> Result<RawNoSeqScan, E> {
                Ok(RawNoSeqScan::Flag(value))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<RawNoSeqScan, A::Error> {
                Ok(RawNoSeqScan::Tables(list(seq)?))
            }
        }
        deserializer.deserialize_any(NoSeqScanVisitor)
    }
}

/// A thresholds file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawThresholdsFile {
    pub defaults: Option<RawThresholdDefaults>,
    #[serde(default)]
    pub thresholds: BTreeMap<Spanned<String>, RawExpressions>,
    /// `[regression] name = { max = "20%", min = "100us", buffers = "2x" }`.
    #[serde(default)]
    pub regression: BTreeMap<Spanned<String>, RawRegression>,
}

/// One scenario's baseline-gate limits.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRegression {
    pub max: Option<Spanned<String>>,
    pub min: Option<Spanned<String>>,
    pub buffers: Option<Spanned<String>>,
}

/// `[defaults]` of a thresholds file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawThresholdDefaults {
    pub metric: Option<Spanned<String>>,
}

/// `name = "expr"` or `name = ["expr", ...]`, each expression with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct RawExpressions(pub Vec<Spanned<String>>);

impl<'de> Deserialize<'de> for RawExpressions {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<OneOrMany>::deserialize(deserializer)?;
        let span = spanned.span();
        Ok(match spanned.into_inner() {
            OneOrMany::One(text) => RawExpressions(vec![Spanned::new(span, text)]),
            OneOrMany::Many(list) => RawExpressions(list),
        })
    }
}

enum OneOrMany {
    One(String),
    Many(Vec<Spanned<String>>),
}

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OneOrManyVisitor;
        impl<'de> Visitor<'de> for OneOrManyVisitor {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a threshold such as \"p95 < 5ms\" or a list of them")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<OneOrMany, E> {
                Ok(OneOrMany::One(value.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<OneOrMany, A::Error> {
                Ok(OneOrMany::Many(list(seq)?))
            }
        }
        deserializer.deserialize_any(OneOrManyVisitor)
    }
}

/// The elements of a TOML array a visitor was given, as a `Vec`.
fn list<'de, T: Deserialize<'de>, A: SeqAccess<'de>>(seq: A) -> Result<Vec<T>, A::Error> {
    Vec::deserialize(de::value::SeqAccessDeserializer::new(seq))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_accept_one_expression_or_a_list_with_spans() {
        let text = "[thresholds]\na = \"5ms\"\nb = [\"p95 < 1ms\", \"errors == 0\"]\n";
        let file: RawThresholdsFile = toml::from_str(text).expect("parses");
        let values: Vec<&RawExpressions> = file.thresholds.values().collect();
        assert_eq!(values[0].0[0].get_ref(), "5ms");
        assert_eq!(&text[values[0].0[0].span()], "\"5ms\"");
        assert_eq!(values[1].0.len(), 2);
        assert_eq!(&text[values[1].0[1].span()], "\"errors == 0\"");
    }

    #[test]
    fn no_seq_scan_accepts_a_flag_or_tables() {
        let flag: RawExpect = toml::from_str("no_seq_scan = true").expect("flag");
        assert_eq!(
            flag.no_seq_scan.map(|s| s.into_inner()),
            Some(RawNoSeqScan::Flag(true))
        );
        let tables: RawExpect = toml::from_str("no_seq_scan = [\"t\"]").expect("tables");
        assert_eq!(
            tables.no_seq_scan.map(|s| s.into_inner()),
            Some(RawNoSeqScan::Tables(vec!["t".into()]))
        );
        assert!(toml::from_str::<RawExpect>("no_seq_scan = 3").is_err());
    }

    #[test]
    fn unknown_keys_are_rejected_at_every_level() {
        for text in [
            "bogus = 1",
            "[defaults]\niteration = 5",
            "[[scenario]]\nnam = \"x\"",
            "[[scenario]]\nexpect = { indx = \"i\" }",
            "[[scenario]]\nparams = [{ valu = 1 }]",
            "[[scenario]]\n[[scenario.step]]\nsql = \"x\"\nparam = []",
        ] {
            let error = toml::from_str::<RawScenarioFile>(text).unwrap_err();
            assert!(
                error.message().starts_with("unknown field"),
                "{text}: {error}"
            );
        }
    }
}
