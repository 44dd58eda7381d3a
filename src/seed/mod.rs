//! Deterministic fake data for the Tech Spec schema, bulk-loaded with binary COPY.
//! Must not change the schema beyond its own bookkeeping, nor touch rows it did not create
//! unless `--force` was given.
