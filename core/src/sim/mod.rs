//! The deterministic simulator: virtual time, seeded randomness, the event queue,
//! the network with its faults, nodes and their context, the checker's contract,
//! and the trace. It knows no topic and nothing above it (scenarios, topics, the
//! catalog): a topic brings its nodes and checker, a scenario its actions.

pub mod action;
pub mod checker;
pub mod codec;
pub mod faults;
pub mod network;
pub mod node;
pub mod ops;
pub mod queue;
pub mod rng;
pub mod time;
pub mod trace;
pub mod trace_import;
pub mod view;
pub mod world;

pub use action::{Action, NoOperation, Operation, RawOperation, TimedAction};
pub use node::{Cx, Labelled, Node};
pub use time::{Duration, NodeId, Time};
pub use view::{Cell, LogCell, LogEntryCell, NodeSummary, Palette};
pub use world::{Recording, Simulation};
