//! The HTML page's percentile-spectrum charts, one inline SVG per measured scenario:
//! latency (log scale) against percentile (HdrHistogram's log scale: 50, 90, 99, 99.9 …),
//! the run's curve, the baseline's curve when there is one, and each latency threshold
//! as a dashed line, drawn with the chart kit (`report::chart`). Must not decide statuses.

use super::cells::status_label;
use super::chart::draw::{self, Key, Stroke};
use super::chart::{ALERT, Area, Plot, Scale, Svg, escape as esc};
use super::spectrum::{
    MIN_X_LIMIT, Spectrum, SpectrumSource, percentile_x, scenario_spectrum, x_limit,
};
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

/// The plot of one chart: percentiles on the log percentile scale up to the last
/// percentile any curve resolves, latency on a log scale fitting the curves and the limits.
fn fit_plot(curves: &[&Spectrum], limits: &[f64]) -> Plot {
    let values = curves
        .iter()
        .flat_map(|curve| curve.points.iter().map(|p| p.latency_us as f64))
        .chain(limits.iter().copied());
    let last_x = curves
        .iter()
        .filter_map(|curve| curve.points.last().map(|p| p.x()))
        .fold(x_limit(1), f64::max);
    Plot {
        area: Area::inside(WIDTH, HEIGHT, [LEFT, TOP, RIGHT, BOTTOM]),
        x: Scale::Percentile {
            x_max: (last_x - 1e-6).ceil(),
        },
        y: Scale::log_fit(values),
    }
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
    let plot = fit_plot(&curves, &limits);
    let mut svg = Svg::new(
        WIDTH,
        HEIGHT,
        &format!("{} latency by percentile", result.name),
    );
    svg.push(&grid(&plot));
    if let Some(baseline) = baseline {
        svg.push(&curve(baseline, &plot, baseline_stroke()));
    }
    svg.push(&curve(current, &plot, Stroke::solid(CURRENT, 2.0)));
    for outcome in &thresholds {
        svg.push(&threshold_line(outcome, &plot));
    }
    svg.push(&legend(baseline.is_some(), !thresholds.is_empty()));
    svg.finish()
}

fn baseline_stroke() -> Stroke<'static> {
    Stroke::dashed(BASELINE, 2.0, "5 3")
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

/// Frame, grid lines and tick labels of both axes, and the x axis title.
fn grid(plot: &Plot) -> String {
    let x_max = match plot.x {
        Scale::Percentile { x_max } => x_max,
        _ => MIN_X_LIMIT,
    };
    let x_ticks: Vec<(f64, String)> = X_LABELS
        .iter()
        .take_while(|(percentile, _)| percentile_x(*percentile) <= x_max + 1e-9)
        .map(|(percentile, label)| (*percentile, label.to_string()))
        .collect();
    draw::plot_grid(
        plot,
        format_latency_us,
        &x_ticks,
        ("percentile", HEIGHT - 6.0),
    )
}

/// A spectrum as a line.
fn curve(spectrum: &Spectrum, plot: &Plot, stroke: Stroke) -> String {
    let points: Vec<(f64, f64)> = spectrum
        .points
        .iter()
        .map(|p| plot.point((p.percentile, p.latency_us as f64)))
        .collect();
    draw::line(&points, stroke)
}

/// A latency threshold: a dashed horizontal line at its limit with its text, and a dot
/// where the run measured the thresholded value when that is a percentile.
fn threshold_line(outcome: &ThresholdOutcome, plot: &Plot) -> String {
    let threshold = &outcome.threshold;
    let mut out = draw::threshold(plot, threshold.limit, &threshold.text);
    if let (Some(percentile), Some(actual)) = (metric_percentile(threshold.metric), outcome.actual)
    {
        let fill = if outcome.ok { CURRENT } else { ALERT };
        let title = format!("{} measured {}", threshold.text, format_latency_us(actual));
        out.push_str(&draw::marker(
            plot.point((percentile, actual)),
            3.5,
            fill,
            Some(&title),
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
    let mut items = vec![(Key::Line(Stroke::solid(CURRENT, 2.0)), "this run")];
    if baseline {
        items.push((Key::Line(baseline_stroke()), "baseline"));
    }
    if thresholds {
        items.push((Key::Line(Stroke::dashed(ALERT, 2.0, "6 4")), "threshold"));
    }
    draw::legend_row(&items, LEFT, 12.0, 110.0)
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
    fn the_plot_fits_the_curves_and_the_threshold_far_above_them() {
        let curve = spectrum(&[(0.0, 150), (99.9, 900)]);
        let plot = fit_plot(&[&curve], &[5_000.0]);
        assert_eq!(plot.x, Scale::Percentile { x_max: 3.0 });
        assert_eq!(
            plot.y,
            Scale::Log10 {
                low: 100.0,
                high: 10_000.0
            }
        );
        assert_eq!(plot.py(10_000.0), TOP);
        assert_eq!(plot.px(0.0), LEFT);
        let flat = spectrum(&[(0.0, 1_000), (99.0, 1_000)]);
        assert_eq!(fit_plot(&[&flat], &[]).x, Scale::Percentile { x_max: 2.0 });
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
