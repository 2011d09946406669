//! Bloom filter: a set in a few bits per item that may say "maybe" but never lies
//! about absence.
//!
//! **Problem.** Know whether an item might be in a large set (on disk, on another
//! node) without storing the set; rare, known false "maybe" answers are acceptable, a
//! false "no" is not.
//!
//! **Idea.** Keep `m` bits. Inserting an item sets the `k` bits at its `k` hash
//! positions; a query checks them. An inserted item always finds its bits set (no
//! false negatives); an item never inserted is reported present only if other items
//! happened to set all its bits, which after `n` inserts happens with probability
//! about `(1 − e^(−kn/m))^k`. A counting Bloom filter keeps a small counter per
//! position so items can be removed.
//!
//! **Follows** Bloom, "Space/Time Trade-offs in Hash Coding with Allowable Errors"
//! (CACM 13(7), 1970) for the filter and the rate; Kirsch and Mitzenmacher, "Less
//! Hashing, Same Performance" (ESA 2006) for the `k` positions by double hashing;
//! Fan, Cao, Almeida and Broder, "Summary Cache" (SIGCOMM 1998) for the counting
//! filter; all through [`crate::bloom`].
//!
//! **What a run shows.** Items are named `item-<number>`. [`BloomFilterState`] exposes
//! the bit array (or counters), the last operation ([`BloomEvent`]: an insert's `k`
//! positions, a query's probes and, for a false positive, which inserted items set
//! each probed bit), a false-positive series measured after every insert over a fixed
//! set of [`PROBES`] never-inserted items (`probe-0`, `probe-1`, ...) next to the
//! formula, and the sizing calculator for the current parameters.
//!
//! **Invariant** `no-false-negatives`: every item inserted and not removed tests
//! positive. There is deliberately no invariant comparing the measured rate with the
//! formula: the formula is an approximation (it is below the exact rate for small
//! `m`, Bose et al. 2008) and the measured rate of one filter scatters around it, so
//! no tolerance is both sound and useful after every step of every run. The chart
//! shows the comparison instead, and the library's tests check the rate over many
//! seeds.
//!
//! **Operations** ([`BloomOp`], encoded as [`crate::sim::action::RawOperation`]
//! codes; the argument is ignored where none is listed):
//! - [`OP_INSERT`] (1), arg = item number: insert `item-<arg>`.
//! - [`OP_QUERY`] (2), arg = item number: query `item-<arg>` and explain the answer.
//! - [`OP_INSERT_BATCH`] (3), arg = 1..=[`MAX_BATCH`]: insert that many new random items.
//! - [`OP_MEASURE`] (4): measure the false-positive rate now.
//! - [`OP_REMOVE`] (5), arg = item number: remove `item-<arg>` (counting variant only;
//!   refused unless the item was inserted, see the bug).
//! - [`OP_FIND_FALSE_POSITIVE`] (6): try never-inserted items until one tests positive,
//!   and explain it.
//! - [`OP_REMOVE_FALSE_POSITIVE`] (7): find a false positive and try to remove it
//!   (counting variant only).
//!
//! Inserts are refused beyond [`MAX_ITEMS`] distinct live items.
//!
//! **Bug** `remove-unchecked` (switches the counting variant on): removal trusts the
//! filter instead of the application's own records, so removing a false positive
//! decrements counters that inserted items need, and `no-false-negatives` catches the
//! item that vanishes.

pub mod presets;

use std::collections::BTreeMap;
use std::fmt;

use crate::bloom::math::powi;
use crate::bloom::{
    false_positive_rate, optimal_k, setters_of, sizing, BitProbe, BitSetters, BloomFilter,
    BloomSizing, CountingBloomFilter, QueryExplanation, QueryOutcome, RemoveOutcome,
};
use crate::lab::run::RunOptions;
use crate::lab::scenario::Scenario;
use crate::lab::structure::{self, Plan, StructureTopic};
use crate::lab::topic::{
    BugInfo, BuildError, Category, InvariantInfo, ParamSpec, TopicInfo, TopicKind,
};
use crate::sim::action::{Operation, RawOperation};
use crate::sim::checker::Violation;
use crate::sim::ops::{Notes, Planner, Structure};
use crate::sim::rng::Rng;
use crate::sim::time::Time;
use crate::sim::view::{Cell, StateTable};

