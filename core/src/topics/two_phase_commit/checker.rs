//! Two-phase commit's safety properties, checked after every step: the
//! correctness conditions of an atomic commitment protocol in Bernstein,
//! Hadzilacos and Goodman, "Concurrency Control and Recovery in Database
//! Systems" (1987), section 7.3 (AC1, AC3, AC4), and the stability of the
//! coordinator's decision that makes them hold across its restarts.
//!
//! The checker never trusts a node's present state for what happened before:
//! it keeps its own registry per transaction (which participants voted YES,
//! the first outcome applied at a participant and where, the decision the
//! coordinator announced), fed from the records each participant appends to
//! its durable log and from what the coordinator announces. Each step reads
//! only what the changed node added since the last step, so a check is cheap.
//! - **atomicity** (AC1): no transaction commits at one participant and aborts
//!   at another;
//! - **commit-validity** (AC3): a transaction is decided COMMIT by the
//!   coordinator, or committed at a participant, only once every participant
//!   has voted YES;
//! - **decision-stability** (AC2 for the coordinator): the coordinator never
//!   announces two different decisions for one transaction, whatever crashes
//!   happen in between.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

use crate::explore::fingerprint::{write_set, Fingerprint, Rename};
use crate::lab::topic::InvariantInfo;
use crate::sim::checker::{Checker, Violation};
use crate::sim::time::{NodeId, Time};

use super::log::RecordKind;
use super::message::{Decision, TransactionId};
use super::node::TwoPhaseNode;

pub const ATOMICITY: &str = "atomicity";
pub const COMMIT_VALIDITY: &str = "commit-validity";
pub const DECISION_STABILITY: &str = "decision-stability";

pub const INVARIANTS: &[InvariantInfo] = &[
    InvariantInfo {
        name: ATOMICITY,
        summary: "No transaction commits at one participant and aborts at another.",
    },
    InvariantInfo {
        name: COMMIT_VALIDITY,
        summary: "A transaction is decided or applied as COMMIT only after every participant voted YES.",
    },
    InvariantInfo {
        name: DECISION_STABILITY,
        summary: "The coordinator never announces two different decisions for one transaction, across its crashes and restarts.",
    },
];

/// What the checker has seen of one transaction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Seen {
    /// Bit i: participant i logged its prepared record (voted YES).
    voted_yes: u64,
    /// The first outcome logged at a participant, and where.
    outcome: Option<(Decision, NodeId)>,
    /// The first decision the coordinator announced.
    announced: Option<Decision>,
}

/// The incremental checker of a two-phase commit run.
#[derive(Clone, Debug, Default)]
pub struct TwoPhaseChecker {
    seen: BTreeMap<TransactionId, Seen>,
    /// Per node: how many of its log records were read.
    read_records: Vec<usize>,
    /// How many of the coordinator's announcements were read.
    read_announcements: usize,
}

impl TwoPhaseChecker {
    /// Feeds the registry into an exploration's fingerprint (not the read
    /// positions, which only save work, nor where an outcome was first seen,
    /// which only goes into messages).
    pub(crate) fn hash_explored(&self, rename: &Rename, hasher: &mut Fingerprint) {
        hasher.write_usize(self.seen.len());
        for (transaction, seen) in &self.seen {
            transaction.hash(hasher);
            let voters: Vec<NodeId> = (0..64)
                .filter(|bit| seen.voted_yes & (1 << bit) != 0)
                .map(NodeId)
                .collect();
            write_set(&voters, rename, hasher);
            seen.outcome.map(|(decision, _)| decision).hash(hasher);
            seen.announced.hash(hasher);
        }
    }

    /// Whether every participant of a cluster of `nodes` voted YES.
    fn all_voted_yes(seen: &Seen, nodes: usize) -> bool {
        (1..nodes).all(|i| seen.voted_yes & (1 << i) != 0)
    }

    fn missing_votes(seen: &Seen, nodes: usize) -> String {
        let missing: Vec<String> = (1..nodes)
            .filter(|&i| seen.voted_yes & (1 << i) == 0)
            .map(|i| NodeId(i as u32).to_string())
            .collect();
        missing.join(", ")
    }

    fn check_announcements(
        &mut self,
        announced: &[(TransactionId, Decision)],
        coordinator: NodeId,
        nodes: usize,
        found: &mut Vec<Violation>,
    ) {
        // Reading an announcement twice changes nothing, so a stale position
        // (the explorer shares a parent's checker) only costs a little work.
        let start = self.read_announcements.min(announced.len());
        for &(transaction, decision) in &announced[start..] {
            let seen = self.seen.entry(transaction).or_default();
            match seen.announced {
                Some(before) if before != decision => found.push(Violation {
                    invariant: DECISION_STABILITY,
                    message: format!(
                        "{coordinator} announced {before} for {transaction}, and later {decision}"
                    ),
                }),
                Some(_) => {}
                None => seen.announced = Some(decision),
            }
            if decision == Decision::Commit && !Self::all_voted_yes(seen, nodes) {
                found.push(Violation {
                    invariant: COMMIT_VALIDITY,
                    message: format!(
                        "{coordinator} decided COMMIT for {transaction} before {} voted YES",
                        Self::missing_votes(seen, nodes)
                    ),
                });
            }
        }
        self.read_announcements = announced.len();
    }

    fn check_participant_log(
        &mut self,
        node: NodeId,
        records: &[super::log::Record],
        nodes: usize,
        found: &mut Vec<Violation>,
    ) {
        let read = &mut self.read_records[node.index()];
        let start = (*read).min(records.len());
        *read = records.len();
        for record in &records[start..] {
            let transaction = record.transaction;
            let seen = self.seen.entry(transaction).or_default();
            match record.kind {
                RecordKind::Prepared => seen.voted_yes |= 1 << (node.index() % 64),
                RecordKind::Decided(decision) => {
                    match seen.outcome {
                        Some((before, at)) if before != decision => found.push(Violation {
                            invariant: ATOMICITY,
                            message: format!(
                                "{transaction} was {} at {node} but {} at {at}",
                                past(decision),
                                past(before)
                            ),
                        }),
                        Some(_) => {}
                        None => seen.outcome = Some((decision, node)),
                    }
                    if decision == Decision::Commit && !Self::all_voted_yes(seen, nodes) {
                        found.push(Violation {
                            invariant: COMMIT_VALIDITY,
                            message: format!(
                                "{transaction} committed at {node} before {} voted YES",
                                Self::missing_votes(seen, nodes)
                            ),
                        });
                    }
                }
                // Three-phase commit's record; two-phase commit never writes it.
                RecordKind::Begin | RecordKind::PreCommitted | RecordKind::End => {}
            }
        }
    }
}

fn past(decision: Decision) -> &'static str {
    match decision {
        Decision::Commit => "committed",
        Decision::Abort => "aborted",
    }
}

impl Checker<TwoPhaseNode> for TwoPhaseChecker {
    fn check(
        &mut self,
        nodes: &[TwoPhaseNode],
        _up: &[bool],
        changed: NodeId,
        _now: Time,
        found: &mut Vec<Violation>,
    ) {
        if self.read_records.len() < nodes.len() {
            self.read_records.resize(nodes.len(), 0);
        }
        let count = nodes.len();
        match nodes.get(changed.index()) {
            Some(TwoPhaseNode::Coordinator(coordinator)) => {
                self.check_announcements(coordinator.announced(), changed, count, found)
            }
            Some(TwoPhaseNode::Participant(participant)) => {
                self.check_participant_log(changed, participant.log().records(), count, found)
            }
            None => {}
        }
    }
}
