//! Skip list: a sorted map with expected O(log n) search from coin flips instead of
//! rebalancing.
//!
//! **Problem.** A sorted map needs fast search, insert and delete. Balanced trees give
//! O(log n) through intricate rebalancing; a sorted linked list is simple but O(n).
//!
//! **Idea.** Keep the sorted list as lane 0 and add express lanes above it. Each new
//! node flips a fair coin until tails; every heads lifts it one lane higher, so about
//! half the nodes reach lane 1, a quarter lane 2, and so on. A search starts on the
//! head's top lane, moves right while the next key is smaller and drops a lane
//! otherwise, taking about `2·log2(n)` steps. A node's height is fixed once, by its
//! coins, so nothing is ever rebalanced.
//!
//! **Follows** Pugh, "Skip Lists: A Probabilistic Alternative to Balanced Trees"
//! (CACM 33(6), 1990), with p = 1/2, through [`crate::skiplist::SkipList`]; coin flips
//! come from the scenario's seed.
//!
//! **What a run shows.** Keys are integers in `1..=max`. [`SkipListState`] exposes the
//! list (lanes and towers for drawing), the last operation ([`SkipListEvent`]: an
//! insert's coin flips and height, a search's path step by step with its comparison
//! count, a removal), and a series of the mean search cost measured as the list grows
//! ([`CostSample`]: mean comparisons over every key present, against `log2 n` and
//! Pugh's bound `2·log2 n + 2`) for the chart.
//!
//! **Invariants** (checked after every operation):
//! - `sorted-lanes`: every lane is strictly increasing, each lane above lane 0 is a
//!   sub-list of the lane below it, and lane 0 holds exactly `len()` keys.
//! - `matches-reference`: the keys in order equal those of a `BTreeSet` the topic
//!   keeps beside the list and updates with every operation.
//!
//! **Operations** ([`crate::scenario::Action::Operation`] codes; keys must be in
//! `1..=max`):
//! - [`OP_INSERT`] (1), arg = key: insert it (a present key flips no coins).
//! - [`OP_SEARCH`] (2), arg = key: search and record the path.
//! - [`OP_REMOVE`] (3), arg = key: remove it if present.
//! - [`OP_INSERT_BATCH`] (4), arg = 1..=[`MAX_BATCH`]: insert that many new random
//!   keys (refused when the key range or [`MAX_KEYS`] has no room for them).

pub mod presets;

use std::collections::BTreeSet;
use std::fmt;

use crate::bloom::math::ln;
use crate::lab::run::RunOptions;
use crate::lab::scenario::Scenario;
use crate::lab::structure::{self, Plan, StructureTopic};
use crate::lab::topic::{BuildError, Category, InvariantInfo, ParamSpec, TopicInfo, TopicKind};
use crate::sim::action::{Operation, RawOperation};
use crate::sim::checker::Violation;
use crate::sim::ops::{Notes, Planner, Structure};
use crate::sim::rng::Rng;
use crate::sim::time::Time;
use crate::sim::view::{Cell, StateTable};
use crate::skiplist::{pugh_search_cost_bound, Coin, SearchAction, SearchPath, SkipList};

/// Insert key `arg`.
pub const OP_INSERT: u32 = 1;
/// Search for key `arg`.
pub const OP_SEARCH: u32 = 2;
/// Remove key `arg`.
pub const OP_REMOVE: u32 = 3;
/// Insert `arg` new random keys (1..=[`MAX_BATCH`]).
pub const OP_INSERT_BATCH: u32 = 4;

/// The most keys in a list.
pub const MAX_KEYS: usize = 5000;
/// The most keys one batch inserts.
pub const MAX_BATCH: u64 = 1000;
/// The longest cost series kept (later samples are dropped).
pub const MAX_SAMPLES: usize = 4096;

/// Invariant: lanes sorted, each a sub-list of the one below.
pub const SORTED_LANES: &str = "sorted-lanes";
/// Invariant: the keys equal those of the reference `BTreeSet`.
pub const MATCHES_REFERENCE: &str = "matches-reference";

