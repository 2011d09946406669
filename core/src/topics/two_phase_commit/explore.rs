//! Two-phase commit in the explorer ([`crate::explore`]): a coordinator and two
//! participants, `begin T` as the inputs, the participants interchangeable.
//!
//! The explorer sends every input to the focus node, the coordinator, so the
//! `vote-no` operation (addressed to a participant) is not among its inputs,
//! and exploration sets `abort-percent` to 0 (a random vote would be a choice
//! hidden from the search). NO votes still happen on explored paths: the
//! coordinator's vote timeout and a participant's crash before it votes both
//! abort. Neither bug needs one: `commit-before-all-votes` breaks
//! commit-validity the moment the coordinator commits on one YES of two, and
//! `forget-decision-on-restart` breaks decision-stability the moment the
//! restarted coordinator aborts what it had committed.
//!
//! Symmetry: renaming the participants gives an equivalent state (nothing
//! depends on a participant's id but the messages it sends, which are hashed
//! through the renaming). A renaming that moves the coordinator yields no
//! reachable state (the coordinator's hash differs from any participant's), so
//! taking the smallest fingerprint over all renamings only merges states that
//! differ by a permutation of the participants.

use std::hash::{Hash, Hasher};

use crate::explore::fingerprint::{Fingerprint, Rename};
use crate::explore::{Bounds, Explorable};
use crate::lab::params;
use crate::lab::scenario::Scenario;
use crate::sim::time::NodeId;

use super::checker::TwoPhaseChecker;
use super::message::{TransactionId, TwoPhaseMessage, TwoPhaseOp, TwoPhaseTimer};
use super::node::TwoPhaseNode;
use super::{
    TwoPhaseCommitTopic, ABORT_PERCENT, BUG_COMMIT_BEFORE_ALL_VOTES, BUG_FORGET_DECISION_ON_RESTART,
};

impl Explorable for TwoPhaseCommitTopic {
    const SYMMETRIC: bool = true;

    /// One transaction among three nodes, one crash, a network that neither
    /// loses nor duplicates (both can be asked for).
    const DEFAULT_BOUNDS: Bounds = Bounds {
        nodes: 3,
        depth: 14,
        crashes: 1,
        requests: 1,
        drop: false,
        duplicate: false,
        clients: 0,
        walks: 0,
    };

    fn bug_bounds(bug: &str) -> Option<Bounds> {
        match bug {
            // Begin, PREPARE to n1, n1 votes, the vote arrives: COMMIT on one
            // YES of two (4 steps).
            BUG_COMMIT_BEFORE_ALL_VOTES => Some(Bounds {
                depth: 4,
                crashes: 0,
                ..Self::DEFAULT_BOUNDS
            }),
            // Begin, two PREPAREs, two votes, two arrivals: COMMIT; the
            // coordinator crashes and restarts and aborts (9 steps).
            BUG_FORGET_DECISION_ON_RESTART => Some(Bounds {
                depth: 9,
                ..Self::DEFAULT_BOUNDS
            }),
            _ => None,
        }
    }

    fn configure(scenario: &mut Scenario, _bounds: &Bounds) {
        scenario.set_param(params::REQUEST_RATE, 0);
        scenario.set_param(params::DROP_PERCENT.name, 0);
        scenario.set_param(ABORT_PERCENT, 0);
    }

    fn inputs(bounds: &Bounds) -> Vec<(Option<NodeId>, TwoPhaseOp)> {
        (1..=bounds.requests as u64)
            .map(|t| {
                let transaction = TransactionId(t);
                (None, TwoPhaseOp::Begin { transaction })
            })
            .collect()
    }

    fn hash_node(node: &TwoPhaseNode, rename: &Rename, hasher: &mut Fingerprint) {
        match node {
            TwoPhaseNode::Coordinator(coordinator) => {
                hasher.write_u8(0);
                coordinator.hash_explored(rename, hasher);
            }
            TwoPhaseNode::Participant(participant) => {
                hasher.write_u8(1);
                participant.hash_explored(rename, hasher);
            }
        }
    }

    fn hash_message(message: &TwoPhaseMessage, _rename: &Rename, hasher: &mut Fingerprint) {
        message.hash(hasher);
    }

    fn hash_timer(timer: &TwoPhaseTimer, hasher: &mut Fingerprint) {
        timer.hash(hasher);
    }

    fn hash_checker(checker: &TwoPhaseChecker, rename: &Rename, hasher: &mut Fingerprint) {
        checker.hash_explored(rename, hasher);
    }
}
