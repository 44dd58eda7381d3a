//! The scale sweep's log-log chart: p50 latency against sessions, one line per scenario,
//! with decade grid lines and a legend, drawn with the chart kit (`report::chart`).
//! Must not fit or classify: it shows what `growth` decided.

use super::cells::truncate_chars;
use super::chart::draw::{self, Key, Stroke};
use super::chart::{Area, PALETTE, Plot, Scale, Svg};
use super::units::format_latency_us;
use crate::growth::sweep::ScaleReport;
use crate::seed::group_thousands;

const LEFT: f64 = 70.0;
const TOP: f64 = 30.0;
const PLOT_WIDTH: f64 = 520.0;
const PLOT_HEIGHT: f64 = 320.0;
const LEGEND_WIDTH: f64 = 300.0;
const BOTTOM: f64 = 50.0;

/// The decade values of a whole-decade log axis.
fn decade_values(scale: Scale) -> Vec<f64> {
    let Scale::Log10 { low, high } = scale else {
        return Vec::new();
    };
    let (first, last) = (low.log10().round() as i32, high.log10().round() as i32);
    (first..=last).map(|k| 10f64.powi(k)).collect()
}

/// The chart as an `<svg>` element (axes only when nothing has a latency).
pub fn loglog_chart(report: &ScaleReport) -> String {
    let plot = Plot {
        area: Area {
            left: LEFT,
            top: TOP,
            right: LEFT + PLOT_WIDTH,
            bottom: TOP + PLOT_HEIGHT,
        },
        x: Scale::log_decades(report.levels.iter().map(|l| l.sessions as f64)),
        y: Scale::log_decades(
            report
                .scenarios
                .iter()
                .flat_map(|s| s.levels.iter().filter_map(|l| l.p50_us)),
        ),
    };
    let title = "p50 latency against sessions, log-log, one line per scenario";
    let mut svg = Svg::new(
        LEFT + PLOT_WIDTH + LEGEND_WIDTH,
        TOP + PLOT_HEIGHT + BOTTOM,
        title,
    );
    svg.push(&draw::text(
        LEFT,
        18.0,
        "p50 latency against sessions (log-log)",
        "font-size=\"13\"",
    ));
    svg.push(&grid(&plot));
    let mut keys = Vec::new();
    for (index, scenario) in report.scenarios.iter().enumerate() {
        let colour = PALETTE[index % PALETTE.len()];
        let points: Vec<(f64, f64)> = scenario
            .levels
            .iter()
            .filter_map(|l| l.p50_us.map(|p| plot.point((l.sessions as f64, p))))
            .collect();
        svg.push(&series(&scenario.name, colour, &points));
        let class = scenario.class.map(|c| c.as_str()).unwrap_or("unclassified");
        keys.push((
            colour,
            format!("{} ({class})", truncate_chars(&scenario.name, 32)),
        ));
    }
    let items: Vec<(Key, &str)> = keys
        .iter()
        .map(|(colour, label)| (Key::Bar(colour), label.as_str()))
        .collect();
    svg.push(&draw::legend_column(
        &items,
        LEFT + PLOT_WIDTH + 20.0,
        TOP + 8.0,
        16.0,
    ));
    svg.finish()
}

/// Decade grid lines with their labels, and the axis title.
fn grid(plot: &Plot) -> String {
    let x_ticks: Vec<(f64, String)> = decade_values(plot.x)
        .into_iter()
        .map(|value| (value, group_thousands(value as u64)))
        .collect();
    let mut svg = draw::x_grid(plot, &x_ticks);
    svg.push_str(&draw::y_grid(
        plot,
        &decade_values(plot.y),
        format_latency_us,
    ));
    svg.push_str(&draw::x_title(plot, "sessions", plot.area.bottom + 34.0));
    svg
}

/// One scenario's line and points, with a tooltip naming it.
fn series(name: &str, colour: &str, points: &[(f64, f64)]) -> String {
    let dots: String = points
        .iter()
        .map(|&point| draw::marker(point, 3.0, colour, None))
        .collect();
    format!(
        "<g><title>{}</title>{}{dots}</g>\n",
        super::chart::escape(name),
        draw::line(points, Stroke::solid(colour, 2.0))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_has_a_line_per_decade() {
        let scale = Scale::log_decades([100.0, 100_000.0].into_iter());
        assert_eq!(decade_values(scale), [100.0, 1_000.0, 10_000.0, 100_000.0]);
        assert!(
            decade_values(Scale::Linear {
                low: 0.0,
                high: 1.0
            })
            .is_empty()
        );
    }
}
