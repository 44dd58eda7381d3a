//! Precise waits for paced (`rate`) clients: sleep until shortly before the scheduled
//! start, then spin (yielding the core) until it, so a send starts within microseconds
//! of its schedule instead of a timer slack later. Wakes regularly to notice Ctrl-C.
//! Must not measure or record anything (the client records the schedule lag).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long before the scheduled start the client stops sleeping and starts spinning:
/// more than a sleep's usual overshoot, so the spin absorbs it.
pub const SPIN_BEFORE: Duration = Duration::from_micros(200);
/// The longest single sleep, so Ctrl-C is noticed promptly.
pub const MAX_SLEEP: Duration = Duration::from_millis(50);

/// What to do with `left` until the scheduled start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitStep {
    /// The start is due: send now.
    Go,
    /// Sleep this long (never closer than `SPIN_BEFORE` to the start).
    Sleep(Duration),
    /// Close to the start: spin once and look again.
    Spin,
}

/// The next step of a wait with `left` until the scheduled start.
fn next_step(left: Duration) -> WaitStep {
    if left.is_zero() {
        WaitStep::Go
    } else if left > SPIN_BEFORE {
        WaitStep::Sleep((left - SPIN_BEFORE).min(MAX_SLEEP))
    } else {
        WaitStep::Spin
    }
}

/// Waits until `at` on the calling thread (blocking a client's own thread is fine:
/// nothing else runs on it between iterations). False when Ctrl-C came first.
pub fn wait_until(at: Instant, cancel: &AtomicBool) -> bool {
    loop {
        if cancel.load(Ordering::Relaxed) {
            return false;
        }
        match next_step(at.saturating_duration_since(Instant::now())) {
            WaitStep::Go => return true,
            WaitStep::Sleep(pause) => std::thread::sleep(pause),
            WaitStep::Spin => {
                std::hint::spin_loop();
                std::thread::yield_now();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const US: Duration = Duration::from_micros(1);

    #[test]
    fn a_due_start_goes_at_once() {
        assert_eq!(next_step(Duration::ZERO), WaitStep::Go);
    }

    #[test]
    fn far_starts_sleep_until_just_before_them_in_bounded_slices() {
        assert_eq!(next_step(1_000 * US), WaitStep::Sleep(800 * US));
        assert_eq!(
            next_step(Duration::from_secs(5)),
            WaitStep::Sleep(MAX_SLEEP)
        );
        assert_eq!(next_step(SPIN_BEFORE + US), WaitStep::Sleep(US));
    }

    #[test]
    fn near_starts_spin() {
        assert_eq!(next_step(SPIN_BEFORE), WaitStep::Spin);
        assert_eq!(next_step(US), WaitStep::Spin);
    }

    #[test]
    fn a_wait_never_ends_early_and_ends_soon_after_the_start() {
        let cancel = AtomicBool::new(false);
        for _ in 0..20 {
            let at = Instant::now() + 2 * Duration::from_millis(1);
            assert!(wait_until(at, &cancel));
            let done = Instant::now();
            assert!(done >= at);
            // Generous: a loaded machine may deschedule the spinning thread.
            assert!(done - at < Duration::from_millis(20), "{:?}", done - at);
        }
    }

    #[test]
    fn a_cancelled_wait_returns_false_without_waiting() {
        let cancel = AtomicBool::new(true);
        let started = Instant::now();
        assert!(!wait_until(started + Duration::from_secs(60), &cancel));
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}
