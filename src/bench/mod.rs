//! Executes scenarios: client threads, open-loop rate, parameters, steps, captures,
//! HdrHistograms. Must not evaluate thresholds or format output.

pub mod params;
pub mod value;
