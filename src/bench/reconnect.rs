//! Reopening a client's session after its connection was lost: attempts with bounded
//! exponential backoff, all within the executor's reconnect budget (the connect timeout),
//! stopped by Ctrl-C. Must not count or record anything (the client does).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::bench::executor::Executor;
use crate::config::model::Scenario;
use crate::params::PrepareFailure;

/// The pause after the first failed attempt; doubled after each further one.
pub const FIRST_PAUSE: Duration = Duration::from_millis(10);
/// The longest pause between two attempts.
pub const MAX_PAUSE: Duration = Duration::from_millis(500);

/// The pause after `failed` failed attempts (1-based): 10 ms, 20 ms, … at most 500 ms.
pub fn backoff(failed: u32) -> Duration {
    let doublings = failed.saturating_sub(1).min(16);
    FIRST_PAUSE.saturating_mul(1 << doublings).min(MAX_PAUSE)
}

/// Opens a new session for client `client` within `executor.reconnect_within()`.
/// Errors: why the server could not be reached again (or that Ctrl-C stopped trying),
/// in words for the user.
pub async fn reconnect<E: Executor>(
    executor: &E,
    scenario: &Scenario,
    client: u32,
    cancel: &AtomicBool,
) -> Result<E::Session, String> {
    let budget = executor.reconnect_within();
    let deadline = Instant::now() + budget;
    let mut failed = 0;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let last_error = match tokio::time::timeout(
            left.max(FIRST_PAUSE),
            executor.open(scenario, client),
        )
        .await
        {
            Ok(Ok(session)) => return Ok(session),
            Ok(Err(failure)) => failure_text(failure),
            Err(_) => "no answer to the connection attempt".to_string(),
        };
        failed += 1;
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || cancel.load(Ordering::Relaxed) {
            return Err(format!(
                "the connection to the server was lost and could not be opened again within {} \
                 ({failed} attempt(s); last: {last_error}); check that the server is running \
                 and reachable, or raise --connect-timeout",
                humantime::format_duration(budget)
            ));
        }
        tokio::time::sleep(backoff(failed).min(left)).await;
    }
}

fn failure_text(failure: PrepareFailure) -> String {
    match failure {
        PrepareFailure::Error(error) => error.to_string(),
        PrepareFailure::Skip(reason) => reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_ten_milliseconds_up_to_half_a_second() {
        let pauses: Vec<u128> = (1..=8).map(|n| backoff(n).as_millis()).collect();
        assert_eq!(pauses, [10, 20, 40, 80, 160, 320, 500, 500]);
        assert_eq!(backoff(u32::MAX), MAX_PAUSE);
        assert_eq!(backoff(0), FIRST_PAUSE);
    }
}
