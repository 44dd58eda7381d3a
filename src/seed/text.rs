//! Plausible prose and JSON for generated rows: sentences of technical English written
//! straight into a reused buffer, names from `fake`, and JSON string escaping.
//! Must not decide row counts or timestamps.

use fake::Fake;
use fake::faker::company::en::{Buzzword, CatchPhrase, CompanyName};
use fake::faker::name::en::Name;
use rand::RngExt;

use crate::seed::random::{SeedRng, pick};

const WORDS: &[&str] = &[
    "the",
    "service",
    "should",
    "use",
    "a",
    "managed",
    "database",
    "for",
    "user",
    "sessions",
    "and",
    "cache",
    "latency",
    "under",
    "load",
    "we",
    "need",
    "to",
    "support",
    "requests",
    "per",
    "second",
    "with",
    "low",
    "cost",
    "team",
    "already",
    "knows",
    "this",
    "stack",
    "which",
    "reduces",
    "risk",
    "deployment",
    "on",
    "kubernetes",
    "is",
    "preferred",
    "by",
    "operations",
    "API",
    "gateway",
    "handles",
    "authentication",
    "tokens",
    "expire",
    "after",
    "one",
    "hour",
    "data",
    "must",
    "be",
    "encrypted",
    "at",
    "rest",
    "in",
    "transit",
    "queue",
    "decouples",
    "the",
    "workers",
    "from",
    "web",
    "tier",
    "retries",
    "are",
    "idempotent",
    "schema",
    "migrations",
    "run",
    "before",
    "each",
    "release",
    "monitoring",
    "alerts",
    "when",
    "error",
    "rate",
    "exceeds",
    "threshold",
    "frontend",
    "renders",
    "dashboard",
    "components",
    "server",
    "side",
    "mobile",
    "clients",
    "sync",
    "offline",
    "changes",
    "later",
    "search",
    "index",
    "updates",
    "within",
    "seconds",
    "of",
    "write",
    "audit",
    "log",
    "keeps",
    "every",
    "decision",
    "design",
    "document",
    "lists",
    "requirements",
    "constraints",
    "budget",
    "allows",
    "two",
    "regions",
    "failover",
    "tested",
    "monthly",
    "storage",
    "grows",
    "about",
    "ten",
    "gigabytes",
    "month",
    "read",
    "replicas",
    "serve",
    "reports",
    "background",
    "jobs",
    "send",
    "notifications",
    "email",
    "webhooks",
    "payments",
    "provider",
    "compliance",
    "GDPR",
    "requires",
    "deletion",
    "personal",
    "within",
    "thirty",
    "days",
    "throughput",
    "peaks",
    "during",
    "business",
    "hours",
    "connection",
    "pool",
    "limits",
    "concurrency",
    "feature",
    "flags",
    "rollout",
    "gradual",
    "tests",
    "cover",
    "critical",
    "paths",
    "contract",
    "between",
    "services",
    "versioned",
    "events",
    "stream",
    "analytics",
    "warehouse",
    "nightly",
    "batch",
    "PostgreSQL",
    "Redis",
    "Kafka",
    "React",
    "FastAPI",
    "TypeScript",
    "Terraform",
    "OAuth2",
    "S3",
    "CDN",
    "GraphQL",
    "REST",
    "gRPC",
];

/// Bytes per word in a sentence's scratch buffer (a word plus its leading space).
const SLOT: usize = 16;
/// Longest sentence built in the scratch buffer; longer ones are built word by word.
const MAX_FAST_WORDS: usize = 24;

/// `WORDS` as fixed-size slots, so a word is copied as one 16-byte move instead of a
/// `memcpy` call (copying words one call at a time was the generator's largest cost).
struct Lexicon {
    /// " word", zero-padded.
    spaced: Vec<[u8; SLOT]>,
    /// "Word" (first letter in upper case), zero-padded.
    capitalised: Vec<[u8; SLOT]>,
}

static LEXICON: std::sync::LazyLock<Lexicon> = std::sync::LazyLock::new(|| Lexicon {
    spaced: WORDS.iter().map(|w| slot(&format!(" {w}"))).collect(),
    capitalised: WORDS.iter().map(|w| slot(&capitalised(w))).collect(),
});

