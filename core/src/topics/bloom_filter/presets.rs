//! The Bloom filter's guided scenarios and the plan of operations of every run.
//!
//! Plans are drawn from the seed. Where a story needs a particular outcome (a query
//! that is a true negative, a removed item that then tests absent) the plan runs the
//! operations on a copy of the starting state and picks items that give it, so the
//! narration holds for the preset's seed and parameters.

use crate::lab::topic::say;
use crate::lab::topic::{Preset, PresetInfo};
use crate::sim::ops;

use crate::bloom::QueryOutcome;

use super::{item_name, BloomEvent, BloomFilterState, BloomOp, BUG_REMOVE_UNCHECKED, MAX_BATCH};

/// RNG stream of the plans.
pub(super) const PLAN_STREAM: u64 = 0x626c_6f6f_6d70_6c61; // "bloompla"

/// Item numbers a plan draws are below this (batch items use the same range).
const PLAN_NUMBER_RANGE: u64 = 1_000_000;

pub const PRESETS: &[Preset<Script>] = &[
    Preset {
        info: PresetInfo {
            name: "insert-and-query",
            title: "Insert and query",
            summary: "Four items set their bits; a member always finds its bits set; a stranger hits a clear bit.",
            seed: 1,
            params: &[("m", 32), ("k", 3), ("n", 4), ("counting", 0)],
            bug: None,
            narration: &[
                say(0, "An empty filter: 32 bits, all clear. Each item has k = 3 positions, computed from the two halves of the first 16 bytes of SHA-256 of its name (double hashing: h1 + i*h2 mod m)."),
                say(1000, "Inserting an item sets its 3 bits. Nothing else is stored: not the item, not a count, so the filter stays small whatever the items are."),
                say(2000, "Later items may land on bits that are already set. The filter cannot tell who set a bit, which is why it can only ever answer 'maybe'."),
                say(5000, "A query checks the same 3 positions. An inserted item always finds them set: a Bloom filter never gives a false negative."),
                say(6000, "An item that was never inserted hits at least one clear bit here, and a single clear bit proves it is absent."),
            ],
        },
        script: insert_and_query,
    },
    Preset {
        info: PresetInfo {
            name: "false-positive",
            title: "A false positive, explained",
            summary: "A fuller filter answers 'maybe' for an item never inserted; each of its bits was set by some other item.",
            seed: 2,
            params: &[("m", 64), ("k", 3), ("n", 16), ("counting", 0)],
            bug: None,
            narration: &[
                say(0, "64 bits, 3 positions per item. Sixteen items will go in: four one by one, then twelve at once."),
                say(5000, "After sixteen inserts about half of the bits are set (1 - e^(-kn/m) = 1 - e^(-48/64), about 53%)."),
                say(6000, "Most never-inserted items still hit a clear bit and are rejected for sure."),
                say(7000, "The lab tries never-inserted items until one passes: all 3 of its bits are set, each by an inserted item listed beside it. The filter says 'maybe' for an item nobody inserted: a false positive."),
                say(8000, "Measured over 2000 never-inserted probes, the rate is close to the formula (1 - e^(-kn/m))^k, about 15% here."),
            ],
        },
        script: false_positive,
    },
    Preset {
        info: PresetInfo {
            name: "fill-up",
            title: "Filling up: measured rate against theory",
            summary: "800 items into 2048 bits with k = 4: the measured false-positive rate follows (1 - e^(-kn/m))^k as the filter fills.",
            seed: 3,
            params: &[("m", 2048), ("k", 4), ("n", 800), ("counting", 0)],
            bug: None,
            narration: &[
                say(0, "2048 bits, k = 4. Items go in 40 at a time; after every item the lab queries 2000 never-inserted probes and plots the share that test positive against (1 - e^(-kn/m))^k."),
                say(3000, "While the filter is sparse the rate is tiny: every probe needs all 4 of its bits set."),
                say(4500, "Around n = m ln 2 / k = 355 items half the bits are set and the rate is 0.5^4 = 6%: this is the load k = 4 is optimal for."),
                say(10000, "Past that point the rate climbs fast, to about 40% at 800 items. The sizing calculator says 800 items at 1% need 7669 bits and k = 7: about 9.6 bits per item."),
            ],
        },
        script: fill_up,
    },
    Preset {
        info: PresetInfo {
            name: "counting-delete",
            title: "Counting filter: delete",
            summary: "Counters instead of bits: an item is removed by decrementing its counters, and the others stay present.",
            seed: 4,
            params: &[("m", 128), ("k", 3), ("n", 20), ("counting", 1)],
            bug: None,
            narration: &[
                say(0, "A counting Bloom filter: each of the 128 positions is a 4-bit counter. Insert adds 1 to the item's 3 counters; a query asks whether all 3 are non-zero."),
                say(4000, "Twenty items are in. Some counters are 2 or more: several items share them."),
                say(6000, "Removing an item subtracts 1 from its 3 counters. Counters shared with other items stay above zero, so those items are still present: no false negatives."),
                say(7000, "The removed item now hits a zero counter and tests absent, which a plain Bloom filter could never achieve without rebuilding."),
                say(8000, "Removing an item that was never inserted is refused: the filter cannot tell a false positive from a member, so the application checks its own records first."),
            ],
        },
        script: counting_delete,
    },
    Preset {
        info: PresetInfo {
            name: "delete-false-positive",
            title: "Deleting a false positive (bug)",
            summary: "With the bug, removal trusts the filter: removing a false positive takes counters away from real items, and one of them vanishes.",
            seed: 5,
            params: &[("m", 128), ("k", 3), ("n", 30), ("counting", 1)],
            bug: Some(BUG_REMOVE_UNCHECKED),
            narration: &[
                say(0, "A counting filter of 128 counters and k = 3, with the bug on: a removal is allowed whenever the filter says 'maybe'."),
                say(5000, "A never-inserted item tests positive: its counters are non-zero only because inserted items use them."),
                say(6000, "The bug removes it anyway and decrements those counters. A counter that only one inserted item was using drops to zero: the checker flags no-false-negatives."),
                say(7000, "Querying that inserted item now answers 'certainly absent': a false negative, the one answer a Bloom filter must never give. Switch the bug off and replay: the application refuses to remove what it never inserted, and every inserted item stays present."),
            ],
        },
        script: delete_false_positive,
    },
];

