//! Catalog queries: server version, relation and index existence, row counts.
//! Must not change anything in the database.