/// RNG streams: coin flips, and keys (initial and batch).
const COIN_STREAM: u64 = 0x0063_6f69_6e73; // "coins"
const KEY_STREAM: u64 = 0x6b65_7973; // "keys"

pub static INVARIANTS: &[InvariantInfo] = &[
    InvariantInfo {
        name: SORTED_LANES,
        summary: "Every lane is sorted, each upper lane is a sub-list of the lane below, and lane 0 holds every key.",
    },
    InvariantInfo {
        name: MATCHES_REFERENCE,
        summary: "The list holds exactly the keys of a BTreeSet updated with the same operations, in the same order.",
    },
];

/// The skip list topic.
pub struct SkipListTopic;

pub static INFO: TopicInfo = TopicInfo {
    slug: "skip-list",
    title: "Skip list",
    category: Category::DataStructures,
    kind: TopicKind::DataStructure,
    summary: "A sorted linked list with express lanes built by coin flips. Watch an insert flip its coins, follow a search down the lanes step by step, and measure the average search cost against log2 n as the list grows.",
    reference: "Pugh, Skip Lists: A Probabilistic Alternative to Balanced Trees, CACM 33(6), 1990",
    params: &[
        ParamSpec {
            name: "keys",
            label: "Initial keys",
            default: 12,
            min: 0,
            max: 1000,
            step: 1,
            help: "Random keys in the list at the start.",
            choices: &[],
        },
        ParamSpec {
            name: "max",
            label: "Largest key",
            default: 99,
            min: 10,
            max: 100_000,
            step: 1,
            help: "Keys are integers from 1 to this.",
            choices: &[],
        },
    ],
    presets: &presets::PRESETS,
    bugs: &[],
    invariants: INVARIANTS,
    expected: &[],
    columns: &["lane", "keys", "expected n/2^lane"],
    build: structure::build::<SkipListTopic>,
};

impl StructureTopic for SkipListTopic {
    const INFO: &'static TopicInfo = &INFO;
    type State = SkipListState;
    type Script = presets::Script;

    fn setup(
        scenario: &Scenario,
        script: Option<&presets::Script>,
        _options: RunOptions,
    ) -> Result<(SkipListState, Plan<SkipListState>), BuildError> {
        let state = SkipListState::new(
            INFO.param(scenario, "keys").max(0) as usize,
            INFO.param(scenario, "max").max(1) as u64,
            scenario.seed,
        );
        let rng = Rng::derive(scenario.seed, presets::PLAN_STREAM);
        let plan = Planner::plan(
            &state,
            rng,
            script.copied().unwrap_or(presets::default_plan),
        );
        Ok((state, plan))
    }
}

/// One step of a search path, with keys instead of references.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathStep {
    /// Right, down, or stop.
    pub action: SearchAction,
    /// The lane the step starts on.
    pub level: usize,
    /// Where the step starts (`None`: the head).
    pub from: Option<u64>,
    /// The next node looked at on this lane (`None`: the lane ended).
    pub next: Option<u64>,
    /// Whether looking at `next` cost a key comparison.
    pub compared: bool,
}

/// A search path: every step, the comparisons made, and whether the key was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchRecord {
    pub key: u64,
    pub steps: Vec<PathStep>,
    pub comparisons: usize,
    pub found: bool,
}

impl SearchRecord {
    fn from_path(key: u64, path: &SearchPath<'_, u64>) -> Self {
        SearchRecord {
            key,
            steps: path
                .steps
                .iter()
                .map(|s| PathStep {
                    action: s.action,
                    level: s.level,
                    from: s.node.copied(),
                    next: s.next.copied(),
                    compared: s.compared,
                })
                .collect(),
            comparisons: path.comparisons,
            found: path.found,
        }
    }

