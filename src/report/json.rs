//! The JSON results file, format `techspec-bench/1`: the `RunReport` as
//! serde writes it. Must not reshape or drop fields; readers rely on the format.

use super::Reporter;
use crate::Error;
use crate::results::RunReport;

/// Writes the report as pretty-printed JSON, ending with a newline.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonReporter;

impl Reporter for JsonReporter {
    fn render(&self, report: &RunReport) -> crate::Result<Vec<u8>> {
        let mut bytes = serde_json::to_vec_pretty(report).map_err(|error| {
            Error::environment(format!("could not encode the results as JSON: {error}"))
        })?;
        bytes.push(b'\n');
        Ok(bytes)
    }
}
