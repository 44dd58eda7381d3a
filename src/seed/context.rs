//! What every generator shares: the seed, the "now", the volume, and the derived core of
//! design jobs and sessions (ids, owners, lifetimes) that child rows must agree with.
//! Must not encode rows or talk to the database.

use chrono::{DateTime, Duration, Utc};
use rand::RngExt;
use uuid::Uuid;

use crate::seed::random::{SeedRng, Stream, stream_rng, time_between, uuid, weighted};
use crate::seed::volume::Volume;

/// The stages of the Tech Spec agent's graph, in order.
pub const STAGES: &[&str] = &[
    "initialization",
    "analyzing_design",
    "technology_research",
    "awaiting_user_decision",
    "architecture_design",
    "api_specification",
    "database_schema",
    "trd_generation",
    "validation",
    "completed",
];

/// Inputs of one generation run.
#[derive(Debug, Clone, Copy)]
pub struct GenContext {
    pub rng_seed: u64,
    pub as_of: DateTime<Utc>,
    pub volume: Volume,
    pub seed_run_id: i64,
}

/// The parts of a stub design job that its outputs and sessions depend on.
#[derive(Debug, Clone)]
pub struct JobCore {
    pub index: u64,
    pub id: Uuid,
    pub project_id: Uuid,
    pub user_id: Uuid,
    pub status: &'static str,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The parts of a session that its child rows depend on.
#[derive(Debug, Clone)]
pub struct SessionCore {
    pub index: u64,
    pub id: Uuid,
    pub status: &'static str,
    pub progress: i32,
    pub stage: &'static str,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

impl GenContext {
    pub fn rng(&self, stream: Stream, index: u64) -> SeedRng {
        stream_rng(self.rng_seed, stream, index)
    }

    /// Design job `index`: owned by one of a pool of users and projects, created within
    /// the 90 days before `as_of`.
    pub fn job(&self, index: u64) -> JobCore {
        let mut rng = self.rng(Stream::DesignJob, index);
        let id = uuid(&mut rng);
        let users = self.volume.design_jobs.div_ceil(3).max(1);
        let projects = self.volume.design_jobs.div_ceil(2).max(1);
        let user = rng.random_range(0..users);
        let project = rng.random_range(0..projects);
        let status = *weighted(
            &mut rng,
            &[("completed", 90), ("running", 7), ("failed", 3)],
        );
        let created_at = time_between(
            &mut rng,
            self.as_of - Duration::days(90),
            self.as_of - Duration::hours(2),
        );
        let updated_at = time_between(
            &mut rng,
            created_at + Duration::minutes(5),
            created_at + Duration::hours(6),
        );
        JobCore {
            index,
            id,
            project_id: uuid(&mut self.rng(Stream::Person, (1 << 40) | project)),
            user_id: uuid(&mut self.rng(Stream::Person, user)),
            status,
            created_at,
            updated_at: updated_at.min(self.as_of),
        }
    }

    /// Session `index` of design job `job`: status, progress and lifetime consistent.
    pub fn session(&self, index: u64, job: &JobCore) -> SessionCore {
        let mut rng = self.rng(Stream::Session, index);
        let id = uuid(&mut rng);
        let status = *weighted(
            &mut rng,
            &[
                ("completed", 45),
                ("in_progress", 30),
                ("pending", 10),
                ("paused", 8),
                ("failed", 7),
            ],
        );
        let progress = progress_for(&mut rng, status);
        let latest_start = self.as_of - Duration::minutes(10);
        let created_at = time_between(
            &mut rng,
            job.created_at + Duration::minutes(10),
            job.created_at + Duration::days(3),
        )
        .min(latest_start);
        let end = if status == "completed" {
            time_between(
                &mut rng,
                created_at + Duration::minutes(20),
                created_at + Duration::days(2),
            )
        } else {
            time_between(
                &mut rng,
                created_at + Duration::minutes(10),
                created_at + Duration::days(1),
            )
        }
        .min(self.as_of);
        SessionCore {
            index,
            id,
            status,
            progress,
            stage: stage_for(status, progress),
            created_at,
            updated_at: end,
            completed_at: (status == "completed").then_some(end),
        }
    }
}

/// Progress that matches the status: 0 pending, 100 completed, in between otherwise.
fn progress_for(rng: &mut SeedRng, status: &str) -> i32 {
    match status {
        "pending" => 0,
        "completed" => 100,
        "in_progress" => rng.random_range(10..=95),
        "paused" => rng.random_range(10..=90),
        _ => rng.random_range(5..=95),
    }
}

/// The agent stage a session with this status and progress is in.
fn stage_for(status: &str, progress: i32) -> &'static str {
    match status {
        "pending" => STAGES[0],
        "completed" => STAGES[STAGES.len() - 1],
        _ => STAGES[(1 + progress as usize * (STAGES.len() - 3) / 100).min(STAGES.len() - 2)],
    }
}

/// Yields session cores in order, reusing the design job core of the previous session.
pub struct SessionWalker {
    context: GenContext,
    job: Option<JobCore>,
}

impl SessionWalker {
    pub fn new(context: GenContext) -> SessionWalker {
        SessionWalker { context, job: None }
    }

    /// The core of session `index` and of its design job.
    pub fn session(&mut self, index: u64) -> (SessionCore, &JobCore) {
        let job_index = self.context.volume.design_job_of(index);
        if self.job.as_ref().is_none_or(|job| job.index != job_index) {
            self.job = Some(self.context.job(job_index));
        }
        let job = self.job.get_or_insert_with(|| self.context.job(job_index));
        (self.context.session(index, job), job)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::options::{SeedOptions, parse_as_of};

    fn context(sessions: u64) -> GenContext {
        let options = SeedOptions {
            sessions,
            ..SeedOptions::default()
        };
        GenContext {
            rng_seed: 7,
            as_of: parse_as_of("2026-01-01T00:00:00Z").unwrap(),
            volume: Volume::from_options(&options),
            seed_run_id: 1,
        }
    }

    #[test]
    fn session_status_progress_stage_and_completion_agree() {
        let context = context(2000);
        let mut walker = SessionWalker::new(context);
        let mut statuses = std::collections::BTreeSet::new();
        for i in 0..2000 {
            let (s, job) = walker.session(i);
            statuses.insert(s.status);
            assert_eq!(s.completed_at.is_some(), s.status == "completed");
            assert_eq!(s.progress == 100, s.status == "completed", "{s:?}");
            assert_eq!(s.progress == 0, s.status == "pending", "{s:?}");
            assert_eq!(s.stage == "completed", s.status == "completed");
            assert!(
                s.updated_at >= s.created_at + Duration::minutes(10)
                    || s.updated_at == context.as_of
            );
            assert!(s.updated_at > s.created_at);
            assert!(s.created_at > job.created_at);
            assert!(s.updated_at <= context.as_of);
            assert!(s.created_at >= context.as_of - Duration::days(90));
        }
        assert_eq!(statuses.len(), 5, "all five statuses appear");
    }

    #[test]
    fn sessions_share_users_and_projects() {
        let context = context(100);
        let jobs: Vec<JobCore> = (0..context.volume.design_jobs)
            .map(|j| context.job(j))
            .collect();
        let users: std::collections::BTreeSet<_> = jobs.iter().map(|j| j.user_id).collect();
        let projects: std::collections::BTreeSet<_> = jobs.iter().map(|j| j.project_id).collect();
        assert!(users.len() < jobs.len() && projects.len() < jobs.len());
        assert!(jobs.iter().all(|j| j.updated_at >= j.created_at));
    }
}
