//! Parameter drawing, shared by the benchmark engine (`bench`) and the plan checks
//! (`explain`): the seeded drawer and its `sample` queries, the values bound to `$n`
//! or captured from rows, and their PostgreSQL wire encoding. Must not execute scenario
//! statements, time anything or decide verdicts.

pub mod drawer;
pub mod literal;
pub mod numeric;
pub mod value;

pub use drawer::{Captures, ParamDrawer, PrepareFailure};
pub use value::{ParamValue, capture_column};
