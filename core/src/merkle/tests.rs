//! Cross-checks of the whole module: the stored tree against the recursive
//! definitions, proofs for every index and size, and bit flips that must be caught.

use proptest::prelude::*;

use super::*;

/// Distinct, non-empty leaves `"leaf-0"`, `"leaf-1"`, ... (non-empty so that a bit
/// of every leaf can be flipped).
fn owned_leaves(n: usize) -> Vec<Vec<u8>> {
    (0..n).map(|i| format!("leaf-{i}").into_bytes()).collect()
}

fn borrowed(leaves: &[Vec<u8>]) -> Vec<&[u8]> {
    leaves.iter().map(Vec::as_slice).collect()
}

/// `MTH` exactly as RFC 6962 §2.1 writes it, recursing on slices: the reference the
/// streaming fold and the stored tree are checked against.
fn reference_mth(leaves: &[&[u8]]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => hash_leaf(leaves[0]),
        n => {
            let k = split_point(n);
            hash_children(&reference_mth(&leaves[..k]), &reference_mth(&leaves[k..]))
        }
    }
}

fn flip(hash: &Hash, bit: usize) -> Hash {
    let mut flipped = *hash;
    flipped[(bit / 8) % 32] ^= 1 << (bit % 8);
    flipped
}

#[test]
fn split_point_is_the_largest_power_of_two_below() {
    assert_eq!(split_point(0), 0);
    assert_eq!(split_point(1), 0);
    for n in 2..5000usize {
        let brute = (0..usize::BITS)
            .map(|b| 1usize << b)
            .filter(|&k| k < n)
            .max()
            .unwrap_or(0);
        assert_eq!(split_point(n), brute, "n = {n}");
    }
    assert_eq!(split_point(usize::MAX), 1 << (usize::BITS - 1));
}

#[test]
fn roots_agree_with_the_reference_for_every_size_up_to_300() {
    let owned = owned_leaves(300);
    let all = borrowed(&owned);
    for n in 0..=300 {
        let leaves = &all[..n];
        let expected = reference_mth(leaves);
        assert_eq!(root(leaves), expected, "root, n = {n}");
        let tree = MerkleTree::new(leaves);
        assert_eq!(tree.root(), expected, "tree root, n = {n}");
        assert_eq!(root_from_leaf_hashes(tree.leaf_hashes()), expected);
    }
}

#[test]
fn every_inclusion_proof_verifies_for_every_size_up_to_300() {
    let owned = owned_leaves(300);
    let all = borrowed(&owned);
    let mut tree = MerkleTree::default();
    for n in 1..=300 {
        tree.push(all[n - 1]);
        let tree_root = tree.root();
        for (index, leaf) in all[..n].iter().enumerate() {
            let proof = tree.inclusion_proof(index);
            assert!(
                verify_inclusion(leaf, index, n, &proof, &tree_root),
                "leaf {index} of {n}"
            );
            // The proof is no longer than the leaf's depth allows.
            assert!(proof.len() <= tree.height() as usize);
        }
        // The free function (O(n) per proof) agrees; `free_and_stored_...` checks
        // every index up to 64, so two per size suffice here.
        for index in [n / 3, n - 1] {
            assert_eq!(
                inclusion_proof(&all[..n], index),
                tree.inclusion_proof(index),
                "leaf {index} of {n}"
            );
        }
    }
}

#[test]
fn free_and_stored_inclusion_proofs_agree_exhaustively_up_to_64() {
    let owned = owned_leaves(64);
    let all = borrowed(&owned);
    for n in 0..=64 {
        let tree = MerkleTree::new(&all[..n]);
        for index in 0..=n {
            assert_eq!(
                inclusion_proof(&all[..n], index),
                tree.inclusion_proof(index),
                "leaf {index} of {n}"
            );
        }
    }
}

