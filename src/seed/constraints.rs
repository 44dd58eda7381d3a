//! Bulk-load tuning of a seed run: decides whether to drop the Tech Spec tables' secondary
//! indexes, foreign keys and (when nothing else references them) primary keys before a
//! large load, and, when the `shared` schema is the tool's own stand-in, also its two
//! foreign keys to shared.design_jobs; everything is recreated, identical, after the load.
//! A parallel load stores what it drops in the tool's schema first; `restore_stored`
//! recreates what an interrupted run left there. The SQL lives in `db::constraints` and
//! `db::seed_runs`. Must not defer anything on another table, nor on
//! the Design Agent's real schema.

use tokio_postgres::GenericClient;

use crate::db::catalog;
use crate::db::constraints::{self as db_constraints, ConstraintKind, Deferral};
use crate::db::{migrate, seed_runs};
use crate::seed::SeedPhase;
use crate::seed::tables::TECH_SPEC_TABLES;

/// Sessions from which dropping and rebuilding keys and indexes is used. On two cores
/// (release build): 10,000 sessions 2.9-4.0 s deferred vs 4.2-4.6 s with everything in
/// place; 100,000 sessions 27.7 s vs 47.6 s. Below about a thousand sessions the fixed
/// cost of twenty DDL statements outweighs the gain.
pub const DEFER_FROM_SESSIONS: u64 = 1_000;

/// How to treat indexes and foreign keys during the load (`None` = decide by size).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadTuning {
    pub defer_indexes: Option<bool>,
    pub defer_foreign_keys: Option<bool>,
}

impl LoadTuning {
    fn decide(choice: Option<bool>, sessions: u64, tables_empty: bool) -> bool {
        tables_empty && choice.unwrap_or(sessions >= DEFER_FROM_SESSIONS)
    }
}

/// The stand-in's tables whose foreign keys (to shared.design_jobs) may be deferred.
const STAND_IN_CHILD_TABLES: [&str; 2] = ["shared.design_outputs", "shared.design_decisions"];

/// Drops what `tuning` says to defer (only on empty tables the role owns); returns it.
pub async fn defer(
    client: &impl GenericClient,
    tuning: LoadTuning,
    sessions: u64,
    tables_empty: bool,
) -> crate::Result<Deferral> {
    let indexes = LoadTuning::decide(tuning.defer_indexes, sessions, tables_empty);
    let foreign_keys = LoadTuning::decide(tuning.defer_foreign_keys, sessions, tables_empty);
    let mut deferral = Deferral::default();
    if !(indexes || foreign_keys) || !catalog::owns_all(client, &TECH_SPEC_TABLES).await? {
        return Ok(deferral);
    }
    if foreign_keys {
        deferral.foreign_keys =
            defer_kind(client, ConstraintKind::ForeignKey, &TECH_SPEC_TABLES).await?;
        if indexes && !db_constraints::referenced_from_outside(client, &TECH_SPEC_TABLES).await? {
            deferral.primary_keys =
                defer_kind(client, ConstraintKind::PrimaryKey, &TECH_SPEC_TABLES).await?;
        }
        if migrate::shared_stand_in_applied(client).await?
            && catalog::owns_all(client, &STAND_IN_CHILD_TABLES).await?
        {
            let shared =
                defer_kind(client, ConstraintKind::ForeignKey, &STAND_IN_CHILD_TABLES).await?;
            deferral.foreign_keys.extend(shared);
        }
    }
    if indexes {
        deferral.indexes = db_constraints::secondary_indexes(client, &TECH_SPEC_TABLES).await?;
        db_constraints::drop_indexes(client, &deferral.indexes).await?;
    }
    Ok(deferral)
}

/// Drops the constraints of `kind` on `tables`; returns their definitions.
async fn defer_kind(
    client: &impl GenericClient,
    kind: ConstraintKind,
    tables: &[&str],
) -> crate::Result<Vec<db_constraints::ConstraintDefinition>> {
    let constraints = db_constraints::constraints_of(client, kind, tables).await?;
    db_constraints::drop_constraints(client, &constraints).await?;
    Ok(constraints)
}

/// Rebuilds the primary keys and indexes, then re-adds (and so validates) the foreign keys.
pub async fn restore(
    client: &impl GenericClient,
    deferral: &Deferral,
    phases: &mut crate::seed::Phases,
) -> crate::Result<()> {
    let mut steps = vec![std::time::Instant::now()];
    db_constraints::restore(client, deferral, |phase| {
        phases.mark(phase);
        steps.push(std::time::Instant::now());
    })
    .await?;
    let kinds = [SeedPhase::IndexBuild, SeedPhase::KeyValidation];
    for (phase, pair) in kinds.into_iter().zip(steps.windows(2)) {
        phases.profile(phase, 1, pair[1] - pair[0]);
    }
    Ok(())
}

/// Recreates every key and index an interrupted seed run dropped and did not recreate
/// (from their stored definitions; on emptied tables, in the caller's transaction), then
/// forgets them; returns how many there were.
pub async fn restore_stored(client: &impl GenericClient) -> crate::Result<usize> {
    let stored = seed_runs::stored_deferral(client).await?;
    let count = stored.primary_keys.len() + stored.indexes.len() + stored.foreign_keys.len();
    if count == 0 {
        return Ok(0);
    }
    db_constraints::drop_if_exists(client, &stored).await?;
    db_constraints::restore(client, &stored, |_| {}).await?;
    seed_runs::forget_all_deferred(client).await?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deferring_needs_empty_tables_and_follows_the_choice_or_the_size() {
        let at = DEFER_FROM_SESSIONS;
        assert!(LoadTuning::decide(None, at, true));
        assert!(!LoadTuning::decide(None, at - 1, true));
        assert!(!LoadTuning::decide(None, at, false));
        assert!(LoadTuning::decide(Some(true), 1, true));
        assert!(!LoadTuning::decide(Some(true), at, false));
        assert!(!LoadTuning::decide(Some(false), at, true));
    }
}
