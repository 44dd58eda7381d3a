//! `watch`'s pure core: two readings of pg_stat_statements -> each statement's calls and
//! mean time within the interval -> the limits that apply to it (flags, a limits file's
//! defaults and entries) -> the limits it broke. Must not query, sleep or print (see
//! `app::watch`); rendering is `watch::render`.

pub mod render;

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::config::watch_limits::{LimitSet, WatchLimits};
use crate::db::stat_statements::{StatRow, is_tool_statement};

/// The mean-time limit when neither a flag nor a limits file sets one.
pub const DEFAULT_MAX_MEAN: Duration = Duration::from_millis(100);
/// Statements called fewer times in the interval are not judged (unless set otherwise).
pub const DEFAULT_MIN_CALLS: u64 = 1;

/// Cumulative counters of one statement at one reading.
#[derive(Debug, Clone, PartialEq)]
pub struct Counters {
    pub query: String,
    pub calls: u64,
    pub total_ms: f64,
}

/// One reading: counters per queryid (the tool's own statements left out).
pub type Reading = BTreeMap<i64, Counters>;

/// Sums rows per queryid, leaving out the tool's own statements.
pub fn reading(rows: &[StatRow]) -> Reading {
    let mut reading = Reading::new();
    for row in rows.iter().filter(|r| !is_tool_statement(&r.query)) {
        let entry = reading.entry(row.queryid).or_insert_with(|| Counters {
            query: row.query.clone(),
            calls: 0,
            total_ms: 0.0,
        });
        entry.calls += row.calls;
        entry.total_ms += row.total_ms;
    }
    reading
}

/// A statement's activity within the interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Activity {
    pub queryid: i64,
    pub query: String,
    pub calls: u64,
    pub total_ms: f64,
    pub mean_ms: f64,
    /// The mean before: of the previous interval (continuous watching), else of everything
    /// recorded up to the first reading. `None` when there was none.
    pub previous_mean_ms: Option<f64>,
    /// Calls behind `previous_mean_ms`.
    pub previous_calls: u64,
}

impl Activity {
    /// Interval mean over the previous mean.
    pub fn growth(&self) -> Option<f64> {
        self.previous_mean_ms
            .filter(|previous| *previous > 0.0)
            .map(|previous| self.mean_ms / previous)
    }
}

/// What each statement did between `before` and `after`, busiest first. A statement whose
/// counters went down (statistics reset, or its entry evicted) counts from zero.
/// `previous` (the last interval, when watching continuously) gives the previous means.
pub fn activity(before: &Reading, after: &Reading, previous: Option<&[Activity]>) -> Vec<Activity> {
    let mut active: Vec<Activity> = Vec::new();
    for (queryid, now) in after {
        let earlier = before.get(queryid).filter(|b| b.calls <= now.calls);
        let (calls, total_ms) = match earlier {
            Some(b) => (now.calls - b.calls, (now.total_ms - b.total_ms).max(0.0)),
            None => (now.calls, now.total_ms),
        };
        if calls == 0 {
            continue;
        }
        let last = previous.and_then(|p| p.iter().find(|a| a.queryid == *queryid));
        let (previous_mean_ms, previous_calls) = match (last, earlier) {
            (Some(last), _) => (Some(last.mean_ms), last.calls),
            (None, Some(b)) if b.calls > 0 => (Some(b.total_ms / b.calls as f64), b.calls),
            _ => (None, 0),
        };
        active.push(Activity {
            queryid: *queryid,
            query: now.query.clone(),
            calls,
            total_ms,
            mean_ms: total_ms / calls as f64,
            previous_mean_ms,
            previous_calls,
        });
    }
    active.sort_by(|a, b| {
        b.total_ms
            .total_cmp(&a.total_ms)
            .then(a.queryid.cmp(&b.queryid))
    });
    active
}

/// A limit a statement broke.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "broke", rename_all = "snake_case")]
pub enum Breach {
    /// Its mean within the interval exceeded `max_mean`.
    MaxMean { mean_ms: f64, limit_ms: f64 },
    /// Its mean grew beyond `max_growth` times the previous mean.
    MaxGrowth {
        growth: f64,
        limit: f64,
        previous_mean_ms: f64,
    },
}

/// A statement's activity, the limits that applied and those it broke.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Judged {
    #[serde(flatten)]
    pub activity: Activity,
    pub max_mean_ms: Option<f64>,
    pub max_growth: Option<f64>,
    pub min_calls: u64,
    /// The limits file entry that applied (`file:line:column`), if any.
    pub rule: Option<String>,
    /// Not judged: too few calls, or ignored by the limits file.
    pub judged: bool,
    pub breaches: Vec<Breach>,
}

/// Judges every active statement: flags over the file's defaults over the built-in
/// defaults, and a file entry naming the statement over all of them.
pub fn judge(active: Vec<Activity>, flags: LimitSet, limits: &WatchLimits) -> Vec<Judged> {
    let base = flags.over(limits.defaults).over(LimitSet {
        max_mean: Some(DEFAULT_MAX_MEAN),
        max_growth: None,
        min_calls: Some(DEFAULT_MIN_CALLS),
    });
    active
        .into_iter()
        .map(|activity| {
            let entry = limits.entry_for(activity.queryid, &activity.query);
            let applied = entry.map_or(base, |e| e.limits.over(base));
            let min_calls = applied.min_calls.unwrap_or(DEFAULT_MIN_CALLS);
            let judged = entry.is_none_or(|e| !e.ignore) && activity.calls >= min_calls;
            let breaches = if judged {
                breaches(&activity, applied, min_calls)
            } else {
                Vec::new()
            };
            Judged {
                max_mean_ms: applied.max_mean.map(|d| d.as_secs_f64() * 1e3),
                max_growth: applied.max_growth,
                min_calls,
                rule: entry.map(|e| e.origin.clone()),
                judged,
                breaches,
                activity,
            }
        })
        .collect()
}

fn breaches(activity: &Activity, limits: LimitSet, min_calls: u64) -> Vec<Breach> {
    let mut found = Vec::new();
    if let Some(max) = limits.max_mean {
        let limit_ms = max.as_secs_f64() * 1e3;
        if activity.mean_ms > limit_ms {
            found.push(Breach::MaxMean {
                mean_ms: activity.mean_ms,
                limit_ms,
            });
        }
    }
    if let (Some(limit), Some(growth), Some(previous_mean_ms)) = (
        limits.max_growth,
        activity.growth(),
        activity.previous_mean_ms,
    ) && activity.previous_calls >= min_calls
        && growth > limit
    {
        found.push(Breach::MaxGrowth {
            growth,
            limit,
            previous_mean_ms,
        });
    }
    found
}

/// The report of one interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WatchReport {
    /// `techspec-bench-watch/1`.
    pub format: &'static str,
    pub tool_version: &'static str,
    /// The database, without password.
    pub database: String,
    /// RFC 3339 times of the two readings.
    pub from: String,
    pub to: String,
    pub interval_s: f64,
    /// Every statement called within the interval, busiest first.
    pub statements: Vec<Judged>,
    /// How many statements broke a limit.
    pub breached: usize,
}

/// The JSON format name of `watch --json`.
pub const FORMAT: &str = "techspec-bench-watch/1";

impl WatchReport {
    /// True when a statement broke a limit (exit 1).
    pub fn failed(&self) -> bool {
        self.breached > 0
    }
}

#[cfg(test)]
mod tests;