#[test]
fn every_consistency_proof_verifies_for_every_pair_up_to_64() {
    let owned = owned_leaves(64);
    let all = borrowed(&owned);
    for new_size in 0..=64 {
        let leaves = &all[..new_size];
        let tree = MerkleTree::new(leaves);
        let new_root = tree.root();
        for old_size in 0..=new_size {
            let old_root = root(&all[..old_size]);
            assert_eq!(tree.prefix_root(old_size), Some(old_root));
            let proof = consistency_proof(leaves, old_size);
            assert_eq!(proof, tree.consistency_proof(old_size));
            assert!(
                verify_consistency(old_size, new_size, &old_root, &new_root, &proof),
                "({old_size}, {new_size})"
            );
            // The proof is short: at most about two hashes per level.
            assert!(proof.len() <= 2 * (tree.height() as usize) + 1);
            if old_size < new_size && old_size > 0 {
                // Swapped sizes or roots never verify.
                assert!(!verify_consistency(
                    new_size, old_size, &new_root, &old_root, &proof
                ));
                assert!(!verify_consistency(
                    old_size, new_size, &new_root, &old_root, &proof
                ));
            }
        }
        assert_eq!(tree.prefix_root(new_size + 1), None);
    }
}

#[test]
fn flipping_any_bit_of_the_ct_eight_leaf_proofs_fails() {
    let leaves: Vec<&[u8]> = (0..8u8)
        .map(|i| &b"abcdefgh"[usize::from(i)..][..1])
        .collect();
    let tree = MerkleTree::new(&leaves);
    let tree_root = tree.root();
    for (index, leaf) in leaves.iter().enumerate() {
        let proof = tree.inclusion_proof(index);
        for element in 0..proof.len() {
            for bit in 0..256 {
                let mut bad = proof.clone();
                bad[element] = flip(&bad[element], bit);
                assert!(!verify_inclusion(leaf, index, 8, &bad, &tree_root));
            }
        }
        for bit in 0..256 {
            assert!(!verify_inclusion(
                leaf,
                index,
                8,
                &proof,
                &flip(&tree_root, bit)
            ));
        }
        for bit in 0..8 {
            let bad_leaf = [leaf[0] ^ (1 << bit)];
            assert!(!verify_inclusion(&bad_leaf, index, 8, &proof, &tree_root));
        }
    }
    for old_size in 1..8 {
        let proof = tree.consistency_proof(old_size);
        let old_root = root(&leaves[..old_size]);
        for element in 0..proof.len() {
            for bit in 0..256 {
                let mut bad = proof.clone();
                bad[element] = flip(&bad[element], bit);
                assert!(!verify_consistency(
                    old_size, 8, &old_root, &tree_root, &bad
                ));
            }
        }
    }
}

#[test]
fn nodes_describe_the_rfc_shape() {
    let owned = owned_leaves(70);
    let all = borrowed(&owned);
    for n in 0..=70 {
        let tree = MerkleTree::new(&all[..n]);
        let nodes = tree.nodes();
        assert_eq!(nodes.len(), (2 * n).saturating_sub(1), "n = {n}");
        let mut leaf_order = Vec::new();
        for node in &nodes {
            assert_eq!(
                tree.node(node.id).as_ref(),
                Some(node),
                "lookup of {:?}",
                node.id
            );
            assert!(node.start < node.end && node.end <= n);
            assert_eq!(reference_mth(&all[node.start..node.end]), node.hash);
            match node.children {
                None => {
                    assert_eq!((node.level(), node.leaf_count()), (0, 1));
                    leaf_order.push(node.start);
                }
                Some((left, right)) => {
                    let left = tree.node(left).expect("left child exists");
                    let right = tree.node(right).expect("right child exists");
                    // The left child is perfect, of the largest power of two below n.
                    assert_eq!(left.leaf_count(), split_point(node.leaf_count()));
                    assert_eq!((left.start, left.end), (node.start, right.start));
                    assert_eq!(right.end, node.end);
                    assert_eq!(node.hash, hash_children(&left.hash, &right.hash));
                    for child in [&left, &right] {
                        assert_eq!(child.parent, Some(node.id));
                        assert_eq!(child.depth, node.depth + 1);
                        assert!(child.level() < node.level());
                    }
                }
            }
        }
        assert_eq!(
            leaf_order,
            (0..n).collect::<Vec<_>>(),
            "leaves in pre-order"
        );
        if let Some(first) = nodes.first() {
            assert_eq!((first.depth, first.parent), (0, None));
            assert_eq!(Some(first.id), tree.root_id());
        }
    }
}

