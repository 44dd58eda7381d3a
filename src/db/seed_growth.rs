//! The SQL of growing a seeded dataset: rewriting the owner (user and project) of design
//! jobs an earlier, smaller seed run created, in `shared.design_jobs` and in the Tech Spec
//! sessions that copy it. Must not touch a design job no seed run recorded.

use tokio_postgres::GenericClient;
use uuid::Uuid;

use crate::Error;

/// A design job's owner as a fresh seed of the larger size draws it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobOwner {
    pub job: Uuid,
    pub user: Uuid,
    pub project: Uuid,
}

/// Sets the user and project of each job in `owners` (only jobs recorded in
/// techspec_bench.seeded_design_jobs) and of its sessions; returns the sessions updated.
pub async fn rewrite_owners(
    client: &impl GenericClient,
    owners: &[JobOwner],
) -> crate::Result<u64> {
    if owners.is_empty() {
        return Ok(0);
    }
    let jobs: Vec<Uuid> = owners.iter().map(|o| o.job).collect();
    let users: Vec<Uuid> = owners.iter().map(|o| o.user).collect();
    let projects: Vec<Uuid> = owners.iter().map(|o| o.project).collect();
    client
        .execute(
            "UPDATE shared.design_jobs d SET user_id = o.user_id, project_id = o.project_id \
             FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) AS o(id, user_id, project_id) \
             WHERE d.id = o.id AND d.id IN (SELECT design_job_id FROM techspec_bench.seeded_design_jobs)",
            &[&jobs, &users, &projects],
        )
        .await
        .map_err(|e| Error::database("seed: rewriting the owners of earlier design jobs", &e))?;
    client
        .execute(
            "UPDATE tech_spec_sessions s SET user_id = d.user_id, project_id = d.project_id \
             FROM shared.design_jobs d WHERE s.design_job_id = d.id AND d.id = ANY($1::uuid[])",
            &[&jobs],
        )
        .await
        .map_err(|e| Error::database("seed: rewriting the owners of earlier sessions", &e))
}
