//! The payment API server: it takes `Pay` requests, works on each for a few
//! milliseconds (the card network's authorization), charges, and answers.
//!
//! **Keys on** (Stripe's idempotent requests; Brandur Leach's Postgres
//! design): a request whose key is new is recorded in progress at once (the
//! key row, Brandur's first recovery point); when the work is done one local
//! transaction appends the charge to the ledger, stores the response with the
//! key and marks it done, and a moment later the answer goes out (a crash in
//! between loses the answer, never the charge or the stored response). A request whose key is
//! done gets the stored response again (`replayed`) and charges nothing. A
//! request whose key is in progress gets 409 Conflict, as Stripe answers, and
//! its client tries again later: never a second charge. The reaper forgets
//! every finished key at least `key-ttl` old when a request comes in; a retry
//! after that is a new request and charges again, which is why the time-to-live
//! must outlast the clients' retry window.
//!
//! **Keys off**: every request is worked on and charged.
//!
//! **Crash**: the key store and the ledger are durable; the work in hand is
//! not. On restart the server resumes every key it finds in progress (the role
//! of Brandur's completer), so a request that crashed mid-way is charged once,
//! and its answer goes to its client.
//!
//! **The `key-stored-after-effect` bug**: the server looks the key up, but
//! records it only in a separate write after the charge. A retry (or a
//! duplicated request) that arrives before that write finds no key and charges
//! again, and a crash between the charge and the write loses the key for good.

use crate::sim::node::Cx;
use crate::sim::time::{Duration, NodeId};
use crate::sim::view::{Cell, NodeSummary};

use super::message::{cents, ChargeId, PaymentKey, PaymentMessage, PaymentTimer, Role};
use super::process::{ignore, PaymentConfig, PaymentProcess};
use super::store::{Charge, KeyRecord, KeyState, KeyStore, Ledger};

/// How long the work on a request takes, drawn from this range (ms).
pub const PROCESSING_MS: (u64, u64) = (20, 60);
/// How long after the commit the response goes out (ms).
pub const RESPOND_MS: (u64, u64) = (1, 5);
/// How long after the charge the buggy server's separate key write lands (ms).
pub const STORE_DELAY_MS: (u64, u64) = (5, 15);

/// A request the server is working on (volatile).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Work {
    number: u64,
    key: PaymentKey,
    amount: u64,
    /// The charge made for it, once made (until the response is out, or the
    /// buggy server has stored the key).
    charge: Option<ChargeId>,
}

/// The payment API server.
#[derive(Clone, Debug)]
pub struct PaymentServer {
    config: PaymentConfig,
    keys: KeyStore,
    ledger: Ledger,
    work: Vec<Work>,
    next_work: u64,
    // Tallies for the view (not protocol state).
    received: u64,
    replayed: u64,
    conflicts: u64,
    expired: u64,
    duplicate_charges: u64,
}

impl PaymentServer {
    pub fn new(config: PaymentConfig) -> Self {
        PaymentServer {
            config,
            keys: KeyStore::default(),
            ledger: Ledger::default(),
            work: Vec::new(),
            next_work: 1,
            received: 0,
            replayed: 0,
            conflicts: 0,
            expired: 0,
            duplicate_charges: 0,
        }
    }

    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    pub fn keys(&self) -> &KeyStore {
        &self.keys
    }

    /// Requests answered with a stored response.
    pub fn replayed(&self) -> u64 {
        self.replayed
    }

    /// Requests answered 409 Conflict.
    pub fn conflicts(&self) -> u64 {
        self.conflicts
    }

    /// Charges the ledger holds beyond the first for their payment.
    pub fn duplicate_charges(&self) -> u64 {
        self.duplicate_charges
    }

    pub fn on_start(&mut self, cx: &mut Cx<PaymentProcess>) {
        // Recovery: every key in progress lost its work in the crash; resume it.
        let resumed: Vec<(PaymentKey, u64)> = self
            .keys
            .in_progress()
            .map(|record| (record.key, record.amount))
            .collect();
        for &(key, amount) in &resumed {
            self.start_work(key, amount, cx);
        }
        if !resumed.is_empty() {
            let count = resumed.len();
            cx.note(|| format!("restarts and resumes the {count} key(s) it finds in progress"));
        }
    }

    pub fn on_crash(&mut self) {
        // The key store and the ledger are on disk; the work in hand is lost.
        self.work.clear();
    }

