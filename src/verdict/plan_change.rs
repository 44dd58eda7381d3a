//! How the target's plan differs from the base's in an A/B run: sequential scans the target
//! adds (a regression), indexes it loses or gains (reported). Pure: must not read files,
//! time anything or render text.

use serde::{Deserialize, Serialize};

use crate::results::PlanVerdict;
use crate::verdict::regression::Change;

/// How the target's plan differs from the base's in an A/B run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanChange {
    /// Relations the target reads by a Seq Scan and the base does not.
    pub new_seq_scans: Vec<String>,
    /// Indexes the base's plan uses and the target's does not.
    pub lost_indexes: Vec<String>,
    /// Indexes the target's plan uses and the base's does not.
    pub new_indexes: Vec<String>,
    /// A regression when the target scans a relation sequentially that the base did not.
    pub verdict: Change,
}

/// `None` when both sides used the same indexes and sequential scans.
pub fn plan_change(target: &PlanVerdict, base: &PlanVerdict) -> Option<PlanChange> {
    let missing = |from: &[String], of: &[String]| -> Vec<String> {
        let mut found: Vec<String> = from.iter().filter(|x| !of.contains(x)).cloned().collect();
        found.sort();
        found.dedup();
        found
    };
    let change = PlanChange {
        new_seq_scans: missing(&target.seq_scans, &base.seq_scans),
        lost_indexes: missing(&base.indexes_used, &target.indexes_used),
        new_indexes: missing(&target.indexes_used, &base.indexes_used),
        verdict: Change::Unchanged,
    };
    if change.new_seq_scans.is_empty()
        && change.lost_indexes.is_empty()
        && change.new_indexes.is_empty()
    {
        return None;
    }
    let verdict = if change.new_seq_scans.is_empty() {
        Change::Unchanged
    } else {
        Change::Regression
    };
    Some(PlanChange { verdict, ..change })
}