#[test]
fn ids_that_are_not_nodes_are_rejected() {
    let owned = owned_leaves(5);
    let tree = MerkleTree::new(&borrowed(&owned));
    // Five leaves: leaf 4 is carried up unchanged, so (1, 2) and (2, 1) are not nodes.
    assert!(tree.node(NodeId { level: 1, index: 2 }).is_none());
    assert!(tree.node(NodeId { level: 2, index: 1 }).is_none());
    assert!(tree.node(NodeId::leaf(5)).is_none());
    assert!(tree.node(NodeId { level: 4, index: 0 }).is_none());
    assert!(tree
        .node(NodeId {
            level: 200,
            index: usize::MAX
        })
        .is_none());
    let leaf = tree.node(NodeId::leaf(4)).expect("leaf 4 exists");
    assert_eq!((leaf.depth, leaf.parent), (1, tree.root_id()));
    assert!(MerkleTree::default().nodes().is_empty());
    assert_eq!(MerkleTree::default().root(), empty_root());
}

#[test]
fn proof_nodes_are_the_siblings_of_the_path() {
    let owned = owned_leaves(13);
    let tree = MerkleTree::new(&borrowed(&owned));
    for index in 0..13 {
        let path = tree.path(index);
        let siblings = tree.inclusion_proof_nodes(index);
        assert_eq!(path.first(), Some(&NodeId::leaf(index)));
        assert_eq!(path.last().copied(), tree.root_id());
        assert_eq!(siblings.len() + 1, path.len());
        for (sibling, on_path) in siblings.iter().zip(&path) {
            let parent = tree.node(*on_path).and_then(|node| node.parent);
            assert_eq!(sibling.parent, parent, "sibling shares the parent");
            assert_ne!(sibling.id, *on_path);
        }
        let hashes: Vec<Hash> = siblings.iter().map(|node| node.hash).collect();
        assert_eq!(hashes, tree.inclusion_proof(index));
    }
    assert!(tree.path(13).is_empty());
    assert!(tree.inclusion_proof_nodes(13).is_empty());
    let consistency: Vec<Hash> = tree
        .consistency_proof_nodes(6)
        .iter()
        .map(|node| node.hash)
        .collect();
    assert_eq!(consistency, tree.consistency_proof(6));
}

#[test]
fn set_leaf_rehashes_exactly_the_path() {
    let mut owned = owned_leaves(11);
    let mut tree = MerkleTree::new(&borrowed(&owned));
    for index in 0..11 {
        let before = tree.clone();
        owned[index] = format!("changed-{index}").into_bytes();
        let rehashed = tree.set_leaf(index, &owned[index]);
        assert_eq!(tree, MerkleTree::new(&borrowed(&owned)));
        let ids: Vec<NodeId> = rehashed.iter().map(|node| node.id).collect();
        assert_eq!(ids, tree.path(index));
        for node in &rehashed {
            assert_eq!(tree.node(node.id).as_ref(), Some(node));
            assert_ne!(before.node(node.id).map(|old| old.hash), Some(node.hash));
        }
        // Everything off the path kept its hash.
        for node in tree.nodes() {
            if !ids.contains(&node.id) {
                assert_eq!(before.node(node.id).map(|old| old.hash), Some(node.hash));
            }
        }
    }
    assert!(tree.set_leaf(11, b"out of range").is_empty());
    assert_eq!(tree, MerkleTree::new(&borrowed(&owned)));
}

#[test]
fn push_matches_building_from_scratch() {
    let owned = owned_leaves(100);
    let all = borrowed(&owned);
    let mut tree = MerkleTree::default();
    for n in 1..=100 {
        let touched = tree.push(all[n - 1]);
        assert_eq!(tree, MerkleTree::new(&all[..n]), "n = {n}");
        let ids: Vec<NodeId> = touched.iter().map(|node| node.id).collect();
        assert_eq!(ids, tree.path(n - 1));
    }
}

