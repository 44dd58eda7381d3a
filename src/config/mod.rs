//! Configuration: TOML files -> validated, typed plan. Raw serde mirrors live in
//! `raw`, the typed model in `model`. Must not touch the database: everything here is
//! pure over text and paths, so all configuration is checked before any connection.

pub mod diagnostics;
mod expect;
pub mod load_shape;
pub mod model;
mod params;
pub mod ratio_expr;
pub mod raw;
pub mod regression;
pub mod scenario;
pub mod select;
pub mod sources;
pub mod sql_scan;
mod steps;
pub mod threshold_expr;
pub mod thresholds;
pub mod thresholds_update;
pub mod watch_limits;

pub use model::*;
pub use scenario::{load_built_in_scenarios, load_scenarios};
pub use select::{LoadOverride, override_load, select};
pub use threshold_expr::parse_threshold;
pub use thresholds::{known_scenario_names, load_thresholds, load_thresholds_noting};
