//! EXPLAIN JSON -> plan tree (pure) -> expectation checks (pure), plus the thin async
//! shell that runs EXPLAIN. Must not time scenarios.

pub mod check;
pub mod plan;
pub mod render;
pub mod summary;

pub use check::{PlanCheck, check, check_plans};
pub use plan::{Plan, PlanNode, Relation, parse};
pub use summary::{describe, plan_fingerprint, verdict};
