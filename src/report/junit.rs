//! JUnit XML for CI test views: one test suite, one test case per scenario.
//! A fail is a `<failure>` with the reason and thresholds, a skip is `<skipped>`, an
//! error is `<error>`. Must not decide statuses; it maps the ones in the report.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use super::Reporter;
use super::cells::{reason_text, threshold_text};
use super::rows::named_percentiles;
use super::units::format_rate_per_s;
use crate::Error;
use crate::results::{RunReport, ScenarioResult, Status};

/// The name of the report and of its single test suite.
const SUITE_NAME: &str = "techspec-bench";

/// Renders JUnit XML with quick-junit.
#[derive(Debug, Clone, Copy, Default)]
pub struct JunitReporter;

impl Reporter for JunitReporter {
    fn render(&self, report: &RunReport) -> crate::Result<Vec<u8>> {
        let mut suite = TestSuite::new(SUITE_NAME);
        suite.add_properties(suite_properties(report));
        if let Ok(started) = chrono::DateTime::parse_from_rfc3339(&report.started_at) {
            suite.set_timestamp(started);
        }
        let total: f64 = report.scenarios.iter().map(|s| seconds(s.duration_s)).sum();
        suite.set_time(Duration::from_secs_f64(total));
        suite.add_test_cases(report.scenarios.iter().map(test_case));
        let mut junit = Report::new(SUITE_NAME);
        junit.add_test_suite(suite);
        let mut bytes = Vec::new();
        junit.serialize(&mut bytes).map_err(|error| {
            Error::environment(format!(
                "could not encode the results as JUnit XML: {error}"
            ))
        })?;
        Ok(bytes)
    }
}

/// Where the run happened, as suite properties.
fn suite_properties(report: &RunReport) -> Vec<Property> {
    let mut properties = vec![
        Property::new("tool_version", report.tool_version.as_str()),
        Property::new("server_version", report.database.server_version.as_str()),
        Property::new("target", report.database.target.as_str()),
        Property::new("throwaway", report.database.throwaway.to_string()),
    ];
    if !report.database.notes.is_empty() {
        properties.push(Property::new("notes", report.database.notes.join(", ")));
    }
    properties
}

/// One scenario as a test case; its group is the class name.
fn test_case(result: &ScenarioResult) -> TestCase {
    let mut case = TestCase::new(result.name.as_str(), case_status(result));
    case.set_classname(result.group.as_str());
    case.set_time(Duration::from_secs_f64(seconds(result.duration_s)));
    case.set_system_out(measurement_text(result));
    case
}

/// A duration the XML can hold: never negative, never NaN.
fn seconds(value: f64) -> f64 {
    if value.is_finite() && value > 0.0 {
        value
    } else {
        0.0
    }
}

/// The JUnit status of a scenario, with its reason as the message.
fn case_status(result: &ScenarioResult) -> TestCaseStatus {
    let reason = reason_text(result).unwrap_or_default();
    let mut status = match result.status {
        Status::Pass => return TestCaseStatus::success(),
        Status::Skip => TestCaseStatus::skipped(),
        Status::Fail => TestCaseStatus::non_success(NonSuccessKind::Failure),
        Status::Error => TestCaseStatus::non_success(NonSuccessKind::Error),
    };
    status.set_message(reason.as_str());
    if result.status == Status::Fail {
        status.set_type("gate");
        status.set_description(failure_description(result, &reason));
    }
    status
}

/// The body of a `<failure>`: the reason, every threshold and the plan problems.
fn failure_description(result: &ScenarioResult, reason: &str) -> String {
    let mut lines = vec![reason.to_string()];
    lines.extend(result.thresholds.iter().map(threshold_text));
    if let Some(plan) = result.plan.as_ref().filter(|p| !p.ok) {
        lines.push(format!("plan: expected {}", plan.expect));
        lines.extend(plan.failures.iter().map(|f| format!("plan: {f}")));
    }
    lines.join("\n")
}

/// The measurements of a scenario in one short block of text.
fn measurement_text(result: &ScenarioResult) -> String {
    let mut text = format!(
        "iterations={} errors={} throughput={}",
        result.iterations,
        result.errors,
        format_rate_per_s(result.throughput_per_s)
    );
    if let Some(latency) = &result.latency_us {
        text.push_str(&format!("\nlatency {}", named_percentiles(latency, 4)));
    }
    if let Some(service) = &result.service_time_us {
        text.push_str(&format!("\nservice time {}", named_percentiles(service, 3)));
    }
    text
}
