//! Bloom filters: a set in a few bits per item that may say "maybe" but never lies
//! about absence.
//!
//! # The problem
//!
//! A node wants to know whether a key might be in a large set (on disk, on another
//! node, in a cache) without storing the set. Wrong "maybe" answers are acceptable if
//! they are rare and the rate is known; a wrong "no" is not.
//!
//! # The idea
//!
//! Bloom ("Space/Time Trade-offs in Hash Coding with Allowable Errors", CACM 13(7),
//! 1970): keep `m` bits, all clear. To insert an item set the `k` bits at its `k`
//! hash positions; to query, check those bits. An inserted item always finds its bits
//! set, so there are no false negatives. A missing item is reported present only if
//! all its `k` bits were set by others: after `n` inserts a bit is still clear with
//! probability `(1 − 1/m)^(kn) ≈ e^(−kn/m)`, so the false-positive rate is about
//! `(1 − e^(−kn/m))^k` ([`false_positive_rate`]). For a target rate `p` the best
//! choice is `m = −n ln p / (ln 2)²` bits and `k = (m/n) ln 2` hashes ([`sizing`]):
//! about 9.6 bits per item for 1 %.
//!
//! # Positions: double hashing
//!
//! The `k` positions come from two hashes, as Kirsch and Mitzenmacher showed suffices
//! without raising the asymptotic false-positive rate ("Less Hashing, Same
//! Performance: Building a Better Bloom Filter", ESA 2006): `g_i = h1 + i·h2 mod m`
//! for `i = 0..k`. Here `(h1, h2)` are the two halves of the first 16 bytes of
//! SHA-256 of the item ([`crate::hashing::hash64_pair`]), `h1` is reduced mod `m` and
//! `h2` is mapped into `1..m` (`1 + h2 mod (m − 1)`) so the step is never 0 and the
//! `k` positions are not all one bit. Positions may still repeat when `m` is tiny or
//! shares a factor with the step; a repeated position simply checks the same bit
//! twice. The reductions use `%`, whose bias is below `m / 2^64`.
//!
//! # Counting filters
//!
//! A plain Bloom filter cannot delete: clearing a bit may erase another item.
//! [`CountingBloomFilter`] (Fan, Cao, Almeida and Broder, "Summary Cache: A Scalable
//! Wide-Area Web Cache Sharing Protocol", SIGCOMM 1998 / IEEE/ACM ToN 2000) keeps a
//! small counter per position instead of a bit; see its documentation for exactly
//! what deletion guarantees.
//!
//! # Determinism
//!
//! Sizes and positions use integer arithmetic and IEEE basic operations only
//! (`ln` and `exp` here are portable re-implementations, not the platform's), so a
//! filter built from the same inputs has the same bits natively and in wasm32.
//!
//! # Example
//!
//! ```
//! use distlab_core::bloom::{false_positive_rate, BloomFilter, CountingBloomFilter};
//!
//! let mut filter = BloomFilter::with_rate(1000, 0.01);
//! assert_eq!((filter.m(), filter.k()), (9586, 7));
//! filter.insert(b"alice");
//! assert!(filter.contains(b"alice")); // never a false negative
//! let why = filter.explain(b"bob");
//! assert_eq!(why.probes.len(), 7);    // the k bits checked, and whether each was set
//! assert_eq!(why.maybe_present, filter.contains(b"bob"));
//!
//! let p = false_positive_rate(9586, 7, 1000);
//! assert!((p - 0.01).abs() < 0.001);
//!
//! let mut counting = CountingBloomFilter::new(1024, 4);
//! counting.insert(b"x");
//! assert!(counting.remove(b"x").removed());
//! assert!(!counting.contains(b"x"));
//! ```

mod counting;
pub(crate) mod math;
mod theory;

pub use counting::{CountingBloomFilter, RemoveOutcome, DEFAULT_MAX_COUNT, MAX_COUNTERS};
pub use theory::{
    estimate_count, false_positive_rate, measure_false_positive_rate, optimal_bits, optimal_k,
    sizing, BloomSizing, FalsePositiveMeasurement, MAX_RATE, MIN_RATE,
};

use crate::hashing::hash64_pair;
use std::collections::BTreeSet;

