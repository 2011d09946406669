//! The Merkle tree's guided scenarios: the planned operations of each story and
//! their narration. Operation `k` runs at `(k + 1) × 600 ms`, so narration times
//! are multiples of 600 ms. The tests replay every preset and check that the numbers
//! the narration quotes (proof lengths, leaves found) are what happens.

use crate::lab::topic::say;
use crate::lab::topic::{Preset, PresetInfo};
use crate::sim::rng::Rng;

use super::{MerkleOp, VALUE_RANGE};

pub const INCLUSION_PROOF: &str = "inclusion-proof";
pub const EDIT_AND_REHASH: &str = "edit-and-rehash";
pub const ANTI_ENTROPY: &str = "anti-entropy";
pub const CONSISTENCY_PROOF: &str = "consistency-proof";

pub const PRESETS: &[Preset<Script>] = &[
    Preset {
        info: PresetInfo {
            name: INCLUSION_PROOF,
            title: "Inclusion proof",
            summary: "Thirteen records: proofs of a few hashes for leaves at different depths, before and after an edit.",
            seed: 1,
            params: &[("leaves", 13), ("diffs", 0)],
            bug: None,
            narration: &[
                say(0, "Thirteen records k0..k12 are hashed into leaves (SHA-256 with prefix 0x00) and pairs of hashes into interior nodes (prefix 0x01). RFC 6962 splits 13 leaves as 8 + 5 and 5 as 4 + 1: perfect subtrees on the left, a ragged right edge."),
                say(600, "Proving that k5 is leaf 5 takes the 4 sibling hashes on its path (highlighted), not the 13 records. The verifier hashes the record, folds in each sibling up to a root and compares it with the root it trusts."),
                say(1200, "Leaf 12 hangs high on the ragged right edge, so its proof has only 2 hashes; leaf 0, at the bottom of the perfect left subtree, needs 4. A proof never has more than ceil(log2 n) hashes."),
                say(2400, "Editing leaf 5 re-hashes only its path, so the root changes."),
                say(3000, "The new proof of leaf 5 has the very same sibling hashes (none of them is on leaf 5's own path), yet it verifies only with the new record against the new root."),
            ],
        },
        script: inclusion_proof,
    },
    Preset {
        info: PresetInfo {
            name: EDIT_AND_REHASH,
            title: "Edit and re-hash",
            summary: "Edits on the primary re-hash one path each; the replica, which missed them, is found and repaired.",
            seed: 2,
            params: &[("leaves", 8), ("diffs", 0)],
            bug: None,
            narration: &[
                say(0, "Eight records form a perfect tree of height 3. The primary and the replica start identical, so their roots are equal."),
                say(600, "Editing leaf 3 on the primary re-hashes exactly 4 nodes, the leaf and its 3 ancestors; the other 11 hashes stay. The replica missed the write, so the roots now differ. Editing leaf 6 next re-hashes its own path: the two paths share only the root."),
                say(1800, "A proof for leaf 3 is still 3 hashes and verifies against the new root."),
                say(2400, "Appending a ninth record to both replicas: 8 was a power of two, so the old root becomes the left child of a new root, unchanged, and the new leaf its right child."),
                say(3000, "Comparing the replicas top-down leads straight to leaves 3 and 6; the repair then copies just those two records and the roots are equal again."),
            ],
        },
        script: edit_and_rehash,
    },
    Preset {
        info: PresetInfo {
            name: ANTI_ENTROPY,
            title: "Anti-entropy",
            summary: "Two replicas of 32 records find their 3 differences by walking only the subtrees whose hashes differ.",
            seed: 3,
            params: &[("leaves", 32), ("diffs", 3)],
            bug: None,
            narration: &[
                say(0, "Two replicas of 32 records, identical at the start, as after a full copy."),
                say(600, "Comparing equal replicas costs one hash comparison: equal roots mean equal trees (short of a SHA-256 collision)."),
                say(1200, "Three of the replica's records change behind the primary's back: a lost write, a bad disk."),
                say(1800, "The top-down walk compares the roots, then only children whose hashes differ, skipping equal subtrees whole. The visited nodes are highlighted: at most 2 × 3 × log2 32 + 1 comparisons, against 32 for a leaf-by-leaf scan."),
                say(2400, "Repair copies only the three differing records; the last comparison finds equal roots again, in one comparison."),
            ],
        },
        script: anti_entropy,
    },
    Preset {
        info: PresetInfo {
            name: CONSISTENCY_PROOF,
            title: "Consistency proof",
            summary: "A log grows from 5 to 10 records; a few hashes prove each older tree is a prefix of the newer one.",
            seed: 4,
            params: &[("leaves", 5), ("diffs", 0)],
            bug: None,
            narration: &[
                say(0, "A log of 5 records. A client remembers its size and root (Certificate Transparency's signed tree head) and later wants proof that the log only appended."),
                say(600, "Three records are appended: each new leaf re-hashes only its own path, and the perfect subtree of the first 4 records keeps its hash."),
                say(2400, "Consistency from 5 to 8: 4 hashes (leaf 4, leaf 5, the subtree of leaves 6-7 and the subtree of leaves 0-3). From them the client rebuilds both its old root and the new root; both match, so none of the first 5 records was rewritten."),
                say(4200, "From 8 to 10 the old tree is a perfect subtree of the new one, and the client already holds its root, so a single hash (the subtree of leaves 8-9) suffices."),
                say(4800, "From 5 to 10, 5 hashes: a consistency proof grows with log n, not with the number of records appended."),
            ],
        },
        script: consistency_proof,
    },
];