/// Insert `item-<arg>`.
pub const OP_INSERT: u32 = 1;
/// Query `item-<arg>`.
pub const OP_QUERY: u32 = 2;
/// Insert `arg` new random items (1..=[`MAX_BATCH`]).
pub const OP_INSERT_BATCH: u32 = 3;
/// Measure the false-positive rate (argument ignored).
pub const OP_MEASURE: u32 = 4;
/// Remove `item-<arg>` (counting variant).
pub const OP_REMOVE: u32 = 5;
/// Find a never-inserted item that tests positive and explain it (argument ignored).
pub const OP_FIND_FALSE_POSITIVE: u32 = 6;
/// Find a false positive and try to remove it (counting variant; argument ignored).
pub const OP_REMOVE_FALSE_POSITIVE: u32 = 7;

/// Never-inserted items queried for every measurement of the false-positive rate.
pub const PROBES: usize = 2000;
/// The most distinct items alive in the filter.
pub const MAX_ITEMS: usize = 10_000;
/// The most items one batch inserts.
pub const MAX_BATCH: u64 = 1000;
/// How many never-inserted items a search for a false positive tries.
pub const FALSE_POSITIVE_SEARCH_LIMIT: usize = 20_000;
/// The longest false-positive series kept (later samples are dropped).
pub const MAX_SERIES: usize = 20_000;

/// Invariant: every item inserted and not removed tests positive.
pub const NO_FALSE_NEGATIVES: &str = "no-false-negatives";

/// Bug: remove without checking that the item was inserted.
pub const BUG_REMOVE_UNCHECKED: &str = "remove-unchecked";

/// Random item numbers are drawn below this, so names stay short.
const ITEM_NUMBER_RANGE: u64 = 1_000_000;
/// RNG stream of batch items and false-positive searches.
const ITEM_STREAM: u64 = 0x0069_7465_6d73; // "items"

/// The name of item `number`: what is hashed.
pub fn item_name(number: u64) -> String {
    format!("item-{number}")
}

/// The name of probe `index` of the measurement set; never inserted, because every
/// inserted item is named `item-...`.
pub fn probe_name(index: usize) -> String {
    format!("probe-{index}")
}

pub static INVARIANTS: &[InvariantInfo] = &[InvariantInfo {
    name: NO_FALSE_NEGATIVES,
    summary: "Every item inserted and not removed tests positive: a Bloom filter may say maybe, never a wrong no.",
}];

/// The Bloom filter topic.
pub struct BloomFilterTopic;

pub static INFO: TopicInfo = TopicInfo {
    slug: "bloom-filter",
    title: "Bloom filter",
    category: Category::DataStructures,
    kind: TopicKind::DataStructure,
    summary: "A bit array and k hash positions per item: inserting sets bits, a query checks them. Watch a false positive happen and see which items caused it, plot the measured rate against (1 - e^(-kn/m))^k as the filter fills, size a filter for a target rate, and delete from a counting Bloom filter.",
    reference: "Bloom, Space/Time Trade-offs in Hash Coding with Allowable Errors, CACM 1970; Kirsch & Mitzenmacher, Less Hashing, Same Performance, ESA 2006; Fan et al., Summary Cache, SIGCOMM 1998",
    params: &[
        ParamSpec {
            name: "m",
            label: "Bits (m)",
            default: 256,
            min: 16,
            max: 4096,
            step: 1,
            help: "Size of the bit array (counters in the counting variant).",
            choices: &[],
        },
        ParamSpec {
            name: "k",
            label: "Hash positions (k)",
            default: 3,
            min: 1,
            max: 16,
            step: 1,
            help: "Bits set by each insert and checked by each query.",
            choices: &[],
        },
        ParamSpec {
            name: "n",
            label: "Items inserted (n)",
            default: 40,
            min: 0,
            max: 1000,
            step: 1,
            help: "Items the scripted run inserts.",
            choices: &[],
        },
        ParamSpec {
            name: "counting",
            label: "Counting filter",
            default: 0,
            min: 0,
            max: 1,
            step: 1,
            help: "1: a 4-bit counter per position, so items can be removed.",
            choices: &[],
        },
    ],
    presets: &presets::PRESETS,
    bugs: &[BugInfo {
        name: BUG_REMOVE_UNCHECKED,
        summary: "Counting variant: remove an item because the filter says maybe, without checking it was inserted. Removing a false positive takes counters away from real items.",
        caught_by: &[NO_FALSE_NEGATIVES],
        budget: 20,
    }],
    invariants: INVARIANTS,
    expected: &[],
    columns: &["figure", "value"],
    build: structure::build::<BloomFilterTopic>,
};

