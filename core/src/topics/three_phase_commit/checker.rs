//! Three-phase commit's safety properties, checked after every step: the
//! atomic commitment conditions of Bernstein, Hadzilacos and Goodman (1987),
//! section 7.3, over every node's durable log (the coordinator's too).
//!
//! - **atomicity** (AC1): no transaction is committed at one node and aborted
//!   at another. Expected to fail under network partitions: each side runs
//!   the termination protocol on the states it can see (see `mod.rs`);
//! - **commit-validity** (AC3): a node pre-commits or commits a transaction
//!   only after every participant voted YES;
//! - **decision-stability** (AC2): no node's log holds two different outcomes
//!   for one transaction, across its crashes and restarts.
//!
//! The checker keeps its own registry per transaction (who voted YES, where it
//! committed, where it aborted), fed from the records each changed node
//! appended since the last step, so a check is cheap.

use crate::lab::topic::InvariantInfo;
use crate::sim::checker::{Checker, Violation};
use crate::sim::time::{NodeId, Time};

use super::log::{Record, RecordKind};
use super::message::{Decision, TransactionId};
use super::node::ThreePhaseNode;

pub const ATOMICITY: &str = "atomicity";
pub const COMMIT_VALIDITY: &str = "commit-validity";
pub const DECISION_STABILITY: &str = "decision-stability";

pub const INVARIANTS: &[InvariantInfo] = &[
    InvariantInfo {
        name: ATOMICITY,
        summary: "No transaction commits at one node and aborts at another (expected to fail under network partitions).",
    },
    InvariantInfo {
        name: COMMIT_VALIDITY,
        summary: "A node pre-commits or commits a transaction only after every participant voted YES.",
    },
    InvariantInfo {
        name: DECISION_STABILITY,
        summary: "No node logs two different outcomes for one transaction, across its crashes and restarts.",
    },
];

/// What the checker has seen of one transaction: bit i stands for node i.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Seen {
    voted_yes: u64,
    committed: u64,
    aborted: u64,
}

/// The incremental checker of a three-phase commit run.
#[derive(Clone, Debug, Default)]
pub struct ThreePhaseChecker {
    seen: Vec<(TransactionId, Seen)>,
    /// Per node: how many of its log records were read.
    read: Vec<usize>,
}

fn first(bits: u64) -> NodeId {
    NodeId(bits.trailing_zeros())
}

impl ThreePhaseChecker {
    fn seen(&mut self, transaction: TransactionId) -> &mut Seen {
        let at = match self.seen.binary_search_by_key(&transaction, |e| e.0) {
            Ok(at) => at,
            Err(at) => {
                self.seen.insert(at, (transaction, Seen::default()));
                at
            }
        };
        &mut self.seen[at].1
    }

    fn check_records(
        &mut self,
        node: NodeId,
        records: &[Record],
        nodes: usize,
        found: &mut Vec<Violation>,
    ) {
        let bit = 1u64 << (node.index() % 64);
        for record in records {
            let transaction = record.transaction;
            let seen = self.seen(transaction);
            let all_yes = (1..nodes).all(|i| seen.voted_yes & (1 << i) != 0);
            let missing = || {
                let names: Vec<String> = (1..nodes)
                    .filter(|&i| seen.voted_yes & (1 << i) == 0)
                    .map(|i| NodeId(i as u32).to_string())
                    .collect();
                names.join(", ")
            };
            let (what, decision) = match record.kind {
                RecordKind::Prepared => {
                    seen.voted_yes |= bit;
                    continue;
                }
                RecordKind::PreCommitted => ("pre-committed", None),
                RecordKind::Decided(decision) => ("committed", Some(decision)),
                RecordKind::Begin | RecordKind::End => continue,
            };
            if decision != Some(Decision::Abort) && !all_yes {
                found.push(Violation {
                    invariant: COMMIT_VALIDITY,
                    message: format!("{node} {what} {transaction} before {} voted YES", missing()),
                });
            }
            let Some(decision) = decision else { continue };
            let (mine, other) = match decision {
                Decision::Commit => (&mut seen.committed, seen.aborted),
                Decision::Abort => (&mut seen.aborted, seen.committed),
            };
            *mine |= bit;
            if other & bit != 0 {
                found.push(Violation {
                    invariant: DECISION_STABILITY,
                    message: format!("{node} logged both COMMIT and ABORT for {transaction}"),
                });
            } else if other != 0 {
                let (done, undone) = match decision {
                    Decision::Commit => ("committed", "aborted"),
                    Decision::Abort => ("aborted", "committed"),
                };
                found.push(Violation {
                    invariant: ATOMICITY,
                    message: format!(
                        "{transaction} was {done} at {node} but {undone} at {}",
                        first(other)
                    ),
                });
            }
        }
    }
}

impl Checker<ThreePhaseNode> for ThreePhaseChecker {
    fn check(
        &mut self,
        nodes: &[ThreePhaseNode],
        _up: &[bool],
        changed: NodeId,
        _now: Time,
        found: &mut Vec<Violation>,
    ) {
        if self.read.len() < nodes.len() {
            self.read.resize(nodes.len(), 0);
        }
        let Some(node) = nodes.get(changed.index()) else {
            return;
        };
        let records = node.log().records();
        let start = self.read[changed.index()].min(records.len());
        self.read[changed.index()] = records.len();
        self.check_records(changed, &records[start..], nodes.len(), found);
    }
}
