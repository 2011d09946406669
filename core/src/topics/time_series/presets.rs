//! The time-series store's guided scenarios: the planned operations of each story
//! and their narration. Operation `k` runs at `(k + 1) × 600 ms` of virtual time;
//! the data's own timestamps are stream seconds from `STREAM_START` (00:00:00), so
//! one operation can append hours of data. Plans compute their query ranges from
//! the parameters, so a person who changes them still gets sensible queries; the
//! tests check that the numbers the narration quotes are what happens with the
//! presets' own parameters.

use crate::lab::topic::say;
use crate::lab::topic::{Preset, PresetInfo};

use super::{SeriesOp, Shape, MAX_RESOLUTION, STREAM_START};

pub const COMPRESSION_BITS: &str = "compression-bits";
pub const IRREGULAR_SAMPLES: &str = "irregular-samples";
pub const RANGE_QUERY: &str = "range-query";
pub const DOWNSAMPLE_AND_RETENTION: &str = "downsample-and-retention";

pub const PRESETS: &[Preset<Script>] = &[
    Preset {
        info: PresetInfo {
            name: COMPRESSION_BITS,
            title: "Compression, bit by bit",
            summary: "The first points of a block field by field, then bytes per point as the block fills.",
            seed: 1,
            params: &[("interval", 10), ("block", 3_600), ("points", 120), ("jitter", 0), ("decimals", 0)],
            bug: None,
            narration: &[
                say(0, "An empty store of one-hour blocks, fed by a gauge sampled every 10 s whose integer value stays put half the time and otherwise moves by 1 or 2."),
                say(600, "The first point of a block is stored whole: after the point-count header, 64 bits of timestamp and 64 bits of value. 16 bytes for one point."),
                say(1200, "The second point's delta (10 s) is coded as a delta-of-delta against 0: control bits '10' and 7 bits. Its value is XORed with the previous one: a lone '0' if unchanged, otherwise '11', the leading-zero count (5 bits), the length (6 bits) and the meaningful bits."),
                say(1800, "From the third point on the interval is steady, so the delta-of-delta is 0: one '0' bit. An unchanged value is one '0' bit too; the first change opens a window ('11', 5 + 6 bits, then the meaningful bits) and later changes that fit it cost '10' plus the window's bits."),
                say(3000, "As the block fills, the 17 bytes of the first point are shared by hundreds of points: this integer gauge falls below 1 byte per point, against 16 raw. Try decimals = 1: values such as 20.3 have no short binary form, and the same walk costs about 3.5 bytes per point."),
            ],
        },
        script: compression_bits,
    },
    Preset {
        info: PresetInfo {
            name: IRREGULAR_SAMPLES,
            title: "Jitter and decimals",
            summary: "Timestamps a few seconds off the beat and two-decimal values: what Gorilla's assumptions cost when they fail.",
            seed: 2,
            params: &[("interval", 10), ("block", 3_600), ("points", 120), ("jitter", 2), ("decimals", 2)],
            bug: None,
            narration: &[
                say(0, "The same kind of gauge, but each sample is taken up to 2 s late on its 10 s beat, and values have two decimals (20.00, 20.01, ...)."),
                say(1800, "With jitter the delta-of-delta is rarely 0: most timestamps cost '10' plus 7 bits (9 bits) instead of one bit."),
                say(2400, "Two-decimal values such as 20.01 have no short binary form, so the XOR of two neighbours has dozens of meaningful bits: a changed value costs far more than with integers."),
                say(3000, "Over a full block this gauge costs several times the bytes per point of the steady integer one in 'Compression, bit by bit': Gorilla wins because real monitoring data is usually regular, not by magic."),
            ],
        },
        script: irregular_samples,
    },
    Preset {
        info: PresetInfo {
            name: RANGE_QUERY,
            title: "Range query",
            summary: "Four hours in half-hour blocks: queries decode only the blocks they overlap.",
            seed: 3,
            params: &[("interval", 10), ("block", 1_800), ("points", 180), ("jitter", 0), ("decimals", 1)],
            bug: None,
            narration: &[
                say(0, "Half-hour blocks; every 600 ms of the player another 30 minutes of samples (180 points) arrive, so eight appends fill eight blocks. Only the newest block is open; the others are sealed."),
                say(5400, "A query for 10 minutes inside the 01:00 block decodes that block alone and skips the other seven: each block knows its first and last timestamp, so skipping costs nothing."),
                say(6000, "A query straddling the 01:30 boundary decodes two blocks, and throws away the decoded points outside the range: blocks are the unit of decoding."),
                say(6600, "The last 10 minutes, the most common dashboard query, touch only the open block."),
                say(7200, "A query over everything decodes all eight blocks and returns every point, bit for bit what was appended."),
            ],
        },
        script: range_query,
    },
    Preset {
        info: PresetInfo {
            name: DOWNSAMPLE_AND_RETENTION,
            title: "Downsample and retention",
            summary: "Six hours of data summarised at coarser resolutions, then old blocks dropped whole.",
            seed: 4,
            params: &[("interval", 10), ("block", 3_600), ("points", 360), ("jitter", 0), ("decimals", 1)],
            bug: None,
            narration: &[
                say(0, "One-hour blocks; each append brings an hour of samples (360 points), six in all."),
                say(4200, "Downsampling folds points into buckets (count, min, max, sum, last). One-minute buckets turn 2160 points into 360; ten-minute buckets into 36; one-hour buckets into 6. Min and max keep the spikes an average would smooth away."),
                say(6000, "Retention keeps the last 3 hours before the newest point (05:59:50), so the cutoff is 02:59:50. The 00:00 and 01:00 blocks ended before it and are dropped whole; the 02:00 block straddles the cutoff and stays."),
                say(6600, "Another hour arrives; applying the same retention again drops the 02:00 block, now entirely older than the cutoff."),
                say(7800, "Hourly buckets now cover only the four hours still stored: retention and downsampling together are how a store keeps years of coarse history and days of fine detail."),
            ],
        },
        script: downsample_and_retention,
    },
];

