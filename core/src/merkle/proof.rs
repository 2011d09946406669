//! Inclusion and consistency proofs: generation by the recursive definitions of
//! RFC 6962 §2.1.1–2.1.2, verification by the iterative algorithms of RFC 9162
//! §2.1.3.2 and §2.1.4.2 (the ones Certificate Transparency clients run).

use super::{empty_root, fold_root, hash_children, hash_leaf, split_point, Hash};

/// The inclusion proof `PATH(index, D[n])` for leaf `index` (RFC 6962 §2.1.1): the
/// hashes of the sibling subtrees on the way from the leaf to the root, bottom-up.
///
/// An `index` outside `0..leaves.len()` has no proof and gives an empty `Vec` (which
/// never verifies for a tree of more than one leaf). A one-leaf tree's proof is empty
/// too, legitimately: the leaf hash is the root.
///
/// Runs in O(n) hashes and O(log n) memory; [`super::MerkleTree::inclusion_proof`]
/// answers in O(log n) from stored nodes.
pub fn inclusion_proof(leaves: &[&[u8]], index: usize) -> Vec<Hash> {
    let mut proof = Vec::new();
    if index < leaves.len() {
        path(index, leaves, &mut proof);
    }
    proof
}

/// `PATH(m, D[n])`, appending bottom-up: the recursion's own part comes first and the
/// sibling of the current subtree last, exactly as the RFC concatenates them.
fn path(m: usize, leaves: &[&[u8]], out: &mut Vec<Hash>) {
    if leaves.len() <= 1 {
        return;
    }
    let k = split_point(leaves.len());
    let (left, right) = leaves.split_at(k);
    if m < k {
        path(m, left, out);
        out.push(subtree_hash(right));
    } else {
        path(m - k, right, out);
        out.push(subtree_hash(left));
    }
}

/// The consistency proof `PROOF(old_size, D[n])` (RFC 6962 §2.1.2): the fewest node
/// hashes that let someone holding the root of the first `old_size` leaves check that
/// the root of all `leaves` is an append-only extension of it.
///
/// The proof is empty when `old_size == leaves.len()` (nothing to prove) and for
/// invalid sizes, `old_size == 0` or `old_size > leaves.len()`, which have no proof.
pub fn consistency_proof(leaves: &[&[u8]], old_size: usize) -> Vec<Hash> {
    let mut proof = Vec::new();
    if old_size > 0 && old_size <= leaves.len() {
        subproof(old_size, leaves, true, &mut proof);
    }
    proof
}

/// `SUBPROOF(m, D[n], b)`; `complete` is the RFC's `b`: whether the current subtree's
/// left edge is the old tree's own root (whose hash the verifier already has).
fn subproof(m: usize, leaves: &[&[u8]], complete: bool, out: &mut Vec<Hash>) {
    let n = leaves.len();
    if m == n {
        if !complete {
            out.push(subtree_hash(leaves));
        }
        return;
    }
    // Here 0 < m < n, so n >= 2 and the split exists.
    let k = split_point(n);
    let (left, right) = leaves.split_at(k);
    if m <= k {
        subproof(m, left, complete, out);
        out.push(subtree_hash(right));
    } else {
        subproof(m - k, right, false, out);
        out.push(subtree_hash(left));
    }
}

fn subtree_hash(leaves: &[&[u8]]) -> Hash {
    fold_root(leaves.iter().map(|leaf| hash_leaf(leaf)))
}

/// Checks that `leaf` is leaf number `index` of the tree of `tree_size` leaves whose
/// root is `root`, given the inclusion `proof` (RFC 9162 §2.1.3.2).
///
/// Returns false, never panics, for every malformed input: an index outside the
/// tree, a proof that is too short or too long, or any altered hash.
///
/// As with every RFC 6962 verifier, the proof authenticates the leaf against the
/// root, not the tree size: sizes that share the same path shape (for example 7 and
/// 8 for leaf 5) accept the same proof. Take the size from the signed tree head.
pub fn verify_inclusion(
    leaf: &[u8],
    index: usize,
    tree_size: usize,
    proof: &[Hash],
    root: &Hash,
) -> bool {
    verify_inclusion_hash(&hash_leaf(leaf), index, tree_size, proof, root)
}

/// [`verify_inclusion`] for a leaf that is already hashed with [`super::hash_leaf`].
pub fn verify_inclusion_hash(
    leaf_hash: &Hash,
    index: usize,
    tree_size: usize,
    proof: &[Hash],
    root: &Hash,
) -> bool {
    root_from_inclusion_proof(leaf_hash, index, tree_size, proof).as_ref() == Some(root)
}

