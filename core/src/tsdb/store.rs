//! A single-series time-series store made of fixed-duration Gorilla blocks.
//!
//! Time is cut into windows of `block_duration` (two hours in Gorilla, §4.1; any
//! positive length here, in whatever unit the timestamps use). Points are
//! appended in time order to the *open* block, a streaming [`Encoder`]; when a point
//! falls into a later window the open block is *sealed* (its bytes are final) and a
//! new one opens. Whole blocks are the unit of everything else:
//!
//! - a range query decodes only the blocks whose points overlap the range and skips
//!   the rest (it reports both counts, which is what makes blocks worth having);
//! - retention drops whole blocks once their window lies entirely before
//!   `now − horizon`, never rewriting a block to cut it;
//! - downsampling folds decoded points into fixed-width buckets (count, min, max,
//!   sum, last) for charts that cannot show every point.
//!
//! Nothing here panics on any input: out-of-order points and bad parameters are
//! error values, and extreme timestamps (`i64::MIN`, `i64::MAX`) are handled with
//! 128-bit window arithmetic.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;

use super::gorilla::{self, Encoder};

/// Two hours in seconds: Gorilla's block length, and the default here.
pub const TWO_HOURS: i64 = 2 * 60 * 60;

/// Why a point was not appended.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AppendError {
    /// The timestamp is not after the last one appended (a duplicate timestamp is
    /// out of order too). Gorilla blocks are append-only.
    OutOfOrder {
        /// The rejected point's timestamp.
        timestamp: i64,
        /// The last timestamp the store accepted.
        last: i64,
    },
}

impl fmt::Display for AppendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppendError::OutOfOrder { timestamp, last } => write!(
                f,
                "point at {timestamp} is not after the last point at {last}"
            ),
        }
    }
}

impl std::error::Error for AppendError {}

/// A block duration that is zero or negative.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidBlockDuration(pub i64);

impl fmt::Display for InvalidBlockDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "block duration must be positive, got {}", self.0)
    }
}

impl std::error::Error for InvalidBlockDuration {}

/// Where an appended point went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Appended {
    /// Index of the block that received the point (its window is
    /// `index * block_duration ..`).
    pub block: i64,
    /// The block sealed to make room, if the point opened a new block.
    pub sealed: Option<i64>,
}

/// What a view needs to draw one block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockInfo {
    /// Window number: the block covers `index * duration ..= (index + 1) * duration - 1`.
    pub index: i64,
    /// First timestamp of the window (clamped to `i64::MIN` at the very bottom).
    pub start: i64,
    /// One past the window's last timestamp (clamped to `i64::MAX` at the top).
    pub end: i64,
    /// Earliest point in the block.
    pub first_timestamp: i64,
    /// Latest point in the block.
    pub last_timestamp: i64,
    /// Points in the block.
    pub points: usize,
    /// Encoded size in bytes (for the open block: its size if sealed now).
    pub bytes: usize,
    /// False for the open block still receiving points.
    pub sealed: bool,
}

impl BlockInfo {
    /// Encoded bytes per point.
    pub fn bytes_per_point(&self) -> f64 {
        ratio(self.bytes, self.points)
    }
}

/// One bucket of [`Store::downsample`]: a summary of the points in
/// `start .. start + resolution`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bucket {
    /// First timestamp of the bucket (clamped to `i64::MIN` at the very bottom).
    pub start: i64,
    /// Points in the bucket (at least one: empty buckets are not returned).
    pub count: usize,
    /// Smallest value, in `f64::total_cmp` order (−0.0 below +0.0; a NaN with the
    /// sign bit set below −∞, any other NaN above +∞).
    pub min: f64,
    /// Largest value, in the same order.
    pub max: f64,
    /// Sum of the values in time order (NaN if any value is NaN).
    pub sum: f64,
    /// The value of the latest point.
    pub last: f64,
}

impl Bucket {
    /// Mean of the values: `sum / count`.
    pub fn avg(&self) -> f64 {
        self.sum / self.count as f64
    }
}