impl StructureTopic for BloomFilterTopic {
    const INFO: &'static TopicInfo = &INFO;
    type State = BloomFilterState;
    type Script = presets::Script;

    fn setup(
        scenario: &Scenario,
        script: Option<&presets::Script>,
        _options: RunOptions,
    ) -> Result<(BloomFilterState, Plan<BloomFilterState>), BuildError> {
        let unchecked = scenario.bug.as_deref() == Some(BUG_REMOVE_UNCHECKED);
        let config = BloomConfig {
            m: INFO.param(scenario, "m").max(1) as usize,
            k: INFO.param(scenario, "k").max(1) as u32,
            n: INFO.param(scenario, "n").max(0) as usize,
            // The bug is about deletion, which only the counting variant has.
            counting: INFO.param(scenario, "counting") == 1 || unchecked,
            check_membership: !unchecked,
        };
        let state = BloomFilterState::new(config, scenario.seed);
        let rng = Rng::derive(scenario.seed, presets::PLAN_STREAM);
        let plan = Planner::plan(
            &state,
            rng,
            script.copied().unwrap_or(presets::default_plan),
        );
        Ok((state, plan))
    }
}

/// The parameters of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BloomConfig {
    /// Bits (or counters).
    pub m: usize,
    /// Positions per item.
    pub k: u32,
    /// Items the plan inserts (for the sizing report).
    pub n: usize,
    /// A counting filter (supports removal).
    pub counting: bool,
    /// Refuse to remove items that were not inserted (false only with the bug).
    pub check_membership: bool,
}

/// The filter of a run: plain bits or counters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Filter {
    Plain(BloomFilter),
    Counting(CountingBloomFilter),
}

impl Filter {
    /// Bits (or counters).
    pub fn m(&self) -> usize {
        match self {
            Filter::Plain(f) => f.m(),
            Filter::Counting(f) => f.m(),
        }
    }

    /// Positions per item.
    pub fn k(&self) -> u32 {
        match self {
            Filter::Plain(f) => f.k(),
            Filter::Counting(f) => f.k(),
        }
    }

    pub fn is_counting(&self) -> bool {
        matches!(self, Filter::Counting(_))
    }

    /// False if `item` was certainly not inserted.
    pub fn contains(&self, item: &[u8]) -> bool {
        match self {
            Filter::Plain(f) => f.contains(item),
            Filter::Counting(f) => f.contains(item),
        }
    }

    /// The `k` positions of `item`, in hash order.
    pub fn positions(&self, item: &[u8]) -> Vec<usize> {
        match self {
            Filter::Plain(f) => f.positions(item),
            Filter::Counting(f) => f.positions(item),
        }
    }

    /// Whether position `index` is set (a non-zero counter in the counting variant).
    pub fn is_set(&self, index: usize) -> bool {
        match self {
            Filter::Plain(f) => f.is_set(index),
            Filter::Counting(f) => f.counter(index) > 0,
        }
    }

    /// Every position in order, for the grid: 0 or 1 for bits, the counter's value
    /// in the counting variant.
    pub fn cells(&self) -> Vec<u8> {
        match self {
            Filter::Plain(f) => f.bits().map(u8::from).collect(),
            Filter::Counting(f) => f.counters().to_vec(),
        }
    }

    /// Positions set.
    pub fn count_set(&self) -> usize {
        match self {
            Filter::Plain(f) => f.count_ones(),
            Filter::Counting(f) => f.count_nonzero(),
        }
    }

    /// The fraction of positions set.
    pub fn fill_ratio(&self) -> f64 {
        self.count_set() as f64 / self.m().max(1) as f64
    }

