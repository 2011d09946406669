//! Exactly-once's guided scenarios. Every preset runs with no automatic
//! workload and every link at 20 ms, so each story is the one its script
//! forces: m1 goes through untouched, then m2 meets the crash the story is
//! about. The narration's times were read off each preset's trace
//! (`distlab run exactly-once --preset NAME`); tests replay every preset and
//! assert its story happens.

use crate::lab::protocol::{at, node};
use crate::lab::protocol::{ProtocolPreset, Setup};
use crate::lab::topic::say;
use crate::lab::topic::PresetInfo;
use crate::sim::action::{Action, TimedAction};
use crate::sim::time::Duration;

use super::message::QueueOp;
use super::BUG_DEDUPE_NOT_ATOMIC;

const AT_MOST_ONCE: &[(&str, i64)] = &[("mode", 0), ("rate", 0)];
const AT_LEAST_ONCE: &[(&str, i64)] = &[("mode", 1), ("rate", 0)];
const IDEMPOTENT: &[(&str, i64)] = &[("mode", 2), ("rate", 0)];
const OUTBOX: &[(&str, i64)] = &[("mode", 3), ("rate", 0)];

pub const PRESETS: &[ProtocolPreset] = &[
    ProtocolPreset {
        info: PresetInfo {
            name: "at-most-once-loss",
            title: "At most once: a crash loses a message",
            summary: "The consumer acks m2 on receipt, then crashes before applying it: the broker has deleted it, so its effect never happens.",
            seed: 1,
            params: AT_MOST_ONCE,
            bug: None,
            narration: &[
                say(0, "At most once: the consumer records each message as received and acks it before doing any work; the producer never publishes a message twice."),
                say(100, "m1: the producer commits its row and publishes; the broker queues and delivers it; the consumer records receipt, acks, works, and applies the effect. Balance 1."),
                say(540, "m2 arrives. The consumer records it as received and sends its ack at once, before any work."),
                say(542, "The consumer crashes before the work is done: m2's effect was never applied."),
                say(560, "The ack reaches the broker, which deletes m2. Nobody holds m2 any more, and the consumer would skip it as received if it ever came back."),
                say(800, "The consumer restarts. m2 is lost for good: the chart counts it under lost (0), and the balance stays 1. No effect was applied twice, which is all at most once promises."),
            ],
        },
        script: at_most_once_loss,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "at-least-once-duplicate",
            title: "At least once: a crash applies a message twice",
            summary: "The consumer applies m2 and crashes before acking it; the broker delivers m2 again after the visibility timeout, and the consumer applies it a second time.",
            seed: 2,
            params: AT_LEAST_ONCE,
            bug: None,
            narration: &[
                say(0, "At least once: the consumer acks only after the effect's transaction commits, and the broker delivers again whatever is not acked within its 300 ms visibility timeout."),
                say(100, "m1 goes through: delivered, applied, acked, deleted."),
                say(500, "m2 is sent; it will crash the consumer right after its effect, before the ack."),
                say(547, "The consumer applies m2 (balance 2) and crashes before acking. The broker still holds m2 and waits out its visibility timeout."),
                say(820, "The timeout has run out: the broker delivers m2 again, try 2. The consumer has no record that it applied m2, so it works on it like a new message."),
                say(851, "m2's effect is applied a second time: balance 3 for two messages. The timeline marks it; at least once does not promise otherwise, so no invariant is broken."),
            ],
        },
        script: crash_consumer_after_effect,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "idempotent-consumer",
            title: "Idempotent consumer: the same crash, once",
            summary: "The same crash as at least once, but the consumer committed m2's id to its dedupe store with the effect, so the redelivery is skipped.",
            seed: 2,
            params: IDEMPOTENT,
            bug: None,
            narration: &[
                say(0, "An idempotent consumer: each effect and its message id in the dedupe store commit in one local transaction, and a delivery whose id is in the store is skipped."),
                say(100, "m1 goes through, and m1 is in the dedupe store."),
                say(547, "m2: the effect and the dedupe record commit together (balance 2), and the consumer crashes before acking, exactly as at least once did."),
                say(820, "The broker delivers m2 again after its visibility timeout."),
                say(851, "m2 is in the dedupe store: the consumer skips the effect and only acks. Balance 2 for two messages: exactly once, as Kleppmann puts it, is really effectively once."),
            ],
        },
        script: crash_consumer_after_effect,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "producer-crash-loses",
            title: "No outbox: a producer crash loses a message",
            summary: "The producer commits m2's business row and crashes before publishing it. Its retries were in memory, so even an idempotent consumer never sees m2.",
            seed: 3,
            params: IDEMPOTENT,
            bug: None,
            narration: &[
                say(0, "An idempotent consumer, but no outbox: the producer commits its business row, then publishes from memory and retries until the broker acks."),
                say(100, "m1 goes through."),
                say(500, "m2's business row commits, and the producer crashes before publishing it (and restarts). What it meant to publish was in memory."),
                say(800, "m3 is sent after the restart and goes through: the producer works again. But nothing will ever publish m2: its business row exists, its effect never will, and the chart counts it under lost (0). A database write and a publish to a broker are a dual write, and a crash splits them."),
            ],
        },
        script: crash_producer_before_publish,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "outbox-survives-producer-crash",
            title: "Transactional outbox: the crash loses nothing",
            summary: "The same producer crash with a transactional outbox: m2's outbox row committed with its business row, and the relay publishes it after the restart.",
            seed: 3,
            params: OUTBOX,
            bug: None,
            narration: &[
                say(0, "A transactional outbox: the producer writes each message to an outbox table in the same local transaction as its business row; a relay polls the outbox every 50 ms, publishes unsent rows, and marks a row sent once the broker acks it."),
                say(100, "m1's row and outbox row commit; the relay publishes it, the broker acks, the row is marked sent, and the consumer applies m1."),
                say(500, "m2's business row and outbox row commit in one transaction, and the producer crashes before anything is published (and restarts)."),
                say(550, "The relay polls after the restart, finds m2 unsent in the outbox and publishes it. The broker queues it and acks; the row is marked sent."),
                say(596, "The consumer applies m2 once. End to end: every committed message applied exactly once, even across a producer crash."),
                say(896, "m3, sent after the restart, goes the same way. Three messages committed, three effects, each applied once: the chart shows them all under exactly once (1)."),
            ],
        },
        script: crash_producer_before_publish,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "dedupe-not-atomic-unsafe",
            title: "Dedupe record written late (bug)",
            summary: "The consumer writes the dedupe record after the effect, in a separate step; it crashes in between, and the redelivery applies m2 a second time.",
            seed: 2,
            params: OUTBOX,
            bug: Some(BUG_DEDUPE_NOT_ATOMIC),
            narration: &[
                say(0, "The bug is on: the consumer applies each effect in one transaction and writes the message id to its dedupe store later, with the ack."),
                say(100, "m1 goes through; its dedupe record is written when the ack goes out."),
                say(597, "m2's effect is applied, and the consumer crashes before the dedupe record is written and before the ack."),
                say(870, "The broker delivers m2 again after its visibility timeout. The dedupe store has no m2: its record was to be written with the ack, which never happened."),
                say(901, "So the consumer applies m2's effect again, and the checker flags effect-at-most-once. Switch the bug off and replay: the record commits with the effect, and the redelivery is skipped."),
            ],
        },
        script: crash_consumer_after_effect,
    },
];

