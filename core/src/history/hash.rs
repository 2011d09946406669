//! The checker's hashing: a fixed multiply-rotate hasher for its tables, and the
//! random words of Zobrist hashing for sets of operations.
//!
//! The tables are only asked "seen before?", so their hashes never reach output; a
//! fixed hasher still keeps every run identical (no per-process random seed) and is
//! several times faster than SipHash on the small integer keys used here.

use crate::sim::rng::splitmix64;
use std::hash::{BuildHasher, Hasher};

/// A multiply-rotate hasher over 64-bit words (the scheme of Firefox's FxHash).
#[derive(Clone, Copy, Default)]
pub(crate) struct WordHasher {
    hash: u64,
}

/// An odd constant with well-mixed bits: the fractional part of the golden ratio.
const MULTIPLIER: u64 = 0x9E37_79B9_7F4A_7C15;

impl WordHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(MULTIPLIER);
    }
}

/// Calls `add` with `bytes` as little-endian 64-bit words, the last one padded
/// with zeros: how byte input reaches a hasher that works in words.
pub(crate) fn words(bytes: &[u8], mut add: impl FnMut(u64)) {
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        add(u64::from_le_bytes(word));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        add(u64::from_le_bytes(word));
    }
}

impl Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        words(bytes, |word| self.add(word));
    }

    fn write_u8(&mut self, value: u8) {
        self.add(value as u64);
    }

    fn write_u32(&mut self, value: u32) {
        self.add(value as u64);
    }

    fn write_u64(&mut self, value: u64) {
        self.add(value);
    }

    fn write_i64(&mut self, value: i64) {
        self.add(value as u64);
    }

    fn write_usize(&mut self, value: usize) {
        self.add(value as u64);
    }

    fn write_isize(&mut self, value: isize) {
        self.add(value as u64);
    }

    fn finish(&self) -> u64 {
        // The low bits pick the bucket, and after one multiply they depend only on the
        // low bits of the input; folding the high half down lets every input bit count.
        self.hash ^ (self.hash >> 32)
    }
}

/// Builds [`WordHasher`]s; the same for every table and every run.
#[derive(Clone, Copy, Default)]
pub(crate) struct FixedState;

impl BuildHasher for FixedState {
    type Hasher = WordHasher;
    fn build_hasher(&self) -> WordHasher {
        WordHasher::default()
    }
}

/// The Zobrist word of item `index`: the hash of a set is the XOR of its items' words,
/// so adding or removing one item updates it in O(1), and two different sets collide
/// only by chance (about 2^-64 per pair).
pub(crate) fn zobrist(index: usize) -> u64 {
    let mut state = (index as u64).wrapping_mul(0xD1B5_4A32_D192_ED03) ^ 0x5A0B_1157;
    splitmix64(&mut state)
}

/// Spreads a small number (a model state) over 64 bits before it joins a set hash.
pub(crate) fn mix(value: u64, salt: u64) -> u64 {
    let mut state = value ^ salt.wrapping_mul(0x9FB2_1C65_1E98_DF25);
    splitmix64(&mut state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn zobrist_words_are_distinct_and_stable() {
        let words: HashSet<u64> = (0..10_000).map(zobrist).collect();
        assert_eq!(words.len(), 10_000);
        assert_eq!(zobrist(7), zobrist(7));
    }

    #[test]
    fn hasher_is_fixed_and_spreads_low_bits() {
        let hash = |value: u64| {
            let mut hasher = FixedState.build_hasher();
            hasher.write_u64(value);
            hasher.finish()
        };
        assert_eq!(hash(3), hash(3));
        let buckets: HashSet<u64> = (0..1024).map(|v| hash(v << 32) & 1023).collect();
        assert!(buckets.len() > 500, "{} buckets", buckets.len());
    }
}