    /// The query's probes, as [`BloomFilter::explain`] gives them.
    pub fn explain(&self, item: &[u8]) -> QueryExplanation {
        let probes: Vec<BitProbe> = self
            .positions(item)
            .into_iter()
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

    /// Inserts `item` and reports each position and whether it was set before (a
    /// position repeated within the item counts as set by its first probe).
    fn insert_traced(&mut self, item: &[u8]) -> (Vec<BitProbe>, u32) {
        match self {
            Filter::Plain(f) => {
                let trace = f.insert_traced(item);
                (trace.probes, trace.newly_set)
            }
            Filter::Counting(f) => {
                let positions = f.positions(item);
                let mut probes: Vec<BitProbe> = Vec::with_capacity(positions.len());
                for index in positions {
                    let set = f.counter(index) > 0 || probes.iter().any(|p| p.index == index);
                    probes.push(BitProbe { index, set });
                }
                f.insert(item);
                let newly_set = probes.iter().filter(|p| !p.set).count() as u32;
                (probes, newly_set)
            }
        }
    }
}

/// One measurement of the false-positive rate, for the chart.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FpSample {
    /// Distinct items alive in the filter.
    pub items: usize,
    /// Never-inserted items queried ([`PROBES`]).
    pub probes: usize,
    /// How many of them tested positive.
    pub false_positives: usize,
    /// `false_positives / probes`.
    pub measured: f64,
    /// `(1 − e^(−k·items/m))^k`.
    pub theory: f64,
    /// `fill^k`: the rate implied by the positions actually set.
    pub from_fill: f64,
}

/// The sizing calculator for the run's parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SizingReport {
    pub m: usize,
    pub k: u32,
    /// The items the plan inserts (at least 1 for the ratios).
    pub n: usize,
    /// `m / n`.
    pub bits_per_item: f64,
    /// The formula's rate for this `m`, `k` and `n`.
    pub expected_rate: f64,
    /// The `k` that minimises the rate for this `m` and `n`: `round((m/n) ln 2)`.
    pub optimal_k: u32,
    /// The rate with `optimal_k`.
    pub optimal_rate: f64,
    /// What `n` items at a 1 % rate need: [`sizing`]`(n, 0.01)`.
    pub for_one_percent: BloomSizing,
}

impl SizingReport {
    pub fn new(m: usize, k: u32, n: usize) -> Self {
        let n = n.max(1);
        let best = optimal_k(m, n);
        SizingReport {
            m,
            k,
            n,
            bits_per_item: m as f64 / n as f64,
            expected_rate: false_positive_rate(m, k, n),
            optimal_k: best,
            optimal_rate: false_positive_rate(m, best, n),
            for_one_percent: sizing(n, 0.01),
        }
    }
}

/// Which live items (by number) have one probed position among their own.
pub type BitSetterItems = BitSetters<u64>;

/// A query explained against the items actually inserted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryRecord {
    pub item: u64,
    /// The probes and the answer.
    pub explanation: QueryExplanation,
    /// True or false positive, true negative, or (only in a broken filter) a false
    /// negative, reported as [`QueryOutcome::ListMismatch`].
    pub outcome: QueryOutcome,
    /// For each distinct probed position, the inserted items that set it.
    pub setters: Vec<BitSetterItems>,
}

/// What a removal did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RemoveResult {
    /// The counters at these positions were decremented (`stuck` were saturated and
    /// left as they were).
    Removed { positions: Vec<usize>, stuck: u32 },
    /// A counter was too low: the filter itself proves the item absent; nothing
    /// changed.
    ProvedAbsent,
    /// The item was never inserted (or already removed) and the application refused
    /// to touch the filter.
    Refused,
    /// A plain filter cannot remove.
    NotSupported,
}

/// What the last operation did, for the view to highlight.
#[derive(Clone, Debug, PartialEq)]
pub enum BloomEvent {
    /// One item: its `k` positions and whether each bit was already set.
    Insert {
        item: u64,
        probes: Vec<BitProbe>,
        newly_set: u32,
    },
    /// A batch: the items and how many positions became set.
    Batch { items: Vec<u64>, newly_set: usize },
    /// A query (or a found false positive) and why it answered as it did.
    Query(QueryRecord),
    /// A removal.
    Remove { item: u64, result: RemoveResult },
    /// A measurement of the false-positive rate.
    Measure(FpSample),
    /// No never-inserted item among those tried tested positive.
    NoFalsePositive { tried: usize },
}

/// An operation of the plan or of the person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BloomOp {
    Insert { item: u64 },
    InsertBatch { count: u32 },
    Query { item: u64 },
    Measure,
    Remove { item: u64 },
    FindFalsePositive,
    RemoveFalsePositive,
}

impl fmt::Display for BloomOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BloomOp::Insert { item } => write!(f, "insert item-{item}"),
            BloomOp::InsertBatch { count } => {
                write!(f, "insert {}", counted(*count as usize, "random item"))
            }
            BloomOp::Query { item } => write!(f, "query item-{item}"),
            BloomOp::Measure => write!(f, "measure the false-positive rate"),
            BloomOp::Remove { item } => write!(f, "remove item-{item}"),
            BloomOp::FindFalsePositive => write!(f, "find a false positive"),
            BloomOp::RemoveFalsePositive => write!(f, "remove a false positive"),
        }
    }
}

