//! Exactly-once delivery: at most once, at least once, and the "effectively
//! once" that idempotence plus atomic commits make of at least once.
//!
//! **Problem.** A producer's business change must cause exactly one effect at
//! a consumer, through a broker, although any of the three may crash at any
//! instant and the network loses, duplicates and delays messages. No protocol
//! delivers a message exactly once over such a network: an ack can always be
//! lost after the effect, or the process can crash between the effect and the
//! ack, so the sender must choose between sending again (duplicates) and not
//! (losses).
//!
//! **Idea.** Choose at-least-once delivery, and make its duplicates harmless.
//! The broker delivers until acked: a delivery hides the entry for a
//! visibility timeout and an unacked entry comes back (as SQS and its kin do).
//! The consumer is idempotent: it records each processed message id in a dedupe
//! store in the *same local transaction* as the effect, and skips ids it has
//! seen (Kleppmann, "Designing Data-Intensive Applications", 2017, chapter 11,
//! "Fault tolerance": "Exactly-once execution of an operation", "Atomic commit
//! revisited" and "Idempotence": exactly once is really *effectively* once,
//! at-least-once delivery plus an idempotent effect committed atomically with
//! the record that it happened; Richardson, "Microservices Patterns", 2018,
//! chapter 3, "Handling duplicate messages", keeps the same table of processed
//! message ids). At the other end the producer's "commit my row, then
//! publish" is a dual write that a crash in the middle splits; the
//! transactional outbox (Richardson, chapter 3, "Transactional messaging":
//! the "Transactional outbox" and "Polling publisher" patterns) commits the
//! message as an outbox row in the business transaction, and a relay publishes
//! unsent rows and marks each sent after the broker acks it, so a committed
//! message is always published, perhaps more than once, which the consumer
//! absorbs.
//!
//! **The model.** Three processes: the producer (n0) with its database, the
//! broker (n1) with a durable queue, the consumer (n2) with its database (a
//! balance and an applied-effects table, message id → times applied, plus the
//! dedupe store). Messages are sent by the seeded workload (`rate`), the
//! page's Client request and Send message buttons. The `mode` parameter:
//! - *At most once*: the consumer records receipt and acks before working; the
//!   producer never publishes twice. A crash before the effect, or a lost
//!   publish, loses the message.
//! - *At least once*: the consumer acks after the effect's transaction
//!   commits; the producer publishes again until the broker acks. A crash (or a
//!   lost ack) between effect and ack duplicates; a producer crash before the
//!   broker's ack still loses (its retries were in memory).
//! - *Idempotent consumer*: at least once, with the dedupe store.
//! - *Transactional outbox* (the default): the idempotent consumer and the
//!   outbox with a relay: effectively once, end to end.
//!
//! Three page buttons, all handled by the producer: *Send message* (as the
//! Client request button), *Crash consumer after effect* (the producer marks
//! its next message, whose first delivery crashes the consumer right after
//! its effect, before the ack: the classic duplicate) and *Crash producer
//! before publish* (the producer crashes right after committing its next
//! message: the classic loss without an outbox). Such a crash is a crash and
//! an immediate restart inside the process (a process cannot take itself
//! down in the simulator), which drops its volatile state exactly as a real
//! crash does; the fault plan's crashes hit all three processes, and its
//! "crash the focus" crashes the producer.
//!
//! **Invariants** ([`checker`]): `effect-at-most-once`, `ack-after-effect`,
//! `no-message-lost`, each checked only in the modes that promise it. The
//! chart counts every committed message by effects applied: lost (0 and
//! nobody holds it), on its way (0), exactly once, duplicated (2+). The
//! timeline shows on the consumer's lane each delivery from its arrival to
//! its ack (the window the broker's visibility timeout must cover; cut short
//! by a crash in another colour), and marks every effect applied again.
//!
//! **Bug**: `dedupe-not-atomic` (the consumer writes the dedupe record in a
//! separate step after the effect, with the ack: a crash in between, or a
//! redelivery racing it, applies the effect twice).
//!
//! **Left out.** Broker-side deduplication (SQS FIFO's deduplication id,
//! Kafka's idempotent producer) and Kafka's transactions; transaction-log
//! tailing for the relay; ordering; dedupe store expiry; the effect reaching
//! a third system (which needs its own idempotence key: the idempotency
//! topic). Exploration is not offered: the visibility timeout and the relay
//! are timers whose order matters.

