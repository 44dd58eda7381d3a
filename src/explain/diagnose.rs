//! Explains why an expected index was not chosen: re-plans the scenario's statements with
//! sequential (and then bitmap) scans switched off and sees whether the index appears.
//! Must not run statements for real (plain EXPLAIN, no ANALYZE) or change the database.

use serde::{Deserialize, Serialize};
use tokio_postgres::Transaction;
use tokio_postgres::types::ToSql;

use crate::explain::check::{PlanCheck, WantedPath};
use crate::explain::plan::{self, Plan};

/// What re-planning with seq scans off showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Finding {
    /// The planner can use the index; it prefers a seq scan on this little data.
    UsableNotChosen,
    /// Even with seq scans off, the index is not used: the query or the index is wrong.
    NotUsable,
}

impl Finding {
    /// The words appended to the failure message.
    pub fn message(self) -> &'static str {
        match self {
            Finding::UsableNotChosen => "index usable, not chosen at this size",
            Finding::NotUsable => "index not usable for this query",
        }
    }
}

/// The diagnosis of one failed access-path expectation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnosis {
    /// The index (or, for `any_index_on`, the table) that was expected.
    pub wanted: String,
    pub finding: Finding,
    /// The planner settings under which the index appeared, e.g. "enable_seqscan = off".
    pub forced_with: Option<String>,
    /// The index scans of the forced plan, when the wanted one is still absent.
    pub forced_indexes: Vec<String>,
}

impl Diagnosis {
    /// The text appended to the failure: "index usable, not chosen at this size (...)".
    fn explanation(&self) -> String {
        match (&self.forced_with, self.forced_indexes.as_slice()) {
            (Some(settings), _) => format!(
                "{} (with {settings} the planner uses it; seed more rows or check statistics)",
                self.finding.message()
            ),
            (None, []) => self.finding.message().to_string(),
            (None, others) => format!(
                "{} (even with seq scans off the planner uses {} instead)",
                self.finding.message(),
                others.join(", ")
            ),
        }
    }
}

/// Planner settings tried in order, each within its own savepoint.
const ATTEMPTS: &[&str] = &[
    "enable_seqscan = off",
    "enable_seqscan = off, enable_bitmapscan = off",
];

/// One statement to re-plan: its SQL and the parameter values it ran with.
pub struct Statement<'a> {
    pub sql: &'a str,
    pub params: Vec<&'a (dyn ToSql + Sync)>,
}

/// Diagnoses each diagnosable failure of `check` and appends the explanation to its
/// message. Runs inside `tx` (rolled back by the caller).
pub async fn diagnose(
    tx: &mut Transaction<'_>,
    statements: &[Statement<'_>],
    check: &mut PlanCheck,
) -> Result<Vec<Diagnosis>, tokio_postgres::Error> {
    let mut diagnoses = Vec::new();
    for item in check.diagnosable.clone() {
        let diagnosis = diagnose_one(tx, statements, &item.wanted).await?;
        if let Some(message) = check.failures.get_mut(item.failure) {
            message.push_str(&format!(" — {}", diagnosis.explanation()));
        }
        diagnoses.push(diagnosis);
    }
    Ok(diagnoses)
}

async fn diagnose_one(
    tx: &mut Transaction<'_>,
    statements: &[Statement<'_>],
    wanted: &WantedPath,
) -> Result<Diagnosis, tokio_postgres::Error> {
    let mut last_plans = Vec::new();
    for settings in ATTEMPTS {
        let plans = plans_with(tx, statements, settings).await?;
        if wanted.is_met(&plans) {
            return Ok(Diagnosis {
                wanted: wanted_name(wanted),
                finding: Finding::UsableNotChosen,
                forced_with: Some(settings.to_string()),
                forced_indexes: Vec::new(),
            });
        }
        last_plans = plans;
    }
    let forced_indexes =
        crate::explain::check::check_plans(&last_plans, &Default::default(), &Default::default())
            .indexes_used;
    Ok(Diagnosis {
        wanted: wanted_name(wanted),
        finding: Finding::NotUsable,
        forced_with: None,
        forced_indexes,
    })
}

fn wanted_name(wanted: &WantedPath) -> String {
    match wanted {
        WantedPath::Index(name) | WantedPath::AnyIndexOn(name) => name.clone(),
    }
}

/// Plans of all statements (plain EXPLAIN) under `settings`, undone by a savepoint rollback.
async fn plans_with(
    tx: &mut Transaction<'_>,
    statements: &[Statement<'_>],
    settings: &str,
) -> Result<Vec<Plan>, tokio_postgres::Error> {
    let savepoint = tx.savepoint("techspec_bench_diagnose").await?;
    for setting in settings.split(", ") {
        savepoint
            .batch_execute(&format!("SET LOCAL {setting}"))
            .await?;
    }
    let mut plans = Vec::new();
    for statement in statements {
        let explain = format!("EXPLAIN (VERBOSE, FORMAT JSON) {}", statement.sql);
        let row = savepoint.query_one(&explain, &statement.params).await?;
        // A plan the parser cannot read counts as "index not seen".
        if let Ok(plan) = plan::parse(&row.get::<_, serde_json::Value>(0)) {
            plans.push(plan);
        }
    }
    savepoint.rollback().await?;
    Ok(plans)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explanations_say_what_to_do() {
        let usable = Diagnosis {
            wanted: "idx_x".into(),
            finding: Finding::UsableNotChosen,
            forced_with: Some("enable_seqscan = off".into()),
            forced_indexes: vec![],
        };
        assert_eq!(
            usable.explanation(),
            "index usable, not chosen at this size (with enable_seqscan = off the planner uses it; seed more rows or check statistics)"
        );
        let unusable = Diagnosis {
            finding: Finding::NotUsable,
            forced_with: None,
            ..usable.clone()
        };
        assert_eq!(unusable.explanation(), "index not usable for this query");
        let other = Diagnosis {
            forced_indexes: vec!["idx_y".into()],
            ..unusable
        };
        assert!(
            other
                .explanation()
                .ends_with("the planner uses idx_y instead)")
        );
    }
}
