//! Time-series store (Gorilla): a gauge stream compressed bit by bit into blocks,
//! queried by range, downsampled and aged out, over [`crate::tsdb`].
//!
//! **Problem.** Monitoring writes one float per metric every few seconds, forever,
//! and reads mostly recent hours. Raw, each point is 16 bytes (a 64-bit timestamp
//! and a 64-bit float), and a query for one hour should not touch a year of data.
//!
//! **Idea.** Most of those bits are predictable. Timestamps arrive at a steady
//! interval, so the *delta of deltas* is usually 0 and costs one bit; a gauge
//! changes little between samples, so the XOR of a value with the previous one is
//! 0 (one bit) or has only a few meaningful bits. Time is cut into fixed windows,
//! one compressed block each: a range query decodes only the blocks it overlaps,
//! retention drops whole old blocks, and downsampling summarises points into
//! coarser buckets for charts.
//!
//! **Follows** Pelkonen et al., "Gorilla: A Fast, Scalable, In-Memory Time Series
//! Database", VLDB 2015, §4.1 (§4.1.1 delta-of-delta timestamps, §4.1.2 XOR
//! values) and its two-hour blocks; the codec's deviations (a 64-bit last bucket,
//! a point-count header) are documented in [`crate::tsdb::gorilla`].
//!
//! **Model.** [`TimeSeries`] holds a [`Store`] fed by a [`GaugeStream`]: a random
//! walk sampled every `interval` seconds, deterministic from the scenario's seed.
//! **The data's timestamps are the stream's own, in seconds from
//! [`STREAM_START`] (a Unix time, midnight UTC), independent of the player's virtual
//! time**: one operation every [`OP_SPACING`] of virtual time may append hours of
//! data. After every operation the structure exposes what the view draws: the
//! bit-by-bit [`gorilla::explain`] of the first [`EXPLAINED_POINTS`] points of the
//! newest block, bytes per point (now, and after every append), and the last range
//! query, downsample and retention results.
//!
//! **Operations** (a person's `Action::Operation { code, arg }`; bad codes and
//! out-of-range arguments are refused, never panic):
//!
//! | code | constant | `arg` | what it does |
//! |-----:|----------|-------|--------------|
//! | 0 | [`OP_APPEND`] | points, `1..=`[`MAX_BATCH`] | appends that many points from the stream (refused when the store would exceed [`MAX_POINTS`]) |
//! | 1 | [`OP_RANGE_QUERY`] | `span \| (back << 32)`, seconds | points in `[newest − back − span, newest − back]`: the low 32 bits are the range's length, the high 32 bits how far before the newest point it ends (0: the last `span` seconds) |
//! | 2 | [`OP_DOWNSAMPLE`] | resolution, `1..=`[`MAX_RESOLUTION`] s | summarises every stored point into buckets of that width |
//! | 3 | [`OP_RETENTION`] | horizon, `0..=`[`MAX_HORIZON`] s | drops every block whose window ended more than `horizon` before the newest point |
//!
//! Range queries and retention need at least one appended point and are refused
//! before. The seeded plan (one operation every [`OP_SPACING`]) tells the story of
//! the chosen preset; without a preset it tours every operation.
//!
//! **Invariants**, checked after every operation: [`LOSSLESS`] (decoding every
//! block gives back exactly the points appended and not aged out, bit for bit via
//! `f64::to_bits`), [`RANGE_QUERY_EXACT`] (a range query returns exactly the
//! appended points in its range, and every block is either decoded or skipped),
//! [`RETENTION_DROPS_ONLY_OLD`] (no point at or after the cutoff `newest −
//! horizon` is dropped).
//!
//! **Bugs**: none yet; the unit tests show each checker failing on a structure driven
//! into a broken state directly.

pub mod presets;

#[cfg(test)]
mod tests;

use std::fmt;

use crate::lab::run::RunOptions;
use crate::lab::scenario::Scenario;
use crate::lab::structure::{self, spaced, Plan, StructureTopic};
use crate::lab::topic::{BuildError, Category, InvariantInfo, ParamSpec, TopicInfo, TopicKind};
use crate::sim::action::{Operation, RawOperation};
use crate::sim::checker::Violation;
use crate::sim::ops::{Notes, Structure};
use crate::sim::rng::Rng;
use crate::sim::time::{Duration, Time};
use crate::sim::view::{Cell, StateTable};
use crate::tsdb::gorilla::{self, Explanation};
use crate::tsdb::{BlockInfo, Bucket, RangeQuery, Retention, Store};

