//! The tables a seed run loads, in foreign-key order: their COPY statements, column
//! types, expected row counts, and which generator writes each parent's rows.
//! Must not talk to the database.

use std::ops::Range;

use tokio_postgres::types::Type;

use crate::seed::context::{GenContext, SessionWalker};
use crate::seed::encode::CopyEncoder;
use crate::seed::gen_conversation::{CONVERSATION_TYPES, conversation_rows};
use crate::seed::gen_design::*;
use crate::seed::gen_session::{RESEARCH_TYPES, SESSION_TYPES, research_rows, session_row};
use crate::seed::gen_trd::{ERROR_LOG_TYPES, TRD_TYPES, error_log_rows, trd_rows};
use crate::seed::volume::{DECISIONS_PER_DESIGN_JOB, OUTPUTS_PER_DESIGN_JOB, Volume};

/// A table a seed run writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    SeededDesignJobs,
    DesignJobs,
    DesignOutputs,
    DesignDecisions,
    Sessions,
    Research,
    Conversations,
    Trds,
    ErrorLogs,
}

/// The parents one generation covers, by index: all of a volume, or the ones a growth
/// from a smaller volume adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slice {
    pub sessions: Range<u64>,
    pub jobs: Range<u64>,
}

impl Slice {
    /// Every session and design job of `volume`.
    pub fn all(volume: &Volume) -> Slice {
        Slice {
            sessions: 0..volume.sessions,
            jobs: 0..volume.design_jobs,
        }
    }

    /// The parents of `table`'s rows in this slice: sessions for the Tech Spec tables,
    /// design jobs for the others.
    pub fn parents_of(&self, table: Table) -> Range<u64> {
        if table.is_tech_spec() {
            self.sessions.clone()
        } else {
            self.jobs.clone()
        }
    }

    /// The sessions and design jobs `to` has beyond `from`.
    pub fn growth(from: &Volume, to: &Volume) -> Slice {
        Slice {
            sessions: from.sessions..to.sessions,
            jobs: from.design_jobs..to.design_jobs,
        }
    }
}

/// The Tech Spec tables, parents first.
pub const TECH_SPEC_TABLES: [&str; 5] = [
    "tech_spec_sessions",
    "tech_research",
    "tech_conversations",
    "trd_documents",
    "tech_error_logs",
];

impl Table {
    /// Every table, in load order (parents before children).
    pub const LOAD_ORDER: [Table; 9] = [
        Table::SeededDesignJobs,
        Table::DesignJobs,
        Table::DesignOutputs,
        Table::DesignDecisions,
        Table::Sessions,
        Table::Research,
        Table::Conversations,
        Table::Trds,
        Table::ErrorLogs,
    ];