    pub fn on_message(
        &mut self,
        from: NodeId,
        message: PaymentMessage,
        cx: &mut Cx<PaymentProcess>,
    ) {
        let PaymentMessage::Pay { key, amount, .. } = message else {
            return ignore(&message, cx);
        };
        if key.client != from || !self.config.is_client(from) {
            cx.note(|| {
                format!("drops Pay {key} from {from}: a key belongs to the client that made it")
            });
            return;
        }
        self.received += 1;
        if !self.config.keys {
            cx.note(|| {
                format!("Pay {key}: no idempotency key, so it charges as for a new payment")
            });
            return self.start_work(key, amount, cx);
        }
        let now = cx.now();
        let forgotten = self.keys.forget_expired(now, self.config.key_ttl);
        if forgotten > 0 {
            self.expired += forgotten as u64;
            let ttl = self.config.key_ttl;
            cx.note(|| format!("the reaper forgets {forgotten} key(s) older than {ttl}"));
        }
        match self.keys.find(key).map(|record| record.state) {
            Some(KeyState::Done { charge }) => {
                // Stripe: "subsequent requests with the same key return the same
                // result", without running the request again.
                self.replayed += 1;
                cx.note(|| {
                    format!("Pay {key}: the key is done, replays the stored response {charge}")
                });
                cx.send(
                    from,
                    PaymentMessage::Charged {
                        key,
                        charge,
                        amount,
                        replayed: true,
                    },
                );
            }
            Some(KeyState::InProgress) => {
                // Stripe answers 409 Conflict while the first request with the
                // key is still being processed; the client retries later.
                self.conflicts += 1;
                cx.note(|| format!("Pay {key}: the key is in progress, answers 409 Conflict"));
                cx.send(from, PaymentMessage::Conflict { key });
            }
            None if self.config.key_stored_after_effect => {
                cx.note(|| {
                    format!("Pay {key}: a new key; charges first and will store the key after")
                });
                self.start_work(key, amount, cx);
            }
            None => {
                // Brandur's first recovery point: the key row, in its own
                // transaction, before any work.
                self.keys.put(KeyRecord {
                    key,
                    amount,
                    state: KeyState::InProgress,
                    created_at: now,
                });
                cx.note(|| format!("Pay {key}: a new key, recorded in progress"));
                self.start_work(key, amount, cx);
            }
        }
    }

    fn start_work(&mut self, key: PaymentKey, amount: u64, cx: &mut Cx<PaymentProcess>) {
        let number = self.next_work;
        self.next_work += 1;
        self.work.push(Work {
            number,
            key,
            amount,
            charge: None,
        });
        let (low, high) = PROCESSING_MS;
        let took = cx.rng.range_inclusive(low * 1_000, high * 1_000);
        cx.set_timer(PaymentTimer::Process(number), Duration(took));
    }

    pub fn on_timer(&mut self, timer: PaymentTimer, cx: &mut Cx<PaymentProcess>) {
        match timer {
            PaymentTimer::Process(number) => self.on_processed(number, cx),
            PaymentTimer::Respond(number) => self.on_respond(number, cx),
            PaymentTimer::StoreKey(number) => self.on_store_key(number, cx),
            other => ignore(&other, cx),
        }
    }

    fn take_work(&mut self, number: u64) -> Option<Work> {
        let at = self.work.iter().position(|work| work.number == number)?;
        Some(self.work.remove(at))
    }

    fn charge(&mut self, key: PaymentKey, amount: u64) -> Charge {
        let charge = self.ledger.charge(key, amount);
        if self.ledger.count(key) > 1 {
            self.duplicate_charges += 1;
        }
        charge
    }

    fn on_processed(&mut self, number: u64, cx: &mut Cx<PaymentProcess>) {
        let Some(mut work) = self.take_work(number) else {
            return cx.note(|| format!("no request {number} in hand"));
        };
        let key = work.key;
        if !self.config.keys {
            let charge = self.charge(key, work.amount);
            cx.note(|| format!("charges {} for {key}: {}", cents(charge.amount), charge.id));
            return self.respond_soon(work, charge.id, cx);
        }
        if self.config.key_stored_after_effect {
            // The bug: the effect first, the key in a later, separate write.
            let charge = self.charge(key, work.amount);
            work.charge = Some(charge.id);
            self.work.push(work);
            let (low, high) = STORE_DELAY_MS;
            let delay = cx.rng.range_inclusive(low * 1_000, high * 1_000);
            cx.set_timer(PaymentTimer::StoreKey(number), Duration(delay));
            cx.note(|| {
                format!(
                    "charges {key}: {}; stores the key in a separate write",
                    charge.id
                )
            });
            return;
        }
        if self.keys.find(key).map(|record| record.state) != Some(KeyState::InProgress) {
            return cx.note(|| format!("{key} is no longer in progress: nothing to charge"));
        }
        // One local transaction: the charge, the stored response, the key done.
        let charge = self.charge(key, work.amount);
        self.keys.complete(key, charge.id);
        cx.note(|| {
            format!(
                "one transaction: charges {key} {} as {}, stores the response, marks the key done",
                cents(charge.amount),
                charge.id
            )
        });
        self.respond_soon(work, charge.id, cx);
    }

