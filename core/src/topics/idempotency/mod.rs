//! Idempotency keys: how a payment API stays safe to retry over a network
//! that loses, duplicates and delays requests and answers.
//!
//! **Problem.** A client sends "charge $12.40" and hears nothing back. Was the
//! request lost, or the answer? It cannot know, so to be sure of paying it must
//! retry, and a retry of a request that did get through charges the customer
//! twice. Timeouts, crashes and duplicated packets make this the ordinary case,
//! not the rare one (Helland, "Idempotence Is Not a Medical Condition", ACM
//! Queue, 2012: messages are retried, so every operation they carry must be
//! idempotent, and the receiver must remember what it has done).
//!
//! **Idea.** The client gives each payment a unique idempotency key before its
//! first try and sends it with every retry. The server stores the key with the
//! response of the first request it ran, and answers any later request with the
//! same key from that store without doing the work again (Stripe API reference,
//! "Idempotent requests": the first response is saved, whether it succeeded or
//! failed, and later requests with the same key return it; keys are removed
//! once they are at least 24 hours old; a request whose key is still being
//! processed is answered 409 Conflict). For the stored response to be worth
//! anything, the key and the effect must be written together: Brandur Leach,
//! "Implementing Stripe-like Idempotency Keys in Postgres" (2017), keeps the key
//! row and the charge in one database, moves the key through recovery points
//! (`started`, ..., `finished`), each in its own transaction, and has the work
//! of a crashed request resumed from its last recovery point.
//!
//! **The model.** Node 0 is the payment API server; nodes 1.. are 1 to 3
//! clients (`clients`), which start payments (`rate` per second between them,
//! and the page's buttons) and retry each until they hear back or their
//! `retry-window-ms` is over: a reply timeout, then an exponential backoff with
//! jitter ([`client`]). The server works on each request for 20-60 ms, then
//! charges: it appends to a durable ledger and, a moment later, answers with
//! the charge id ([`server`]). With `keys` on it keeps a durable key store ([`store`]): a new
//! key is recorded in progress at once (Brandur's first recovery point), and
//! the charge, the stored response and the key marked done are one local
//! transaction; a retry with a done key gets the stored response (`replayed`);
//! a retry while the key is in progress gets 409 Conflict (Stripe's answer; the
//! client backs off and retries, and never causes a second charge); a done key
//! at least `key-ttl-ms` old is forgotten by the reaper, so a retry after that
//! charges again, which is why the time-to-live must outlast the retry window.
//! A restarted server resumes every key it finds in progress. With `keys` off
//! the server charges every request it gets.
//!
//! **Invariants** ([`checker`]), claimed with keys on only (with keys off the
//! duplicate charges are the lesson, counted and shown, not reported):
//! `one-charge-per-key` (the ledger never holds two charges for one key) and
//! `consistent-replay` (every success answer a client gets for a payment names
//! the same charge).
//!
//! **Bugs**: `key-stored-after-effect` (the server charges first and stores the
//! key in a separate, later write: a duplicated request or a retry that arrives
//! in between, or a crash in between, charges twice) and
//! `ttl-shorter-than-retry-window` (the server keeps keys a quarter of the
//! clients' retry window: a late retry finds its key forgotten and charges
//! again; the run sets that time-to-live whatever `key-ttl-ms` says). Both run
//! with keys on whatever `keys` says.
//!
//! **Where the model takes liberties.** A key is the client's id and payment
//! number (Stripe's are random strings the client makes); a key belongs to its
//! client (a request from another is dropped, as Stripe scopes keys to an
//! account); expiry counts from the key's first request, by the server's clock,
//! and the reaper runs when a request comes in; a key in progress never
//! expires; the charge is a row in the server's own ledger, so it can share a
//! transaction with the key (a charge at a card network would need the
//! network's own idempotency key, Brandur's "foreign state mutations"). The
//! fault plan knows two processes, the server and the first client, and its
//! "crash the focus" crashes the server; clients are crashed only by hand, and
//! keep their payments and keys across it.
//!
//! **Left out**: a key reused with different parameters (Stripe refuses it),
//! failed charges (a declined card is a stored response like any other), and
//! exhaustive exploration.

pub mod checker;
pub mod client;
pub mod message;
pub mod presets;
pub mod process;
pub mod server;
pub mod store;

use crate::lab::params::{self, LATENCY, REQUEST_RATE};
use crate::lab::protocol::{self, OperationButton, ProtocolTopic, Setup};
use crate::lab::topic::{BugInfo, Category, ParamSpec, TopicInfo, TopicKind};
use crate::sim::time::{Duration, NodeId};
use crate::sim::view::{Annotations, Bar, Chart, Mark, Palette, Span};
use crate::sim::world::Simulation;

use checker::{IdempotencyChecker, CONSISTENT_REPLAY, ONE_CHARGE_PER_KEY};
use client::{Outcome, PaymentClient};
use message::PaymentOp;
use process::{PaymentConfig, PaymentProcess, SERVER};
use server::{PaymentServer, PROCESSING_MS};