/// `arg` = number of points to append, `1..=MAX_BATCH`.
pub const OP_APPEND: u32 = 0;
/// `arg` = `span | (back << 32)` in seconds: the `span` seconds ending `back`
/// seconds before the newest point.
pub const OP_RANGE_QUERY: u32 = 1;
/// `arg` = bucket width in seconds, `1..=MAX_RESOLUTION`.
pub const OP_DOWNSAMPLE: u32 = 2;
/// `arg` = horizon in seconds, `0..=MAX_HORIZON`: keep that much before the newest point.
pub const OP_RETENTION: u32 = 3;

/// Most points one append may add.
pub const MAX_BATCH: usize = 10_000;
/// Most points the store may hold: the checker decodes every block after every
/// operation, which must stay fast in a browser.
pub const MAX_POINTS: usize = 100_000;
/// Widest downsampling bucket: 30 days.
pub const MAX_RESOLUTION: i64 = 30 * 86_400;
/// Longest retention horizon: about ten years.
pub const MAX_HORIZON: i64 = 3_650 * 86_400;
/// Points of the newest block shown bit by bit.
pub const EXPLAINED_POINTS: usize = 8;
/// The stream's first timestamp: 2023-11-14 00:00:00 UTC, a Unix time aligned to
/// a day, so any block duration that divides a day starts on a window boundary.
pub const STREAM_START: i64 = 1_699_920_000;
/// Where the gauge starts, in its own unit.
pub const GAUGE_START: f64 = 20.0;

/// Virtual time between two planned operations.
pub const OP_SPACING: Duration = Duration::from_millis(600);

/// RNG streams: values and jitter are drawn independently, so changing the jitter
/// keeps the same values.
const VALUE_STREAM: u64 = 0x0047_4155_4745; // "GAUGE"
const JITTER_STREAM: u64 = 0x4a49_5454_4552; // "JITTER"

/// `10^decimals` for the supported precisions; exact in `f64`, so dividing by it
/// rounds correctly and identically on every platform (unlike `powi`).
const SCALE: [i64; 4] = [1, 10, 100, 1_000];

pub const LOSSLESS: &str = "lossless";
pub const RANGE_QUERY_EXACT: &str = "range-query-exact";
pub const RETENTION_DROPS_ONLY_OLD: &str = "retention-drops-only-old";

pub static INVARIANTS: &[InvariantInfo] = &[
    InvariantInfo {
        name: LOSSLESS,
        summary: "Decoding every block returns exactly the points appended and not aged out, bit for bit.",
    },
    InvariantInfo {
        name: RANGE_QUERY_EXACT,
        summary: "A range query returns exactly the appended points in its range, and every block is either decoded or skipped.",
    },
    InvariantInfo {
        name: RETENTION_DROPS_ONLY_OLD,
        summary: "Retention never drops a point at or after the cutoff (the newest point minus the horizon).",
    },
];

/// The time-series store topic.
pub struct TimeSeriesTopic;

pub static INFO: TopicInfo = TopicInfo {
    slug: "time-series",
    title: "Time-series store (Gorilla)",
    category: Category::DataStructures,
    kind: TopicKind::DataStructure,
    summary: "A gauge sampled every few seconds, compressed the way Facebook's Gorilla does it: timestamps as delta-of-deltas, values XORed with the previous one, shown bit by bit. Watch bytes per point fall from 16, query a range that decodes only the blocks it needs, downsample to coarser buckets and let retention drop old blocks whole.",
    reference: "Pelkonen et al., Gorilla: A Fast, Scalable, In-Memory Time Series Database, VLDB 2015, section 4.1 (delta-of-delta timestamps, XOR-compressed values, two-hour blocks)",
    params: &[
        ParamSpec {
            name: "interval",
            label: "Sample interval (s)",
            default: 10,
            min: 1,
            max: 3_600,
            step: 1,
            help: "Seconds between samples of the gauge, in the stream's own time.",
            choices: &[],
        },
        ParamSpec {
            name: "block",
            label: "Block duration (s)",
            default: 3_600,
            min: 60,
            max: 86_400,
            step: 60,
            help: "Length of each block's time window (Gorilla uses two hours, 7200 s).",
            choices: &[],
        },
        ParamSpec {
            name: "points",
            label: "Points per batch",
            default: 120,
            min: 1,
            max: 2_000,
            step: 1,
            help: "Points each planned append writes.",
            choices: &[],
        },
        ParamSpec {
            name: "jitter",
            label: "Timestamp jitter (s)",
            default: 0,
            min: 0,
            max: 60,
            step: 1,
            help: "Each sample is taken up to this many seconds late (capped below the interval, so time still moves forward).",
            choices: &[],
        },
        ParamSpec {
            name: "decimals",
            label: "Value decimals",
            default: 1,
            min: 0,
            max: 3,
            step: 1,
            help: "The gauge moves in steps of its last decimal: 0 gives integers, which compress far better than decimals with no short binary form.",
            choices: &[],
        },
    ],
    presets: &presets::PRESETS,
    bugs: &[],
    invariants: INVARIANTS,
    expected: &[],
    columns: &["block", "window", "points", "bytes", "bytes/point", "state"],
    build: structure::build::<TimeSeriesTopic>,
};

