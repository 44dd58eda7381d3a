//! Rows of `tech_spec_sessions` and `tech_research`.
//! Must not decide session status or lifetimes (see `context`).

use rand::RngExt;
use std::fmt::Write as _;
use tokio_postgres::types::Type;

use crate::seed::context::{GenContext, JobCore, STAGES, SessionCore};
use crate::seed::encode::{CopyEncoder, JsonText};
use crate::seed::random::{SeedRng, Stream, pick, pick_str, time_between, uuid};
use crate::seed::text::{
    buzzword, person_name, prose, push_json_field, push_json_raw, push_json_str,
    push_json_str_array,
};

pub static SESSION_TYPES: [Type; 11] = [
    Type::UUID,
    Type::UUID,
    Type::UUID,
    Type::UUID,
    Type::TEXT,
    Type::TEXT,
    Type::INT4,
    Type::JSONB,
    Type::TIMESTAMPTZ,
    Type::TIMESTAMPTZ,
    Type::TIMESTAMPTZ,
];
pub static RESEARCH_TYPES: [Type; 7] = [
    Type::UUID,
    Type::UUID,
    Type::TEXT,
    Type::JSONB,
    Type::TEXT,
    Type::TEXT,
    Type::TIMESTAMPTZ,
];

/// Technology categories with the options researched for each.
pub const CATEGORIES: &[(&str, &[&str])] = &[
    (
        "database",
        &["PostgreSQL", "MySQL", "MongoDB", "DynamoDB", "CockroachDB"],
    ),
    (
        "backend_framework",
        &[
            "FastAPI",
            "Django",
            "Express",
            "Spring Boot",
            "Axum",
            "Rails",
        ],
    ),
    (
        "frontend",
        &["React", "Vue", "Svelte", "Angular", "Next.js"],
    ),
    ("cache", &["Redis", "Memcached", "Valkey", "in-process LRU"]),
    (
        "message_queue",
        &["Kafka", "RabbitMQ", "SQS", "NATS", "Redis Streams"],
    ),
    (
        "auth",
        &["Auth0", "Keycloak", "Cognito", "Clerk", "custom JWT"],
    ),
    (
        "hosting",
        &[
            "AWS ECS",
            "Kubernetes (EKS)",
            "Fly.io",
            "Google Cloud Run",
            "Heroku",
        ],
    ),
    (
        "search",
        &[
            "Elasticsearch",
            "OpenSearch",
            "Meilisearch",
            "PostgreSQL full-text",
        ],
    ),
    (
        "observability",
        &["Datadog", "Grafana + Prometheus", "New Relic", "Honeycomb"],
    ),
    (
        "ci_cd",
        &["GitHub Actions", "GitLab CI", "CircleCI", "Buildkite"],
    ),
];

const PROS: &[&str] = &[
    "mature ecosystem",
    "team experience",
    "managed offering",
    "low latency",
    "strong consistency",
    "horizontal scaling",
    "good documentation",
    "low operating cost",
    "open source",
    "active community",
];
const CONS: &[&str] = &[
    "vendor lock-in",
    "operational overhead",
    "learning curve",
    "licence cost",
    "limited tooling",
    "weaker consistency",
    "cold starts",
    "smaller community",
    "memory hungry",
    "complex configuration",
];

/// The `tech_spec_sessions` row of `session`.
pub fn session_row(
    context: &GenContext,
    session: &SessionCore,
    job: &JobCore,
    out: &mut CopyEncoder,
) -> Result<(), String> {
    let mut rng = context.rng(Stream::SessionRow, session.index);
    let data = session_data(&mut rng, session);
    out.row(&[
        &session.id,
        &job.id,
        &job.project_id,
        &job.user_id,
        &session.status,
        &session.stage,
        &session.progress,
        &JsonText(&data),
        &session.created_at,
        &session.updated_at,
        &session.completed_at,
    ])
}

