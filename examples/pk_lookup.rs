//! Runs the pgbench `-S` primary-key lookup through the scenario engine, so the engine's
//! overhead can be compared with pgbench (bench/run_vs_pgbench.sh). Prints one line of
//! `key=value` pairs. Must not be used as the CLI: it knows one scenario only.
//!
//! cargo run --release --example pk_lookup -- --url postgres://postgres@127.0.0.1/db \
//!     --clients 2 --duration 5s        (or --iterations 1000000)

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use clap::Parser;
use techspec_bench::bench::{EngineOptions, run_scenario, summarize};
use techspec_bench::config::model::{
    Expectations, IntDist, LoadAmount, LoadShape, Origin, ParamGen, Scenario, Step,
};
use techspec_bench::db::target::{self, Resolved};
use techspec_bench::outcome::Outcome;

#[derive(Parser)]
struct Args {
    /// Database holding pgbench_accounts (pgbench -i).
    #[arg(long)]
    url: String,
    #[arg(long, default_value_t = 1)]
    clients: u32,
    /// Wall clock, e.g. 5s (ignored with --iterations).
    #[arg(long, default_value = "5s")]
    duration: humantime::Duration,
    /// Total iterations across clients instead of a duration.
    #[arg(long)]
    iterations: Option<u64>,
    /// Highest aid (100,000 per pgbench scale unit).
    #[arg(long, default_value_t = 1_000_000)]
    accounts: i64,
    #[arg(long, default_value_t = 0)]
    warmup: u64,
}

fn pk_lookup(args: &Args) -> Scenario {
    Scenario {
        name: "pk_lookup".into(),
        group: "pgbench".into(),
        description: Some("pgbench -S: SELECT abalance by primary key".into()),
        origin: Origin {
            file: "examples/pk_lookup.rs".into(),
            line: 1,
        },
        load: LoadShape {
            amount: match args.iterations {
                Some(total) => LoadAmount::Iterations(total),
                None => LoadAmount::Duration(args.duration.into()),
            },
            warmup: args.warmup,
            clients: args.clients,
            rate: None,
        },
        steps: vec![Step {
            sql: "SELECT abalance FROM pgbench_accounts WHERE aid = $1".into(),
            params: vec![ParamGen::Int {
                low: 1,
                high: args.accounts,
                dist: IntDist::Uniform,
            }],
            captures: Vec::new(),
        }],
        transaction: None,
        expect: Expectations::default(),
        statement_timeout: Duration::from_secs(30),
        max_growth: None,
        protocol: Default::default(),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let env = |key: &str| std::env::var(key).ok();
    let target = match target::resolve(Some(&args.url), &env, None)? {
        Resolved::Named(target, _) => target,
        Resolved::Throwaway => {
            return Err("--url is empty: name the database pgbench -i set up".into());
        }
    };
    let options = EngineOptions {
        rng_seed: 1,
        cancel: Arc::new(AtomicBool::new(false)),
        progress: None,
    };
    let measurement = match run_scenario(&target, &pk_lookup(&args), &options)? {
        Outcome::Ok(m) => m,
        Outcome::Skip(reason) => return Err(format!("skipped: {reason}").into()),
        Outcome::Error(reason) => return Err(format!("cannot run: {reason}").into()),
    };
    let seconds = measurement.duration.as_secs_f64();
    let latency = summarize(&measurement.latency);
    println!(
        "clients={} iterations={} errors={} duration_s={:.3} tps={:.1} p50_us={} p99_us={} max_us={}",
        args.clients,
        measurement.iterations,
        measurement.errors,
        seconds,
        measurement.throughput_per_s(),
        latency.p50,
        latency.p99,
        latency.max
    );
    if let Some(error) = measurement.first_error {
        eprintln!("first error: {error}");
    }
    Ok(())
}
