//! Skip lists: a sorted map with expected O(log n) search built from coin flips
//! instead of rebalancing.
//!
//! # The problem
//!
//! A sorted map needs fast search, insert and delete. Balanced trees give O(log n) but
//! their rebalancing is intricate; a sorted linked list is simple but O(n).
//!
//! # The idea
//!
//! Pugh ("Skip Lists: A Probabilistic Alternative to Balanced Trees", CACM 33(6),
//! 1990): keep the sorted linked list (lane 0) and add express lanes above it. Each
//! node, when inserted, flips a fair coin until tails: each heads lifts it one lane
//! higher, so about half the nodes reach lane 1, a quarter lane 2, and so on (p = 1/2).
//! A search starts at the top lane of the head, moves right while the next key is
//! smaller than the target, and drops a lane otherwise; the expected number of steps
//! is at most `log2(n)/p + 1/(1 − p) = 2·log2(n) + 2` ([`pugh_search_cost_bound`]).
//! Insert and delete are a search plus relinking the lanes the node occupies; no
//! rebalancing ever happens: a node's height is decided once, by its coins, and the
//! expected cost holds whatever the keys and their order (only the coins are random).
//!
//! # This implementation
//!
//! Safe Rust: nodes live in an arena (`Vec`) and link to each other by index; removed
//! slots are reused. Coin flips come from the crate's seeded [`Rng`], so the same seed
//! and the same operations give the same lanes on every platform. Levels are numbered
//! from 0 (the bottom lane, holding every key); a node's *height* is the number of
//! lanes it occupies (Pugh's "level"), from 1 to [`MAX_HEIGHT`]. Searches use Pugh's
//! refinement of never comparing against the same node twice.
//!
//! For the view: [`SkipList::insert_traced`] reports the coin flips and the height,
//! [`SkipList::search_path`] the moves and comparisons of a search, and
//! [`SkipList::lanes`] / [`SkipList::towers`] the keys on each lane.
//!
//! # Example
//!
//! ```
//! use distlab_core::skiplist::{Coin, SearchAction, SkipList};
//!
//! let mut list = SkipList::with_seed(7);
//! for k in [30, 10, 50, 20, 40] {
//!     list.insert(k, k * 100);
//! }
//! assert_eq!(list.get(&20), Some(&2000));
//! assert_eq!(list.insert(20, 7), Some(2000)); // returns the old value
//! assert_eq!(list.iter().map(|(k, _)| *k).collect::<Vec<_>>(), [10, 20, 30, 40, 50]);
//!
//! let (old, trace) = list.insert_traced(25, 0);
//! assert_eq!(old, None);
//! // Heads lift the node one lane each; the first tails (or the cap) stops it.
//! assert_eq!(trace.height, 1 + trace.flips.iter().filter(|c| **c == Coin::Heads).count());
//!
//! let path = list.search_path(&40);
//! assert!(path.found);
//! assert_eq!(path.steps.last().unwrap().action, SearchAction::Stop);
//! assert_eq!(list.lanes()[0].len(), 6); // lane 0 holds every key
//! assert_eq!(list.remove(&25), Some(0));
//! ```

mod iter;
mod links;
#[cfg(test)]
mod tests;

pub use iter::{IntoIter, Iter, Keys, Values};

use links::Links;

use crate::bloom::math::ln;
use crate::sim::rng::Rng;
use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;

/// The most lanes a node can occupy. With p = 1/2 a list needs about log2(n) lanes,
/// so 32 serves 2^32 keys; the cap also bounds any run of heads.
pub const MAX_HEIGHT: usize = 32;

/// The seed [`SkipList::new`] uses (the year of Pugh's paper), so a default list is
/// reproducible too.
pub const DEFAULT_SEED: u64 = 1990;

/// The end of a lane.
const NIL: usize = usize::MAX;

/// One coin flip of an insert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coin {
    /// Lift the node one more lane and flip again.
    Heads,
    /// Stop.
    Tails,
}

/// What an insert did: the coin flips and the resulting height.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InsertTrace {
    /// The flips in order: some heads then one tails, or [`MAX_HEIGHT`] − 1 heads
    /// (the cap stops flipping). Empty when the key was already present, since
    /// replacing a value creates no node.
    pub flips: Vec<Coin>,
    /// The node's height: the lanes it occupies, 1 + the number of heads. For a
    /// replaced value, the existing node's height.
    pub height: usize,
    /// True if the key was present and only its value was replaced.
    pub replaced: bool,
    /// Key comparisons the search for the insert position made.
    pub comparisons: usize,
}

