//! The invariants of the idempotency topic, checked after every step against a
//! registry of payments the checker keeps in real (global) time.
//!
//! The checker registers each payment when its client starts it, closes it when
//! the client has its final answer (or gives up), counts the charges the
//! server's ledger makes for it, and remembers the first charge id its client
//! was told. Against that registry, **with keys on**:
//!
//! - **one charge per key**: the ledger never holds two charges for the same
//!   idempotency key (the same payment). This is the promise of idempotency
//!   keys: a payment retried any number of times, over any loss, duplication
//!   or crash, has one effect.
//! - **consistent replay**: every success answer a client gets for a payment
//!   names the same charge: a retry replays the stored response, it does not
//!   make a new one.
//!
//! With keys off neither is claimed: the duplicate charges are the lesson, so
//! the checker counts them (for the timeline, the ledger and the chart) and
//! reports nothing.

use crate::lab::topic::InvariantInfo;
use crate::sim::checker::{Checker, Violation};
use crate::sim::time::{NodeId, Time};

use super::client::{Outcome, PaymentClient};
use super::message::{ChargeId, PaymentKey};
use super::process::PaymentProcess;
use super::server::PaymentServer;

pub const ONE_CHARGE_PER_KEY: &str = "one-charge-per-key";
pub const CONSISTENT_REPLAY: &str = "consistent-replay";

pub const INVARIANTS: &[InvariantInfo] = &[
    InvariantInfo {
        name: ONE_CHARGE_PER_KEY,
        summary: "With keys on, the ledger never holds two charges for the same idempotency key: a payment has one effect however often it is retried. Not checked with keys off, where the duplicates are the lesson.",
    },
    InvariantInfo {
        name: CONSISTENT_REPLAY,
        summary: "With keys on, every success answer a client gets for a payment names the same charge: retries replay the stored response.",
    },
];

/// A payment as the checker registered it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PaymentRecord {
    pub key: PaymentKey,
    /// When its client started it, in global time.
    pub started_at: Time,
    /// When its client had its final answer or gave up, in global time.
    pub answered_at: Option<Time>,
    pub outcome: Outcome,
    /// Charges the ledger holds for it.
    pub charges: u32,
    pub first_charge: Option<ChargeId>,
    /// The first charge its client was told of.
    pub first_receipt: Option<ChargeId>,
}

/// A duplicate charge: when the ledger took it, and for which payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DuplicateCharge {
    pub at: Time,
    pub key: PaymentKey,
    pub charge: ChargeId,
}

/// What the checker has read of one client.
#[derive(Clone, Debug, Default)]
struct ClientCursor {
    registered: usize,
    receipts: u64,
    /// Numbers of its payments registered and not closed.
    open: Vec<u32>,
}

/// How many payments there are, and how many the ledger charged once and more
/// than once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChargeCounts {
    pub payments: u64,
    pub charged_once: u64,
    pub charged_twice_or_more: u64,
}

/// The incremental checker.
#[derive(Clone, Debug)]
pub struct IdempotencyChecker {
    /// Whether the invariants are claimed (keys on).
    keys_on: bool,
    /// Every payment, sorted by key.
    payments: Vec<PaymentRecord>,
    duplicates: Vec<DuplicateCharge>,
    ledger_seen: usize,
    clients: Vec<ClientCursor>,
}

impl IdempotencyChecker {
    pub fn new(keys_on: bool) -> Self {
        IdempotencyChecker {
            keys_on,
            payments: Vec::new(),
            duplicates: Vec::new(),
            ledger_seen: 0,
            clients: Vec::new(),
        }
    }

    /// Every payment registered so far, in key order.
    pub fn payments(&self) -> &[PaymentRecord] {
        &self.payments
    }

    /// Every charge beyond the first for its payment, in the order made.
    pub fn duplicates(&self) -> &[DuplicateCharge] {
        &self.duplicates
    }

