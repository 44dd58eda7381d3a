//! One standalone HTML page of a run: summary, per-scenario table, the reasons, an inline
//! SVG overview chart, a percentile-spectrum chart per scenario (with the baseline's curve
//! when there is one), steps and service times. No external assets, no scripts. Must
//! escape every text from the report and must not decide statuses.

use super::Reporter;
use super::baseline::{Comparison, p95_delta_cell};
use super::cells::{dataset_text, plan_text, status_label, thresholds_text};
use super::chart::escape as esc;
use super::html_chart::latency_chart;
use super::html_spectrum::spectrum_section;
use super::rows::{not_passed, percentile_texts, target_kind};
use super::table::summary_line;
use crate::results::{LatencySummary, RunReport, ScenarioResult};

/// Renders the page; with `baseline`, adds a Δ p95 column; with `baseline_report`, draws
/// the baseline's percentile spectrum beside each scenario's.
#[derive(Debug, Clone, Default)]
pub struct HtmlReporter {
    pub baseline: Option<Comparison>,
    /// The baseline results themselves (their histograms), for the spectrum charts.
    pub baseline_report: Option<std::sync::Arc<RunReport>>,
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em;color:#222}\
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 8px;\
vertical-align:top}th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}\
.pass{color:#1a7f37;font-weight:bold}.fail,.error{color:#cf222e;font-weight:bold}\
.skip{color:#9a6700;font-weight:bold}code{font-size:90%}.note{background:#fff8c5;padding:.5em}\
.hint{color:#666;font-weight:normal}.charts{display:flex;flex-wrap:wrap;gap:12px}\
figure.chart{margin:0;padding:8px;border:1px solid #ddd;border-radius:4px}\
figcaption{margin-bottom:4px}";

impl Reporter for HtmlReporter {
    fn render(&self, report: &RunReport) -> crate::Result<Vec<u8>> {
        let mut page = format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <title>techspec-bench results {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
             <h1>techspec-bench results</h1>\n<p><strong>{}</strong></p>\n",
            esc(&report.started_at),
            esc(&summary_line(&report.summary)),
        );
        page.push_str(&environment(report));
        page.push_str(&scenario_table(report, self.baseline.as_ref()));
        page.push_str(&reasons(report));
        page.push_str(&gate(report));
        page.push_str(&latency_chart(report));
        page.push_str(&spectrum_section(
            report,
            self.baseline_report
                .as_deref()
                .or(report.against.as_deref()),
        ));
        page.push_str(&details(report));
        page.push_str("</body>\n</html>\n");
        Ok(page.into_bytes())
    }
}

/// The baseline gate: how it compared, then one item per scenario with its verdict.
fn gate(report: &RunReport) -> String {
    let Some(note) = super::regression::method_note(report) else {
        return String::new();
    };
    let items: String = super::regression::comparison_lines(report)
        .iter()
        .map(|line| format!("<li>{}</li>\n", esc(line)))
        .collect();
    format!(
        "<h2>Compared with the baseline</h2>\n<p>{}</p>\n<ul>\n{items}</ul>\n",
        esc(&note)
    )
}

fn environment(report: &RunReport) -> String {
    let database = &report.database;
    let mut out = format!(
        "<p>techspec-bench {} · PostgreSQL {} · <code>{}</code> ({}) · started {}</p>\n",
        esc(&report.tool_version),
        esc(&database.server_version),
        esc(&database.target),
        target_kind(database),
        esc(&report.started_at),
    );
    if !database.notes.is_empty() {
        out.push_str(&format!(
            "<p class=\"note\">Note: {}</p>\n",
            esc(&database.notes.join(", "))
        ));
    }
    if !report.dataset.is_empty() {
        out.push_str(&format!(
            "<p>Rows: {}</p>\n",
            esc(&dataset_text(&report.dataset))
        ));
    }
    if let Some(line) = super::rows::precision_text(report) {
        out.push_str(&format!("<p>{}</p>\n", esc(&line)));
    }
    out
}

fn scenario_table(report: &RunReport, baseline: Option<&Comparison>) -> String {
    let delta_head = if baseline.is_some() {
        "<th>Δ p95</th>"
    } else {
        ""
    };
    let mut out = format!(
        "<table>\n<thead><tr><th>Scenario</th><th>Group</th><th>Iterations</th><th>p50</th>\
         <th>p95</th><th>p99</th><th>max</th>{delta_head}<th>Threshold</th><th>Plan</th>\
         <th>Status</th></tr></thead>\n<tbody>\n"
    );
    for result in &report.scenarios {
        out.push_str(&scenario_row(result, baseline));
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

fn scenario_row(result: &ScenarioResult, baseline: Option<&Comparison>) -> String {
    let delta = baseline.map_or(String::new(), |comparison| {
        format!(
            "<td class=\"num\">{}</td>",
            esc(&p95_delta_cell(comparison, &result.name))
        )
    });
    let status = result.status;
    format!(
        "<tr><td><code>{}</code></td><td>{}</td><td class=\"num\">{}</td>{}{delta}\
         <td>{}</td><td>{}</td><td class=\"{}\">{}</td></tr>\n",
        esc(&result.name),
        esc(&result.group),
        result.iterations,
        percentile_tds(result.latency_us.as_ref()),
        esc(&thresholds_text(result)).replace('\n', "<br>"),
        esc(&plan_text(result.plan.as_ref())),
        status.as_str(),
        status_label(status),
    )
}

/// The p50, p95, p99 and max cells of a row.
fn percentile_tds(latency: Option<&LatencySummary>) -> String {
    let cells: Vec<String> = percentile_texts(latency)
        .iter()
        .map(|text| format!("<td class=\"num\">{}</td>", esc(text)))
        .collect();
    cells.concat()
}

fn reasons(report: &RunReport) -> String {
    let items: Vec<String> = not_passed(report)
        .map(|(result, reason)| {
            format!(
                "<li><span class=\"{}\">{}</span> <code>{}</code>: {}</li>\n",
                result.status.as_str(),
                status_label(result.status),
                esc(&result.name),
                esc(&reason)
            )
        })
        .collect();
    if items.is_empty() {
        return String::new();
    }
    format!("<h2>Not passed</h2>\n<ul>\n{}</ul>\n", items.concat())
}

/// Per-step latencies and service times, for the scenarios that have them.
fn details(report: &RunReport) -> String {
    let sections: Vec<String> = report
        .scenarios
        .iter()
        .filter(|s| !s.steps.is_empty() || s.service_time_us.is_some())
        .map(scenario_details)
        .collect();
    if sections.is_empty() {
        return String::new();
    }
    format!("<h2>Details</h2>\n{}", sections.concat())
}

fn scenario_details(result: &ScenarioResult) -> String {
    let mut out = format!(
        "<h3><code>{}</code></h3>\n<table>\n<thead><tr><th>What</th><th>p50</th><th>p95</th>\
         <th>p99</th><th>max</th></tr></thead>\n<tbody>\n",
        esc(&result.name)
    );
    if let Some(latency) = &result.latency_us {
        out.push_str(&summary_row("latency (whole iteration)", latency));
    }
    if let Some(service) = &result.service_time_us {
        out.push_str(&summary_row("service time (from the actual send)", service));
    }
    for (index, step) in result.steps.iter().enumerate() {
        let label = format!("step {}: {}", index + 1, step.sql);
        out.push_str(&summary_row(&label, &step.latency_us));
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

fn summary_row(label: &str, latency: &LatencySummary) -> String {
    format!(
        "<tr><td><code>{}</code></td>{}</tr>\n",
        esc(label),
        percentile_tds(Some(latency))
    )
}
