//! Jump consistent hash (Lamping and Veach, 2014).

/// The bucket in `0..buckets` for `key`, by jump consistent hash exactly as published
/// by Lamping and Veach, "A Fast, Minimal Memory, Consistent Hash Algorithm" (2014):
/// the 64-bit linear congruential generator
/// `key = key * 2862933555777941757 + 1` and the floating-point jump
/// `j = (b + 1) * (2^31 / ((key >> 33) + 1))`.
///
/// The results equal every other faithful implementation of the paper (Guava's
/// `Hashing.consistentHash`, the Go packages, ClickHouse's `jumpConsistentHash`); the
/// tests pin their published vectors. Only IEEE-exact operations (one division, one
/// multiplication, truncation) touch floats, so the answer is the same on every
/// platform.
///
/// Growing `buckets` by one moves a key only into the new bucket, never between old
/// ones. The paper takes a signed 32-bit bucket count; here it is unsigned, which
/// extends the same walk to 2^32 − 1 buckets.
///
/// `buckets == 0` has no valid answer; this returns 0 rather than panicking, so
/// callers that may have no buckets must check for that case themselves.
///
/// ```
/// use distlab_core::hashing::jump;
/// assert_eq!(jump(256, 1024), 520);
/// assert_eq!(jump(7, 1), 0);
/// assert_eq!(jump(7, 0), 0);
/// ```
pub fn jump(key: u64, buckets: u32) -> u32 {
    let buckets = i64::from(buckets);
    let mut key = key;
    let mut b: i64 = -1;
    let mut j: i64 = 0;
    while j < buckets {
        b = j;
        key = key.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        let jump_ratio = (1u64 << 31) as f64 / ((key >> 33) + 1) as f64;
        // `as` saturates, so a product beyond i64::MAX ends the loop instead of wrapping.
        j = ((b + 1) as f64 * jump_ratio) as i64;
    }
    // b is -1 only when buckets == 0; otherwise 0 <= b < buckets <= u32::MAX.
    u32::try_from(b).unwrap_or(0)
}

/// The node for `key` (a byte string) among `nodes` by jump hash:
/// `nodes[jump(hash64(key), nodes.len())]`. `None` when `nodes` is empty.
///
/// Jump hash numbers its buckets, so a node's identity is its index: removing a node
/// other than the last renumbers every node after it and moves their keys too (a
/// limitation the paper itself points out). Lists longer than `u32::MAX` use
/// only their first `u32::MAX` nodes.
///
/// ```
/// use distlab_core::hashing::jump_node;
/// let nodes = ["a", "b", "c"];
/// assert!(jump_node(b"some key", &nodes).is_some());
/// ```
pub fn jump_node<N>(key: impl AsRef<[u8]>, nodes: &[N]) -> Option<&N> {
    let buckets = u32::try_from(nodes.len()).unwrap_or(u32::MAX);
    if buckets == 0 {
        return None;
    }
    let bucket = jump(super::hash64(key), buckets);
    nodes.get(bucket as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::Rng;

    /// Published vectors: the Go implementations' table (dgryski/go-jump and its
    /// forks), ClickHouse's `00580_consistent_hashing_functions` reference and Guava's
    /// `testConsistentHash_linearCongruentialGeneratorCompatibility`.
    #[test]
    fn matches_published_vectors() {
        let vectors: [(u64, u32, u32); 11] = [
            (1, 1, 0),
            (42, 57, 43),
            (0xDEAD_10CC, 1, 0),
            (0xDEAD_10CC, 666, 361),
            (256, 1024, 520),
            (16_045_690_984_833_335_023, 255, 237),
            (1, 100, 55),
            (2, 100, 62),
            (3, 100, 8),
            (4, 100, 45),
            (5, 100, 59),
        ];
        for (key, buckets, expected) in vectors {
            assert_eq!(jump(key, buckets), expected, "jump({key}, {buckets})");
        }
    }

    #[test]
    fn zero_buckets_returns_zero() {
        for key in [0, 1, u64::MAX] {
            assert_eq!(jump(key, 0), 0);
        }
    }

    #[test]
    fn result_is_always_in_range_including_extreme_bucket_counts() {
        let mut rng = Rng::new(11);
        for _ in 0..200 {
            let key = rng.next_u64();
            for buckets in [1, 2, 3, 1000, i32::MAX as u32, u32::MAX] {
                assert!(jump(key, buckets) < buckets);
            }
        }
        assert!(jump(u64::MAX, u32::MAX) < u32::MAX);
    }

    /// Monotonicity (the paper's consistency property): when the bucket count grows
    /// by one, a key either stays or moves to the new bucket.
    #[test]
    fn growing_buckets_only_moves_keys_into_the_new_bucket() {
        let mut rng = Rng::new(2014);
        for _ in 0..300 {
            let key = rng.next_u64();
            let mut previous = jump(key, 1);
            for buckets in 2..=300u32 {
                let now = jump(key, buckets);
                assert!(
                    now == previous || now == buckets - 1,
                    "key {key} moved from {previous} to {now} at {buckets} buckets"
                );
                previous = now;
            }
        }
    }

    #[test]
    fn growing_moves_about_one_nth_of_keys() {
        let mut rng = Rng::new(5);
        let keys: Vec<u64> = (0..20_000).map(|_| rng.next_u64()).collect();
        let moved = keys.iter().filter(|&&k| jump(k, 9) != jump(k, 10)).count();
        // Ideal 2000 (1/10); binomial sd = sqrt(20000 * 0.1 * 0.9) ≈ 42, allow ~5 sd.
        assert!((1790..=2210).contains(&moved), "moved = {moved}");
    }

    #[test]
    fn buckets_are_balanced() {
        let mut rng = Rng::new(6);
        let mut counts = [0u32; 10];
        for _ in 0..50_000 {
            counts[jump(rng.next_u64(), 10) as usize] += 1;
        }
        // Expected 5000 each; binomial sd ≈ 67; allow 5 sd.
        assert!(
            counts.iter().all(|&c| (4665..=5335).contains(&c)),
            "{counts:?}"
        );
    }

    #[test]
    fn jump_node_maps_into_the_list() {
        let nodes = ["a", "b", "c"];
        assert_eq!(jump_node(b"x", &nodes[..0]), None);
        let chosen = jump_node(b"x", &nodes).copied();
        assert_eq!(
            chosen,
            Some(nodes[jump(crate::hashing::hash64(b"x"), 3) as usize])
        );
    }
}