/// One move of a search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchAction {
    /// The next node on this lane has a smaller key: move to it.
    Right,
    /// The next node on this lane is not smaller (or the lane ends): drop one lane.
    Down,
    /// On lane 0 the next node is not smaller: the search ends; that node is the key
    /// (if equal) or where it would be inserted.
    Stop,
}

/// One step of a search path, for drawing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SearchStep<'a, K> {
    /// What the search did.
    pub action: SearchAction,
    /// The lane the step starts on (a `Down` arrives on `level − 1`).
    pub level: usize,
    /// Where the step starts: `None` is the head.
    pub node: Option<&'a K>,
    /// The next node on this lane that the search looked at: the node moved to for
    /// `Right`; the node that was not smaller for `Down` and `Stop` (`None`: the lane
    /// ended there).
    pub next: Option<&'a K>,
    /// True if looking at `next` cost a key comparison; false when the lane ended or
    /// the node had already been compared on a higher lane.
    pub compared: bool,
}

/// The path of a search from the head's top lane down to lane 0.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchPath<'a, K> {
    /// Every move in order: on each lane from the top, zero or more `Right`, then
    /// `Down` (or `Stop` on lane 0). Empty for an empty list.
    pub steps: Vec<SearchStep<'a, K>>,
    /// Key comparisons made: the search cost to compare with `log2(n)`.
    pub comparisons: usize,
    /// True if the key is present.
    pub found: bool,
}

/// A node's key and height, for drawing its tower.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tower<'a, K> {
    /// The key.
    pub key: &'a K,
    /// The lanes it occupies (1..=MAX_HEIGHT).
    pub height: usize,
}

#[derive(Clone, Debug)]
struct Node<K, V> {
    key: K,
    value: V,
    /// The following node on each lane the node occupies.
    links: Links,
}

/// A sorted map from `K` to `V` as a skip list (Pugh, 1990) with p = 1/2 and seeded
/// coin flips. See the module documentation.
#[derive(Clone)]
pub struct SkipList<K, V> {
    /// The arena; `None` marks a free slot (listed in `free`).
    nodes: Vec<Option<Node<K, V>>>,
    free: Vec<usize>,
    /// The head's links, one per possible lane.
    head: [usize; MAX_HEIGHT],
    /// Lanes in use: the tallest node's height (0 when empty).
    height: usize,
    len: usize,
    rng: Rng,
}

impl<K, V> SkipList<K, V> {
    /// An empty list whose coin flips come from [`DEFAULT_SEED`].
    pub fn new() -> Self {
        SkipList::with_seed(DEFAULT_SEED)
    }

    /// An empty list whose coin flips come from `Rng::new(seed)`.
    pub fn with_seed(seed: u64) -> Self {
        SkipList {
            nodes: Vec::new(),
            free: Vec::new(),
            head: [NIL; MAX_HEIGHT],
            height: 0,
            len: 0,
            rng: Rng::new(seed),
        }
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there are no keys.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The lanes in use: the tallest node's height (0 when empty).
    pub fn height(&self) -> usize {
        self.height
    }

    /// Removes every key. The coin-flip stream continues where it was.
    pub fn clear(&mut self) {
        self.nodes.clear();
        self.free.clear();
        self.head = [NIL; MAX_HEIGHT];
        self.height = 0;
        self.len = 0;
    }

    /// The entries in key order.
    pub fn iter(&self) -> Iter<'_, K, V> {
        Iter::new(self)
    }

