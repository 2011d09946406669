//! Every topic's model, one module (or folder) each, all of the same shape: a
//! `//!` doc naming the paper it follows, an `INFO: TopicInfo` for the catalog, and a
//! build function from a scenario to a run.

pub mod bloom_filter;
pub mod consistent_hashing;
pub mod merkle_tree;
pub mod raft;
pub mod skip_list;
#[cfg(test)]
mod testing;
pub mod time_series;

use crate::catalog::TopicInfo;

/// Every topic that works, in catalog order.
pub static ALL: &[&TopicInfo] = &[
    &raft::INFO,
    &consistent_hashing::INFO,
    &bloom_filter::INFO,
    &merkle_tree::INFO,
    &skip_list::INFO,
    &time_series::INFO,
];
