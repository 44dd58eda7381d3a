//! Embedded SQL migrations, their history table with checksums, drift detection and the
//! shared-schema stand-in rule. Must not seed data.
