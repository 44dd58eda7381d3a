//! A scenario's statements: `sql` + `params`, or `[[scenario.step]]` entries with captures,
//! validated against the `$n` placeholders they use. Must not run or prepare SQL.

use std::ops::Range;

use toml::Spanned;

use super::diagnostics::SourceText;
use super::model::{Capture, ParamGen, Step};
use super::params::param_gen;
use super::raw::{RawParam, RawScenario, RawStep};
use super::sql_scan::SqlScan;
use crate::Result;

type RawParams = Spanned<Vec<Spanned<RawParam>>>;

/// PostgreSQL's protocol counts a statement's parameters in 16 bits.
const MAX_PLACEHOLDER: usize = 65535;

/// The validated steps of a scenario; `header` is the span of its `[[scenario]]` line.
pub fn build_steps(
    source: &SourceText,
    raw: &RawScenario,
    header: Range<usize>,
) -> Result<Vec<Step>> {
    match (&raw.sql, raw.step.is_empty()) {
        (Some(sql), false) => Err(source.error_at(
            sql.span(),
            "a scenario has either `sql` or [[scenario.step]] entries, not both",
            "move this statement into a [[scenario.step]], or remove the steps",
        )),
        (None, true) => Err(source.error_at(
            header,
            "this scenario has no SQL",
            "add sql = \"SELECT ...\" or one [[scenario.step]] per statement",
        )),
        (Some(sql), true) => Ok(vec![single_step(source, sql, raw.params.as_ref())?]),
        (None, false) => {
            if let Some(params) = &raw.params {
                return Err(source.error_at(
                    params.span(),
                    "`params` belongs to each [[scenario.step]] in a multi-step scenario",
                    "move these params under the step whose SQL uses them",
                ));
            }
            multi_steps(source, &raw.step)
        }
    }
}

fn single_step(
    source: &SourceText,
    sql: &Spanned<String>,
    params: Option<&RawParams>,
) -> Result<Step> {
    let params = step_params(source, sql, params, &[], &[])?;
    Ok(Step {
        sql: sql.get_ref().clone(),
        params,
        captures: Vec::new(),
    })
}

fn multi_steps(source: &SourceText, raw_steps: &[Spanned<RawStep>]) -> Result<Vec<Step>> {
    let all_captures: Vec<Vec<Capture>> = raw_steps
        .iter()
        .map(|step| step_captures(source, step.get_ref()))
        .collect::<Result<_>>()?;
    let mut earlier: Vec<String> = Vec::new();
    let mut steps = Vec::with_capacity(raw_steps.len());
    for (index, raw_step) in raw_steps.iter().enumerate() {
        let raw_step = raw_step.get_ref();
        let later: Vec<String> = all_captures[index..]
            .iter()
            .flatten()
            .map(|c| c.name.clone())
            .collect();
        let params = step_params(
            source,
            &raw_step.sql,
            raw_step.params.as_ref(),
            &earlier,
            &later,
        )?;
        check_new_capture_names(source, raw_step, &earlier)?;
        earlier.extend(
            all_captures[index]
                .iter()
                .map(|capture| capture.name.clone()),
        );
        steps.push(Step {
            sql: raw_step.sql.get_ref().clone(),
            params,
            captures: all_captures[index].clone(),
        });
    }
    Ok(steps)
}

/// Validates the SQL and one generator per `$n`.
fn step_params(
    source: &SourceText,
    sql: &Spanned<String>,
    params: Option<&RawParams>,
    earlier_captures: &[String],
    later_captures: &[String],
) -> Result<Vec<ParamGen>> {
    if sql.get_ref().trim().is_empty() {
        return Err(source.error_at(
            sql.span(),
            "the SQL is empty",
            "write the statement to measure",
        ));
    }
    let scan = SqlScan::of(sql.get_ref());
    if scan.has_placeholder_zero {
        return Err(source.error_at(
            sql.span(),
            "the SQL uses $0",
            "parameters are numbered from $1",
        ));
    }
    if scan.max_placeholder > MAX_PLACEHOLDER {
        return Err(source.error_at(
            sql.span(),
            &format!(
                "the SQL uses a placeholder above ${MAX_PLACEHOLDER}, the most PostgreSQL allows"
            ),
            "number the parameters $1, $2, ... in order, one `params` entry each",
        ));
    }
    let entries: &[Spanned<RawParam>] = params.map(|p| p.get_ref().as_slice()).unwrap_or(&[]);
    if entries.len() != scan.max_placeholder {
        let span = params.map(Spanned::span).unwrap_or(sql.span());
        let uses = match scan.max_placeholder {
            0 => "no $n parameter".to_string(),
            n => format!("{n} parameter(s) (highest ${n})"),
        };
        let message = format!(
            "the SQL uses {uses} but `params` has {} entr{}",
            entries.len(),
            if entries.len() == 1 { "y" } else { "ies" }
        );
        let hint = "give one generator per $n, in order: params = [{ ... }, { ... }]";
        return Err(source.error_at(span, &message, hint));
    }
    entries
        .iter()
        .map(|entry| param_gen(source, entry, earlier_captures, later_captures))
        .collect()
}

/// `capture = { ids = "id" }` -> captures, names checked.
fn step_captures(source: &SourceText, raw_step: &RawStep) -> Result<Vec<Capture>> {
    let Some(map) = &raw_step.capture else {
        return Ok(Vec::new());
    };
    map.iter()
        .map(|(name, column)| {
            if !is_identifier(name.get_ref()) {
                return Err(source.error_at(
                    name.span(),
                    &format!("capture name `{}` is not an identifier", name.get_ref()),
                    "use letters, digits and _ (not starting with a digit), e.g. capture = { ids = \"id\" }",
                ));
            }
            if column.get_ref().trim().is_empty() {
                return Err(source.error_at(column.span(), "the captured column is empty", "name a column of this step's result"));
            }
            Ok(Capture { name: name.get_ref().clone(), column: column.get_ref().clone() })
        })
        .collect()
}

fn check_new_capture_names(
    source: &SourceText,
    raw_step: &RawStep,
    earlier: &[String],
) -> Result<()> {
    for name in raw_step.capture.iter().flat_map(|map| map.keys()) {
        if earlier.contains(name.get_ref()) {
            return Err(source.error_at(
                name.span(),
                &format!(
                    "`{}` is already captured by an earlier step",
                    name.get_ref()
                ),
                "give each capture its own name",
            ));
        }
    }
    Ok(())
}

fn is_identifier(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}
