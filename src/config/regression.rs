//! `[regression]` of the thresholds file: per-scenario limits of the baseline gate,
//! `name = { max = "20%", min = "100us", buffers = "2x" }`. Must not compare runs
//! (`verdict::regression` does) or touch the database.

use std::collections::BTreeMap;

use toml::Spanned;

use super::diagnostics::{SourceText, suggestion_suffix};
use super::model::RegressionOverride;
use super::raw::RawRegression;
use crate::Result;

impl RegressionOverride {
    /// These limits over `defaults` (the flags' values).
    pub fn apply(
        &self,
        defaults: crate::verdict::regression::RegressionLimits,
    ) -> crate::verdict::regression::RegressionLimits {
        crate::verdict::regression::RegressionLimits {
            max_percent: self.max_percent.unwrap_or(defaults.max_percent),
            min_us: self.min_us.unwrap_or(defaults.min_us),
            max_buffers_ratio: self.max_buffers_ratio.unwrap_or(defaults.max_buffers_ratio),
            confidence: defaults.confidence,
        }
    }
}

/// Parses every `[regression]` entry; a name must be one of `known` (else a did-you-mean).
pub fn regression_limits(
    source: &SourceText,
    raw: &BTreeMap<Spanned<String>, RawRegression>,
    known: &[&str],
) -> Result<BTreeMap<String, RegressionOverride>> {
    let mut limits = BTreeMap::new();
    for (name, entry) in raw {
        if !known.contains(&name.get_ref().as_str()) {
            let message = format!(
                "regression limits for unknown scenario `{}`{}",
                name.get_ref(),
                suggestion_suffix(name.get_ref(), known.iter().copied())
            );
            return Err(source.error_at(name.span(), &message, "fix the name or remove the entry"));
        }
        limits.insert(name.get_ref().clone(), parse_entry(source, entry)?);
    }
    Ok(limits)
}

fn parse_entry(source: &SourceText, entry: &RawRegression) -> Result<RegressionOverride> {
    let field = |value: &Option<Spanned<String>>,
                 parse: fn(&str) -> std::result::Result<f64, String>,
                 hint| {
        value
            .as_ref()
            .map(|text| {
                parse(text.get_ref())
                    .map_err(|message| source.error_at(text.span(), &message, hint))
            })
            .transpose()
    };
    Ok(RegressionOverride {
        max_percent: field(&entry.max, parse_percent, "write e.g. max = \"20%\"")?,
        min_us: field(&entry.min, parse_micros, "write e.g. min = \"100us\"")?,
        max_buffers_ratio: field(&entry.buffers, parse_ratio, "write e.g. buffers = \"2x\"")?,
    })
}

/// "100us", "1.5ms" into microseconds.
fn parse_micros(text: &str) -> std::result::Result<f64, String> {
    humantime::parse_duration(text.trim())
        .map(|duration| duration.as_secs_f64() * 1e6)
        .map_err(|error| format!("{error}: expected a duration such as 100us or 1.5ms"))
}

/// Parses "10%" or "10" into percent.
pub fn parse_percent(text: &str) -> std::result::Result<f64, String> {
    let number = text.trim().trim_end_matches('%').trim();
    match number.parse::<f64>() {
        Ok(value) if value.is_finite() && value >= 0.0 => Ok(value),
        _ => Err(format!("expected a percentage such as 10%, found `{text}`")),
    }
}

/// Parses "1.5", "1.5x" or "3×" into a factor above 1.
pub fn parse_ratio(text: &str) -> std::result::Result<f64, String> {
    let number = text.trim().trim_end_matches(['x', 'X', '×']).trim();
    match number.parse::<f64>() {
        Ok(value) if value.is_finite() && value > 1.0 => Ok(value),
        _ => Err(format!(
            "expected a factor above 1 such as 1.5x or 3x, found `{text}`"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::raw::RawThresholdsFile;
    use crate::verdict::regression::RegressionLimits;

    fn parse(text: &str) -> Result<BTreeMap<String, RegressionOverride>> {
        let source = SourceText {
            name: "thresholds.toml".into(),
            text: text.into(),
        };
        let raw: RawThresholdsFile = toml::from_str(text).unwrap();
        regression_limits(&source, &raw.regression, &["session_by_id"])
    }

    #[test]
    fn an_entry_overrides_only_the_keys_it_sets() {
        let limits =
            parse("[regression]\nsession_by_id = { max = \"20%\", min = \"100us\" }\n").unwrap();
        let entry = limits["session_by_id"];
        assert_eq!(entry.max_percent, Some(20.0));
        assert_eq!(entry.min_us, Some(100.0));
        let applied = entry.apply(RegressionLimits::default());
        assert_eq!(
            (
                applied.max_percent,
                applied.min_us,
                applied.max_buffers_ratio
            ),
            (20.0, 100.0, 1.5)
        );
    }

    #[test]
    fn a_bad_value_or_name_says_where() {
        let bad = parse("[regression]\nsession_by_id = { buffers = \"half\" }\n").unwrap_err();
        assert!(bad.to_string().contains("thresholds.toml:2:"), "{bad}");
        let unknown = parse("[regression]\nsesion_by_id = { max = \"5%\" }\n").unwrap_err();
        assert!(unknown.to_string().contains("did you mean"), "{unknown}");
    }
}