fn to_producer(operation: QueueOp) -> Action {
    Action::operation(Some(node(0)), &operation)
}

fn send(request: u64) -> Action {
    to_producer(QueueOp::Send { request })
}

/// Every link at `ms` milliseconds, so the stories' instants are fixed.
fn every_link(ms: u64) -> Action {
    Action::SetLatency {
        min: Duration::from_millis(ms),
        max: Duration::from_millis(ms),
    }
}

fn at_most_once_loss(_: &Setup) -> Vec<TimedAction> {
    vec![
        at(0, every_link(20)),
        at(100, send(1)),
        at(500, send(2)),
        at(542, Action::Crash(node(2))),
        at(800, Action::Restart(node(2))),
    ]
}

fn crash_consumer_after_effect(_: &Setup) -> Vec<TimedAction> {
    vec![
        at(0, every_link(20)),
        at(100, send(1)),
        at(500, to_producer(QueueOp::CrashConsumerAfterEffect)),
        at(500, send(2)),
    ]
}

fn crash_producer_before_publish(_: &Setup) -> Vec<TimedAction> {
    vec![
        at(0, every_link(20)),
        at(100, send(1)),
        at(500, to_producer(QueueOp::CrashProducerBeforePublish)),
        at(500, send(2)),
        at(800, send(3)),
    ]
}