fn session_data(rng: &mut SeedRng, session: &SessionCore) -> String {
    let mut data = String::with_capacity(400);
    data.push('{');
    push_json_field(&mut data, true, "owner", &person_name(rng));
    push_json_field(&mut data, false, "product_theme", &buzzword(rng));
    let preferences = format!(
        "{{\"language\":\"{}\",\"cloud\":\"{}\",\"architecture\":\"{}\"}}",
        pick(rng, &["python", "typescript", "go", "java", "rust"]),
        pick(rng, &["aws", "gcp", "azure", "on_premise"]),
        pick(
            rng,
            &[
                "monolith",
                "modular_monolith",
                "microservices",
                "serverless"
            ]
        ),
    );
    push_json_raw(&mut data, false, "preferences", &preferences);
    let reached = STAGES.iter().position(|s| *s == session.stage).unwrap_or(0) + 1;
    data.push_str(",\"stage_history\":");
    push_json_str_array(&mut data, &STAGES[..reached]);
    let prompt_tokens = rng.random_range(2_000..80_000) * session.progress.max(1) / 100;
    let tokens = format!(
        "{{\"prompt\":{prompt_tokens},\"completion\":{}}}",
        prompt_tokens / 4
    );
    push_json_raw(&mut data, false, "token_usage", &tokens);
    push_json_raw(
        &mut data,
        false,
        "pending_decisions",
        &rng.random_range(0..4).to_string(),
    );
    data.push('}');
    data
}

/// The `tech_research` rows of `session` (`count` of them, distinct categories first).
pub fn research_rows(
    context: &GenContext,
    session: &SessionCore,
    count: u64,
    out: &mut CopyEncoder,
) -> Result<(), String> {
    let mut rng = context.rng(Stream::Research, session.index);
    let first = rng.random_range(0..CATEGORIES.len());
    let decided = session.status != "pending";
    for n in 0..count as usize {
        let (category, technologies) = CATEGORIES[(first + n) % CATEGORIES.len()];
        let id = uuid(&mut rng);
        let start = rng.random_range(0..technologies.len());
        let shown = rng.random_range(2..=technologies.len().min(4));
        let mut options = String::with_capacity(600);
        options.push('[');
        for k in 0..shown {
            let name = technologies[(start + k) % technologies.len()];
            option_json(&mut rng, &mut options, k == 0, name);
        }
        options.push(']');
        let selected = (decided && rng.random_range(0..10) > 1).then_some(technologies[start]);
        let rationale =
            selected.map(|tech| format!("{tech} was chosen. {}", prose(&mut rng, 2, 4)));
        let created_at = time_between(&mut rng, session.created_at, session.updated_at);
        out.row(&[
            &id,
            &session.id,
            &category,
            &JsonText(&options),
            &selected,
            &rationale,
            &created_at,
        ])?;
    }
    Ok(())
}

fn option_json(rng: &mut SeedRng, out: &mut String, first: bool, name: &str) {
    if !first {
        out.push(',');
    }
    out.push('{');
    push_json_field(out, true, "name", name);
    out.push_str(",\"pros\":[");
    for i in 0..rng.random_range(1..=3) {
        if i > 0 {
            out.push(',');
        }
        push_json_str(out, pick_str(rng, PROS));
    }
    out.push_str("],\"cons\":[");
    for i in 0..rng.random_range(1..=3) {
        if i > 0 {
            out.push(',');
        }
        push_json_str(out, pick_str(rng, CONS));
    }
    let _ = write!(out, "],\"score\":{}}}", rng.random_range(40..=98));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::context::SessionWalker;
    use crate::seed::options::{SeedOptions, parse_as_of};
    use crate::seed::volume::Volume;

    #[test]
    fn session_data_and_options_are_valid_json() {
        let options = SeedOptions::default();
        let context = GenContext {
            rng_seed: 1,
            as_of: parse_as_of("2026-01-01T00:00:00Z").unwrap(),
            volume: Volume::from_options(&options),
            seed_run_id: 1,
        };
        let mut walker = SessionWalker::new(context);
        for i in 0..10 {
            let (session, _) = walker.session(i);
            let data = session_data(&mut context.rng(Stream::SessionRow, i), &session);
            let value: serde_json::Value = serde_json::from_str(&data).unwrap();
            assert!(!value["stage_history"].as_array().unwrap().is_empty());
            let mut rng = context.rng(Stream::Research, i);
            let mut json = String::from("[");
            option_json(&mut rng, &mut json, true, "Redis");
            json.push(']');
            let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
            assert_eq!(parsed[0]["name"], "Redis");
        }
    }
}
