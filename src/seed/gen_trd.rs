//! Rows of `trd_documents` (versioned documents of several paragraphs with a quality
//! score and a validation report) and of `tech_error_logs`.
//! Must not generate other tables.

use chrono::Duration;
use rand::RngExt;
use std::fmt::Write as _;
use tokio_postgres::types::Type;

use crate::seed::context::{GenContext, SessionCore};
use crate::seed::encode::{CopyEncoder, Hundredths, JsonText};
use crate::seed::random::{SeedRng, Stream, increasing_times, pick, uuid, weighted};
use crate::seed::text::{paragraph, prose, push_json_field, sentence};

pub static TRD_TYPES: [Type; 7] = [
    Type::UUID,
    Type::UUID,
    Type::INT4,
    Type::TEXT,
    Type::NUMERIC,
    Type::JSONB,
    Type::TIMESTAMPTZ,
];
pub static ERROR_LOG_TYPES: [Type; 10] = [
    Type::UUID,
    Type::UUID,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::BOOL,
    Type::INT4,
    Type::TIMESTAMPTZ,
];

const SECTIONS: &[&str] = &[
    "Overview",
    "Architecture",
    "Technology stack",
    "Data model",
    "API design",
    "Security",
    "Scalability",
    "Deployment",
    "Testing strategy",
    "Risks and mitigations",
];
const CHECKS: &[&str] = &[
    "completeness",
    "consistency",
    "feasibility",
    "security",
    "traceability",
];
const NODES: &[&str] = &[
    "load_design_documents",
    "analyze_completeness",
    "research_technologies",
    "ask_user_decision",
    "design_architecture",
    "generate_api_spec",
    "generate_db_schema",
    "generate_trd",
    "validate_trd",
    "save_to_database",
];
const ERROR_TYPES: &[(&str, u32)] = &[
    ("timeout", 25),
    ("rate_limit", 20),
    ("llm_error", 20),
    ("validation", 15),
    ("parse_error", 8),
    ("database_error", 7),
    ("network_error", 5),
];
const STRATEGIES: &[&str] = &[
    "retry_with_backoff",
    "fallback_model",
    "skip_node",
    "ask_user",
    "restart_stage",
];

/// Quality score in hundredths: mostly 60-95, sometimes poor.
pub fn quality_score(rng: &mut SeedRng) -> Hundredths {
    if rng.random_range(0..10) == 0 {
        Hundredths(rng.random_range(0..6_000))
    } else {
        Hundredths(rng.random_range(6_000..=10_000))
    }
}

fn validation_report(rng: &mut SeedRng, score: Hundredths) -> String {
    let mut report = format!(
        "{{\"score\":{}.{:02},\"passed\":{},\"checks\":[",
        score.0 / 100,
        score.0 % 100,
        score.0 >= 7_000
    );
    for (i, check) in CHECKS.iter().enumerate() {
        if i > 0 {
            report.push(',');
        }
        report.push('{');
        push_json_field(&mut report, true, "name", check);
        let _ = write!(
            report,
            ",\"passed\":{}",
            rng.random_range(0..10_000) < score.0 + 1_000
        );
        let mut note = String::with_capacity(160);
        sentence(rng, &mut note, 5, 12);
        push_json_field(&mut report, false, "note", &note);
        report.push('}');
    }
    report.push_str("]}");
    report
}

/// The `count` TRD versions of `session` (version 1, 2, ...), several paragraphs each.
pub fn trd_rows(
    context: &GenContext,
    session: &SessionCore,
    count: u64,
    out: &mut CopyEncoder,
) -> Result<(), String> {
    let mut rng = context.rng(Stream::Trd, session.index);
    let times = increasing_times(
        &mut rng,
        session.created_at + Duration::minutes(5),
        session.updated_at,
        count,
    );
    let mut content = String::with_capacity(6_000);
    for (n, created_at) in times.iter().enumerate() {
        let id = uuid(&mut rng);
        let version = n as i32 + 1;
        content.clear();
        let _ = write!(
            content,
            "# Technical Requirements Document (v{version})\n\n"
        );
        let first = rng.random_range(0..SECTIONS.len());
        for s in 0..rng.random_range(4..=7) {
            let _ = write!(content, "## {}\n\n", SECTIONS[(first + s) % SECTIONS.len()]);
            paragraph(&mut rng, &mut content);
        }
        let score = quality_score(&mut rng);
        let report = validation_report(&mut rng, score);
        out.row(&[
            &id,
            &session.id,
            &version,
            &content.as_str(),
            &score,
            &JsonText(&report),
            created_at,
        ])?;
    }
    Ok(())
}

fn stack_trace(rng: &mut SeedRng, node: &str, error_type: &str) -> String {
    let mut trace = String::from("Traceback (most recent call last):\n");
    for depth in 0..rng.random_range(3..=7) {
        let _ = writeln!(
            trace,
            "  File \"/app/src/agents/tech_spec/{}.py\", line {}, in {}",
            pick(
                rng,
                &["graph", "nodes", "llm_client", "research", "persistence"]
            ),
            rng.random_range(12..900),
            if depth == 0 {
                node
            } else {
                pick(rng, &["invoke", "_call", "run", "execute", "fetch"])
            }
        );
    }
    let _ = write!(
        trace,
        "{}Error: {}",
        error_type.replace('_', ""),
        prose(rng, 1, 1)
    );
    trace
}

/// The `count` error logs of `session`, in various recovery states.
pub fn error_log_rows(
    context: &GenContext,
    session: &SessionCore,
    count: u64,
    out: &mut CopyEncoder,
) -> Result<(), String> {
    let mut rng = context.rng(Stream::ErrorLog, session.index);
    let times = increasing_times(&mut rng, session.created_at, session.updated_at, count);
    for (n, created_at) in times.iter().enumerate() {
        let id = uuid(&mut rng);
        let node = *pick(&mut rng, NODES);
        let error_type = *weighted(&mut rng, ERROR_TYPES);
        let message = format!(
            "{node}: {error_type} after {} ms. {}",
            rng.random_range(100..120_000),
            prose(&mut rng, 1, 2)
        );
        let trace = (rng.random_range(0..10) > 1).then(|| stack_trace(&mut rng, node, error_type));
        let last_of_failed = session.status == "failed" && n as u64 + 1 == count;
        let recovered = !last_of_failed && rng.random_range(0..10) < 7;
        let strategy =
            (recovered || rng.random_range(0..2) == 0).then(|| *pick(&mut rng, STRATEGIES));
        let retries: i32 = if strategy == Some("retry_with_backoff") {
            rng.random_range(1..=5)
        } else {
            rng.random_range(0..=1)
        };
        out.row(&[
            &id,
            &session.id,
            &node,
            &error_type,
            &message,
            &trace,
            &strategy,
            &recovered,
            &retries,
            created_at,
        ])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::random::stream_rng;

    #[test]
    fn quality_scores_stay_within_numeric_5_2_bounds_and_reports_are_json() {
        let mut rng = stream_rng(2, Stream::Trd, 0);
        for _ in 0..2_000 {
            let score = quality_score(&mut rng);
            assert!(score.0 <= 10_000);
            let report: serde_json::Value =
                serde_json::from_str(&validation_report(&mut rng, score)).unwrap();
            assert_eq!(report["checks"].as_array().unwrap().len(), CHECKS.len());
        }
    }
}
