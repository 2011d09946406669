//! The producer (n0): a service with a local database that commits a business
//! row per message and must get the message to the broker.
//!
//! Without an outbox it commits the row, then publishes from memory: at most
//! once it waits for the broker's ack but never sends again; at least once it
//! sends again until the ack comes. Either way a crash between the commit and
//! the ack loses the message, since nothing durable says it still has to go
//! (the dual write of Richardson, "Microservices Patterns", 2018, chapter 3,
//! "Transactional messaging"). With the transactional outbox the row and an outbox row commit in
//! one local transaction, and a relay loop publishes unsent outbox rows and
//! marks each sent only after the broker acks it (Richardson's "Transactional
//! outbox" and "Polling publisher" patterns), so after a crash the relay simply
//! carries on.

use crate::sim::node::{Cx, Labelled};
use crate::sim::time::Time;
use crate::sim::view::{Cell, NodeSummary, Palette};

use super::message::{MessageId, Mode, QueueMessage, QueueOp, QueueTimer};
use super::process::{id_list, Config, QueueProcess, BROKER};

type Context<'a> = Cx<'a, QueueProcess>;

/// A row of the outbox table (durable).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutboxRow {
    pub id: MessageId,
    pub sent: bool,
    crash_consumer: bool,
}

/// A publish waiting for the broker's ack (volatile), or, in outbox mode, when
/// the relay last published an unsent row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pending {
    id: MessageId,
    crash_consumer: bool,
    published_at: Time,
}

#[derive(Clone, Debug)]
pub struct Producer {
    config: Config,
    // Durable: the database.
    /// Business rows committed: ids `m1..=m<committed>`.
    committed: u64,
    outbox: Vec<OutboxRow>,
    /// Outbox rows marked sent, in order (what the checker reads).
    sent_log: Vec<MessageId>,
    crashes: u32,
    // Volatile.
    pending: Vec<Pending>,
    crash_before_publish: bool,
    crash_consumer_next: bool,
    /// The relay's poll timer is set.
    relay_armed: bool,
}

impl Producer {
    pub fn new(config: Config) -> Self {
        Producer {
            config,
            committed: 0,
            outbox: Vec::new(),
            sent_log: Vec::new(),
            crashes: 0,
            pending: Vec::new(),
            crash_before_publish: false,
            crash_consumer_next: false,
            relay_armed: false,
        }
    }

    /// How many messages were committed (business rows): `m1..=m<n>`.
    pub fn committed(&self) -> u64 {
        self.committed
    }

    pub fn outbox(&self) -> &[OutboxRow] {
        &self.outbox
    }

    /// Outbox rows marked sent, in the order they were marked.
    pub fn sent_log(&self) -> &[MessageId] {
        &self.sent_log
    }

    pub fn crashes(&self) -> u32 {
        self.crashes
    }

    /// Whether the producer still holds `id` on its way: an unsent outbox row,
    /// or a publish it waits to see acked.
    pub fn holds(&self, id: MessageId) -> bool {
        self.pending.iter().any(|p| p.id == id)
            || self.outbox.iter().any(|row| row.id == id && !row.sent)
    }

    pub fn on_start(&mut self, cx: &mut Context) {
        self.arm_relay(cx);
    }

    /// Polls the outbox in a while if it has unsent rows (a poll that would
    /// find none is left out, so an idle producer draws nothing).
    fn arm_relay(&mut self, cx: &mut Context) {
        if !self.relay_armed && self.outbox.iter().any(|row| !row.sent) {
            self.relay_armed = true;
            cx.set_timer(QueueTimer::Relay, Config::RELAY);
        }
    }

    pub fn on_crash(&mut self) {
        self.relay_armed = false;
        self.pending.clear();
        self.crash_before_publish = false;
        self.crash_consumer_next = false;
        self.crashes += 1;
    }

    pub fn on_operation(&mut self, operation: QueueOp, cx: &mut Context) {
        match operation {
            QueueOp::Send { .. } => self.send(cx),
            QueueOp::CrashConsumerAfterEffect => {
                self.crash_consumer_next = true;
                cx.note(|| "the next message will crash the consumer right after its effect, before the ack".to_string());
            }
            QueueOp::CrashProducerBeforePublish => {
                self.crash_before_publish = true;
                cx.note(|| "the producer will crash right after committing its next message, before publishing it".to_string());
            }
        }
    }

    fn send(&mut self, cx: &mut Context) {
        self.committed += 1;
        let id = MessageId(self.committed);
        let crash_consumer = std::mem::take(&mut self.crash_consumer_next);
        if self.config.mode == Mode::Outbox {
            self.outbox.push(OutboxRow {
                id,
                sent: false,
                crash_consumer,
            });
            cx.note(|| format!("one local transaction commits {id}'s business row and its outbox row; the relay will publish it"));
            self.arm_relay(cx);
        } else {
            cx.note(|| format!("{id}'s business row is committed; now publish it"));
        }
        if std::mem::take(&mut self.crash_before_publish) {
            cx.note(|| match self.config.mode {
                Mode::Outbox => format!("the producer crashes before publishing {id}: its outbox row is durable, so the relay will"),
                _ => format!("the producer crashes before publishing {id}: nothing durable says it must still go, so {id} is lost"),
            });
            self.on_crash();
            self.on_start(cx);
            return;
        }
        if self.config.mode != Mode::Outbox {
            self.pending.push(Pending {
                id,
                crash_consumer,
                published_at: cx.now(),
            });
            self.publish(id, crash_consumer, cx);
        }
    }

