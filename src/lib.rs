//! techspec-bench as a library: everything the binary does, callable from tests.
//! Must not print to stdout or exit the process; `main.rs` does that.

pub mod app;
pub mod bench;
pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod explain;
pub mod outcome;
pub mod report;
pub mod results;
pub mod seed;
pub mod verdict;

pub use error::{Error, Result, exit_code};

/// The tool's version, as written into reports.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");