fn slot(text: &str) -> [u8; SLOT] {
    let mut slot = [0u8; SLOT];
    slot[..text.len()].copy_from_slice(text.as_bytes());
    slot
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Appends one sentence of `min..=max` words, capitalised, ending with a full stop.
pub fn sentence(rng: &mut SeedRng, out: &mut String, min: usize, max: usize) {
    let count = rng.random_range(min..=max);
    if count > MAX_FAST_WORDS {
        return sentence_word_by_word(rng, out, count);
    }
    let lexicon = &*LEXICON;
    let mut buf = [0u8; (MAX_FAST_WORDS + 1) * SLOT];
    let mut len = 0;
    for i in 0..count {
        let index = rng.random_range(0..WORDS.len()); // as `pick`: one draw per word
        let (word, size) = if i == 0 {
            (&lexicon.capitalised[index], WORDS[index].len())
        } else {
            (&lexicon.spaced[index], WORDS[index].len() + 1)
        };
        buf[len..len + SLOT].copy_from_slice(word);
        len += size;
    }
    buf[len] = b'.';
    len += 1;
    out.push_str(std::str::from_utf8(&buf[..len]).expect("the words are ASCII"));
}

fn sentence_word_by_word(rng: &mut SeedRng, out: &mut String, count: usize) {
    for i in 0..count {
        let word = pick(rng, WORDS);
        if i == 0 {
            out.push_str(&capitalised(word));
        } else {
            out.push(' ');
            out.push_str(word);
        }
    }
    out.push('.');
}

/// Appends `count` sentences separated by spaces.
pub fn sentences(rng: &mut SeedRng, out: &mut String, count: usize) {
    for i in 0..count {
        if i > 0 {
            out.push(' ');
        }
        sentence(rng, out, 6, 18);
    }
}

/// `min..=max` sentences as a new string.
pub fn prose(rng: &mut SeedRng, min: usize, max: usize) -> String {
    let mut out = String::with_capacity(max * 90);
    let count = rng.random_range(min..=max);
    sentences(rng, &mut out, count);
    out
}

/// Appends a paragraph of 3 to 6 sentences followed by a blank line.
pub fn paragraph(rng: &mut SeedRng, out: &mut String) {
    let count = rng.random_range(3..=6);
    sentences(rng, out, count);
    out.push_str("\n\n");
}

/// A person's full name (from `fake`).
pub fn person_name(rng: &mut SeedRng) -> String {
    Name().fake_with_rng(rng)
}

/// A product title such as "Acme Ltd: Synergized zero-defect portal".
pub fn product_title(rng: &mut SeedRng) -> String {
    let company: String = CompanyName().fake_with_rng(rng);
    let phrase: String = CatchPhrase().fake_with_rng(rng);
    format!("{company}: {phrase}")
}

/// A buzzword (from `fake`).
pub fn buzzword(rng: &mut SeedRng) -> String {
    Buzzword().fake_with_rng(rng)
}

/// Appends `text` as a JSON string literal (quoted and escaped). Runs of characters that
/// need no escaping are copied at once.
pub fn push_json_str(out: &mut String, text: &str) {
    out.reserve(text.len() + 2);
    out.push('"');
    let mut plain_from = 0;
    for (at, byte) in text.bytes().enumerate() {
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            byte if byte < 0x20 => "",
            _ => continue,
        };
        out.push_str(&text[plain_from..at]);
        if escape.is_empty() {
            out.push_str(&format!("\\u{byte:04x}"));
        } else {
            out.push_str(escape);
        }
        plain_from = at + 1;
    }
    out.push_str(&text[plain_from..]);
    out.push('"');
}

/// Appends `"key":"value"` (value escaped), preceded by a comma unless `first`.
pub fn push_json_field(out: &mut String, first: bool, key: &str, value: &str) {
    if !first {
        out.push(',');
    }
    push_json_str(out, key);
    out.push(':');
    push_json_str(out, value);
}

/// Appends `"key":raw` (raw must already be JSON), preceded by a comma unless `first`.
pub fn push_json_raw(out: &mut String, first: bool, key: &str, raw: &str) {
    if !first {
        out.push(',');
    }
    push_json_str(out, key);
    out.push(':');
    out.push_str(raw);
}

/// Appends a JSON array of strings.
pub fn push_json_str_array(out: &mut String, items: &[&str]) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json_str(out, item);
    }
    out.push(']');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::random::{Stream, stream_rng};

    #[test]
    fn sentences_are_capitalised_and_end_with_a_full_stop() {
        let mut rng = stream_rng(1, Stream::Conversation, 0);
        let mut out = String::new();
        sentence(&mut rng, &mut out, 6, 18);
        assert!(out.ends_with('.'));
        assert!(out.chars().next().unwrap().is_uppercase());
        let words = out.split(' ').count();
        assert!((6..=18).contains(&words), "{out}");
    }

    #[test]
    fn every_word_fits_a_slot_with_its_space_and_is_ascii() {
        for word in WORDS {
            assert!(word.is_ascii() && word.len() < SLOT, "{word}");
        }
    }

    #[test]
    fn the_scratch_buffer_and_the_word_by_word_paths_write_the_same_sentence() {
        let (mut fast, mut slow) = (String::new(), String::new());
        let mut a = stream_rng(9, Stream::Trd, 4);
        let mut b = stream_rng(9, Stream::Trd, 4);
        for _ in 0..50 {
            sentence(&mut a, &mut fast, 6, 18);
            let count = b.random_range(6..=18);
            sentence_word_by_word(&mut b, &mut slow, count);
        }
        assert_eq!(fast, slow);
    }

    #[test]
    fn json_strings_escape_quotes_backslashes_and_controls() {
        let mut out = String::from("{");
        push_json_field(&mut out, true, "name", "O\"Brien \\ \n\u{1}");
        push_json_raw(&mut out, false, "tags", "[]");
        out.push('}');
        let parsed: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(parsed["name"], "O\"Brien \\ \n\u{1}");
    }

    #[test]
    fn fake_names_are_drawn_from_the_seeded_rng() {
        let a = person_name(&mut stream_rng(3, Stream::Person, 1));
        let b = person_name(&mut stream_rng(3, Stream::Person, 1));
        assert_eq!(a, b);
        assert!(!product_title(&mut stream_rng(3, Stream::DesignJob, 1)).is_empty());
    }
}
