//! The counting Bloom filter (Fan, Cao, Almeida and Broder, 1998/2000).

use super::theory::sizing;
use super::{BloomFilter, Positions, MAX_HASHES};

/// The most counters a [`CountingBloomFilter`] may have (2^27 one-byte counters =
/// 128 MiB, the same memory as [`MAX_BITS`](super::MAX_BITS) bits); larger requests
/// are clamped.
pub const MAX_COUNTERS: usize = 1 << 27;

/// The default counter ceiling: 15, a 4-bit counter as Fan et al. recommend (with
/// `k` near optimal, a counter exceeds 15 with probability about 1.37e-15 · m).
pub const DEFAULT_MAX_COUNT: u8 = 15;

/// What [`CountingBloomFilter::remove`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RemoveOutcome {
    /// Some position's counter was lower than the number of times the item uses that
    /// position, so the item is certainly not in the filter. Nothing changed.
    NotPresent,
    /// Every non-saturated counter of the item was decremented. `stuck` counts the
    /// item's positions whose counters were saturated and therefore left unchanged.
    Removed {
        /// Positions left at the ceiling.
        stuck: u32,
    },
}

impl RemoveOutcome {
    /// True when the counters were decremented.
    pub fn removed(&self) -> bool {
        matches!(self, RemoveOutcome::Removed { .. })
    }
}

/// A Bloom filter with a small saturating counter per position instead of a bit, so
/// items can be removed (Fan et al., "Summary Cache", SIGCOMM 1998; IEEE/ACM
/// Transactions on Networking 8(3), 2000). Positions are the same double hashing as
/// [`BloomFilter`]'s.
///
/// Insert adds 1 to each of the item's `k` counters; remove subtracts 1; a query asks
/// whether all `k` are non-zero.
///
/// # Saturation
///
/// Counters stop at a ceiling (`max_count`, 15 by default). A counter at the ceiling
/// is *stuck*: it no longer knows how many items use it, so insert leaves it there and
/// remove never decrements it. A stuck position therefore always reads as set: it can
/// cause false positives forever, but never a false negative.
///
/// # What removal guarantees
///
/// 1. **No false negatives as long as every removal matches an earlier insertion**
///    (multiset semantics: `remove(x)` only for an `x` inserted more times than it was
///    removed). Then each counter that is not stuck equals exactly the number of live
///    insertions using it, and a stuck counter is non-zero, so every live item finds
///    all its counters non-zero.
/// 2. **Removing an item the filter can prove absent changes nothing.** Before
///    decrementing, `remove` checks every position: if some counter is lower than the
///    number of times the item uses that position (so in particular if some counter is
///    0), the item was certainly not inserted, and it returns
///    [`RemoveOutcome::NotPresent`] without touching anything. A never-inserted item
///    is rejected this way except when it is a false positive, so with probability
///    about one minus the current false-positive rate.
/// 3. **What cannot be guaranteed:** removing a never-inserted item that *is* a false
///    positive. Its counters are all non-zero because other items use them, and the
///    filter stores only counts, so it cannot tell this item from a member. Removing
///    it decrements counters those other items need, and they may become false
///    negatives. No counting Bloom filter can prevent this without storing the items;
///    callers must remove only what they inserted (check a source of truth first when
///    unsure).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountingBloomFilter {
    counters: Vec<u8>,
    k: u32,
    max_count: u8,
    len: usize,
}

impl CountingBloomFilter {
    /// An empty filter of `m` counters with `k` positions per item and 4-bit counters
    /// (ceiling [`DEFAULT_MAX_COUNT`]). `m` is clamped to `1..=MAX_COUNTERS`, `k` to
    /// `1..=MAX_HASHES`.
    pub fn new(m: usize, k: u32) -> Self {
        CountingBloomFilter::with_max_count(m, k, DEFAULT_MAX_COUNT)
    }

    /// Like [`new`](Self::new) with counter ceiling `max_count` (clamped to
    /// `1..=255`). A small ceiling makes saturation easy to show.
    pub fn with_max_count(m: usize, k: u32, max_count: u8) -> Self {
        let m = m.clamp(1, MAX_COUNTERS);
        CountingBloomFilter {
            counters: vec![0; m],
            k: k.clamp(1, MAX_HASHES),
            max_count: max_count.max(1),
            len: 0,
        }
    }

