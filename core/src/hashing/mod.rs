//! Consistent hashing: which node owns a key, and which keys move when the set of
//! nodes changes.
//!
//! # The problem
//!
//! A cache or a store spreads keys over `n` nodes. The obvious rule, mod-N hashing
//! (`hash(key) % n`, [`mod_n`]), balances well, but when `n` changes almost every key
//! changes node: going from `n` to `n + 1` nodes moves about `n / (n + 1)` of all keys,
//! so one new cache server empties every cache. The least any scheme can move is the
//! new node's fair share, `K / (n + 1)` of `K` keys (the "K/n ideal",
//! [`Movement::ideal`]).
//!
//! # Three ideas, side by side
//!
//! - **The ring** (Karger, Lehman, Leighton, Panigrahy, Levine and Lewin, "Consistent
//!   Hashing and Random Trees", STOC 1997): hash nodes and keys onto the same circle of
//!   2^64 positions; a key belongs to the first node point at or clockwise after it
//!   ([`HashRing`]). A new node only takes keys from the arcs it lands in; a removed
//!   node's keys go to its clockwise successors; nothing else moves. One point per node
//!   gives very uneven arcs, so each physical node is placed at many *virtual nodes*
//!   (vnodes): with `v` vnodes per node the relative standard deviation of load falls
//!   roughly like `1/sqrt(v)`.
//! - **Jump consistent hash** (Lamping and Veach, "A Fast, Minimal Memory, Consistent
//!   Hash Algorithm", 2014, [`jump`]): no ring and no memory. A key's bucket is decided
//!   by a pseudo-random walk seeded by the key; growing from `n` to `n + 1` buckets
//!   moves exactly the keys that now land in bucket `n`. The price: buckets are
//!   numbered, so only the last bucket can be removed without renumbering the others.
//! - **Rendezvous or highest-random-weight hashing** (Thaler and Ravishankar, "A
//!   Name-Based Mapping Scheme for Rendezvous", University of Michigan technical report
//!   CSE-TR-316-96, 1996, [`rendezvous`]): every node scores every key with a hash of
//!   (node, key); the highest score wins. Removing a node moves only its keys; adding
//!   one moves only the keys it now wins. Cost: one hash per node per lookup.
//!
//! [`compare_strategies`] runs ring, jump, rendezvous and mod-N over the same keys and
//! the same change of nodes and reports, for each, the load per node, its standard
//! deviation and the keys that moved.
//!
//! # The hash
//!
//! Every key and node name in this module, and every Bloom filter position in
//! [`crate::bloom`], goes through one fixed function, [`hash64`]: the first 8 bytes of
//! SHA-256 of the bytes, read big-endian. Why this one:
//!
//! - It is fixed by a standard (FIPS 180-4), so it gives the same value on every
//!   platform, natively and in wasm32, with every Rust version. std's `DefaultHasher`
//!   may change between releases, and `Hash` feeds `usize` with a different width on
//!   wasm32, so neither may decide where a key lives.
//! - A person can check the lab with a shell: the ring position of `alice` is the first
//!   16 hex digits of `printf alice | sha256sum`.
//! - Its output bits are uniform and independent, which is what the theory of all three
//!   schemes and of Bloom filters assumes; a weak hash would make the measured load and
//!   false-positive rates disagree with the formulas for reasons unrelated to the lesson.
//! - The crate already uses SHA-256 for Merkle trees, so nothing new is added.
//!
//! The cost is speed: about 80 ns per 16-byte key natively on the development machine
//! (x86-64, where the `sha2` crate uses the CPU's SHA extensions), more in wasm32
//! where it runs portable code. The lab hashes thousands of keys, not millions, so
//! this never shows; the criterion benchmark `ring_bloom_skiplist` measures it.
//!
//! # Example
//!
//! ```
//! use distlab_core::hashing::{jump, rendezvous, HashRing};
//!
//! let mut ring = HashRing::new();
//! for name in ["node-a", "node-b", "node-c"] {
//!     ring.add_node(name, 64).unwrap();
//! }
//! let keys: Vec<String> = (0..1000).map(|i| format!("key-{i}")).collect();
//! let before = ring.clone();
//!
//! ring.add_node("node-d", 64).unwrap();
//! let movement = HashRing::movement(&before, &ring, &keys);
//! // Every key that moved, moved to the new node.
//! assert!(movement.moves.iter().all(|m| m.to.as_deref() == Some("node-d")));
//! // About a quarter of the keys move (the K/n ideal is 250).
//! assert_eq!(movement.ideal, 250.0);
//! assert!(movement.moved > 100 && movement.moved < 400);
//!
//! // Jump hash: pinned outputs of the published algorithm.
//! assert_eq!(jump(256, 1024), 520);
//! assert_eq!(jump(42, 0), 0); // no buckets: documented to return 0
//!
//! // Rendezvous: the node with the highest weight for the key.
//! let nodes = ["node-a", "node-b", "node-c"];
//! assert!(rendezvous(b"key-7", &nodes).is_some());
//! assert!(rendezvous(b"key-7", &[] as &[&str]).is_none());
//! ```