/// What a Merkle tree preset's script is: the operations of its story, in order.
pub type Script = fn(&mut Story) -> Vec<MerkleOp>;

/// What a story is written against: the starting records (as the story's edits
/// leave them), the scenario's `diffs`, and the plan's random stream.
pub struct Story<'a> {
    edited: Vec<u64>,
    diffs: usize,
    rng: &'a mut Rng,
}

impl<'a> Story<'a> {
    pub(super) fn new(values: &[u64], diffs: usize, rng: &'a mut Rng) -> Self {
        Story {
            edited: values.to_vec(),
            diffs,
            rng,
        }
    }

    fn len(&self) -> usize {
        self.edited.len()
    }

    /// Presets name leaves for their default size; a person who shrinks the tree
    /// gets the nearest leaf that exists.
    fn leaf(&self, i: usize) -> usize {
        i.min(self.len().saturating_sub(1))
    }

    /// An edit of `leaf` to a value it does not hold yet.
    fn edit(&mut self, leaf: usize) -> MerkleOp {
        let old = self.edited.get(leaf).copied().unwrap_or(0);
        let value = fresh_value(self.rng, old);
        if let Some(slot) = self.edited.get_mut(leaf) {
            *slot = value;
        }
        MerkleOp::Edit { leaf, value }
    }

    fn append(&mut self) -> MerkleOp {
        MerkleOp::Append {
            value: self.rng.below(VALUE_RANGE),
        }
    }

    /// `count` distinct leaves of `0..n`, in order.
    fn choose(&mut self, n: usize, count: usize) -> Vec<usize> {
        choose(self.rng, n, count)
    }
}

fn inclusion_proof(story: &mut Story) -> Vec<MerkleOp> {
    let (five, twelve, zero) = (story.leaf(5), story.leaf(12), story.leaf(0));
    vec![
        MerkleOp::ProveInclusion { leaf: five },
        MerkleOp::ProveInclusion { leaf: twelve },
        MerkleOp::ProveInclusion { leaf: zero },
        story.edit(five),
        MerkleOp::ProveInclusion { leaf: five },
    ]
}

fn edit_and_rehash(story: &mut Story) -> Vec<MerkleOp> {
    let (three, six) = (story.leaf(3), story.leaf(6));
    vec![
        story.edit(three),
        story.edit(six),
        MerkleOp::ProveInclusion { leaf: three },
        story.append(),
        MerkleOp::Compare,
        MerkleOp::Repair,
    ]
}

fn anti_entropy(story: &mut Story) -> Vec<MerkleOp> {
    let (n, diffs) = (story.len(), story.diffs);
    vec![
        MerkleOp::Compare,
        MerkleOp::Diverge {
            leaves: story.choose(n, diffs),
        },
        MerkleOp::Compare,
        MerkleOp::Repair,
        MerkleOp::Compare,
    ]
}

fn consistency_proof(story: &mut Story) -> Vec<MerkleOp> {
    let n = story.len();
    let mut ops: Vec<MerkleOp> = (0..3).map(|_| story.append()).collect();
    ops.push(MerkleOp::ProveConsistency { old_size: n });
    ops.extend((0..2).map(|_| story.append()));
    ops.push(MerkleOp::ProveConsistency { old_size: n + 3 });
    ops.push(MerkleOp::ProveConsistency { old_size: n });
    ops
}

/// The tour of every operation, for a run without a preset.
pub(super) fn tour(story: &mut Story) -> Vec<MerkleOp> {
    let (n, diffs) = (story.len(), story.diffs);
    let proven = story.rng.below(n as u64) as usize;
    let changed = story.rng.below(n as u64) as usize;
    vec![
        MerkleOp::ProveInclusion { leaf: proven },
        story.edit(changed),
        MerkleOp::ProveInclusion { leaf: changed },
        story.append(),
        story.append(),
        MerkleOp::ProveConsistency { old_size: n },
        MerkleOp::Diverge {
            leaves: story.choose(n + 2, diffs),
        },
        MerkleOp::Compare,
        MerkleOp::Repair,
        MerkleOp::Compare,
    ]
}

/// A value in `0..VALUE_RANGE` different from `old` (when `old` is in that range).
fn fresh_value(rng: &mut Rng, old: u64) -> u64 {
    (old % VALUE_RANGE + 1 + rng.below(VALUE_RANGE - 1)) % VALUE_RANGE
}

/// `count` distinct leaves of `0..n` (all of them if `count >= n`), in order.
fn choose(rng: &mut Rng, n: usize, count: usize) -> Vec<usize> {
    let mut leaves: Vec<usize> = (0..n).collect();
    rng.shuffle(&mut leaves);
    leaves.truncate(count);
    leaves.sort_unstable();
    leaves
}
