//! The replicated document, a shared to-do list: a set of items, a counter
//! and a small map (the list's title, each item's done flag), under one of
//! three conflict policies applied to the same edits.
//!
//! - **Last writer wins**: the set and the counter are each one register
//!   holding the whole value, and every register keeps the write with the
//!   highest wall-clock timestamp (RR-7506 §3.2.1). Concurrent edits lose
//!   all but one, and under clock skew a later edit can lose to an earlier one.
//! - **Multi-value**: the same registers keep concurrent writes as siblings,
//!   told apart by version vectors (RR-7506 §3.2.2); the next edit reads the
//!   siblings merged (the union of the sets, the highest counter, as Dynamo's
//!   shopping cart does) and replaces them.
//! - **CRDT**: the set is an observed-remove set with unique tags
//!   (RR-7506 §3.3.5, Specification 15), the counter a PN-counter (§3.1.2,
//!   Specification 7), the map an LWW map whose timestamps are hybrid logical
//!   clocks (Kulkarni et al., OPODIS 2014): never below the highest timestamp
//!   the replica has seen, so a write that causally follows another always
//!   wins over it.
//!
//! Every state is a join-semilattice and [`Document::merge`] its join, so
//! the same code merges a whole state (state-based sync) and a delta
//! (Almeida, Shoker & Baquero, "Delta State Replicated Data Types", JPDC
//! 2018, §4: a delta is a state, joined like one). [`Document::delta`] is the
//! part of a state a replica with a given version vector lacks.
//!
//! [`Document::bytes`] estimates an encoding's size: 4 bytes per version
//! vector entry, 6 per dot (2 for the replica, 4 for the sequence number), 10
//! per timestamp, 2 per item, map key or map value, 8 per counter value, 4
//! per counter entry's totals, plus a 4-byte header per part. Version
//! contexts count only where the policy needs them (siblings); a
//! last-writer-wins register's context is the lab's bookkeeping, not sent.

use super::message::{Dot, Edit, Stamp, VersionVector};
use super::register::{Overwritten, Register, Rule, Version};

/// How conflicting edits are resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    LastWriterWins,
    MultiValue,
    Crdt,
}

impl Policy {
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::LastWriterWins => "last writer wins",
            Policy::MultiValue => "multi-value",
            Policy::Crdt => "CRDT",
        }
    }

    /// The rule of the registers (the LWW policy's, and the CRDT's map).
    fn rule(self) -> Rule {
        match self {
            Policy::MultiValue => Rule::MultiValue,
            _ => Rule::LastWriterWins,
        }
    }
}

/// The policy with the bugs that change how it merges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rules {
    pub policy: Policy,
    /// The `lww-with-skewed-clocks` bug: the CRDT's map stamps writes with the
    /// raw local wall clock instead of a hybrid logical clock.
    pub wall_clock_map: bool,
    /// The `or-set-without-tags` bug: a remove kills every tag of its item the
    /// receiving replica holds, not the tags its writer observed.
    pub remove_by_value: bool,
}

/// One add of the OR-set: the item and its unique tag (the add's dot).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tag {
    pub item: u32,
    pub dot: Dot,
}

/// One remove of the OR-set: the tags of the item it observed (its tombstones).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Removal {
    pub item: u32,
    pub dot: Dot,
    pub tags: Vec<Dot>,
}

/// One replica's entry of the PN-counter: its increments and decrements, and
/// its latest update that changed them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Count {
    pub origin: u32,
    pub up: u32,
    pub down: u32,
    pub last: u32,
}

/// One key of the map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub key: u32,
    pub register: Register<u64>,
}

/// A new write of `value` as update `dot`.
fn fresh<T>(value: T, dot: Dot, stamp: Stamp, context: &VersionVector) -> Version<T> {
    Version {
        value,
        dot,
        stamp,
        context: context.clone(),
    }
}

/// What a replica shows, for comparing replicas: every sibling of every part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observed {
    pub items: Vec<Vec<u32>>,
    pub counter: Vec<i64>,
    pub map: Vec<(u32, Vec<u64>)>,
}