/// The state of a Bloom filter run. Pages downcast the run to [`BloomFilterRun`] and
/// read this.
#[derive(Clone, Debug)]
pub struct BloomFilterState {
    filter: Filter,
    config: BloomConfig,
    /// Items alive in the filter and how many times each was inserted (minus
    /// removals): the application's own records, the ground truth.
    live: BTreeMap<u64, u32>,
    rng: Rng,
    /// The positions of every probe, `k` per probe, computed once.
    probe_positions: Vec<u32>,
    series: Vec<FpSample>,
    last: Option<BloomEvent>,
    sizing: SizingReport,
}

impl BloomFilterState {
    /// An empty filter for `config` (m and k clamped by the library), with batch
    /// items drawn from `seed`.
    pub fn new(config: BloomConfig, seed: u64) -> Self {
        let filter = if config.counting {
            Filter::Counting(CountingBloomFilter::new(config.m, config.k))
        } else {
            Filter::Plain(BloomFilter::new(config.m, config.k))
        };
        let probe_positions = (0..PROBES)
            .flat_map(|i| filter.positions(probe_name(i).as_bytes()))
            .map(|p| p as u32)
            .collect();
        let sizing = SizingReport::new(filter.m(), filter.k(), config.n);
        let mut state = BloomFilterState {
            filter,
            config,
            live: BTreeMap::new(),
            rng: Rng::derive(seed, ITEM_STREAM),
            probe_positions,
            series: Vec::new(),
            last: None,
            sizing,
        };
        state.record_sample();
        state
    }

    /// The filter: bits or counters ([`Filter::cells`]), `m`, `k`.
    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    pub fn config(&self) -> &BloomConfig {
        &self.config
    }

    /// The items inserted and not removed, by number, with their insertion counts.
    pub fn live(&self) -> &BTreeMap<u64, u32> {
        &self.live
    }

    /// The false-positive rate measured after the start and after every insert,
    /// batch item, removal and measurement: the chart's points.
    pub fn series(&self) -> &[FpSample] {
        &self.series
    }

    /// What the last operation did.
    pub fn last(&self) -> Option<&BloomEvent> {
        self.last.as_ref()
    }

    /// The sizing calculator for the run's `m`, `k` and `n`.
    pub fn sizing(&self) -> &SizingReport {
        &self.sizing
    }

    /// The false-positive rate right now over the probe set.
    pub fn measure(&self) -> FpSample {
        let k = self.filter.k() as usize;
        let false_positives = self
            .probe_positions
            .chunks(k.max(1))
            .filter(|positions| positions.iter().all(|&p| self.filter.is_set(p as usize)))
            .count();
        let items = self.live.len();
        FpSample {
            items,
            probes: PROBES,
            false_positives,
            measured: false_positives as f64 / PROBES as f64,
            theory: false_positive_rate(self.filter.m(), self.filter.k(), items),
            from_fill: powi(self.filter.fill_ratio(), self.filter.k()),
        }
    }

    /// Explains a query for item `number` against the live items.
    pub fn diagnose(&self, number: u64) -> QueryRecord {
        let name = item_name(number);
        let explanation = self.filter.explain(name.as_bytes());
        let is_live = self.live.contains_key(&number);
        let outcome = QueryOutcome::classify(explanation.maybe_present, is_live);
        let setters = setters_of(
            &explanation,
            self.live
                .keys()
                .map(|&other| (other, self.filter.positions(item_name(other).as_bytes()))),
        );
        QueryRecord {
            item: number,
            explanation,
            outcome,
            setters,
        }
    }

    fn record_sample(&mut self) {
        if self.series.len() < MAX_SERIES {
            let sample = self.measure();
            self.series.push(sample);
        }
    }

    fn has_room(&self, more: usize) -> bool {
        self.live.len().saturating_add(more) <= MAX_ITEMS
    }

    fn insert(&mut self, number: u64) -> Result<(), String> {
        if !self.live.contains_key(&number) && !self.has_room(1) {
            return Err(format!("the filter already holds {MAX_ITEMS} items"));
        }
        let (probes, newly_set) = self.filter.insert_traced(item_name(number).as_bytes());
        *self.live.entry(number).or_insert(0) += 1;
        self.last = Some(BloomEvent::Insert {
            item: number,
            probes,
            newly_set,
        });
        self.record_sample();
        Ok(())
    }

