//! The HTML page's percentile-spectrum charts, one inline SVG per measured scenario:
//! latency (log scale) against percentile (HdrHistogram's log scale: 50, 90, 99, 99.9 …),
//! the run's curve, the baseline's curve when there is one, and each latency threshold
//! as a dashed line. Hand-written SVG, no scripts, nothing loaded from the network. Must
//! escape every text it places and must not decide statuses.

use super::cells::status_label;
use super::html_chart::escape_xml as esc;
use super::spectrum::{Spectrum, SpectrumSource, percentile_x, scenario_spectrum, x_limit};
use super::units::format_latency_us;
use crate::config::Metric;
use crate::results::{RunReport, ScenarioResult, ThresholdOutcome};

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 26.0;
const BOTTOM: f64 = 40.0;
const CURRENT: &str = "#1f6feb";
const BASELINE: &str = "#8c959f";
const THRESHOLD: &str = "#cf222e";
/// Percentile labels of the x axis, at x = 0, log10(2), 1, 2, 3 …
const X_LABELS: [(f64, &str); 9] = [
    (0.0, "0%"),
    (50.0, "50%"),
    (90.0, "90%"),
    (99.0, "99%"),
    (99.9, "99.9%"),
    (99.99, "99.99%"),
    (99.999, "99.999%"),
    (99.9999, "99.9999%"),
    (99.99999, "99.99999%"),
];

/// The section of charts; empty when no scenario measured a latency.
pub fn spectrum_section(report: &RunReport, baseline: Option<&RunReport>) -> String {
    let figures: Vec<String> = report
        .scenarios
        .iter()
        .filter_map(|result| {
            let then = baseline.and_then(|b| b.scenarios.iter().find(|s| s.name == result.name));
            scenario_figure(result, then)
        })
        .collect();
    if figures.is_empty() {
        return String::new();
    }
    format!(
        "<h2>Percentile spectrum</h2>\n<p class=\"hint\">Latency at each percentile, from the \
         recorded histogram. Percentiles on a log scale, so the tail gets room; latency on a log \
         scale. Dashed red: the latency thresholds{}.</p>\n<div class=\"charts\">\n{}</div>\n",
        if baseline.is_some() {
            "; grey: the baseline"
        } else {
            ""
        },
        figures.concat()
    )
}

/// One `<figure>`: caption and chart; `None` when the scenario measured nothing.
fn scenario_figure(result: &ScenarioResult, baseline: Option<&ScenarioResult>) -> Option<String> {
    let current = scenario_spectrum(result)?;
    let previous = baseline.and_then(scenario_spectrum);
    let note = match current.source {
        SpectrumSource::Histogram => String::new(),
        SpectrumSource::Summary => {
            " <span class=\"hint\">(summary percentiles only: no histogram stored)</span>"
                .to_string()
        }
    };
    Some(format!(
        "<figure class=\"chart\">\n<figcaption><code>{}</code> <span class=\"{}\">{}</span> \
         <span class=\"hint\">{} iterations</span>{note}</figcaption>\n{}</figure>\n",
        esc(&result.name),
        result.status.as_str(),
        status_label(result.status),
        result.iterations,
        spectrum_svg(result, &current, previous.as_ref()),
    ))
}

/// The scales of one chart: x from 0 to `x_max`, latency from `low_us` to `high_us` (log).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Axes {
    x_max: f64,
    low_us: f64,
    high_us: f64,
}

