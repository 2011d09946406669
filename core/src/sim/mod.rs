//! The deterministic simulator: virtual time, seeded randomness, the event queue,
//! the network with its faults, nodes and their context, and the trace.

pub mod faults;
pub mod network;
pub mod node;
pub mod ops;
pub mod queue;
pub mod rng;
pub mod time;
pub mod trace;
pub mod world;

pub use node::{Cell, Cx, Labelled, LogEntryCell, Node, NodeSummary};
pub use time::{Duration, NodeId, Time};
pub use world::Simulation;
