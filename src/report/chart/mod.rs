//! The one chart kit behind every SVG the tool draws (the HTML page's bar chart and
//! percentile spectra, the scale sweep's log-log chart, the trend page): a document
//! builder, a plot (pixel area plus an x and a y [`Scale`]: linear, log10, or the log
//! percentile scale), nice ticks (`axis`), and the marks (`draw`: frame and grid, lines,
//! interval bands, threshold lines, markers, vertical rules, bars, legends). Hand-written
//! SVG: no scripts, no fonts or files loaded, hover text as `<title>`. Every text placed is
//! escaped here. Must not read results or decide anything: callers pass numbers and words.

pub mod axis;
pub mod draw;

pub use axis::Scale;

/// Series colours, in order of use.
pub const PALETTE: [&str; 8] = [
    "#4c9be8", "#f0a030", "#d9534f", "#5cb85c", "#8e6cc0", "#20a0a0", "#c06090", "#707070",
];
/// Grid lines.
pub const GRID: &str = "#e4e4e4";
/// Threshold lines and failures.
pub const ALERT: &str = "#cf222e";

/// Escapes text for HTML and XML content and attribute values.
pub fn escape(text: &str) -> String {
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

/// An `<svg>` element under construction: a fixed size, an accessible title, then marks.
#[derive(Debug, Clone)]
pub struct Svg {
    out: String,
}

impl Svg {
    /// Opens a `width` × `height` document titled `title` (escaped).
    pub fn new(width: f64, height: f64, title: &str) -> Self {
        Svg {
            out: format!(
                "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"{width}\" \
                 height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" \
                 font-size=\"11\">\n<title>{}</title>\n",
                escape(title)
            ),
        }
    }

    /// Appends marks (from `draw`).
    pub fn push(&mut self, marks: &str) {
        self.out.push_str(marks);
    }

    /// The finished element, with a final newline.
    pub fn finish(mut self) -> String {
        self.out.push_str("</svg>\n");
        self.out
    }
}

/// A rectangle of the document, in pixels: where a plot draws.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Area {
    pub left: f64,
    pub top: f64,
    pub right: f64,
    pub bottom: f64,
}

impl Area {
    /// The plotting area of a `width` × `height` chart with these margins.
    pub fn inside(width: f64, height: f64, [left, top, right, bottom]: [f64; 4]) -> Area {
        Area {
            left,
            top,
            right: width - right,
            bottom: height - bottom,
        }
    }

    pub fn width(&self) -> f64 {
        self.right - self.left
    }

    pub fn height(&self) -> f64 {
        self.bottom - self.top
    }
}

/// A plot: an area and the scales mapping data to it (x left to right, y bottom to top).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plot {
    pub area: Area,
    pub x: Scale,
    pub y: Scale,
}

impl Plot {
    /// The pixel column of the data value `x` (clamped into the area).
    pub fn px(&self, x: f64) -> f64 {
        self.area.left + self.x.share(x) * self.area.width()
    }

    /// The pixel row of the data value `y` (clamped into the area).
    pub fn py(&self, y: f64) -> f64 {
        self.area.bottom - self.y.share(y) * self.area.height()
    }

    /// The pixel point of a data point.
    pub fn point(&self, (x, y): (f64, f64)) -> (f64, f64) {
        (self.px(x), self.py(y))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_neutralises_markup_and_quotes() {
        assert_eq!(
            escape("<script>alert('x') & \"y\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;"
        );
    }

    #[test]
    fn a_plot_maps_data_into_its_area_with_y_upwards() {
        let plot = Plot {
            area: Area {
                left: 10.0,
                top: 20.0,
                right: 110.0,
                bottom: 220.0,
            },
            x: Scale::Linear {
                low: 0.0,
                high: 10.0,
            },
            y: Scale::Log10 {
                low: 100.0,
                high: 10_000.0,
            },
        };
        assert_eq!(plot.point((0.0, 100.0)), (10.0, 220.0));
        assert_eq!(plot.point((5.0, 1_000.0)), (60.0, 120.0));
        assert_eq!(plot.point((20.0, 1e9)), (110.0, 20.0), "clamped");
        let svg = Svg::new(100.0, 50.0, "a<b").finish();
        assert!(svg.contains("<title>a&lt;b</title>") && svg.ends_with("</svg>\n"));
    }
}
