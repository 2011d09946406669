//! distlab-core: every topic's model, the simulator and the invariant checker.
//!
//! Nothing here does I/O: time, randomness and messages come in as arguments and
//! effects leave as values, so the same scenario gives the same trace natively and
//! in WebAssembly.

pub mod sim;
pub mod bloom;
pub mod hashing;
pub mod merkle;
pub mod skiplist;
pub mod tsdb;
