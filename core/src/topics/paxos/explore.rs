//! Paxos in the explorer ([`crate::explore`]): Basic Paxos with three
//! acceptors, of which the first two propose; the inputs are client values,
//! which take turns between the proposers as the workload's do.
//!
//! The servers are not interchangeable (only the first ones propose, and the
//! ballots order proposers by id), so there is no symmetry reduction.
//!
//! Shortest counterexamples, measured with one thread: `minority-quorum` in 1
//! step (the proposer's own promise and acceptance are a "quorum" of 1 out of
//! 3); `ignore-accepted-value` in 8 steps (18,196 unique states, 0.15 s);
//! `forget-promise-on-restart` in 10 steps with one crash (782,660 unique
//! states, 3.1 s and 42 MB). The conformance suite also explores the correct
//! model within each bug's bounds: at depth 10 with a crash that is 3,314,215
//! unique states, 10 s on two threads and 95 MB (52 s and 2 GB before the
//! explorer's frontier held paths instead of states).

use std::hash::{Hash, Hasher};

use crate::explore::fingerprint::{self, Fingerprint, Rename};
use crate::explore::{Bounds, Explorable};
use crate::lab::params;
use crate::lab::scenario::Scenario;
use crate::sim::time::NodeId;

use super::checker::PaxosChecker;
use super::message::{Ballot, PaxosMessage, PaxosOp, PaxosTimer};
use super::node::{PaxosNode, Phase};
use super::{
    PaxosTopic, BACKOFF, BUG_FORGET_PROMISE_ON_RESTART, BUG_IGNORE_ACCEPTED_VALUE,
    BUG_MINORITY_QUORUM, MODE, PROPOSERS,
};

impl Explorable for PaxosTopic {
    const SYMMETRIC: bool = false;

    /// Three servers, two proposers with a value each, no crash: 75,251
    /// unique states, 0.6 s with one thread (3 s on a busy machine).
    const DEFAULT_BOUNDS: Bounds = Bounds {
        nodes: 3,
        depth: 8,
        crashes: 0,
        requests: 2,
        drop: false,
        duplicate: false,
        clients: 0,
        walks: 0,
    };

    fn bug_bounds(bug: &str) -> Option<Bounds> {
        match bug {
            BUG_MINORITY_QUORUM => Some(Bounds {
                depth: 2,
                ..Self::DEFAULT_BOUNDS
            }),
            BUG_IGNORE_ACCEPTED_VALUE => Some(Self::DEFAULT_BOUNDS),
            // A promise is only forgotten by a restart.
            BUG_FORGET_PROMISE_ON_RESTART => Some(Bounds {
                depth: 10,
                crashes: 1,
                ..Self::DEFAULT_BOUNDS
            }),
            _ => None,
        }
    }

    fn configure(scenario: &mut Scenario, _bounds: &Bounds) {
        scenario.set_param(MODE, 0);
        scenario.set_param(PROPOSERS, 2);
        // Randomized backoff draws its wait, which the explorer does not see:
        // a timer may fire at any time anyway.
        scenario.set_param(BACKOFF, 1);
        scenario.set_param(params::REQUEST_RATE, 0);
        scenario.set_param(params::DROP_PERCENT.name, 0);
    }

    fn inputs(bounds: &Bounds) -> Vec<(Option<NodeId>, PaxosOp)> {
        (1..=bounds.requests as u64)
            .map(|value| (None, PaxosOp::Propose { value }))
            .collect()
    }

    fn hash_node(node: &PaxosNode, rename: &Rename, hasher: &mut Fingerprint) {
        hash_server(node, rename, hasher);
    }