    /// Keeps `work` with its `charge` until the response goes out, a moment
    /// after the commit (a crash in between loses the response, not the charge).
    fn respond_soon(&mut self, mut work: Work, charge: ChargeId, cx: &mut Cx<PaymentProcess>) {
        work.charge = Some(charge);
        let number = work.number;
        self.work.push(work);
        let (low, high) = RESPOND_MS;
        let delay = cx.rng.range_inclusive(low * 1_000, high * 1_000);
        cx.set_timer(PaymentTimer::Respond(number), Duration(delay));
    }

    fn on_respond(&mut self, number: u64, cx: &mut Cx<PaymentProcess>) {
        match self.take_work(number) {
            Some(Work {
                key,
                amount,
                charge: Some(charge),
                ..
            }) => self.answer(key, charge, amount, cx),
            _ => cx.note(|| format!("no charged request {number} in hand")),
        }
    }

    fn on_store_key(&mut self, number: u64, cx: &mut Cx<PaymentProcess>) {
        let Some(Work {
            key,
            amount,
            charge: Some(charge),
            ..
        }) = self.take_work(number)
        else {
            return cx.note(|| format!("no charged request {number} in hand"));
        };
        let created_at = cx.now();
        let replaced = self.keys.put(KeyRecord {
            key,
            amount,
            state: KeyState::Done { charge },
            created_at,
        });
        cx.note(|| match replaced {
            Some(_) => format!("stores the key {key} with {charge}, over an earlier one"),
            None => format!("stores the key {key} with {charge}"),
        });
        self.answer(key, charge, amount, cx);
    }

    fn answer(
        &mut self,
        key: PaymentKey,
        charge: ChargeId,
        amount: u64,
        cx: &mut Cx<PaymentProcess>,
    ) {
        cx.send(
            key.client,
            PaymentMessage::Charged {
                key,
                charge,
                amount,
                replayed: false,
            },
        );
    }

    pub fn role(&self) -> Role {
        if self.duplicate_charges > 0 {
            Role::DoubleCharged
        } else if !self.work.is_empty() {
            Role::Charging
        } else {
            Role::Server
        }
    }

    pub fn summary(&self) -> NodeSummary {
        let role = self.role();
        NodeSummary {
            role: role.as_str(),
            palette: role.palette(),
            badge: format!("{} ch", self.ledger.charges().len()),
            detail: format!(
                "payment server: {} charges for {} payments, {} of them duplicates; keys {}",
                self.ledger.charges().len(),
                self.ledger.payments(),
                self.duplicate_charges,
                if self.config.keys { "on" } else { "off" }
            ),
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        let keys = if self.config.keys {
            let in_progress: Vec<String> = self
                .keys
                .in_progress()
                .map(|record| record.key.to_string())
                .collect();
            let done = self.keys.records().len() - in_progress.len();
            let mut text = format!(
                "{done} done, {} in progress{}; {} expired (ttl {})",
                in_progress.len(),
                if in_progress.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", in_progress.join(", "))
                },
                self.expired,
                self.config.key_ttl
            );
            if self.config.key_stored_after_effect {
                text.push_str("; stored after the charge");
            }
            text
        } else {
            "off: no key store".to_string()
        };
        let duplicates = self.ledger.duplicates();
        let ledger = format!(
            "{} charges for {} payments; {}",
            self.ledger.charges().len(),
            self.ledger.payments(),
            if duplicates.is_empty() {
                "no duplicates".to_string()
            } else {
                let list: Vec<String> = duplicates
                    .iter()
                    .map(|(key, count)| format!("{key} x{count}"))
                    .collect();
                format!("DUPLICATE CHARGES: {}", list.join(", "))
            }
        );
        vec![
            Cell::Text(keys),
            Cell::Text(ledger),
            Cell::Text(format!(
                "{} received, {} replayed, {} answered 409",
                self.received, self.replayed, self.conflicts
            )),
        ]
    }
}
