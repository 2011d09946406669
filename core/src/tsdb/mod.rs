//! A small time-series store in the style of Facebook's Gorilla.
//!
//! **The problem.** Monitoring writes a float per metric every few seconds, forever,
//! and reads mostly the last few hours. Stored naively each point costs 16 bytes
//! (an `i64` timestamp and an `f64` value), and a query for one hour should not have
//! to touch a year of data.
//!
//! **The idea** (Pelkonen et al., "Gorilla: A Fast, Scalable, In-Memory Time Series
//! Database", VLDB 2015):
//!
//! - [`gorilla`] compresses a series bit by bit (§4.1): timestamps as
//!   delta-of-deltas, where a steady interval costs one bit, and values as the XOR
//!   with the previous value, where an unchanged value costs one bit and a small
//!   change costs only its meaningful bits. Real gauges land near 1–2 bytes per point
//!   instead of 16. [`gorilla::explain`] shows every field of the stream with the
//!   exact bits written.
//! - [`Store`] cuts time into fixed windows (two hours in the paper) and keeps one
//!   compressed block per window: appends go to the open block, range queries decode
//!   only the blocks that overlap, retention drops whole old blocks, and
//!   [`downsample`] summarises points into coarser buckets for charts.
//!
//! Invariants (checked by the tests): decoding an encoding gives back exactly the
//! points, bit for bit, for every `i64` timestamp and `f64` pattern; decoding any
//! byte string returns `Ok` or `Err` without panicking; a range query returns exactly
//! the stored points in range; retention only ever drops blocks entirely older than
//! the horizon.
//!
//! # Example
//!
//! ```
//! use distlab_core::tsdb::{gorilla, Store};
//!
//! let mut store = Store::new(3_600).unwrap(); // one-hour blocks
//! for i in 0..720 {
//!     // A counter sampled every 10 s.
//!     store.append(i * 10, (i * 3) as f64).unwrap();
//! }
//! assert_eq!(store.blocks().len(), 2);
//! println!("{:.2} bytes per point", store.bytes_per_point());
//! assert!(store.bytes_per_point() < 4.0);
//!
//! let last_minute = store.range_query(7_140, 7_199);
//! assert_eq!(last_minute.points.len(), 6);
//! assert_eq!(last_minute.blocks_skipped, 1);
//!
//! let per_hour = store.downsample(3_600);
//! assert_eq!(per_hour[1].last, 2_157.0);
//!
//! let bytes = gorilla::encode(&last_minute.points);
//! assert_eq!(gorilla::decode(&bytes).unwrap(), last_minute.points);
//! ```

pub mod gorilla;
pub mod store;

pub use store::{
    downsample, AppendError, Appended, BlockInfo, Bucket, InvalidBlockDuration, RangeQuery,
    Retention, Store, TWO_HOURS,
};
