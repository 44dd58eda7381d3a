//! Parameter generators: a raw `{ int = [1, 9] }` entry -> a validated `ParamGen`.
//! Must not draw values (the engine does) or know about steps beyond capture names.

use toml::Spanned;

use super::diagnostics::{SourceText, suggestion_suffix};
use super::model::{IntDist, Literal, ParamGen};
use super::raw::RawParam;
use super::sql_scan::SqlScan;
use crate::Result;

const GENERATORS: &str = "value, int, float, choice, uuid, sample or captured";
/// Zipf exponent when `dist = "zipf"` is given without `s`.
pub const DEFAULT_ZIPF_EXPONENT: f64 = 1.0;

/// Validates one parameter entry; `earlier_captures` are the arrays earlier steps capture,
/// `later_captures` those captured by this step or later ones (for a precise message).
pub fn param_gen(
    source: &SourceText,
    entry: &Spanned<RawParam>,
    earlier_captures: &[String],
    later_captures: &[String],
) -> Result<ParamGen> {
    let span = entry.span();
    let raw = entry.get_ref();
    if let Some(todo) = &raw.todo {
        return Err(source.error_at(
            todo.span(),
            &format!("a parameter is still a placeholder: {}", todo.get_ref()),
            &format!("replace this `todo` entry with a generator ({GENERATORS}), e.g. {{ value = 80 }} or {{ int = [1, 100] }}"),
        ));
    }
    check_one_generator(source, entry)?;
    if raw.int.is_none() && (raw.dist.is_some() || raw.s.is_some()) {
        let hint = "`dist` and `s` shape an `int` generator: add `int = [lo, hi]` or remove them";
        return Err(source.error_at(span, "`dist`/`s` without `int`", hint));
    }
    if let Some(value) = &raw.value {
        return Ok(ParamGen::Value(literal(source, span.clone(), value)?));
    }
    if let Some(bounds) = &raw.int {
        return int_gen(source, entry, bounds);
    }
    if let Some(bounds) = &raw.float {
        return float_gen(source, span, bounds);
    }
    if let Some(choices) = &raw.choice {
        if choices.is_empty() {
            let hint = "list at least one value, e.g. choice = [\"pending\", \"failed\"]";
            return Err(source.error_at(span, "`choice` is empty", hint));
        }
        let literals = choices
            .iter()
            .map(|value| literal(source, span.clone(), value));
        return Ok(ParamGen::Choice(literals.collect::<Result<_>>()?));
    }
    if let Some(version) = &raw.uuid {
        if version.get_ref() != "v4" {
            let message = format!("unknown uuid version `{}`", version.get_ref());
            return Err(source.error_at(version.span(), &message, "write uuid = \"v4\""));
        }
        return Ok(ParamGen::Uuid);
    }
    if let Some(sql) = &raw.sample {
        return sample_gen(source, span, sql);
    }
    let captured = raw
        .captured
        .as_ref()
        .map(Spanned::get_ref)
        .cloned()
        .unwrap_or_default();
    captured_gen(source, entry, &captured, earlier_captures, later_captures)
}

fn check_one_generator(source: &SourceText, entry: &Spanned<RawParam>) -> Result<()> {
    let raw = entry.get_ref();
    let set: Vec<&str> = [
        ("value", raw.value.is_some()),
        ("int", raw.int.is_some()),
        ("float", raw.float.is_some()),
        ("choice", raw.choice.is_some()),
        ("uuid", raw.uuid.is_some()),
        ("sample", raw.sample.is_some()),
        ("captured", raw.captured.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, present)| present.then_some(name))
    .collect();
    match set.len() {
        1 => Ok(()),
        0 => Err(source.error_at(
            entry.span(),
            "a parameter needs a generator",
            &format!("give exactly one of {GENERATORS}, e.g. {{ int = [1, 100] }}"),
        )),
        _ => Err(source.error_at(
            entry.span(),
            &format!("a parameter has several generators ({})", set.join(", ")),
            "keep exactly one generator per parameter; each $n gets its own entry",
        )),
    }
}

