//! The integration tests, one binary: each module is one area (bench, cli, config, db,
//! explain, report, seed), run against a real PostgreSQL where it needs one (DATABASE_URL;
//! every test creates and drops its own database). Support modules hold shared helpers.

mod ablate;
mod bench_engine;
mod bench_params;
mod cli_exit_codes;
mod cli_explain;
mod cli_run;
mod cli_run_errors;
mod cli_seed;
mod cli_support;
mod cli_throwaway;
mod common;
mod config_bad_inputs;
mod config_builtin;
mod config_fuzz;
mod config_params;
mod config_scenarios;
mod config_select;
mod config_shipped;
mod config_support;
mod config_thresholds;
mod db_cluster;
mod db_libpq_conventions;
mod db_migrate;
mod db_tls;
mod db_tls_server;
mod explain_runner;
mod faults_cluster;
mod report_files;
mod report_fixtures;
mod report_formats;
mod schema_fixture;
mod seed_dataset;
mod seed_interrupt;
mod seed_support;
mod tls_support;
