//! Rows of `tech_conversations`: user and agent alternate, with occasional system
//! messages; timestamps strictly increase within a session.
//! Must not generate other tables.

use rand::RngExt;
use tokio_postgres::types::Type;

use crate::seed::context::{GenContext, SessionCore};
use crate::seed::encode::{CopyEncoder, JsonText};
use crate::seed::random::{SeedRng, Stream, increasing_times, pick, pick_str, uuid};
use crate::seed::text::sentences;

pub static CONVERSATION_TYPES: [Type; 7] = [
    Type::UUID,
    Type::UUID,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TIMESTAMPTZ,
    Type::JSONB,
];

const MODELS: &[&str] = &[
    "gpt-4o",
    "claude-sonnet-4",
    "gpt-4.1-mini",
    "claude-haiku-4",
];

/// Roles of `count` messages: about one in twelve is `system`, the others alternate
/// `agent`, `user`, `agent`, ...
fn roles(rng: &mut SeedRng, count: u64) -> Vec<&'static str> {
    let mut next_is_agent = true;
    (0..count)
        .map(|_| {
            if rng.random_range(0..12) == 0 {
                "system"
            } else {
                let role = if next_is_agent { "agent" } else { "user" };
                next_is_agent = !next_is_agent;
                role
            }
        })
        .collect()
}

fn message_type(rng: &mut SeedRng, role: &str) -> &'static str {
    match role {
        "agent" => pick_str(rng, &["question", "text", "recommendation", "text"]),
        "user" => pick_str(rng, &["text", "text", "decision"]),
        _ => pick_str(rng, &["status_update", "stage_transition", "error_notice"]),
    }
}

fn metadata(rng: &mut SeedRng, role: &str) -> String {
    match role {
        "agent" => format!(
            "{{\"model\":\"{}\",\"tokens\":{},\"latency_ms\":{}}}",
            pick(rng, MODELS),
            rng.random_range(40..1_500),
            rng.random_range(300..9_000)
        ),
        "user" => format!(
            "{{\"client\":\"{}\"}}",
            pick(rng, &["web", "web", "ios", "android", "cli"])
        ),
        _ => "{}".to_string(),
    }
}

/// The `count` messages of `session`, spread over its lifetime.
pub fn conversation_rows(
    context: &GenContext,
    session: &SessionCore,
    count: u64,
    out: &mut CopyEncoder,
) -> Result<(), String> {
    let mut rng = context.rng(Stream::Conversation, session.index);
    let roles = roles(&mut rng, count);
    let times = increasing_times(&mut rng, session.created_at, session.updated_at, count);
    let mut content = String::with_capacity(1_000);
    for (role, timestamp) in roles.iter().zip(&times) {
        let id = uuid(&mut rng);
        content.clear();
        let sentence_count = if *role == "system" {
            1
        } else {
            rng.random_range(1..=5)
        };
        sentences(&mut rng, &mut content, sentence_count);
        let kind = message_type(&mut rng, role);
        let meta = metadata(&mut rng, role);
        out.row(&[
            &id,
            &session.id,
            role,
            &content.as_str(),
            &kind,
            timestamp,
            &JsonText(&meta),
        ])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::random::stream_rng;

    #[test]
    fn user_and_agent_alternate_with_occasional_system_messages() {
        let mut rng = stream_rng(5, Stream::Conversation, 9);
        let roles = roles(&mut rng, 5_000);
        let spoken: Vec<_> = roles.iter().filter(|r| **r != "system").collect();
        assert!(spoken.windows(2).all(|w| w[0] != w[1]));
        assert_eq!(*spoken[0], "agent");
        let system = roles.iter().filter(|r| **r == "system").count();
        assert!(system > 100 && system < 1_000, "{system}");
    }
}
