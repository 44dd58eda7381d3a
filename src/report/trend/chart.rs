//! One scenario's trend chart, drawn with the chart kit: runs left to right (run 1 the
//! oldest), latency on a log scale; p50, p95 and p99 as lines over their 95% interval
//! bands; a red dot on each run whose gate the scenario failed; a dark dashed rule before
//! each change point (labelled with its p50 change), a purple dotted rule where the plan
//! changed and a grey one where the definition changed; and an invisible column per run
//! whose hover text gives the commit, date, values and intervals.

use super::{percent, point_text};
use crate::report::chart::axis::linear_ticks;
use crate::report::chart::draw::{self, Key, Stroke};
use crate::report::chart::{ALERT, Area, PALETTE, Plot, Scale, Svg};
use crate::report::units::format_latency_us;
use crate::results::Status;
use crate::trend::{History, PERCENTILES, Point, ScenarioTrend};

const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 300.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 40.0;
const CHANGE: &str = "#24292f";
const PLAN: &str = "#8e6cc0";
const DEFINITION: &str = "#8c959f";
/// Opacity of the interval bands.
const BAND_OPACITY: f64 = 0.18;

/// The `<svg>` of one scenario.
pub fn scenario_chart(history: &History, scenario: &ScenarioTrend) -> String {
    let plot = fit_plot(history, scenario);
    let title = format!(
        "{}: p50, p95 and p99 over {} runs",
        scenario.name,
        history.runs.len()
    );
    let mut svg = Svg::new(WIDTH, HEIGHT, &title);
    svg.push(&grid(&plot, history.runs.len()));
    for index in (0..PERCENTILES.len()).rev() {
        svg.push(&series(&plot, &scenario.points, index));
    }
    svg.push(&failures(&plot, history, scenario));
    svg.push(&rules(&plot, history, scenario));
    svg.push(&hover_columns(&plot, history, scenario));
    svg.push(&legend());
    svg.finish()
}

/// Runs 1..=n across, latency fitting every value and interval bound.
fn fit_plot(history: &History, scenario: &ScenarioTrend) -> Plot {
    let values = scenario.points.iter().flat_map(|point| {
        let bounds = point
            .intervals
            .iter()
            .flatten()
            .flat_map(|&(lo, hi)| [lo, hi]);
        point.values.into_iter().chain(bounds)
    });
    Plot {
        area: Area::inside(WIDTH, HEIGHT, [LEFT, TOP, RIGHT, BOTTOM]),
        x: Scale::Linear {
            low: 0.5,
            high: history.runs.len() as f64 + 0.5,
        },
        y: Scale::log_fit(values),
    }
}

/// The x of a run (index into `History::runs`): run numbers start at 1.
fn run_x(run: usize) -> f64 {
    run as f64 + 1.0
}

fn grid(plot: &Plot, runs: usize) -> String {
    let x_ticks: Vec<(f64, String)> = linear_ticks(1.0, runs.max(1) as f64, 12)
        .into_iter()
        .filter(|run| run.fract() == 0.0)
        .map(|run| (run, format!("{run}")))
        .collect();
    let title = ("run (oldest first)", HEIGHT - 6.0);
    draw::plot_grid(plot, format_latency_us, &x_ticks, title)
}

/// The line of percentile `index` over its interval band (the band broken where a run
/// has no interval).
fn series(plot: &Plot, points: &[Point], index: usize) -> String {
    let colour = PALETTE[index];
    let mut out = String::new();
    for stretch in
        points.chunk_by(|a, b| a.intervals[index].is_some() == b.intervals[index].is_some())
    {
        let bounds: Vec<(f64, f64)> = stretch.iter().filter_map(|p| p.intervals[index]).collect();
        if bounds.len() < stretch.len() {
            continue;
        }
        let x = |p: &Point| run_x(p.run);
        let upper: Vec<(f64, f64)> = stretch
            .iter()
            .zip(&bounds)
            .map(|(p, b)| plot.point((x(p), b.1)))
            .collect();
        let lower: Vec<(f64, f64)> = stretch
            .iter()
            .zip(&bounds)
            .map(|(p, b)| plot.point((x(p), b.0)))
            .collect();
        out.push_str(&draw::band(&upper, &lower, colour, BAND_OPACITY));
    }
    let line: Vec<(f64, f64)> = points
        .iter()
        .map(|p| plot.point((run_x(p.run), p.values[index])))
        .collect();
    out.push_str(&draw::line(&line, Stroke::solid(colour, 1.5)));
    out
}

/// A red dot on the p50 of every run whose gate this scenario failed.
fn failures(plot: &Plot, history: &History, scenario: &ScenarioTrend) -> String {
    scenario
        .points
        .iter()
        .filter(|p| matches!(p.status, Status::Fail | Status::Error))
        .map(|p| {
            let title = format!("gate failed: {}", point_text(history, &scenario.name, p));
            draw::marker(
                plot.point((run_x(p.run), p.values[0])),
                4.0,
                ALERT,
                Some(&title),
            )
        })
        .collect()
}

/// Rules before the change points, plan changes and definition changes.
fn rules(plot: &Plot, history: &History, scenario: &ScenarioTrend) -> String {
    let at = |run: usize| plot.px(run_x(run) - 0.5);
    let mut out = String::new();
    for change in &scenario.change_points {
        let label = format!("p50 {}", percent(change.change(0)));
        let title = super::change_line(history, scenario, change);
        let stroke = Stroke::dashed(CHANGE, 1.5, "5 3");
        out.push_str(&draw::rule(
            &plot.area,
            at(change.run),
            stroke,
            &label,
            &title,
        ));
    }
    let shifts = [
        (&scenario.plan_changes, "plan", PLAN, "2 2"),
        (
            &scenario.definition_changes,
            "definition",
            DEFINITION,
            "1 3",
        ),
    ];
    for (list, what, colour, dash) in shifts {
        for shift in list {
            let title = super::shift_line(history, &scenario.name, what, shift);
            let stroke = Stroke::dashed(colour, 1.5, dash);
            out.push_str(&draw::rule(&plot.area, at(shift.run), stroke, what, &title));
        }
    }
    out
}

/// One invisible column per run this scenario measured, with the run's details.
fn hover_columns(plot: &Plot, history: &History, scenario: &ScenarioTrend) -> String {
    let step = plot.area.width() / history.runs.len().max(1) as f64;
    scenario
        .points
        .iter()
        .map(|point| {
            let x = plot.px(run_x(point.run));
            draw::hover_column(
                &plot.area,
                x,
                step,
                &point_text(history, &scenario.name, point),
            )
        })
        .collect()
}

fn legend() -> String {
    let items = [
        (Key::Line(Stroke::solid(PALETTE[0], 2.0)), "p50"),
        (Key::Line(Stroke::solid(PALETTE[1], 2.0)), "p95"),
        (Key::Line(Stroke::solid(PALETTE[2], 2.0)), "p99"),
        (Key::Swatch("#c8d8ec"), "95% interval"),
        (Key::Swatch(ALERT), "gate failed"),
        (
            Key::Line(Stroke::dashed(CHANGE, 1.5, "5 3")),
            "change point",
        ),
        (Key::Line(Stroke::dashed(PLAN, 1.5, "2 2")), "plan changed"),
    ];
    draw::legend_row(&items, LEFT, 14.0, 118.0)
}
