//! How the load of a scenario is split across clients: each client's share of the
//! iterations, the common duration, and the open-loop schedule of scheduled starts
//! (iteration k of client i at phase_i + k / rate_per_client), for the whole load or for
//! one of the measurement windows it is split into. Pure: must not sleep or measure.

use std::time::Duration;

use crate::config::model::{LoadAmount, LoadShape};

/// What one client runs.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientPlan {
    /// 0-based client number.
    pub index: u32,
    /// Closed-loop iterations run before recording (never recorded).
    pub warmup: u64,
    /// A budget's window stops warming up after this long, even short of `warmup`: a slow
    /// query's warm-up must not cost more than its measurement.
    pub warmup_within: Option<Duration>,
    /// When to stop.
    pub stop: StopAt,
    /// With `rate`: the open-loop schedule of this client.
    pub schedule: Option<Schedule>,
}

/// A client stops after its share of the iterations, at the end of the common duration,
/// or (a budget) once its share of the time is spent and it recorded at least `at_least`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StopAt {
    Iterations(u64),
    Elapsed(Duration),
    Budget { limit: Duration, at_least: u64 },
}

/// One of the windows a scenario's measurement is split into (each measured on its own
/// connections, at its own time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// 0-based.
    pub index: u32,
    /// How many windows the scenario has (at least 1).
    pub count: u32,
}

impl Window {
    /// The whole measurement in one window.
    pub const WHOLE: Window = Window { index: 0, count: 1 };
}

/// Fewest iterations a window of an iteration-count scenario holds.
pub const MIN_WINDOW_ITERATIONS: u64 = 10;
/// Fewest iterations each client records in a window of a budgeted scenario, however
/// slow: one, as the windows are the units of its precision (a budgeted scenario
/// measures at least `stats::precision::MIN_WINDOWS` windows, then stops once its p50 is
/// precise enough or its budget is spent).
pub const MIN_BUDGET_ITERATIONS: u64 = 1;
/// Most untimed iterations on the new connections of a window after the first (at most
/// the scenario's warmup, and a tenth of the window): enough for the server to warm its
/// caches and, after five executions, to settle on a plan.
pub const WINDOW_WARMUP: u64 = 5;

/// The windows of `load` when it is split into at most `most`: `most` for a duration, fewer
/// for an iteration count that would leave a window under `MIN_WINDOW_ITERATIONS`, and at
/// least one. An open-loop load (`rate`) is one window: its arrivals are one continuous
/// schedule, and restarting it would hide the backlog an overloaded server builds up.
pub fn window_count(load: &LoadShape, most: u32) -> u32 {
    let most = most.max(1);
    if load.rate.is_some() {
        return 1;
    }
    match load.amount {
        LoadAmount::Iterations(total) => {
            let fit = total / MIN_WINDOW_ITERATIONS;
            u32::try_from(fit.clamp(1, u64::from(most))).unwrap_or(1)
        }
        LoadAmount::Duration(_) | LoadAmount::Budget(_) => most,
    }
}

/// Scheduled starts at `phase + k * interval` after the measurement start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    pub interval: Duration,
    pub phase: Duration,
}

impl Schedule {
    /// Offset of iteration `k`'s scheduled start from the measurement start
    /// (computed from k, not accumulated, so it never drifts).
    pub fn offset(&self, k: u64) -> Duration {
        self.phase + self.interval.mul_f64(k as f64)
    }
}

impl ClientPlan {
    /// True when iteration `k` (0-based) should not run: its share is done, or the
    /// duration has elapsed (`elapsed`: time since the measurement start).
    pub fn is_done(&self, k: u64, elapsed: Duration) -> bool {
        match self.stop {
            StopAt::Iterations(share) => k >= share,
            StopAt::Elapsed(limit) => {
                elapsed >= limit || self.schedule.is_some_and(|s| s.offset(k) >= limit)
            }
            StopAt::Budget { limit, at_least } => k >= at_least && elapsed >= limit,
        }
    }

    /// Iterations this client will record, when known up front (for progress).
    pub fn share(&self) -> Option<u64> {
        match self.stop {
            StopAt::Iterations(share) => Some(share),
            StopAt::Elapsed(_) | StopAt::Budget { .. } => None,
        }
    }
}

/// How many times its budget a budgeted scenario spends on pairs: each pair runs both
/// sides, so each side then gets what a plain run gives it.
pub const PAIRED_BUDGET_FACTOR: u32 = 2;

