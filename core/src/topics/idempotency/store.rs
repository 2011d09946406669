//! The server's durable state: the key store (idempotency keys with their state
//! and stored response) and the ledger of charges. Both survive a crash; in a
//! real API they are tables of one database (Brandur Leach's `idempotency_keys`
//! and `charges`), which is what lets the server change them together in one
//! local transaction.

use crate::sim::time::{Duration, Time};

use super::message::{ChargeId, PaymentKey};

/// Where a key's request stands (Brandur's recovery points, reduced to the
/// two this model has).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyState {
    /// The key is recorded and its request is being worked on: a second request
    /// with it must not start another charge.
    InProgress,
    /// The charge is in the ledger and this is the stored response, replayed to
    /// every retry.
    Done { charge: ChargeId },
}

/// One row of the key store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KeyRecord {
    pub key: PaymentKey,
    /// The request's parameters, kept with the key.
    pub amount: u64,
    pub state: KeyState,
    /// When the key was first stored, by the server's clock: its age, and so
    /// its expiry, counts from here (Stripe removes keys "at least 24 hours
    /// old").
    pub created_at: Time,
}

/// The key store: rows sorted by key, so a lookup is a binary search.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct KeyStore {
    records: Vec<KeyRecord>,
}

impl KeyStore {
    pub fn records(&self) -> &[KeyRecord] {
        &self.records
    }

    pub fn find(&self, key: PaymentKey) -> Option<&KeyRecord> {
        self.position(key).ok().map(|at| &self.records[at])
    }

    fn position(&self, key: PaymentKey) -> Result<usize, usize> {
        self.records.binary_search_by(|record| record.key.cmp(&key))
    }

    /// Stores `record`, replacing a row with the same key. Returns the row it
    /// replaced.
    pub fn put(&mut self, record: KeyRecord) -> Option<KeyRecord> {
        match self.position(record.key) {
            Ok(at) => Some(std::mem::replace(&mut self.records[at], record)),
            Err(at) => {
                self.records.insert(at, record);
                None
            }
        }
    }

    /// Marks `key` done with `charge`; false if it is not in progress.
    pub fn complete(&mut self, key: PaymentKey, charge: ChargeId) -> bool {
        match self.position(key) {
            Ok(at) if self.records[at].state == KeyState::InProgress => {
                self.records[at].state = KeyState::Done { charge };
                true
            }
            _ => false,
        }
    }

    /// Forgets every finished key at least `ttl` old at `now` (the reaper), and
    /// says how many. A key still in progress is kept: its request holds it.
    pub fn forget_expired(&mut self, now: Time, ttl: Duration) -> usize {
        let before = self.records.len();
        self.records.retain(|record| {
            record.state == KeyState::InProgress || now.since(record.created_at) < ttl
        });
        before - self.records.len()
    }

    pub fn in_progress(&self) -> impl Iterator<Item = &KeyRecord> {
        self.records
            .iter()
            .filter(|record| record.state == KeyState::InProgress)
    }
}

/// One charge in the ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Charge {
    pub id: ChargeId,
    /// The payment it was made for.
    pub key: PaymentKey,
    pub amount: u64,
}

/// The ledger: every charge ever made, in order. Append-only.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Ledger {
    charges: Vec<Charge>,
}

impl Ledger {
    pub fn charges(&self) -> &[Charge] {
        &self.charges
    }

    /// Appends a charge for `key` and returns it; its id is one higher than the
    /// last.
    pub fn charge(&mut self, key: PaymentKey, amount: u64) -> Charge {
        let charge = Charge {
            id: ChargeId(self.charges.len() as u64 + 1),
            key,
            amount,
        };
        self.charges.push(charge);
        charge
    }

    /// How many charges the ledger holds for `key`.
    pub fn count(&self, key: PaymentKey) -> usize {
        self.charges
            .iter()
            .filter(|charge| charge.key == key)
            .count()
    }

    /// Every payment charged more than once, with its number of charges, in key
    /// order.
    pub fn duplicates(&self) -> Vec<(PaymentKey, usize)> {
        let mut keys: Vec<PaymentKey> = self.charges.iter().map(|charge| charge.key).collect();
        keys.sort_unstable();
        let mut found: Vec<(PaymentKey, usize)> = Vec::new();
        for pair in keys.windows(2) {
            if pair[0] == pair[1] {
                match found.last_mut() {
                    Some((key, count)) if *key == pair[0] => *count += 1,
                    _ => found.push((pair[0], 2)),
                }
            }
        }
        found
    }

    /// How many different payments the ledger charged.
    pub fn payments(&self) -> usize {
        let duplicates: usize = self.duplicates().iter().map(|(_, n)| n - 1).sum();
        self.charges.len() - duplicates
    }
}