    pub fn counts(&self) -> ChargeCounts {
        let mut counts = ChargeCounts {
            payments: self.payments.len() as u64,
            ..ChargeCounts::default()
        };
        for payment in &self.payments {
            match payment.charges {
                0 => {}
                1 => counts.charged_once += 1,
                _ => counts.charged_twice_or_more += 1,
            }
        }
        counts
    }

    /// The record of `key`, registered at `now` if it is new.
    fn record(&mut self, key: PaymentKey, now: Time) -> &mut PaymentRecord {
        let at = match self.payments.binary_search_by(|p| p.key.cmp(&key)) {
            Ok(at) => at,
            Err(at) => {
                self.payments.insert(
                    at,
                    PaymentRecord {
                        key,
                        started_at: now,
                        answered_at: None,
                        outcome: Outcome::Outstanding,
                        charges: 0,
                        first_charge: None,
                        first_receipt: None,
                    },
                );
                at
            }
        };
        &mut self.payments[at]
    }

    fn check_server(&mut self, server: &PaymentServer, now: Time, found: &mut Vec<Violation>) {
        let charges = server.ledger().charges();
        let Some(new) = charges.get(self.ledger_seen..) else {
            return;
        };
        self.ledger_seen = charges.len();
        for charge in new {
            let record = self.record(charge.key, now);
            record.charges += 1;
            let first = *record.first_charge.get_or_insert(charge.id);
            let count = record.charges;
            if count < 2 {
                continue;
            }
            self.duplicates.push(DuplicateCharge {
                at: now,
                key: charge.key,
                charge: charge.id,
            });
            if self.keys_on {
                found.push(Violation {
                    invariant: ONE_CHARGE_PER_KEY,
                    message: format!(
                        "the ledger holds {count} charges for the key {}: {first} and now {}",
                        charge.key, charge.id
                    ),
                });
            }
        }
    }

    fn check_client(
        &mut self,
        me: usize,
        client: &PaymentClient,
        now: Time,
        found: &mut Vec<Violation>,
    ) {
        let mut cursor = std::mem::take(&mut self.clients[me]);
        let payments = client.payments();
        for payment in payments.get(cursor.registered..).unwrap_or_default() {
            self.record(payment.key, now);
            cursor.open.push(payment.key.number);
        }
        cursor.registered = cursor.registered.max(payments.len());
        cursor.open.retain(|&number| {
            let Some(payment) = (number as usize)
                .checked_sub(1)
                .and_then(|index| payments.get(index))
            else {
                return true;
            };
            if payment.outcome == Outcome::Outstanding {
                return true;
            }
            let record = self.record(payment.key, now);
            record.answered_at = Some(now);
            record.outcome = payment.outcome;
            false
        });
        let (receipts, last) = client.receipts();
        if receipts > cursor.receipts {
            cursor.receipts = receipts;
            if let Some((key, charge)) = last {
                let keys_on = self.keys_on;
                let record = self.record(key, now);
                match record.first_receipt {
                    None => record.first_receipt = Some(charge),
                    Some(first) if first != charge && keys_on => found.push(Violation {
                        invariant: CONSISTENT_REPLAY,
                        message: format!(
                            "{} was told {key} is paid as {first}, and now as {charge}",
                            client.id()
                        ),
                    }),
                    Some(_) => {}
                }
            }
        }
        self.clients[me] = cursor;
    }
}

impl Checker<PaymentProcess> for IdempotencyChecker {
    fn check(
        &mut self,
        nodes: &[PaymentProcess],
        _up: &[bool],
        changed: NodeId,
        now: Time,
        found: &mut Vec<Violation>,
    ) {
        if self.clients.len() < nodes.len() {
            self.clients.resize(nodes.len(), ClientCursor::default());
        }
        let me = changed.index();
        match nodes.get(me) {
            Some(PaymentProcess::Server(server)) => self.check_server(server, now, found),
            Some(PaymentProcess::Client(client)) => self.check_client(me, client, now, found),
            None => {}
        }
    }
}
