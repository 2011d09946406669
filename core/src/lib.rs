//! distlab-core: every topic's model, the simulator and the invariant checker.
//!
//! Nothing here does I/O: time, randomness and messages come in as arguments and
//! effects leave as values, so the same scenario gives the same trace natively and
//! in WebAssembly.
//!
//! - [`sim`]: virtual time, the seeded RNG, the event queue, the network and its
//!   faults, the node contract and the trace;
//! - [`scenario`]: the reproducible description of a run (and its URL encoding);
//! - [`run`]: the object-safe interface every running topic offers;
//! - [`check`]: invariants and seed sweeps;
//! - [`catalog`] and [`topics`]: what topics exist and their models;
//! - [`bloom`], [`hashing`], [`merkle`], [`skiplist`], [`tsdb`]: the data structures.

pub mod bloom;
pub mod catalog;
pub mod check;
pub mod hashing;
pub mod merkle;
pub mod run;
pub mod scenario;
pub mod sim;
pub mod skiplist;
pub mod topics;
pub mod tsdb;