pub mod broker;
pub mod checker;
pub mod consumer;
pub mod message;
pub mod presets;
pub mod process;
pub mod producer;

use crate::lab::params;
use crate::lab::protocol::{self, OperationButton, ProtocolTopic, Setup};
use crate::lab::topic::{BugInfo, Category, ParamSpec, TopicInfo, TopicKind};
use crate::sim::time::NodeId;
use crate::sim::view::{Annotations, Bar, Chart, Mark, Palette, Span};
use crate::sim::world::Simulation;

use broker::Broker;
use checker::{tally, Ending, QueueChecker, EFFECT_AT_MOST_ONCE};
use consumer::Consumer;
use message::{Mode, QueueOp};
use process::{Config, QueueProcess, CONSUMER, PRODUCER};
use producer::Producer;

pub const BUG_DEDUPE_NOT_ATOMIC: &str = "dedupe-not-atomic";

pub const MODE: &str = "mode";

const MODE_PARAM: ParamSpec = ParamSpec {
    name: MODE,
    label: "Delivery",
    default: 3,
    min: 0,
    max: 3,
    step: 1,
    help: "At most once (ack first, never resend), at least once (ack after the effect, resend until acked), an idempotent consumer (dedupe store in the effect's transaction), or that plus a transactional outbox at the producer.",
    choices: Mode::NAMES,
};

/// The exactly-once topic.
pub struct ExactlyOnceTopic;

pub static INFO: TopicInfo = TopicInfo {
    slug: "exactly-once",
    title: "Exactly-once delivery",
    category: Category::Transactions,
    kind: TopicKind::Protocol,
    summary: "A producer, a broker with visibility timeouts and a consumer. Crash the consumer between its effect and its ack, or the producer between its commit and its publish, and watch at-most-once lose messages, at-least-once apply them twice, and an idempotent consumer with a transactional outbox apply each exactly once; then write the dedupe record outside the effect's transaction and watch the checker catch a double effect.",
    reference: "Kleppmann, Designing Data-Intensive Applications, 2017 (chapter 11, exactly-once semantics, idempotence); Richardson, Microservices Patterns, 2018 (chapter 3, transactional outbox, polling publisher); Amazon SQS visibility timeout",
    params: &[
        MODE_PARAM,
        params::request_rate(2, 20),
        params::DROP_PERCENT,
        params::latency(30),
    ],
    presets: &presets::PRESETS,
    bugs: &[BugInfo {
        name: BUG_DEDUPE_NOT_ATOMIC,
        summary: "The idempotent consumer applies the effect in one transaction and writes the message id to its dedupe store in a later one, with the ack: a crash in between, or a redelivery racing it, applies the effect twice. Runs with the idempotent consumer when the mode is at most or at least once.",
        caught_by: &[EFFECT_AT_MOST_ONCE],
        // Measured: 1423 of the first 2000 heavy seeds, never more than 5
        // misses in a row.
        budget: 10,
    }],
    invariants: checker::INVARIANTS,
    columns: &[
        "process",
        "role",
        "queue / outbox",
        "dedupe store",
        "effects applied",
        "in progress",
        "crashes",
    ],
    expected: &[],
    build: protocol::build::<ExactlyOnceTopic>,
};

/// The run's configuration from its parameters and bug.
pub fn config(setup: &Setup) -> Config {
    let bug = setup.bug(BUG_DEDUPE_NOT_ATOMIC);
    let mut mode = Mode::from_param(setup.param(MODE));
    if bug && !mode.idempotent() {
        mode = Mode::IdempotentConsumer;
    }
    Config {
        mode,
        dedupe_not_atomic: bug,
    }
}