/// A gauge: a random walk sampled every `interval` seconds, deterministic from a
/// seed. Half the samples repeat the last value; the others move it by one or two
/// steps of its last decimal.
#[derive(Clone, Debug)]
pub struct GaugeStream {
    values: Rng,
    jitter_rng: Rng,
    interval: i64,
    jitter: i64,
    decimals: u32,
    /// The value in units of `10^-decimals`, so the walk itself is exact.
    units: i64,
    /// Samples drawn so far.
    samples: i64,
}

impl GaugeStream {
    /// A stream starting at [`STREAM_START`] and [`GAUGE_START`]. `interval` is at
    /// least 1 s; `jitter` is capped below the interval so timestamps strictly
    /// increase; `decimals` is capped at 3.
    pub fn new(seed: u64, interval: i64, jitter: i64, decimals: u32) -> Self {
        let interval = interval.max(1);
        let decimals = decimals.min(3);
        GaugeStream {
            values: Rng::derive(seed, VALUE_STREAM),
            jitter_rng: Rng::derive(seed, JITTER_STREAM),
            interval,
            jitter: jitter.clamp(0, interval - 1),
            decimals,
            units: GAUGE_START as i64 * SCALE[decimals as usize],
            samples: 0,
        }
    }

    /// Seconds between samples.
    pub fn interval(&self) -> i64 {
        self.interval
    }

    /// The jitter actually applied, in seconds (after the cap).
    pub fn jitter(&self) -> i64 {
        self.jitter
    }

    /// Decimal places of the values.
    pub fn decimals(&self) -> u32 {
        self.decimals
    }

    /// Samples drawn so far.
    pub fn samples(&self) -> i64 {
        self.samples
    }

    /// The next sample. Sample `k` is due at `STREAM_START + k * interval` and taken
    /// up to `jitter` seconds late (scrapers run late, never early), so timestamps
    /// strictly increase and the first one is never before [`STREAM_START`].
    pub fn next_point(&mut self) -> (i64, f64) {
        let nominal = STREAM_START.saturating_add(self.samples.saturating_mul(self.interval));
        let offset = if self.jitter > 0 {
            self.jitter_rng.below(self.jitter as u64 + 1) as i64
        } else {
            0
        };
        if self.samples > 0 {
            self.units += match self.values.below(8) {
                4 => 1,
                5 => -1,
                6 => 2,
                7 => -2,
                _ => 0,
            };
        }
        self.samples += 1;
        let value = self.units as f64 / SCALE[self.decimals as usize] as f64;
        (nominal.saturating_add(offset), value)
    }
}

/// One operation on the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SeriesOp {
    /// Append the stream's next `count` points.
    Append { count: usize },
    /// Points with `from <= timestamp <= to` (stream seconds).
    RangeQuery { from: i64, to: i64 },
    /// Summaries of every stored point in buckets `resolution` seconds wide.
    Downsample { resolution: i64 },
    /// Drop blocks whose window ended more than `horizon` seconds before the newest
    /// point (`horizon` is clamped to `0..=MAX_HORIZON`).
    Retention { horizon: i64 },
}

impl fmt::Display for SeriesOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SeriesOp::Append { count } => write!(f, "append {}", plural(*count, "point")),
            SeriesOp::RangeQuery { from, to } => {
                write!(f, "range query {} .. {}", clock(*from), clock(*to))
            }
            SeriesOp::Downsample { resolution } => {
                write!(f, "downsample to {} buckets", span(*resolution))
            }
            SeriesOp::Retention { horizon } => {
                write!(f, "retention: keep the last {}", span(*horizon))
            }
        }
    }
}

/// Which operation ran last: the checker verifies the results that operation made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LastOp {
    Append,
    RangeQuery,
    Downsample,
    Retention,
}

/// The newest block and its first points, field by field.
#[derive(Clone, Debug, PartialEq)]
pub struct BlockBits {
    pub block: BlockInfo,
    /// [`gorilla::explain`] of the block's first [`EXPLAINED_POINTS`] points: the
    /// same bits the block starts with (only the point-count header differs, since
    /// it counts the explained points).
    pub explanation: Explanation,
}

