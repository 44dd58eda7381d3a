//! A hand-written inline SVG bar chart of p50/p95/p99 per scenario, for the HTML page.
//! No dependencies and no external assets. Must escape every text it places.

use super::cells::truncate_chars;
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

/// (label, colour) of the three bars of a scenario.
const SERIES: [(&str, &str); 3] = [("p50", "#4c9be8"), ("p95", "#f0a030"), ("p99", "#d9534f")];

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
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"11\">\n\
         <title>p50, p95 and p99 latency per scenario</title>\n"
    );
    svg.push_str(&legend());
    for (index, (name, values)) in rows.iter().enumerate() {
        let top = TOP + group_height * index as f64;
        svg.push_str(&scenario_bars(name, values, top, scale_max));
    }
    svg.push_str("</svg>\n");
    svg
}

fn legend() -> String {
    SERIES
        .iter()
        .enumerate()
        .map(|(index, (label, colour))| {
            let x = LABEL_WIDTH + index as f64 * 60.0;
            format!(
                "<rect x=\"{x}\" y=\"4\" width=\"10\" height=\"10\" fill=\"{colour}\"/>\
                 <text x=\"{}\" y=\"13\">{label}</text>\n",
                x + 14.0
            )
        })
        .collect()
}

fn scenario_bars(name: &str, values: &[u64; 3], top: f64, scale_max: f64) -> String {
    let label_y = top + BAR_HEIGHT * 1.5 + 4.0;
    let mut out = format!(
        "<text x=\"{}\" y=\"{label_y}\" text-anchor=\"end\">{}</text>\n",
        LABEL_WIDTH - 8.0,
        escape_xml(&truncate_chars(name, LABEL_CHARS))
    );
    for (index, ((label, colour), value)) in SERIES.iter().zip(values).enumerate() {
        let y = top + BAR_HEIGHT * index as f64;
        let bar = (*value as f64 / scale_max * PLOT_WIDTH).max(1.0);
        let text = format_latency_us(*value as f64);
        out.push_str(&format!(
            "<rect x=\"{LABEL_WIDTH}\" y=\"{y}\" width=\"{bar:.1}\" height=\"{}\" fill=\"{colour}\">\
             <title>{} {label} {text}</title></rect>\
             <text x=\"{:.1}\" y=\"{}\" font-size=\"9\">{text}</text>\n",
            BAR_HEIGHT - 1.0,
            escape_xml(name),
            LABEL_WIDTH + bar + 4.0,
            y + BAR_HEIGHT - 2.0,
        ));
    }
    out
}

/// Escapes text for HTML and XML content and attribute values.
pub fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_neutralises_markup_and_quotes() {
        assert_eq!(
            escape_xml("<script>alert('x') & \"y\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;"
        );
    }
}
