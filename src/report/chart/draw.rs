//! The marks of the chart kit, each returned as SVG text to push into an `Svg`: the frame
//! and grid of a plot, lines, interval bands, threshold lines, markers, vertical rules,
//! transparent hover columns, bars, text and legends. Positions are pixels unless a
//! function takes a `Plot` and data values. Every text is escaped. Pure.

use super::{ALERT, Area, GRID, Plot, escape};

/// How a line is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stroke<'a> {
    pub colour: &'a str,
    pub width: f64,
    /// `stroke-dasharray`, e.g. "6 4"; `None` for a solid line.
    pub dash: Option<&'a str>,
}

impl<'a> Stroke<'a> {
    pub fn solid(colour: &'a str, width: f64) -> Self {
        Stroke {
            colour,
            width,
            dash: None,
        }
    }

    pub fn dashed(colour: &'a str, width: f64, dash: &'a str) -> Self {
        Stroke {
            colour,
            width,
            dash: Some(dash),
        }
    }

    fn attributes(&self) -> String {
        let dash = self
            .dash
            .map_or(String::new(), |d| format!(" stroke-dasharray=\"{d}\""));
        format!(
            "stroke=\"{}\" stroke-width=\"{}\"{dash}",
            self.colour, self.width
        )
    }
}

/// The white plotting area with a grey border.
pub fn frame(area: &Area) -> String {
    format!(
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#fff\" stroke=\"#999\"/>\n",
        area.left,
        area.top,
        area.width(),
        area.height()
    )
}

/// Horizontal grid lines at the data values `ticks`, labelled on the left by `label`.
pub fn y_grid(plot: &Plot, ticks: &[f64], label: impl Fn(f64) -> String) -> String {
    let (left, right) = (plot.area.left, plot.area.right);
    ticks
        .iter()
        .map(|&value| {
            let y = plot.py(value);
            format!(
                "<line x1=\"{left}\" y1=\"{y:.1}\" x2=\"{right}\" y2=\"{y:.1}\" stroke=\"{GRID}\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\n",
                left - 6.0,
                y + 4.0,
                escape(&label(value))
            )
        })
        .collect()
}

/// Vertical grid lines at the data values of `ticks`, labelled below the plot.
pub fn x_grid(plot: &Plot, ticks: &[(f64, String)]) -> String {
    let (top, bottom) = (plot.area.top, plot.area.bottom);
    ticks
        .iter()
        .map(|(value, label)| {
            let x = plot.px(*value);
            format!(
                "<line x1=\"{x:.1}\" y1=\"{top}\" x2=\"{x:.1}\" y2=\"{bottom}\" stroke=\"{GRID}\"/>\
                 <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\n",
                bottom + 14.0,
                escape(label)
            )
        })
        .collect()
}

/// A grey title centred under the plot, at row `y`.
pub fn x_title(plot: &Plot, title: &str, y: f64) -> String {
    let x = (plot.area.left + plot.area.right) / 2.0;
    text(x, y, title, "text-anchor=\"middle\" fill=\"#555\"")
}

/// Text at (x, y) with extra attributes (e.g. `text-anchor="end"`).
pub fn text(x: f64, y: f64, content: &str, attributes: &str) -> String {
    let attributes = if attributes.is_empty() {
        String::new()
    } else {
        format!(" {attributes}")
    };
    format!(
        "<text x=\"{x:.1}\" y=\"{y:.1}\"{attributes}>{}</text>\n",
        escape(content)
    )
}

fn points_text(points: &[(f64, f64)]) -> String {
    let texts: Vec<String> = points
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect();
    texts.join(" ")
}

/// A line through pixel `points`.
pub fn line(points: &[(f64, f64)], stroke: Stroke) -> String {
    format!(
        "<polyline fill=\"none\" {} stroke-linejoin=\"round\" points=\"{}\"/>\n",
        stroke.attributes(),
        points_text(points)
    )
}

