//! The lab: what turns the simulator into topics a person can run.
//!
//! - [`scenario`]: the reproducible description of a run and its link encoding;
//! - [`topic`]: what a topic is, as data ([`topic::TopicInfo`]);
//! - [`run`]: the object-safe interface every running topic offers;
//! - [`protocol`] and [`structure`]: the two kinds of topic, each with its typed
//!   trait and one generic build;
//! - [`params`]: the parameters protocol topics share;
//! - [`machine`]: a protocol's state machine as data, for its page to draw;
//! - [`sweep`]: seed sweeps with the checker on;
//! - [`shrink`]: a failing run made small (delta debugging over the scenario);
//! - [`hunt`]: hunts and shrinks as lines of text, for the page's worker;
//! - [`bench`]: the simulator's benchmark workload;
//! - [`export`]: a run's trace as JSON lines, for the command line and the pages.
//!
//! It uses the simulator below it and knows no topic: topics use it, and the
//! catalog lists them.

pub mod bench;
pub mod export;
pub mod hunt;
pub mod machine;
pub mod params;
pub mod protocol;
pub mod run;
pub mod scenario;
pub mod shrink;
pub mod structure;
pub mod sweep;
pub mod topic;