/// The store's size after an append: one point of the bytes-per-point chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompressionSample {
    /// Points appended since the start (retention does not lower it).
    pub appended: usize,
    /// Points stored.
    pub points: usize,
    /// Encoded bytes stored.
    pub bytes: usize,
}

impl CompressionSample {
    pub fn bytes_per_point(&self) -> f64 {
        if self.points == 0 {
            0.0
        } else {
            self.bytes as f64 / self.points as f64
        }
    }
}

/// The last range query.
#[derive(Clone, Debug, PartialEq)]
pub struct RangeQueryReport {
    pub from: i64,
    pub to: i64,
    /// Points returned, blocks decoded and skipped, points decoded.
    pub result: RangeQuery,
    /// Blocks in the store when the query ran.
    pub blocks: usize,
}

/// The last downsample.
#[derive(Clone, Debug, PartialEq)]
pub struct DownsampleReport {
    pub resolution: i64,
    /// Non-empty buckets, oldest first.
    pub buckets: Vec<Bucket>,
    /// Points summarised.
    pub points: usize,
}

/// The last retention.
#[derive(Clone, Debug, PartialEq)]
pub struct RetentionReport {
    /// The newest point's timestamp, the "now" of the stream.
    pub now: i64,
    pub horizon: i64,
    /// `now - horizon`: blocks whose window ended by then were dropped.
    pub cutoff: i64,
    pub result: Retention,
    /// The newest of the points the reference model dropped along with the blocks.
    pub newest_dropped: Option<i64>,
}

/// The time-series topic's state: a Gorilla block store fed by a gauge stream, a
/// reference copy of the points it must hold, and the results the view draws.
#[derive(Clone, Debug)]
pub struct TimeSeries {
    store: Store,
    stream: GaugeStream,
    /// The reference model: every point appended and not yet aged out, in order.
    expected: Vec<(i64, f64)>,
    appended: usize,
    newest_block: Option<BlockBits>,
    compression: Vec<CompressionSample>,
    last_query: Option<RangeQueryReport>,
    last_downsample: Option<DownsampleReport>,
    last_retention: Option<RetentionReport>,
    last_op: Option<LastOp>,
}

impl TimeSeries {
    /// An empty store with blocks of `store`'s duration, fed by `stream`.
    pub fn new(store: Store, stream: GaugeStream) -> Self {
        TimeSeries {
            store,
            stream,
            expected: Vec::new(),
            appended: 0,
            newest_block: None,
            compression: Vec::new(),
            last_query: None,
            last_downsample: None,
            last_retention: None,
            last_op: None,
        }
    }

    /// The block store: [`Store::blocks`], [`Store::bytes_per_point`],
    /// [`Store::block_bytes`] and so on.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The generator feeding the store.
    pub fn stream(&self) -> &GaugeStream {
        &self.stream
    }

    /// Points appended since the start, including those retention dropped since.
    pub fn appended(&self) -> usize {
        self.appended
    }

    /// Encoded bytes per stored point right now (16 uncompressed).
    pub fn bytes_per_point(&self) -> f64 {
        self.store.bytes_per_point()
    }

    /// The newest block and the bits of its first points; `None` before the first
    /// append or after retention dropped everything.
    pub fn newest_block(&self) -> Option<&BlockBits> {
        self.newest_block.as_ref()
    }

    /// The store's size after every append, oldest first.
    pub fn compression(&self) -> &[CompressionSample] {
        &self.compression
    }

    pub fn last_query(&self) -> Option<&RangeQueryReport> {
        self.last_query.as_ref()
    }

    pub fn last_downsample(&self) -> Option<&DownsampleReport> {
        self.last_downsample.as_ref()
    }

    pub fn last_retention(&self) -> Option<&RetentionReport> {
        self.last_retention.as_ref()
    }

    /// Which operation ran last (its result is the one the view should emphasise).
    pub fn last_op(&self) -> Option<LastOp> {
        self.last_op
    }