/// The load of a paired window: a budget `PAIRED_BUDGET_FACTOR` times as long; fixed
/// iterations or a fixed duration as they are.
pub fn paired_load(load: &LoadShape) -> LoadShape {
    match load.amount {
        LoadAmount::Budget(limit) => LoadShape {
            amount: LoadAmount::Budget(limit * PAIRED_BUDGET_FACTOR),
            ..load.clone()
        },
        _ => load.clone(),
    }
}

/// One plan per client (`clients` at least 1). Iterations are split so the shares add up
/// to the total; with `rate`, clients are evenly interleaved.
pub fn client_plans(load: &LoadShape) -> Vec<ClientPlan> {
    window_plans(load, Window::WHOLE)
}

/// The client plans of one window: its share of the iterations (the shares of all windows
/// add up to the total) or of the duration. The first window warms up as the scenario
/// says; later ones, on new connections, run at most `WINDOW_WARMUP` untimed iterations.
pub fn window_plans(load: &LoadShape, window: Window) -> Vec<ClientPlan> {
    let clients = load.clients.max(1);
    let count = window.count.max(1);
    let amount = match load.amount {
        LoadAmount::Iterations(total) => {
            LoadAmount::Iterations(share_of(total, count, window.index.min(count - 1)))
        }
        LoadAmount::Duration(limit) => LoadAmount::Duration(limit / count),
        LoadAmount::Budget(limit) => LoadAmount::Budget(limit / count),
    };
    let warmup = match (window.index, amount) {
        // A budget's windows all start on new connections the same way.
        (_, LoadAmount::Budget(_)) => load.warmup.min(WINDOW_WARMUP),
        (0, _) => load.warmup,
        (_, LoadAmount::Iterations(share)) => {
            load.warmup.min(WINDOW_WARMUP).min(share.div_ceil(10))
        }
        (_, LoadAmount::Duration(_)) => load.warmup.min(WINDOW_WARMUP),
    };
    (0..clients)
        .map(|index| ClientPlan {
            index,
            warmup,
            warmup_within: match amount {
                LoadAmount::Budget(limit) => Some(limit / 2),
                _ => None,
            },
            stop: match amount {
                LoadAmount::Iterations(total) => {
                    StopAt::Iterations(share_of(total, clients, index))
                }
                LoadAmount::Duration(limit) => StopAt::Elapsed(limit),
                LoadAmount::Budget(limit) => StopAt::Budget {
                    limit,
                    at_least: MIN_BUDGET_ITERATIONS,
                },
            },
            schedule: load
                .rate
                .filter(|r| r.is_finite() && *r > 0.0)
                .and_then(|rate| Duration::try_from_secs_f64(f64::from(clients) / rate).ok())
                .map(|interval| Schedule {
                    interval,
                    phase: interval.mul_f64(f64::from(index) / f64::from(clients)),
                }),
        })
        .collect()
}