/// What a local edit did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    pub dot: Dot,
    /// The replica's version vector just after the edit.
    pub context: VersionVector,
    /// A write the edit's register threw away (or the edit itself, lost at once).
    pub overwritten: Option<Overwritten>,
}

/// A replica's state (or a delta of it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    pub policy: Policy,
    /// The updates this state holds.
    pub vv: VersionVector,
    /// Last writer wins and multi-value: the whole set, and the counter.
    pub items: Register<Vec<u32>>,
    pub counter: Register<i64>,
    /// CRDT: the OR-set's adds (sorted by dot) and removes (sorted by dot)...
    pub adds: Vec<Tag>,
    pub removals: Vec<Removal>,
    /// ...and the PN-counter's entries, sorted by replica.
    pub counts: Vec<Count>,
    /// Every policy: the map, sorted by key.
    pub map: Vec<Entry>,
}

impl Document {
    pub fn new(policy: Policy, replicas: usize) -> Self {
        Document {
            policy,
            vv: VersionVector::zero(replicas),
            items: Register::default(),
            counter: Register::default(),
            adds: Vec::new(),
            removals: Vec::new(),
            counts: Vec::new(),
            map: Vec::new(),
        }
    }

    /// The OR-set's tags of `item` that no remove has killed.
    fn live_tags(&self, item: u32) -> Vec<Dot> {
        self.adds
            .iter()
            .filter(|tag| tag.item == item && !self.killed(tag.dot))
            .map(|tag| tag.dot)
            .collect()
    }

    fn killed(&self, tag: Dot) -> bool {
        self.removals
            .iter()
            .any(|removal| removal.tags.contains(&tag))
    }

    /// The items on the list, sorted (multi-value: the union of the siblings).
    pub fn items(&self) -> Vec<u32> {
        let mut items: Vec<u32> = match self.policy {
            Policy::Crdt => self
                .adds
                .iter()
                .filter(|tag| !self.killed(tag.dot))
                .map(|tag| tag.item)
                .collect(),
            _ => self
                .items
                .versions
                .iter()
                .flat_map(|v| v.value.iter().copied())
                .collect(),
        };
        items.sort_unstable();
        items.dedup();
        items
    }

    /// The counter (multi-value: the highest sibling).
    pub fn counter(&self) -> i64 {
        match self.policy {
            Policy::Crdt => self
                .counts
                .iter()
                .map(|c| c.up as i64 - c.down as i64)
                .sum(),
            _ => self
                .counter
                .versions
                .iter()
                .map(|v| v.value)
                .max()
                .unwrap_or(0),
        }
    }

    /// The versions of map key `key` (several only as multi-value siblings).
    pub fn map_versions(&self, key: u32) -> &[Version<u64>] {
        self.map
            .iter()
            .find(|entry| entry.key == key)
            .map_or(&[], |entry| &entry.register.versions)
    }

    /// Versions beyond the first in every register: the siblings the next
    /// edit will have to merge.
    pub fn siblings(&self) -> u64 {
        let extra = |n: usize| n.saturating_sub(1) as u64;
        extra(self.items.versions.len())
            + extra(self.counter.versions.len())
            + self
                .map
                .iter()
                .map(|entry| extra(entry.register.versions.len()))
                .sum::<u64>()
    }

    pub fn observed(&self) -> Observed {
        let (items, counter) = match self.policy {
            Policy::Crdt => (vec![self.items()], vec![self.counter()]),
            _ => (
                self.items
                    .versions
                    .iter()
                    .map(|v| v.value.clone())
                    .collect(),
                self.counter.versions.iter().map(|v| v.value).collect(),
            ),
        };
        Observed {
            items,
            counter,
            map: self
                .map
                .iter()
                .map(|entry| {
                    let values = entry.register.versions.iter().map(|v| v.value).collect();
                    (entry.key, values)
                })
                .collect(),
        }
    }

    fn highest_map_stamp(&self) -> Option<Stamp> {
        self.map
            .iter()
            .filter_map(|entry| entry.register.highest_stamp())
            .max()
    }

