//! distlab-core: every topic's model, the simulator and the invariant checker.
//!
//! Nothing here does I/O: time, randomness and messages come in as arguments and
//! effects leave as values, so the same scenario gives the same trace natively and
//! in WebAssembly. The layers, from the bottom up (each uses only those below it):
//!
//! - [`sim`]: virtual time, the seeded RNG, the event queue, the network and its
//!   faults, the node contract, the checker's contract and the trace;
//! - [`lab`]: scenarios and their link encoding, what a topic is, runs, the two
//!   kinds of topic with their generic builds, seed sweeps;
//! - [`topics`]: one folder per topic;
//! - [`catalog`]: the one table of topics.
//!
//! Beside them, the data structures the topics teach, each a library with its own
//! API: [`bloom`], [`hashing`], [`merkle`], [`skiplist`], [`tsdb`], [`ratelimit`];
//! [`history`], client histories of a key-value store and a linearizability checker
//! for them; [`traffic`], services, load and latency sketches the resilience topics share;
//! and [`trace_context`], the W3C Trace Context headers (`traceparent`, `tracestate`).

pub mod bloom;
pub mod catalog;
pub mod decimal;
pub mod explore;
pub mod hashing;
pub mod history;
pub mod lab;
pub mod merkle;
pub mod ratelimit;
pub mod sim;
pub mod skiplist;
pub mod sort;
pub mod topics;
pub mod trace_context;
pub mod traffic;
pub mod tsdb;