    /// A random item number that is not alive.
    fn fresh_number(&mut self) -> u64 {
        // At most MAX_ITEMS of a million numbers are taken: a few draws suffice.
        loop {
            let number = self.rng.below(ITEM_NUMBER_RANGE);
            if !self.live.contains_key(&number) {
                return number;
            }
        }
    }

    fn insert_batch(&mut self, count: u32) -> Result<(), String> {
        let count = (count as usize).min(MAX_ITEMS.saturating_sub(self.live.len()));
        if count == 0 {
            return Err(format!("the filter already holds {MAX_ITEMS} items"));
        }
        let set_before = self.filter.count_set();
        let mut items = Vec::with_capacity(count);
        for _ in 0..count {
            let number = self.fresh_number();
            self.filter.insert_traced(item_name(number).as_bytes());
            *self.live.entry(number).or_insert(0) += 1;
            items.push(number);
            self.record_sample();
        }
        let newly_set = self.filter.count_set().saturating_sub(set_before);
        self.last = Some(BloomEvent::Batch { items, newly_set });
        Ok(())
    }

    fn query(&mut self, number: u64) {
        self.last = Some(BloomEvent::Query(self.diagnose(number)));
    }

    /// The first of up to [`FALSE_POSITIVE_SEARCH_LIMIT`] random never-inserted items
    /// that tests positive.
    fn find_false_positive(&mut self) -> Option<u64> {
        for _ in 0..FALSE_POSITIVE_SEARCH_LIMIT {
            let number = self.fresh_number();
            if self.filter.contains(item_name(number).as_bytes()) {
                return Some(number);
            }
        }
        None
    }

    fn remove(&mut self, number: u64) -> RemoveResult {
        let Filter::Counting(filter) = &mut self.filter else {
            return RemoveResult::NotSupported;
        };
        let is_live = self.live.contains_key(&number);
        if self.config.check_membership && !is_live {
            return RemoveResult::Refused;
        }
        let name = item_name(number);
        let result = match filter.remove(name.as_bytes()) {
            RemoveOutcome::NotPresent => RemoveResult::ProvedAbsent,
            RemoveOutcome::Removed { stuck } => RemoveResult::Removed {
                positions: filter.positions(name.as_bytes()),
                stuck,
            },
        };
        if matches!(result, RemoveResult::Removed { .. }) {
            if let Some(count) = self.live.get_mut(&number) {
                *count -= 1;
                if *count == 0 {
                    self.live.remove(&number);
                }
            }
            self.record_sample();
        }
        result
    }

    /// Performs `op`. `Err` says why nothing changed.
    pub fn perform(&mut self, op: &BloomOp) -> Result<(), String> {
        match op {
            BloomOp::Insert { item } => self.insert(*item),
            BloomOp::InsertBatch { count } => self.insert_batch(*count),
            BloomOp::Query { item } => {
                self.query(*item);
                Ok(())
            }
            BloomOp::Measure => {
                let sample = self.measure();
                self.record_sample();
                self.last = Some(BloomEvent::Measure(sample));
                Ok(())
            }
            BloomOp::Remove { item } => {
                if !self.filter.is_counting() {
                    return Err("a plain Bloom filter cannot remove items: clearing a bit could erase other items".into());
                }
                let result = self.remove(*item);
                self.last = Some(BloomEvent::Remove {
                    item: *item,
                    result,
                });
                Ok(())
            }
            BloomOp::FindFalsePositive => {
                self.last = Some(match self.find_false_positive() {
                    Some(number) => BloomEvent::Query(self.diagnose(number)),
                    None => BloomEvent::NoFalsePositive {
                        tried: FALSE_POSITIVE_SEARCH_LIMIT,
                    },
                });
                Ok(())
            }
            BloomOp::RemoveFalsePositive => {
                if !self.filter.is_counting() {
                    return Err("a plain Bloom filter cannot remove items".into());
                }
                self.last = Some(match self.find_false_positive() {
                    Some(number) => BloomEvent::Remove {
                        item: number,
                        result: self.remove(number),
                    },
                    None => BloomEvent::NoFalsePositive {
                        tried: FALSE_POSITIVE_SEARCH_LIMIT,
                    },
                });
                Ok(())
            }
        }
    }

