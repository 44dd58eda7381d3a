//! The HTML page's overview chart: p50/p95/p99 of each scenario as horizontal bars, drawn
//! with the chart kit (`report::chart`). Must not decide statuses.

use super::cells::truncate_chars;
use super::chart::draw::{self, Key};
use super::chart::{PALETTE, Svg};
use super::units::format_latency_us;
use crate::results::RunReport;

const LABEL_WIDTH: f64 = 220.0;
const PLOT_WIDTH: f64 = 520.0;
const VALUE_WIDTH: f64 = 80.0;
const BAR_HEIGHT: f64 = 10.0;
const GROUP_GAP: f64 = 12.0;
const TOP: f64 = 24.0;
/// Scenario names longer than this are cut in the label (the bar tooltips keep them whole).
const LABEL_CHARS: usize = 32;

/// The label and colour of the three bars of a scenario.
const SERIES: [(&str, &str); 3] = [
    ("p50", PALETTE[0]),
    ("p95", PALETTE[1]),
    ("p99", PALETTE[2]),
];

/// The chart as an `<svg>` element; an empty string when no scenario has a latency.
pub fn latency_chart(report: &RunReport) -> String {
    let rows: Vec<(&str, [u64; 3])> = report
        .scenarios
        .iter()
        .filter_map(|s| {
            s.latency_us
                .map(|l| (s.name.as_str(), [l.p50, l.p95, l.p99]))
        })
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    let scale_max = rows.iter().flat_map(|(_, v)| *v).max().unwrap_or(1).max(1) as f64;
    let group_height = BAR_HEIGHT * 3.0 + GROUP_GAP;
    let height = TOP + group_height * rows.len() as f64;
    let width = LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH;
    let mut svg = Svg::new(width, height, "p50, p95 and p99 latency per scenario");
    let keys: Vec<(Key, &str)> = SERIES
        .iter()
        .map(|(label, colour)| (Key::Swatch(colour), *label))
        .collect();
    svg.push(&draw::legend_row(&keys, LABEL_WIDTH, 10.0, 60.0));
    for (index, (name, values)) in rows.iter().enumerate() {
        let top = TOP + group_height * index as f64;
        svg.push(&scenario_bars(name, values, top, scale_max));
    }
    svg.finish()
}

fn scenario_bars(name: &str, values: &[u64; 3], top: f64, scale_max: f64) -> String {
    let label_y = top + BAR_HEIGHT * 1.5 + 4.0;
    let label = truncate_chars(name, LABEL_CHARS);
    let mut out = draw::text(LABEL_WIDTH - 8.0, label_y, &label, "text-anchor=\"end\"");
    for (index, ((series, colour), value)) in SERIES.iter().zip(values).enumerate() {
        let y = top + BAR_HEIGHT * index as f64;
        let length = (*value as f64 / scale_max * PLOT_WIDTH).max(1.0);
        let text = format_latency_us(*value as f64);
        out.push_str(&draw::bar(
            (LABEL_WIDTH, y),
            (length, BAR_HEIGHT - 1.0),
            colour,
            &format!("{name} {series} {text}"),
        ));
        out.push_str(&draw::text(
            LABEL_WIDTH + length + 4.0,
            y + BAR_HEIGHT - 2.0,
            &text,
            "font-size=\"9\"",
        ));
    }
    out
}