mod compare;
mod jump;
mod rendezvous;
mod ring;
mod stats;

pub use compare::{compare_strategies, place_all, NodeChange, Strategy, StrategyReport};
pub use jump::{jump, jump_node};
pub use rendezvous::{mod_n, mod_n_node, rendezvous, rendezvous_index, rendezvous_weight};
pub use ring::{
    vnode_label, vnode_position, HashRing, KeyPlacement, NodeShare, RingArc, RingError, RingNode,
    RingPoint,
};
pub use stats::{FlowCount, KeyMove, LoadStats, Movement, NodeLoad};

use sha2::{Digest, Sha256};

/// The lab's one 64-bit hash: the first 8 bytes of SHA-256 of `bytes`, big-endian.
///
/// Used for ring positions of keys and virtual nodes, for jump hash inputs, mod-N,
/// rendezvous weights and (through [`hash64_pair`]) Bloom filter positions. See the
/// module documentation for why this function was chosen.
///
/// ```
/// use distlab_core::hashing::hash64;
/// // `printf abc | sha256sum` starts with ba7816bf8f01cfea.
/// assert_eq!(hash64(b"abc"), 0xba78_16bf_8f01_cfea);
/// ```
pub fn hash64(bytes: impl AsRef<[u8]>) -> u64 {
    hash64_pair(bytes).0
}

/// Two 64-bit hashes of `bytes` from one SHA-256: bytes 0..8 and 8..16 of the
/// digest, each read big-endian. The first equals [`hash64`].
///
/// The two halves of a cryptographic digest are independent, which is what the
/// double hashing of Kirsch and Mitzenmacher needs for Bloom filter positions.
pub fn hash64_pair(bytes: impl AsRef<[u8]>) -> (u64, u64) {
    let digest = Sha256::digest(bytes.as_ref());
    let mut first = [0u8; 8];
    let mut second = [0u8; 8];
    first.copy_from_slice(&digest[0..8]);
    second.copy_from_slice(&digest[8..16]);
    (u64::from_be_bytes(first), u64::from_be_bytes(second))
}

/// A ring position as a fraction of the circle in `[0, 1)`, for drawing (an angle is
/// `fraction * 360°`).
///
/// Only the top 53 bits are kept, so the conversion is exact and the result is
/// strictly below 1 even for `u64::MAX` (rounding the full 64 bits could give 1.0).
pub fn position_fraction(position: u64) -> f64 {
    (position >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash64_is_the_sha256_prefix() {
        // SHA-256("") = e3b0c442 98fc1c14 9afbf4c8 996fb924 ...
        assert_eq!(hash64(b""), 0xe3b0_c442_98fc_1c14);
        assert_eq!(
            hash64_pair(b""),
            (0xe3b0_c442_98fc_1c14, 0x9afb_f4c8_996f_b924)
        );
        // SHA-256("abc") = ba7816bf 8f01cfea 414140de 5dae2223 ...
        assert_eq!(hash64("abc"), 0xba78_16bf_8f01_cfea);
        assert_eq!(hash64_pair("abc").1, 0x4141_40de_5dae_2223);
    }

    #[test]
    fn hash64_accepts_every_byte_string_form() {
        let v: Vec<u8> = b"node-a".to_vec();
        assert_eq!(hash64(&v), hash64("node-a"));
        assert_eq!(hash64(v.as_slice()), hash64(b"node-a"));
    }

    #[test]
    fn position_fraction_covers_the_circle() {
        assert_eq!(position_fraction(0), 0.0);
        assert_eq!(position_fraction(1 << 63), 0.5);
        assert!(position_fraction(u64::MAX) < 1.0);
    }
}
