//! Locking the Tech Spec tables and removing earlier seed data inside the seed transaction:
//! every Tech Spec row (only when the tool created all of them, or with --force) and only the
//! `shared.*` rows the tool's bookkeeping lists; the statements live in `db::ddl` and
//! `db::seed_runs`. Must not touch Design Agent rows the tool did not create, nor decide
//! anything from counts read before the lock.

use tokio_postgres::GenericClient;

use crate::Error;
use crate::db::ddl::LockMode;
use crate::db::{catalog, ddl, seed_runs};
use crate::seed::bookkeeping::DatasetState;
use crate::seed::tables::TECH_SPEC_TABLES;

/// Why `seed` must not go on over rows no seed run created (exit 2).
pub fn refuse_foreign_rows(foreign_rows: u64, detail: &str, clearing: bool) -> Error {
    let what = if clearing {
        "refusing to delete them with --clear"
    } else {
        "seeding would mix them with generated data"
    };
    Error::config(format!(
        "seed: the Tech Spec tables hold {foreign_rows} rows that no seed run of techspec-bench created ({detail}); \
         {what}. If every row in this database is disposable test data, run `seed --clear --force` to delete \
         them; otherwise seed a separate database"
    ))
}

/// Locks the five Tech Spec tables against writers until the end of the transaction. Taken
/// before the emptiness and ownership checks, so rows another session commits while
/// `seed` waits are seen by those checks, and none can be added between them and TRUNCATE.
pub async fn lock_tech_spec(client: &impl GenericClient) -> crate::Result<()> {
    let tables = catalog::resolve_relations(client, &TECH_SPEC_TABLES).await?;
    ddl::lock_tables(client, &tables, LockMode::ShareRowExclusive).await
}

/// Empties the five Tech Spec tables (TRUNCATE, so later COPYs may use FREEZE).
pub async fn truncate_tech_spec(client: &impl GenericClient) -> crate::Result<()> {
    let tables = catalog::resolve_relations(client, &TECH_SPEC_TABLES).await?;
    ddl::truncate(client, &tables).await
}

/// Whether the current role may TRUNCATE all five Tech Spec tables.
pub async fn may_truncate(client: &impl GenericClient) -> crate::Result<bool> {
    catalog::may_truncate_all(client, &TECH_SPEC_TABLES).await
}

/// Deletes earlier seed data: Tech Spec rows, the shared rows the tool created, and the
/// bookkeeping of earlier runs. Refuses foreign Tech Spec rows unless `force`, whatever
/// the dataset's state (an incomplete run is no reason to delete rows no run created).
pub async fn clear(
    client: &impl GenericClient,
    state: &DatasetState,
    force: bool,
) -> crate::Result<()> {
    if !force {
        refuse_if_foreign(client, state).await?;
    }
    truncate_tech_spec(client).await?;
    seed_runs::delete_seeded_rows(client).await?;
    Ok(())
}

/// An error when the Tech Spec tables hold rows no seed run created: as `state` says, or
/// as sessions whose design job no run created (looked for in every state).
async fn refuse_if_foreign(client: &impl GenericClient, state: &DatasetState) -> crate::Result<()> {
    if let DatasetState::Unknown {
        foreign_rows,
        detail,
    } = state
    {
        return Err(refuse_foreign_rows(*foreign_rows, detail, true));
    }
    let sessions = seed_runs::sessions_without_seeded_job(client).await?;
    if sessions > 0 {
        let detail = format!(
            "{sessions} sessions belong to design jobs no seed run created, while the dataset is {}",
            state_name(state)
        );
        return Err(refuse_foreign_rows(sessions, &detail, true));
    }
    Ok(())
}

fn state_name(state: &DatasetState) -> &'static str {
    match state {
        DatasetState::Empty => "empty",
        DatasetState::Complete { .. } => "complete",
        DatasetState::Incomplete { .. } => "incomplete",
        DatasetState::Unknown { .. } => "unknown",
    }
}
