//! Configuration: TOML files -> validated, typed plan. Raw serde mirrors live in
//! `raw`, the typed model in `model`. Must not touch the database.

pub mod diagnostics;
pub mod model;
pub mod raw;
pub mod sources;
pub mod threshold_expr;

pub use model::*;
pub use threshold_expr::parse_threshold;
