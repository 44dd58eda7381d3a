//! Executes scenarios: client threads, open-loop rate, steps, captures, HdrHistograms,
//! with parameter values drawn by `params`. The database sits behind the `Executor` trait
//! (`PgExecutor` in production, the scripted `mock` in unit tests). Must not evaluate
//! thresholds, format output or check plans.

pub mod client;
pub mod engine;
pub mod executor;
pub mod histogram;
#[cfg(test)]
pub mod mock;
pub mod pacing;
pub mod paired;
pub mod pinning;
pub mod ratio_pairs;
pub mod reconnect;
pub mod schedule;
pub mod session;
pub mod wire_session;
pub mod wire_step;
pub mod write_guard;

pub use engine::{
    EngineOptions, Measurement, Prepared, measure_window, prepare_scenario, run_scenario,
};
pub use executor::{Executor, PgExecutor, Session};
pub use histogram::{encode_histogram, summarize};