pub const BUG_KEY_STORED_AFTER_EFFECT: &str = "key-stored-after-effect";
pub const BUG_TTL_SHORTER_THAN_RETRY_WINDOW: &str = "ttl-shorter-than-retry-window";

pub const KEYS: &str = "keys";
pub const CLIENTS: &str = "clients";
pub const KEY_TTL: &str = "key-ttl-ms";
pub const RETRY_WINDOW: &str = "retry-window-ms";

const KEYS_PARAM: ParamSpec = ParamSpec {
    name: KEYS,
    label: "Idempotency keys",
    default: 1,
    min: 0,
    max: 1,
    step: 1,
    help: "Whether requests carry idempotency keys and the server stores them with its responses.",
    choices: &["off", "on"],
};

const CLIENTS_PARAM: ParamSpec = ParamSpec {
    name: CLIENTS,
    label: "Clients",
    default: 2,
    min: 1,
    max: 3,
    step: 1,
    help: "Client processes making payments.",
    choices: &[],
};

const RATE_PARAM: ParamSpec = ParamSpec {
    name: REQUEST_RATE,
    label: "Payments per second",
    default: 2,
    min: 0,
    max: 20,
    step: 1,
    help: "How often the clients start a new payment, all together.",
    choices: &[],
};

const KEY_TTL_PARAM: ParamSpec = ParamSpec {
    name: KEY_TTL,
    label: "Key time-to-live (ms)",
    default: 5_000,
    min: 100,
    max: 60_000,
    step: 100,
    help: "How long the server keeps a finished key and its response (Stripe: 24 hours). Keep it above the retry window.",
    choices: &[],
};

const RETRY_WINDOW_PARAM: ParamSpec = ParamSpec {
    name: RETRY_WINDOW,
    label: "Retry window (ms)",
    default: 2_000,
    min: 200,
    max: 20_000,
    step: 100,
    help: "How long a client keeps retrying a payment before it gives up not knowing.",
    choices: &[],
};

const DROP_PARAM: ParamSpec = ParamSpec {
    default: 10,
    ..params::DROP_PERCENT
};

/// The idempotency topic.
pub struct IdempotencyTopic;

pub static INFO: TopicInfo = TopicInfo {
    slug: "idempotency",
    title: "Idempotency keys",
    category: Category::Transactions,
    kind: TopicKind::Protocol,
    summary: "Clients pay through an API over a lossy network and retry when they hear nothing. Without idempotency keys a retry of a request that got through charges twice; with keys the server stores each response with its key and replays it. Send concurrent retries, crash the server mid-charge, let keys expire before clients stop retrying, and watch the ledger.",
    reference: "Stripe API reference, Idempotent requests; Brandur Leach, Implementing Stripe-like Idempotency Keys in Postgres (2017); Helland, Idempotence Is Not a Medical Condition, ACM Queue 2012",
    params: &[
        KEYS_PARAM,
        CLIENTS_PARAM,
        RATE_PARAM,
        KEY_TTL_PARAM,
        RETRY_WINDOW_PARAM,
        DROP_PARAM,
        params::latency(20),
    ],
    presets: &presets::PRESETS,
    bugs: &[
        BugInfo {
            name: BUG_KEY_STORED_AFTER_EFFECT,
            summary: "The server looks the key up but stores it only in a separate write after the charge: a duplicated request or a retry that arrives in between, or a crash in between, charges the payment again. Runs with keys on.",
            caught_by: &[ONE_CHARGE_PER_KEY, CONSISTENT_REPLAY],
            // Measured: 1861 of the first 2000 heavy seeds, never 4 misses in a row.
            budget: 20,
        },
        BugInfo {
            name: BUG_TTL_SHORTER_THAN_RETRY_WINDOW,
            summary: "The server keeps finished keys for a quarter of the clients' retry window (whatever key-ttl-ms says): a retry that comes later finds its key forgotten and charges again. Runs with keys on.",
            caught_by: &[ONE_CHARGE_PER_KEY, CONSISTENT_REPLAY],
            // Measured: 1947 of the first 2000 heavy seeds, never 3 misses in a row.
            budget: 20,
        },
    ],
    invariants: checker::INVARIANTS,
    expected: &[],
    columns: &[
        "process",
        "role",
        "keys / payments in flight",
        "ledger / answers",
        "requests",
    ],
    build: protocol::build::<IdempotencyTopic>,
};

/// The run's configuration from its parameters and bug.
fn config(setup: &Setup) -> PaymentConfig {
    let bug =
        setup.bug(BUG_KEY_STORED_AFTER_EFFECT) || setup.bug(BUG_TTL_SHORTER_THAN_RETRY_WINDOW);
    let retry_window = setup
        .param(RETRY_WINDOW)
        .clamp(RETRY_WINDOW_PARAM.min, RETRY_WINDOW_PARAM.max) as u64;
    let key_ttl = if setup.bug(BUG_TTL_SHORTER_THAN_RETRY_WINDOW) {
        retry_window / 4
    } else {
        setup
            .param(KEY_TTL)
            .clamp(KEY_TTL_PARAM.min, KEY_TTL_PARAM.max) as u64
    };
    let latency = setup.param(LATENCY).clamp(0, 300) as u64;
    let rate = setup.param(REQUEST_RATE).clamp(0, RATE_PARAM.max) as u64;
    PaymentConfig {
        keys: setup.param(KEYS) != 0 || bug,
        key_stored_after_effect: setup.bug(BUG_KEY_STORED_AFTER_EFFECT),
        key_ttl: Duration::from_millis(key_ttl),
        retry_window: Duration::from_millis(retry_window),
        // A round trip at the highest latency, the longest work, and a margin.
        reply_timeout: Duration::from_millis(2 * latency + PROCESSING_MS.1 + 60),
        payment_gap: (rate > 0).then(|| Duration(clients(setup) as u64 * 1_000_000 / rate)),
    }
}