    /// An empty filter sized for `n` items at false-positive rate `p`, with the same
    /// `m` and `k` as [`BloomFilter::with_rate`] (one counter per bit).
    pub fn with_rate(n: usize, p: f64) -> Self {
        let plan = sizing(n, p);
        CountingBloomFilter::new(plan.m, plan.k)
    }

    /// Adds `item`: increments its `k` counters, each stopping at the ceiling.
    pub fn insert(&mut self, item: &[u8]) {
        for index in Positions::new(item, self.counters.len(), self.k) {
            let counter = &mut self.counters[index];
            if *counter < self.max_count {
                *counter += 1;
            }
        }
        self.len = self.len.saturating_add(1);
    }

    /// False if `item` is certainly not in the filter; true if it may be.
    pub fn contains(&self, item: &[u8]) -> bool {
        Positions::new(item, self.counters.len(), self.k).all(|index| self.counters[index] > 0)
    }

    /// Removes one insertion of `item` if the counters allow it; see the type's
    /// documentation for exactly what this guarantees.
    pub fn remove(&mut self, item: &[u8]) -> RemoveOutcome {
        let mut positions = self.positions(item);
        positions.sort_unstable();
        // Check first, change after: an item that needs more from a counter than the
        // counter holds was never inserted, and must leave the filter untouched.
        let mut run_start = 0;
        while run_start < positions.len() {
            let index = positions[run_start];
            let uses = positions[run_start..]
                .iter()
                .take_while(|&&p| p == index)
                .count();
            let counter = self.counters[index];
            if counter < self.max_count && usize::from(counter) < uses {
                return RemoveOutcome::NotPresent;
            }
            run_start += uses;
        }
        let mut stuck = 0;
        for index in positions {
            let counter = &mut self.counters[index];
            if *counter >= self.max_count {
                stuck += 1;
            } else {
                *counter -= 1;
            }
        }
        self.len = self.len.saturating_sub(1);
        RemoveOutcome::Removed { stuck }
    }

    /// The `k` counter indices of `item`, in hash order (the same as a
    /// [`BloomFilter`] of the same `m` and `k`).
    pub fn positions(&self, item: &[u8]) -> Vec<usize> {
        Positions::new(item, self.counters.len(), self.k).collect()
    }

    /// Every counter in index order, for drawing.
    pub fn counters(&self) -> &[u8] {
        &self.counters
    }

    /// Counter `index` (0 when out of range).
    pub fn counter(&self, index: usize) -> u8 {
        self.counters.get(index).copied().unwrap_or(0)
    }

    /// Whether counter `index` is stuck at the ceiling.
    pub fn is_saturated(&self, index: usize) -> bool {
        self.counter(index) >= self.max_count
    }

    /// How many counters are stuck at the ceiling.
    pub fn saturated_count(&self) -> usize {
        self.counters
            .iter()
            .filter(|&&c| c >= self.max_count)
            .count()
    }

    /// How many counters are non-zero (the bits a plain Bloom filter would have set).
    pub fn count_nonzero(&self) -> usize {
        self.counters.iter().filter(|&&c| c > 0).count()
    }

    /// The counter ceiling.
    pub fn max_count(&self) -> u8 {
        self.max_count
    }

    /// The number of counters, `m`.
    pub fn m(&self) -> usize {
        self.counters.len()
    }

    /// The number of positions per item, `k`.
    pub fn k(&self) -> u32 {
        self.k
    }

