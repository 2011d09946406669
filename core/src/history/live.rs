//! Checking a history while it grows, for a page that re-checks after every step.
//!
//! A key's verdict depends only on that key's operations (and their indices), so the
//! live checker keeps, per key, its verdict and a 64-bit fingerprint of each of its
//! operations (not the operations: the simulator's checker is copied into every
//! snapshot of a run, and a list's reads carry the whole list), and searches again
//! only the keys whose operations differ from last time: the key of a new invoke,
//! or of an operation that just completed.

use std::hash::BuildHasher;

use super::check::{check_key, operations_by_key, Combined, KeyResult, DEFAULT_MAX_STATES};
use super::event::{History, Key};
use super::hash::FixedState;
use super::Verdict;

/// A checker that remembers each key's verdict between calls.
#[derive(Clone, Debug)]
pub struct LiveChecker {
    max_states: u64,
    /// The number of events at the last call.
    events: usize,
    /// Sorted by key.
    keys: Vec<(Key, CachedKey)>,
    verdict: Verdict,
    rechecked: usize,
}

#[derive(Clone, Debug)]
struct CachedKey {
    /// Each operation's index and fingerprint.
    operations: Vec<(usize, u64)>,
    result: KeyResult,
}

impl Default for LiveChecker {
    fn default() -> Self {
        LiveChecker::new()
    }
}

impl LiveChecker {
    /// A checker with [`DEFAULT_MAX_STATES`], as [`super::check`] uses.
    pub fn new() -> Self {
        LiveChecker::with_budget(DEFAULT_MAX_STATES)
    }

    /// A checker with the budget of [`super::check_with_budget`].
    pub fn with_budget(max_states: u64) -> Self {
        LiveChecker {
            max_states,
            events: 0,
            keys: Vec::new(),
            verdict: Verdict::Linearizable(Default::default()),
            rechecked: 0,
        }
    }

    /// Checks `history`, re-checking only keys whose operations changed since the last
    /// call. The verdict is the one [`super::check_with_budget`] gives for the same
    /// history and budget.
    ///
    /// Histories are expected to grow by appended events; one shorter than last time
    /// (the player rewound) starts over. Any other change is still caught (but for
    /// a 64-bit fingerprint collision), since each key's operations are compared,
    /// not assumed.
    pub fn check(&mut self, history: &History) -> &Verdict {
        if history.events.len() < self.events {
            self.keys.clear();
        }
        self.events = history.events.len();
        self.rechecked = 0;
        let operations = history.operations();
        let by_key = operations_by_key(&operations);
        self.keys
            .retain(|(key, _)| by_key.binary_search_by(|(k, _)| k.cmp(key)).is_ok());

        let mut combined = Combined::default();
        let mut decided = None;
        for (key, indices) in &by_key {
            let slot = self.keys.binary_search_by(|(k, _)| k.cmp(key));
            let unchanged =
                slot.ok().map(|at| &self.keys[at].1).is_some_and(|cached| {
                    cached.operations.len() == indices.len()
                        && cached.operations.iter().zip(indices).all(
                            |(&(index, fingerprint), &now)| {
                                index == now
                                    && operations
                                        .get(now)
                                        .is_some_and(|op| FixedState.hash_one(op) == fingerprint)
                            },
                        )
                });
            if !unchanged {
                self.rechecked += 1;
                let result = check_key(*key, &operations, indices, self.max_states);
                let own = indices
                    .iter()
                    .filter_map(|&i| operations.get(i).map(|op| (i, FixedState.hash_one(op))))
                    .collect();
                let cached = CachedKey {
                    operations: own,
                    result,
                };
                match slot {
                    Ok(at) => self.keys[at].1 = cached,
                    Err(at) => self.keys.insert(at, (*key, cached)),
                }
            }
            if let Ok(at) = self.keys.binary_search_by(|(k, _)| k.cmp(key)) {
                decided = combined.add(&self.keys[at].1.result);
                if decided.is_some() {
                    break;
                }
            }
        }
        self.verdict = match decided {
            Some(verdict) => verdict,
            None => combined.finish(),
        };
        &self.verdict
    }

    /// The verdict of the last [`LiveChecker::check`].
    pub fn verdict(&self) -> &Verdict {
        &self.verdict
    }

    /// How many keys the last [`LiveChecker::check`] searched again.
    pub fn rechecked(&self) -> usize {
        self.rechecked
    }
}