    fn append(&mut self, count: usize, notes: &mut Notes) {
        let room = MAX_POINTS.saturating_sub(self.store.len());
        let wanted = count.min(MAX_BATCH).min(room);
        if wanted == 0 {
            notes.note(|| {
                format!("The store already holds {MAX_POINTS} points, the most this topic keeps; apply retention first.")
            });
            return;
        }
        let blocks_before = self.store.blocks().len();
        // The bits view changes only while the newest block has fewer points than
        // it shows, or when a new block opens; otherwise its note would repeat.
        let explained_before = self
            .newest_block
            .as_ref()
            .map(|bits| (bits.block.index, bits.explanation.points.len()));
        let mut sealed = Vec::new();
        let mut first = None;
        let mut last = None;
        for _ in 0..wanted {
            let (timestamp, value) = self.stream.next_point();
            match self.store.append(timestamp, value) {
                Ok(appended) => {
                    sealed.extend(appended.sealed);
                    self.expected.push((timestamp, value));
                    self.appended += 1;
                    first.get_or_insert(timestamp);
                    last = Some(timestamp);
                }
                Err(error) => {
                    // The stream's timestamps strictly increase, so this is a defect;
                    // say so rather than hide it.
                    notes.note(|| format!("The store refused a point: {error}."));
                    break;
                }
            }
        }
        self.refresh_newest_block();
        self.compression.push(CompressionSample {
            appended: self.appended,
            points: self.store.len(),
            bytes: self.store.total_bytes(),
        });
        let (Some(first), Some(last)) = (first, last) else {
            return;
        };
        // Appends never drop blocks, so every extra block was opened by this batch.
        let opened = self.store.blocks().len().saturating_sub(blocks_before);
        let store = &self.store;
        notes.note(|| {
            let mut text = if first == last {
                format!("1 point at {} is appended.", clock(first))
            } else {
                format!(
                    "{wanted} points from {} to {} are appended.",
                    clock(first),
                    clock(last)
                )
            };
            if !sealed.is_empty() {
                text.push_str(&format!(
                    " Crossing into the next window sealed {} (its bytes are now final).",
                    plural(sealed.len(), "block")
                ));
            }
            if opened > 0 {
                text.push_str(&format!(
                    " {} opened: a block stores its first point whole (64-bit timestamp, 64-bit value), which is why short blocks cost more per point.",
                    plural(opened, "new block")
                ));
            }
            text
        });
        notes.note(|| {
            format!(
                "The store holds {} in {} over {}: {:.2} bytes per point, against 16 uncompressed.",
                plural(store.len(), "point"),
                plural(store.total_bytes(), "byte"),
                plural(store.blocks().len(), "block"),
                store.bytes_per_point()
            )
        });
        let explained_after = self
            .newest_block
            .as_ref()
            .map(|bits| (bits.block.index, bits.explanation.points.len()));
        if explained_after != explained_before {
            if let Some(bits) = &self.newest_block {
                notes.note(|| explain_note(bits));
            }
        }
    }

    fn range_query(&mut self, from: i64, to: i64, notes: &mut Notes) {
        let result = self.store.range_query(from, to);
        let blocks = self.store.blocks().len();
        notes.note(|| {
            format!(
                "The query for {} .. {} decoded {} of {blocks}, those whose first-to-last timestamps overlap the range, and skipped {} without reading a bit. It decoded {} to return {}.",
                clock(from),
                clock(to),
                result.blocks_decoded,
                result.blocks_skipped,
                plural(result.points_decoded, "point"),
                result.points.len()
            )
        });
        self.last_query = Some(RangeQueryReport {
            from,
            to,
            result,
            blocks,
        });
    }

    fn downsample(&mut self, resolution: i64, notes: &mut Notes) {
        let buckets = self.store.downsample(resolution);
        let points = self.store.len();
        notes.note(|| {
            format!(
                "{} fold into {} of {}, each keeping count, min, max, sum and last: a chart draws {} marks instead of {points}, and min and max keep the spikes an average would hide.",
                plural(points, "point"),
                plural(buckets.len(), "bucket"),
                span(resolution),
                buckets.len()
            )
        });
        self.last_downsample = Some(DownsampleReport {
            resolution,
            buckets,
            points,
        });
    }

    fn retention(&mut self, horizon: i64, notes: &mut Notes) {
        let Some(now) = self.store.last_timestamp() else {
            notes.note(|| "Nothing was appended yet, so there is nothing to age out.".to_string());
            return;
        };
        // A negative horizon would put the cutoff in the future and drop
        // everything; planned and person's operations never make one, but an
        // operation built by hand could.
        let horizon = horizon.clamp(0, MAX_HORIZON);
        let cutoff = now.saturating_sub(horizon);
        let result = self.store.apply_retention(now, horizon);
        // Mirror the drop in the reference model: the oldest points, as many as the
        // dropped blocks held. The checker then verifies those were all old.
        let dropped = result.points_dropped.min(self.expected.len());
        let newest_dropped = self.expected.drain(..dropped).next_back().map(|(t, _)| t);
        self.refresh_newest_block();
        let kept = self.store.blocks().first().map(|block| block.start);
        notes.note(|| {
            if result.dropped.is_empty() {
                format!(
                    "Keeping the last {} before the newest point ({}) puts the cutoff at {}: no block's window ended by then, so nothing is dropped.",
                    span(horizon),
                    clock(now),
                    clock(cutoff)
                )
            } else {
                format!(
                    "Keeping the last {} before the newest point ({}) puts the cutoff at {}. {} whose windows ended by then are dropped whole: {}, {}, no re-encoding.",
                    span(horizon),
                    clock(now),
                    clock(cutoff),
                    plural(result.dropped.len(), "block"),
                    plural(result.points_dropped, "point"),
                    plural(result.bytes_dropped, "byte")
                )
            }
        });
        if let Some(start) = kept {
            notes.note(|| {
                format!(
                    "The oldest block kept starts at {}: a block straddling the cutoff stays whole, so a little more than the horizon is kept, never less.",
                    clock(start)
                )
            });
        }
        self.last_retention = Some(RetentionReport {
            now,
            horizon,
            cutoff,
            result,
            newest_dropped,
        });
    }

