//! The skip list's guided scenarios and the plan of operations of every run.
//!
//! Keys are drawn from the seed. The plan runs its operations on a copy of the
//! starting state, so it can pick keys that are present or absent when the story
//! needs them (the copy flips the same coins the run will).

use crate::lab::topic::say;
use crate::lab::topic::{Preset, PresetInfo};
use crate::sim::ops;

use super::{SkipListOp, SkipListState};

/// RNG stream of the plans.
pub(super) const PLAN_STREAM: u64 = 0x736b_6970_706c_616e; // "skipplan"

pub const PRESETS: &[Preset<Script>] = &[
    Preset {
        info: PresetInfo {
            name: "coin-flips",
            title: "Coin flips build the lanes",
            summary: "Ten keys go in one by one; each flips a coin until tails, and heads lift it to a higher lane.",
            seed: 20,
            params: &[("keys", 0), ("max", 99)],
            bug: None,
            narration: &[
                say(0, "An empty skip list: only the head, with no lanes yet. Keys go in one at a time."),
                say(1000, "To insert, the list first searches for the key's place on lane 0. Then it flips a fair coin: heads lifts the new node one lane higher and flips again, tails stops. Its height is 1 plus the number of heads."),
                say(4000, "About half the nodes reach lane 1, a quarter lane 2, an eighth lane 3: each lane is an express lane skipping about half the nodes of the lane below."),
                say(7000, "Keys arrive in random order, yet nothing is ever rebalanced: a node's height is decided once, by its own coins, and stays. Balance holds in expectation, whatever the keys."),
                say(10000, "The lane table compares the nodes on each lane with n/2^lane, what the coins give on average."),
            ],
        },
        script: coin_flips,
    },
    Preset {
        info: PresetInfo {
            name: "search-path",
            title: "Following a search",
            summary: "A search goes right while the next key is smaller and drops a lane otherwise; the path and its comparisons are shown, then a removal and a re-insert.",
            seed: 2,
            params: &[("keys", 24), ("max", 99)],
            bug: None,
            narration: &[
                say(0, "24 keys on lane 0 and, above them, the express lanes their coins gave them."),
                say(1000, "A search starts on the head's top lane. It moves right while the next key is smaller than the target, and drops one lane when the next key is not smaller or the lane ends. Each key looked at costs one comparison; a node already compared on a higher lane is not compared again."),
                say(3000, "A key that is not there: the search ends on lane 0 between the two keys it would sit between. That is the proof of absence."),
                say(5000, "Removing a key is the same search, remembering the last node before the key on each lane; each of those now links past it. No other node changes."),
                say(7000, "Searching for the removed key now ends where it would be inserted."),
                say(9000, "Inserting it again flips fresh coins, so it may come back at a different height."),
            ],
        },
        script: search_path,
    },
    Preset {
        info: PresetInfo {
            name: "cost-vs-log-n",
            title: "Search cost against log2 n",
            summary: "The list doubles from 1 to 2048 keys; the mean search cost grows like log2 n, below Pugh's bound 2 log2 n + 2.",
            seed: 3,
            params: &[("keys", 0), ("max", 100_000)],
            bug: None,
            narration: &[
                say(0, "Keys go in in doubling batches up to 2048. At sizes 1, 2, 3, 4, 6, 8, 12, 16, ... the lab searches for every key present and plots the mean number of comparisons."),
                say(2000, "A search climbs down about log2 n lanes and moves right about once per lane on average, so the cost grows like log2 n: doubling the list adds about two comparisons."),
                say(4000, "The chart shows log2 n and Pugh's bound on the expected search path, 2 log2 n + 2 for p = 1/2. The measured mean stays below the bound."),
                say(6000, "At 2048 keys a search makes about 18 comparisons where a plain sorted linked list would average 1024: the express lanes do what a balanced tree does, without any rebalancing."),
            ],
        },
        script: cost_vs_log_n,
    },
];

/// Plan-time helper: draws from the plan's stream and replays operations on a copy
/// of the state (see [`crate::sim::ops::Planner`]).
type Planner = ops::Planner<SkipListState>;

impl Planner {
    /// A key absent from the copy (any key if the range is full).
    fn absent(&mut self) -> u64 {
        let max = self.sim.max_key();
        for _ in 0..1000 {
            let key = self.rng.range_inclusive(1, max);
            if !self.sim.reference().contains(&key) {
                return key;
            }
        }
        self.rng.range_inclusive(1, max)
    }

    /// A present key, preferring the upper half of the list so the path is long.
    fn present(&mut self) -> Option<u64> {
        let keys: Vec<u64> = self.sim.reference().iter().copied().collect();
        let upper = &keys[keys.len() / 2..];
        self.rng.pick(upper).copied()
    }
}

/// What a skip list preset's script is: it fills the plan.
pub type Script = fn(&mut Planner);

fn coin_flips(p: &mut Planner) {
    for i in 1..=10 {
        let key = p.absent();
        p.push(1000 * i, SkipListOp::Insert { key });
    }
}

fn search_path(p: &mut Planner) {
    if let Some(key) = p.present() {
        p.push(1000, SkipListOp::Search { key });
    }
    let missing = p.absent();
    p.push(3000, SkipListOp::Search { key: missing });
    if let Some(key) = p.present() {
        p.push(5000, SkipListOp::Remove { key });
        p.push(7000, SkipListOp::Search { key });
        p.push(9000, SkipListOp::Insert { key });
    }
}

fn cost_vs_log_n(p: &mut Planner) {
    let mut count = 1u32;
    for i in 0..12u64 {
        // 1, 1, 2, 4, ... 1024: the list doubles with every batch after the first.
        p.push(500 * (i + 1), SkipListOp::InsertBatch { count });
        if i > 0 {
            count *= 2;
        }
    }
}

/// A few inserts one by one, searches for a present and a missing key, a removal,
/// a batch, and a last search.
pub(super) fn default_plan(p: &mut Planner) {
    let mut time = 700;
    for _ in 0..5 {
        let key = p.absent();
        p.push(time, SkipListOp::Insert { key });
        time += 700;
    }
    if let Some(key) = p.present() {
        p.push(time, SkipListOp::Search { key });
    }
    let missing = p.absent();
    p.push(time + 700, SkipListOp::Search { key: missing });
    if let Some(key) = p.present() {
        p.push(time + 1400, SkipListOp::Remove { key });
    }
    let room = p.sim.room().min(20) as u32;
    if room > 0 {
        p.push(time + 2100, SkipListOp::InsertBatch { count: room });
    }
    if let Some(key) = p.present() {
        p.push(time + 2800, SkipListOp::Search { key });
    }
}