/// The root that `proof` implies for leaf `index` of a tree of `tree_size` leaves, or
/// `None` when the proof has the wrong length for that position. Verification is
/// comparing this with the published root.
pub fn root_from_inclusion_proof(
    leaf_hash: &Hash,
    index: usize,
    tree_size: usize,
    proof: &[Hash],
) -> Option<Hash> {
    inclusion_walk(leaf_hash, index, tree_size, proof, |_| {})
}

/// Every hash a verifier computes while checking an inclusion proof, bottom-up: the
/// leaf hash first, then one hash per proof element, the last being the implied
/// root. `None` when the proof has the wrong length for that position. A view uses
/// it to animate verification beside the tree's own hashes.
pub fn inclusion_path_hashes(
    leaf_hash: &Hash,
    index: usize,
    tree_size: usize,
    proof: &[Hash],
) -> Option<Vec<Hash>> {
    let mut steps = Vec::with_capacity(proof.len() + 1);
    steps.push(*leaf_hash);
    inclusion_walk(leaf_hash, index, tree_size, proof, |hash| steps.push(*hash))?;
    Some(steps)
}

/// RFC 9162 §2.1.3.2. `node` is the index of the current node within its level and
/// `last` the index of the level's last node; the current node is a right child when
/// `node` is odd, and has no sibling (its subtree was promoted unchanged) when it is
/// the last node of its level and even.
fn inclusion_walk(
    leaf_hash: &Hash,
    index: usize,
    tree_size: usize,
    proof: &[Hash],
    mut on_step: impl FnMut(&Hash),
) -> Option<Hash> {
    if index >= tree_size {
        return None;
    }
    let mut node = index as u64;
    let mut last = (tree_size - 1) as u64;
    let mut hash = *leaf_hash;
    for sibling in proof {
        if last == 0 {
            return None; // the proof is longer than the path to the root
        }
        if node & 1 == 1 || node == last {
            hash = hash_children(sibling, &hash);
            if node & 1 == 0 {
                // Climb past the levels where this subtree has no sibling.
                while node & 1 == 0 && node != 0 {
                    node >>= 1;
                    last >>= 1;
                }
            }
        } else {
            hash = hash_children(&hash, sibling);
        }
        on_step(&hash);
        node >>= 1;
        last >>= 1;
    }
    // `last == 0` means the walk reached the root: the proof was not too short.
    (last == 0).then_some(hash)
}