    /// The keys in order.
    pub fn keys(&self) -> Keys<'_, K, V> {
        Keys::new(self.iter())
    }

    /// The values in key order.
    pub fn values(&self) -> Values<'_, K, V> {
        Values::new(self.iter())
    }

    /// The smallest key and its value.
    pub fn first(&self) -> Option<(&K, &V)> {
        self.entry(self.head[0])
    }

    /// For each lane from 0 (bottom) up to `height() − 1`, the keys on it in order:
    /// what the lanes view draws. Lane 0 holds every key.
    pub fn lanes(&self) -> Vec<Vec<&K>> {
        (0..self.height)
            .map(|level| {
                let mut keys = Vec::new();
                let mut at = self.head[level];
                while let Some(node) = self.node(at) {
                    keys.push(&node.key);
                    at = node.links.get(level);
                }
                keys
            })
            .collect()
    }

    /// Every node in key order with its height: the towers to draw.
    pub fn towers(&self) -> Vec<Tower<'_, K>> {
        let mut towers = Vec::with_capacity(self.len);
        let mut at = self.head[0];
        while let Some(node) = self.node(at) {
            towers.push(Tower {
                key: &node.key,
                height: node.links.height(),
            });
            at = node.links.get(0);
        }
        towers
    }

    /// How many nodes occupy each lane, from lane 0 up (about n, n/2, n/4, …).
    pub fn lane_sizes(&self) -> Vec<usize> {
        let mut sizes = vec![0; self.height];
        for node in self.nodes.iter().flatten() {
            for size in sizes.iter_mut().take(node.links.height()) {
                *size += 1;
            }
        }
        sizes
    }

    fn node(&self, index: usize) -> Option<&Node<K, V>> {
        self.nodes.get(index).and_then(Option::as_ref)
    }

    fn entry(&self, index: usize) -> Option<(&K, &V)> {
        self.node(index).map(|n| (&n.key, &n.value))
    }

    /// The link leaving `from` (`None`: the head) on `level`.
    fn link(&self, from: Option<usize>, level: usize) -> usize {
        match from {
            None => self.head.get(level).copied().unwrap_or(NIL),
            Some(i) => self.node(i).map(|n| n.links.get(level)).unwrap_or(NIL),
        }
    }

    fn set_link(&mut self, from: Option<usize>, level: usize, to: usize) {
        let slot = match from {
            None => self.head.get_mut(level),
            Some(i) => self
                .nodes
                .get_mut(i)
                .and_then(Option::as_mut)
                .and_then(|n| n.links.get_mut(level)),
        };
        if let Some(slot) = slot {
            *slot = to;
        }
    }

    /// Flips coins for a new node: heads lifts it a lane, tails stops, and the cap
    /// stops without a flip. Records the flips when asked.
    fn random_height(&mut self, mut flips: Option<&mut Vec<Coin>>) -> usize {
        let mut height = 1;
        while height < MAX_HEIGHT {
            let heads = self.rng.coin();
            if let Some(flips) = flips.as_deref_mut() {
                flips.push(if heads { Coin::Heads } else { Coin::Tails });
            }
            if !heads {
                break;
            }
            height += 1;
        }
        height
    }
}

/// What a descent found: the bottom-lane candidate, whether it holds the key, and the
/// comparisons made.
struct Descent {
    candidate: usize,
    found: bool,
    comparisons: usize,
}

/// One raw step of a descent (indices, not keys), reported to an observer.
#[derive(Clone, Copy)]
struct RawStep {
    action: SearchAction,
    level: usize,
    node: Option<usize>,
    next: usize,
    compared: bool,
}