/// A filled band between two lines of pixel points (`upper` and `lower`, left to right),
/// e.g. the interval of each point of a series.
pub fn band(upper: &[(f64, f64)], lower: &[(f64, f64)], colour: &str, opacity: f64) -> String {
    let outline: Vec<(f64, f64)> = upper.iter().chain(lower.iter().rev()).copied().collect();
    format!(
        "<polygon fill=\"{colour}\" fill-opacity=\"{opacity}\" stroke=\"none\" points=\"{}\"/>\n",
        points_text(&outline)
    )
}

/// A dashed horizontal line at the data value `value` across the plot, labelled at its
/// right end (below the line when it is at the top of the plot).
pub fn threshold(plot: &Plot, value: f64, label: &str) -> String {
    let y = plot.py(value);
    let (left, right) = (plot.area.left, plot.area.right);
    let label_y = if y - plot.area.top < 14.0 {
        y + 13.0
    } else {
        y - 4.0
    };
    format!(
        "<line x1=\"{left}\" y1=\"{y:.1}\" x2=\"{right}\" y2=\"{y:.1}\" {}/>{}",
        Stroke::dashed(ALERT, 1.5, "6 4").attributes(),
        text(
            right - 4.0,
            label_y,
            label,
            &format!(
                "text-anchor=\"end\" fill=\"{ALERT}\" stroke=\"#fff\" stroke-width=\"3\" \
                 paint-order=\"stroke\""
            )
        )
    )
}

/// A dot at a pixel point, with hover text when `title` is given.
pub fn marker(point: (f64, f64), radius: f64, fill: &str, title: Option<&str>) -> String {
    let (x, y) = point;
    match title {
        Some(title) => format!(
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{radius}\" fill=\"{fill}\"><title>{}</title></circle>\n",
            escape(title)
        ),
        None => format!("<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{radius}\" fill=\"{fill}\"/>\n"),
    }
}

/// A vertical line across the plot at pixel column `x`, with a label above the plot and
/// hover text.
pub fn rule(area: &Area, x: f64, stroke: Stroke, label: &str, title: &str) -> String {
    format!(
        "<g><title>{}</title><line x1=\"{x:.1}\" y1=\"{}\" x2=\"{x:.1}\" y2=\"{}\" {}/>{}</g>\n",
        escape(title),
        area.top,
        area.bottom,
        stroke.attributes(),
        text(
            x + 3.0,
            area.top + 11.0,
            label,
            &format!("fill=\"{}\" font-size=\"10\"", stroke.colour)
        )
        .trim_end()
    )
}

/// An invisible column over the whole plot height whose hover text is `title`: hovering
/// anywhere above a run shows what was measured there.
pub fn hover_column(area: &Area, x: f64, width: f64, title: &str) -> String {
    format!(
        "<rect x=\"{:.1}\" y=\"{}\" width=\"{width:.1}\" height=\"{}\" fill=\"transparent\" \
         pointer-events=\"all\"><title>{}</title></rect>\n",
        x - width / 2.0,
        area.top,
        area.height(),
        escape(title)
    )
}

/// A filled bar with hover text.
pub fn bar(corner: (f64, f64), size: (f64, f64), fill: &str, title: &str) -> String {
    format!(
        "<rect x=\"{}\" y=\"{}\" width=\"{:.1}\" height=\"{}\" fill=\"{fill}\"><title>{}</title></rect>",
        corner.0,
        corner.1,
        size.0,
        size.1,
        escape(title)
    )
}

