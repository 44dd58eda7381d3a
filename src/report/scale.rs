//! Renders a scale sweep (`growth::sweep::ScaleReport`): the terminal table, Markdown,
//! JSON (format techspec-bench-scale/1), a standalone HTML page and the log-log SVG chart.
//! Pure: must not measure, fit or decide the gate; it shows what `growth` decided.

use super::cells::NONE;
use super::chart::escape as escape_xml;
use super::scale_chart::loglog_chart;
use super::units::format_latency_us;
use crate::Error;
use crate::growth::Projection;
use crate::growth::sweep::{Basis, GrowthFit, LevelMeasure, ScaleReport, ScenarioGrowth};
use crate::seed::group_thousands;

/// A file format of the sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Markdown,
    Html,
    Svg,
}

/// The whole file for `report` in `format`.
pub fn render(format: Format, report: &ScaleReport) -> crate::Result<Vec<u8>> {
    Ok(match format {
        Format::Json => {
            let mut bytes = serde_json::to_vec_pretty(report).map_err(|error| {
                Error::environment(format!("could not encode the sweep as JSON: {error}"))
            })?;
            bytes.push(b'\n');
            bytes
        }
        Format::Markdown => markdown(report).into_bytes(),
        Format::Html => html(report).into_bytes(),
        Format::Svg => loglog_chart(report).into_bytes(),
    })
}

/// A table: its header and rows of cells.
type Grid = (Vec<String>, Vec<Vec<String>>);

fn fit_k(fit: Option<&GrowthFit>) -> String {
    match fit {
        Some(GrowthFit {
            k,
            k_stderr: Some(se),
            ..
        }) => format!("{k:.2}±{se:.2}"),
        Some(fit) => format!("{:.2}", fit.k),
        None => NONE.to_string(),
    }
}

fn projection(p: &Projection, format: fn(f64) -> String) -> String {
    match (p.low, p.high) {
        (Some(low), Some(high)) => {
            format!("{} ({}–{})", format(p.value), format(low), format(high))
        }
        _ => format(p.value),
    }
}

fn basis(basis: Option<Basis>) -> &'static str {
    match basis {
        Some(Basis::Buffers) => "buffers",
        Some(Basis::Latency) => "p50",
        Some(Basis::BuffersRaisedByLatency) => "p50>buffers",
        None => NONE,
    }
}

fn gate(scenario: &ScenarioGrowth) -> String {
    let limit = scenario.max_growth.map(|c| c.as_str()).unwrap_or(NONE);
    let verdict = if scenario.ok { "pass" } else { "FAIL" };
    format!("{verdict} (max {limit})")
}

/// One row per scenario: class, what decided it, exponents, fit quality, projections.
fn growth_grid(report: &ScaleReport) -> Grid {
    let project = group_thousands(report.project);
    let header = [
        "scenario".to_string(),
        "growth".to_string(),
        "by".to_string(),
        "k p50".to_string(),
        "R² p50".to_string(),
        "k p95".to_string(),
        "k buffers".to_string(),
        format!("p50 at {project} (95% PI)"),
        format!("p95 at {project} (95% PI)"),
        "gate".to_string(),
    ];
    let latency = |fit: Option<&GrowthFit>| {
        fit.map(|f| projection(&f.projection, format_latency_us))
            .unwrap_or_else(|| NONE.to_string())
    };
    let rows = report
        .scenarios
        .iter()
        .map(|s| {
            vec![
                s.name.clone(),
                s.class.map(|c| c.as_str()).unwrap_or(NONE).to_string(),
                basis(s.basis).to_string(),
                fit_k(s.p50.as_ref()),
                s.p50
                    .as_ref()
                    .map(|f| format!("{:.3}", f.r2))
                    .unwrap_or_else(|| NONE.to_string()),
                fit_k(s.p95.as_ref()),
                fit_k(s.buffers.as_ref()),
                latency(s.p50.as_ref()),
                latency(s.p95.as_ref()),
                gate(s),
            ]
        })
        .collect();
    (header.to_vec(), rows)
}

/// One row per scenario, one column per level, with `cell` of each level.
fn level_grid(report: &ScaleReport, title: &str, cell: fn(&LevelMeasure) -> String) -> Grid {
    let mut header = vec![title.to_string()];
    header.extend(report.levels.iter().map(|l| group_thousands(l.sessions)));
    let rows = report
        .scenarios
        .iter()
        .map(|s| {
            let mut row = vec![s.name.clone()];
            row.extend(s.levels.iter().map(cell));
            row
        })
        .collect();
    (header, rows)
}

fn p50_cell(level: &LevelMeasure) -> String {
    level
        .p50_us
        .map(format_latency_us)
        .unwrap_or_else(|| level.status.as_str().to_string())
}

fn p95_cell(level: &LevelMeasure) -> String {
    level
        .p95_us
        .map(format_latency_us)
        .unwrap_or_else(|| level.status.as_str().to_string())
}

fn buffers_cell(level: &LevelMeasure) -> String {
    level
        .buffers
        .map(group_thousands)
        .unwrap_or_else(|| NONE.to_string())
}