    /// One or two sentences on the last operation.
    fn describe_last(&self) -> String {
        let Some(event) = &self.last else {
            return String::new();
        };
        let k = self.filter.k();
        match event {
            BloomEvent::Insert {
                item,
                probes,
                newly_set,
            } => format!(
                "item-{item} sets positions {}: {newly_set} newly set, {} already set",
                positions_text(probes),
                probes.len() as u32 - newly_set
            ),
            BloomEvent::Batch { items, newly_set } => format!(
                "{} inserted, {newly_set} more positions set; {} of {} positions are now set",
                counted(items.len(), "item"),
                self.filter.count_set(),
                self.filter.m()
            ),
            BloomEvent::Query(record) => describe_query(record, k),
            BloomEvent::Remove { item, result } => match result {
                RemoveResult::Removed { positions, stuck } => {
                    let mut text = format!(
                        "item-{item} removed: counters at {} decremented",
                        list(positions)
                    );
                    if *stuck > 0 {
                        text.push_str(&format!(" ({stuck} saturated counters stay)"));
                    }
                    if !self.config.check_membership && !self.live.contains_key(item) {
                        text.push_str(&format!(
                            "; item-{item} was never inserted, so these counters belonged to other items"
                        ));
                    }
                    text
                }
                RemoveResult::ProvedAbsent => format!(
                    "item-{item} cannot be removed: one of its counters is too low, so it was never inserted; nothing changes"
                ),
                RemoveResult::Refused => format!(
                    "item-{item} was never inserted (or is already gone): removing it would decrement counters other items need, so the application refuses"
                ),
                RemoveResult::NotSupported => {
                    "a plain Bloom filter cannot remove items".to_string()
                }
            },
            BloomEvent::Measure(sample) => format!(
                "{} of {} never-inserted probes test positive: measured {:.2}%, theory (1 - e^(-kn/m))^k = {:.2}% for n = {}",
                sample.false_positives,
                sample.probes,
                sample.measured * 100.0,
                sample.theory * 100.0,
                sample.items
            ),
            BloomEvent::NoFalsePositive { tried } => format!(
                "none of {tried} never-inserted items tests positive; the rate is too low to find one"
            ),
        }
    }

    /// `no-false-negatives`: pushes a violation naming the first live item that
    /// tests negative.
    fn check_no_false_negatives(&self, found: &mut Vec<Violation>) {
        let mut missing = 0usize;
        let mut first: Option<(u64, usize)> = None;
        for &number in self.live.keys() {
            let explanation = self.filter.explain(item_name(number).as_bytes());
            if let Some(clear) = explanation.first_clear() {
                missing += 1;
                first.get_or_insert((number, clear));
            }
        }
        if let Some((number, clear)) = first {
            let what = if self.filter.is_counting() {
                "counter"
            } else {
                "bit"
            };
            found.push(Violation {
                invariant: NO_FALSE_NEGATIVES,
                message: format!(
                    "item-{number} was inserted and not removed, but its {what} {clear} is clear, so the filter says it is absent ({missing} such items)"
                ),
            });
        }
    }
}

