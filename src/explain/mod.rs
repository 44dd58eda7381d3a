//! EXPLAIN JSON -> plan tree (pure) -> expectation checks (pure), plus the thin async
//! shell that runs EXPLAIN. Must not time scenarios.
