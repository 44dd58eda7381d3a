//! Thresholds evaluated on a latency summary, and a scenario's status. Pure: no I/O.
