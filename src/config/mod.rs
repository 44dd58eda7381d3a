//! Configuration: TOML files -> validated, typed plan. Raw serde mirrors live in
//! `raw`, the typed model in `model`. Must not touch the database.

pub mod model;

pub use model::*;
