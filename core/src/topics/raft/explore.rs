//! Raft in the explorer ([`crate::explore`]), the servers interchangeable.
//!
//! Without clients (the default bounds), the inputs are bare requests for the
//! leader to log. With `clients`, key-value clients run as processes on the
//! network, as in the simulator: the inputs are their operations (appends to
//! the list and reads of it, in turns), their retry timers fire like any other
//! timer, and their history is checked for linearizability after every step in
//! which an operation completes. That is what the two bugs only
//! linearizability catches, `stale-read` and `no-dedup`, need; they are found by
//! random walks, as is `commit-old-term` (Figure 8 of the Raft paper), whose
//! paths are about twenty steps long, beyond what breadth-first search reaches.

use std::hash::Hash;

use crate::explore::fingerprint::{Fingerprint, Rename};
use crate::explore::{Bounds, Explorable};
use crate::lab::params;
use crate::lab::scenario::Scenario;

use super::checker::RaftChecker;
use super::client::LIST;
use super::message::{KvCommand, RaftMessage, RaftOp, RaftTimer};
use super::process::RaftProcess;
use super::{
    RaftTopic, BUG_COMMIT_OLD_TERM, BUG_FORGET_VOTE_ON_RESTART, BUG_NO_DEDUP, BUG_STALE_READ,
    BUG_VOTE_WITHOUT_LOG_CHECK, CLIENTS,
};
use crate::sim::time::NodeId;

/// The walks that find the bugs beyond breadth-first search: the first walk
/// that finds `commit-old-term` is number 12,025, `stale-read`'s and
/// `no-dedup`'s far sooner (README).
const WALKS: u32 = 50_000;

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
        clients: 0,
        walks: 0,
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
            // About twenty steps: two requests and four elections (README).
            BUG_COMMIT_OLD_TERM => Some(Bounds {
                depth: 60,
                crashes: 0,
                requests: 2,
                walks: WALKS,
                ..Self::DEFAULT_BOUNDS
            }),
            // A completed append, then a read of the list that a deposed
            // leader answers, or that shows an append applied twice.
            BUG_STALE_READ | BUG_NO_DEDUP => Some(Bounds {
                depth: 60,
                crashes: 0,
                requests: 2,
                clients: 2,
                walks: WALKS,
                ..Self::DEFAULT_BOUNDS
            }),
            _ => None,
        }
    }

    fn configure(scenario: &mut Scenario, bounds: &Bounds) {
        // The clients only act on the inputs: no think timers.
        scenario.set_param(CLIENTS, bounds.clients as i64);
        scenario.set_param(params::REQUEST_RATE, 0);
        scenario.set_param(params::DROP_PERCENT.name, 0);
    }

    /// Without clients, request k is the bare value k for the leader. With
    /// them, request k goes to client (k - 1) mod clients: odd ones append k to
    /// the list, even ones read it.
    fn inputs(bounds: &Bounds) -> Vec<(Option<NodeId>, RaftOp)> {
        (1..=bounds.requests as u64)
            .map(|k| match bounds.clients {
                0 => (None, RaftOp::Request { value: k }),
                clients => {
                    let client = (k - 1) % clients as u64;
                    let to = NodeId(bounds.nodes as u32 + client as u32);
                    let command = if k % 2 == 1 {
                        KvCommand::Append {
                            key: LIST,
                            value: k as i64,
                        }
                    } else {
                        KvCommand::Get { key: LIST }
                    };
                    (Some(to), RaftOp::Invoke(command))
                }
            })
            .collect()
    }

    fn hash_node(node: &RaftProcess, rename: &Rename, hasher: &mut Fingerprint) {
        match node {
            RaftProcess::Server(server) => server.hash_explored(rename, hasher),
            RaftProcess::Client(client) => client.hash_explored(rename, hasher),
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
