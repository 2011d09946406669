//! Raft in the explorer ([`crate::explore`]): servers only, bare client
//! requests as the inputs, and the servers interchangeable.
//!
//! The key-value clients are not explored (their think and retry timers and the
//! history they record would multiply the states many times), so the two bugs
//! only linearizability catches, `stale-read` and `no-dedup`, are left to the
//! seed sweep and the hunt.

use std::hash::Hash;

use crate::explore::fingerprint::{Fingerprint, Rename};
use crate::explore::{Bounds, Explorable};
use crate::lab::params;
use crate::lab::scenario::Scenario;

use super::checker::RaftChecker;
use super::message::{RaftMessage, RaftOp, RaftTimer};
use super::process::RaftProcess;
use super::{
    RaftTopic, BUG_COMMIT_OLD_TERM, BUG_FORGET_VOTE_ON_RESTART, BUG_VOTE_WITHOUT_LOG_CHECK, CLIENTS,
};

impl Explorable for RaftTopic {
    const SYMMETRIC: bool = true;

    /// Stateright's Raft example's bounds: three servers, twelve steps, one
    /// crash, a network that neither loses nor duplicates (both can be asked for).
    const DEFAULT_BOUNDS: Bounds = Bounds {
        nodes: 3,
        depth: 12,
        crashes: 1,
        requests: 1,
        drop: false,
        duplicate: false,
    };

    fn bug_bounds(bug: &str) -> Option<Bounds> {
        match bug {
            // The shortest paths are 9 and 8 steps (see the README).
            BUG_VOTE_WITHOUT_LOG_CHECK => Some(Bounds {
                depth: 9,
                crashes: 0,
                ..Self::DEFAULT_BOUNDS
            }),
            BUG_FORGET_VOTE_ON_RESTART => Some(Bounds {
                depth: 8,
                requests: 0,
                ..Self::DEFAULT_BOUNDS
            }),
            BUG_COMMIT_OLD_TERM => None,
            _ => None,
        }
    }

    fn configure(scenario: &mut Scenario, _bounds: &Bounds) {
        scenario.set_param(CLIENTS, 0);
        scenario.set_param(params::REQUEST_RATE, 0);
        scenario.set_param(params::DROP_PERCENT.name, 0);
    }

    fn inputs(bounds: &Bounds) -> Vec<RaftOp> {
        (1..=bounds.requests as u64)
            .map(|value| RaftOp::Request { value })
            .collect()
    }

    fn hash_node(node: &RaftProcess, rename: &Rename, hasher: &mut Fingerprint) {
        match node {
            RaftProcess::Server(server) => server.hash_explored(rename, hasher),
            // Clients are never explored (see the module's documentation).
            RaftProcess::Client(client) => client.id().hash(hasher),
        }
    }

    fn hash_message(message: &RaftMessage, rename: &Rename, hasher: &mut Fingerprint) {
        match message {
            RaftMessage::NotLeader { sequence, hint } => {
                sequence.hash(hasher);
                rename.write(*hint, hasher);
            }
            other => other.hash(hasher),
        }
    }

    fn hash_timer(timer: &RaftTimer, hasher: &mut Fingerprint) {
        timer.hash(hasher);
    }

    fn hash_checker(checker: &RaftChecker, rename: &Rename, hasher: &mut Fingerprint) {
        checker.hash_explored(rename, hasher);
    }
}
