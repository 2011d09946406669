//! The broker (n1): a durable queue with at-least-once delivery, as SQS-like
//! queues do it. A publish becomes an entry (acked to the producer once it is
//! durable); delivering an entry hides it for the visibility timeout; an ack
//! deletes it; an entry still there when its timeout runs out becomes visible
//! and is delivered again. The broker does not deduplicate: two publishes of
//! one message are two entries, as in an SQS standard queue.

use crate::sim::node::{Cx, Labelled};
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::view::{Cell, NodeSummary, Palette};

use super::message::{EntryId, MessageId, QueueMessage, QueueTimer};
use super::process::{id_list, Config, QueueProcess, CONSUMER};

type Context<'a> = Cx<'a, QueueProcess>;

/// One queued copy of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub entry: EntryId,
    pub id: MessageId,
    crash_consumer: bool,
    /// Deliveries so far.
    pub attempts: u32,
    /// While delivered and unacked: when it becomes visible again.
    pub invisible_until: Option<Time>,
}

#[derive(Clone, Debug)]
pub struct Broker {
    // Durable: the queue and what left it.
    queue: Vec<Entry>,
    entries: u64,
    /// The message of every entry deleted by an ack, in order (what the
    /// checker reads).
    acked: Vec<MessageId>,
    crashes: u32,
}

impl Broker {
    pub fn new() -> Self {
        Broker {
            queue: Vec::new(),
            entries: 0,
            acked: Vec::new(),
            crashes: 0,
        }
    }

    pub fn queue(&self) -> &[Entry] {
        &self.queue
    }

    /// The messages of the entries deleted by acks, in order.
    pub fn acked(&self) -> &[MessageId] {
        &self.acked
    }

    /// Whether an entry of `id` is queued (visible or in flight).
    pub fn holds(&self, id: MessageId) -> bool {
        self.queue.iter().any(|e| e.id == id)
    }

    pub fn on_start(&mut self, cx: &mut Context) {
        self.pump(cx);
    }

    /// In-flight status is not kept across a crash: every entry is visible
    /// again at restart (a redelivery, which at-least-once allows).
    pub fn on_crash(&mut self) {
        for entry in &mut self.queue {
            entry.invisible_until = None;
        }
        self.crashes += 1;
    }

    pub fn on_publish(
        &mut self,
        from: NodeId,
        id: MessageId,
        crash_consumer: bool,
        cx: &mut Context,
    ) {
        self.entries += 1;
        let entry = EntryId(self.entries);
        let copies = self.queue.iter().filter(|e| e.id == id).count();
        self.queue.push(Entry {
            entry,
            id,
            crash_consumer,
            attempts: 0,
            invisible_until: None,
        });
        cx.note(|| match copies {
            0 => format!("{id} is queued durably as {entry}"),
            _ => format!(
                "{id} is queued again as {entry}: the queue now holds it {} times",
                copies + 1
            ),
        });
        cx.send(from, QueueMessage::PublishAck { id });
        let last = self.queue.len() - 1;
        self.deliver(last, cx);
        self.rearm(cx);
    }

    pub fn on_ack(&mut self, entry: EntryId, id: MessageId, cx: &mut Context) {
        match self.queue.iter().position(|e| e.entry == entry) {
            Some(index) => {
                let removed = self.queue.remove(index);
                self.acked.push(removed.id);
                cx.note(|| format!("{entry} ({}) is acked and deleted", removed.id));
                self.rearm(cx);
            }
            None => cx.note(|| format!("{entry} ({id}) was deleted before: ack ignored")),
        }
    }

    pub fn on_timer(&mut self, timer: QueueTimer, cx: &mut Context) {
        match timer {
            QueueTimer::Pump => self.pump(cx),
            _ => cx.note(|| format!("the broker has no {} timer", timer.label())),
        }
    }

    /// Delivers every visible entry, and looks again when the next one's
    /// visibility timeout runs out.
    fn pump(&mut self, cx: &mut Context) {
        let now = cx.now();
        for index in 0..self.queue.len() {
            if self.queue[index].invisible_until.is_none_or(|t| t <= now) {
                self.deliver(index, cx);
            }
        }
        self.rearm(cx);
    }

    /// Sets the pump for the earliest visibility deadline (none while the
    /// queue is empty: an idle broker draws nothing on the timeline).
    fn rearm(&mut self, cx: &mut Context) {
        let now = cx.now();
        match self.queue.iter().filter_map(|e| e.invisible_until).min() {
            Some(deadline) => {
                let wait = deadline
                    .since(now)
                    .as_micros()
                    .max(Config::PUMP.as_micros());
                cx.set_timer(QueueTimer::Pump, Duration(wait));
            }
            None => cx.cancel_timer(QueueTimer::Pump),
        }
    }

    fn deliver(&mut self, index: usize, cx: &mut Context) {
        let now = cx.now();
        let entry = &mut self.queue[index];
        let redelivery = entry.attempts > 0;
        entry.attempts += 1;
        entry.invisible_until = Some(now.after(Config::VISIBILITY));
        let message = QueueMessage::Deliver {
            entry: entry.entry,
            id: entry.id,
            attempt: entry.attempts,
            // The fault goes with the first delivery only, so a redelivery
            // after the crash can be processed.
            crash_consumer: entry.crash_consumer && entry.attempts == 1,
        };
        let (e, id) = (entry.entry, entry.id);
        if redelivery {
            cx.note(|| {
                format!("{e} ({id}) was not acked within the visibility timeout: deliver it again")
            });
        }
        cx.send(CONSUMER, message);
    }

    pub fn summary(&self) -> NodeSummary {
        let in_flight = self
            .queue
            .iter()
            .filter(|e| e.invisible_until.is_some())
            .count();
        NodeSummary {
            role: "broker",
            palette: Palette::Plain,
            badge: self.queue.len().to_string(),
            detail: format!(
                "{} entries queued ({in_flight} delivered, unacked), {} acked",
                self.queue.len(),
                self.acked.len()
            ),
        }
    }

    /// Cells: queue / outbox, dedupe store, effects, in progress, crashes.
    pub fn state_row(&self) -> Vec<Cell> {
        let queued = self.queue.iter().map(|e| format!("{}{}", e.id, e.entry));
        let in_flight = self
            .queue
            .iter()
            .filter(|e| e.invisible_until.is_some())
            .map(|e| format!("{}{} try {}", e.id, e.entry, e.attempts));
        vec![
            Cell::Text(format!(
                "queue: {}; {} acked",
                id_list(queued, 6),
                self.acked.len()
            )),
            Cell::Text("-".to_string()),
            Cell::Text("-".to_string()),
            Cell::Text(
                match id_list(in_flight.collect::<Vec<_>>().into_iter(), 4) {
                    none if none == "-" => none,
                    some => format!("unacked: {some}"),
                },
            ),
            Cell::Text(self.crashes.to_string()),
        ]
    }
}

impl Default for Broker {
    fn default() -> Self {
        Broker::new()
    }
}