/// Client `index`'s share of `total` iterations; the first `total % clients` get one more.
fn share_of(total: u64, clients: u32, index: u32) -> u64 {
    let clients = u64::from(clients);
    total / clients + u64::from(u64::from(index) < total % clients)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(amount: LoadAmount, clients: u32, rate: Option<f64>) -> LoadShape {
        LoadShape {
            amount,
            warmup: 5,
            clients,
            rate,
        }
    }

    #[test]
    fn a_budget_is_split_over_its_windows_and_never_stops_before_a_few_iterations() {
        let budget = load(LoadAmount::Budget(Duration::from_millis(240)), 2, None);
        assert_eq!(window_count(&budget, 8), 8);
        let plans = window_plans(&budget, Window { index: 0, count: 8 });
        assert_eq!(plans.len(), 2);
        let stop = StopAt::Budget {
            limit: Duration::from_millis(30),
            at_least: MIN_BUDGET_ITERATIONS,
        };
        assert!(plans.iter().all(|p| p.stop == stop && p.warmup == 5));
        assert!(
            plans
                .iter()
                .all(|p| p.warmup_within == Some(Duration::from_millis(15)))
        );
        let fixed = window_plans(&load(LoadAmount::Iterations(80), 1, None), Window::WHOLE);
        assert_eq!(fixed[0].warmup_within, None);
        let plan = &plans[0];
        assert!(!plan.is_done(0, Duration::from_millis(31)), "too few yet");
        assert!(!plan.is_done(5, Duration::from_millis(29)), "time left");
        assert!(plan.is_done(3, Duration::from_millis(30)));
        assert_eq!(plan.share(), None);
    }

    #[test]
    fn iteration_shares_add_up_to_the_total() {
        let plans = client_plans(&load(LoadAmount::Iterations(10), 3, None));
        let shares: Vec<_> = plans.iter().map(|p| p.share().unwrap()).collect();
        assert_eq!(shares, vec![4, 3, 3]);
        assert!(plans.iter().all(|p| p.warmup == 5 && p.schedule.is_none()));
        assert!(
            plans[1].is_done(3, Duration::ZERO) && !plans[1].is_done(2, Duration::from_secs(999))
        );
    }

    #[test]
    fn windows_hold_at_least_the_minimum_and_their_shares_add_up() {
        let iterations = |total| load(LoadAmount::Iterations(total), 2, None);
        assert_eq!(window_count(&iterations(1_000), 8), 8);
        assert_eq!(window_count(&iterations(40), 8), 4);
        assert_eq!(window_count(&iterations(19), 8), 1);
        assert_eq!(window_count(&iterations(1_000), 0), 1);
        let paced = load(LoadAmount::Iterations(1_000), 2, Some(100.0));
        assert_eq!(window_count(&paced, 8), 1, "one continuous schedule");
        let total: u64 = (0..3)
            .flat_map(|index| window_plans(&iterations(100), Window { index, count: 3 }))
            .map(|plan| plan.share().unwrap())
            .sum();
        assert_eq!(total, 100);
    }

    #[test]
    fn later_windows_warm_up_briefly_and_duration_windows_split_the_time() {
        let long = load(LoadAmount::Iterations(1_000), 1, None);
        let first = window_plans(&long, Window { index: 0, count: 8 });
        let later = window_plans(&long, Window { index: 3, count: 8 });
        assert_eq!((first[0].warmup, later[0].warmup), (5, 5));
        let mut slow = load(LoadAmount::Iterations(50), 1, None);
        slow.warmup = 20;
        assert_eq!(
            window_plans(&slow, Window { index: 1, count: 2 })[0].warmup,
            3
        );
        assert_eq!(
            window_plans(&slow, Window { index: 0, count: 2 })[0].warmup,
            20
        );
        let timed = load(LoadAmount::Duration(Duration::from_secs(8)), 1, None);
        assert_eq!(
            window_plans(&timed, Window { index: 2, count: 4 })[0].stop,
            StopAt::Elapsed(Duration::from_secs(2))
        );
    }

    #[test]
    fn zero_clients_is_treated_as_one() {
        assert_eq!(
            client_plans(&load(LoadAmount::Iterations(7), 0, None)).len(),
            1
        );
    }

    #[test]
    fn rate_is_split_across_clients_and_clients_are_interleaved() {
        let plans = client_plans(&load(LoadAmount::Iterations(100), 2, Some(100.0)));
        let a = plans[0].schedule.unwrap();
        let b = plans[1].schedule.unwrap();
        assert_eq!(a.interval, Duration::from_millis(20));
        assert_eq!(a.offset(0), Duration::ZERO);
        assert_eq!(b.offset(0), Duration::from_millis(10));
        assert_eq!(a.offset(3), Duration::from_millis(60));
        assert_eq!(b.offset(1000), Duration::from_millis(20_010));
    }

    #[test]
    fn duration_stops_at_the_limit_or_at_the_first_start_scheduled_past_it() {
        let plans = client_plans(&load(LoadAmount::Duration(Duration::from_secs(1)), 1, None));
        assert!(!plans[0].is_done(1_000_000, Duration::from_millis(999)));
        assert!(plans[0].is_done(0, Duration::from_secs(1)));
        let paced = client_plans(&load(
            LoadAmount::Duration(Duration::from_secs(1)),
            1,
            Some(10.0),
        ));
        assert!(!paced[0].is_done(9, Duration::ZERO));
        assert!(paced[0].is_done(10, Duration::ZERO));
    }

    #[test]
    fn a_zero_or_invalid_rate_means_closed_loop() {
        assert!(
            client_plans(&load(LoadAmount::Iterations(1), 1, Some(0.0)))[0]
                .schedule
                .is_none()
        );
        assert!(
            client_plans(&load(LoadAmount::Iterations(1), 1, Some(f64::NAN)))[0]
                .schedule
                .is_none()
        );
    }
}