#[test]
fn comparing_identical_trees_costs_one_comparison() {
    let owned = owned_leaves(1000);
    let tree = MerkleTree::new(&borrowed(&owned));
    let diff = tree.compare(&tree.clone()).expect("same size");
    assert!(diff.differing_leaves.is_empty());
    assert_eq!(diff.hash_comparisons, 1);
    assert_eq!(diff.full_scan_comparisons, 1000);
    assert_eq!(
        diff.visited,
        vec![Visit {
            node: tree.root_id().unwrap(),
            same: true
        }]
    );
}

#[test]
fn comparing_completely_different_trees_visits_every_node() {
    let a = owned_leaves(37);
    let b: Vec<Vec<u8>> = (0..37).map(|i| format!("other-{i}").into_bytes()).collect();
    let diff = MerkleTree::new(&borrowed(&a))
        .compare(&MerkleTree::new(&borrowed(&b)))
        .expect("same size");
    assert_eq!(diff.differing_leaves, (0..37).collect::<Vec<_>>());
    assert_eq!(diff.hash_comparisons, 2 * 37 - 1);
    assert!(diff.visited.iter().all(|visit| !visit.same));
}

#[test]
fn comparing_different_sizes_is_an_error() {
    let owned = owned_leaves(4);
    let all = borrowed(&owned);
    let error = MerkleTree::new(&all)
        .compare(&MerkleTree::new(&all[..3]))
        .unwrap_err();
    assert_eq!(error, SizeMismatch { left: 4, right: 3 });
    assert!(error.to_string().contains("4 and 3"));
    let empty = MerkleTree::default().compare(&MerkleTree::default());
    assert_eq!(empty.map(|diff| diff.hash_comparisons), Ok(0));
}

