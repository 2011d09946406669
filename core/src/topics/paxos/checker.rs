//! Paxos's safety requirements (Lamport, "Paxos Made Simple", section 2.1),
//! checked after every step from what the acceptors and learners did, not from
//! what any node believes.
//!
//! Acceptors overwrite their accepted proposal when a higher ballot comes, so
//! what they hold now does not say what was chosen in the past. The checker
//! keeps its own registry instead: for every (slot, ballot, value), the
//! acceptors that ever accepted it. The moment a majority has, that value is
//! chosen in that slot, for ever, and the checker records when ([`Choice`],
//! [`PaxosChecker::choices`]), even before any learner knows. Against it:
//! - **at-most-one-chosen**: in each slot, every value chosen (under whatever
//!   ballot) is the same value;
//! - **learn-only-chosen**: a learner learns a value in a slot only once it has
//!   been chosen there.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

use crate::explore::fingerprint::{self, Fingerprint, Rename};
use crate::lab::topic::InvariantInfo;
use crate::sim::checker::{Checker, Violation};
use crate::sim::time::{NodeId, Time};

use super::message::{Ballot, Slot, Value};
use super::node::PaxosNode;

pub const AT_MOST_ONE_CHOSEN: &str = "at-most-one-chosen";
pub const LEARN_ONLY_CHOSEN: &str = "learn-only-chosen";

pub const INVARIANTS: &[InvariantInfo] = &[
    InvariantInfo {
        name: AT_MOST_ONE_CHOSEN,
        summary: "Only a single value is chosen (in each slot): once a majority of acceptors has accepted a value under one ballot, no other value ever gathers a majority there.",
    },
    InvariantInfo {
        name: LEARN_ONLY_CHOSEN,
        summary: "A process never learns that a value has been chosen unless it actually has been.",
    },
];

/// The moment a value became chosen: a majority of acceptors had accepted it
/// in `slot` under `ballot`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Choice {
    pub time: Time,
    pub slot: Slot,
    pub ballot: Ballot,
    pub value: Value,
}

/// The incremental checker for [`PaxosNode`] clusters.
#[derive(Clone, Debug, Default)]
pub struct PaxosChecker {
    /// Who ever accepted each proposal, as a bit per acceptor.
    acceptances: BTreeMap<(Slot, Ballot, Value), u64>,
    /// Every proposal that reached a majority, in the order it did.
    choices: Vec<Choice>,
    /// The first value chosen in each slot.
    chosen: BTreeMap<Slot, Choice>,
}

impl PaxosChecker {
    /// When each value became chosen (time, slot, ballot, value), in order:
    /// one entry per ballot that gathered a majority, so a slot chosen again
    /// under a higher ballot (with the same value, in a correct run) appears
    /// again.
    pub fn choices(&self) -> &[Choice] {
        &self.choices
    }

    /// The value chosen in `slot`, and when, if one is.
    pub fn chosen(&self, slot: Slot) -> Option<&Choice> {
        self.chosen.get(&slot)
    }

    /// Feeds the registries into an exploration's fingerprint (the times of
    /// choices only go into messages and the view).
    pub(crate) fn hash_explored(&self, rename: &Rename, hasher: &mut Fingerprint) {
        hasher.write_usize(self.acceptances.len());
        for ((slot, ballot, value), acceptors) in &self.acceptances {
            slot.hash(hasher);
            ballot.round.hash(hasher);
            rename.write(Some(ballot.proposer), hasher);
            value.hash(hasher);
            let ids: Vec<NodeId> = (0..64)
                .filter(|bit| acceptors & (1 << bit) != 0)
                .map(NodeId)
                .collect();
            fingerprint::write_set(&ids, rename, hasher);
        }
        hasher.write_usize(self.chosen.len());
        for (slot, choice) in &self.chosen {
            slot.hash(hasher);
            choice.value.hash(hasher);
        }
    }

    fn register_acceptance(
        &mut self,
        node: &PaxosNode,
        slot: Slot,
        majority: usize,
        now: Time,
        found: &mut Vec<Violation>,
    ) {
        let Some(accepted) = node.accepted().get(&slot).copied() else {
            return;
        };
        let bits = self
            .acceptances
            .entry((slot, accepted.ballot, accepted.value))
            .or_insert(0);
        let before = bits.count_ones() as usize;
        *bits |= 1 << node.id().index().min(63);
        let after = bits.count_ones() as usize;
        if before >= majority || after < majority {
            return;
        }
        let choice = Choice {
            time: now,
            slot,
            ballot: accepted.ballot,
            value: accepted.value,
        };
        self.choices.push(choice);
        match self.chosen.get(&slot) {
            Some(first) if first.value != choice.value => found.push(Violation {
                invariant: AT_MOST_ONE_CHOSEN,
                message: format!(
                    "slot {slot}: {} was chosen under ballot {} at {}, and now {} is chosen under ballot {}",
                    first.value, first.ballot, first.time, choice.value, choice.ballot
                ),
            }),
            Some(_) => {}
            None => {
                self.chosen.insert(slot, choice);
            }
        }
    }

    fn check_learned(&self, node: &PaxosNode, slot: Slot, found: &mut Vec<Violation>) {
        let Some(&value) = node.learned().get(&slot) else {
            return;
        };
        let chosen = self
            .choices
            .iter()
            .any(|choice| choice.slot == slot && choice.value == value);
        if chosen {
            return;
        }
        let what = match self.chosen.get(&slot) {
            Some(first) => format!("{} was chosen there", first.value),
            None => "nothing has been chosen there yet".to_string(),
        };
        found.push(Violation {
            invariant: LEARN_ONLY_CHOSEN,
            message: format!(
                "{} learned {value} in slot {slot}, but no majority of acceptors accepted {value} there: {what}",
                node.id()
            ),
        });
    }
}

impl Checker<PaxosNode> for PaxosChecker {
    fn check(
        &mut self,
        nodes: &[PaxosNode],
        _up: &[bool],
        changed: NodeId,
        now: Time,
        found: &mut Vec<Violation>,
    ) {
        let Some(node) = nodes.get(changed.index()) else {
            return;
        };
        let majority = nodes.len() / 2 + 1;
        for &slot in node.accepted_now() {
            self.register_acceptance(node, slot, majority, now, found);
        }
        for &slot in node.learned_now() {
            self.check_learned(node, slot, found);
        }
    }
}