    fn publish(&mut self, id: MessageId, crash_consumer: bool, cx: &mut Context) {
        cx.send(BROKER, QueueMessage::Publish { id, crash_consumer });
        if self.config.mode != Mode::Outbox {
            cx.set_timer(QueueTimer::PublishTimeout(id), Config::PUBLISH_TIMEOUT);
        }
    }

    pub fn on_publish_ack(&mut self, id: MessageId, cx: &mut Context) {
        if self.config.mode == Mode::Outbox {
            self.pending.retain(|p| p.id != id);
            match self.outbox.iter_mut().find(|row| row.id == id) {
                Some(row) if !row.sent => {
                    row.sent = true;
                    self.sent_log.push(id);
                    cx.note(|| format!("the broker has {id}: the relay marks its outbox row sent"));
                }
                Some(_) => cx.note(|| format!("{id}'s outbox row is already marked sent")),
                None => cx.note(|| format!("no outbox row {id}: ack ignored")),
            }
            return;
        }
        match self.pending.iter().position(|p| p.id == id) {
            Some(index) => {
                self.pending.remove(index);
                cx.cancel_timer(QueueTimer::PublishTimeout(id));
                cx.note(|| format!("the broker has {id}"));
            }
            None => cx.note(|| {
                format!("{id} is not waiting for an ack (acked before, or forgotten in a crash)")
            }),
        }
    }

    pub fn on_timer(&mut self, timer: QueueTimer, cx: &mut Context) {
        match timer {
            QueueTimer::PublishTimeout(id) => self.on_publish_timeout(id, cx),
            QueueTimer::Relay => self.relay(cx),
            _ => cx.note(|| format!("the producer has no {} timer", timer.label())),
        }
    }

    fn on_publish_timeout(&mut self, id: MessageId, cx: &mut Context) {
        let Some(index) = self.pending.iter().position(|p| p.id == id) else {
            return cx.note(|| format!("{id} is no longer waiting"));
        };
        if self.config.mode == Mode::AtMostOnce {
            self.pending.remove(index);
            cx.note(|| format!("no ack for {id}, and at most once never sends again: if the broker did not get it, {id} is lost"));
            return;
        }
        let crash_consumer = self.pending[index].crash_consumer;
        self.pending[index].published_at = cx.now();
        cx.note(|| format!("no ack for {id}: publish it again (the broker may now hold it twice)"));
        self.publish(id, crash_consumer, cx);
    }

    /// The relay's poll: publish every unsent outbox row not published within
    /// the publish timeout.
    fn relay(&mut self, cx: &mut Context) {
        let now = cx.now();
        let due: Vec<OutboxRow> = self
            .outbox
            .iter()
            .filter(|row| !row.sent)
            .filter(|row| {
                self.pending
                    .iter()
                    .find(|p| p.id == row.id)
                    .is_none_or(|p| {
                        now.since(p.published_at).as_micros() >= Config::PUBLISH_TIMEOUT.as_micros()
                    })
            })
            .copied()
            .collect();
        for row in due {
            self.pending.retain(|p| p.id != row.id);
            self.pending.push(Pending {
                id: row.id,
                crash_consumer: row.crash_consumer,
                published_at: now,
            });
            cx.note(|| format!("the relay publishes outbox row {}", row.id));
            self.publish(row.id, row.crash_consumer, cx);
        }
        self.relay_armed = false;
        self.arm_relay(cx);
    }

    pub fn summary(&self) -> NodeSummary {
        let unsent = self.outbox.iter().filter(|row| !row.sent).count();
        NodeSummary {
            role: "producer",
            palette: Palette::Lead,
            badge: format!("{}", self.committed),
            detail: match self.config.mode {
                Mode::Outbox => format!(
                    "{} messages committed, {unsent} outbox rows unsent",
                    self.committed
                ),
                _ => format!(
                    "{} messages committed, {} waiting for the broker's ack",
                    self.committed,
                    self.pending.len()
                ),
            },
        }
    }

    /// Cells: queue / outbox, dedupe store, effects, in progress, crashes.
    pub fn state_row(&self) -> Vec<Cell> {
        let store = match self.config.mode {
            Mode::Outbox => {
                let unsent = self.outbox.iter().filter(|row| !row.sent).map(|row| row.id);
                format!(
                    "{} rows; outbox unsent: {}",
                    self.committed,
                    id_list(unsent.collect::<Vec<_>>().into_iter(), 6)
                )
            }
            _ => format!("{} rows, no outbox", self.committed),
        };
        let waiting = id_list(self.pending.iter().map(|p| p.id), 6);
        vec![
            Cell::Text(store),
            Cell::Text("-".to_string()),
            Cell::Text("-".to_string()),
            Cell::Text(if waiting == "-" {
                waiting
            } else {
                format!("awaiting ack: {waiting}")
            }),
            Cell::Text(self.crashes.to_string()),
        ]
    }
}
