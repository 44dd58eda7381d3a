//! A hand-written inline SVG log-log chart of a scale sweep: p50 latency against
//! sessions, one line per scenario, with decade grid lines and a legend. No external
//! assets. Must escape every text it places.

use super::cells::truncate_chars;
use super::html_chart::escape_xml;
use super::units::format_latency_us;
use crate::growth::sweep::ScaleReport;
use crate::seed::group_thousands;

const LEFT: f64 = 70.0;
const TOP: f64 = 30.0;
const PLOT_WIDTH: f64 = 520.0;
const PLOT_HEIGHT: f64 = 320.0;
const LEGEND_WIDTH: f64 = 300.0;
const BOTTOM: f64 = 50.0;
const PALETTE: [&str; 8] = [
    "#4c9be8", "#f0a030", "#d9534f", "#5cb85c", "#8e6cc0", "#20a0a0", "#c06090", "#707070",
];

/// Whole decades covering `values` (base-10 exponents, at least one decade wide).
fn decades(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (low, high) = values
        .filter(|v| *v > 0.0 && v.is_finite())
        .map(f64::log10)
        .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if low > high {
        return (0.0, 1.0);
    }
    let (low, high) = (low.floor(), high.ceil());
    (low, if high > low { high } else { low + 1.0 })
}

/// Position of `value` on an axis spanning decades `range` over `length` pixels.
fn place(value: f64, (low, high): (f64, f64), length: f64) -> f64 {
    (value.log10() - low) / (high - low) * length
}

/// The chart as an `<svg>` element (axes only when nothing has a latency).
pub fn loglog_chart(report: &ScaleReport) -> String {
    let x_range = decades(report.levels.iter().map(|l| l.sessions as f64));
    let y_range = decades(
        report
            .scenarios
            .iter()
            .flat_map(|s| s.levels.iter().filter_map(|l| l.p50_us)),
    );
    let width = LEFT + PLOT_WIDTH + LEGEND_WIDTH;
    let height = TOP + PLOT_HEIGHT + BOTTOM;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"11\">\n\
         <title>p50 latency against sessions, log-log, one line per scenario</title>\n\
         <text x=\"{LEFT}\" y=\"18\" font-size=\"13\">p50 latency against sessions (log-log)</text>\n"
    );
    svg.push_str(&grid(x_range, y_range));
    for (index, scenario) in report.scenarios.iter().enumerate() {
        let colour = PALETTE[index % PALETTE.len()];
        let points: Vec<(f64, f64)> = scenario
            .levels
            .iter()
            .filter_map(|l| l.p50_us.map(|p| (l.sessions as f64, p)))
            .map(|(n, p)| {
                (
                    LEFT + place(n, x_range, PLOT_WIDTH),
                    TOP + PLOT_HEIGHT - place(p, y_range, PLOT_HEIGHT),
                )
            })
            .collect();
        svg.push_str(&series(&scenario.name, colour, &points));
        let class = scenario.class.map(|c| c.as_str()).unwrap_or("unclassified");
        let label = format!("{} ({class})", truncate_chars(&scenario.name, 32));
        let y = TOP + 8.0 + index as f64 * 16.0;
        let x = LEFT + PLOT_WIDTH + 20.0;
        svg.push_str(&format!(
            "<rect x=\"{x}\" y=\"{}\" width=\"12\" height=\"3\" fill=\"{colour}\"/>\
             <text x=\"{}\" y=\"{}\">{}</text>\n",
            y - 4.0,
            x + 18.0,
            y,
            escape_xml(&label)
        ));
    }
    svg.push_str("</svg>\n");
    svg
}

/// Decade grid lines with their labels, and the axis titles.
fn grid(x_range: (f64, f64), y_range: (f64, f64)) -> String {
    let mut svg = String::new();
    let (bottom, right) = (TOP + PLOT_HEIGHT, LEFT + PLOT_WIDTH);
    for decade in (x_range.0 as i32)..=(x_range.1 as i32) {
        let value = 10f64.powi(decade);
        let x = LEFT + place(value, x_range, PLOT_WIDTH);
        svg.push_str(&format!(
            "<line x1=\"{x}\" y1=\"{TOP}\" x2=\"{x}\" y2=\"{bottom}\" stroke=\"#ddd\"/>\
             <text x=\"{x}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
            bottom + 14.0,
            group_thousands(value as u64)
        ));
    }
    for decade in (y_range.0 as i32)..=(y_range.1 as i32) {
        let value = 10f64.powi(decade);
        let y = bottom - place(value, y_range, PLOT_HEIGHT);
        svg.push_str(&format!(
            "<line x1=\"{LEFT}\" y1=\"{y}\" x2=\"{right}\" y2=\"{y}\" stroke=\"#ddd\"/>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n",
            LEFT - 6.0,
            y + 4.0,
            escape_xml(&format_latency_us(value))
        ));
    }
    svg.push_str(&format!(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">sessions</text>\n",
        LEFT + PLOT_WIDTH / 2.0,
        bottom + 34.0
    ));
    svg
}

/// One scenario's line and points, with a tooltip naming it.
fn series(name: &str, colour: &str, points: &[(f64, f64)]) -> String {
    let path: Vec<String> = points
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect();
    let mut svg = format!(
        "<g><title>{}</title><polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"/>",
        escape_xml(name),
        path.join(" ")
    );
    for (x, y) in points {
        svg.push_str(&format!(
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\" fill=\"{colour}\"/>"
        ));
    }
    svg.push_str("</g>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decades_cover_the_values_and_are_never_empty() {
        assert_eq!(decades([100.0, 100_000.0].into_iter()), (2.0, 5.0));
        assert_eq!(decades([150.0, 900.0].into_iter()), (2.0, 3.0));
        assert_eq!(decades([100.0].into_iter()), (2.0, 3.0));
        assert_eq!(decades(std::iter::empty()), (0.0, 1.0));
        assert_eq!(place(1_000.0, (2.0, 5.0), 300.0), 100.0);
    }
}