/// The answer to [`Store::range_query`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RangeQuery {
    /// Points with `from <= timestamp <= to`, in time order.
    pub points: Vec<(i64, f64)>,
    /// Blocks that overlapped the range and were decoded.
    pub blocks_decoded: usize,
    /// Blocks that did not overlap and were skipped without decoding.
    pub blocks_skipped: usize,
    /// Indices of the decoded blocks, in time order.
    pub decoded_blocks: Vec<i64>,
    /// Points decoded in all, including those outside the range in partly
    /// overlapping blocks.
    pub points_decoded: usize,
}

/// The answer to [`Store::apply_retention`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Retention {
    /// Blocks dropped, oldest first.
    pub dropped: Vec<BlockInfo>,
    /// Points in the dropped blocks.
    pub points_dropped: usize,
    /// Encoded bytes freed.
    pub bytes_dropped: usize,
}

/// A time series stored as fixed-duration Gorilla blocks.
///
/// ```
/// use distlab_core::tsdb::{Store, TWO_HOURS};
///
/// let mut store = Store::new(TWO_HOURS).unwrap();
/// for i in 0..1_440 {
///     // Four hours of a gauge sampled every 10 s: two blocks.
///     store.append(i * 10, 20.0 + (i % 7) as f64 * 0.25).unwrap();
/// }
/// assert!(store.append(5, 1.0).is_err()); // out of order: an error, not a panic
/// assert_eq!(store.blocks().len(), 2);
/// assert!(store.bytes_per_point() < 16.0);
///
/// let hour = store.range_query(3_600, 3_659);
/// assert_eq!(hour.points.len(), 6);
/// assert_eq!((hour.blocks_decoded, hour.blocks_skipped), (1, 1));
///
/// let dropped = store.apply_retention(4 * 3_600, 2 * 3_600);
/// assert_eq!(dropped.dropped.len(), 1); // the first two hours
/// assert_eq!(store.len(), 720);
/// ```
#[derive(Clone, Debug)]
pub struct Store {
    block_duration: i64,
    /// Oldest first; only the last block may be open.
    blocks: VecDeque<Block>,
    last_timestamp: Option<i64>,
}

#[derive(Clone, Debug)]
struct Block {
    index: i64,
    first: i64,
    last: i64,
    points: usize,
    data: BlockData,
}

#[derive(Clone, Debug)]
enum BlockData {
    Open(Encoder),
    Sealed(Vec<u8>),
}

impl Block {
    fn encoded_len(&self) -> usize {
        match &self.data {
            BlockData::Open(encoder) => encoder.encoded_len(),
            BlockData::Sealed(bytes) => bytes.len(),
        }
    }

    fn bytes(&self) -> Vec<u8> {
        match &self.data {
            BlockData::Open(encoder) => encoder.to_bytes(),
            BlockData::Sealed(bytes) => bytes.clone(),
        }
    }

    fn decode(&self) -> Vec<(i64, f64)> {
        let decoded = match &self.data {
            BlockData::Open(encoder) => gorilla::decode(&encoder.to_bytes()),
            BlockData::Sealed(bytes) => gorilla::decode(bytes),
        };
        // Blocks are only ever written by `Encoder`, whose output always decodes (the
        // round-trip tests cover every bit pattern); an empty block is the safe
        // answer should that ever break, and debug builds shout.
        debug_assert!(decoded.is_ok(), "block {} does not decode", self.index);
        decoded.unwrap_or_default()
    }
}

impl Default for Store {
    /// A store with two-hour blocks.
    fn default() -> Self {
        Store {
            block_duration: TWO_HOURS,
            blocks: VecDeque::new(),
            last_timestamp: None,
        }
    }
}

impl Store {
    /// An empty store whose blocks each cover `block_duration` time units.
    pub fn new(block_duration: i64) -> Result<Self, InvalidBlockDuration> {
        if block_duration <= 0 {
            return Err(InvalidBlockDuration(block_duration));
        }
        Ok(Store {
            block_duration,
            ..Store::default()
        })
    }

    /// The length of every block's window.
    pub fn block_duration(&self) -> i64 {
        self.block_duration
    }

