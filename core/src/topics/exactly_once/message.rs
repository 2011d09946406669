//! Exactly-once's vocabulary: message ids, the delivery modes, the messages
//! between producer, broker and consumer, the timers, and the operations a
//! person (or a preset) can send.

use std::fmt;

use crate::lab::scenario::CLIENT_REQUEST_CODE;
use crate::sim::action::{Operation, RawOperation};
use crate::sim::node::Labelled;

/// A business message, named by the producer when it commits it: `m1`, `m2`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageId(pub u64);

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "m{}", self.0)
    }
}

/// The broker's number for one copy of a message in its queue (SQS's receipt
/// handle, a log offset): two publishes of one message are two entries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntryId(pub u64);

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// The delivery guarantee a run is built for (the `mode` parameter, in this
/// order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mode {
    /// The consumer records receipt and acks before applying; the producer
    /// never retries. Messages can be lost, never applied twice.
    AtMostOnce,
    /// The consumer applies, then acks; the producer retries until the broker
    /// acks. Nothing is lost while the producer runs; duplicates happen.
    AtLeastOnce,
    /// At-least-once, and the consumer records each message id in a dedupe
    /// store in the same local transaction as the effect, skipping ids it has.
    IdempotentConsumer,
    /// The idempotent consumer, and the producer writes each message to an
    /// outbox table in the transaction of its business row; a relay publishes
    /// the outbox. Effectively once, end to end.
    Outbox,
}

impl Mode {
    pub const NAMES: &'static [&'static str] = &[
        "At most once",
        "At least once",
        "Idempotent consumer",
        "Transactional outbox",
    ];

    pub fn from_param(value: i64) -> Mode {
        match value {
            0 => Mode::AtMostOnce,
            1 => Mode::AtLeastOnce,
            2 => Mode::IdempotentConsumer,
            _ => Mode::Outbox,
        }
    }

    /// Whether the consumer keeps a dedupe store of processed ids.
    pub fn idempotent(self) -> bool {
        matches!(self, Mode::IdempotentConsumer | Mode::Outbox)
    }

    /// Whether the mode promises that no effect is applied twice.
    pub fn promises_at_most_once(self) -> bool {
        self != Mode::AtLeastOnce
    }

    /// Whether the consumer acks only after the effect is applied.
    pub fn acks_after_effect(self) -> bool {
        self != Mode::AtMostOnce
    }
}

/// The messages of a run.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum QueueMessage {
    /// Producer (or its relay) to broker: enqueue this message. `crash_consumer`
    /// marks the message whose first delivery makes the consumer crash right
    /// after applying its effect (the page's "Crash consumer after effect").
    Publish { id: MessageId, crash_consumer: bool },
    /// Broker to producer: the message is durably queued.
    PublishAck { id: MessageId },
    /// Broker to consumer: one delivery of a queued entry; the entry stays
    /// invisible for the visibility timeout, then is delivered again unless
    /// acked.
    Deliver {
        entry: EntryId,
        id: MessageId,
        attempt: u32,
        crash_consumer: bool,
    },
    /// Consumer to broker: delete the entry.
    Ack { entry: EntryId, id: MessageId },
}

impl Labelled for QueueMessage {
    fn kind(&self) -> &'static str {
        match self {
            QueueMessage::Publish { .. } => "Publish",
            QueueMessage::PublishAck { .. } => "PublishAck",
            QueueMessage::Deliver { .. } => "Deliver",
            QueueMessage::Ack { .. } => "Ack",
        }
    }

    fn label(&self) -> String {
        match self {
            QueueMessage::Publish { id, .. } => format!("PUBLISH {id}"),
            QueueMessage::PublishAck { id } => format!("QUEUED {id}"),
            QueueMessage::Deliver {
                entry, id, attempt, ..
            } => format!("DELIVER {id} ({entry}, try {attempt})"),
            QueueMessage::Ack { entry, id } => format!("ACK {id} ({entry})"),
        }
    }
}

/// The timers of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QueueTimer {
    /// Producer: the broker has not acked `id`'s publish; send it again
    /// (at-least-once) or forget it (at-most-once).
    PublishTimeout(MessageId),
    /// Producer in outbox mode: the relay polls the outbox.
    Relay,
    /// Broker: deliver every visible entry (new ones, and unacked ones whose
    /// visibility timeout ran out).
    Pump,
    /// Consumer: the work on one delivery is done; apply its effect.
    WorkDone { entry: EntryId, attempt: u32 },
    /// Consumer: the transaction of the effect has committed; ack.
    AckDue { entry: EntryId, attempt: u32 },
}

impl Labelled for QueueTimer {
    fn kind(&self) -> &'static str {
        match self {
            QueueTimer::PublishTimeout(_) => "publish-timeout",
            QueueTimer::Relay => "relay",
            QueueTimer::Pump => "pump",
            QueueTimer::WorkDone { .. } => "work-done",
            QueueTimer::AckDue { .. } => "ack",
        }
    }

    fn label(&self) -> String {
        match self {
            QueueTimer::PublishTimeout(id) => format!("no ack for {id}'s publish"),
            QueueTimer::Relay => "the relay polls the outbox".to_string(),
            QueueTimer::Pump => "deliver visible entries".to_string(),
            QueueTimer::WorkDone { entry, .. } => format!("work on {entry} done"),
            QueueTimer::AckDue { entry, .. } => format!("{entry}'s transaction committed: ack"),
        }
    }
}

/// What a person (or a preset) can ask of a run; every one goes to the
/// producer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueOp {
    /// The producer commits a new business row and sends its message
    /// (`request` only numbers the request in the trace).
    Send { request: u64 },
    /// The next message the producer sends makes the consumer crash right
    /// after applying its effect, before the ack (on its first delivery).
    CrashConsumerAfterEffect,
    /// The producer crashes right after committing its next message's
    /// business row (and outbox row), before publishing it.
    CrashProducerBeforePublish,
}

impl fmt::Display for QueueOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueueOp::Send { request } => write!(f, "send message (request {request})"),
            QueueOp::CrashConsumerAfterEffect => {
                f.write_str("the next message crashes the consumer after its effect")
            }
            QueueOp::CrashProducerBeforePublish => {
                f.write_str("the producer crashes before publishing its next message")
            }
        }
    }
}

const CRASH_CONSUMER_CODE: u32 = 1;
const CRASH_PRODUCER_CODE: u32 = 2;

impl Operation for QueueOp {
    fn to_raw(&self) -> RawOperation {
        match self {
            QueueOp::Send { request } => RawOperation::new(CLIENT_REQUEST_CODE, &[*request]),
            QueueOp::CrashConsumerAfterEffect => RawOperation::new(CRASH_CONSUMER_CODE, &[]),
            QueueOp::CrashProducerBeforePublish => RawOperation::new(CRASH_PRODUCER_CODE, &[]),
        }
    }

    fn from_raw(raw: &RawOperation) -> Option<Self> {
        match (raw.code, raw.args.as_slice()) {
            (CLIENT_REQUEST_CODE, &[request]) => Some(QueueOp::Send { request }),
            (CRASH_CONSUMER_CODE, &[]) => Some(QueueOp::CrashConsumerAfterEffect),
            (CRASH_PRODUCER_CODE, &[]) => Some(QueueOp::CrashProducerBeforePublish),
            _ => None,
        }
    }
}