/// What a legend entry shows before its label.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Key<'a> {
    /// A short stretch of line.
    Line(Stroke<'a>),
    /// A filled square.
    Swatch(&'a str),
    /// A thin filled bar (a series of a many-line chart).
    Bar(&'a str),
}

fn key_mark(key: &Key, x: f64, y: f64) -> String {
    match key {
        Key::Line(stroke) => format!(
            "<line x1=\"{x}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" {}/>",
            x + 24.0,
            stroke.attributes()
        ),
        Key::Swatch(colour) => format!(
            "<rect x=\"{x}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{colour}\"/>",
            y - 6.0
        ),
        Key::Bar(colour) => format!(
            "<rect x=\"{x}\" y=\"{}\" width=\"12\" height=\"3\" fill=\"{colour}\"/>",
            y - 4.0
        ),
    }
}

fn key_width(key: &Key) -> f64 {
    match key {
        Key::Line(_) => 30.0,
        Key::Swatch(_) => 14.0,
        Key::Bar(_) => 18.0,
    }
}

/// Legend entries side by side from (x, y), `step` pixels apart.
pub fn legend_row(items: &[(Key, &str)], x: f64, y: f64, step: f64) -> String {
    items
        .iter()
        .enumerate()
        .map(|(index, (key, label))| {
            let at = x + index as f64 * step;
            let label_x = at + key_width(key);
            format!(
                "{}<text x=\"{label_x}\" y=\"{}\">{}</text>\n",
                key_mark(key, at, y),
                y + 4.0,
                escape(label)
            )
        })
        .collect()
}

/// Legend entries one under the other from (x, y), `step` pixels apart.
pub fn legend_column(items: &[(Key, &str)], x: f64, y: f64, step: f64) -> String {
    items
        .iter()
        .enumerate()
        .map(|(index, (key, label))| {
            let at = y + index as f64 * step;
            format!(
                "{}<text x=\"{}\" y=\"{at}\">{}</text>\n",
                key_mark(key, x, at),
                x + key_width(key),
                escape(label)
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::Scale;
    use super::*;

    fn plot() -> Plot {
        Plot {
            area: Area {
                left: 50.0,
                top: 20.0,
                right: 450.0,
                bottom: 220.0,
            },
            x: Scale::Linear {
                low: 0.0,
                high: 4.0,
            },
            y: Scale::Log10 {
                low: 100.0,
                high: 10_000.0,
            },
        }
    }

    #[test]
    fn a_band_closes_the_upper_line_with_the_lower_one_reversed() {
        let band = band(
            &[(0.0, 1.0), (2.0, 1.0)],
            &[(0.0, 3.0), (2.0, 3.0)],
            "#f00",
            0.2,
        );
        assert!(
            band.contains("points=\"0.0,1.0 2.0,1.0 2.0,3.0 0.0,3.0\""),
            "{band}"
        );
    }

    #[test]
    fn a_threshold_is_a_dashed_red_line_with_its_escaped_label() {
        let plot = plot();
        let line = threshold(&plot, 1_000.0, "p95 < 1ms");
        assert!(line.contains("y1=\"120.0\"") && line.contains("stroke-dasharray=\"6 4\""));
        assert!(line.contains(">p95 &lt; 1ms</text>"), "{line}");
        let top = threshold(&plot, 10_000.0, "x");
        assert!(
            top.contains("y=\"33.0\""),
            "below the line at the top: {top}"
        );
    }

    #[test]
    fn grids_legends_and_hover_text_are_escaped_and_placed() {
        let plot = plot();
        let grid = y_grid(&plot, &[100.0, 1_000.0], |v| format!("<{v}>"));
        assert_eq!(grid.matches("<line").count(), 2);
        assert!(grid.contains("&lt;1000&gt;"));
        let x = x_grid(&plot, &[(2.0, "run 2".into())]);
        assert!(x.contains("x1=\"250.0\""), "{x}");
        let legend = legend_row(&[(Key::Swatch("#000"), "a&b")], 0.0, 10.0, 60.0);
        assert!(legend.contains(">a&amp;b</text>"));
        let hover = hover_column(&plot.area, 100.0, 10.0, "run \"1\"");
        assert!(
            hover.contains("<title>run &quot;1&quot;</title>"),
            "{hover}"
        );
        let rule = rule(&plot.area, 80.0, Stroke::solid("#00f", 1.0), "Δ", "why");
        assert!(rule.contains("<title>why</title>") && rule.contains(">Δ</text>"));
    }
}
