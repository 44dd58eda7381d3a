//! Executes scenarios: client threads, open-loop rate, parameters, steps, captures,
//! HdrHistograms. Must not evaluate thresholds or format output.

pub mod client;
pub mod engine;
pub mod histogram;
pub mod numeric;
pub mod params;
pub mod schedule;
pub mod session;
pub mod skip;
pub mod value;

pub use engine::{EngineOptions, Measurement, run_scenario};
pub use histogram::{encode_histogram, summarize};
pub use params::{Captures, ParamDrawer, PrepareFailure};
pub use value::{ParamValue, capture_column};
