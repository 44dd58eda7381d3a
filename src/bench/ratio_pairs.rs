//! A ratio gate measured in pairs: the gated scenario and the one it is compared with run
//! alternately on one connection (one backend), iteration by iteration, the one that goes
//! first alternating pair by pair (A B, B A, …). Whatever slows the machine or the backend
//! at that moment slows both sides of a pair alike, so the ratio of the two scenarios'
//! percentiles within a connection draw is free of it. The connection is re-drawn
//! `draws` times (new session, short warm-up), so that the draws, not the pairs, carry
//! the interval. Each draw keeps its own histogram per side. Blocking: runs its client
//! on its own thread and current_thread runtime. Must not judge the gate or format
//! output.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use indicatif::ProgressBar;

use crate::bench::client::client_runtime;
use crate::bench::engine::Prepared;
use crate::bench::executor::{Executor, Session};
use crate::bench::histogram::{new_latency_histogram, record};
use crate::config::model::Scenario;
use crate::params::{ParamDrawer, PrepareFailure};

/// Fewest pairs in one draw: below it a draw's median is mostly noise.
pub const MIN_PAIRS_PER_DRAW: u64 = 4;
/// Fewest connection draws: Student's t over fewer draws gives an interval so wide that a
/// broken gate would hold within it.
pub const MIN_DRAWS: u64 = 4;
/// Untimed iterations of each side on a new connection (caches, plan choice).
pub const DRAW_WARMUP: u64 = 1;

/// How much a ratio gate measures: `draws` connections of `pairs_per_draw` pairs each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PairShape {
    pub draws: u32,
    pub pairs_per_draw: u64,
}

impl PairShape {
    /// About `pairs` pairs in all, spread over at most `rounds` draws (at least
    /// `MIN_DRAWS`) of at least `MIN_PAIRS_PER_DRAW` pairs each.
    pub fn for_pairs(pairs: u64, rounds: u32) -> PairShape {
        let most = u64::from(rounds).max(MIN_DRAWS);
        let draws = (pairs / MIN_PAIRS_PER_DRAW).clamp(MIN_DRAWS, most);
        PairShape {
            draws: u32::try_from(draws).unwrap_or(u32::MAX),
            pairs_per_draw: (pairs / draws).max(MIN_PAIRS_PER_DRAW),
        }
    }
}

/// One side of a ratio pair: a scenario and its preflight's drawer.
pub struct PairSide<'a> {
    pub scenario: &'a Scenario,
    pub prepared: &'a Prepared,
}

/// What the pairs measured: per draw, each side's histogram (µs).
#[derive(Debug, Default)]
pub struct PairedDraws {
    pub own: Vec<Histogram<u64>>,
    pub other: Vec<Histogram<u64>>,
    /// Pairs in which both sides succeeded.
    pub pairs: u64,
    /// Failed iterations (either side), and the first error's text.
    pub errors: u64,
    pub first_error: Option<String>,
}

/// Measures `own` and `other` in pairs on one connection of `executor`, in `shape`.
/// A connection that cannot be opened ends the measurement with what was measured so far
/// (`Err` only when not one draw could connect); Ctrl-C (`cancel`) ends it early.
pub fn measure_ratio_pairs<E: Executor>(
    executor: &E,
    own: PairSide<'_>,
    other: PairSide<'_>,
    shape: PairShape,
    cancel: &AtomicBool,
    progress: Option<&ProgressBar>,
) -> crate::Result<PairedDraws> {
    if let Some(bar) = progress {
        bar.set_length(u64::from(shape.draws) * shape.pairs_per_draw);
    }
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("bench-ratio-pairs".into())
            .spawn_scoped(scope, || {
                let runtime = client_runtime()?;
                runtime.block_on(run_draws(executor, &own, &other, shape, cancel, progress))
            })
            .map_err(|e| crate::Error::environment(format!("cannot start a client thread: {e}")))?
            .join()
            .map_err(|_| crate::Error::environment("the ratio-pair client thread panicked"))?
    })
}

async fn run_draws<E: Executor>(
    executor: &E,
    own: &PairSide<'_>,
    other: &PairSide<'_>,
    shape: PairShape,
    cancel: &AtomicBool,
    progress: Option<&ProgressBar>,
) -> crate::Result<PairedDraws> {
    let mut drawers = (
        own.prepared.drawer.fork(u32::MAX - 1),
        other.prepared.drawer.fork(u32::MAX - 2),
    );
    let mut measured = PairedDraws::default();
    let mut k = 0_u64;
    for _ in 0..shape.draws {
        if cancel.load(Ordering::Relaxed) {
            break;
        }
        let sessions = match open_both(executor, own.scenario, other.scenario).await {
            Ok(sessions) => sessions,
            Err(why) if measured.own.is_empty() => return Err(why),
            Err(_) => break,
        };
        for _ in 0..DRAW_WARMUP {
            let _ = sessions
                .0
                .run_iteration(own.scenario, &mut drawers.0, None)
                .await;
            let _ = sessions
                .1
                .run_iteration(other.scenario, &mut drawers.1, None)
                .await;
        }
        let mut draw = (new_latency_histogram(), new_latency_histogram());
        for _ in 0..shape.pairs_per_draw {
            if cancel.load(Ordering::Relaxed) || sessions.0.is_closed() {
                break;
            }
            let own_first = k.is_multiple_of(2);
            let (a, b) = if own_first {
                let a = timed(&sessions.0, own.scenario, &mut drawers.0).await;
                (a, timed(&sessions.1, other.scenario, &mut drawers.1).await)
            } else {
                let b = timed(&sessions.1, other.scenario, &mut drawers.1).await;
                (timed(&sessions.0, own.scenario, &mut drawers.0).await, b)
            };
            k += 1;
            if let Some(bar) = progress {
                bar.inc(1);
            }
            if let (Ok(a), Ok(b)) = (&a, &b) {
                record(&mut draw.0, *a);
                record(&mut draw.1, *b);
                measured.pairs += 1;
            }
            for failed in [a.err(), b.err()].into_iter().flatten() {
                measured.errors += 1;
                measured.first_error.get_or_insert(failed);
            }
        }
        measured.own.push(draw.0);
        measured.other.push(draw.1);
    }
    Ok(measured)
}