    /// Appends a point. Timestamps must strictly increase; anything else is rejected
    /// with [`AppendError::OutOfOrder`] and the store is unchanged.
    pub fn append(&mut self, timestamp: i64, value: f64) -> Result<Appended, AppendError> {
        if let Some(last) = self.last_timestamp {
            if timestamp <= last {
                return Err(AppendError::OutOfOrder { timestamp, last });
            }
        }
        self.last_timestamp = Some(timestamp);
        let index = timestamp.div_euclid(self.block_duration);
        let mut sealed = None;
        if let Some(block) = self.blocks.back_mut() {
            if block.index == index {
                if let BlockData::Open(encoder) = &mut block.data {
                    encoder.push(timestamp, value);
                    block.last = timestamp;
                    block.points += 1;
                    return Ok(Appended {
                        block: index,
                        sealed: None,
                    });
                }
            }
            if let BlockData::Open(encoder) = &block.data {
                block.data = BlockData::Sealed(encoder.to_bytes());
                sealed = Some(block.index);
            }
        }
        let mut encoder = Encoder::new();
        encoder.push(timestamp, value);
        self.blocks.push_back(Block {
            index,
            first: timestamp,
            last: timestamp,
            points: 1,
            data: BlockData::Open(encoder),
        });
        Ok(Appended {
            block: index,
            sealed,
        })
    }

    /// Points stored.
    pub fn len(&self) -> usize {
        self.blocks.iter().map(|block| block.points).sum()
    }

    /// True when no point is stored.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// The latest timestamp ever accepted (kept after retention, so appends stay in
    /// order).
    pub fn last_timestamp(&self) -> Option<i64> {
        self.last_timestamp
    }

    /// Encoded bytes over all blocks (the open block counted as if sealed now).
    pub fn total_bytes(&self) -> usize {
        self.blocks.iter().map(Block::encoded_len).sum()
    }

    /// What the same points take uncompressed: 16 bytes each.
    pub fn raw_bytes(&self) -> usize {
        self.len() * 16
    }

    /// Encoded bytes per point; 0.0 for an empty store.
    pub fn bytes_per_point(&self) -> f64 {
        ratio(self.total_bytes(), self.len())
    }

    /// Every block, oldest first.
    pub fn blocks(&self) -> Vec<BlockInfo> {
        self.blocks.iter().map(|block| self.info(block)).collect()
    }

    /// The encoded bytes of block `index` (for the open block, as if sealed now), to
    /// show with [`gorilla::explain`] or decode.
    pub fn block_bytes(&self, index: i64) -> Option<Vec<u8>> {
        self.blocks
            .iter()
            .find(|block| block.index == index)
            .map(Block::bytes)
    }

    /// Every point, decoding every block.
    pub fn points(&self) -> Vec<(i64, f64)> {
        self.blocks
            .iter()
            .flat_map(|block| block.decode())
            .collect()
    }

    /// Points with `from <= timestamp <= to` (both ends included, so
    /// `range_query(i64::MIN, i64::MAX)` returns everything). Only blocks whose
    /// points overlap the range are decoded; the rest are skipped and counted.
    pub fn range_query(&self, from: i64, to: i64) -> RangeQuery {
        let mut result = RangeQuery::default();
        for block in &self.blocks {
            if block.last < from || block.first > to {
                result.blocks_skipped += 1;
                continue;
            }
            let decoded = block.decode();
            result.blocks_decoded += 1;
            result.decoded_blocks.push(block.index);
            result.points_decoded += decoded.len();
            result.points.extend(
                decoded
                    .into_iter()
                    .filter(|&(timestamp, _)| from <= timestamp && timestamp <= to),
            );
        }
        result
    }

    /// Summaries of all points in buckets `resolution` wide, aligned to multiples of
    /// `resolution`, oldest first; empty buckets are left out. A `resolution` of 0
    /// or less gives an empty `Vec`.
    pub fn downsample(&self, resolution: i64) -> Vec<Bucket> {
        downsample(&self.points(), resolution)
    }

    /// Drops every block whose whole window lies before `now - horizon`, and reports
    /// what went. Blocks are dropped whole: a block straddling the cutoff stays, so
    /// a little more than `horizon` may be kept, never less.
    pub fn apply_retention(&mut self, now: i64, horizon: i64) -> Retention {
        let cutoff = i128::from(now) - i128::from(horizon);
        let mut retention = Retention::default();
        while let Some(oldest) = self.blocks.front() {
            if self.window_end(oldest.index) > cutoff {
                break;
            }
            let info = self.info(oldest);
            retention.points_dropped += info.points;
            retention.bytes_dropped += info.bytes;
            retention.dropped.push(info);
            self.blocks.pop_front();
        }
        retention
    }

