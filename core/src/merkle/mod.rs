//! Merkle hash trees as Certificate Transparency builds them (RFC 6962 §2.1).
//!
//! **The problem.** Two parties hold a long list of records. One wants to prove to the
//! other that a record is in the list, or that today's list is yesterday's list with
//! records only appended, or two replicas want to find which records differ, all
//! without shipping the whole list.
//!
//! **The idea.** Hash every record, then hash pairs of hashes, and so on up to a single
//! root hash that commits to the whole list. A record is proven to be in the list by
//! the sibling hashes along its path to the root: O(log n) hashes instead of n records.
//! Two replicas compare roots first and descend only into subtrees whose hashes differ.
//!
//! **What this module follows.** RFC 6962 §2.1 (unchanged in RFC 9162 §2.1):
//!
//! - leaf hash `SHA-256(0x00 || leaf)`, interior hash `SHA-256(0x01 || left || right)`;
//!   the different prefixes stop a leaf from being passed off as an interior node
//!   (second-preimage attack);
//! - a list of `n > 1` leaves is split at `k`, the largest power of two smaller than
//!   `n`: the left subtree is always perfect and the tree is "left-balanced";
//! - the empty list hashes to `SHA-256("")`;
//! - inclusion proofs are `PATH` (§2.1.1) and consistency proofs `PROOF`/`SUBPROOF`
//!   (§2.1.2); both are verified with the iterative algorithms of RFC 9162
//!   §2.1.3.2 and §2.1.4.2, so proofs from any other RFC 6962 implementation verify
//!   here and ours verify there. The tests pin the published Certificate Transparency
//!   vectors.
//!
//! The free functions ([`root`], [`inclusion_proof`], [`consistency_proof`]) are a
//! literal transcription of the RFC's recursive definitions and keep only O(log n)
//! hashes in memory. [`MerkleTree`] stores every node so proofs cost O(log n), leaves
//! can be changed in place, and the views can draw the tree: it exposes the RFC tree
//! shape for any leaf count, the nodes that form an inclusion proof, the path re-hashed
//! by [`MerkleTree::set_leaf`], and a top-down comparison of two replicas
//! ([`MerkleTree::compare`]) that walks only the subtrees whose hashes differ.
//!
//! **Invariants** (checked by the tests): every inclusion proof verifies for every
//! index and size; every consistency proof verifies for every pair of sizes; flipping
//! any bit of a proof, root or leaf makes verification fail; the tree's proofs equal
//! the recursive definitions'; a comparison reports exactly the leaves that differ.
//!
//! # Example
//!
//! ```
//! use distlab_core::merkle::{self, MerkleTree};
//!
//! let records: Vec<&[u8]> = vec![b"alice", b"bob", b"carol", b"dave", b"erin"];
//! let root = merkle::root(&records);
//!
//! // Prove that "carol" is record 2 of 5: three sibling hashes, not five records.
//! let proof = merkle::inclusion_proof(&records, 2);
//! assert_eq!(proof.len(), 3);
//! assert!(merkle::verify_inclusion(b"carol", 2, records.len(), &proof, &root));
//! assert!(!merkle::verify_inclusion(b"mallory", 2, records.len(), &proof, &root));
//!
//! // Prove that the 5-record list extends the 3-record list it grew from.
//! let old_root = merkle::root(&records[..3]);
//! let consistency = merkle::consistency_proof(&records, 3);
//! assert!(merkle::verify_consistency(3, 5, &old_root, &root, &consistency));
//!
//! // Two replicas that disagree on one record find it by walking differing subtrees.
//! let primary = MerkleTree::new(&records);
//! let mut replica = primary.clone();
//! replica.set_leaf(3, b"DAVE");
//! let diff = primary.compare(&replica).unwrap();
//! assert_eq!(diff.differing_leaves, vec![3]);
//! assert!(diff.hash_comparisons <= 2 * 3 + 1); // root, then one path down
//! assert_eq!(diff.full_scan_comparisons, 5);
//! println!("root {}", merkle::short_hex(&root));
//! ```

mod proof;
mod tree;

#[cfg(test)]
mod tests;

use sha2::{Digest, Sha256};

pub use proof::{
    consistency_proof, inclusion_path_hashes, inclusion_proof, root_from_inclusion_proof,
    verify_consistency, verify_inclusion, verify_inclusion_hash,
};
pub use tree::{Comparison, MerkleTree, Node, NodeId, SizeMismatch, Visit};

/// A SHA-256 digest: the hash of a leaf, an interior node or a whole tree.
pub type Hash = [u8; 32];

/// The domain-separation prefix hashed in front of a leaf (RFC 6962 §2.1).
pub const LEAF_PREFIX: u8 = 0x00;

