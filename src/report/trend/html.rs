//! The trend page: one self-contained HTML file (no scripts, nothing loaded from the
//! network) with the span of the history, the change-point method, the lists of change
//! points, plan and definition changes and failed runs, then one chart per scenario.

use super::chart::scenario_chart;
use super::{Findings, span_line};
use crate::report::chart::escape as esc;
use crate::trend::History;
use crate::trend::changepoint::METHOD;

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em;color:#222}\
code{font-size:90%}.hint{color:#666}ul{padding-left:1.4em}li{margin:.2em 0}\
figure.chart{margin:1em 0;padding:8px;border:1px solid #ddd;border-radius:4px;\
display:inline-block}figcaption{margin-bottom:4px}.none{color:#666}";

/// The whole page.
pub fn html(history: &History) -> String {
    let findings = Findings::of(history);
    let mut page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>techspec-bench trends</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>techspec-bench trends</h1>\n<p>{}.</p>\n<p class=\"hint\">Change points: {}. \
         Bands: the 95% interval of each run's percentile (Student's t over its measurement \
         windows; from the histogram's ranks when a run kept no windows). Hover a run for \
         its commit, date and values.</p>\n",
        esc(&span_line(history)),
        esc(METHOD)
    );
    let sections = [
        (
            "Change points",
            &findings.changes,
            "No change point in any scenario.",
        ),
        ("Plan changes", &findings.plan_changes, "No plan changed."),
        ("Definition changes", &findings.definition_changes, ""),
        ("Runs the gate failed", &findings.failed_runs, "None."),
    ];
    for (title, lines, none) in sections {
        page.push_str(&list(title, lines, none));
    }
    page.push_str("<h2>Scenarios</h2>\n");
    for scenario in &history.scenarios {
        page.push_str(&format!(
            "<figure class=\"chart\" id=\"{}\">\n<figcaption><code>{}</code> \
             <span class=\"hint\">{} runs, {} change points, {} plan changes</span>\
             </figcaption>\n{}</figure>\n",
            esc(&scenario.name),
            esc(&scenario.name),
            scenario.points.len(),
            scenario.change_points.len(),
            scenario.plan_changes.len(),
            scenario_chart(history, scenario)
        ));
    }
    page.push_str("</body>\n</html>\n");
    page
}

/// A titled list; `none` in its place when empty (nothing at all when `none` is empty).
fn list(title: &str, lines: &[String], none: &str) -> String {
    if lines.is_empty() {
        if none.is_empty() {
            return String::new();
        }
        return format!("<h2>{title}</h2>\n<p class=\"none\">{}</p>\n", esc(none));
    }
    let items: String = lines
        .iter()
        .map(|line| format!("<li>{}</li>\n", esc(line)))
        .collect();
    format!(
        "<h2>{title}</h2>\n<ul class=\"{}\">\n{items}</ul>\n",
        slug(title)
    )
}

/// `Change points` → `change-points`.
fn slug(title: &str) -> String {
    title.to_lowercase().replace(' ', "-")
}