    fn window_start(&self, index: i64) -> i128 {
        i128::from(index) * i128::from(self.block_duration)
    }

    fn window_end(&self, index: i64) -> i128 {
        self.window_start(index) + i128::from(self.block_duration)
    }

    fn info(&self, block: &Block) -> BlockInfo {
        BlockInfo {
            index: block.index,
            start: clamp_to_i64(self.window_start(block.index)),
            end: clamp_to_i64(self.window_end(block.index)),
            first_timestamp: block.first,
            last_timestamp: block.last,
            points: block.points,
            bytes: block.encoded_len(),
            sealed: matches!(block.data, BlockData::Sealed(_)),
        }
    }
}

/// Summaries of `points` in buckets `resolution` wide, aligned to multiples of
/// `resolution`, oldest first; empty buckets are left out and a `resolution` of 0 or
/// less gives an empty `Vec`. Points may come in any order; `last` is the value of
/// the bucket's latest timestamp (the later one in `points` on a tie).
///
/// ```
/// use distlab_core::tsdb::downsample;
/// let buckets = downsample(&[(0, 1.0), (30, 3.0), (60, 5.0)], 60);
/// assert_eq!(buckets.len(), 2);
/// assert_eq!((buckets[0].count, buckets[0].min, buckets[0].max), (2, 1.0, 3.0));
/// assert_eq!((buckets[0].avg(), buckets[0].last), (2.0, 3.0));
/// assert_eq!(buckets[1].start, 60);
/// ```
pub fn downsample(points: &[(i64, f64)], resolution: i64) -> Vec<Bucket> {
    if resolution <= 0 {
        return Vec::new();
    }
    // Keyed by bucket number; a BTreeMap keeps the output order platform-independent.
    let mut buckets: BTreeMap<i64, (Bucket, i64)> = BTreeMap::new();
    for &(timestamp, value) in points {
        let key = timestamp.div_euclid(resolution);
        let (bucket, latest) = buckets.entry(key).or_insert_with(|| {
            let start = clamp_to_i64(i128::from(key) * i128::from(resolution));
            let empty = Bucket {
                start,
                count: 0,
                min: value,
                max: value,
                sum: 0.0,
                last: value,
            };
            (empty, timestamp)
        });
        bucket.count += 1;
        bucket.sum += value;
        if value.total_cmp(&bucket.min).is_lt() {
            bucket.min = value;
        }
        if value.total_cmp(&bucket.max).is_gt() {
            bucket.max = value;
        }
        if timestamp >= *latest {
            *latest = timestamp;
            bucket.last = value;
        }
    }
    buckets.into_values().map(|(bucket, _)| bucket).collect()
}

fn clamp_to_i64(value: i128) -> i64 {
    i64::try_from(value).unwrap_or(if value < 0 { i64::MIN } else { i64::MAX })
}