/// Every grid of the report, in order.
fn grids(report: &ScaleReport) -> Vec<Grid> {
    vec![
        growth_grid(report),
        level_grid(report, "p50 per level", p50_cell),
        level_grid(report, "p95 per level", p95_cell),
        level_grid(report, "buffers per execution", buffers_cell),
    ]
}

/// The sizes, how each dataset was made and how long it took.
fn levels_line(report: &ScaleReport) -> String {
    let levels: Vec<String> = report
        .levels
        .iter()
        .map(|l| {
            format!(
                "{} ({}, {:.1}s + {:.1}s measuring)",
                group_thousands(l.sessions),
                l.dataset,
                l.seed_s,
                l.measure_s
            )
        })
        .collect();
    format!("sizes: {}", levels.join(", "))
}

/// "3 within their growth limit, 1 over it, 0 unclassified".
pub fn summary_line(report: &ScaleReport) -> String {
    let s = &report.summary;
    format!(
        "scale: {} pass, {} fail, {} unclassified",
        s.pass, s.fail, s.unclassified
    )
}

fn failures(report: &ScaleReport) -> Vec<String> {
    report
        .scenarios
        .iter()
        .filter_map(|s| s.reason.as_ref().map(|r| format!("FAIL {}: {r}", s.name)))
        .collect()
}

/// Columns padded to their widest cell, two spaces apart.
fn aligned(grid: &Grid) -> String {
    let (header, rows) = grid;
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect();
        padded.join("  ").trim_end().to_string()
    };
    let mut text = line(header);
    text.push('\n');
    for row in rows {
        text.push_str(&line(row));
        text.push('\n');
    }
    text
}

/// The terminal output.
pub fn table(report: &ScaleReport) -> String {
    let mut text = format!("{}\n\n", levels_line(report));
    for grid in grids(report) {
        text.push_str(&aligned(&grid));
        text.push('\n');
    }
    for failure in failures(report) {
        text.push_str(&failure);
        text.push('\n');
    }
    text.push_str(&summary_line(report));
    text.push('\n');
    text
}

fn markdown_grid((header, rows): &Grid) -> String {
    let escape = |c: &String| c.replace('|', "\\|");
    let mut text = format!(
        "| {} |\n",
        header.iter().map(escape).collect::<Vec<_>>().join(" | ")
    );
    text.push_str(&format!("|{}\n", "---|".repeat(header.len())));
    for row in rows {
        text.push_str(&format!(
            "| {} |\n",
            row.iter().map(escape).collect::<Vec<_>>().join(" | ")
        ));
    }
    text
}

fn provenance(report: &ScaleReport) -> String {
    format!(
        "PostgreSQL {} at {}{}; techspec-bench {}; started {}; data --rng-seed {} --as-of {}",
        report.database.server_version,
        report.database.target,
        if report.database.throwaway {
            " (throwaway cluster)"
        } else {
            ""
        },
        report.tool_version,
        report.started_at,
        report.rng_seed,
        report.as_of
    )
}

/// The Markdown report.
pub fn markdown(report: &ScaleReport) -> String {
    let mut text = format!(
        "# Scale sweep\n\n{}\n\n{}\n\n",
        provenance(report),
        levels_line(report)
    );
    for grid in grids(report) {
        text.push_str(&markdown_grid(&grid));
        text.push('\n');
    }
    for failure in failures(report) {
        text.push_str(&format!("- {failure}\n"));
    }
    text.push_str(&format!("\n**{}**\n", summary_line(report)));
    text
}

fn html_grid((header, rows): &Grid) -> String {
    let cells = |tag: &str, row: &[String]| {
        row.iter()
            .map(|c| format!("<{tag}>{}</{tag}>", escape_xml(c)))
            .collect::<String>()
    };
    let mut text = format!("<table>\n<tr>{}</tr>\n", cells("th", header));
    for row in rows {
        text.push_str(&format!("<tr>{}</tr>\n", cells("td", row)));
    }
    text.push_str("</table>\n");
    text
}

/// A standalone page: provenance, the log-log chart (inline SVG) and the tables.
pub fn html(report: &ScaleReport) -> String {
    let mut text = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>techspec-bench scale sweep</title>\n<style>\
         body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}\
         td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#f4f4f4}\
         </style>\n</head>\n<body>\n<h1>Scale sweep</h1>\n",
    );
    text.push_str(&format!(
        "<p>{}</p>\n<p>{}</p>\n",
        escape_xml(&provenance(report)),
        escape_xml(&levels_line(report))
    ));
    text.push_str(&loglog_chart(report));
    for grid in grids(report) {
        text.push_str(&html_grid(&grid));
    }
    for failure in failures(report) {
        text.push_str(&format!(
            "<p><strong>{}</strong></p>\n",
            escape_xml(&failure)
        ));
    }
    text.push_str(&format!(
        "<p>{}</p>\n</body>\n</html>\n",
        escape_xml(&summary_line(report))
    ));
    text
}

#[cfg(test)]
mod tests;
