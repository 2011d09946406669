//! The consumer (n2): applies each message's effect to its own database (a
//! balance, and an "applied effects" table: message id → times applied) and
//! acks the delivery. When it records what, and in which transaction, is the
//! whole topic:
//!
//! - at most once: record the id as received and ack on receipt, then work
//!   and apply; a crash in between loses the effect, a redelivery or a
//!   duplicate is acked and dropped;
//! - at least once: work, apply, and ack once the transaction has committed;
//!   a crash (or a lost ack) between the effect and the ack brings the message
//!   back, and it is applied again;
//! - idempotent consumer (Kleppmann, "Designing Data-Intensive
//!   Applications", 2017, chapter 11, "Idempotence"): the effect and the id in
//!   the dedupe store commit in one local transaction, and a delivery whose id
//!   is in the store is skipped and acked. With the `dedupe-not-atomic` bug
//!   the id is written in a later step, with the ack.

use crate::sim::node::{Cx, Labelled};
use crate::sim::time::{Duration, NodeId};
use crate::sim::view::{Cell, NodeSummary, Palette};

use super::message::{EntryId, MessageId, Mode, QueueMessage, QueueTimer};
use super::process::{id_list, Config, QueueProcess, BROKER};

type Context<'a> = Cx<'a, QueueProcess>;

/// A delivery the consumer is working on (volatile).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Work {
    pub entry: EntryId,
    pub id: MessageId,
    pub attempt: u32,
    crash_after_effect: bool,
    /// The effect's transaction has committed; the ack is due.
    pub applied: bool,
}

#[derive(Clone, Debug)]
pub struct Consumer {
    config: Config,
    // Durable: the consumer's database.
    /// Message id → times its effect was applied, sorted by id.
    effects: Vec<(MessageId, u32)>,
    /// Every application of an effect, in order (what the checker reads).
    applied_log: Vec<MessageId>,
    /// The dedupe store (processed ids) or, at most once, the received ids;
    /// sorted.
    store: Vec<MessageId>,
    crashes: u32,
    // Volatile.
    work: Vec<Work>,
}

impl Consumer {
    pub fn new(config: Config) -> Self {
        Consumer {
            config,
            effects: Vec::new(),
            applied_log: Vec::new(),
            store: Vec::new(),
            crashes: 0,
            work: Vec::new(),
        }
    }

    /// How many times `id`'s effect was applied.
    pub fn count(&self, id: MessageId) -> u32 {
        match self.effects.binary_search_by_key(&id, |&(m, _)| m) {
            Ok(index) => self.effects[index].1,
            Err(_) => 0,
        }
    }

    pub fn effects(&self) -> &[(MessageId, u32)] {
        &self.effects
    }

    pub fn applied_log(&self) -> &[MessageId] {
        &self.applied_log
    }

    /// The dedupe store (or, at most once, the received ids).
    pub fn store(&self) -> &[MessageId] {
        &self.store
    }

    pub fn work(&self) -> &[Work] {
        &self.work
    }

    pub fn crashes(&self) -> u32 {
        self.crashes
    }

    /// Whether the consumer is working on `id`.
    pub fn holds(&self, id: MessageId) -> bool {
        self.work.iter().any(|w| w.id == id)
    }

    fn stored(&self, id: MessageId) -> bool {
        self.store.binary_search(&id).is_ok()
    }

    fn remember(&mut self, id: MessageId) {
        if let Err(index) = self.store.binary_search(&id) {
            self.store.insert(index, id);
        }
    }

    pub fn on_crash(&mut self) {
        self.work.clear();
        self.crashes += 1;
    }

    pub fn on_deliver(
        &mut self,
        from: NodeId,
        entry: EntryId,
        id: MessageId,
        attempt: u32,
        crash_after_effect: bool,
        cx: &mut Context,
    ) {
        if from != BROKER {
            return cx.note(|| format!("a delivery of {id} from {from}, not the broker: dropped"));
        }
        if self
            .work
            .iter()
            .any(|w| w.entry == entry && w.attempt == attempt)
        {
            return cx.note(|| {
                format!("{entry} try {attempt} is already being worked on: duplicate dropped")
            });
        }
        if self.config.mode == Mode::AtMostOnce {
            if self.stored(id) {
                cx.note(|| format!("{id} was received before: ack and drop it"));
                return cx.send(BROKER, QueueMessage::Ack { entry, id });
            }
            // Receipt first, then the ack, then the work: a crash from here
            // to the effect loses it.
            self.remember(id);
            cx.send(BROKER, QueueMessage::Ack { entry, id });
            cx.note(|| format!("{id} is recorded as received and acked before any work: a crash now loses its effect"));
        }
        self.work.push(Work {
            entry,
            id,
            attempt,
            crash_after_effect,
            applied: false,
        });
        let work = random(cx, Config::WORK_MIN, Config::WORK_MAX);
        cx.set_timer(QueueTimer::WorkDone { entry, attempt }, work);
    }

