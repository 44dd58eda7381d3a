//! Rows of the stub design jobs in `shared.*` (jobs, PRD and design-doc outputs,
//! decisions) and of the bookkeeping list of job ids the tool created.
//! Must not generate Tech Spec rows.

use chrono::Duration;
use rand::RngExt;
use std::fmt::Write as _;
use tokio_postgres::types::Type;

use crate::seed::context::{GenContext, JobCore};
use crate::seed::encode::CopyEncoder;
use crate::seed::random::{Stream, pick, time_between, uuid};
use crate::seed::text::{paragraph, person_name, product_title, prose};
use crate::seed::volume::{DECISIONS_PER_DESIGN_JOB, OUTPUTS_PER_DESIGN_JOB};

pub static SEEDED_JOB_TYPES: [Type; 2] = [Type::UUID, Type::INT8];
pub static DESIGN_JOB_TYPES: [Type; 7] = [
    Type::UUID,
    Type::UUID,
    Type::UUID,
    Type::TEXT,
    Type::TEXT,
    Type::TIMESTAMPTZ,
    Type::TIMESTAMPTZ,
];
pub static DESIGN_OUTPUT_TYPES: [Type; 5] = [
    Type::UUID,
    Type::UUID,
    Type::TEXT,
    Type::TEXT,
    Type::TIMESTAMPTZ,
];
pub static DESIGN_DECISION_TYPES: [Type; 6] = [
    Type::UUID,
    Type::UUID,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TIMESTAMPTZ,
];

const DECISIONS: &[(&str, &[&str])] = &[
    (
        "target_platform",
        &["web", "ios_and_android", "desktop", "web_and_mobile"],
    ),
    (
        "authentication",
        &["email_password", "sso_saml", "oauth_google", "magic_link"],
    ),
    ("color_scheme", &["light", "dark", "system"]),
    ("data_retention", &["30_days", "1_year", "7_years"]),
    (
        "deployment_region",
        &["eu-west-1", "us-east-1", "ap-southeast-2"],
    ),
    ("accessibility", &["wcag_2_1_aa", "wcag_2_1_aaa"]),
];

/// The bookkeeping row recording that the tool created design job `job`.
pub fn seeded_job_row(
    context: &GenContext,
    job: &JobCore,
    out: &mut CopyEncoder,
) -> Result<(), String> {
    out.row(&[&job.id, &context.seed_run_id])
}

/// The `shared.design_jobs` row of `job`.
pub fn design_job_row(
    context: &GenContext,
    job: &JobCore,
    out: &mut CopyEncoder,
) -> Result<(), String> {
    let mut rng = context.rng(Stream::DesignJob, job.index | (1 << 62));
    let title = product_title(&mut rng);
    out.row(&[
        &job.id,
        &job.project_id,
        &job.user_id,
        &title,
        &job.status,
        &job.created_at,
        &job.updated_at,
    ])
}

/// The PRD and design-doc rows of `job`.
pub fn design_output_rows(
    context: &GenContext,
    job: &JobCore,
    out: &mut CopyEncoder,
) -> Result<(), String> {
    let mut rng = context.rng(Stream::DesignOutput, job.index);
    for (n, output_type) in ["prd", "design_doc"]
        .iter()
        .enumerate()
        .take(OUTPUTS_PER_DESIGN_JOB as usize)
    {
        let id = uuid(&mut rng);
        let mut content = String::with_capacity(3_000);
        let heading = if *output_type == "prd" {
            "Product requirements"
        } else {
            "Design document"
        };
        let _ = write!(
            content,
            "# {heading}\n\nAuthor: {}\n\n",
            person_name(&mut rng)
        );
        for _ in 0..rng.random_range(3..=6) {
            paragraph(&mut rng, &mut content);
        }
        let created_at = time_between(&mut rng, job.created_at, job.updated_at)
            + Duration::microseconds(n as i64);
        out.row(&[
            &id,
            &job.id,
            output_type,
            &content,
            &created_at.min(job.updated_at),
        ])?;
    }
    Ok(())
}

/// The user decisions recorded for `job`.
pub fn design_decision_rows(
    context: &GenContext,
    job: &JobCore,
    out: &mut CopyEncoder,
) -> Result<(), String> {
    let mut rng = context.rng(Stream::DesignDecision, job.index);
    let first = rng.random_range(0..DECISIONS.len());
    for n in 0..DECISIONS_PER_DESIGN_JOB as usize {
        let (key, values) = DECISIONS[(first + n) % DECISIONS.len()];
        let id = uuid(&mut rng);
        let value = *pick(&mut rng, values);
        let rationale = (rng.random_range(0..10) > 0).then(|| prose(&mut rng, 1, 3));
        let created_at = time_between(&mut rng, job.created_at, job.updated_at);
        out.row(&[&id, &job.id, &key, &value, &rationale, &created_at])?;
    }
    Ok(())
}