/// Plan-time helper: draws from the plan's stream and replays operations on a copy
/// of the state (see [`crate::sim::ops::Planner`]).
type Planner = ops::Planner<BloomFilterState>;

impl Planner {
    /// A number that is not alive in the copy.
    fn fresh(&mut self) -> u64 {
        loop {
            let number = self.rng.below(PLAN_NUMBER_RANGE);
            if !self.sim.live().contains_key(&number) {
                return number;
            }
        }
    }

    /// A never-inserted item that the copy rejects for sure (the last one tried if
    /// the filter is too full to find one).
    fn true_negative(&mut self) -> u64 {
        let mut number = self.fresh();
        for _ in 0..1000 {
            if !self.sim.filter().contains(item_name(number).as_bytes()) {
                break;
            }
            number = self.fresh();
        }
        number
    }

    /// Inserts `singles` items one by one every `gap` ms from `start`, returning their
    /// numbers and the next free time.
    fn singles(&mut self, count: usize, start: u64, gap: u64) -> (Vec<u64>, u64) {
        let mut items = Vec::with_capacity(count);
        let mut time = start;
        for _ in 0..count {
            let item = self.fresh();
            self.push(time, BloomOp::Insert { item });
            items.push(item);
            time += gap;
        }
        (items, time)
    }

    /// Inserts `total` items in batches of at most `size` every `gap` ms.
    fn batches(&mut self, total: usize, size: usize, start: u64, gap: u64) -> u64 {
        let mut left = total;
        let mut time = start;
        let size = size.clamp(1, MAX_BATCH as usize);
        while left > 0 {
            let count = left.min(size);
            self.push(
                time,
                BloomOp::InsertBatch {
                    count: count as u32,
                },
            );
            left -= count;
            time += gap;
        }
        time
    }

    /// The false positive the copy's last operation found, if it found one.
    fn found_false_positive(&self) -> Option<u64> {
        match self.sim.last() {
            Some(BloomEvent::Query(record)) if record.outcome == QueryOutcome::FalsePositive => {
                Some(record.item)
            }
            _ => None,
        }
    }