/// "1 item", "2 items".
fn counted(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

fn list(positions: &[usize]) -> String {
    let texts: Vec<String> = positions.iter().map(usize::to_string).collect();
    texts.join(", ")
}

fn positions_text(probes: &[BitProbe]) -> String {
    let texts: Vec<String> = probes.iter().map(|p| p.index.to_string()).collect();
    texts.join(", ")
}

fn describe_query(record: &QueryRecord, k: u32) -> String {
    let item = record.item;
    let probes: Vec<String> = record
        .explanation
        .probes
        .iter()
        .map(|p| format!("{} {}", p.index, if p.set { "set" } else { "clear" }))
        .collect();
    let probes = probes.join(", ");
    match record.outcome {
        QueryOutcome::TrueNegative => format!(
            "item-{item} checks {probes}: position {} is clear, so item-{item} is certainly absent",
            record.explanation.first_clear().unwrap_or(0)
        ),
        QueryOutcome::TruePositive => format!(
            "item-{item} checks {probes}: all {k} set, maybe present, and it was inserted"
        ),
        QueryOutcome::FalsePositive => {
            let setters: Vec<String> = record
                .setters
                .iter()
                .map(|s| {
                    let items: Vec<String> = s.items.iter().map(|i| format!("item-{i}")).collect();
                    format!("{} by {}", s.index, items.join(" and "))
                })
                .collect();
            format!(
                "item-{item} checks {probes}: all {k} set, so the filter says maybe, yet it was never inserted: a false positive. Who set those bits: {}",
                setters.join("; ")
            )
        }
        QueryOutcome::ListMismatch => format!(
            "item-{item} checks {probes}: a position is clear although item-{item} was inserted: a false negative, which a correct filter never gives"
        ),
    }
}

impl Operation for BloomOp {
    fn to_raw(&self) -> RawOperation {
        match *self {
            BloomOp::Insert { item } => RawOperation::new(OP_INSERT, &[item]),
            BloomOp::Query { item } => RawOperation::new(OP_QUERY, &[item]),
            BloomOp::InsertBatch { count } => RawOperation::new(OP_INSERT_BATCH, &[count as u64]),
            BloomOp::Measure => RawOperation::new(OP_MEASURE, &[]),
            BloomOp::Remove { item } => RawOperation::new(OP_REMOVE, &[item]),
            BloomOp::FindFalsePositive => RawOperation::new(OP_FIND_FALSE_POSITIVE, &[]),
            BloomOp::RemoveFalsePositive => RawOperation::new(OP_REMOVE_FALSE_POSITIVE, &[]),
        }
    }

    /// Also reads links from before typed operations, which gave operations without
    /// an argument an ignored one.
    fn from_raw(raw: &RawOperation) -> Option<Self> {
        let arg = raw.arg(0);
        let none = raw.args.len() <= 1;
        let one = raw.args.len() == 1;
        Some(match raw.code {
            OP_INSERT if one => BloomOp::Insert { item: arg? },
            OP_QUERY if one => BloomOp::Query { item: arg? },
            OP_INSERT_BATCH if one => BloomOp::InsertBatch {
                count: u32::try_from(arg?).ok()?,
            },
            OP_MEASURE if none => BloomOp::Measure,
            OP_REMOVE if one => BloomOp::Remove { item: arg? },
            OP_FIND_FALSE_POSITIVE if none => BloomOp::FindFalsePositive,
            OP_REMOVE_FALSE_POSITIVE if none => BloomOp::RemoveFalsePositive,
            _ => return None,
        })
    }
}

impl Structure for BloomFilterState {
    type Op = BloomOp;
    type Request = BloomOp;

    fn apply(&mut self, op: &BloomOp, _now: Time, notes: &mut Notes) {
        match self.perform(op) {
            Err(reason) => notes.note(|| reason),
            Ok(()) => notes.note(|| self.describe_last()),
        }
    }

    fn check(&self, found: &mut Vec<Violation>) {
        self.check_no_false_negatives(found);
    }

    fn resolve(&self, request: &BloomOp) -> Option<BloomOp> {
        let counting = self.filter.is_counting();
        let allowed = match *request {
            BloomOp::Insert { item } => self.live.contains_key(&item) || self.has_room(1),
            BloomOp::InsertBatch { count } => {
                (1..=MAX_BATCH).contains(&(count as u64)) && self.has_room(count as usize)
            }
            BloomOp::Query { .. } | BloomOp::Measure | BloomOp::FindFalsePositive => true,
            BloomOp::Remove { .. } | BloomOp::RemoveFalsePositive => counting,
        };
        allowed.then(|| request.clone())
    }

    fn state_table(&self) -> StateTable {
        let sample = self
            .series
            .last()
            .copied()
            .unwrap_or_else(|| self.measure());
        let text = |s: String| Cell::Text(s);
        let rows = vec![
            vec![text("bits (m)".into()), text(self.filter.m().to_string())],
            vec![
                text("positions per item (k)".into()),
                text(self.filter.k().to_string()),
            ],
            vec![text("items (n)".into()), text(self.live.len().to_string())],
            vec![
                text("positions set".into()),
                text(format!(
                    "{} ({:.1}%)",
                    self.filter.count_set(),
                    self.filter.fill_ratio() * 100.0
                )),
            ],
            vec![
                text("false positives, measured".into()),
                text(format!("{:.2}%", sample.measured * 100.0)),
            ],
            vec![
                text("false positives, theory".into()),
                text(format!("{:.2}%", sample.theory * 100.0)),
            ],
        ];
        StateTable {
            columns: INFO.columns.to_vec(),
            rows,
        }
    }
}

#[cfg(test)]
mod tests;
