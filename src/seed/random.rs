//! Seeded randomness: one ChaCha8 stream per (table, parent) so rows do not depend on
//! generation order or threads, plus small helpers (uuids, weighted picks, times).
//! Must not read the clock or the OS entropy source.

use chrono::{DateTime, Duration, Utc};
use rand::RngExt;
use rand::SeedableRng;
pub use rand::rngs::ChaCha8Rng as SeedRng;

/// Which stream a row's randomness comes from (part of the ChaCha key: never renumber).
#[derive(Debug, Clone, Copy)]
#[repr(u64)]
pub enum Stream {
    DesignJob = 1,
    DesignOutput = 2,
    DesignDecision = 3,
    Session = 4,
    SessionRow = 5,
    Research = 6,
    Conversation = 7,
    Trd = 8,
    ErrorLog = 9,
    Person = 10,
}

/// The generator of stream `stream` for parent `index` under `rng_seed`.
pub fn stream_rng(rng_seed: u64, stream: Stream, index: u64) -> SeedRng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&rng_seed.to_le_bytes());
    key[8..16].copy_from_slice(&(stream as u64).to_le_bytes());
    key[16..24].copy_from_slice(&index.to_le_bytes());
    key[24..].copy_from_slice(b"tsbseed1");
    SeedRng::from_seed(key)
}

/// A version-4 uuid drawn from `rng` (never from the OS).
pub fn uuid(rng: &mut SeedRng) -> uuid::Uuid {
    uuid::Builder::from_random_bytes(rng.random()).into_uuid()
}

/// One of `items`, uniformly.
pub fn pick<'a, T>(rng: &mut SeedRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// One of the strings `items`, uniformly.
pub fn pick_str(rng: &mut SeedRng, items: &[&'static str]) -> &'static str {
    items[rng.random_range(0..items.len())]
}

/// One of `items`, with probability proportional to its weight.
pub fn weighted<'a, T>(rng: &mut SeedRng, items: &'a [(T, u32)]) -> &'a T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut roll = rng.random_range(0..total);
    for (item, weight) in items {
        if roll < *weight {
            return item;
        }
        roll -= weight;
    }
    &items[items.len() - 1].0
}

/// A time uniformly in `[from, to]` (whole microseconds); `from` when `to <= from`.
pub fn time_between(rng: &mut SeedRng, from: DateTime<Utc>, to: DateTime<Utc>) -> DateTime<Utc> {
    let span = (to - from).num_microseconds().unwrap_or(0);
    if span <= 0 {
        return from;
    }
    from + Duration::microseconds(rng.random_range(0..=span))
}

/// `count` strictly increasing times in `[from, to]`, one per equal slot of the span
/// (the span is widened to one millisecond per item when too short).
pub fn increasing_times(
    rng: &mut SeedRng,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    count: u64,
) -> Vec<DateTime<Utc>> {
    let span = (to - from)
        .num_microseconds()
        .unwrap_or(0)
        .max(count as i64 * 1_000);
    let slot = span / count.max(1) as i64;
    (0..count as i64)
        .map(|i| from + Duration::microseconds(i * slot + rng.random_range(0..slot.max(1))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a = uuid(&mut stream_rng(7, Stream::Session, 3));
        let b = uuid(&mut stream_rng(7, Stream::Session, 3));
        let c = uuid(&mut stream_rng(7, Stream::Session, 4));
        let d = uuid(&mut stream_rng(8, Stream::Session, 3));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
        assert_eq!(a.get_version_num(), 4);
    }

    #[test]
    fn increasing_times_strictly_increase_within_bounds() {
        let mut rng = stream_rng(1, Stream::Conversation, 0);
        let from = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .to_utc();
        for (to_minutes, count) in [(60, 8), (0, 5), (1, 1000)] {
            let to = from + Duration::minutes(to_minutes);
            let times = increasing_times(&mut rng, from, to, count);
            assert_eq!(times.len() as u64, count);
            assert!(times.windows(2).all(|w| w[0] < w[1]));
            assert!(times[0] >= from);
        }
    }

    #[test]
    fn weighted_pick_never_picks_a_zero_weight() {
        let mut rng = stream_rng(1, Stream::Session, 0);
        for _ in 0..1000 {
            assert_ne!(
                *weighted(&mut rng, &[("a", 3), ("never", 0), ("b", 1)]),
                "never"
            );
        }
    }
}
