//! The formulas: false-positive rate, optimal sizing, count estimation, and a
//! measurement to plot against them.

use super::math::{exp, ln, powi};
use super::{BloomFilter, MAX_BITS, MAX_HASHES};
use crate::sim::rng::Rng;
use std::f64::consts::LN_2;

/// The smallest false-positive rate [`sizing`] accepts; smaller (or ≤ 0) is raised to
/// it. Its optimal `k` is 50, below [`MAX_HASHES`].
pub const MIN_RATE: f64 = 1e-15;

/// The largest false-positive rate [`sizing`] accepts; larger (including ≥ 1) and NaN
/// are lowered to it. A filter wrong half the time has no use.
pub const MAX_RATE: f64 = 0.5;

/// `(1 − e^(−kn/m))^k`: the classic approximation of the probability that a query for
/// an item not inserted finds all `k` bits set after `n` inserts into `m` bits
/// (Bloom 1970; the `e^(−kn/m)` form is the standard limit of `(1 − 1/m)^(kn)`).
///
/// `m = 0` gives 1 (no bits: everything looks present), `n = 0` gives 0 for `k >= 1`,
/// and `k = 0` gives 1 (checking no bits answers "maybe" to everything). Computed with
/// the crate's portable `exp`, so the value is the same on every platform.
///
/// ```
/// use distlab_core::bloom::false_positive_rate;
/// let p = false_positive_rate(9586, 7, 1000);
/// assert!((p - 0.01).abs() < 0.0005);
/// assert_eq!(false_positive_rate(100, 3, 0), 0.0);
/// ```
pub fn false_positive_rate(m: usize, k: u32, n: usize) -> f64 {
    if m == 0 {
        return 1.0;
    }
    let fill = 1.0 - exp(-(f64::from(k) * n as f64) / m as f64);
    powi(fill, k)
}

/// The number of hashes that minimises the false-positive rate for `m` bits and `n`
/// items: `round((m/n) ln 2)`, clamped to `1..=MAX_HASHES` (`n = 0` is treated as 1).
pub fn optimal_k(m: usize, n: usize) -> u32 {
    let n = n.max(1);
    let k = (m as f64 / n as f64 * LN_2).round();
    if k >= f64::from(MAX_HASHES) {
        MAX_HASHES
    } else if k >= 1.0 {
        k as u32
    } else {
        1
    }
}

/// The bits needed for `n` items at rate `p`: `ceil(−n ln p / (ln 2)²)`, with the
/// clamping of [`sizing`].
pub fn optimal_bits(n: usize, p: f64) -> usize {
    sizing(n, p).m
}

/// A sizing plan: the answer of the calculator.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BloomSizing {
    /// Items planned for (after clamping: at least 1).
    pub n: usize,
    /// Target false-positive rate (after clamping to `[MIN_RATE, MAX_RATE]`).
    pub p: f64,
    /// Bits: `ceil(−n ln p / (ln 2)²)`, clamped to `1..=MAX_BITS`.
    pub m: usize,
    /// Hashes: `round((m/n) ln 2)`, clamped to `1..=MAX_HASHES`.
    pub k: u32,
    /// `m / n`: about 1.44·log2(1/p), 9.59 for 1 %.
    pub bits_per_item: f64,
    /// [`false_positive_rate`]`(m, k, n)`: what this plan gives after rounding `m` and
    /// `k` (and above `p` if `m` hit `MAX_BITS`).
    pub expected_rate: f64,
}

/// The sizing calculator: `(n, p) → (m, k, bits per item)` with the optimal
/// `m = ceil(−n ln p / (ln 2)²)` and `k = round((m/n) ln 2)`, at least 1.
///
/// Never panics; bad inputs are clamped, and the returned plan shows the values used:
/// `n = 0` becomes 1; `p` below [`MIN_RATE`] (including 0 and negatives) becomes
/// `MIN_RATE`; `p` above [`MAX_RATE`] (including ≥ 1 and infinities) and NaN become
/// `MAX_RATE`; `m` is capped at [`MAX_BITS`](super::MAX_BITS). Computed with the
/// crate's portable `ln`, so `m` and `k` are identical on every platform.
///
/// ```
/// use distlab_core::bloom::sizing;
/// let plan = sizing(1_000_000, 0.01);
/// assert_eq!((plan.m, plan.k), (9_585_059, 7));
/// assert!((plan.bits_per_item - 9.585).abs() < 0.001);
/// ```
pub fn sizing(n: usize, p: f64) -> BloomSizing {
    let n = n.max(1);
    let p = if p.is_nan() {
        MAX_RATE
    } else {
        p.clamp(MIN_RATE, MAX_RATE)
    };
    let exact_m = n as f64 * -ln(p) / (LN_2 * LN_2);
    let m = if exact_m.ceil() >= MAX_BITS as f64 {
        MAX_BITS
    } else {
        (exact_m.ceil() as usize).max(1)
    };
    let k = optimal_k(m, n);
    BloomSizing {
        n,
        p,
        m,
        k,
        bits_per_item: m as f64 / n as f64,
        expected_rate: false_positive_rate(m, k, n),
    }
}

/// Estimated number of distinct items in a filter of `m` bits and `k` hashes with
/// `ones` bits set: `−(m/k) ln(1 − ones/m)` (Swamidass and Baldi, 2007). Infinite when
/// every bit is set; 0 for `m = 0` or `k = 0`.
pub fn estimate_count(m: usize, k: u32, ones: usize) -> f64 {
    if m == 0 || k == 0 {
        return 0.0;
    }
    let fill = ones.min(m) as f64 / m as f64;
    -(m as f64 / f64::from(k)) * ln(1.0 - fill)
}

/// A measured false-positive rate next to the formula.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FalsePositiveMeasurement {
    /// Bits.
    pub m: usize,
    /// Hashes.
    pub k: u32,
    /// Items inserted.
    pub n: usize,
    /// Queries for items never inserted.
    pub queries: usize,
    /// How many of those answered "maybe present".
    pub false_positives: usize,
    /// `false_positives / queries` (0 with no queries).
    pub measured: f64,
    /// [`false_positive_rate`]`(m, k, n)` for the filter's clamped `m` and `k`.
    pub predicted: f64,
}

/// Builds a filter of `m` bits and `k` hashes, inserts `n` random items, queries
/// `queries` random items that were certainly not inserted, and counts the false
/// positives. Items are drawn from [`Rng::new`]`(seed)`: inserted items are `b'i'`
/// followed by 8 random bytes, queried ones `b'q'` followed by 8, so the two sets are
/// disjoint by construction. Same inputs, same result, on every platform.
pub fn measure_false_positive_rate(
    m: usize,
    k: u32,
    n: usize,
    queries: usize,
    seed: u64,
) -> FalsePositiveMeasurement {
    let mut rng = Rng::new(seed);
    let mut filter = BloomFilter::new(m, k);
    let mut item = [0u8; 9];
    item[0] = b'i';
    for _ in 0..n {
        item[1..].copy_from_slice(&rng.next_u64().to_le_bytes());
        filter.insert(&item);
    }
    item[0] = b'q';
    let mut false_positives = 0;
    for _ in 0..queries {
        item[1..].copy_from_slice(&rng.next_u64().to_le_bytes());
        if filter.contains(&item) {
            false_positives += 1;
        }
    }
    let measured = if queries == 0 {
        0.0
    } else {
        false_positives as f64 / queries as f64
    };
    FalsePositiveMeasurement {
        m: filter.m(),
        k: filter.k(),
        n,
        queries,
        false_positives,
        measured,
        predicted: false_positive_rate(filter.m(), filter.k(), n),
    }
}
