//! EXPLAIN JSON -> plan tree (pure) -> expectation checks (pure), plus the thin async
//! shell that runs EXPLAIN with parameters drawn by `params`, as a run draws them.
//! Must not time scenarios or import `bench`.

pub mod catalog;
pub mod check;
pub mod diagnose;
pub mod plan;
pub mod render;
pub mod runner;
pub mod summary;

pub use catalog::validate_expectations;
pub use check::{PlanCheck, check, check_plans};
pub use plan::{Plan, PlanNode, Relation, parse};
pub use runner::{ExplainedScenario, StepPlan, explain_scenario};
pub use summary::{describe, drift, plan_fingerprint, verdict};