    fn entry(&mut self, key: u32) -> &mut Register<u64> {
        let at = match self.map.binary_search_by_key(&key, |entry| entry.key) {
            Ok(at) => at,
            Err(at) => {
                self.map.insert(
                    at,
                    Entry {
                        key,
                        register: Register::default(),
                    },
                );
                at
            }
        };
        &mut self.map[at].register
    }

    fn count(&mut self, origin: u32) -> &mut Count {
        let at = match self.counts.binary_search_by_key(&origin, |c| c.origin) {
            Ok(at) => at,
            Err(at) => {
                self.counts.insert(
                    at,
                    Count {
                        origin,
                        up: 0,
                        down: 0,
                        last: 0,
                    },
                );
                at
            }
        };
        &mut self.counts[at]
    }

    /// Makes `edit` at replica `me`, whose wall clock reads `wall` (µs): the
    /// update gets the next dot of `me` (RR-7506's `prepare` and `effect` at
    /// the source, in one step).
    pub fn apply(&mut self, me: u32, edit: Edit, wall: u64, rules: Rules) -> Applied {
        let Some(mine) = self.vv.0.get_mut(me as usize) else {
            // A replica outside the vector: nothing to stamp it with.
            return Applied {
                dot: Dot { origin: me, seq: 0 },
                context: self.vv.clone(),
                overwritten: None,
            };
        };
        *mine += 1;
        let dot = Dot {
            origin: me,
            seq: *mine,
        };
        let context = self.vv.clone();
        let wall_stamp = Stamp {
            micros: wall,
            node: me,
        };
        let rule = self.policy.rule();
        let overwritten = match (self.policy, edit) {
            (Policy::Crdt, Edit::Add(item)) => {
                // Specification 15, add: a fresh unique tag.
                self.adds.push(Tag { item, dot });
                None
            }
            (Policy::Crdt, Edit::Remove(item)) => {
                // Specification 15, remove: the tags observed here, no others.
                let tags = self.live_tags(item);
                self.removals.push(Removal { item, dot, tags });
                None
            }
            (Policy::Crdt, Edit::Increment | Edit::Decrement) => {
                // Specification 7: each replica counts its own steps.
                let count = self.count(me);
                if edit == Edit::Increment {
                    count.up += 1;
                } else {
                    count.down += 1;
                }
                count.last = dot.seq;
                None
            }
            (_, Edit::Add(item) | Edit::Remove(item)) => {
                // The whole set is one value: read it (siblings merged),
                // change it, write it back.
                let mut items = self.items();
                match edit {
                    Edit::Add(_) => {
                        if let Err(at) = items.binary_search(&item) {
                            items.insert(at, item);
                        }
                    }
                    _ => items.retain(|&i| i != item),
                }
                self.items
                    .take(&fresh(items, dot, wall_stamp, &context), rule)
            }
            (_, Edit::Increment | Edit::Decrement) => {
                let step = if edit == Edit::Increment { 1 } else { -1 };
                let value = self.counter() + step;
                self.counter
                    .take(&fresh(value, dot, wall_stamp, &context), rule)
            }
            (policy, Edit::Set { key, value }) => {
                let mut write = fresh(value, dot, wall_stamp, &context);
                if policy == Policy::Crdt && !rules.wall_clock_map {
                    // A hybrid logical clock: the wall clock, unless this
                    // replica has seen a later timestamp, in which case just
                    // after it, so this write orders after all it has seen.
                    let seen = self.highest_map_stamp().map_or(0, |s| s.micros + 1);
                    write.stamp.micros = wall.max(seen);
                }
                self.entry(key).take(&write, rule)
            }
        };
        Applied {
            dot,
            context,
            overwritten,
        }
    }