/// A new connection with both scenarios' statements: opened for the one that declares a
/// transaction (a write scenario needs a read-write connection), the other as its sibling.
async fn open_both<E: Executor>(
    executor: &E,
    own: &Scenario,
    other: &Scenario,
) -> crate::Result<(E::Session, E::Session)> {
    let fail = |failure: PrepareFailure| match failure {
        PrepareFailure::Error(e) => e,
        PrepareFailure::Skip(reason) => crate::Error::environment(reason),
    };
    if other.transaction.is_some() && own.transaction.is_none() {
        let b = executor.open(other, 0).await.map_err(fail)?;
        let a = b.sibling(own).await.map_err(fail)?;
        return Ok((a, b));
    }
    let a = executor.open(own, 0).await.map_err(fail)?;
    let b = a.sibling(other).await.map_err(fail)?;
    Ok((a, b))
}

/// One iteration's latency, or its error.
async fn timed<S: Session>(
    session: &S,
    scenario: &Scenario,
    drawer: &mut ParamDrawer,
) -> Result<Duration, String> {
    let sent = Instant::now();
    session.run_iteration(scenario, drawer, None).await?;
    Ok(sent.elapsed())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::engine::prepare_with;
    use crate::bench::engine::tests::scenario;
    use crate::bench::mock::{MockExecutor, Reply, SIBLING};
    use crate::config::model::LoadAmount;
    use crate::outcome::Outcome;

    #[test]
    fn the_shape_spreads_pairs_over_draws_with_a_floor_per_draw() {
        let shape = |pairs, rounds| {
            let s = PairShape::for_pairs(pairs, rounds);
            (s.draws, s.pairs_per_draw)
        };
        assert_eq!(shape(400, 8), (8, 50));
        assert_eq!(shape(25, 8), (6, 4));
        assert_eq!(shape(3, 8), (4, 4), "four draws at least, four pairs each");
        assert_eq!(shape(400, 1), (4, 100));
    }

    #[test]
    fn both_sides_alternate_on_one_connection_per_draw() {
        let own = scenario(LoadAmount::Iterations(10), 1);
        let mut other = own.clone();
        other.name = "other".into();
        // The sibling (the other scenario) is 5× slower than the session it shares.
        let executor = MockExecutor::new(|client, _| match client >= SIBLING {
            true => Reply::Success(Duration::from_millis(5)),
            false => Reply::Success(Duration::from_millis(1)),
        });
        let prepared = |s: &Scenario| match prepare_with(&executor, s, 3).unwrap() {
            Outcome::Ok(p) => p,
            _ => panic!("preflight"),
        };
        let (p_own, p_other) = (prepared(&own), prepared(&other));
        let shape = PairShape {
            draws: 3,
            pairs_per_draw: 6,
        };
        let measured = measure_ratio_pairs(
            &executor,
            PairSide {
                scenario: &own,
                prepared: &p_own,
            },
            PairSide {
                scenario: &other,
                prepared: &p_other,
            },
            shape,
            &AtomicBool::new(false),
            None,
        )
        .unwrap();
        assert_eq!((measured.own.len(), measured.other.len()), (3, 3));
        assert_eq!(measured.pairs, 18);
        assert!(measured.own.iter().all(|h| h.len() == 6));
        for (own, other) in measured.own.iter().zip(&measured.other) {
            assert!(other.value_at_quantile(0.5) > 2 * own.value_at_quantile(0.5));
        }
        // One session (connection) per draw, each with its sibling; the two alternate
        // which goes first after the warm-up.
        assert_eq!(executor.sessions_of(0), 3);
        let calls = executor.calls();
        let firsts: Vec<bool> = calls
            .iter()
            .skip(2 * DRAW_WARMUP as usize)
            .take(8)
            .map(|c| c.client >= SIBLING)
            .collect();
        assert_eq!(firsts, [false, true, true, false, false, true, true, false]);
    }

    #[test]
    fn failed_iterations_are_counted_and_left_out_of_the_pairs() {
        let own = scenario(LoadAmount::Iterations(10), 1);
        let executor = MockExecutor::new(|client, number| match client >= SIBLING {
            true if number % 3 == 0 => Reply::QueryError("nope".into()),
            _ => Reply::Success(Duration::from_micros(200)),
        });
        let Outcome::Ok(prepared) = prepare_with(&executor, &own, 1).unwrap() else {
            panic!("preflight")
        };
        let side = || PairSide {
            scenario: &own,
            prepared: &prepared,
        };
        let shape = PairShape {
            draws: 2,
            pairs_per_draw: 9,
        };
        let measured = measure_ratio_pairs(
            &executor,
            side(),
            side(),
            shape,
            &AtomicBool::new(false),
            None,
        )
        .unwrap();
        assert!(measured.errors > 0);
        assert_eq!(measured.pairs + measured.errors, 18);
        assert_eq!(measured.first_error.as_deref(), Some("nope"));
    }
}
