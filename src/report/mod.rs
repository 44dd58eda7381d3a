//! Renders a `RunReport` as bytes, one file per format (table, json, junit, markdown,
//! html). Must not measure or decide verdicts.
