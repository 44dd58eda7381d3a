//! techspec-bench as a library: everything the binary does, callable from tests.
//! Layers: `config` reads scenarios, `db` talks to PostgreSQL, `params` draws parameter
//! values for both `bench` (timed runs) and `explain` (plan checks), which do not import
//! each other; `verdict` and `report` judge and render what they produced, `app` wires it.
//! `app` owns terminal output (notes, tables, the progress bars it enables); the modules
//! below it must not print (`seed` draws its per-table progress bars on stderr only when
//! `app` asks for them). Only `main.rs` exits the process.

pub mod app;
pub mod bench;
pub mod capture;
pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod explain;
pub mod growth;
pub mod outcome;
pub mod parallel;
pub mod params;
pub mod report;
pub mod results;
pub mod saved;
pub mod seed;
pub mod stats;
pub mod trend;
pub mod verdict;
pub mod watch;

pub use error::{Error, Result, exit_code};

/// The tool's version, as written into reports.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");
