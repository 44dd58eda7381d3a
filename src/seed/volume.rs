//! How many rows each table gets and which parent each row belongs to: exact integer
//! arithmetic, so totals are the same on every machine. Must not generate row contents.

use crate::seed::options::SeedOptions;

/// Decision rows per stub design job (outputs are always a PRD and a design doc).
pub const DECISIONS_PER_DESIGN_JOB: u64 = 3;
/// Output rows per stub design job: `prd` and `design_doc`.
pub const OUTPUTS_PER_DESIGN_JOB: u64 = 2;

const MICROS: u128 = 1_000_000;

/// A per-parent rate in millionths (0.6 per session = 600_000), spread evenly over parents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate(u64);

impl Rate {
    fn from_f64(rate: f64) -> Rate {
        Rate((rate * MICROS as f64).round() as u64)
    }

    /// Children of parents `0..parent` in total.
    fn before(self, parent: u64) -> u64 {
        (parent as u128 * self.0 as u128 / MICROS) as u64
    }

    /// How many children parent `parent` gets (the totals telescope to `total(n)`).
    pub fn children_of(self, parent: u64) -> u64 {
        self.before(parent + 1) - self.before(parent)
    }

    /// Children of parents `parents.start..parents.end` in total.
    pub fn between(self, parents: std::ops::Range<u64>) -> u64 {
        self.before(parents.end) - self.before(parents.start)
    }

    /// Children of `parents` parents in total.
    #[cfg(test)]
    pub fn total(self, parents: u64) -> u64 {
        self.before(parents)
    }
}

/// Row counts of one seed run, and the parent mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Volume {
    pub sessions: u64,
    pub design_jobs: u64,
    pub research: Rate,
    pub messages: Rate,
    pub trds: Rate,
    pub errors: Rate,
}

impl Volume {
    pub fn from_options(options: &SeedOptions) -> Volume {
        let per_job = Rate::from_f64(options.sessions_per_design_job).0.max(1) as u128;
        let sessions = options.sessions;
        let design_jobs = (sessions as u128 * MICROS).div_ceil(per_job) as u64;
        Volume {
            sessions,
            design_jobs,
            research: Rate::from_f64(options.research_per_session),
            messages: Rate::from_f64(options.messages_per_session),
            trds: Rate::from_f64(options.trds_per_session),
            errors: Rate::from_f64(options.errors_per_session),
        }
    }

    /// The stub design job session `session` belongs to (every job below `sessions` gets one).
    pub fn design_job_of(&self, session: u64) -> u64 {
        (session as u128 * self.design_jobs as u128 / self.sessions.max(1) as u128) as u64
    }

    /// Rows per table, in load order, as the summary reports them.
    #[cfg(test)]
    pub fn row_counts(&self) -> Vec<(String, u64)> {
        let n = self.sessions;
        vec![
            ("shared.design_jobs".to_string(), self.design_jobs),
            (
                "shared.design_outputs".to_string(),
                self.design_jobs * OUTPUTS_PER_DESIGN_JOB,
            ),
            (
                "shared.design_decisions".to_string(),
                self.design_jobs * DECISIONS_PER_DESIGN_JOB,
            ),
            ("tech_spec_sessions".to_string(), n),
            ("tech_research".to_string(), self.research.total(n)),
            ("tech_conversations".to_string(), self.messages.total(n)),
            ("trd_documents".to_string(), self.trds.total(n)),
            ("tech_error_logs".to_string(), self.errors.total(n)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn volume(sessions: u64) -> Volume {
        Volume::from_options(&SeedOptions {
            sessions,
            ..SeedOptions::default()
        })
    }

    #[test]
    fn defaults_give_the_documented_counts() {
        let counts: Vec<u64> = volume(10)
            .row_counts()
            .into_iter()
            .map(|(_, n)| n)
            .collect();
        assert_eq!(counts, vec![5, 10, 15, 10, 30, 80, 6, 15]);
    }

    #[test]
    fn counts_scale_in_proportion() {
        let counts: Vec<u64> = volume(100_000)
            .row_counts()
            .into_iter()
            .map(|(_, n)| n)
            .collect();
        assert_eq!(
            counts,
            vec![
                50_000, 100_000, 150_000, 100_000, 300_000, 800_000, 60_000, 150_000
            ]
        );
    }

    #[test]
    fn per_parent_counts_add_up_to_the_total() {
        for rate in [0.6, 1.5, 3.0, 0.0, 7.3] {
            let rate = Rate::from_f64(rate);
            let sum: u64 = (0..997).map(|p| rate.children_of(p)).sum();
            assert_eq!(sum, rate.total(997));
        }
    }

    #[test]
    fn every_design_job_gets_a_session_and_the_mapping_is_monotonic() {
        for sessions in [1, 2, 3, 10, 11, 1001] {
            let v = volume(sessions);
            let jobs: Vec<u64> = (0..sessions).map(|s| v.design_job_of(s)).collect();
            assert_eq!(jobs[0], 0);
            assert_eq!(*jobs.last().unwrap(), v.design_jobs - 1);
            assert!(jobs.windows(2).all(|w| w[1] == w[0] || w[1] == w[0] + 1));
        }
    }
}