impl<K: Ord, V> SkipList<K, V> {
    /// The value for `key`.
    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let descent = self.descend(key, None, |_| {});
        if descent.found {
            self.node(descent.candidate).map(|n| &n.value)
        } else {
            None
        }
    }

    /// The value for `key`, mutably.
    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let descent = self.descend(key, None, |_| {});
        if descent.found {
            self.nodes
                .get_mut(descent.candidate)
                .and_then(Option::as_mut)
                .map(|n| &mut n.value)
        } else {
            None
        }
    }

    /// True if `key` is present.
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.descend(key, None, |_| {}).found
    }

    /// Inserts `key → value`. If the key was present, replaces its value and returns
    /// the old one (no coins are flipped: no node is created).
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        self.insert_inner(key, value, None).0
    }

    /// Like [`insert`](Self::insert), also reporting the coin flips, the height of the
    /// node and the comparisons made.
    pub fn insert_traced(&mut self, key: K, value: V) -> (Option<V>, InsertTrace) {
        let mut flips = Vec::new();
        let (old, height, comparisons) = self.insert_inner(key, value, Some(&mut flips));
        let trace = InsertTrace {
            flips,
            height,
            replaced: old.is_some(),
            comparisons,
        };
        (old, trace)
    }

    /// Removes `key` and returns its value.
    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let mut update = [None; MAX_HEIGHT];
        let descent = self.descend(key, Some(&mut update), |_| {});
        if !descent.found {
            return None;
        }
        let target = descent.candidate;
        let node = self.nodes.get_mut(target).and_then(Option::take)?;
        // Unlink the node from every lane it occupies: its predecessor on each lane
        // (recorded during the descent) now skips to its successor.
        for (level, next) in node.links.iter().enumerate() {
            let from = update[level];
            if self.link(from, level) == target {
                self.set_link(from, level, next);
            }
        }
        while self.height > 0 && self.head[self.height - 1] == NIL {
            self.height -= 1;
        }
        self.len -= 1;
        if self.len == 0 {
            self.nodes.clear();
            self.free.clear();
        } else {
            self.free.push(target);
        }
        Some(node.value)
    }

    /// The path a search for `key` takes: every move right and down with the nodes
    /// involved, the number of key comparisons, and whether the key was found.
    pub fn search_path<Q>(&self, key: &Q) -> SearchPath<'_, K>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let mut raw = Vec::new();
        let descent = self.descend(key, None, |step| raw.push(step));
        let key_at = |index: Option<usize>| index.and_then(|i| self.node(i)).map(|n| &n.key);
        let steps = raw
            .into_iter()
            .map(|s| SearchStep {
                action: s.action,
                level: s.level,
                node: key_at(s.node),
                next: key_at(Some(s.next)),
                compared: s.compared,
            })
            .collect();
        SearchPath {
            steps,
            comparisons: descent.comparisons,
            found: descent.found,
        }
    }

    /// The height of `key`'s node, if present.
    pub fn height_of<Q>(&self, key: &Q) -> Option<usize>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let descent = self.descend(key, None, |_| {});
        if descent.found {
            self.node(descent.candidate).map(|n| n.links.height())
        } else {
            None
        }
    }

    /// The mean number of comparisons to search for each key present (0 when empty):
    /// the measured cost to plot against [`pugh_search_cost_bound`] and `log2(n)`.
    pub fn mean_search_comparisons(&self) -> f64 {
        if self.len == 0 {
            return 0.0;
        }
        let total: usize = self
            .keys()
            .map(|k| self.descend(k, None, |_| {}).comparisons)
            .sum();
        total as f64 / self.len as f64
    }

    /// The largest key and its value (walks the top lanes: O(log n) expected).
    pub fn last(&self) -> Option<(&K, &V)> {
        let mut at: Option<usize> = None;
        for level in (0..self.height).rev() {
            loop {
                let next = self.link(at, level);
                if next == NIL {
                    break;
                }
                at = Some(next);
            }
        }
        at.and_then(|i| self.entry(i))
    }

    fn insert_inner(
        &mut self,
        key: K,
        value: V,
        flips: Option<&mut Vec<Coin>>,
    ) -> (Option<V>, usize, usize) {
        let mut update = [None; MAX_HEIGHT];
        let descent = self.descend(&key, Some(&mut update), |_| {});
        if descent.found {
            if let Some(node) = self
                .nodes
                .get_mut(descent.candidate)
                .and_then(Option::as_mut)
            {
                let old = std::mem::replace(&mut node.value, value);
                return (Some(old), node.links.height(), descent.comparisons);
            }
        }
        let height = self.random_height(flips);
        // Lanes above the current top start at the head (update already holds None).
        self.height = self.height.max(height);
        let links = Links::new(height, |level| self.link(update[level], level));
        let node = Node { key, value, links };
        let index = match self.free.pop() {
            Some(slot) if slot < self.nodes.len() => {
                self.nodes[slot] = Some(node);
                slot
            }
            _ => {
                self.nodes.push(Some(node));
                self.nodes.len() - 1
            }
        };
        for (level, &from) in update.iter().enumerate().take(height) {
            self.set_link(from, level, index);
        }
        self.len += 1;
        (None, height, descent.comparisons)
    }

    /// Pugh's search: from the head's top lane, move right while the next key is
    /// smaller than `key`, else drop a lane. Records the last node left behind on each
    /// lane in `update` (the predecessors an insert or delete relinks) and reports each
    /// step to `observe`. A node already compared on a higher lane is not compared
    /// again (Pugh's refinement), so `comparisons` counts distinct key comparisons.
    fn descend<Q>(
        &self,
        key: &Q,
        mut update: Option<&mut [Option<usize>; MAX_HEIGHT]>,
        mut observe: impl FnMut(RawStep),
    ) -> Descent
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let mut at: Option<usize> = None;
        let mut comparisons = 0;
        let mut last_compared = NIL;
        let mut last_order = Ordering::Greater;
        for level in (0..self.height).rev() {
            loop {
                let next = self.link(at, level);
                let Some(node) = self.node(next) else {
                    let action = if level == 0 {
                        SearchAction::Stop
                    } else {
                        SearchAction::Down
                    };
                    observe(RawStep {
                        action,
                        level,
                        node: at,
                        next: NIL,
                        compared: false,
                    });
                    break;
                };
                let compared = next != last_compared;
                if compared {
                    comparisons += 1;
                    last_compared = next;
                    last_order = node.key.borrow().cmp(key);
                }
                if last_order == Ordering::Less {
                    observe(RawStep {
                        action: SearchAction::Right,
                        level,
                        node: at,
                        next,
                        compared,
                    });
                    at = Some(next);
                } else {
                    let action = if level == 0 {
                        SearchAction::Stop
                    } else {
                        SearchAction::Down
                    };
                    observe(RawStep {
                        action,
                        level,
                        node: at,
                        next,
                        compared,
                    });
                    break;
                }
            }
            if let Some(update) = update.as_deref_mut() {
                update[level] = at;
            }
        }
        let candidate = self.link(at, 0);
        // On lane 0 the search compared `candidate` last (now or on a higher lane).
        let found = candidate != NIL && last_compared == candidate && last_order == Ordering::Equal;
        Descent {
            candidate,
            found,
            comparisons,
        }
    }
}

