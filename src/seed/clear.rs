//! Removing earlier seed data inside the seed transaction: every Tech Spec row (only when
//! the tool created all of them, or with --force) and only the `shared.*` rows the tool's
//! bookkeeping lists. Must not touch Design Agent rows the tool did not create.

use tokio_postgres::GenericClient;

use crate::Error;
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

/// Empties the five Tech Spec tables (TRUNCATE, so later COPYs may use FREEZE).
pub async fn truncate_tech_spec(client: &impl GenericClient) -> crate::Result<()> {
    client
        .batch_execute(&format!("TRUNCATE {}", TECH_SPEC_TABLES.join(", ")))
        .await
        .map_err(|e| Error::database("seed: emptying the Tech Spec tables (TRUNCATE)", &e))
}

/// Whether the current role may TRUNCATE all five Tech Spec tables.
pub async fn may_truncate(client: &impl GenericClient) -> crate::Result<bool> {
    let row = client
        .query_one(
            "SELECT bool_and(has_table_privilege(t, 'TRUNCATE')) FROM unnest($1::text[]) AS t",
            &[&TECH_SPEC_TABLES.to_vec()],
        )
        .await
        .map_err(|e| Error::database("seed: checking TRUNCATE privileges", &e))?;
    Ok(row.get::<_, Option<bool>>(0).unwrap_or(false))
}

/// Deletes earlier seed data: Tech Spec rows, the shared rows the tool created, and the
/// bookkeeping of earlier runs. Refuses foreign Tech Spec rows unless `force`.
pub async fn clear(
    client: &impl GenericClient,
    state: &DatasetState,
    force: bool,
) -> crate::Result<()> {
    if let DatasetState::Unknown {
        foreign_rows,
        detail,
    } = state
        && !force
    {
        return Err(refuse_foreign_rows(*foreign_rows, detail, true));
    }
    truncate_tech_spec(client).await?;
    let statements = [
        "DELETE FROM shared.design_outputs o USING techspec_bench.seeded_design_jobs d WHERE o.job_id = d.design_job_id",
        "DELETE FROM shared.design_decisions x USING techspec_bench.seeded_design_jobs d WHERE x.job_id = d.design_job_id",
        "DELETE FROM shared.design_jobs j USING techspec_bench.seeded_design_jobs d WHERE j.id = d.design_job_id",
        "TRUNCATE techspec_bench.seeded_design_jobs",
        "DELETE FROM techspec_bench.seed_runs",
    ];
    for statement in statements {
        client.batch_execute(statement).await.map_err(|e| {
            Error::database("seed --clear: deleting the rows of earlier seed runs", &e)
        })?;
    }
    Ok(())
}
