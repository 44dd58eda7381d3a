//! EXPLAIN JSON -> plan tree (pure) -> expectation checks (pure), plus the thin async
//! shell that runs EXPLAIN with parameters drawn by `params`, as a run draws them.
//! Must not time scenarios or import `bench`.

pub mod catalog;
pub mod check;
pub mod diagnose;
pub mod estimate;
pub mod generic;
pub mod plan;
pub mod render;
pub mod runner;
pub mod summary;
pub mod timed;

pub use catalog::validate_expectations;
pub use check::{PlanCheck, check, check_plans};
pub use plan::{Plan, PlanNode, Relation, parse};
pub use runner::{
    ExplainedScenario, GenericPlans, StepPlan, explain_scenario, explain_scenario_with,
};
pub use summary::{describe, drift, plan_fingerprint, verdict};
pub use timed::{generic_steps, timed_verdict};
