//! The three processes of a run as one sans-IO [`Node`] type: n0 is the
//! [`Producer`], n1 the [`Broker`], n2 the [`Consumer`]. This file holds what
//! they share (the configuration and its timing) and dispatches; the rules are
//! in `producer.rs`, `broker.rs` and `consumer.rs`.

use crate::sim::node::{Cx, Labelled, Node};
use crate::sim::time::{Duration, NodeId};
use crate::sim::view::{Cell, NodeSummary};

use super::broker::Broker;
use super::consumer::Consumer;
use super::message::{Mode, QueueMessage, QueueOp, QueueTimer};
use super::producer::Producer;

pub const PRODUCER: NodeId = NodeId(0);
pub const BROKER: NodeId = NodeId(1);
pub const CONSUMER: NodeId = NodeId(2);

/// How a run is set up, as every process sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    pub mode: Mode,
    /// The `dedupe-not-atomic` bug: the consumer writes its dedupe record in a
    /// separate step after the effect, together with the ack.
    pub dedupe_not_atomic: bool,
}

impl Config {
    /// How long the consumer works on a delivery before applying its effect.
    pub const WORK_MIN: Duration = Duration::from_millis(5);
    pub const WORK_MAX: Duration = Duration::from_millis(15);
    /// From the effect's transaction to the ack leaving the consumer (the
    /// commit returning, a batch of acks): the window of the classic duplicate.
    pub const ACK_MIN: Duration = Duration::from_millis(5);
    pub const ACK_MAX: Duration = Duration::from_millis(15);
    /// How long a delivered entry stays invisible before the broker delivers
    /// it again (SQS's visibility timeout).
    pub const VISIBILITY: Duration = Duration::from_millis(300);
    /// The least wait between two looks of the broker for visible entries (it
    /// looks when the earliest visibility timeout runs out).
    pub const PUMP: Duration = Duration::from_millis(50);
    /// How often the outbox relay polls.
    pub const RELAY: Duration = Duration::from_millis(50);
    /// How long the producer (or relay) waits for the broker's ack of a publish
    /// before sending it again (or, at most once, forgetting it).
    pub const PUBLISH_TIMEOUT: Duration = Duration::from_millis(200);
}

/// The producer, the broker or the consumer.
#[derive(Clone, Debug)]
pub enum QueueProcess {
    Producer(Producer),
    Broker(Broker),
    Consumer(Consumer),
}

impl QueueProcess {
    pub fn producer(&self) -> Option<&Producer> {
        match self {
            QueueProcess::Producer(producer) => Some(producer),
            _ => None,
        }
    }

    pub fn broker(&self) -> Option<&Broker> {
        match self {
            QueueProcess::Broker(broker) => Some(broker),
            _ => None,
        }
    }

    pub fn consumer(&self) -> Option<&Consumer> {
        match self {
            QueueProcess::Consumer(consumer) => Some(consumer),
            _ => None,
        }
    }
}

/// The three processes of `nodes`, if it is a run's cluster.
pub fn parts(nodes: &[QueueProcess]) -> Option<(&Producer, &Broker, &Consumer)> {
    match nodes {
        [QueueProcess::Producer(p), QueueProcess::Broker(b), QueueProcess::Consumer(c)] => {
            Some((p, b, c))
        }
        _ => None,
    }
}

impl Node for QueueProcess {
    type Msg = QueueMessage;
    type Timer = QueueTimer;
    type Op = QueueOp;

    fn on_start(&mut self, cx: &mut Cx<Self>) {
        match self {
            QueueProcess::Producer(producer) => producer.on_start(cx),
            QueueProcess::Broker(broker) => broker.on_start(cx),
            QueueProcess::Consumer(_) => {}
        }
    }

    fn on_message(&mut self, from: NodeId, msg: QueueMessage, cx: &mut Cx<Self>) {
        match (self, msg) {
            (QueueProcess::Producer(producer), QueueMessage::PublishAck { id }) => {
                producer.on_publish_ack(id, cx)
            }
            (QueueProcess::Broker(broker), QueueMessage::Publish { id, crash_consumer }) => {
                broker.on_publish(from, id, crash_consumer, cx)
            }
            (QueueProcess::Broker(broker), QueueMessage::Ack { entry, id }) => {
                broker.on_ack(entry, id, cx)
            }
            (
                QueueProcess::Consumer(consumer),
                QueueMessage::Deliver {
                    entry,
                    id,
                    attempt,
                    crash_consumer,
                },
            ) => consumer.on_deliver(from, entry, id, attempt, crash_consumer, cx),
            (_, msg) => cx.note(|| format!("{} is not for this process: dropped", msg.label())),
        }
    }

    fn on_timer(&mut self, timer: QueueTimer, cx: &mut Cx<Self>) {
        match self {
            QueueProcess::Producer(producer) => producer.on_timer(timer, cx),
            QueueProcess::Broker(broker) => broker.on_timer(timer, cx),
            QueueProcess::Consumer(consumer) => consumer.on_timer(timer, cx),
        }
    }

    fn on_operation(&mut self, operation: QueueOp, cx: &mut Cx<Self>) {
        match self {
            QueueProcess::Producer(producer) => producer.on_operation(operation, cx),
            _ => cx.note(|| format!("'{operation}' is for the producer (n0)")),
        }
    }

    fn on_crash(&mut self) {
        match self {
            QueueProcess::Producer(producer) => producer.on_crash(),
            QueueProcess::Broker(broker) => broker.on_crash(),
            QueueProcess::Consumer(consumer) => consumer.on_crash(),
        }
    }

    fn summary(&self) -> NodeSummary {
        match self {
            QueueProcess::Producer(producer) => producer.summary(),
            QueueProcess::Broker(broker) => broker.summary(),
            QueueProcess::Consumer(consumer) => consumer.summary(),
        }
    }

    fn state_row(&self) -> Vec<Cell> {
        match self {
            QueueProcess::Producer(producer) => producer.state_row(),
            QueueProcess::Broker(broker) => broker.state_row(),
            QueueProcess::Consumer(consumer) => consumer.state_row(),
        }
    }
}

/// `ids` as the state table prints them: the last `count`, after a count of
/// the rest.
pub fn id_list<T: std::fmt::Display>(
    items: impl ExactSizeIterator<Item = T>,
    count: usize,
) -> String {
    let total = items.len();
    if total == 0 {
        return "-".to_string();
    }
    let skip = total.saturating_sub(count);
    let shown: Vec<String> = items.skip(skip).map(|i| i.to_string()).collect();
    if skip > 0 {
        format!("{skip} more, {}", shown.join(" "))
    } else {
        shown.join(" ")
    }
}