    /// Recomputes the bit-by-bit view of the newest block's first points.
    fn refresh_newest_block(&mut self) {
        self.newest_block = self.store.blocks().last().and_then(|block| {
            let bytes = self.store.block_bytes(block.index)?;
            let points = gorilla::decode(&bytes).ok()?;
            let shown = &points[..points.len().min(EXPLAINED_POINTS)];
            Some(BlockBits {
                block: *block,
                explanation: gorilla::explain(shown),
            })
        });
    }

    fn check_lossless(&self, found: &mut Vec<Violation>) {
        let stored = self.store.points();
        if let Some(at) = first_difference(&stored, &self.expected) {
            found.push(Violation {
                invariant: LOSSLESS,
                message: format!(
                    "the blocks decode to {} points but {} were appended and kept; they first differ at point {at} ({} vs {})",
                    stored.len(),
                    self.expected.len(),
                    describe(stored.get(at)),
                    describe(self.expected.get(at))
                ),
            });
        }
    }

    fn check_range_query(&self, found: &mut Vec<Violation>) {
        let Some(query) = &self.last_query else {
            return;
        };
        let wanted: Vec<(i64, f64)> = self
            .expected
            .iter()
            .copied()
            .filter(|&(t, _)| query.from <= t && t <= query.to)
            .collect();
        if let Some(at) = first_difference(&query.result.points, &wanted) {
            found.push(Violation {
                invariant: RANGE_QUERY_EXACT,
                message: format!(
                    "the query for {} .. {} returned {} points but {} appended points are in range; they first differ at {at} ({} vs {})",
                    clock(query.from),
                    clock(query.to),
                    query.result.points.len(),
                    wanted.len(),
                    describe(query.result.points.get(at)),
                    describe(wanted.get(at))
                ),
            });
        }
        let accounted = query.result.blocks_decoded + query.result.blocks_skipped;
        if accounted != query.blocks {
            found.push(Violation {
                invariant: RANGE_QUERY_EXACT,
                message: format!(
                    "the query decoded {} and skipped {} blocks, but the store had {}",
                    query.result.blocks_decoded, query.result.blocks_skipped, query.blocks
                ),
            });
        }
    }

    fn check_retention(&self, found: &mut Vec<Violation>) {
        let Some(retention) = &self.last_retention else {
            return;
        };
        let cutoff = retention.cutoff;
        let young_block = retention
            .result
            .dropped
            .iter()
            .find(|block| block.last_timestamp >= cutoff);
        if let Some(block) = young_block {
            found.push(Violation {
                invariant: RETENTION_DROPS_ONLY_OLD,
                message: format!(
                    "a dropped block held a point at {}, not before the cutoff {}",
                    clock(block.last_timestamp),
                    clock(cutoff)
                ),
            });
        }
        if let Some(newest) = retention.newest_dropped.filter(|&t| t >= cutoff) {
            found.push(Violation {
                invariant: RETENTION_DROPS_ONLY_OLD,
                message: format!(
                    "retention dropped the point at {}, not before the cutoff {}",
                    clock(newest),
                    clock(cutoff)
                ),
            });
        }
    }
}

/// What a person asks of the store from the page or a link; ranges are relative
/// to the newest point when the request runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeriesRequest {
    /// Append the stream's next `count` points.
    Append { count: u64 },
    /// The `span` seconds ending `back` seconds before the newest point.
    RangeQuery { span: u32, back: u32 },
    /// Buckets `resolution` seconds wide.
    Downsample { resolution: u64 },
    /// Keep `horizon` seconds before the newest point.
    Retention { horizon: u64 },
}