    /// Moves right.
    pub fn rights(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| s.action == SearchAction::Right)
            .count()
    }

    /// Lanes dropped.
    pub fn downs(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| s.action == SearchAction::Down)
            .count()
    }
}

/// What the last operation did, for the view to highlight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SkipListEvent {
    /// An insert: the search for its place, then its coin flips and height (no
    /// flips and `replaced` when the key was already present).
    Insert {
        key: u64,
        path: SearchRecord,
        flips: Vec<Coin>,
        height: usize,
        replaced: bool,
    },
    /// A search and its path.
    Search(SearchRecord),
    /// A removal: the search that found (or missed) the key.
    Remove {
        key: u64,
        path: SearchRecord,
        removed: bool,
    },
    /// A batch of new keys, each with its height.
    Batch { keys: Vec<(u64, usize)> },
}

/// The measured search cost at one size, for the chart.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CostSample {
    /// Keys in the list.
    pub n: usize,
    /// Mean key comparisons of a search for each key present.
    pub mean_comparisons: f64,
    /// `log2 n`.
    pub log2_n: f64,
    /// Pugh's bound on the expected search path, `2·log2 n + 2`.
    pub bound: f64,
}

/// An operation of the plan or of the person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SkipListOp {
    Insert { key: u64 },
    Search { key: u64 },
    Remove { key: u64 },
    InsertBatch { count: u32 },
}

impl fmt::Display for SkipListOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipListOp::Insert { key } => write!(f, "insert {key}"),
            SkipListOp::Search { key } => write!(f, "search for {key}"),
            SkipListOp::Remove { key } => write!(f, "remove {key}"),
            SkipListOp::InsertBatch { count } => {
                write!(f, "insert {}", counted(*count as usize, "random key"))
            }
        }
    }
}