/// The most bits a [`BloomFilter`] may have (2^30 bits = 128 MiB); larger requests are
/// clamped, so no input can ask for more memory than a browser tab has.
pub const MAX_BITS: usize = 1 << 30;

/// The most hash positions per item; larger `k` is clamped. The optimal `k` for the
/// smallest supported rate, [`MIN_RATE`], is 50.
pub const MAX_HASHES: u32 = 64;

/// The `k` positions of an item in a filter of `m` bits, by double hashing (see the
/// module documentation). `m` and `k` must already be clamped (`m >= 1`).
#[derive(Clone, Debug)]
pub(crate) struct Positions {
    next: u64,
    step: u64,
    m: u64,
    remaining: u32,
}

impl Positions {
    pub(crate) fn new(item: &[u8], m: usize, k: u32) -> Self {
        let (h1, h2) = hash64_pair(item);
        let m = m.max(1) as u64;
        let step = if m > 1 { 1 + h2 % (m - 1) } else { 0 };
        Positions {
            next: h1 % m,
            step,
            m,
            remaining: k,
        }
    }
}

impl Iterator for Positions {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let current = self.next;
        // Both terms are below m <= 2^30, so the sum cannot overflow.
        self.next = (current + self.step) % self.m;
        Some(current as usize)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining as usize, Some(self.remaining as usize))
    }
}

impl ExactSizeIterator for Positions {}

/// One checked bit: its index and whether it was set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BitProbe {
    /// The bit index, in `0..m`.
    pub index: usize,
    /// Whether the bit was set (for an insert trace: before this insert).
    pub set: bool,
}

/// Why a query answered as it did: the `k` bits checked, in hash order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryExplanation {
    /// The positions checked and whether each was set.
    pub probes: Vec<BitProbe>,
    /// True when every checked bit was set ("maybe present").
    pub maybe_present: bool,
}

impl QueryExplanation {
    /// The first checked position whose bit was clear: the proof of absence.
    pub fn first_clear(&self) -> Option<usize> {
        self.probes.iter().find(|p| !p.set).map(|p| p.index)
    }
}

/// The ground truth of a query, known only when the inserted items are known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueryOutcome {
    /// Not inserted, and the filter said so.
    TrueNegative,
    /// Inserted, and the filter said maybe.
    TruePositive,
    /// Not inserted, but every checked bit had been set by other items.
    FalsePositive,
    /// The list says the item was inserted but a bit is clear. A Bloom filter has no
    /// false negatives, so the list given does not match what was inserted.
    ListMismatch,
}

impl QueryOutcome {
    /// The outcome of a query the filter answered `maybe_present` for an item that
    /// `was_inserted` (or not).
    pub fn classify(maybe_present: bool, was_inserted: bool) -> QueryOutcome {
        match (maybe_present, was_inserted) {
            (false, false) => QueryOutcome::TrueNegative,
            (true, true) => QueryOutcome::TruePositive,
            (true, false) => QueryOutcome::FalsePositive,
            (false, true) => QueryOutcome::ListMismatch,
        }
    }
}

/// Which inserted items set one checked bit. `T` identifies an item: an index into
/// a list of inserted items by default, or whatever the caller names items by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BitSetters<T = usize> {
    /// The bit index.
    pub index: usize,
    /// The items with this position among their own, in the order given.
    pub items: Vec<T>,
}

/// For each distinct position of `explanation` (in first-probe order), the items
/// whose positions include it. `items` yields each item's name and positions.
pub fn setters_of<T, P>(
    explanation: &QueryExplanation,
    items: impl IntoIterator<Item = (T, P)>,
) -> Vec<BitSetters<T>>
where
    T: Clone + PartialEq,
    P: IntoIterator<Item = usize>,
{
    let mut setters: Vec<BitSetters<T>> = Vec::new();
    for probe in &explanation.probes {
        if !setters.iter().any(|s| s.index == probe.index) {
            setters.push(BitSetters {
                index: probe.index,
                items: Vec::new(),
            });
        }
    }
    for (item, positions) in items {
        for position in positions {
            if let Some(entry) = setters.iter_mut().find(|s| s.index == position) {
                if entry.items.last() != Some(&item) {
                    entry.items.push(item.clone());
                }
            }
        }
    }
    setters
}

