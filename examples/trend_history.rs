//! Writes a synthetic history of results files for `techspec-bench trend`
//! (`scripts/trend-screenshot.sh` uses it): `trend_history DIR RUNS`, with a 40% step
//! of `session_by_id` at run RUNS × 2/3 and a plan change of `session_list_by_status` at
//! run RUNS / 3.

#[path = "../tests/it/trend_history.rs"]
mod trend_history;

use std::path::PathBuf;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(directory), Some(runs)) = (args.next(), args.next()) else {
        eprintln!("usage: trend_history DIR RUNS");
        std::process::exit(2);
    };
    let Ok(runs) = runs.parse::<usize>() else {
        eprintln!("RUNS must be a whole number, not {runs}");
        std::process::exit(2);
    };
    let events = trend_history::Events {
        step_at: (runs * 2 / 3).max(1),
        plan_at: (runs / 3).max(1),
    };
    let paths = trend_history::write_history(&PathBuf::from(directory), runs, events);
    println!("wrote {} results files", paths.len());
}
