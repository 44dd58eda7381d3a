//! `capture`'s pure core: pg_stat_statements rows -> the workload's top statements
//! (`statements`), each parsed with PostgreSQL's own parser (`parse`) into a `shape`, its
//! `$n` parameters inferred into generators or left as placeholders (`infer`), its
//! expectations taken from its current plans (`expect`), and the scenario file (`render`).
//! Must not query or write files: `db::stat_statements` reads, `app::capture` wires.

pub mod expect;
pub mod infer;
pub mod lex;
pub mod parse;
pub mod render;
pub mod shape;
pub mod statements;

#[cfg(test)]
mod tests;