/// A query explained against the list of inserted items: the probes, the ground
/// truth, and for each distinct checked position, who set it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryDiagnosis {
    /// The bits checked.
    pub explanation: QueryExplanation,
    /// True negative, true positive or false positive.
    pub outcome: QueryOutcome,
    /// For each distinct checked position (in first-probe order), the inserted items
    /// that have it among their positions. For a false positive every entry is
    /// non-empty: these are the items that together produced it.
    pub setters: Vec<BitSetters>,
}

/// What one insert did to the bits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InsertTrace {
    /// The item's positions in hash order, with whether each bit was already set.
    pub probes: Vec<BitProbe>,
    /// How many bits this insert turned on.
    pub newly_set: u32,
}

/// A Bloom filter of `m` bits and `k` hash positions per item (Bloom, 1970), with
/// positions by Kirsch–Mitzenmacher double hashing of SHA-256 (see the module
/// documentation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BloomFilter {
    /// Bit `i` is bit `i % 64` of word `i / 64`.
    words: Vec<u64>,
    m: usize,
    k: u32,
    len: usize,
}

impl BloomFilter {
    /// An empty filter of `m_bits` bits and `k` positions per item. `m_bits` is clamped
    /// to `1..=MAX_BITS` and `k` to `1..=MAX_HASHES`.
    pub fn new(m_bits: usize, k: u32) -> Self {
        let m = m_bits.clamp(1, MAX_BITS);
        let k = k.clamp(1, MAX_HASHES);
        BloomFilter {
            words: vec![0; m.div_ceil(64)],
            m,
            k,
            len: 0,
        }
    }

    /// An empty filter sized for `n` items at false-positive rate `p`:
    /// `m = ceil(−n ln p / (ln 2)²)`, `k = round((m/n) ln 2)`, at least 1. See
    /// [`sizing`] for how bad inputs are clamped (`n = 0` is treated as 1, `p` is
    /// clamped to `[MIN_RATE, MAX_RATE]`, NaN counts as `MAX_RATE`).
    pub fn with_rate(n: usize, p: f64) -> Self {
        let plan = sizing(n, p);
        BloomFilter::new(plan.m, plan.k)
    }

    /// Adds `item`: sets its `k` bits.
    pub fn insert(&mut self, item: &[u8]) {
        for index in Positions::new(item, self.m, self.k) {
            self.words[index / 64] |= 1 << (index % 64);
        }
        self.len = self.len.saturating_add(1);
    }

    /// Adds `item` and reports, for each of its positions, whether the bit was
    /// already set: what a step-by-step view highlights.
    pub fn insert_traced(&mut self, item: &[u8]) -> InsertTrace {
        let mut probes = Vec::with_capacity(self.k as usize);
        let mut newly_set = 0;
        for index in Positions::new(item, self.m, self.k) {
            let set = self.is_set(index);
            if !set {
                newly_set += 1;
            }
            self.words[index / 64] |= 1 << (index % 64);
            probes.push(BitProbe { index, set });
        }
        self.len = self.len.saturating_add(1);
        InsertTrace { probes, newly_set }
    }

    /// False if `item` was certainly never inserted; true if it may have been.
    /// Never false for an inserted item.
    pub fn contains(&self, item: &[u8]) -> bool {
        Positions::new(item, self.m, self.k).all(|index| self.is_set(index))
    }

    /// The `k` bit indices of `item`, in hash order (`g_i = h1 + i·h2 mod m`).
    pub fn positions(&self, item: &[u8]) -> Vec<usize> {
        Positions::new(item, self.m, self.k).collect()
    }

    /// The bits a query for `item` checks and whether each is set.
    pub fn explain(&self, item: &[u8]) -> QueryExplanation {
        let probes: Vec<BitProbe> = Positions::new(item, self.m, self.k)
            .map(|index| BitProbe {
                index,
                set: self.is_set(index),
            })
            .collect();
        let maybe_present = probes.iter().all(|p| p.set);
        QueryExplanation {
            probes,
            maybe_present,
        }
    }

