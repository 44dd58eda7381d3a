//! The commands, wired: resolve the target, check configuration, call db/seed/bench/
//! explain, hand results to reporters. Must not hold SQL (see `db`).