/// What a time-series preset's script is: the operations of its story, in order,
/// computed from the run's shape.
pub type Script = fn(Shape) -> Vec<SeriesOp>;

impl Shape {
    /// Nominal end of the data after `batches` appends of `points`; jitter makes
    /// points less than one interval late, so this bounds the newest point.
    fn end_after(self, batches: usize) -> i64 {
        let points = (batches * self.points) as i64;
        STREAM_START.saturating_add(points.saturating_mul(self.interval))
    }

    /// `batches` appends of `points` each.
    fn appends(self, batches: usize) -> Vec<SeriesOp> {
        (0..batches)
            .map(|_| SeriesOp::Append { count: self.points })
            .collect()
    }

    /// The first block boundary after the stream starts.
    fn first_boundary(self) -> i64 {
        (STREAM_START.div_euclid(self.block) + 1).saturating_mul(self.block)
    }
}

/// Appends that grow from single points to a few hundred.
fn growing_appends() -> Vec<SeriesOp> {
    [1, 1, 2, 4, 100, 250]
        .into_iter()
        .map(|count| SeriesOp::Append { count })
        .collect()
}

fn compression_bits(_: Shape) -> Vec<SeriesOp> {
    growing_appends()
}

fn irregular_samples(_: Shape) -> Vec<SeriesOp> {
    let mut ops = growing_appends();
    ops.truncate(4);
    // 1 + 1 + 2 + 4 + 352 = 360 points: exactly one block at 10 s.
    ops.push(SeriesOp::Append { count: 352 });
    ops
}

fn range_query(shape: Shape) -> Vec<SeriesOp> {
    let block = shape.block;
    let end = shape.end_after(8);
    let mut ops = shape.appends(8);
    ops.extend([
        SeriesOp::RangeQuery {
            from: STREAM_START + 2 * block + block / 3,
            to: STREAM_START + 2 * block + 2 * block / 3 - 1,
        },
        SeriesOp::RangeQuery {
            from: STREAM_START + 3 * block - block / 6,
            to: STREAM_START + 3 * block + block / 6 - 1,
        },
        SeriesOp::RangeQuery {
            from: end - block / 3,
            to: end,
        },
        SeriesOp::RangeQuery {
            from: STREAM_START,
            to: end,
        },
    ]);
    ops
}

fn downsample_and_retention(shape: Shape) -> Vec<SeriesOp> {
    let block = shape.block;
    let mut ops = shape.appends(6);
    ops.extend([
        SeriesOp::Downsample { resolution: 60 },
        SeriesOp::Downsample { resolution: 600 },
        SeriesOp::Downsample { resolution: 3_600 },
        SeriesOp::Retention { horizon: 3 * block },
        SeriesOp::Append {
            count: shape.points,
        },
        SeriesOp::Retention { horizon: 3 * block },
        SeriesOp::Downsample {
            resolution: block.min(MAX_RESOLUTION),
        },
    ]);
    ops
}

/// About three blocks of data, then a query across the first block boundary,
/// a downsample, retention, and a query of everything: for a run without a preset.
pub(super) fn tour(shape: Shape) -> Vec<SeriesOp> {
    let (block, interval) = (shape.block, shape.interval);
    // Enough batches for about three blocks, at least three and at most 12.
    let per_batch = (shape.points as i64).saturating_mul(interval).max(1);
    let batches = ((3 * block + per_batch - 1) / per_batch).clamp(3, 12) as usize;
    let end = shape.end_after(batches);
    let mut ops = shape.appends(batches);
    ops.extend([
        SeriesOp::RangeQuery {
            from: shape.first_boundary() - 30 * interval,
            to: shape.first_boundary() + 30 * interval,
        },
        SeriesOp::Downsample {
            resolution: (60 * interval).min(MAX_RESOLUTION),
        },
        SeriesOp::Retention {
            horizon: block + block / 2,
        },
        SeriesOp::RangeQuery {
            from: STREAM_START,
            to: end,
        },
    ]);
    ops
}