/// Deliberate corruption, for tests only: checkers of the lane invariants (the
/// `skip-list` topic's) must be shown to fail, and a correct list never does.
#[cfg(test)]
impl<K: Ord, V> SkipList<K, V> {
    /// Swaps the keys of the nodes holding `a` and `b` without moving the nodes, so
    /// every lane through them is out of order. False (nothing changed) if either
    /// key is absent.
    pub(crate) fn swap_keys_for_test(&mut self, a: &K, b: &K) -> bool {
        let first = self.descend(a, None, |_| {});
        let second = self.descend(b, None, |_| {});
        if !first.found || !second.found {
            return false;
        }
        let (low, high) = (
            first.candidate.min(second.candidate),
            first.candidate.max(second.candidate),
        );
        if low == high {
            return true;
        }
        let (left, right) = self.nodes.split_at_mut(high);
        if let (Some(Some(x)), Some(Some(y))) = (left.get_mut(low), right.first_mut()) {
            std::mem::swap(&mut x.key, &mut y.key);
            return true;
        }
        false
    }

    /// Makes lane 0 skip the node holding `key` while the higher lanes still link it,
    /// so an upper lane is no longer a sub-list of lane 0. False if `key` is absent.
    pub(crate) fn unlink_from_bottom_lane_for_test(&mut self, key: &K) -> bool {
        let mut update = [None; MAX_HEIGHT];
        let descent = self.descend(key, Some(&mut update), |_| {});
        if !descent.found {
            return false;
        }
        let next = self.link(Some(descent.candidate), 0);
        self.set_link(update[0], 0, next);
        true
    }
}

/// Pugh's bound on the expected length of a search path in a list of `n` keys with
/// p = 1/2: `log2(n)/p + 1/(1 − p) = 2·log2(n) + 2` (0 for `n = 0`). Display only;
/// computed with the crate's portable `ln`, so it is the same on every platform.
pub fn pugh_search_cost_bound(n: usize) -> f64 {
    if n == 0 {
        return 0.0;
    }
    let log2_n = ln(n as f64) / std::f64::consts::LN_2;
    2.0 * log2_n + 2.0
}

impl<K, V> Default for SkipList<K, V> {
    fn default() -> Self {
        SkipList::new()
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for SkipList<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: Ord, V> Extend<(K, V)> for SkipList<K, V> {
    fn extend<T: IntoIterator<Item = (K, V)>>(&mut self, entries: T) {
        for (k, v) in entries {
            self.insert(k, v);
        }
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for SkipList<K, V> {
    /// A list with the default seed holding `entries` (later duplicates win).
    fn from_iter<T: IntoIterator<Item = (K, V)>>(entries: T) -> Self {
        let mut list = SkipList::new();
        list.extend(entries);
        list
    }
}