impl Axes {
    /// Fits every point of the curves and every latency limit.
    fn fit(curves: &[&Spectrum], limits: &[f64]) -> Axes {
        let values = curves
            .iter()
            .flat_map(|curve| curve.points.iter().map(|p| p.latency_us as f64))
            .chain(limits.iter().copied())
            .map(|value| value.max(1.0));
        let (low, high) = values.fold((f64::MAX, 1.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
        let last_x = curves
            .iter()
            .filter_map(|curve| curve.points.last().map(|p| p.x()))
            .fold(x_limit(1), f64::max);
        let low_us = nice_floor(low.min(high));
        Axes {
            x_max: (last_x - 1e-6).ceil(),
            low_us,
            // Headroom above the highest value, so a threshold line never sits on the frame.
            high_us: nice_ceil(high * 1.5).max(nice_ceil(low_us * 1.01)),
        }
    }

    fn px(&self, x: f64) -> f64 {
        LEFT + x.clamp(0.0, self.x_max) / self.x_max * (WIDTH - LEFT - RIGHT)
    }

    fn py(&self, us: f64) -> f64 {
        let (lo, hi) = (self.low_us.log10(), self.high_us.log10());
        let share = (us.max(1.0).log10() - lo) / (hi - lo);
        HEIGHT - BOTTOM - share.clamp(0.0, 1.0) * (HEIGHT - TOP - BOTTOM)
    }
}

/// The largest 1, 2 or 5 × 10^k at or below `value` (≥ 1).
fn nice_floor(value: f64) -> f64 {
    let decade = 10f64.powf(value.max(1.0).log10().floor());
    let step = [5.0, 2.0, 1.0]
        .into_iter()
        .find(|s| s * decade <= value * (1.0 + 1e-9));
    step.unwrap_or(1.0) * decade
}

/// The smallest 1, 2 or 5 × 10^k at or above `value` (≥ 1).
fn nice_ceil(value: f64) -> f64 {
    let decade = 10f64.powf(value.max(1.0).log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .find(|s| s * decade >= value * (1.0 - 1e-9));
    step.unwrap_or(10.0) * decade
}

/// Latency grid values: 1, 2 and 5 × 10^k within the axis, or only 10^k when that is many.
fn y_ticks(axes: &Axes) -> Vec<f64> {
    let first = axes.low_us.log10().floor() as i32;
    let last = axes.high_us.log10().ceil() as i32;
    let within = |v: &f64| *v >= axes.low_us * (1.0 - 1e-9) && *v <= axes.high_us * (1.0 + 1e-9);
    let all: Vec<f64> = (first..=last)
        .flat_map(|k| [1.0, 2.0, 5.0].map(|s| s * 10f64.powi(k)))
        .filter(within)
        .collect();
    if all.len() <= 8 {
        return all;
    }
    (first..=last)
        .map(|k| 10f64.powi(k))
        .filter(within)
        .collect()
}

/// The whole `<svg>` of one scenario.
fn spectrum_svg(
    result: &ScenarioResult,
    current: &Spectrum,
    baseline: Option<&Spectrum>,
) -> String {
    let thresholds: Vec<&ThresholdOutcome> = result
        .thresholds
        .iter()
        .filter(|outcome| is_latency(outcome.threshold.metric) && !outcome.threshold.is_ratio())
        .collect();
    let limits: Vec<f64> = thresholds.iter().map(|o| o.threshold.limit).collect();
    let curves: Vec<&Spectrum> = std::iter::once(current).chain(baseline).collect();
    let axes = Axes::fit(&curves, &limits);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"{WIDTH}\" \
         height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" font-family=\"sans-serif\" \
         font-size=\"11\">\n<title>{} latency by percentile</title>\n",
        esc(&result.name)
    );
    svg.push_str(&grid(&axes));
    if let Some(baseline) = baseline {
        svg.push_str(&curve(
            baseline,
            &axes,
            BASELINE,
            "stroke-dasharray=\"5 3\" ",
        ));
    }
    svg.push_str(&curve(current, &axes, CURRENT, ""));
    for outcome in &thresholds {
        svg.push_str(&threshold_line(outcome, &axes));
    }
    svg.push_str(&legend(baseline.is_some(), !thresholds.is_empty()));
    svg.push_str("</svg>\n");
    svg
}

/// True for metrics measured in microseconds (the ones a latency chart can show).
fn is_latency(metric: Metric) -> bool {
    matches!(
        metric,
        Metric::Min
            | Metric::Mean
            | Metric::P50
            | Metric::P90
            | Metric::P95
            | Metric::P99
            | Metric::P999
            | Metric::Max
    )
}

/// Frame, grid lines and tick labels of both axes, and the axis titles.
fn grid(axes: &Axes) -> String {
    let (left, right) = (LEFT, WIDTH - RIGHT);
    let (top, bottom) = (TOP, HEIGHT - BOTTOM);
    let mut out = format!(
        "<rect x=\"{left}\" y=\"{top}\" width=\"{}\" height=\"{}\" fill=\"#fff\" \
         stroke=\"#999\"/>\n",
        right - left,
        bottom - top
    );
    for value in y_ticks(axes) {
        let y = axes.py(value);
        out.push_str(&format!(
            "<line x1=\"{left}\" y1=\"{y:.1}\" x2=\"{right}\" y2=\"{y:.1}\" stroke=\"#e4e4e4\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\n",
            left - 6.0,
            y + 4.0,
            esc(&format_latency_us(value))
        ));
    }
    for (percentile, label) in X_LABELS {
        let x_value = percentile_x(percentile);
        if x_value > axes.x_max + 1e-9 {
            break;
        }
        let x = axes.px(x_value);
        out.push_str(&format!(
            "<line x1=\"{x:.1}\" y1=\"{top}\" x2=\"{x:.1}\" y2=\"{bottom}\" stroke=\"#e4e4e4\"/>\
             <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{label}</text>\n",
            bottom + 14.0
        ));
    }
    out.push_str(&format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#555\">percentile</text>\n",
        (left + right) / 2.0,
        HEIGHT - 6.0
    ));
    out
}

/// A spectrum as a stepless polyline, with a tooltip per point.
fn curve(spectrum: &Spectrum, axes: &Axes, colour: &str, extra: &str) -> String {
    let points: Vec<String> = spectrum
        .points
        .iter()
        .map(|p| format!("{:.1},{:.1}", axes.px(p.x()), axes.py(p.latency_us as f64)))
        .collect();
    format!(
        "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" {extra}\
         stroke-linejoin=\"round\" points=\"{}\"/>\n",
        points.join(" ")
    )
}

/// A latency threshold: a dashed horizontal line at its limit with its text, and a dot
/// where the run measured the thresholded value when that is a percentile.
fn threshold_line(outcome: &ThresholdOutcome, axes: &Axes) -> String {
    let threshold = &outcome.threshold;
    let y = axes.py(threshold.limit);
    let (left, right) = (LEFT, WIDTH - RIGHT);
    let mut out = format!(
        "<line x1=\"{left}\" y1=\"{y:.1}\" x2=\"{right}\" y2=\"{y:.1}\" stroke=\"{THRESHOLD}\" \
         stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>\
         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"{THRESHOLD}\" \
         stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\">{}</text>\n",
        right - 4.0,
        // Above the line, or below it when the line is at the top of the plot.
        if y - TOP < 14.0 { y + 13.0 } else { y - 4.0 },
        esc(&threshold.text)
    );
    if let (Some(percentile), Some(actual)) = (metric_percentile(threshold.metric), outcome.actual)
    {
        let fill = if outcome.ok { CURRENT } else { THRESHOLD };
        out.push_str(&format!(
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.5\" fill=\"{fill}\"><title>{} measured \
             {}</title></circle>\n",
            axes.px(percentile_x(percentile)),
            axes.py(actual),
            esc(&threshold.text),
            esc(&format_latency_us(actual))
        ));
    }
    out
}

/// The percentile a metric reads, for the metrics that are one.
fn metric_percentile(metric: Metric) -> Option<f64> {
    match metric {
        Metric::P50 => Some(50.0),
        Metric::P90 => Some(90.0),
        Metric::P95 => Some(95.0),
        Metric::P99 => Some(99.0),
        Metric::P999 => Some(99.9),
        _ => None,
    }
}

/// The key above the plot: this run, the baseline and the threshold, as present.
fn legend(baseline: bool, thresholds: bool) -> String {
    let mut items = vec![(CURRENT, "", "this run")];
    if baseline {
        items.push((BASELINE, "stroke-dasharray=\"5 3\" ", "baseline"));
    }
    if thresholds {
        items.push((THRESHOLD, "stroke-dasharray=\"6 4\" ", "threshold"));
    }
    items
        .iter()
        .enumerate()
        .map(|(index, (colour, dash, label))| {
            let x = LEFT + index as f64 * 110.0;
            format!(
                "<line x1=\"{x}\" y1=\"12\" x2=\"{}\" y2=\"12\" stroke=\"{colour}\" \
                 stroke-width=\"2\" {dash}/><text x=\"{}\" y=\"16\">{label}</text>\n",
                x + 24.0,
                x + 30.0
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::spectrum::SpectrumPoint;

    fn spectrum(values: &[(f64, u64)]) -> Spectrum {
        Spectrum {
            points: values
                .iter()
                .map(|&(percentile, latency_us)| SpectrumPoint {
                    percentile,
                    latency_us,
                })
                .collect(),
            source: SpectrumSource::Histogram,
        }
    }

    #[test]
    fn nice_bounds_are_one_two_or_five_times_a_power_of_ten() {
        assert_eq!(nice_floor(230.0), 200.0);
        assert_eq!(nice_floor(1_000.0), 1_000.0);
        assert_eq!(nice_floor(0.3), 1.0);
        assert_eq!(nice_ceil(230.0), 500.0);
        assert_eq!(nice_ceil(600.0), 1_000.0);
        assert_eq!(nice_ceil(5_000.0), 5_000.0);
    }

    #[test]
    fn the_axes_fit_the_curves_and_the_threshold_far_above_them() {
        let curve = spectrum(&[(0.0, 150), (99.9, 900)]);
        let axes = Axes::fit(&[&curve], &[5_000.0]);
        assert_eq!(
            (axes.low_us, axes.high_us, axes.x_max),
            (100.0, 10_000.0, 3.0)
        );
        assert_eq!(axes.py(10_000.0), TOP);
        assert_eq!(axes.py(100.0), HEIGHT - BOTTOM);
        assert_eq!(axes.px(0.0), LEFT);
        assert_eq!(axes.px(3.0), WIDTH - RIGHT);
        assert_eq!(
            y_ticks(&axes),
            [100.0, 200.0, 500.0, 1_000.0, 2_000.0, 5_000.0, 10_000.0]
        );
    }

    #[test]
    fn a_flat_curve_still_gets_a_range_and_wide_ranges_keep_only_decades() {
        let flat = spectrum(&[(0.0, 1_000), (99.0, 1_000)]);
        let axes = Axes::fit(&[&flat], &[]);
        assert!(axes.high_us > axes.low_us, "{axes:?}");
        assert_eq!(axes.x_max, 2.0);
        let wide = Axes {
            x_max: 2.0,
            low_us: 1.0,
            high_us: 1_000_000.0,
        };
        assert_eq!(y_ticks(&wide).len(), 7);
    }

    #[test]
    fn the_chart_draws_both_curves_the_threshold_and_escapes_names() {
        let mut result =
            ScenarioResult::unmeasured("a<b", "g", crate::results::Status::Fail, "".into());
        result.thresholds = vec![ThresholdOutcome {
            threshold: crate::config::parse_threshold("p95 < 5ms", Metric::P95).unwrap(),
            actual: Some(6_000.0),
            ok: false,
            interval: None,
            paired: None,
        }];
        let now = spectrum(&[(0.0, 100), (95.0, 6_000), (99.0, 9_000)]);
        let then = spectrum(&[(0.0, 90), (99.0, 1_000)]);
        let svg = spectrum_svg(&result, &now, Some(&then));
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.contains(">p95 &lt; 5ms</text>"), "{svg}");
        assert!(
            svg.contains("<title>a&lt;b latency by percentile</title>"),
            "{svg}"
        );
        assert!(svg.contains(">baseline</text>") && svg.contains(">99%</text>"));
    }
}