fn ratio(bytes: usize, points: usize) -> f64 {
    if points == 0 {
        0.0
    } else {
        bytes as f64 / points as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gauge(store: &mut Store, from: i64, count: i64, step: i64) {
        for i in 0..count {
            let value = 20.0 + ((i * 37) % 11) as f64 * 0.5;
            store.append(from + i * step, value).expect("in order");
        }
    }

    #[test]
    fn rejects_bad_block_durations() {
        assert_eq!(Store::new(0).unwrap_err(), InvalidBlockDuration(0));
        assert!(Store::new(-5).is_err());
        assert!(Store::new(i64::MIN)
            .unwrap_err()
            .to_string()
            .contains("positive"));
        assert_eq!(Store::new(1).map(|s| s.block_duration()), Ok(1));
        assert_eq!(Store::default().block_duration(), TWO_HOURS);
    }

    #[test]
    fn out_of_order_and_duplicate_points_are_rejected() {
        let mut store = Store::new(100).unwrap();
        store.append(10, 1.0).unwrap();
        let error = store.append(10, 2.0).unwrap_err();
        assert_eq!(
            error,
            AppendError::OutOfOrder {
                timestamp: 10,
                last: 10
            }
        );
        assert!(error.to_string().contains("not after"));
        assert!(store.append(-1_000, 2.0).is_err());
        assert_eq!(store.points(), vec![(10, 1.0)]);
        assert!(store.append(11, 2.0).is_ok());
    }

    #[test]
    fn blocks_seal_when_a_point_crosses_the_window() {
        let mut store = Store::new(100).unwrap();
        assert_eq!(
            store.append(5, 1.0),
            Ok(Appended {
                block: 0,
                sealed: None
            })
        );
        assert_eq!(store.append(99, 1.0).map(|a| a.sealed), Ok(None));
        assert_eq!(
            store.append(350, 1.0),
            Ok(Appended {
                block: 3,
                sealed: Some(0)
            })
        );
        let blocks = store.blocks();
        assert_eq!(blocks.len(), 2);
        assert_eq!(
            (blocks[0].index, blocks[0].start, blocks[0].end),
            (0, 0, 100)
        );
        assert_eq!(
            (blocks[0].first_timestamp, blocks[0].last_timestamp),
            (5, 99)
        );
        assert!(blocks[0].sealed && !blocks[1].sealed);
        assert_eq!(
            (blocks[1].start, blocks[1].end, blocks[1].points),
            (300, 400, 1)
        );
        let sealed = store.block_bytes(0).expect("block 0 exists");
        assert_eq!(gorilla::decode(&sealed), Ok(vec![(5, 1.0), (99, 1.0)]));
        assert_eq!(store.block_bytes(1), None);
        // Negative timestamps land in negative windows.
        let mut negative = Store::new(100).unwrap();
        negative.append(-1, 0.0).unwrap();
        assert_eq!(negative.blocks()[0].start, -100);
    }

    #[test]
    fn range_query_decodes_only_overlapping_blocks() {
        let mut store = Store::new(1_000).unwrap();
        gauge(&mut store, 0, 500, 10); // blocks 0..=4, 100 points each
        assert_eq!(store.blocks().len(), 5);
        let all = store.points();
        assert_eq!(all.len(), 500);

        let query = store.range_query(1_500, 2_495);
        assert_eq!((query.blocks_decoded, query.blocks_skipped), (2, 3));
        assert_eq!(query.decoded_blocks, vec![1, 2]);
        assert_eq!(query.points_decoded, 200);
        let expected: Vec<_> = all
            .iter()
            .copied()
            .filter(|&(t, _)| (1_500..=2_495).contains(&t))
            .collect();
        assert_eq!(query.points, expected);

        let everything = store.range_query(i64::MIN, i64::MAX);
        assert_eq!(everything.points, all);
        assert_eq!(everything.blocks_skipped, 0);

        let nothing = store.range_query(10_000, 20_000);
        assert!(nothing.points.is_empty());
        assert_eq!((nothing.blocks_decoded, nothing.blocks_skipped), (0, 5));
        let reversed = store.range_query(2_000, 1_000);
        assert!(reversed.points.is_empty());
        assert_eq!(reversed.blocks_decoded, 0);
        // A range inside a gap between points of one block still decodes it.
        let gap = store.range_query(1_001, 1_009);
        assert!(gap.points.is_empty());
        assert_eq!(gap.blocks_decoded, 1);
    }

    #[test]
    fn retention_drops_whole_old_blocks() {
        let mut store = Store::new(1_000).unwrap();
        gauge(&mut store, 0, 500, 10);
        let bytes_before = store.total_bytes();
        // Cutoff 2_500: blocks 0 and 1 end by then; block 2 straddles it and stays.
        let retention = store.apply_retention(3_000, 500);
        let dropped: Vec<i64> = retention.dropped.iter().map(|b| b.index).collect();
        assert_eq!(dropped, vec![0, 1]);
        assert_eq!(retention.points_dropped, 200);
        assert_eq!(store.len(), 300);
        assert_eq!(store.total_bytes() + retention.bytes_dropped, bytes_before);
        assert_eq!(store.points().first().map(|p| p.0), Some(2_000));
        // Applying it again drops nothing.
        assert_eq!(store.apply_retention(3_000, 500), Retention::default());
        // A horizon in the far future drops everything, the open block included,
        // but the store still refuses to go back in time.
        let all = store.apply_retention(i64::MAX, i64::MIN);
        assert_eq!(all.points_dropped, 300);
        assert!(store.is_empty());
        assert_eq!(store.bytes_per_point(), 0.0);
        assert!(store.append(4_000, 1.0).is_err());
        assert!(store.append(5_000, 1.0).is_ok());
    }

    #[test]
    fn downsampling_summarises_each_bucket() {
        let points = [
            (0, 3.0),
            (10, -1.0),
            (20, 2.0),
            (60, 7.0),
            (61, f64::NAN),
            (-1, 4.0),
        ];
        let buckets = downsample(&points, 60);
        assert_eq!(buckets.len(), 3);
        assert_eq!((buckets[0].start, buckets[0].count), (-60, 1));
        let first = buckets[1];
        assert_eq!((first.start, first.count), (0, 3));
        assert_eq!(
            (first.min, first.max, first.sum, first.last),
            (-1.0, 3.0, 4.0, 2.0)
        );
        assert!((first.avg() - 4.0 / 3.0).abs() < 1e-12);
        let with_nan = buckets[2];
        assert_eq!((with_nan.count, with_nan.min), (2, 7.0));
        assert!(with_nan.max.is_nan() && with_nan.sum.is_nan() && with_nan.last.is_nan());
        assert!(downsample(&points, 0).is_empty());
        assert!(downsample(&points, -60).is_empty());
        // Signed zeros are ordered, so the result does not depend on the platform.
        let zeros = downsample(&[(0, 0.0), (1, -0.0)], 10);
        assert!(zeros[0].min.is_sign_negative() && zeros[0].max.is_sign_positive());
    }

    #[test]
    fn downsampling_the_store_matches_downsampling_its_points() {
        let mut store = Store::new(600).unwrap();
        gauge(&mut store, 7, 300, 10);
        let buckets = store.downsample(60);
        assert_eq!(buckets, downsample(&store.points(), 60));
        assert_eq!(buckets.iter().map(|b| b.count).sum::<usize>(), 300);
        assert_eq!(buckets.first().map(|b| b.start), Some(0));
    }

    #[test]
    fn extreme_timestamps_do_not_overflow() {
        let mut store = Store::new(TWO_HOURS).unwrap();
        store.append(i64::MIN, 1.0).unwrap();
        store.append(i64::MIN + 1, 2.0).unwrap();
        store.append(0, 3.0).unwrap();
        store.append(i64::MAX, 4.0).unwrap();
        let blocks = store.blocks();
        assert_eq!(blocks.len(), 3);
        assert_eq!(blocks[0].start, i64::MIN);
        assert_eq!(blocks[2].end, i64::MAX);
        assert_eq!(store.range_query(i64::MIN, i64::MAX).points.len(), 4);
        assert_eq!(
            store.range_query(i64::MAX, i64::MAX).points,
            vec![(i64::MAX, 4.0)]
        );
        let buckets = store.downsample(i64::MAX);
        assert_eq!(buckets.iter().map(|b| b.count).sum::<usize>(), 4);
        assert_eq!(buckets[0].start, i64::MIN);
        let retention = store.apply_retention(i64::MIN, i64::MAX);
        assert!(retention.dropped.is_empty());
        let retention = store.apply_retention(i64::MAX, 0);
        assert_eq!(retention.points_dropped, 3);
        assert_eq!(store.points(), vec![(i64::MAX, 4.0)]);
        let mut tiny = Store::new(1).unwrap();
        tiny.append(i64::MAX, 0.0).unwrap();
        assert_eq!(tiny.blocks()[0].start, i64::MAX);
    }

    #[test]
    fn a_regular_gauge_compresses_well() {
        let mut store = Store::default();
        gauge(&mut store, 1_700_000_000, 8_640, 10); // one day every 10 s
        assert_eq!(store.blocks().len(), 13);
        let per_point = store.bytes_per_point();
        assert!(per_point < 3.0, "{per_point} bytes per point");
        assert_eq!(store.raw_bytes(), 8_640 * 16);
        for block in store.blocks() {
            assert!(block.bytes_per_point() > 0.0);
        }
    }
}