impl fmt::Display for SeriesRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SeriesRequest::Append { count } => write!(f, "append {count} points"),
            SeriesRequest::RangeQuery { span, back } => {
                write!(f, "query {span} s ending {back} s before the newest point")
            }
            SeriesRequest::Downsample { resolution } => write!(f, "downsample to {resolution} s"),
            SeriesRequest::Retention { horizon } => write!(f, "keep the last {horizon} s"),
        }
    }
}

impl Operation for SeriesRequest {
    fn to_raw(&self) -> RawOperation {
        match *self {
            SeriesRequest::Append { count } => RawOperation::new(OP_APPEND, &[count]),
            SeriesRequest::RangeQuery { span, back } => {
                RawOperation::new(OP_RANGE_QUERY, &[span as u64, back as u64])
            }
            SeriesRequest::Downsample { resolution } => {
                RawOperation::new(OP_DOWNSAMPLE, &[resolution])
            }
            SeriesRequest::Retention { horizon } => RawOperation::new(OP_RETENTION, &[horizon]),
        }
    }

    /// Also reads links from before typed operations, which packed a range query's
    /// span and offset into one argument (`span | back << 32`).
    fn from_raw(raw: &RawOperation) -> Option<Self> {
        Some(match (raw.code, raw.args.as_slice()) {
            (OP_APPEND, &[count]) => SeriesRequest::Append { count },
            (OP_RANGE_QUERY, &[span, back]) => SeriesRequest::RangeQuery {
                span: u32::try_from(span).ok()?,
                back: u32::try_from(back).ok()?,
            },
            (OP_RANGE_QUERY, &[packed]) => SeriesRequest::RangeQuery {
                span: (packed & 0xffff_ffff) as u32,
                back: (packed >> 32) as u32,
            },
            (OP_DOWNSAMPLE, &[resolution]) => SeriesRequest::Downsample { resolution },
            (OP_RETENTION, &[horizon]) => SeriesRequest::Retention { horizon },
            _ => return None,
        })
    }
}

impl Structure for TimeSeries {
    type Op = SeriesOp;
    type Request = SeriesRequest;

    fn apply(&mut self, op: &SeriesOp, _now: Time, notes: &mut Notes) {
        let kind = match op {
            SeriesOp::Append { count } => {
                self.append(*count, notes);
                LastOp::Append
            }
            SeriesOp::RangeQuery { from, to } => {
                self.range_query(*from, *to, notes);
                LastOp::RangeQuery
            }
            SeriesOp::Downsample { resolution } => {
                self.downsample(*resolution, notes);
                LastOp::Downsample
            }
            SeriesOp::Retention { horizon } => {
                self.retention(*horizon, notes);
                LastOp::Retention
            }
        };
        self.last_op = Some(kind);
    }

    fn check(&self, found: &mut Vec<Violation>) {
        self.check_lossless(found);
        // Query and retention results describe the store when they ran; later
        // appends and retentions legitimately change what they would return.
        match self.last_op {
            Some(LastOp::RangeQuery) => self.check_range_query(found),
            Some(LastOp::Retention) => self.check_retention(found),
            _ => {}
        }
    }

    fn resolve(&self, request: &SeriesRequest) -> Option<SeriesOp> {
        match *request {
            SeriesRequest::Append { count } => {
                let count = usize::try_from(count).ok()?;
                let fits = (1..=MAX_BATCH).contains(&count)
                    && self.store.len().saturating_add(count) <= MAX_POINTS;
                fits.then_some(SeriesOp::Append { count })
            }
            SeriesRequest::RangeQuery { span, back } => {
                // The stream has no data before its start: a range reaching back
                // further ("everything", the last hour of a younger stream) starts
                // there, so it reads as the data it covers.
                let newest = self.store.last_timestamp()?;
                let to = newest.saturating_sub(back as i64);
                Some(SeriesOp::RangeQuery {
                    from: to.saturating_sub(span as i64).max(STREAM_START.min(to)),
                    to,
                })
            }
            SeriesRequest::Downsample { resolution } => {
                let resolution = i64::try_from(resolution).ok()?;
                (1..=MAX_RESOLUTION)
                    .contains(&resolution)
                    .then_some(SeriesOp::Downsample { resolution })
            }
            SeriesRequest::Retention { horizon } => {
                self.store.last_timestamp()?;
                let horizon = i64::try_from(horizon).ok()?;
                (0..=MAX_HORIZON)
                    .contains(&horizon)
                    .then_some(SeriesOp::Retention { horizon })
            }
        }
    }