/// "1 key", "2 keys".
fn counted(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// Whether the cost is sampled when the list reaches `n` keys inside a batch:
/// 1 to 4, then powers of two and three times powers of two, so the chart has
/// evenly spaced points on a log axis and sampling costs O(n log n) per doubling.
fn is_sample_point(n: usize) -> bool {
    if n <= 4 {
        return true;
    }
    let odd = n >> n.trailing_zeros();
    odd == 1 || odd == 3
}

/// `log2 n` with the crate's portable `ln` (0 for n = 0).
pub fn log2(n: usize) -> f64 {
    if n == 0 {
        0.0
    } else {
        ln(n as f64) / std::f64::consts::LN_2
    }
}

/// The state of a skip-list run. Pages downcast the run to [`SkipListRun`] and read
/// this.
#[derive(Clone)]
pub struct SkipListState {
    list: SkipList<u64, ()>,
    /// The same keys in a `BTreeSet`, updated alongside: the reference model.
    reference: BTreeSet<u64>,
    max_key: u64,
    rng: Rng,
    last: Option<SkipListEvent>,
    cost: Vec<CostSample>,
}

impl SkipListState {
    /// A list of `keys` random keys from `1..=max_key`, coins and keys drawn from
    /// `seed`.
    pub fn new(keys: usize, max_key: u64, seed: u64) -> Self {
        let coin_seed = Rng::derive(seed, COIN_STREAM).next_u64();
        let mut state = SkipListState {
            list: SkipList::with_seed(coin_seed),
            reference: BTreeSet::new(),
            max_key: max_key.max(1),
            rng: Rng::derive(seed, KEY_STREAM),
            last: None,
            cost: Vec::new(),
        };
        let count = keys.min(state.room());
        for key in state.fresh_keys(count) {
            state.list.insert(key, ());
            state.reference.insert(key);
        }
        if !state.list.is_empty() {
            state.record_cost();
        }
        state
    }

    /// The list: [`SkipList::lanes`] and [`SkipList::towers`] to draw it.
    pub fn list(&self) -> &SkipList<u64, ()> {
        &self.list
    }

    /// The largest key allowed.
    pub fn max_key(&self) -> u64 {
        self.max_key
    }

    /// The keys in order, from the reference model.
    pub fn reference(&self) -> &BTreeSet<u64> {
        &self.reference
    }

    /// What the last operation did.
    pub fn last(&self) -> Option<&SkipListEvent> {
        self.last.as_ref()
    }

    /// The mean search cost measured at the start and whenever the list changed.
    pub fn cost(&self) -> &[CostSample] {
        &self.cost
    }

    /// How many more keys fit (key range and [`MAX_KEYS`]).
    pub fn room(&self) -> usize {
        let range = usize::try_from(self.max_key).unwrap_or(usize::MAX);
        range.min(MAX_KEYS).saturating_sub(self.reference.len())
    }

    fn key_allowed(&self, key: u64) -> bool {
        (1..=self.max_key).contains(&key)
    }

    /// The search path for `key` right now.
    pub fn search(&self, key: u64) -> SearchRecord {
        SearchRecord::from_path(key, &self.list.search_path(&key))
    }

    /// `count` distinct random keys not in the list (fewer if there is no room).
    fn fresh_keys(&mut self, count: usize) -> Vec<u64> {
        let count = count.min(self.room());
        let free_keys = self.max_key.saturating_sub(self.reference.len() as u64);
        let mut chosen = BTreeSet::new();
        let mut keys = Vec::with_capacity(count);
        if free_keys >= 2 * count as u64 {
            // Mostly free: draw and retry (at most half the draws are taken).
            while keys.len() < count {
                let key = self.rng.range_inclusive(1, self.max_key);
                if !self.reference.contains(&key) && chosen.insert(key) {
                    keys.push(key);
                }
            }
        } else {
            // Crowded: shuffle the free keys (max_key is at most 100 000 here).
            let mut free: Vec<u64> = (1..=self.max_key)
                .filter(|k| !self.reference.contains(k))
                .collect();
            self.rng.shuffle(&mut free);
            free.truncate(count);
            keys = free;
        }
        keys
    }

    fn record_cost(&mut self) {
        let n = self.list.len();
        if self.cost.len() >= MAX_SAMPLES || self.cost.last().is_some_and(|s| s.n == n) {
            return;
        }
        self.cost.push(CostSample {
            n,
            mean_comparisons: self.list.mean_search_comparisons(),
            log2_n: log2(n),
            bound: pugh_search_cost_bound(n),
        });
    }

    fn insert(&mut self, key: u64) -> Result<(), String> {
        if !self.key_allowed(key) {
            return Err(format!("{key} is outside 1..={}", self.max_key));
        }
        let present = self.reference.contains(&key);
        if !present && self.room() == 0 {
            return Err("the list is full".to_string());
        }
        let path = self.search(key);
        let (_, trace) = self.list.insert_traced(key, ());
        self.reference.insert(key);
        self.last = Some(SkipListEvent::Insert {
            key,
            path,
            flips: trace.flips,
            height: trace.height,
            replaced: trace.replaced,
        });
        if !present {
            self.record_cost();
        }
        Ok(())
    }

    fn remove(&mut self, key: u64) -> Result<(), String> {
        if !self.key_allowed(key) {
            return Err(format!("{key} is outside 1..={}", self.max_key));
        }
        let path = self.search(key);
        let removed = self.list.remove(&key).is_some();
        self.reference.remove(&key);
        self.last = Some(SkipListEvent::Remove { key, path, removed });
        if removed {
            self.record_cost();
        }
        Ok(())
    }

    fn insert_batch(&mut self, count: u32) -> Result<(), String> {
        let keys = self.fresh_keys(count as usize);
        if keys.is_empty() {
            return Err("the list is full".to_string());
        }
        let mut inserted = Vec::with_capacity(keys.len());
        for key in keys {
            let (_, trace) = self.list.insert_traced(key, ());
            self.reference.insert(key);
            inserted.push((key, trace.height));
            if is_sample_point(self.list.len()) {
                self.record_cost();
            }
        }
        self.record_cost();
        self.last = Some(SkipListEvent::Batch { keys: inserted });
        Ok(())
    }

    /// Performs `op`. `Err` says why nothing changed.
    pub fn perform(&mut self, op: &SkipListOp) -> Result<(), String> {
        match op {
            SkipListOp::Insert { key } => self.insert(*key),
            SkipListOp::Search { key } => {
                if !self.key_allowed(*key) {
                    return Err(format!("{key} is outside 1..={}", self.max_key));
                }
                self.last = Some(SkipListEvent::Search(self.search(*key)));
                Ok(())
            }
            SkipListOp::Remove { key } => self.remove(*key),
            SkipListOp::InsertBatch { count } => self.insert_batch(*count),
        }
    }

    fn describe_last(&self) -> String {
        let Some(event) = &self.last else {
            return String::new();
        };
        match event {
            SkipListEvent::Insert {
                key,
                flips,
                height,
                replaced,
                path,
            } => {
                if *replaced {
                    format!("{key} is already present: no node is created and no coin is flipped")
                } else {
                    let coins: Vec<&str> = flips
                        .iter()
                        .map(|c| match c {
                            Coin::Heads => "heads",
                            Coin::Tails => "tails",
                        })
                        .collect();
                    let lanes = if *height == 1 {
                        "lane 0 only".to_string()
                    } else {
                        format!("lanes 0 to {}", height - 1)
                    };
                    format!(
                        "{key}: {} find its place; coins {}: height {height}, on {lanes}",
                        counted(path.comparisons, "comparison"),
                        coins.join(", ")
                    )
                }
            }
            SkipListEvent::Search(record) => {
                let n = self.list.len();
                format!(
                    "search for {}: {} right, {} down, {} ({}; log2 n = {:.1} for n = {n}, Pugh's bound 2 log2 n + 2 = {:.1})",
                    record.key,
                    record.rights(),
                    record.downs(),
                    counted(record.comparisons, "comparison"),
                    if record.found { "found" } else { "absent: the search ends where it would be inserted" },
                    log2(n),
                    pugh_search_cost_bound(n)
                )
            }
            SkipListEvent::Remove { key, path, removed } => {
                if *removed {
                    format!(
                        "{key} removed after {}: on each lane it occupied, the last node before it now links past it",
                        counted(path.comparisons, "comparison")
                    )
                } else {
                    format!("{key} is not in the list; nothing to remove")
                }
            }
            SkipListEvent::Batch { keys } => {
                let sample = self.cost.last();
                format!(
                    "{} inserted, {} in all, on {}; a search now costs {:.2} comparisons on average (log2 n = {:.2})",
                    counted(keys.len(), "key"),
                    self.list.len(),
                    counted(self.list.height(), "lane"),
                    sample.map_or(0.0, |s| s.mean_comparisons),
                    log2(self.list.len())
                )
            }
        }
    }

    /// `sorted-lanes`.
    fn check_sorted_lanes(&self, found: &mut Vec<Violation>) {
        if let Some(problem) = lane_problem(&self.list.lanes(), self.list.len()) {
            found.push(Violation {
                invariant: SORTED_LANES,
                message: problem,
            });
        }
    }

    /// `matches-reference`.
    fn check_matches_reference(&self, found: &mut Vec<Violation>) {
        let mut list_keys = self.list.keys();
        let mut reference = self.reference.iter();
        loop {
            match (list_keys.next(), reference.next()) {
                (None, None) => break,
                (Some(a), Some(b)) if a == b => continue,
                (a, b) => {
                    let show = |k: Option<&u64>| k.map_or("the end".to_string(), u64::to_string);
                    found.push(Violation {
                        invariant: MATCHES_REFERENCE,
                        message: format!(
                            "the list has {} where the reference has {} ({} keys against {})",
                            show(a),
                            show(b),
                            self.list.len(),
                            self.reference.len()
                        ),
                    });
                    break;
                }
            }
        }
    }
}

/// What is wrong with `lanes` (lane 0 first) for a list of `len` keys, if anything:
/// a lane out of order, a key on a lane missing from the lane below, or lane 0 not
/// holding every key.
pub fn lane_problem(lanes: &[Vec<&u64>], len: usize) -> Option<String> {
    let bottom = lanes.first().map_or(0, Vec::len);
    if bottom != len {
        return Some(format!("lane 0 holds {bottom} keys but the list has {len}"));
    }
    for (level, lane) in lanes.iter().enumerate() {
        if let Some(pair) = lane.windows(2).find(|w| w[0] >= w[1]) {
            return Some(format!("lane {level} has {} before {}", pair[0], pair[1]));
        }
        if level == 0 {
            continue;
        }
        // Both lanes are sorted, so one pass over the lower lane finds every key of
        // this one in order if it is a sub-list.
        let mut below = lanes[level - 1].iter();
        for key in lane {
            if !below.any(|k| k == key) {
                return Some(format!(
                    "lane {level} holds {key}, which lane {} lacks",
                    level - 1
                ));
            }
        }
    }
    if lanes.last().is_some_and(Vec::is_empty) {
        return Some(format!("the top lane ({}) is empty", lanes.len() - 1));
    }
    None
}

impl Operation for SkipListOp {
    fn to_raw(&self) -> RawOperation {
        match *self {
            SkipListOp::Insert { key } => RawOperation::new(OP_INSERT, &[key]),
            SkipListOp::Search { key } => RawOperation::new(OP_SEARCH, &[key]),
            SkipListOp::Remove { key } => RawOperation::new(OP_REMOVE, &[key]),
            SkipListOp::InsertBatch { count } => {
                RawOperation::new(OP_INSERT_BATCH, &[count as u64])
            }
        }
    }

    fn from_raw(raw: &RawOperation) -> Option<Self> {
        let &[arg] = raw.args.as_slice() else {
            return None;
        };
        Some(match raw.code {
            OP_INSERT => SkipListOp::Insert { key: arg },
            OP_SEARCH => SkipListOp::Search { key: arg },
            OP_REMOVE => SkipListOp::Remove { key: arg },
            OP_INSERT_BATCH => SkipListOp::InsertBatch {
                count: u32::try_from(arg).ok()?,
            },
            _ => return None,
        })
    }
}

impl Structure for SkipListState {
    type Op = SkipListOp;
    type Request = SkipListOp;

    fn apply(&mut self, op: &SkipListOp, _now: Time, notes: &mut Notes) {
        match self.perform(op) {
            Err(reason) => notes.note(|| reason),
            Ok(()) => notes.note(|| self.describe_last()),
        }
    }

    fn check(&self, found: &mut Vec<Violation>) {
        self.check_sorted_lanes(found);
        self.check_matches_reference(found);
    }

    fn resolve(&self, request: &SkipListOp) -> Option<SkipListOp> {
        let allowed = match *request {
            SkipListOp::Insert { key } => {
                self.key_allowed(key) && (self.reference.contains(&key) || self.room() > 0)
            }
            SkipListOp::Search { key } | SkipListOp::Remove { key } => self.key_allowed(key),
            SkipListOp::InsertBatch { count } => {
                (1..=MAX_BATCH).contains(&(count as u64)) && count as usize <= self.room()
            }
        };
        allowed.then(|| request.clone())
    }

    fn state_table(&self) -> StateTable {
        let n = self.list.len();
        let rows = self
            .list
            .lane_sizes()
            .iter()
            .enumerate()
            .map(|(level, &size)| {
                let expected = n as f64 / (1u64 << level.min(63)) as f64;
                vec![
                    Cell::Text(level.to_string()),
                    Cell::Text(size.to_string()),
                    Cell::Text(format!("{expected:.1}")),
                ]
            })
            .collect();
        StateTable {
            columns: INFO.columns.to_vec(),
            rows,
        }
    }
}

#[cfg(test)]
mod tests;
