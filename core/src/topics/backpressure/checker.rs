//! The invariants of the backpressure topic, checked after every event from
//! the processes' counts (each a few additions, so the check stays cheap):
//!
//! - **bounded-queue-within-capacity**: under every policy but unbounded, a
//!   stage's queue never holds more than its capacity (SEDA's bounded event
//!   queues, section 3.2). Credit trusts its grants and never refuses, so
//!   only an upstream sending beyond its demand can break it.
//! - **nothing-vanishes**: every item the producer made is delivered, inside
//!   a process (waiting, at work, held back), in flight on a link, or counted
//!   as dropped by a policy, lost in a crash or written off as lost on the
//!   wire; and no link has more items arrived or written off than sent. It
//!   holds per chain: for the main chain against the items made, for the
//!   unbounded twin against every arrival of the source (the twin's queues
//!   have no capacity, so bounded-queue-within-capacity and
//!   demand-respected are the main chain's alone).
//! - **demand-respected**: under credit, no upstream has sent more items on
//!   its link than the downstream has granted credits (Reactive Streams
//!   rule 1.1: a publisher signals at most the total demand requested).

use crate::lab::topic::InvariantInfo;
use crate::sim::checker::{Checker, Violation};
use crate::sim::time::{NodeId, Time};

use super::chain::Chain;
use super::link::{Receiver, Sender};
use super::message::{Policy, STAGES};
use super::process::{PipelineConfig, PipelineProcess};

pub const BOUNDED_QUEUE_WITHIN_CAPACITY: &str = "bounded-queue-within-capacity";
pub const NOTHING_VANISHES: &str = "nothing-vanishes";
pub const DEMAND_RESPECTED: &str = "demand-respected";

pub const INVARIANTS: &[InvariantInfo] = &[
    InvariantInfo {
        name: BOUNDED_QUEUE_WITHIN_CAPACITY,
        summary: "Under every bounded policy, no stage's queue holds more items than its capacity.",
    },
    InvariantInfo {
        name: NOTHING_VANISHES,
        summary: "Every item made is delivered, inside a process, in flight, or counted as dropped or lost: nothing disappears and nothing appears.",
    },
    InvariantInfo {
        name: DEMAND_RESPECTED,
        summary: "Under credit, no upstream has sent more items than its downstream has granted credits (request(n) in all).",
    },
];

#[derive(Clone, Debug)]
pub struct PipelineChecker {
    config: PipelineConfig,
}

impl PipelineChecker {
    pub fn new(config: PipelineConfig) -> Self {
        PipelineChecker { config }
    }

    pub fn config(&self) -> &PipelineConfig {
        &self.config
    }
}

/// The sender and receiver of `chain`'s link `i` (0: producer to its first
/// stage, 1: first to second, 2: second to third).
fn link(nodes: &[PipelineProcess], chain: Chain, i: usize) -> Option<(&Sender, &Receiver)> {
    let sender = match i {
        0 => nodes.first()?.producer()?.sender_to(chain)?,
        _ => PipelineProcess::stage_of(nodes, chain, i - 1)?.sender()?,
    };
    let receiver = PipelineProcess::stage_of(nodes, chain, i)?.receiver();
    Some((sender, receiver))
}

impl PipelineChecker {
    /// Conservation of items along one chain: `made` items entered it at the
    /// producer, of which `at_producer` are accounted for there (waiting in
    /// its outbox or lost in its crash). Checks demand on every link too
    /// when the chain runs credit.
    fn check_chain(
        &self,
        nodes: &[PipelineProcess],
        chain: Chain,
        made: u64,
        at_producer: u64,
        found: &mut Vec<Violation>,
    ) {
        let credit = chain == Chain::Main && self.config.policy == Policy::Credit;
        let mut accounted = at_producer;
        for i in 0..STAGES {
            let Some((sender, receiver)) = link(nodes, chain, i) else {
                continue;
            };
            let arrived = receiver.received + receiver.written_off;
            if arrived > sender.sent {
                found.push(Violation {
                    invariant: NOTHING_VANISHES,
                    message: format!(
                        "{} items sent to stage {}, yet {} arrived or were written off",
                        sender.sent,
                        chain.stage_name(i),
                        arrived
                    ),
                });
                return;
            }
            // In flight, and written off on the wire.
            accounted += sender.sent - receiver.received;
            if credit && sender.sent > receiver.granted {
                found.push(Violation {
                    invariant: DEMAND_RESPECTED,
                    message: format!(
                        "{} items sent to stage {}, which granted only {} credits",
                        sender.sent,
                        chain.stage_name(i),
                        receiver.granted
                    ),
                });
            }
        }
        for i in 0..STAGES {
            let Some(stage) = PipelineProcess::stage_of(nodes, chain, i) else {
                continue;
            };
            let stats = stage.stats();
            accounted += stage.inside() as u64 + stats.dropped + stats.lost;
            if stage.is_sink() {
                accounted += stats.passed;
            }
        }
        if accounted != made {
            found.push(Violation {
                invariant: NOTHING_VANISHES,
                message: format!(
                    "{} items entered the chain of {}, but {} are accounted for (delivered, inside, in flight, dropped or lost)",
                    made,
                    chain.stage_name(0),
                    accounted
                ),
            });
        }
    }
}

impl Checker<PipelineProcess> for PipelineChecker {
    fn check(
        &mut self,
        nodes: &[PipelineProcess],
        _up: &[bool],
        changed: NodeId,
        _now: Time,
        found: &mut Vec<Violation>,
    ) {
        // Only the main chain's queues have a capacity; the twin's are
        // unbounded on purpose.
        if let Some(stage) = nodes.get(changed.index()).and_then(PipelineProcess::stage) {
            if stage.is_bounded() && stage.queued() > self.config.capacity as usize {
                found.push(Violation {
                    invariant: BOUNDED_QUEUE_WITHIN_CAPACITY,
                    message: format!(
                        "stage {} has {} items in its queue; its capacity is {}",
                        stage.name(),
                        stage.queued(),
                        self.config.capacity
                    ),
                });
            }
        }
        let Some(producer) = nodes.first().and_then(PipelineProcess::producer) else {
            return;
        };
        let at_producer = producer.outbox() as u64 + producer.lost();
        self.check_chain(nodes, Chain::Main, producer.produced(), at_producer, found);
        // The twin gets every arrival at once: nothing waits at the producer.
        if self.config.has_twin() {
            self.check_chain(nodes, Chain::Twin, producer.arrivals(), 0, found);
        }
    }
}
