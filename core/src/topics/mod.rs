//! Every topic's model, one module (or folder) each, all of the same shape: a
//! `//!` doc naming the paper it follows, an `INFO: TopicInfo` for the catalog, and a
//! build function from a scenario to a run.

pub mod raft;

use crate::catalog::TopicInfo;

/// Every topic that works, in catalog order.
pub static ALL: &[&TopicInfo] = &[&raft::INFO];
