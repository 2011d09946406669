//! The saga's safety properties, checked after every step: Garcia-Molina and
//! Salem's guarantee (section 1: either T_1..T_n all run, or T_1..T_j run and
//! then C_j..C_1), split into what can be seen at each instant.
//!
//! The checker never trusts a node's present state for what happened before:
//! it keeps its own registry per saga (which steps booked, which cancelled,
//! how node 0 declared it ended), fed from the journal each service's database
//! appends to and from node 0's saga log. Each step reads only what the
//! changed node added since the last step, so a check is cheap.
//! - **all-or-nothing**: when node 0 (the orchestrator, or the initiator of a
//!   choreographed saga) writes a saga's end, every service agrees with it:
//!   completed means every step booked and none cancelled, compensated means
//!   no booking of the saga remains; and no service changes that afterwards;
//! - **no-compensation-without-forward-step**: a service cancels (runs C_k)
//!   only a booking it made (T_k) for that saga;
//! - **compensations-in-reverse-order**: a service cancels its booking of a
//!   saga only once every later step's booking of that saga is cancelled.

use crate::lab::topic::InvariantInfo;
use crate::sim::checker::{Checker, Violation};
use crate::sim::time::{NodeId, Time};

use super::message::{Booking, SagaId, Step};
use super::node::SagaNode;
use super::saga_log::{Outcome, RecordKind};

pub const ALL_OR_NOTHING: &str = "all-or-nothing";
pub const NO_COMPENSATION_WITHOUT_FORWARD_STEP: &str = "no-compensation-without-forward-step";
pub const COMPENSATIONS_IN_REVERSE_ORDER: &str = "compensations-in-reverse-order";

pub const INVARIANTS: &[InvariantInfo] = &[
    InvariantInfo {
        name: ALL_OR_NOTHING,
        summary: "A saga declared finished is all-booked (completed) or has no booking left (compensated) at every service, and stays so.",
    },
    InvariantInfo {
        name: NO_COMPENSATION_WITHOUT_FORWARD_STEP,
        summary: "A service cancels a saga's booking only if it booked it: no C_k without its T_k.",
    },
    InvariantInfo {
        name: COMPENSATIONS_IN_REVERSE_ORDER,
        summary: "A step's booking is cancelled only after every later step's booking of the saga is: C_j after C_j+1..C_k.",
    },
];

/// What the checker has seen of one saga.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Seen {
    saga: SagaId,
    /// Bit k: step k's service booked it (T_k committed).
    booked: u8,
    /// Bit k: step k's service cancelled it (C_k committed).
    cancelled: u8,
    /// How node 0 declared it ended.
    ended: Option<Outcome>,
}

/// The incremental checker of a saga run.
#[derive(Clone, Debug, Default)]
pub struct SagaChecker {
    /// Sorted by saga id.
    sagas: Vec<Seen>,
    /// Per node: how many entries of its journal (or saga log) were read.
    read: Vec<usize>,
}

/// The steps in `mask`, by name.
fn names(mask: u8, services: usize) -> String {
    let names: Vec<&str> = (1..=services as u8)
        .map(Step)
        .filter(|s| mask & s.bit() != 0)
        .map(Step::name)
        .collect();
    names.join(", ")
}

impl SagaChecker {
    fn seen(&mut self, saga: SagaId) -> &mut Seen {
        let position = match self.sagas.binary_search_by_key(&saga, |s| s.saga) {
            Ok(position) => position,
            Err(position) => {
                self.sagas.insert(
                    position,
                    Seen {
                        saga,
                        booked: 0,
                        cancelled: 0,
                        ended: None,
                    },
                );
                position
            }
        };
        &mut self.sagas[position]
    }

    fn check_service(
        &mut self,
        node: NodeId,
        step: Step,
        journal: &[(SagaId, Booking)],
        services: usize,
        found: &mut Vec<Violation>,
    ) {
        let start = self.read[node.index()].min(journal.len());
        self.read[node.index()] = journal.len();
        for &(saga, booking) in &journal[start..] {
            let seen = self.seen(saga);
            match booking {
                Booking::Booked => {
                    seen.booked |= step.bit();
                    if seen.ended == Some(Outcome::Compensated) {
                        found.push(Violation {
                            invariant: ALL_OR_NOTHING,
                            message: format!(
                                "{saga} was declared compensated, and then the {step} service booked it"
                            ),
                        });
                    }
                }
                Booking::Cancelled => {
                    if seen.booked & step.bit() == 0 {
                        found.push(Violation {
                            invariant: NO_COMPENSATION_WITHOUT_FORWARD_STEP,
                            message: format!(
                                "the {step} service cancelled {saga}, which it never booked"
                            ),
                        });
                    }
                    let later: u8 = (step.0 + 1..=services as u8)
                        .map(|k| Step(k).bit())
                        .fold(0, |a, b| a | b);
                    let still_held = seen.booked & !seen.cancelled & later;
                    if still_held != 0 {
                        found.push(Violation {
                            invariant: COMPENSATIONS_IN_REVERSE_ORDER,
                            message: format!(
                                "the {step} service cancelled {saga} while the later {} still held it",
                                names(still_held, services)
                            ),
                        });
                    }
                    seen.cancelled |= step.bit();
                    if seen.ended == Some(Outcome::Completed) {
                        found.push(Violation {
                            invariant: ALL_OR_NOTHING,
                            message: format!(
                                "{saga} was declared completed, and then the {step} service cancelled it"
                            ),
                        });
                    }
                }
                Booking::Refused | Booking::Voided => {}
            }
        }
    }

    fn check_ends(
        &mut self,
        node: NodeId,
        records: &[super::saga_log::Record],
        services: usize,
        found: &mut Vec<Violation>,
    ) {
        let start = self.read[node.index()].min(records.len());
        self.read[node.index()] = records.len();
        let all: u8 = (1..=services as u8)
            .map(|k| Step(k).bit())
            .fold(0, |a, b| a | b);
        for record in &records[start..] {
            let RecordKind::End(outcome) = record.kind else {
                continue;
            };
            let saga = record.saga;
            let seen = self.seen(saga);
            seen.ended = Some(outcome);
            match outcome {
                Outcome::Completed => {
                    let missing = all & !(seen.booked & !seen.cancelled);
                    if missing != 0 {
                        found.push(Violation {
                            invariant: ALL_OR_NOTHING,
                            message: format!(
                                "{node} declared {saga} completed, but the {} holds no booking of it",
                                names(missing, services)
                            ),
                        });
                    }
                }
                Outcome::Compensated => {
                    let held = seen.booked & !seen.cancelled;
                    if held != 0 {
                        found.push(Violation {
                            invariant: ALL_OR_NOTHING,
                            message: format!(
                                "{node} declared {saga} compensated, but the {} still holds a booking of it",
                                names(held, services)
                            ),
                        });
                    }
                }
            }
        }
    }
}

impl Checker<SagaNode> for SagaChecker {
    fn check(
        &mut self,
        nodes: &[SagaNode],
        _up: &[bool],
        changed: NodeId,
        _now: Time,
        found: &mut Vec<Violation>,
    ) {
        if self.read.len() < nodes.len() {
            self.read.resize(nodes.len(), 0);
        }
        let services = nodes.len().saturating_sub(1);
        match nodes.get(changed.index()) {
            Some(SagaNode::Service(service)) => self.check_service(
                changed,
                service.step(),
                service.database().journal(),
                services,
                found,
            ),
            Some(node) => {
                if let Some(log) = node.saga_log() {
                    self.check_ends(changed, log.records(), services, found);
                }
            }
            None => {}
        }
    }
}