impl ProtocolTopic for ExactlyOnceTopic {
    const INFO: &'static TopicInfo = &INFO;
    type Node = QueueProcess;
    type Checker = QueueChecker;
    const FOCUS_ROLE: &'static str = "producer";
    const FIXED_NODES: usize = 3;

    fn setup(setup: &Setup) -> (Vec<QueueProcess>, QueueChecker) {
        let config = config(setup);
        let processes = vec![
            QueueProcess::Producer(Producer::new(config)),
            QueueProcess::Broker(Broker::new()),
            QueueProcess::Consumer(Consumer::new(config)),
        ];
        (processes, QueueChecker::new(config.mode))
    }

    /// The producer, while it runs: messages start there, and crashing it is
    /// the crash that loses messages without an outbox.
    fn focus(_nodes: &[QueueProcess], up: &[bool]) -> Option<NodeId> {
        up.first().copied().unwrap_or(false).then_some(PRODUCER)
    }

    fn client_request(index: u64) -> Option<QueueOp> {
        Some(QueueOp::Send { request: index })
    }

    const OPERATIONS: &'static [OperationButton] = &[
        OperationButton {
            label: "Send message",
            help: "The producer commits a new business row and sends its message",
            at_node: false,
        },
        OperationButton {
            label: "Crash consumer after effect",
            help: "The producer's next message makes the consumer crash right after applying its effect, before the ack (on its first delivery)",
            at_node: false,
        },
        OperationButton {
            label: "Crash producer before publish",
            help: "The producer crashes right after committing its next message, before publishing it",
            at_node: false,
        },
    ];

    fn operation(button: usize, _at: NodeId, _setup: &Setup, sent: u64) -> Option<QueueOp> {
        match button {
            0 => Some(QueueOp::Send {
                request: protocol::PAGE_REQUESTS_FROM + sent,
            }),
            1 => Some(QueueOp::CrashConsumerAfterEffect),
            2 => Some(QueueOp::CrashProducerBeforePublish),
            _ => None,
        }
    }

    /// On the consumer's lane, each delivery from its arrival to its ack (the
    /// visibility window the broker waits out), ended early by a crash in
    /// another colour; a mark wherever an effect is applied a second time.
    const ANNOTATED: bool = true;

    fn annotations(simulation: &Simulation<QueueProcess, QueueChecker>) -> Annotations {
        let checker = simulation.checker();
        let spans = checker
            .spans()
            .iter()
            .map(|span| Span {
                node: CONSUMER,
                from: span.from,
                to: span.to,
                label: format!("{} {}", span.id, span.entry),
                palette: match span.ending {
                    Ending::Open => Palette::Contend,
                    Ending::Done => Palette::Done,
                    Ending::Crashed => Palette::Suspect,
                },
            })
            .collect();
        let marks = checker
            .duplicates()
            .iter()
            .map(|&(at, id, count)| Mark {
                at,
                label: format!("{id} applied ×{count}"),
            })
            .collect();
        Annotations { spans, marks }
    }

    /// Every committed message by how often its effect was applied.
    const CHARTED: bool = true;

    fn charts(simulation: &Simulation<QueueProcess, QueueChecker>) -> Vec<Chart> {
        vec![effects_chart(&tally(simulation.nodes()))]
    }
}

/// The chart of `tally`: lost, on its way, exactly once, duplicated.
pub fn effects_chart(tally: &checker::Tally) -> Chart {
    let bar = |label: &str, value: u64, palette: Palette| Bar {
        label: label.to_string(),
        value,
        palette,
    };
    Chart {
        title: "Effects applied per message".into(),
        unit: "messages",
        caption: "every message the producer committed; lost: never applied and held by no process, so nobody will deliver it".into(),
        bars: vec![
            bar("lost (0)", tally.lost, Palette::Faulty),
            bar("on its way (0)", tally.on_the_way, Palette::Contend),
            bar("exactly once (1)", tally.once, Palette::Done),
            bar("duplicated (2+)", tally.duplicated, Palette::Suspect),
        ],
    }
}

#[cfg(test)]
mod tests;