    pub fn name(self) -> &'static str {
        self.definition().0
    }

    fn definition(self) -> (&'static str, &'static str, &'static [Type]) {
        match self {
            Table::SeededDesignJobs => (
                "techspec_bench.seeded_design_jobs",
                "design_job_id, seed_run_id",
                &SEEDED_JOB_TYPES,
            ),
            Table::DesignJobs => (
                "shared.design_jobs",
                "id, project_id, user_id, title, status, created_at, updated_at",
                &DESIGN_JOB_TYPES,
            ),
            Table::DesignOutputs => (
                "shared.design_outputs",
                "id, job_id, output_type, content, created_at",
                &DESIGN_OUTPUT_TYPES,
            ),
            Table::DesignDecisions => (
                "shared.design_decisions",
                "id, job_id, decision_key, decision_value, rationale, created_at",
                &DESIGN_DECISION_TYPES,
            ),
            Table::Sessions => (
                "tech_spec_sessions",
                "id, design_job_id, project_id, user_id, status, current_stage, progress_percentage, session_data, \
                 created_at, updated_at, completed_at",
                &SESSION_TYPES,
            ),
            Table::Research => (
                "tech_research",
                "id, session_id, technology_category, options, selected_technology, decision_rationale, created_at",
                &RESEARCH_TYPES,
            ),
            Table::Conversations => (
                "tech_conversations",
                "id, session_id, role, content, message_type, \"timestamp\", metadata",
                &CONVERSATION_TYPES,
            ),
            Table::Trds => (
                "trd_documents",
                "id, session_id, version, content, quality_score, validation_report, created_at",
                &TRD_TYPES,
            ),
            Table::ErrorLogs => (
                "tech_error_logs",
                "id, session_id, node, error_type, error_message, stack_trace, recovery_strategy, recovered, \
                 retry_count, created_at",
                &ERROR_LOG_TYPES,
            ),
        }
    }

    pub fn types(self) -> &'static [Type] {
        self.definition().2
    }

    /// Whether this is one of the five Tech Spec tables (which may be truncated and frozen).
    pub fn is_tech_spec(self) -> bool {
        TECH_SPEC_TABLES.contains(&self.name())
    }

    /// The binary COPY statement; `freeze` only for a table truncated in this transaction.
    pub fn copy_sql(self, freeze: bool) -> String {
        let (name, columns, _) = self.definition();
        let freeze = if freeze { ", FREEZE" } else { "" };
        format!("COPY {name} ({columns}) FROM STDIN (FORMAT binary{freeze})")
    }

    /// Rows this table receives.
    pub fn expected_rows(self, volume: &Volume) -> u64 {
        self.rows_of(volume, 0..self.parents(volume))
    }

    /// How many parents this table's rows hang off: sessions for the Tech Spec tables,
    /// design jobs for the others.
    pub fn parents(self, volume: &Volume) -> u64 {
        if self.is_tech_spec() {
            volume.sessions
        } else {
            volume.design_jobs
        }
    }

    /// Rows this table receives for the parents of `slice` (children telescope).
    pub fn rows_in(self, volume: &Volume, slice: &Slice) -> u64 {
        self.rows_of(volume, slice.parents_of(self))
    }

    /// Rows this table receives for parents `parents`.
    pub fn rows_of(self, volume: &Volume, parents: Range<u64>) -> u64 {
        let n = parents.end - parents.start;
        match self {
            Table::SeededDesignJobs | Table::DesignJobs | Table::Sessions => n,
            Table::DesignOutputs => n * OUTPUTS_PER_DESIGN_JOB,
            Table::DesignDecisions => n * DECISIONS_PER_DESIGN_JOB,
            Table::Research => volume.research.between(parents),
            Table::Conversations => volume.messages.between(parents),
            Table::Trds => volume.trds.between(parents),
            Table::ErrorLogs => volume.errors.between(parents),
        }
    }

    /// Generates every row of this table, handing the encoder to `flush` between parents.
    #[cfg(test)]
    pub fn generate(
        self,
        context: &GenContext,
        out: &mut CopyEncoder,
        flush: impl FnMut(&mut CopyEncoder) -> bool,
    ) -> Result<(), String> {
        self.generate_range(context, 0..self.parents(&context.volume), out, flush)
    }

    /// Generates the rows of this table for the parents of `slice`: each parent's rows are
    /// the same whichever slice includes it.
    #[cfg(test)]
    pub fn generate_slice(
        self,
        context: &GenContext,
        slice: &Slice,
        out: &mut CopyEncoder,
        flush: impl FnMut(&mut CopyEncoder) -> bool,
    ) -> Result<(), String> {
        self.generate_range(context, slice.parents_of(self), out, flush)
    }

    /// Generates the rows of parents `parents` (a slice of what `generate` writes, byte for
    /// byte), handing the encoder to `flush` between parents.
    pub fn generate_range(
        self,
        context: &GenContext,
        parents: Range<u64>,
        out: &mut CopyEncoder,
        mut flush: impl FnMut(&mut CopyEncoder) -> bool,
    ) -> Result<(), String> {
        let volume = context.volume;
        if self.is_tech_spec() {
            let mut walker = SessionWalker::new(*context);
            for index in parents {
                let (session, job) = walker.session(index);
                match self {
                    Table::Sessions => session_row(context, &session, job, out)?,
                    Table::Research => {
                        research_rows(context, &session, volume.research.children_of(index), out)?
                    }
                    Table::Conversations => conversation_rows(
                        context,
                        &session,
                        volume.messages.children_of(index),
                        out,
                    )?,
                    Table::Trds => {
                        trd_rows(context, &session, volume.trds.children_of(index), out)?
                    }
                    _ => error_log_rows(context, &session, volume.errors.children_of(index), out)?,
                }
                if !flush(out) {
                    return Ok(());
                }
            }
            return Ok(());
        }
        for index in parents {
            let job = context.job(index);
            match self {
                Table::SeededDesignJobs => seeded_job_row(context, &job, out)?,
                Table::DesignJobs => design_job_row(context, &job, out)?,
                Table::DesignOutputs => design_output_rows(context, &job, out)?,
                _ => design_decision_rows(context, &job, out)?,
            }
            if !flush(out) {
                return Ok(());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::options::{SeedOptions, parse_as_of};

    #[test]
    fn every_table_generates_exactly_its_expected_rows() {
        let options = SeedOptions {
            sessions: 37,
            ..SeedOptions::default()
        };
        let context = GenContext {
            rng_seed: 3,
            as_of: parse_as_of("2026-01-01T00:00:00Z").unwrap(),
            volume: Volume::from_options(&options),
            seed_run_id: 1,
        };
        for table in Table::LOAD_ORDER {
            let mut out = CopyEncoder::new(table.types(), 1024);
            table.generate(&context, &mut out, |_| true).unwrap();
            let (_, rows) = out.finish();
            assert_eq!(
                rows,
                table.expected_rows(&context.volume),
                "{}",
                table.name()
            );
        }
    }

    #[test]
    fn copy_statements_name_the_columns_and_freeze_only_when_asked() {
        assert!(
            Table::Conversations
                .copy_sql(false)
                .contains("\"timestamp\"")
        );
        assert!(
            Table::Sessions
                .copy_sql(true)
                .ends_with("(FORMAT binary, FREEZE)")
        );
        assert!(Table::Sessions.is_tech_spec() && !Table::DesignJobs.is_tech_spec());
    }
}
