//! Exactly-once's safety properties, checked after every step, each only in
//! the modes that promise it (the others exist to show it failing):
//!
//! - **effect-at-most-once** (at most once, idempotent consumer, outbox): no
//!   message's effect is applied twice;
//! - **ack-after-effect** (every mode but at most once, which acks first on
//!   purpose): the broker deletes an entry, on the consumer's ack, only after
//!   the consumer applied that message's effect;
//! - **no-message-lost** (outbox): an outbox row is marked sent only while the
//!   broker holds the message or the consumer has applied it. With
//!   ack-after-effect and the durable outbox and queue this makes a committed
//!   message always held durably somewhere on its way (an unsent outbox row,
//!   a queued entry, an applied effect): the safety half of "every committed
//!   message is eventually applied", which needs no quiescence to check.
//!
//! The checker reads only what the changed process appended to its durable
//! logs since the last step (the consumer's applications, the broker's acked
//! entries, the producer's rows marked sent). It also remembers, for the
//! timeline, each delivery the consumer worked on and each effect applied
//! more than once.

use crate::lab::topic::InvariantInfo;
use crate::sim::checker::{Checker, Violation};
use crate::sim::time::{NodeId, Time};

use super::message::{EntryId, MessageId, Mode};
use super::process::{parts, QueueProcess, BROKER, CONSUMER, PRODUCER};

pub const EFFECT_AT_MOST_ONCE: &str = "effect-at-most-once";
pub const ACK_AFTER_EFFECT: &str = "ack-after-effect";
pub const NO_MESSAGE_LOST: &str = "no-message-lost";

pub const INVARIANTS: &[InvariantInfo] = &[
    InvariantInfo {
        name: EFFECT_AT_MOST_ONCE,
        summary: "No message's effect is applied twice (checked at most once, with the idempotent consumer and with the outbox).",
    },
    InvariantInfo {
        name: ACK_AFTER_EFFECT,
        summary: "The broker deletes a message on the consumer's ack only after its effect was applied (checked in every mode but at most once, which acks first on purpose).",
    },
    InvariantInfo {
        name: NO_MESSAGE_LOST,
        summary: "An outbox row is marked sent only while the broker holds the message or its effect is applied, so a committed message is never dropped on its way (checked with the outbox).",
    },
];

/// How a delivery the consumer worked on ended, for the timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// Still being worked on.
    Open,
    /// Acked (or, at most once, applied after the early ack).
    Done,
    /// The consumer crashed while working on it.
    Crashed,
}

/// One delivery the consumer worked on: from its arrival to its ack or a crash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkSpan {
    pub entry: EntryId,
    pub attempt: u32,
    pub id: MessageId,
    pub from: Time,
    pub to: Option<Time>,
    pub ending: Ending,
}

/// The incremental checker of a run.
#[derive(Clone, Debug)]
pub struct QueueChecker {
    mode: Mode,
    read_applied: usize,
    read_acked: usize,
    read_sent: usize,
    consumer_crashes: u32,
    /// When an effect was applied for the second (third...) time.
    duplicates: Vec<(Time, MessageId, u32)>,
    spans: Vec<WorkSpan>,
    /// Indices into `spans` of the deliveries still being worked on.
    open: Vec<usize>,
}

impl QueueChecker {
    pub fn new(mode: Mode) -> Self {
        QueueChecker {
            mode,
            read_applied: 0,
            read_acked: 0,
            read_sent: 0,
            consumer_crashes: 0,
            duplicates: Vec::new(),
            spans: Vec::new(),
            open: Vec::new(),
        }
    }

    /// Every effect applied more than once: when, which message, how many
    /// times by then (in every mode: at least once shows them without a
    /// violation).
    pub fn duplicates(&self) -> &[(Time, MessageId, u32)] {
        &self.duplicates
    }

    /// Every delivery the consumer worked on.
    pub fn spans(&self) -> &[WorkSpan] {
        &self.spans
    }