/// The domain-separation prefix hashed in front of two child hashes (RFC 6962 §2.1).
pub const NODE_PREFIX: u8 = 0x01;

/// The hash of one leaf: `SHA-256(0x00 || data)`.
pub fn hash_leaf(data: &[u8]) -> Hash {
    Sha256::new()
        .chain_update([LEAF_PREFIX])
        .chain_update(data)
        .finalize()
        .into()
}

/// The hash of an interior node: `SHA-256(0x01 || left || right)`.
pub fn hash_children(left: &Hash, right: &Hash) -> Hash {
    Sha256::new()
        .chain_update([NODE_PREFIX])
        .chain_update(left)
        .chain_update(right)
        .finalize()
        .into()
}

/// The root of the empty tree: `SHA-256("")` (RFC 6962 §2.1), not 32 zero bytes.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The Merkle Tree Hash `MTH(D[n])` of `leaves` (RFC 6962 §2.1).
///
/// Runs in O(n) hashes and O(log n) memory: leaf hashes are folded into a stack of
/// perfect subtrees as they stream past (see [`root_from_leaf_hashes`]).
///
/// ```
/// use distlab_core::merkle::{root, to_hex};
/// // The first published Certificate Transparency vector: one empty leaf.
/// assert_eq!(
///     to_hex(&root(&[b""])),
///     "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
/// );
/// ```
pub fn root(leaves: &[&[u8]]) -> Hash {
    fold_root(leaves.iter().map(|leaf| hash_leaf(leaf)))
}

/// The Merkle Tree Hash of a list whose leaves are already hashed (with
/// [`hash_leaf`]). Equal to [`root`] of the original leaves.
pub fn root_from_leaf_hashes(leaf_hashes: &[Hash]) -> Hash {
    fold_root(leaf_hashes.iter().copied())
}

/// The largest power of two strictly smaller than `n`: where RFC 6962 splits a list
/// of `n` leaves. Returns 0 for `n < 2`, which has no split.
pub fn split_point(n: usize) -> usize {
    if n < 2 {
        return 0;
    }
    let highest_bit = usize::BITS - 1 - (n - 1).leading_zeros();
    1 << highest_bit
}

/// Folds a stream of leaf hashes into the RFC 6962 root.
///
/// The RFC tree of `n` leaves is the perfect subtrees of sizes given by the binary
/// digits of `n`, left to right, joined from the right. So the stack holds perfect
/// subtrees of strictly decreasing size; a new leaf merges with equal-sized
/// neighbours (like a binary counter carrying), and at the end the stack is folded
/// right to left. The stack never holds more than one subtree per bit of `usize`.
fn fold_root(leaf_hashes: impl Iterator<Item = Hash>) -> Hash {
    const SLOTS: usize = usize::BITS as usize + 1;
    let mut stack: [(Hash, u32); SLOTS] = [([0u8; 32], 0); SLOTS];
    let mut len = 0usize;
    for leaf in leaf_hashes {
        let mut carry = (leaf, 0u32);
        while len > 0 && stack[len - 1].1 == carry.1 {
            len -= 1;
            carry = (hash_children(&stack[len].0, &carry.0), carry.1 + 1);
        }
        // Heights are strictly decreasing from the bottom of the stack and a slice
        // cannot hold 2^usize::BITS leaves, so `len < SLOTS` always holds here.
        if let Some(slot) = stack.get_mut(len) {
            *slot = carry;
            len += 1;
        }
    }
    let Some((mut acc, _)) = len.checked_sub(1).and_then(|top| stack.get(top)).copied() else {
        return empty_root();
    };
    for (left, _) in stack[..len - 1].iter().rev() {
        acc = hash_children(left, &acc);
    }
    acc
}

/// Lower-case hex of `bytes`, two characters per byte.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

/// The first 8 hex characters of a hash: enough to tell nodes apart in a drawing.
///
/// ```
/// use distlab_core::merkle::{empty_root, short_hex};
/// assert_eq!(short_hex(&empty_root()), "e3b0c442");
/// ```
pub fn short_hex(hash: &Hash) -> String {
    to_hex(&hash[..4])
}

/// Parses 64 hex characters (either case) into a hash; `None` for anything else.
pub fn hash_from_hex(text: &str) -> Option<Hash> {
    let digits = text.as_bytes();
    if digits.len() != 64 {
        return None;
    }
    let mut hash = [0u8; 32];
    for (byte, pair) in hash.iter_mut().zip(digits.chunks_exact(2)) {
        let high = hex_value(pair[0])?;
        let low = hex_value(pair[1])?;
        *byte = (high << 4) | low;
    }
    Some(hash)
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}