/// Checks that the tree of `new_size` leaves with root `new_root` is an append-only
/// extension of the tree of `old_size` leaves with root `old_root`, given the
/// consistency `proof` (RFC 9162 §2.1.4.2).
///
/// The edge cases the RFC leaves out are decided as follows, all without panicking:
///
/// - `old_size > new_size`: false (a log that shrank is not consistent);
/// - `old_size == new_size`: true exactly when the proof is empty and the roots are
///   equal;
/// - `old_size == 0`: the empty tree is a prefix of every tree, so true exactly when
///   the proof is empty and `old_root` is the empty tree's root, `SHA-256("")`.
pub fn verify_consistency(
    old_size: usize,
    new_size: usize,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> bool {
    if old_size > new_size {
        return false;
    }
    if old_size == new_size {
        return proof.is_empty() && old_root == new_root;
    }
    if old_size == 0 {
        return proof.is_empty() && *old_root == empty_root();
    }
    // Now 0 < old_size < new_size, and a valid proof has at least one hash.
    if proof.is_empty() {
        return false;
    }
    let mut rest = proof.iter();
    // When the old tree is a perfect subtree of the new one, the proof omits its root
    // because the verifier has it; otherwise the proof starts with the hash of the
    // largest perfect subtree on the old tree's right edge.
    let seed = if old_size.is_power_of_two() {
        *old_root
    } else {
        match rest.next() {
            Some(hash) => *hash,
            None => return false,
        }
    };
    let mut node = (old_size - 1) as u64;
    let mut last = (new_size - 1) as u64;
    // Skip the levels where the seed subtree is a right child inside the old tree.
    while node & 1 == 1 {
        node >>= 1;
        last >>= 1;
    }
    let mut old_hash = seed;
    let mut new_hash = seed;
    for sibling in rest {
        if last == 0 {
            return false; // the proof is longer than the path to the new root
        }
        if node & 1 == 1 || node == last {
            // A left sibling: part of both trees.
            old_hash = hash_children(sibling, &old_hash);
            new_hash = hash_children(sibling, &new_hash);
            if node & 1 == 0 {
                while node & 1 == 0 && node != 0 {
                    node >>= 1;
                    last >>= 1;
                }
            }
        } else {
            // A right sibling: leaves appended after the old tree.
            new_hash = hash_children(&new_hash, sibling);
        }
        node >>= 1;
        last >>= 1;
    }
    last == 0 && old_hash == *old_root && new_hash == *new_root
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::{hash_from_hex, root};

    /// The leaves of the Certificate Transparency test vectors (RFC 6962 reference
    /// implementation and every port of its tests).
    pub(crate) const CT_LEAVES: [&[u8]; 8] = [
        b"",
        &[0x00],
        &[0x10],
        &[0x20, 0x21],
        &[0x30, 0x31],
        &[0x40, 0x41, 0x42, 0x43],
        &[0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
        &[
            0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d,
            0x6e, 0x6f,
        ],
    ];

    /// Published roots for the first 0..=8 leaves.
    pub(crate) const CT_ROOTS: [&str; 9] = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    /// Published inclusion proofs: (leaf index, tree size, PATH).
    const CT_INCLUSION: [(usize, usize, &[&str]); 5] = [
        (0, 1, &[]),
        (
            0,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            5,
            8,
            &[
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            3,
            &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
        ),
        (
            1,
            5,
            &[
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];

    /// Published consistency proofs: (old size, new size, PROOF).
    const CT_CONSISTENCY: [(usize, usize, &[&str]); 4] = [
        (1, 1, &[]),
        (
            1,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            8,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            5,
            &[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];

    fn h(text: &str) -> Hash {
        hash_from_hex(text).expect("test vector is 64 hex digits")
    }

    fn hashes(texts: &[&str]) -> Vec<Hash> {
        texts.iter().map(|text| h(text)).collect()
    }

    fn ct_root(size: usize) -> Hash {
        h(CT_ROOTS[size])
    }

    #[test]
    fn roots_match_published_vectors() {
        for (size, expected) in CT_ROOTS.iter().enumerate() {
            assert_eq!(root(&CT_LEAVES[..size]), h(expected), "tree size {size}");
        }
    }

    #[test]
    fn inclusion_proofs_match_published_vectors_and_verify() {
        for (index, size, expected) in CT_INCLUSION {
            let leaves = &CT_LEAVES[..size];
            let proof = inclusion_proof(leaves, index);
            assert_eq!(proof, hashes(expected), "PATH({index}, D[{size}])");
            assert!(verify_inclusion(
                CT_LEAVES[index],
                index,
                size,
                &proof,
                &ct_root(size)
            ));
        }
    }

    #[test]
    fn published_inclusion_proofs_verify_and_mutations_fail() {
        for (index, size, expected) in CT_INCLUSION {
            let proof = hashes(expected);
            let leaf = CT_LEAVES[index];
            let good_root = ct_root(size);
            assert!(verify_inclusion(leaf, index, size, &proof, &good_root));
            // Wrong index, wrong size, wrong leaf, wrong root.
            assert!(!verify_inclusion(leaf, index + 1, size, &proof, &good_root));
            assert!(!verify_inclusion(leaf, index, size * 2, &proof, &good_root));
            assert!(!verify_inclusion(
                b"WrongLeaf",
                index,
                size,
                &proof,
                &good_root
            ));
            assert!(!verify_inclusion(leaf, index, size, &proof, &empty_root()));
            if index > 0 {
                assert!(!verify_inclusion(leaf, index - 1, size, &proof, &good_root));
            }
            if size > 1 {
                assert!(!verify_inclusion(leaf, index, size / 2, &proof, &good_root));
                assert!(!verify_inclusion(leaf, index ^ 2, size, &proof, &good_root));
            }
            // Extra hashes before or after, and a missing one.
            let mut longer = proof.clone();
            longer.push(good_root);
            assert!(!verify_inclusion(leaf, index, size, &longer, &good_root));
            let mut prefixed = vec![good_root];
            prefixed.extend_from_slice(&proof);
            assert!(!verify_inclusion(leaf, index, size, &prefixed, &good_root));
            if let Some((_, shorter)) = proof.split_last() {
                assert!(!verify_inclusion(leaf, index, size, shorter, &good_root));
            }
        }
    }

    #[test]
    fn consistency_proofs_match_published_vectors_and_verify() {
        for (old, new, expected) in CT_CONSISTENCY {
            let proof = consistency_proof(&CT_LEAVES[..new], old);
            assert_eq!(proof, hashes(expected), "PROOF({old}, D[{new}])");
            assert!(verify_consistency(
                old,
                new,
                &ct_root(old),
                &ct_root(new),
                &proof
            ));
        }
    }

    #[test]
    fn published_consistency_proofs_reject_mutations() {
        for (old, new, expected) in CT_CONSISTENCY {
            let proof = hashes(expected);
            if proof.is_empty() {
                continue;
            }
            let (old_root, new_root) = (ct_root(old), ct_root(new));
            assert!(verify_consistency(old, new, &old_root, &new_root, &proof));
            let wrong = h("abacaba000000000000000000000000000000000000000000060061e00123456");
            for (o, n, r1, r2, p) in [
                (old - 1, new, old_root, new_root, proof.clone()),
                (old + 1, new, old_root, new_root, proof.clone()),
                (old ^ 2, new, old_root, new_root, proof.clone()),
                (old, new * 2, old_root, new_root, proof.clone()),
                (old, new / 2, old_root, new_root, proof.clone()),
                (old, new, wrong, new_root, proof.clone()),
                (old, new, old_root, wrong, proof.clone()),
                (old, new, new_root, old_root, proof.clone()),
                (old, new, old_root, new_root, Vec::new()),
                (
                    old,
                    new,
                    old_root,
                    new_root,
                    [&proof[..], &[old_root]].concat(),
                ),
                (
                    old,
                    new,
                    old_root,
                    new_root,
                    [&proof[..], &[new_root]].concat(),
                ),
                (
                    old,
                    new,
                    old_root,
                    new_root,
                    [&[old_root], &proof[..]].concat(),
                ),
                (
                    old,
                    new,
                    old_root,
                    new_root,
                    [&[proof[0]], &proof[..]].concat(),
                ),
                (
                    old,
                    new,
                    old_root,
                    new_root,
                    proof[..proof.len() - 1].to_vec(),
                ),
            ] {
                assert!(
                    !verify_consistency(o, n, &r1, &r2, &p),
                    "accepted mutation of ({old}, {new}): ({o}, {n}) with {} hashes",
                    p.len()
                );
            }
        }
    }

    #[test]
    fn consistency_edge_cases() {
        let some = h("abacaba000000000000000000000000000000000000000000060061e00123456");
        let other = ct_root(3);
        // Equal sizes: empty proof and equal roots, nothing else.
        assert!(verify_consistency(0, 0, &some, &some, &[]));
        assert!(verify_consistency(3, 3, &other, &other, &[]));
        assert!(!verify_consistency(3, 3, &other, &some, &[]));
        assert!(!verify_consistency(3, 3, &other, &other, &[other]));
        // The empty tree is a prefix of everything, but only the real empty tree.
        assert!(verify_consistency(0, 3, &empty_root(), &other, &[]));
        assert!(!verify_consistency(0, 3, &some, &other, &[]));
        assert!(!verify_consistency(0, 3, &empty_root(), &other, &[other]));
        // Shrinking is never consistent.
        assert!(!verify_consistency(2, 1, &some, &other, &[]));
        assert!(!verify_consistency(usize::MAX, 1, &some, &other, &[some]));
        // A non-trivial pair with an empty proof.
        assert!(!verify_consistency(1, 2, &ct_root(1), &ct_root(2), &[]));
        // Huge sizes do not overflow.
        assert!(!verify_consistency(
            usize::MAX - 1,
            usize::MAX,
            &some,
            &other,
            &[some; 3]
        ));
        assert!(!verify_inclusion(
            b"",
            usize::MAX - 1,
            usize::MAX,
            &[some],
            &other
        ));
    }

    #[test]
    fn invalid_requests_give_empty_proofs() {
        assert!(inclusion_proof(&CT_LEAVES, 8).is_empty());
        assert!(inclusion_proof(&[], 0).is_empty());
        assert!(consistency_proof(&CT_LEAVES, 0).is_empty());
        assert!(consistency_proof(&CT_LEAVES, 9).is_empty());
        assert!(consistency_proof(&CT_LEAVES, 8).is_empty());
        assert!(!verify_inclusion(b"", 0, 0, &[], &empty_root()));
        assert!(!verify_inclusion(CT_LEAVES[7], 8, 8, &[], &ct_root(8)));
    }

    #[test]
    fn single_leaf_tree_proves_with_an_empty_path() {
        let leaf_root = root(&[b"data"]);
        assert!(verify_inclusion(b"data", 0, 1, &[], &leaf_root));
        assert!(!verify_inclusion(b"data", 0, 1, &[leaf_root], &leaf_root));
        assert!(!verify_inclusion(b"other", 0, 1, &[], &leaf_root));
    }

    #[test]
    fn path_hashes_end_at_the_root() {
        let proof = inclusion_proof(&CT_LEAVES, 5);
        let steps = inclusion_path_hashes(&hash_leaf(CT_LEAVES[5]), 5, 8, &proof)
            .expect("a valid proof has the right length");
        assert_eq!(steps.len(), proof.len() + 1);
        assert_eq!(steps.first(), Some(&hash_leaf(CT_LEAVES[5])));
        assert_eq!(steps.last(), Some(&ct_root(8)));
        assert!(inclusion_path_hashes(&steps[0], 5, 8, &proof[..2]).is_none());
    }
}