#[test]
fn hex_helpers() {
    assert_eq!(to_hex(&[]), "");
    assert_eq!(to_hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
    let hash = hash_leaf(b"x");
    assert_eq!(hash_from_hex(&to_hex(&hash)), Some(hash));
    assert_eq!(hash_from_hex(&to_hex(&hash).to_uppercase()), Some(hash));
    assert_eq!(short_hex(&hash), to_hex(&hash)[..8]);
    assert_eq!(hash_from_hex("00"), None);
    assert_eq!(hash_from_hex(&"g".repeat(64)), None);
    assert_eq!(hash_from_hex(&"é".repeat(32)), None);
}

#[test]
fn domain_separation_distinguishes_leaves_from_nodes() {
    let (left, right) = (hash_leaf(b"a"), hash_leaf(b"b"));
    let mut concatenated = left.to_vec();
    concatenated.extend_from_slice(&right);
    assert_ne!(hash_leaf(&concatenated), hash_children(&left, &right));
    // A one-leaf tree whose leaf is the two child hashes does not collide with the
    // two-leaf tree.
    assert_ne!(root(&[&concatenated]), root(&[b"a", b"b"]));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_flipped_bit_breaks_an_inclusion_proof(
        n in 1usize..300,
        index_seed in any::<usize>(),
        bit in 0usize..256,
        target in 0u8..3,
        element_seed in any::<usize>(),
    ) {
        let owned = owned_leaves(n);
        let leaves = borrowed(&owned);
        let index = index_seed % n;
        let tree = MerkleTree::new(&leaves);
        let (mut proof, mut tree_root, mut leaf) =
            (tree.inclusion_proof(index), tree.root(), owned[index].clone());
        prop_assert!(verify_inclusion(&leaf, index, n, &proof, &tree_root));
        match target {
            0 if !proof.is_empty() => {
                let element = element_seed % proof.len();
                proof[element] = flip(&proof[element], bit);
            }
            1 => tree_root = flip(&tree_root, bit),
            _ => {
                let byte = (bit / 8) % leaf.len();
                leaf[byte] ^= 1 << (bit % 8);
            }
        }
        prop_assert!(!verify_inclusion(&leaf, index, n, &proof, &tree_root));
    }

    #[test]
    fn any_flipped_bit_breaks_a_consistency_proof(
        new_size in 2usize..=64,
        old_seed in any::<usize>(),
        bit in 0usize..256,
        target in 0u8..3,
        element_seed in any::<usize>(),
    ) {
        let owned = owned_leaves(new_size);
        let leaves = borrowed(&owned);
        let old_size = 1 + old_seed % (new_size - 1);
        let mut proof = consistency_proof(&leaves, old_size);
        let mut old_root = root(&leaves[..old_size]);
        let mut new_root = root(&leaves);
        prop_assert!(verify_consistency(old_size, new_size, &old_root, &new_root, &proof));
        match target {
            0 => {
                let element = element_seed % proof.len();
                proof[element] = flip(&proof[element], bit);
            }
            1 => old_root = flip(&old_root, bit),
            _ => new_root = flip(&new_root, bit),
        }
        prop_assert!(!verify_consistency(old_size, new_size, &old_root, &new_root, &proof));
    }

    #[test]
    fn arbitrary_leaves_prove_and_verify(
        leaves in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 1..120),
        index_seed in any::<usize>(),
        old_seed in any::<usize>(),
    ) {
        let all = borrowed(&leaves);
        let n = all.len();
        let index = index_seed % n;
        let tree = MerkleTree::new(&all);
        prop_assert_eq!(tree.root(), reference_mth(&all));
        let proof = inclusion_proof(&all, index);
        prop_assert_eq!(&proof, &tree.inclusion_proof(index));
        prop_assert!(verify_inclusion(all[index], index, n, &proof, &tree.root()));
        let old_size = old_seed % (n + 1);
        let consistency = consistency_proof(&all, old_size);
        prop_assert!(verify_consistency(
            old_size, n, &root(&all[..old_size]), &tree.root(), &consistency
        ));
    }

    #[test]
    fn comparison_finds_exactly_the_changed_leaves(
        n in 1usize..200,
        changes in proptest::collection::vec(any::<usize>(), 0..12),
    ) {
        let original = owned_leaves(n);
        let mut changed = original.clone();
        let mut expected: Vec<usize> = changes.iter().map(|seed| seed % n).collect();
        expected.sort_unstable();
        expected.dedup();
        for &index in &expected {
            changed[index].push(b'!');
        }
        let a = MerkleTree::new(&borrowed(&original));
        let b = MerkleTree::new(&borrowed(&changed));
        let diff = a.compare(&b).expect("same size");
        prop_assert_eq!(&diff.differing_leaves, &expected);
        prop_assert_eq!(diff.visited.len(), diff.hash_comparisons);
        prop_assert_eq!(diff.full_scan_comparisons, n);
        // Every differing leaf costs at most one root-to-leaf path of comparisons,
        // each step comparing a node and its sibling.
        let bound = 1 + 2 * expected.len() * a.height() as usize;
        prop_assert!(diff.hash_comparisons <= bound.max(1));
        // The walk only enters a node whose parent differed.
        for visit in &diff.visited {
            if let Some(parent) = a.node(visit.node).and_then(|node| node.parent) {
                let parent_differed = Visit { node: parent, same: false };
                prop_assert!(diff.visited.contains(&parent_differed));
            }
        }
    }

    #[test]
    fn verification_never_panics_on_garbage(
        leaf in proptest::collection::vec(any::<u8>(), 0..8),
        index in any::<usize>(),
        size in any::<usize>(),
        old in any::<usize>(),
        proof in proptest::collection::vec(any::<[u8; 32]>(), 0..70),
        first in any::<[u8; 32]>(),
        second in any::<[u8; 32]>(),
    ) {
        let _ = verify_inclusion(&leaf, index, size, &proof, &first);
        let _ = verify_consistency(old, size, &first, &second, &proof);
        let _ = verify_consistency(old % 64, size % 64, &first, &second, &proof);
        let _ = verify_inclusion(&leaf, index % 64, size % 64, &proof, &first);
    }
}