    pub fn on_timer(&mut self, timer: QueueTimer, cx: &mut Context) {
        let (entry, attempt) = match timer {
            QueueTimer::WorkDone { entry, attempt } | QueueTimer::AckDue { entry, attempt } => {
                (entry, attempt)
            }
            _ => return cx.note(|| format!("the consumer has no {} timer", timer.label())),
        };
        let Some(index) = self
            .work
            .iter()
            .position(|w| w.entry == entry && w.attempt == attempt)
        else {
            return cx.note(|| format!("no work on {entry} try {attempt} (lost in a crash)"));
        };
        match timer {
            QueueTimer::WorkDone { .. } => self.work_done(index, cx),
            _ => self.ack(index, cx),
        }
    }

    fn work_done(&mut self, index: usize, cx: &mut Context) {
        let work = self.work[index];
        let id = work.id;
        let mode = self.config.mode;
        if mode.idempotent() && self.stored(id) {
            self.work.remove(index);
            cx.note(|| format!("{id} is in the dedupe store: skip the effect, just ack"));
            return cx.send(
                BROKER,
                QueueMessage::Ack {
                    entry: work.entry,
                    id,
                },
            );
        }
        self.apply(id, cx);
        if mode.idempotent() && !self.config.dedupe_not_atomic {
            self.remember(id);
            cx.note(|| {
                format!("the effect and {id}'s dedupe record commit in one local transaction")
            });
        }
        if work.crash_after_effect {
            cx.note(|| {
                format!("the consumer crashes right after applying {id}'s effect, before the ack, and restarts")
            });
            return self.on_crash();
        }
        if mode == Mode::AtMostOnce {
            self.work.remove(index);
        } else {
            self.work[index].applied = true;
            let delay = random(cx, Config::ACK_MIN, Config::ACK_MAX);
            cx.set_timer(
                QueueTimer::AckDue {
                    entry: work.entry,
                    attempt: work.attempt,
                },
                delay,
            );
        }
    }

    fn ack(&mut self, index: usize, cx: &mut Context) {
        let work = self.work.remove(index);
        if self.config.mode.idempotent() && self.config.dedupe_not_atomic {
            self.remember(work.id);
            cx.note(|| format!("bug: {}'s dedupe record is written only now, with the ack, in a transaction of its own", work.id));
        }
        cx.send(
            BROKER,
            QueueMessage::Ack {
                entry: work.entry,
                id: work.id,
            },
        );
    }

    fn apply(&mut self, id: MessageId, cx: &mut Context) {
        let count = match self.effects.binary_search_by_key(&id, |&(m, _)| m) {
            Ok(index) => {
                self.effects[index].1 += 1;
                self.effects[index].1
            }
            Err(index) => {
                self.effects.insert(index, (id, 1));
                1
            }
        };
        self.applied_log.push(id);
        let balance = self.applied_log.len();
        cx.note(|| match count {
            1 => format!("{id}'s effect is applied: balance {balance}"),
            n => format!(
                "{id}'s effect is applied again ({n} times): balance {balance}, which is wrong"
            ),
        });
    }

    pub fn summary(&self) -> NodeSummary {
        let duplicated = self.effects.iter().filter(|&&(_, n)| n > 1).count();
        NodeSummary {
            role: "consumer",
            palette: if duplicated > 0 {
                Palette::Faulty
            } else if self.work.is_empty() {
                Palette::Plain
            } else {
                Palette::Contend
            },
            badge: self.applied_log.len().to_string(),
            detail: format!(
                "balance {} from {} messages, {duplicated} applied more than once; working on {}",
                self.applied_log.len(),
                self.effects.len(),
                self.work.len()
            ),
        }
    }

    /// Cells: queue / outbox, dedupe store, effects, in progress, crashes.
    pub fn state_row(&self) -> Vec<Cell> {
        let store = match self.config.mode {
            Mode::AtMostOnce => format!("received: {}", id_list(self.store.iter(), 8)),
            Mode::AtLeastOnce => "-".to_string(),
            _ => id_list(self.store.iter(), 8),
        };
        let effects = self.effects.iter().map(|&(id, n)| match n {
            1 => id.to_string(),
            n => format!("{id}×{n}"),
        });
        let work = self.work.iter().map(|w| {
            format!(
                "{}{} {}",
                w.id,
                w.entry,
                if w.applied {
                    "applied, ack due"
                } else {
                    "working"
                }
            )
        });
        vec![
            Cell::Text("-".to_string()),
            Cell::Text(store),
            Cell::Text(format!(
                "balance {}: {}",
                self.applied_log.len(),
                id_list(effects, 8)
            )),
            Cell::Text(id_list(work, 4)),
            Cell::Text(self.crashes.to_string()),
        ]
    }
}

fn random(cx: &mut Context, low: Duration, high: Duration) -> Duration {
    Duration(cx.rng.range_inclusive(low.as_micros(), high.as_micros()))
}
