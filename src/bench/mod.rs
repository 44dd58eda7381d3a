//! Executes scenarios: client threads, open-loop rate, parameters, steps, captures,
//! HdrHistograms. Must not evaluate thresholds or format output.

pub mod numeric;
pub mod params;
pub mod skip;
pub mod value;

pub use params::{Captures, ParamDrawer, PrepareFailure};
pub use value::{ParamValue, capture_column};