fn int_gen(source: &SourceText, entry: &Spanned<RawParam>, bounds: &[i64]) -> Result<ParamGen> {
    let raw = entry.get_ref();
    let [low, high] = pair(source, entry.span(), bounds, "int")?;
    let dist = match raw.dist.as_ref().map(|d| (d.get_ref().as_str(), d.span())) {
        None | Some(("uniform", _)) => IntDist::Uniform,
        Some(("zipf", _)) => IntDist::Zipf {
            s: DEFAULT_ZIPF_EXPONENT,
        },
        Some((other, span)) => {
            let message = format!(
                "unknown distribution `{other}`{}",
                suggestion_suffix(other, ["zipf", "uniform"])
            );
            return Err(source.error_at(
                span,
                &message,
                "write dist = \"zipf\" or leave it out for uniform",
            ));
        }
    };
    match (dist, &raw.s) {
        (IntDist::Uniform, Some(s)) => Err(source.error_at(
            s.span(),
            "`s` is the zipf exponent and needs dist = \"zipf\"",
            "add dist = \"zipf\" or remove `s`",
        )),
        (IntDist::Zipf { .. }, Some(s)) if !(s.get_ref().is_finite() && *s.get_ref() > 0.0) => {
            Err(source.error_at(
                s.span(),
                "the zipf exponent `s` must be > 0",
                "e.g. s = 1.1",
            ))
        }
        (IntDist::Zipf { .. }, Some(s)) => Ok(ParamGen::Int {
            low,
            high,
            dist: IntDist::Zipf { s: *s.get_ref() },
        }),
        (dist, None) => Ok(ParamGen::Int { low, high, dist }),
    }
}

/// `float = [lo, hi]`: finite bounds, low first, a range whose width is a finite number.
fn float_gen(
    source: &SourceText,
    span: std::ops::Range<usize>,
    bounds: &[f64],
) -> Result<ParamGen> {
    if bounds.iter().any(|bound| !bound.is_finite()) {
        return Err(source.error_at(
            span,
            "float bounds must be finite numbers (not nan or inf)",
            "write two numbers, e.g. float = [0.5, 2.5]",
        ));
    }
    let [low, high] = pair(source, span.clone(), bounds, "float")?;
    if !(high - low).is_finite() {
        return Err(source.error_at(
            span,
            &format!("the `float` range [{low:e}, {high:e}] is too wide to draw from"),
            "narrow the bounds so that high - low stays below 1.7e308",
        ));
    }
    Ok(ParamGen::Float { low, high })
}

/// `[lo, hi]` with lo <= hi.
fn pair<T: PartialOrd + Copy + std::fmt::Display>(
    source: &SourceText,
    span: std::ops::Range<usize>,
    bounds: &[T],
    generator: &str,
) -> Result<[T; 2]> {
    match bounds {
        [low, high] if low <= high => Ok([*low, *high]),
        [low, high] => Err(source.error_at(
            span,
            &format!("`{generator}` bounds are reversed: {low} > {high}"),
            &format!("write {generator} = [{high}, {low}] (low first, both inclusive)"),
        )),
        _ => Err(source.error_at(
            span,
            &format!(
                "`{generator}` needs exactly two bounds, found {}",
                bounds.len()
            ),
            &format!("write {generator} = [low, high]"),
        )),
    }
}

fn sample_gen(source: &SourceText, span: std::ops::Range<usize>, sql: &str) -> Result<ParamGen> {
    if sql.trim().is_empty() {
        return Err(source.error_at(
            span,
            "`sample` is empty",
            "write a query, e.g. sample = \"SELECT id FROM t\"",
        ));
    }
    if SqlScan::of(sql).is_write() {
        return Err(source.error_at(
            span,
            "`sample` must only read",
            "use a SELECT that returns the values to draw from",
        ));
    }
    Ok(ParamGen::Sample(sql.to_string()))
}

fn captured_gen(
    source: &SourceText,
    entry: &Spanned<RawParam>,
    name: &str,
    earlier: &[String],
    later: &[String],
) -> Result<ParamGen> {
    if earlier.iter().any(|known| known == name) {
        return Ok(ParamGen::Captured(name.to_string()));
    }
    let span = entry
        .get_ref()
        .captured
        .as_ref()
        .map(Spanned::span)
        .unwrap_or(entry.span());
    let message = if later.iter().any(|known| known == name) {
        format!("`{name}` is captured by this or a later step, so it has no value yet")
    } else {
        format!(
            "no earlier step captures `{name}`{}",
            suggestion_suffix(name, earlier.iter().map(String::as_str))
        )
    };
    let hint = "capture it in an earlier [[scenario.step]] with capture = { name = \"column\" }";
    Err(source.error_at(span, &message, hint))
}

/// A TOML scalar as a literal parameter value.
fn literal(
    source: &SourceText,
    span: std::ops::Range<usize>,
    value: &toml::Value,
) -> Result<Literal> {
    match value {
        toml::Value::Boolean(b) => Ok(Literal::Bool(*b)),
        toml::Value::Integer(i) => Ok(Literal::Int(*i)),
        toml::Value::Float(f) => Ok(Literal::Float(*f)),
        toml::Value::String(s) => Ok(Literal::Text(s.clone())),
        other => Err(source.error_at(
            span,
            &format!(
                "a parameter value must be a string, integer, float or boolean, found {}",
                other.type_str()
            ),
            match other {
                toml::Value::Datetime(_) => {
                    "write dates and times as strings, e.g. value = \"2026-01-01T00:00:00Z\""
                }
                _ => "write one scalar per value, e.g. value = 7 or choice = [\"a\", \"b\"]",
            },
        )),
    }
}