    /// An inserted item the copy wrongly rejects (only after a bad removal).
    fn false_negative(&self) -> Option<u64> {
        self.sim
            .live()
            .keys()
            .copied()
            .find(|&item| !self.sim.filter().contains(item_name(item).as_bytes()))
    }

    /// Of `candidates`, one whose removal leaves it testing absent in the copy (the
    /// first if none does).
    fn removable(&self, candidates: &[u64]) -> u64 {
        candidates
            .iter()
            .copied()
            .find(|&item| {
                let mut trial = self.sim.clone();
                let _ = trial.perform(&BloomOp::Remove { item });
                !trial.filter().contains(item_name(item).as_bytes())
            })
            .or_else(|| candidates.first().copied())
            .unwrap_or(0)
    }
}

/// What a Bloom filter preset's script is: it fills the plan.
pub type Script = fn(&mut Planner);

fn insert_and_query(p: &mut Planner) {
    let (items, _) = p.singles(4, 1000, 1000);
    p.push(5000, BloomOp::Query { item: items[0] });
    let stranger = p.true_negative();
    p.push(6000, BloomOp::Query { item: stranger });
}

fn false_positive(p: &mut Planner) {
    p.singles(4, 1000, 1000);
    p.push(5000, BloomOp::InsertBatch { count: 12 });
    let stranger = p.true_negative();
    p.push(6000, BloomOp::Query { item: stranger });
    p.push(7000, BloomOp::FindFalsePositive);
    p.push(8000, BloomOp::Measure);
}

fn fill_up(p: &mut Planner) {
    let end = p.batches(800, 40, 500, 500);
    p.push(end, BloomOp::Measure);
}

fn counting_delete(p: &mut Planner) {
    let (items, _) = p.singles(3, 1000, 1000);
    p.push(4000, BloomOp::InsertBatch { count: 17 });
    let victim = p.removable(&items);
    p.push(5000, BloomOp::Query { item: victim });
    p.push(6000, BloomOp::Remove { item: victim });
    p.push(7000, BloomOp::Query { item: victim });
    let stranger = p.true_negative();
    p.push(8000, BloomOp::Remove { item: stranger });
    p.push(9000, BloomOp::Measure);
}

fn delete_false_positive(p: &mut Planner) {
    p.singles(3, 1000, 1000);
    p.push(4000, BloomOp::InsertBatch { count: 27 });
    p.push(5000, BloomOp::FindFalsePositive);
    // Remove the very item the story just showed to be a false positive.
    match p.found_false_positive() {
        Some(item) => p.push(6000, BloomOp::Remove { item }),
        None => p.push(6000, BloomOp::RemoveFalsePositive),
    }
    if let Some(lost) = p.false_negative() {
        p.push(7000, BloomOp::Query { item: lost });
    }
}

/// A few inserts one by one, the rest in about ten batches, queries of a member and
/// a stranger, a false positive, a measurement; with counters also a removal and two
/// attempts to remove a false positive (refused unless the bug is on).
pub(super) fn default_plan(p: &mut Planner) {
    let n = p.sim.config().n;
    let counting = p.sim.filter().is_counting();
    let singles = n.min(5);
    let (items, time) = p.singles(singles, 500, 500);
    let rest = n - singles;
    let mut time = p.batches(rest, rest.div_ceil(10), time, 500);
    let mut next = |gap: u64| {
        let now = time;
        time += gap;
        now
    };
    if let Some(&member) = items.first() {
        p.push(next(500), BloomOp::Query { item: member });
    }
    let stranger = p.fresh();
    p.push(next(500), BloomOp::Query { item: stranger });
    p.push(next(500), BloomOp::FindFalsePositive);
    p.push(next(500), BloomOp::Measure);
    if counting {
        if let Some(&member) = items.first() {
            p.push(next(500), BloomOp::Remove { item: member });
            p.push(next(500), BloomOp::Query { item: member });
        }
        p.push(next(500), BloomOp::RemoveFalsePositive);
        p.push(next(500), BloomOp::RemoveFalsePositive);
        p.push(next(500), BloomOp::Measure);
    }
}
