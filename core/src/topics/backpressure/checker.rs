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
//!   wire; and no link has more items arrived or written off than sent.
//! - **demand-respected**: under credit, no upstream has sent more items on
//!   its link than the downstream has granted credits (Reactive Streams
//!   rule 1.1: a publisher signals at most the total demand requested).

use crate::lab::topic::InvariantInfo;
use crate::sim::checker::{Checker, Violation};
use crate::sim::time::{NodeId, Time};

use super::link::{Receiver, Sender};
use super::message::{stage_name, Policy, STAGES};
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

/// The sender and receiver of link `i` (0: producer to A, 1: A to B, 2: B to C).
fn link(nodes: &[PipelineProcess], i: usize) -> Option<(&Sender, &Receiver)> {
    let sender = match nodes.get(i)? {
        PipelineProcess::Producer(producer) => producer.sender(),
        PipelineProcess::Stage(stage) => stage.sender()?,
    };
    let receiver = nodes.get(i + 1)?.stage()?.receiver();
    Some((sender, receiver))
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
        if self.config.policy.is_bounded() {
            if let Some(stage) = nodes.get(changed.index()).and_then(PipelineProcess::stage) {
                if stage.queued() > self.config.capacity as usize {
                    found.push(Violation {
                        invariant: BOUNDED_QUEUE_WITHIN_CAPACITY,
                        message: format!(
                            "stage {} has {} items in its queue; its capacity is {}",
                            stage_name(stage.index()),
                            stage.queued(),
                            self.config.capacity
                        ),
                    });
                }
            }
        }
        let Some(producer) = nodes.first().and_then(PipelineProcess::producer) else {
            return;
        };
        // Everything accounted for, in item counts.
        let mut accounted = producer.outbox() as u64 + producer.lost();
        for i in 0..STAGES {
            let Some((sender, receiver)) = link(nodes, i) else {
                continue;
            };
            let arrived = receiver.received + receiver.written_off;
            if arrived > sender.sent {
                found.push(Violation {
                    invariant: NOTHING_VANISHES,
                    message: format!(
                        "{} items sent to stage {}, yet {} arrived or were written off",
                        sender.sent,
                        stage_name(i),
                        arrived
                    ),
                });
                return;
            }
            // In flight, and written off on the wire.
            accounted += sender.sent - receiver.received;
            if self.config.policy == Policy::Credit && sender.sent > receiver.granted {
                found.push(Violation {
                    invariant: DEMAND_RESPECTED,
                    message: format!(
                        "{} items sent to stage {}, which granted only {} credits",
                        sender.sent,
                        stage_name(i),
                        receiver.granted
                    ),
                });
            }
        }
        for stage in nodes.iter().filter_map(PipelineProcess::stage) {
            let stats = stage.stats();
            accounted += stage.inside() as u64 + stats.dropped + stats.lost;
            if stage.is_sink() {
                accounted += stats.passed;
            }
        }
        if accounted != producer.produced() {
            found.push(Violation {
                invariant: NOTHING_VANISHES,
                message: format!(
                    "the producer made {} items, but {} are accounted for (delivered, inside, in flight, dropped or lost)",
                    producer.produced(),
                    accounted
                ),
            });
        }
    }
}
