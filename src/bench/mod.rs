//! Executes scenarios: client threads, open-loop rate, steps, captures, HdrHistograms,
//! with parameter values drawn by `params`. Must not evaluate thresholds, format output
//! or check plans.

pub mod client;
pub mod engine;
pub mod histogram;
pub mod schedule;
pub mod session;

pub use engine::{EngineOptions, Measurement, ScenarioRun, run_scenario};
pub use histogram::{encode_histogram, summarize};