    /// Explains a query for `item` against `inserted`, the items inserted so far:
    /// whether the answer is a true or false positive, and which inserted items set
    /// each checked bit. Costs `k` hashes per inserted item.
    pub fn diagnose<I: AsRef<[u8]>>(&self, item: &[u8], inserted: &[I]) -> QueryDiagnosis {
        let explanation = self.explain(item);
        let was_inserted = inserted.iter().any(|i| i.as_ref() == item);
        let outcome = QueryOutcome::classify(explanation.maybe_present, was_inserted);
        let setters = setters_of(
            &explanation,
            inserted
                .iter()
                .enumerate()
                .map(|(index, other)| (index, Positions::new(other.as_ref(), self.m, self.k))),
        );
        QueryDiagnosis {
            explanation,
            outcome,
            setters,
        }
    }

    /// The first of `candidates` that is a false positive (reported present but not in
    /// `inserted`), with its diagnosis; `None` if none is. Lets a scenario find a
    /// false positive to show instead of hoping for one.
    pub fn find_false_positive<I, C>(
        &self,
        inserted: &[I],
        candidates: impl IntoIterator<Item = C>,
    ) -> Option<(C, QueryDiagnosis)>
    where
        I: AsRef<[u8]>,
        C: AsRef<[u8]>,
    {
        let members: BTreeSet<&[u8]> = inserted.iter().map(AsRef::as_ref).collect();
        let candidate = candidates
            .into_iter()
            .find(|c| !members.contains(c.as_ref()) && self.contains(c.as_ref()))?;
        let diagnosis = self.diagnose(candidate.as_ref(), inserted);
        Some((candidate, diagnosis))
    }

    /// Whether bit `index` is set (false when out of range).
    pub fn is_set(&self, index: usize) -> bool {
        index < self.m && self.words[index / 64] & (1 << (index % 64)) != 0
    }

    /// Every bit in index order, for drawing the bit array.
    pub fn bits(&self) -> impl ExactSizeIterator<Item = bool> + '_ {
        (0..self.m).map(move |i| self.words[i / 64] & (1 << (i % 64)) != 0)
    }

    /// The indices of the set bits, ascending (cheaper to draw than all `m` bits when
    /// the filter is sparse).
    pub fn set_bits(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(w, &word)| {
            let mut rest = word;
            std::iter::from_fn(move || {
                if rest == 0 {
                    return None;
                }
                let bit = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                Some(w * 64 + bit)
            })
        })
    }

    /// The raw bit array: bit `i` is bit `i % 64` of word `i / 64`; bits at and after
    /// `m` in the last word are always 0.
    pub fn words(&self) -> &[u64] {
        &self.words
    }

    /// How many bits are set.
    pub fn count_ones(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// The fraction of bits set, `count_ones / m`.
    pub fn fill_ratio(&self) -> f64 {
        self.count_ones() as f64 / self.m as f64
    }

    /// The number of bits, `m`.
    pub fn m(&self) -> usize {
        self.m
    }

    /// The number of positions per item, `k`.
    pub fn k(&self) -> u32 {
        self.k
    }

    /// How many times [`insert`](Self::insert) was called (duplicates included: the
    /// filter cannot tell a repeated item from a new one).
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing has been inserted.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The theoretical false-positive rate for this `m`, `k` and `len`:
    /// [`false_positive_rate`]`(m, k, len)`.
    pub fn expected_false_positive_rate(&self) -> f64 {
        false_positive_rate(self.m, self.k, self.len)
    }

    /// The false-positive rate implied by the bits actually set, `fill_ratio^k`: the
    /// chance that `k` random positions all hit set bits.
    pub fn current_false_positive_rate(&self) -> f64 {
        math::powi(self.fill_ratio(), self.k)
    }

    /// Estimated number of distinct items from the bits set (Swamidass and Baldi,
    /// 2007): see [`estimate_count`].
    pub fn estimated_count(&self) -> f64 {
        estimate_count(self.m, self.k, self.count_ones())
    }

    /// Clears every bit and the count.
    pub fn clear(&mut self) {
        self.words.iter_mut().for_each(|w| *w = 0);
        self.len = 0;
    }
}

#[cfg(test)]
mod tests;
