//! Renders a results history (`trend::History`): the Markdown summary (`markdown`), the
//! self-contained HTML page (`html`, its charts in `chart`), and the sentences both use
//! ("p95 of session_by_id: +38% since run 41, commit abc1234"). Must not detect or decide
//! anything: it words what `trend` found.

mod chart;
mod html;

pub use html::html;

use super::units::format_latency_us;
use crate::trend::{ChangePoint, History, PERCENTILES, Point, RunInfo, ScenarioTrend, Shift};

/// How many characters of a commit are shown.
const COMMIT_CHARS: usize = 10;

/// A relative change as people read it: `+38%`, `-12%`, `+0.4%`.
pub fn percent(change: f64) -> String {
    let percent = change * 100.0;
    if percent.abs() < 1.0 {
        format!("{percent:+.1}%")
    } else {
        format!("{percent:+.0}%")
    }
}

/// A commit, shortened.
fn short_commit(commit: &str) -> &str {
    commit.get(..COMMIT_CHARS).unwrap_or(commit)
}

/// `run 41, commit abc1234 (2026-11-27T10:00:00Z)`, or without the commit when unknown.
pub fn run_label(run: &RunInfo) -> String {
    match &run.commit {
        Some(commit) => format!(
            "run {}, commit {} ({})",
            run.number,
            short_commit(commit),
            run.started_at
        ),
        None => format!("run {} ({}, {})", run.number, run.file, run.started_at),
    }
}

/// `p50 of q: +38% since run 41, commit abc (…); p95 +35%, p99 +20%`.
pub fn change_line(history: &History, scenario: &ScenarioTrend, change: &ChangePoint) -> String {
    let run = &history.runs[change.run];
    let others: Vec<String> = (1..PERCENTILES.len())
        .map(|index| format!("{} {}", PERCENTILES[index].0, percent(change.change(index))))
        .collect();
    format!(
        "p50 of {}: {} since {} ({} → {}); {}",
        scenario.name,
        percent(change.change(0)),
        run_label(run),
        format_latency_us(change.before[0]),
        format_latency_us(change.after[0]),
        others.join(", ")
    )
}

/// `q: plan changed at run 57, commit …: before → after` (or the definition).
pub fn shift_line(history: &History, scenario: &str, what: &str, shift: &Shift) -> String {
    format!(
        "{scenario}: {what} changed at {}: [{}] → [{}]",
        run_label(&history.runs[shift.run]),
        shift.before,
        shift.after
    )
}

/// The hover text of one point: run, commit, date, each percentile with its interval.
pub fn point_text(history: &History, scenario: &str, point: &Point) -> String {
    let mut lines = vec![
        format!("{scenario} · {}", run_label(&history.runs[point.run])),
        format!("file {}", history.runs[point.run].file),
    ];
    for (index, (name, _)) in PERCENTILES.iter().enumerate() {
        let value = format_latency_us(point.values[index]);
        lines.push(match point.intervals[index] {
            Some((low, high)) => format!(
                "{name} {value} (95%: {} to {})",
                format_latency_us(low),
                format_latency_us(high)
            ),
            None => format!("{name} {value}"),
        });
    }
    lines.push(format!("status {}", point.status.as_str()));
    if let Some(reason) = &point.reason {
        lines.push(reason.clone());
    }
    lines.join("\n")
}

/// The opening line: how many runs, from when to when.
pub fn span_line(history: &History) -> String {
    match (history.runs.first(), history.runs.last()) {
        (Some(first), Some(last)) => format!(
            "{} runs, {} to {}; {} scenarios",
            history.runs.len(),
            first.started_at,
            last.started_at,
            history.scenarios.len()
        ),
        _ => "no runs".to_string(),
    }
}

/// Every change point, plan change and definition change, as lines, in scenario order.
pub struct Findings {
    pub changes: Vec<String>,
    pub plan_changes: Vec<String>,
    pub definition_changes: Vec<String>,
    /// `run 12, commit …: a, b` for each run with failed scenarios.
    pub failed_runs: Vec<String>,
}

impl Findings {
    pub fn of(history: &History) -> Self {
        let mut findings = Findings {
            changes: Vec::new(),
            plan_changes: Vec::new(),
            definition_changes: Vec::new(),
            failed_runs: Vec::new(),
        };
        for scenario in &history.scenarios {
            for change in &scenario.change_points {
                findings
                    .changes
                    .push(change_line(history, scenario, change));
            }
            for shift in &scenario.plan_changes {
                let line = shift_line(history, &scenario.name, "plan", shift);
                findings.plan_changes.push(line);
            }
            for shift in &scenario.definition_changes {
                let line = shift_line(history, &scenario.name, "definition", shift);
                findings.definition_changes.push(line);
            }
        }
        findings.failed_runs = history
            .runs
            .iter()
            .filter(|run| !run.failed.is_empty())
            .map(|run| format!("{}: {}", run_label(run), run.failed.join(", ")))
            .collect();
        findings
    }
}

/// The Markdown summary: the span, the method, the change points, plan and definition
/// changes, failed runs, and the latest value of each scenario against the first run.
pub fn markdown(history: &History) -> String {
    let findings = Findings::of(history);
    let mut out = format!(
        "## techspec-bench trends\n\n{}.\n\nChange points: {}.\n\n",
        span_line(history),
        crate::trend::changepoint::METHOD
    );
    let sections = [
        (
            "Changes",
            &findings.changes,
            "No change point in any scenario.",
        ),
        ("Plan changes", &findings.plan_changes, "No plan changed."),
        ("Definition changes", &findings.definition_changes, ""),
        ("Runs the gate failed", &findings.failed_runs, "None."),
    ];
    for (title, lines, none) in sections {
        if lines.is_empty() && none.is_empty() {
            continue;
        }
        out.push_str(&format!("### {title}\n\n"));
        if lines.is_empty() {
            out.push_str(&format!("{none}\n\n"));
        }
        for line in lines {
            out.push_str(&format!("- {}\n", line.replace('|', "\\|")));
        }
        if !lines.is_empty() {
            out.push('\n');
        }
    }
    out.push_str(&latest_table(history));
    out
}

/// The latest p50/p95/p99 of each scenario, and its p50 against its first run.
fn latest_table(history: &History) -> String {
    let mut out = String::from(
        "### Latest run\n\n| scenario | run | p50 | p95 | p99 | p50 since its first run | change points |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
    );
    for scenario in &history.scenarios {
        let (Some(first), Some(last)) = (scenario.points.first(), scenario.points.last()) else {
            continue;
        };
        let values = last.values.map(format_latency_us);
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} | {} |\n",
            scenario.name,
            history.runs[last.run].number,
            values[0],
            values[1],
            values[2],
            percent(last.values[0] / first.values[0].max(f64::MIN_POSITIVE) - 1.0),
            scenario.change_points.len()
        ));
    }
    out
}

#[cfg(test)]
mod tests;