    /// Insertions minus successful removals.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when `len() == 0`.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The plain Bloom filter with a bit set wherever a counter is non-zero. It answers
    /// every query exactly as this filter does.
    pub fn to_bloom_filter(&self) -> BloomFilter {
        let mut filter = BloomFilter::new(self.counters.len(), self.k);
        for (index, _) in self.counters.iter().enumerate().filter(|(_, &c)| c > 0) {
            filter.words[index / 64] |= 1 << (index % 64);
        }
        filter.len = self.len;
        filter
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::Rng;

    fn item(tag: u8, i: u64) -> [u8; 9] {
        let mut bytes = [tag; 9];
        bytes[1..].copy_from_slice(&i.to_be_bytes());
        bytes
    }

    #[test]
    fn insert_contains_remove() {
        let mut f = CountingBloomFilter::new(512, 4);
        f.insert(b"a");
        f.insert(b"b");
        assert!(f.contains(b"a") && f.contains(b"b"));
        assert_eq!(f.len(), 2);
        assert_eq!(f.remove(b"a"), RemoveOutcome::Removed { stuck: 0 });
        assert!(f.contains(b"b"));
        assert_eq!(f.len(), 1);
        assert!(f.remove(b"b").removed());
        assert!(f.is_empty());
        assert!(f.counters().iter().all(|&c| c == 0));
    }

    #[test]
    fn removing_a_provably_absent_item_changes_nothing() {
        let mut f = CountingBloomFilter::new(2048, 5);
        for i in 0..50 {
            f.insert(&item(b'i', i));
        }
        let before = f.clone();
        let mut rejected = 0;
        for i in 0..500 {
            let probe = item(b'q', i);
            if !f.contains(&probe) {
                assert_eq!(f.remove(&probe), RemoveOutcome::NotPresent);
                assert_eq!(f, before);
                rejected += 1;
            }
        }
        assert!(
            rejected > 450,
            "almost all probes are true negatives: {rejected}"
        );
    }

    #[test]
    fn removing_a_false_positive_can_create_a_false_negative() {
        // Documented limitation 3, shown concretely: among the false positives of a
        // crowded filter there is one whose removal makes an inserted item vanish.
        let mut f = CountingBloomFilter::new(64, 3);
        let inserted: Vec<[u8; 9]> = (0..20).map(|i| item(b'i', i)).collect();
        for x in &inserted {
            f.insert(x);
        }
        let harmful = (0..10_000)
            .map(|i| item(b'q', i))
            .filter(|q| f.contains(q))
            .find(|q| {
                let mut copy = f.clone();
                // Indistinguishable from a member, so the removal goes through...
                assert!(copy.remove(q).removed());
                // ...and may take counters that inserted items need.
                inserted.iter().any(|x| !copy.contains(x))
            });
        assert!(
            harmful.is_some(),
            "expected a false positive whose removal hurts"
        );
    }

    #[test]
    fn saturated_counters_stick_and_never_cause_false_negatives() {
        let mut f = CountingBloomFilter::with_max_count(8, 2, 3);
        assert_eq!(f.max_count(), 3);
        let items: Vec<[u8; 9]> = (0..12).map(|i| item(b'i', i)).collect();
        for x in &items {
            f.insert(x);
        }
        assert!(f.saturated_count() > 0);
        let stuck_before: Vec<usize> = (0..8).filter(|&i| f.is_saturated(i)).collect();
        // Remove all but the last; the last must still be present.
        for x in &items[..11] {
            assert!(f.remove(x).removed());
        }
        assert!(f.contains(&items[11]));
        for i in stuck_before {
            assert!(f.is_saturated(i), "counter {i} left the ceiling");
        }
    }

    #[test]
    fn duplicate_positions_need_enough_count() {
        // m = 1: every position is 0, so an item uses counter 0 k times.
        let mut f = CountingBloomFilter::new(1, 3);
        f.insert(b"a");
        assert_eq!(f.counter(0), 3);
        f.counters[0] = 2; // as if someone else's removal had taken one
        assert_eq!(f.remove(b"a"), RemoveOutcome::NotPresent);
        assert_eq!(f.counter(0), 2);
    }

    #[test]
    fn bad_sizes_are_clamped() {
        let f = CountingBloomFilter::new(0, 0);
        assert_eq!((f.m(), f.k()), (1, 1));
        let g = CountingBloomFilter::with_max_count(usize::MAX, 1000, 0);
        assert_eq!((g.m(), g.k(), g.max_count()), (MAX_COUNTERS, MAX_HASHES, 1));
        assert_eq!(g.counter(usize::MAX), 0);
        let h = CountingBloomFilter::with_rate(1000, 0.01);
        assert_eq!((h.m(), h.k()), (9586, 7));
    }

    #[test]
    fn projects_to_the_equivalent_bloom_filter() {
        let mut counting = CountingBloomFilter::new(1000, 4);
        let mut plain = BloomFilter::new(1000, 4);
        let mut rng = Rng::new(3);
        for _ in 0..100 {
            let x = rng.next_u64().to_be_bytes();
            counting.insert(&x);
            plain.insert(&x);
        }
        assert_eq!(counting.to_bloom_filter(), plain);
        assert_eq!(counting.count_nonzero(), plain.count_ones());
        assert_eq!(counting.positions(b"z"), plain.positions(b"z"));
    }
}