    fn follow_work(&mut self, nodes: &[QueueProcess], now: Time) {
        let Some(consumer) = nodes.get(CONSUMER.index()).and_then(QueueProcess::consumer) else {
            return;
        };
        let crashed = consumer.crashes() != self.consumer_crashes;
        self.consumer_crashes = consumer.crashes();
        let work = consumer.work();
        let spans = &mut self.spans;
        self.open.retain(|&index| {
            let span = &mut spans[index];
            let going = work
                .iter()
                .any(|w| w.entry == span.entry && w.attempt == span.attempt);
            if !going {
                span.to = Some(now);
                span.ending = if crashed {
                    Ending::Crashed
                } else {
                    Ending::Done
                };
            }
            going
        });
        for w in work {
            let known = self.open.iter().any(|&index| {
                let span = &self.spans[index];
                span.entry == w.entry && span.attempt == w.attempt
            });
            if !known {
                self.open.push(self.spans.len());
                self.spans.push(WorkSpan {
                    entry: w.entry,
                    attempt: w.attempt,
                    id: w.id,
                    from: now,
                    to: None,
                    ending: Ending::Open,
                });
            }
        }
    }
}

impl Checker<QueueProcess> for QueueChecker {
    fn check(
        &mut self,
        nodes: &[QueueProcess],
        _up: &[bool],
        changed: NodeId,
        now: Time,
        found: &mut Vec<Violation>,
    ) {
        let Some((producer, broker, consumer)) = parts(nodes) else {
            return;
        };
        match changed {
            CONSUMER => {
                let log = consumer.applied_log();
                let start = self.read_applied.min(log.len());
                for &id in &log[start..] {
                    let count = consumer.count(id);
                    if count < 2 {
                        continue;
                    }
                    self.duplicates.push((now, id, count));
                    if self.mode.promises_at_most_once() {
                        found.push(Violation {
                            invariant: EFFECT_AT_MOST_ONCE,
                            message: format!("{id}'s effect has been applied {count} times"),
                        });
                    }
                }
                self.read_applied = log.len();
                self.follow_work(nodes, now);
            }
            BROKER => {
                let acked = broker.acked();
                let start = self.read_acked.min(acked.len());
                if self.mode.acks_after_effect() {
                    for &id in &acked[start..] {
                        if consumer.count(id) == 0 {
                            found.push(Violation {
                                invariant: ACK_AFTER_EFFECT,
                                message: format!(
                                    "the broker deleted {id} on an ack, but its effect was never applied"
                                ),
                            });
                        }
                    }
                }
                self.read_acked = acked.len();
            }
            PRODUCER => {
                let sent = producer.sent_log();
                let start = self.read_sent.min(sent.len());
                if self.mode == Mode::Outbox {
                    for &id in &sent[start..] {
                        if !broker.holds(id) && consumer.count(id) == 0 {
                            found.push(Violation {
                                invariant: NO_MESSAGE_LOST,
                                message: format!(
                                    "{id}'s outbox row is marked sent, but the broker does not hold it and its effect was never applied"
                                ),
                            });
                        }
                    }
                }
                self.read_sent = sent.len();
            }
            _ => {}
        }
    }
}

/// The committed messages by how often their effect was applied: what the
/// page's chart draws.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Never applied, and no process holds it any more: nobody will deliver it.
    pub lost: u64,
    /// Not applied yet, but on its way (an unsent outbox row, a publish the
    /// producer waits to see acked, a queued entry, a delivery being worked on).
    pub on_the_way: u64,
    pub once: u64,
    pub duplicated: u64,
}

/// Tallies every message the producer committed (`m1..=mN`).
pub fn tally(nodes: &[QueueProcess]) -> Tally {
    let mut tally = Tally::default();
    let Some((producer, broker, consumer)) = parts(nodes) else {
        return tally;
    };
    for n in 1..=producer.committed() {
        let id = MessageId(n);
        match consumer.count(id) {
            0 if producer.holds(id) || broker.holds(id) || consumer.holds(id) => {
                tally.on_the_way += 1
            }
            0 => tally.lost += 1,
            1 => tally.once += 1,
            _ => tally.duplicated += 1,
        }
    }
    tally
}