    fn state_table(&self) -> StateTable {
        let rows = self
            .store
            .blocks()
            .iter()
            .map(|block| {
                vec![
                    Cell::Text(block.index.to_string()),
                    Cell::Text(format!("{} .. {}", clock(block.start), clock(block.end))),
                    Cell::Text(block.points.to_string()),
                    Cell::Text(block.bytes.to_string()),
                    Cell::Text(format!("{:.2}", block.bytes_per_point())),
                    Cell::Text(if block.sealed { "sealed" } else { "open" }.to_string()),
                ]
            })
            .collect();
        StateTable {
            columns: INFO.columns.to_vec(),
            rows,
        }
    }
}

/// One line on the newest block's first points: where the bits go.
fn explain_note(bits: &BlockBits) -> String {
    let costs: Vec<String> = bits
        .explanation
        .points
        .iter()
        .map(|p| match p.index {
            0 => format!("{} whole", p.total_bits),
            _ => format!("{}+{}", p.timestamp_bits(), p.value_bits()),
        })
        .collect();
    format!(
        "The first points of the block starting {} cost, in bits (timestamp+value): {}. A steady interval costs one '0' bit and an unchanged value one '0' bit; the view shows every field.",
        clock(bits.block.first_timestamp),
        costs.join(", ")
    )
}

/// `1 block`, `3 blocks`.
fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// The index of the first point where `a` and `b` differ (bit for bit), or where
/// one ends before the other; `None` when they are identical.
fn first_difference(a: &[(i64, f64)], b: &[(i64, f64)]) -> Option<usize> {
    let same = |x: &(i64, f64), y: &(i64, f64)| x.0 == y.0 && x.1.to_bits() == y.1.to_bits();
    match a.iter().zip(b).position(|(x, y)| !same(x, y)) {
        Some(at) => Some(at),
        None if a.len() != b.len() => Some(a.len().min(b.len())),
        None => None,
    }
}

fn describe(point: Option<&(i64, f64)>) -> String {
    match point {
        Some((t, v)) => format!("{} = {v}", clock(*t)),
        None => "none".to_string(),
    }
}

/// A stream timestamp as `HH:MM:SS` of its UTC day, prefixed with the day number
/// after [`STREAM_START`]'s day when it is another day.
pub fn clock(timestamp: i64) -> String {
    let of_day = timestamp.rem_euclid(86_400);
    let day = timestamp
        .div_euclid(86_400)
        .saturating_sub(STREAM_START.div_euclid(86_400));
    let time = format!(
        "{:02}:{:02}:{:02}",
        of_day / 3_600,
        of_day / 60 % 60,
        of_day % 60
    );
    if day == 0 {
        time
    } else {
        format!("day {day:+} {time}")
    }
}

/// A span of seconds in the largest unit that divides it: `2 h`, `5 min`, `90 s`.
pub fn span(seconds: i64) -> String {
    if seconds != 0 && seconds % 86_400 == 0 {
        format!("{} d", seconds / 86_400)
    } else if seconds != 0 && seconds % 3_600 == 0 {
        format!("{} h", seconds / 3_600)
    } else if seconds != 0 && seconds % 60 == 0 {
        format!("{} min", seconds / 60)
    } else {
        format!("{seconds} s")
    }
}

/// Reads a validated parameter (validation bounds it to the spec's range).
fn param(scenario: &Scenario, name: &str) -> i64 {
    INFO.param(scenario, name)
}

/// The parameters a plan is drawn from.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub interval: i64,
    pub block: i64,
    pub points: usize,
}

impl StructureTopic for TimeSeriesTopic {
    const INFO: &'static TopicInfo = &INFO;
    type State = TimeSeries;
    type Script = presets::Script;

    fn setup(
        scenario: &Scenario,
        script: Option<&presets::Script>,
        options: RunOptions,
    ) -> Result<(TimeSeries, Plan<TimeSeries>), BuildError> {
        let shape = Shape {
            interval: param(scenario, "interval").max(1),
            block: param(scenario, "block").max(1),
            points: usize::try_from(param(scenario, "points"))
                .unwrap_or(1)
                .clamp(1, MAX_BATCH),
        };
        let jitter = param(scenario, "jitter");
        let decimals = u32::try_from(param(scenario, "decimals")).unwrap_or(0);
        let stream = GaugeStream::new(scenario.seed, shape.interval, jitter, decimals);
        let store = Store::new(shape.block).map_err(|_| BuildError::ParamOutOfRange {
            param: "block",
            value: shape.block,
            min: 60,
            max: 86_400,
        })?;
        let story = script.copied().unwrap_or(presets::tour);
        let plan = spaced(story(shape), OP_SPACING, options.horizon);
        Ok((TimeSeries::new(store, stream), plan))
    }
}
