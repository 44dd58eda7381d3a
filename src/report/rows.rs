//! The pieces of rows and sections every human-facing format (table, Markdown, HTML,
//! JUnit) shares: latency percentiles of a row, the not-passed list with its reasons,
//! the kind of target. Pure text; must not know any format's markup nor decide statuses.

use super::cells::{NONE, reason_text};
use super::units::format_latency_us;
use crate::results::{DatabaseInfo, LatencySummary, RunReport, ScenarioResult, Status};

/// The percentiles a latency row shows, in order.
pub const PERCENTILES: [&str; 4] = ["p50", "p95", "p99", "max"];

/// The `PERCENTILES` of `latency` as text, `—` each when nothing was measured.
pub fn percentile_texts(latency: Option<&LatencySummary>) -> [String; 4] {
    let Some(latency) = latency else {
        return [NONE; 4].map(String::from);
    };
    [latency.p50, latency.p95, latency.p99, latency.max].map(|us| format_latency_us(us as f64))
}

/// `p50=1.20ms p95=…`: the first `count` of `PERCENTILES` as `name=value`.
pub fn named_percentiles(latency: &LatencySummary, count: usize) -> String {
    let pairs: Vec<String> = PERCENTILES
        .iter()
        .zip(percentile_texts(Some(latency)))
        .take(count)
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    pairs.join(" ")
}

/// Every scenario that did not pass, with why (`no reason given` when nothing says).
pub fn not_passed(report: &RunReport) -> impl Iterator<Item = (&ScenarioResult, String)> {
    report
        .scenarios
        .iter()
        .filter(|result| result.status != Status::Pass)
        .map(|result| {
            let reason = reason_text(result).unwrap_or_else(|| "no reason given".into());
            (result, reason)
        })
}

/// How precisely the run knows its p50s, in one line: `budget 250ms per scenario; p50
/// within ±4.2% (median over 37 scenarios), widest ±12.0% (session_by_id)`. `None` when
/// no scenario has a precision (fewer than two windows each).
pub fn precision_text(report: &RunReport) -> Option<String> {
    let mut measured: Vec<(&str, f64)> = report
        .scenarios
        .iter()
        .filter_map(|s| s.precision.map(|p| (s.name.as_str(), p)))
        .collect();
    if measured.is_empty() {
        return None;
    }
    measured.sort_by(|a, b| a.1.total_cmp(&b.1));
    let median = measured[measured.len() / 2].1;
    let (widest_name, widest) = measured[measured.len() - 1];
    let percent = |p: f64| format!("±{:.1}%", p * 100.0);
    let mut budgets: Vec<f64> = report.scenarios.iter().filter_map(|s| s.budget_s).collect();
    budgets.sort_by(f64::total_cmp);
    budgets.dedup();
    let budget = match budgets.as_slice() {
        [] => String::new(),
        [one] => format!("budget {} per scenario; ", format_latency_us(one * 1e6)),
        _ => "budgets per scenario; ".to_string(),
    };
    Some(format!(
        "{budget}p50 within {} (median over {} scenarios), widest {} ({widest_name})",
        percent(median),
        measured.len(),
        percent(widest)
    ))
}

/// "protocol: prepared" (or each protocol with its count of scenarios when they differ):
/// how the measured scenarios' statements were sent. `None` when nothing was measured.
pub fn protocol_text(report: &RunReport) -> Option<String> {
    let mut counts: Vec<(crate::config::Protocol, usize)> = Vec::new();
    for protocol in report.scenarios.iter().filter_map(|s| s.protocol) {
        match counts.iter_mut().find(|(p, _)| *p == protocol) {
            Some((_, n)) => *n += 1,
            None => counts.push((protocol, 1)),
        }
    }
    match counts.as_slice() {
        [] => None,
        [(one, _)] => Some(format!("protocol: {}", one.name())),
        many => Some(format!(
            "protocols: {}",
            many.iter()
                .map(|(p, n)| format!("{} ({n} scenarios)", p.name()))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// `throwaway cluster` or `named database`.
pub fn target_kind(database: &DatabaseInfo) -> &'static str {
    if database.throwaway {
        "throwaway cluster"
    } else {
        "named database"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_precision_line_gives_the_budget_the_median_and_the_widest() {
        let scenario = |name: &str, precision: Option<f64>| {
            let mut s = ScenarioResult::unmeasured(name, "g", Status::Pass, String::new());
            s.precision = precision;
            s.budget_s = Some(0.25);
            s
        };
        let mut report = RunReport {
            scenarios: vec![
                scenario("a", Some(0.02)),
                scenario("b", Some(0.04)),
                scenario("c", Some(0.12)),
                scenario("d", None),
            ],
            ..Default::default()
        };
        assert_eq!(
            precision_text(&report).as_deref(),
            Some(
                "budget 250ms per scenario; p50 within ±4.0% (median over 3 scenarios), widest ±12.0% (c)"
            )
        );
        for s in &mut report.scenarios {
            s.budget_s = None;
        }
        assert!(precision_text(&report).unwrap().starts_with("p50 within"));
        report.scenarios.truncate(0);
        assert_eq!(precision_text(&report), None);
    }

    fn latency() -> LatencySummary {
        LatencySummary {
            p50: 850,
            p95: 1_500,
            p99: 12_345,
            max: 250_000,
            ..LatencySummary::default()
        }
    }

    #[test]
    fn percentiles_are_formatted_in_order_or_dashes_without_a_measurement() {
        assert_eq!(
            percentile_texts(Some(&latency())),
            ["850µs", "1.50ms", "12.3ms", "250ms"]
        );
        assert_eq!(percentile_texts(None), ["—", "—", "—", "—"]);
    }

    #[test]
    fn named_percentiles_take_the_first_ones() {
        assert_eq!(
            named_percentiles(&latency(), 3),
            "p50=850µs p95=1.50ms p99=12.3ms"
        );
        assert_eq!(
            named_percentiles(&latency(), 4),
            "p50=850µs p95=1.50ms p99=12.3ms max=250ms"
        );
    }

    #[test]
    fn not_passed_lists_only_non_passes_with_a_reason() {
        let pass = ScenarioResult::unmeasured("a", "g", Status::Pass, String::new());
        let skip = ScenarioResult::unmeasured("b", "g", Status::Skip, "no table".into());
        let fail = ScenarioResult::unmeasured("c", "g", Status::Fail, String::new());
        let report = RunReport {
            format: String::new(),
            tool_version: String::new(),
            started_at: String::new(),
            database: DatabaseInfo::default(),
            dataset: Default::default(),
            scenarios: vec![pass, skip, fail],
            summary: Default::default(),
            rng_seed: None,
            seed: None,
            machine: None,
            commit: None,
            against: None,
            reference: Vec::new(),
            run_change: None,
        };
        let listed: Vec<(&str, String)> = not_passed(&report)
            .map(|(result, reason)| (result.name.as_str(), reason))
            .collect();
        assert_eq!(
            listed,
            vec![
                ("b", "no table".to_string()),
                ("c", "no reason given".to_string())
            ]
        );
    }
}