fn clients(setup: &Setup) -> u32 {
    setup
        .param(CLIENTS)
        .clamp(CLIENTS_PARAM.min, CLIENTS_PARAM.max) as u32
}

impl ProtocolTopic for IdempotencyTopic {
    const INFO: &'static TopicInfo = &INFO;
    type Node = PaymentProcess;
    type Checker = IdempotencyChecker;
    const FOCUS_ROLE: &'static str = "payment server";

    /// The fault plan's processes: the server and the first client.
    const FIXED_NODES: usize = 2;

    fn setup(setup: &Setup) -> (Vec<PaymentProcess>, IdempotencyChecker) {
        let config = config(setup);
        let mut processes = vec![PaymentProcess::Server(PaymentServer::new(config))];
        processes.extend(
            (1..=clients(setup))
                .map(|i| PaymentProcess::Client(PaymentClient::new(NodeId(i), config))),
        );
        (processes, IdempotencyChecker::new(config.keys))
    }

    /// The server, while it runs: the fault plan's "crash the focus" crashes it.
    fn focus(_nodes: &[PaymentProcess], up: &[bool]) -> Option<NodeId> {
        up.first().copied().unwrap_or(false).then_some(SERVER)
    }

    /// The clients run the workload themselves.
    fn planned_request(_index: u64) -> Option<PaymentOp> {
        None
    }

    const OPERATIONS: &'static [OperationButton] = &[
        OperationButton {
            label: "Send payment",
            help: "The chosen client starts a new payment with a fresh idempotency key",
            at_node: true,
        },
        OperationButton {
            label: "Retry now",
            help: "The chosen client sends its latest payment again at once, with the same key (a new payment if the latest is past its retry window)",
            at_node: true,
        },
        OperationButton {
            label: "Send two concurrent retries",
            help: "The chosen client sends its latest payment twice at once, with the same key",
            at_node: true,
        },
    ];

    fn operation(button: usize, at: NodeId, setup: &Setup, _sent: u64) -> Option<PaymentOp> {
        if at == SERVER || at.0 > clients(setup) {
            return None;
        }
        match button {
            0 => Some(PaymentOp::Pay),
            1 => Some(PaymentOp::RetryNow),
            2 => Some(PaymentOp::TwoConcurrentRetries),
            _ => None,
        }
    }

    /// Each payment on its client's lane from its first try to its final
    /// answer, and a mark at every duplicate charge.
    const ANNOTATED: bool = true;

    fn annotations(simulation: &Simulation<PaymentProcess, IdempotencyChecker>) -> Annotations {
        let checker = simulation.checker();
        let spans = checker
            .payments()
            .iter()
            .map(|payment| Span {
                node: payment.key.client,
                from: payment.started_at,
                to: payment.answered_at,
                label: match payment.charges {
                    0 | 1 => payment.key.to_string(),
                    n => format!("{} charged x{n}", payment.key),
                },
                palette: match (payment.charges, payment.outcome) {
                    (2.., _) => Palette::Faulty,
                    (_, Outcome::Outstanding) => Palette::Contend,
                    (_, Outcome::Paid(_)) => Palette::Done,
                    (_, Outcome::GaveUp) => Palette::Suspect,
                },
            })
            .collect();
        let marks = checker
            .duplicates()
            .iter()
            .map(|duplicate| Mark {
                at: duplicate.at,
                label: format!("{} charged again ({})", duplicate.key, duplicate.charge),
            })
            .collect();
        Annotations { spans, marks }
    }

    /// The ledger in three numbers: payments the clients started, payments
    /// charged once, payments charged twice or more.
    const CHARTED: bool = true;

    fn charts(simulation: &Simulation<PaymentProcess, IdempotencyChecker>) -> Vec<Chart> {
        let counts = simulation.checker().counts();
        let bar = |label: &str, value: u64, palette: Palette| Bar {
            label: label.to_string(),
            value,
            palette,
        };
        vec![Chart {
            title: "Payments in the ledger".into(),
            unit: "",
            caption: "payments the clients started, and how often the server charged each".into(),
            bars: vec![
                bar("payments", counts.payments, Palette::Plain),
                bar("charged once", counts.charged_once, Palette::Done),
                bar(
                    "charged twice or more",
                    counts.charged_twice_or_more,
                    Palette::Faulty,
                ),
            ],
        }]
    }
}

#[cfg(test)]
mod tests;