    /// Joins `other` (a whole state or a delta) into this state; returns the
    /// writes the registers threw away on the way.
    pub fn merge(&mut self, other: &Document, rules: Rules) -> Vec<Overwritten> {
        let rule = self.policy.rule();
        let mut overwritten = Vec::new();
        for version in &other.items.versions {
            overwritten.extend(self.items.take(version, rule));
        }
        for version in &other.counter.versions {
            overwritten.extend(self.counter.take(version, rule));
        }
        for tag in &other.adds {
            if let Err(at) = self.adds.binary_search_by_key(&tag.dot, |t| t.dot) {
                self.adds.insert(at, *tag);
            }
        }
        for removal in &other.removals {
            if let Err(at) = self.removals.binary_search_by_key(&removal.dot, |r| r.dot) {
                let tags = if rules.remove_by_value {
                    // The bug: the remove names an item, not tags, so here it
                    // kills whatever tags of the item this replica holds.
                    self.live_tags(removal.item)
                } else {
                    removal.tags.clone()
                };
                self.removals.insert(
                    at,
                    Removal {
                        item: removal.item,
                        dot: removal.dot,
                        tags,
                    },
                );
            }
        }
        for theirs in &other.counts {
            let count = self.count(theirs.origin);
            count.up = count.up.max(theirs.up);
            count.down = count.down.max(theirs.down);
            count.last = count.last.max(theirs.last);
        }
        for entry in &other.map {
            let register = self.entry(entry.key);
            for version in &entry.register.versions {
                overwritten.extend(register.take(version, rule));
            }
        }
        self.vv.join(&other.vv);
        overwritten
    }

    /// The part of this state a replica whose version vector is `seen` lacks:
    /// every add, remove, counter entry and write with a dot it does not cover.
    pub fn delta(&self, seen: &VersionVector) -> Document {
        Document {
            policy: self.policy,
            vv: self.vv.clone(),
            items: self.items.delta(seen),
            counter: self.counter.delta(seen),
            adds: self
                .adds
                .iter()
                .filter(|tag| !seen.covers(tag.dot))
                .copied()
                .collect(),
            removals: self
                .removals
                .iter()
                .filter(|removal| !seen.covers(removal.dot))
                .cloned()
                .collect(),
            counts: self
                .counts
                .iter()
                .filter(|c| {
                    !seen.covers(Dot {
                        origin: c.origin,
                        seq: c.last,
                    })
                })
                .copied()
                .collect(),
            map: self
                .map
                .iter()
                .map(|entry| Entry {
                    key: entry.key,
                    register: entry.register.delta(seen),
                })
                .filter(|entry| !entry.register.versions.is_empty())
                .collect(),
        }
    }

    /// Whether the state holds no update at all (an empty delta).
    pub fn is_empty(&self) -> bool {
        self.items.versions.is_empty()
            && self.counter.versions.is_empty()
            && self.adds.is_empty()
            && self.removals.is_empty()
            && self.counts.is_empty()
            && self.map.is_empty()
    }

    /// The estimated size of this state encoded (see the module doc).
    pub fn bytes(&self) -> u64 {
        const HEADER: u64 = 4;
        const VV_ENTRY: u64 = 4;
        const DOT: u64 = 6;
        const STAMP: u64 = 10;
        const SMALL: u64 = 2;
        const COUNTER: u64 = 8;
        let vv = VV_ENTRY * self.vv.0.len() as u64;
        let context = match self.policy {
            Policy::MultiValue => vv,
            _ => 0,
        };
        let version = |value: u64| DOT + STAMP + context + value;
        let items: u64 = self
            .items
            .versions
            .iter()
            .map(|v| version(SMALL + SMALL * v.value.len() as u64))
            .sum();
        let counter = self.counter.versions.len() as u64 * version(COUNTER);
        let adds = self.adds.len() as u64 * (SMALL + DOT);
        let removals: u64 = self
            .removals
            .iter()
            .map(|r| SMALL + DOT + SMALL + DOT * r.tags.len() as u64)
            .sum();
        let counts = self.counts.len() as u64 * (SMALL + 3 * 4);
        let map: u64 = self
            .map
            .iter()
            .map(|entry| SMALL + entry.register.versions.len() as u64 * version(SMALL))
            .sum();
        4 * HEADER + vv + items + counter + adds + removals + counts + map
    }
}