    fn hash_message(message: &PaxosMessage, rename: &Rename, hasher: &mut Fingerprint) {
        let ballot = |ballot: &Ballot, hasher: &mut Fingerprint| {
            ballot.round.hash(hasher);
            rename.write(Some(ballot.proposer), hasher);
        };
        std::mem::discriminant(message).hash(hasher);
        match message {
            PaxosMessage::Prepare {
                ballot: b,
                from_slot,
            } => {
                ballot(b, hasher);
                from_slot.hash(hasher);
            }
            PaxosMessage::Promise {
                ballot: b,
                accepted,
            } => {
                ballot(b, hasher);
                for (slot, proposal) in accepted {
                    slot.hash(hasher);
                    ballot(&proposal.ballot, hasher);
                    proposal.value.hash(hasher);
                }
            }
            PaxosMessage::Preempted {
                ballot: b,
                promised,
            } => {
                ballot(b, hasher);
                ballot(promised, hasher);
            }
            PaxosMessage::Accept {
                ballot: b,
                slot,
                value,
            }
            | PaxosMessage::Accepted {
                ballot: b,
                slot,
                value,
            } => {
                ballot(b, hasher);
                slot.hash(hasher);
                value.hash(hasher);
            }
            PaxosMessage::Chosen { slot, value } => {
                slot.hash(hasher);
                value.hash(hasher);
            }
            PaxosMessage::Heartbeat {
                ballot: b,
                learned_below,
            } => {
                ballot(b, hasher);
                learned_below.hash(hasher);
            }
            PaxosMessage::CatchUp { from_slot } => from_slot.hash(hasher),
            PaxosMessage::Forward { value } => value.hash(hasher),
        }
    }

    fn hash_timer(timer: &PaxosTimer, hasher: &mut Fingerprint) {
        timer.hash(hasher);
    }

    fn hash_checker(checker: &PaxosChecker, rename: &Rename, hasher: &mut Fingerprint) {
        checker.hash_explored(rename, hasher);
    }
}

/// Feeds what decides this server's future into an exploration's
/// fingerprint: not the constants, the request counter (only the focus
/// reads it, and the explorer sends inputs in a fixed order), or the
/// per-handler lists the checker reads.
fn hash_server(node: &PaxosNode, rename: &Rename, hasher: &mut Fingerprint) {
    let ballot = |ballot: Ballot, hasher: &mut Fingerprint| {
        ballot.round.hash(hasher);
        rename.write(Some(ballot.proposer), hasher);
    };
    ballot(node.promised, hasher);
    hasher.write_usize(node.accepted.len());
    for (slot, accepted) in &node.accepted {
        slot.hash(hasher);
        ballot(accepted.ballot, hasher);
        accepted.value.hash(hasher);
    }
    node.round.hash(hasher);
    node.learned.hash(hasher);
    match &node.phase {
        Phase::Idle => hasher.write_u8(0),
        Phase::Preparing {
            ballot: b,
            from_slot,
            promised_by,
            reported,
        } => {
            hasher.write_u8(1);
            ballot(*b, hasher);
            from_slot.hash(hasher);
            fingerprint::write_set(promised_by, rename, hasher);
            for (slot, accepted) in reported {
                slot.hash(hasher);
                ballot(accepted.ballot, hasher);
                accepted.value.hash(hasher);
            }
        }
        Phase::Proposing {
            ballot: b,
            proposals,
            next_slot,
        } => {
            hasher.write_u8(2);
            ballot(*b, hasher);
            proposals.hash(hasher);
            next_slot.hash(hasher);
        }
    }
    node.own_value.hash(hasher);
    node.pending.hash(hasher);
    node.highest_round_seen.hash(hasher);
    match node.leader {
        Some((leader, b)) => {
            rename.write(Some(leader), hasher);
            ballot(b, hasher);
        }
        None => rename.write(None, hasher),
    }
    hasher.write_usize(node.tallies.len());
    for ((slot, b), tally) in &node.tallies {
        slot.hash(hasher);
        ballot(*b, hasher);
        tally.value.hash(hasher);
        fingerprint::write_set(&tally.acceptors, rename, hasher);
    }
    node.failures.hash(hasher);
}
