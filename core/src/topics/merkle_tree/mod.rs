//! Merkle tree: inclusion proofs, consistency proofs and anti-entropy between two
//! replicas, over the RFC 6962 tree of [`crate::merkle`].
//!
//! **Problem.** Two parties hold a long list of records. A client wants to know that
//! one record is in the list, or that today's list only appended to yesterday's,
//! and two replicas of the list want to find where they disagree, all without
//! shipping the whole list.
//!
//! **Idea.** Hash every record, hash pairs of hashes, and so on up to one root that
//! commits to the whole list. The sibling hashes along one leaf's path (O(log n) of
//! them) prove that leaf is in the list; a handful of subtree hashes prove that a
//! smaller tree is a prefix of a bigger one; and two replicas compare roots first,
//! then descend only into children whose hashes differ, so `d` differing leaves cost
//! O(d log n) hash comparisons instead of the `n` of a leaf-by-leaf scan (the
//! anti-entropy of Dynamo and Cassandra).
//!
//! **Follows** RFC 6962 §2.1 (Certificate Transparency): SHA-256, leaf hash
//! `SHA-256(0x00 || record)`, interior hash `SHA-256(0x01 || left || right)`, a list
//! of `n` leaves split at the largest power of two below `n` (so any leaf count has
//! one well-defined, left-balanced shape), `PATH` for inclusion (§2.1.1) and
//! `PROOF` for consistency (§2.1.2), verified with RFC 9162 §2.1.3.2 and §2.1.4.2.
//!
//! **Model.** [`MerkleReplicas`] holds a *primary* and a *replica*, each a list of
//! key-value records `k{i}={value}` (see [`record`]) and the [`MerkleTree`] over them,
//! maintained incrementally (appends push, edits re-hash one path). Appends go to
//! both replicas (the log is replicated); an edit changes the primary only (a write
//! the replica has not received yet); "diverge" changes the replica only (a lost
//! write or a corrupted disk). After every operation [`MerkleReplicas::highlights`]
//! says what the view should light up: re-hashed paths, proof nodes and whether the
//! proof verified, the comparison walk.
//!
//! **Operations** (a person's `Action::Operation { code, arg }`; bad codes and
//! out-of-range arguments are refused, never panic):
//!
//! | code | constant | `arg` | what it does |
//! |-----:|----------|-------|--------------|
//! | 0 | [`OP_EDIT_LEAF`] | leaf index | the primary's leaf gets its value + 1; its path is re-hashed |
//! | 1 | [`OP_PROVE_INCLUSION`] | leaf index | inclusion proof of that leaf in the primary, drawn and verified |
//! | 2 | [`OP_APPEND`] | record value | appends `k{n}={arg}` to both replicas (refused at [`MAX_LEAVES`]) |
//! | 3 | [`OP_PROVE_CONSISTENCY`] | old size, `1..=n` | consistency proof from the first `arg` leaves to all `n` |
//! | 4 | [`OP_DIVERGE`] | leaf index | the replica's copy of that leaf gets the primary's value + 500 |
//! | 5 | [`OP_COMPARE`] | ignored | top-down comparison of the two replicas |
//! | 6 | [`OP_REPAIR`] | ignored | comparison, then copy the differing leaves from the primary |
//!
//! The seeded plan (one operation every [`OP_SPACING`]) tells the story of the
//! chosen preset; without a preset it tours every operation.
//!
//! **Invariants**, checked after every operation: [`ROOT_MATCHES_LEAVES`] (both
//! incrementally maintained roots equal `merkle::root` of their records recomputed
//! from scratch), [`PROOFS_VERIFY`] (every proof produced verifies against the root
//! recomputed from the records), [`DIFF_IS_EXACT`] (a comparison finds exactly the
//! leaves whose records differ), [`REPAIR_CONVERGES`] (after a repair both replicas
//! hold the same records and the same root).
//!
//! **Bugs**: none yet; the checkers are shown to fail by the unit tests, which drive
//! the structure into broken states directly.

pub mod presets;

#[cfg(test)]
mod tests;

use std::fmt;

use crate::lab::run::RunOptions;
use crate::lab::scenario::Scenario;
use crate::lab::structure::{self, spaced, Plan, StructureTopic};
use crate::lab::topic::{BuildError, Category, InvariantInfo, ParamSpec, TopicInfo, TopicKind};
use crate::merkle::{self, short_hex, Comparison, Hash, MerkleTree, NodeId};
use crate::sim::action::{Operation, RawOperation};
use crate::sim::checker::Violation;
use crate::sim::ops::{Notes, Structure};
use crate::sim::rng::Rng;
use crate::sim::time::{Duration, Time};
use crate::sim::view::{Cell, StateTable};

/// `arg` = leaf index: the primary's record gets its value + 1, its path is re-hashed.
pub const OP_EDIT_LEAF: u32 = 0;
/// `arg` = leaf index: prove that leaf is in the primary and verify the proof.
pub const OP_PROVE_INCLUSION: u32 = 1;
/// `arg` = the new record's value: append it to both replicas.
pub const OP_APPEND: u32 = 2;
/// `arg` = old size (`1..=n`): prove the first `arg` leaves are a prefix of the tree.
pub const OP_PROVE_CONSISTENCY: u32 = 3;
/// `arg` = leaf index: change the replica's copy of that leaf.
pub const OP_DIVERGE: u32 = 4;
/// `arg` ignored: compare the replicas top-down.
pub const OP_COMPARE: u32 = 5;
/// `arg` ignored: compare, then copy the differing leaves to the replica.
pub const OP_REPAIR: u32 = 6;

/// Appends beyond this many leaves are refused: a tree this size no longer fits a
/// drawing, and the checker re-hashes every leaf after every operation.
pub const MAX_LEAVES: usize = 256;

/// Virtual time between two planned operations.
pub const OP_SPACING: Duration = Duration::from_millis(600);

/// What a diverged replica leaf holds: the primary's value plus this, so it always
/// differs (wrapping addition of a non-zero constant has no fixed point).
pub const DIVERGENCE: u64 = 500;

/// Planned record values are drawn below this, so they stay short on screen.
pub const VALUE_RANGE: u64 = 1_000;

/// The RNG stream of the plan and the initial records.
const PLAN_STREAM: u64 = 0x4d45_524b_4c45; // "MERKLE"

pub const ROOT_MATCHES_LEAVES: &str = "root-matches-leaves";
pub const PROOFS_VERIFY: &str = "proofs-verify";
pub const DIFF_IS_EXACT: &str = "diff-is-exact";
pub const REPAIR_CONVERGES: &str = "repair-converges";

pub static INVARIANTS: &[InvariantInfo] = &[
    InvariantInfo {
        name: ROOT_MATCHES_LEAVES,
        summary: "Each replica's incrementally maintained root equals the RFC 6962 hash of its records recomputed from scratch.",
    },
    InvariantInfo {
        name: PROOFS_VERIFY,
        summary: "Every inclusion and consistency proof the tree produces verifies against the root recomputed from the records.",
    },
    InvariantInfo {
        name: DIFF_IS_EXACT,
        summary: "A top-down comparison reports exactly the leaves whose records differ between the replicas, no more and no fewer.",
    },
    InvariantInfo {
        name: REPAIR_CONVERGES,
        summary: "After a repair the replica holds the primary's records and both roots are equal.",
    },
];

/// The run type of this topic, for pages and tests that downcast [`Run::as_any`].
/// The Merkle tree topic.
pub struct MerkleTreeTopic;

pub static INFO: TopicInfo = TopicInfo {
    slug: "merkle-tree",
    title: "Merkle tree",
    category: Category::DataStructures,
    kind: TopicKind::DataStructure,
    summary: "The hash tree behind Certificate Transparency and anti-entropy repair. Edit a leaf and watch its path re-hash, prove a record is in the tree with a handful of hashes, prove a log only grew, and let two replicas find their differences by walking only the subtrees whose hashes differ.",
    reference: "RFC 6962, Certificate Transparency, section 2.1 (Merkle Hash Trees, audit paths, consistency proofs); verification as in RFC 9162 sections 2.1.3.2 and 2.1.4.2",
    params: &[
        ParamSpec {
            name: "leaves",
            label: "Leaves",
            default: 8,
            min: 1,
            max: 64,
            step: 1,
            help: "Records in the tree at the start. Any count works: RFC 6962 splits at the largest power of two below it.",
            choices: &[],
        },
        ParamSpec {
            name: "diffs",
            label: "Differing leaves",
            default: 2,
            min: 0,
            max: 16,
            step: 1,
            help: "How many of the replica's leaves the planned divergence changes.",
            choices: &[],
        },
    ],
    presets: &presets::PRESETS,
    bugs: &[],
    invariants: INVARIANTS,
    expected: &[],
    columns: &["replica", "leaves", "root", "differs at"],
    build: structure::build::<MerkleTreeTopic>,
};

/// The record stored at leaf `index` with `value`: what the leaf hash covers.
pub fn record(index: usize, value: u64) -> String {
    format!("k{index}={value}")
}

/// One operation on the replicas.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MerkleOp {
    /// Append the record `k{n}={value}` to both replicas.
    Append { value: u64 },
    /// Set the primary's leaf `leaf` to `value` (the replica does not see it).
    Edit { leaf: usize, value: u64 },
    /// Prove and verify that leaf `leaf` is in the primary.
    ProveInclusion { leaf: usize },
    /// Prove and verify that the first `old_size` leaves are a prefix of the primary.
    ProveConsistency { old_size: usize },
    /// Change the replica's copies of these leaves.
    Diverge { leaves: Vec<usize> },
    /// Compare the replicas top-down.
    Compare,
    /// Compare, then copy every differing leaf from the primary to the replica.
    Repair,
}

impl fmt::Display for MerkleOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MerkleOp::Append { value } => write!(f, "append a record with value {value}"),
            MerkleOp::Edit { leaf, value } => write!(f, "edit leaf {leaf} to {value}"),
            MerkleOp::ProveInclusion { leaf } => write!(f, "prove leaf {leaf} is in the tree"),
            MerkleOp::ProveConsistency { old_size } => {
                write!(f, "prove the tree of {old_size} leaves grew append-only")
            }
            MerkleOp::Diverge { leaves } => {
                write!(f, "diverge the replica at leaves {}", list(leaves))
            }
            MerkleOp::Compare => write!(f, "compare the replicas top-down"),
            MerkleOp::Repair => write!(f, "repair the replica"),
        }
    }
}

/// An inclusion proof the last operation produced, with what the view draws.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InclusionCheck {
    /// The leaf proven.
    pub leaf: usize,
    /// Leaves in the tree the proof is for.
    pub tree_size: usize,
    /// The record proven to be at `leaf`.
    pub record: String,
    /// The leaf's path, leaf first and root last: the hashes the verifier recomputes.
    pub path: Vec<NodeId>,
    /// The nodes whose hashes form the proof, bottom-up, in the proof's order.
    pub proof_nodes: Vec<NodeId>,
    /// The proof itself (RFC 6962 `PATH`), bottom-up.
    pub proof: Vec<Hash>,
    /// The root the proof was verified against.
    pub root: Hash,
    /// Whether `merkle::verify_inclusion` accepted it.
    pub verified: bool,
}

/// A consistency proof the last operation produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsistencyCheck {
    /// Size of the older tree: its leaves are the first `old_size` of the newer.
    pub old_size: usize,
    /// Size of the current tree.
    pub new_size: usize,
    /// Root of the first `old_size` records, computed from scratch.
    pub old_root: Hash,
    /// Root of the current tree.
    pub new_root: Hash,
    /// The nodes (of the current tree) whose hashes form the proof, in order.
    pub proof_nodes: Vec<NodeId>,
    /// The proof itself (RFC 6962 `PROOF`).
    pub proof: Vec<Hash>,
    /// Whether `merkle::verify_consistency` accepted it.
    pub verified: bool,
}

/// What the last repair did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepairReport {
    /// The comparison made before copying (its `differing_leaves` were copied).
    pub comparison: Comparison,
    /// Leaves copied from the primary to the replica, in increasing order.
    pub copied: Vec<usize>,
}

/// What the last operation touched: the view lights these up. Reset before every
/// operation, so a field is set only when the last operation produced it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Highlights {
    /// Primary nodes created or re-hashed (append, edit), leaf first.
    pub rehashed: Vec<NodeId>,
    /// Replica nodes created or re-hashed (append, diverge, repair), in `NodeId` order.
    pub replica_rehashed: Vec<NodeId>,
    /// The replica leaves a divergence changed.
    pub diverged: Vec<usize>,
    pub inclusion: Option<InclusionCheck>,
    pub consistency: Option<ConsistencyCheck>,
    /// The top-down comparison of a compare operation: visited nodes in walk order,
    /// hash comparisons made and what a full scan would have made.
    pub comparison: Option<Comparison>,
    pub repair: Option<RepairReport>,
}

/// The Merkle tree topic's state: a primary and a replica, each a list of records
/// and its RFC 6962 tree, plus the last operation's highlights.
#[derive(Clone, Debug)]
pub struct MerkleReplicas {
    values: Vec<u64>,
    replica_values: Vec<u64>,
    primary: MerkleTree,
    replica: MerkleTree,
    highlights: Highlights,
}

impl MerkleReplicas {
    /// Two identical replicas of the records `k{i}={values[i]}` (at most
    /// [`MAX_LEAVES`]; extra values are ignored).
    pub fn new(mut values: Vec<u64>) -> Self {
        values.truncate(MAX_LEAVES);
        let primary = tree_of(&values);
        MerkleReplicas {
            replica_values: values.clone(),
            replica: primary.clone(),
            primary,
            values,
            highlights: Highlights::default(),
        }
    }

    /// Leaves in each replica (appends go to both, so the sizes are equal).
    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The primary's tree: what the main hash-tree view draws.
    pub fn primary(&self) -> &MerkleTree {
        &self.primary
    }

    /// The replica's tree.
    pub fn replica(&self) -> &MerkleTree {
        &self.replica
    }

    /// The primary's record values, by leaf.
    pub fn values(&self) -> &[u64] {
        &self.values
    }

    /// The replica's record values, by leaf.
    pub fn replica_values(&self) -> &[u64] {
        &self.replica_values
    }

    /// The primary's record at leaf `index` (what its leaf hash covers).
    pub fn primary_record(&self, index: usize) -> Option<String> {
        self.values.get(index).map(|&value| record(index, value))
    }

    /// The replica's record at leaf `index`.
    pub fn replica_record(&self, index: usize) -> Option<String> {
        self.replica_values
            .get(index)
            .map(|&value| record(index, value))
    }

    /// What the last operation touched.
    pub fn highlights(&self) -> &Highlights {
        &self.highlights
    }

    /// Leaves whose records differ between the replicas, found by comparing every
    /// record: the reference the top-down comparison is checked against.
    pub fn differing_leaves(&self) -> Vec<usize> {
        let longest = self.values.len().max(self.replica_values.len());
        (0..longest)
            .filter(|&i| self.values.get(i) != self.replica_values.get(i))
            .collect()
    }

    fn append(&mut self, value: u64, notes: &mut Notes) {
        let index = self.len();
        if index >= MAX_LEAVES {
            notes.note(|| format!("The tree already has {MAX_LEAVES} leaves, the most this topic draws; nothing was appended."));
            return;
        }
        let data = record(index, value);
        self.values.push(value);
        self.replica_values.push(value);
        self.highlights.rehashed = ids(&self.primary.push(data.as_bytes()));
        self.highlights.replica_rehashed = ids(&self.replica.push(data.as_bytes()));
        let touched = self.highlights.rehashed.len();
        let root = short_hex(&self.primary.root());
        let size = index + 1;
        notes.note(|| {
            let shape = if size.is_power_of_two() {
                format!(" {size} is a power of two, so the tree is perfect again.")
            } else {
                String::new()
            };
            format!(
                "Leaf {index} ({data}) is appended to both replicas. Only the {touched} node(s) on its path are created or re-hashed, up to the new root {root}; the perfect subtrees to its left keep their hashes, which is why consistency proofs stay short.{shape}"
            )
        });
    }

    fn edit(&mut self, leaf: usize, value: u64, notes: &mut Notes) {
        let Some(slot) = self.values.get_mut(leaf) else {
            let size = self.len();
            notes.note(|| format!("There is no leaf {leaf}: the tree has {size} leaves."));
            return;
        };
        let old = std::mem::replace(slot, value);
        let old_root = short_hex(&self.primary.root());
        let data = record(leaf, value);
        self.highlights.rehashed = ids(&self.primary.set_leaf(leaf, data.as_bytes()));
        let touched = self.highlights.rehashed.len();
        let new_root = short_hex(&self.primary.root());
        let others = (2 * self.len()).saturating_sub(1).saturating_sub(touched);
        notes.note(|| {
            format!(
                "On the primary, leaf {leaf} changes from {old} to {value}. Its hash and the {} node(s) above it are re-hashed (highlighted) and the root goes from {old_root} to {new_root}; the other {others} hashes stay as they were.",
                touched.saturating_sub(1)
            )
        });
        notes.note(|| "The replica has not received this write, so its root now differs: a comparison will lead straight to this leaf.".to_string());
    }

    fn prove_inclusion(&mut self, leaf: usize, notes: &mut Notes) {
        let size = self.len();
        let Some(&value) = self.values.get(leaf) else {
            notes.note(|| format!("There is no leaf {leaf} to prove: the tree has {size} leaves."));
            return;
        };
        let data = record(leaf, value);
        let proof = self.primary.inclusion_proof(leaf);
        let root = self.primary.root();
        let verified = merkle::verify_inclusion(data.as_bytes(), leaf, size, &proof, &root);
        let check = InclusionCheck {
            leaf,
            tree_size: size,
            path: self.primary.path(leaf),
            proof_nodes: self.primary.inclusion_proof_ids(leaf),
            proof,
            root,
            verified,
            record: data,
        };
        notes.note(|| {
            format!(
                "To prove that {} is leaf {leaf} of {size}, the tree sends the {} sibling hash(es) along its path (highlighted) instead of the {size} records.",
                check.record,
                check.proof.len()
            )
        });
        notes.note(|| {
            format!(
                "The verifier hashes the record, combines it with each sibling up to a root and compares that with the published root {}: {}.",
                short_hex(&check.root),
                if check.verified { "they match, the proof verifies" } else { "they DIFFER, the proof fails" }
            )
        });
        self.highlights.inclusion = Some(check);
    }

    fn prove_consistency(&mut self, old_size: usize, notes: &mut Notes) {
        let new_size = self.len();
        if old_size == 0 || old_size > new_size {
            notes.note(|| format!("No consistency proof from size {old_size}: it must be between 1 and the current size {new_size}."));
            return;
        }
        let old_root = root_of(&self.values[..old_size]);
        let new_root = self.primary.root();
        let proof = self.primary.consistency_proof(old_size);
        let verified = merkle::verify_consistency(old_size, new_size, &old_root, &new_root, &proof);
        let check = ConsistencyCheck {
            old_size,
            new_size,
            old_root,
            new_root,
            proof_nodes: self.primary.consistency_proof_ids(old_size),
            proof,
            verified,
        };
        notes.note(|| {
            if old_size == new_size {
                format!("Both sizes are {new_size}: the proof is empty, and the two roots must simply be equal.")
            } else {
                format!(
                    "A client that saw the tree at {old_size} leaves with root {} asks whether the tree of {new_size} leaves (root {}) only appended to it. The {} hash(es) highlighted let it rebuild both roots from the same subtrees.",
                    short_hex(&check.old_root),
                    short_hex(&check.new_root),
                    check.proof.len()
                )
            }
        });
        notes.note(|| {
            if check.verified {
                "Both rebuilt roots match: the old tree is a prefix of the new one, no record was rewritten.".to_string()
            } else {
                "The rebuilt roots do NOT match: the proof fails.".to_string()
            }
        });
        self.highlights.consistency = Some(check);
    }

    fn diverge(&mut self, leaves: &[usize], notes: &mut Notes) {
        let mut changed: Vec<usize> = leaves
            .iter()
            .copied()
            .filter(|&i| i < self.replica_values.len() && i < self.values.len())
            .collect();
        changed.sort_unstable();
        changed.dedup();
        if changed.is_empty() {
            let size = self.len();
            notes.note(|| format!("No leaf to change: the tree has {size} leaves."));
            return;
        }
        let mut touched = Vec::new();
        for &leaf in &changed {
            let value = self.values[leaf].wrapping_add(DIVERGENCE);
            self.replica_values[leaf] = value;
            let data = record(leaf, value);
            touched.extend(ids(&self.replica.set_leaf(leaf, data.as_bytes())));
        }
        touched.sort_unstable();
        touched.dedup();
        self.highlights.replica_rehashed = touched;
        let root = short_hex(&self.replica.root());
        notes.note(|| {
            format!(
                "The replica's copies of leaves {} change (a lost write, a corrupted disk): their paths on the replica are re-hashed and its root becomes {root}, while the primary's stays {}.",
                list(&changed),
                short_hex(&self.primary.root())
            )
        });
        self.highlights.diverged = changed;
    }

    fn compare(&mut self, notes: &mut Notes) {
        match self.primary.compare(&self.replica) {
            Ok(comparison) => {
                notes.note(|| comparison_note(&comparison));
                self.highlights.comparison = Some(comparison);
            }
            Err(mismatch) => notes.note(|| mismatch.to_string()),
        }
    }

    fn repair(&mut self, notes: &mut Notes) {
        let comparison = match self.primary.compare(&self.replica) {
            Ok(comparison) => comparison,
            Err(mismatch) => {
                notes.note(|| mismatch.to_string());
                return;
            }
        };
        let mut copied = Vec::new();
        let mut touched = Vec::new();
        for &leaf in &comparison.differing_leaves {
            let (Some(&value), Some(slot)) =
                (self.values.get(leaf), self.replica_values.get_mut(leaf))
            else {
                continue;
            };
            *slot = value;
            let data = record(leaf, value);
            touched.extend(ids(&self.replica.set_leaf(leaf, data.as_bytes())));
            copied.push(leaf);
        }
        touched.sort_unstable();
        touched.dedup();
        self.highlights.replica_rehashed = touched;
        notes.note(|| {
            if copied.is_empty() {
                "The roots are already equal (one hash comparison): there is nothing to repair."
                    .to_string()
            } else {
                format!(
                    "Repair walks the differing subtrees ({} hash comparisons; a scan makes {}) and copies only leaves {} from the primary, re-hashing their paths on the replica. Both roots are {} again.",
                    comparison.hash_comparisons,
                    comparison.full_scan_comparisons,
                    list(&copied),
                    short_hex(&self.replica.root())
                )
            }
        });
        self.highlights.repair = Some(RepairReport { comparison, copied });
    }

    fn check_roots(&self, found: &mut Vec<Violation>) {
        for (name, tree, values) in [
            ("primary", &self.primary, &self.values),
            ("replica", &self.replica, &self.replica_values),
        ] {
            let expected = root_of(values);
            if tree.len() != values.len() || tree.root() != expected {
                found.push(Violation {
                    invariant: ROOT_MATCHES_LEAVES,
                    message: format!(
                        "the {name}'s tree has {} leaves and root {}, but its {} records hash to {}",
                        tree.len(),
                        short_hex(&tree.root()),
                        values.len(),
                        short_hex(&expected)
                    ),
                });
            }
        }
    }

    fn check_proofs(&self, found: &mut Vec<Violation>) {
        if let Some(check) = &self.highlights.inclusion {
            let size = self.values.len();
            let data = self.primary_record(check.leaf);
            let root = root_of(&self.values);
            let holds = check.verified
                && check.tree_size == size
                && data.is_some_and(|data| {
                    merkle::verify_inclusion(data.as_bytes(), check.leaf, size, &check.proof, &root)
                });
            if !holds {
                found.push(Violation {
                    invariant: PROOFS_VERIFY,
                    message: format!(
                        "the inclusion proof of leaf {} ({} hashes) does not verify against the root {} of the {size} records",
                        check.leaf,
                        check.proof.len(),
                        short_hex(&root)
                    ),
                });
            }
        }
        if let Some(check) = &self.highlights.consistency {
            let size = self.values.len();
            let old = self.values.get(..check.old_size).map(root_of);
            let new = root_of(&self.values);
            let holds = check.verified
                && check.new_size == size
                && old.is_some_and(|old| {
                    merkle::verify_consistency(check.old_size, size, &old, &new, &check.proof)
                });
            if !holds {
                found.push(Violation {
                    invariant: PROOFS_VERIFY,
                    message: format!(
                        "the consistency proof from size {} to {size} ({} hashes) does not verify against the roots recomputed from the records",
                        check.old_size,
                        check.proof.len()
                    ),
                });
            }
        }
    }

    fn check_comparison(&self, found: &mut Vec<Violation>) {
        let Some(comparison) = &self.highlights.comparison else {
            return;
        };
        let actual = self.differing_leaves();
        if comparison.differing_leaves != actual {
            found.push(Violation {
                invariant: DIFF_IS_EXACT,
                message: format!(
                    "the top-down comparison reported leaves [{}] but the records differ at [{}]",
                    list(&comparison.differing_leaves),
                    list(&actual)
                ),
            });
        }
    }

    fn check_repair(&self, found: &mut Vec<Violation>) {
        if self.highlights.repair.is_none() {
            return;
        }
        let remaining = self.differing_leaves();
        if !remaining.is_empty() || self.primary.root() != self.replica.root() {
            found.push(Violation {
                invariant: REPAIR_CONVERGES,
                message: format!(
                    "after the repair the replicas still differ at leaves [{}] (roots {} and {})",
                    list(&remaining),
                    short_hex(&self.primary.root()),
                    short_hex(&self.replica.root())
                ),
            });
        }
    }
}

/// What a person asks of the replicas from the page or a link; leaves are
/// checked against the tree when the request runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MerkleRequest {
    /// The primary's record at `leaf` gets its value plus one.
    EditLeaf {
        leaf: u64,
    },
    ProveInclusion {
        leaf: u64,
    },
    Append {
        value: u64,
    },
    ProveConsistency {
        old_size: u64,
    },
    /// The replica's record at `leaf` changes.
    Diverge {
        leaf: u64,
    },
    Compare,
    Repair,
}

impl fmt::Display for MerkleRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MerkleRequest::EditLeaf { leaf } => write!(f, "edit leaf {leaf}"),
            MerkleRequest::ProveInclusion { leaf } => write!(f, "prove leaf {leaf}"),
            MerkleRequest::Append { value } => write!(f, "append {value}"),
            MerkleRequest::ProveConsistency { old_size } => {
                write!(f, "prove consistency with size {old_size}")
            }
            MerkleRequest::Diverge { leaf } => write!(f, "diverge leaf {leaf}"),
            MerkleRequest::Compare => write!(f, "compare"),
            MerkleRequest::Repair => write!(f, "repair"),
        }
    }
}

impl Operation for MerkleRequest {
    fn to_raw(&self) -> RawOperation {
        match *self {
            MerkleRequest::EditLeaf { leaf } => RawOperation::new(OP_EDIT_LEAF, &[leaf]),
            MerkleRequest::ProveInclusion { leaf } => {
                RawOperation::new(OP_PROVE_INCLUSION, &[leaf])
            }
            MerkleRequest::Append { value } => RawOperation::new(OP_APPEND, &[value]),
            MerkleRequest::ProveConsistency { old_size } => {
                RawOperation::new(OP_PROVE_CONSISTENCY, &[old_size])
            }
            MerkleRequest::Diverge { leaf } => RawOperation::new(OP_DIVERGE, &[leaf]),
            MerkleRequest::Compare => RawOperation::new(OP_COMPARE, &[]),
            MerkleRequest::Repair => RawOperation::new(OP_REPAIR, &[]),
        }
    }

    /// Also reads links from before typed operations, which gave "compare" and
    /// "repair" an ignored argument.
    fn from_raw(raw: &RawOperation) -> Option<Self> {
        let arg = raw.arg(0);
        let one = raw.args.len() == 1;
        let none = raw.args.len() <= 1;
        Some(match raw.code {
            OP_EDIT_LEAF if one => MerkleRequest::EditLeaf { leaf: arg? },
            OP_PROVE_INCLUSION if one => MerkleRequest::ProveInclusion { leaf: arg? },
            OP_APPEND if one => MerkleRequest::Append { value: arg? },
            OP_PROVE_CONSISTENCY if one => MerkleRequest::ProveConsistency { old_size: arg? },
            OP_DIVERGE if one => MerkleRequest::Diverge { leaf: arg? },
            OP_COMPARE if none => MerkleRequest::Compare,
            OP_REPAIR if none => MerkleRequest::Repair,
            _ => return None,
        })
    }
}

impl Structure for MerkleReplicas {
    type Op = MerkleOp;
    type Request = MerkleRequest;

    fn apply(&mut self, op: &MerkleOp, _now: Time, notes: &mut Notes) {
        self.highlights = Highlights::default();
        match op {
            MerkleOp::Append { value } => self.append(*value, notes),
            MerkleOp::Edit { leaf, value } => self.edit(*leaf, *value, notes),
            MerkleOp::ProveInclusion { leaf } => self.prove_inclusion(*leaf, notes),
            MerkleOp::ProveConsistency { old_size } => self.prove_consistency(*old_size, notes),
            MerkleOp::Diverge { leaves } => self.diverge(leaves, notes),
            MerkleOp::Compare => self.compare(notes),
            MerkleOp::Repair => self.repair(notes),
        }
    }

    fn check(&self, found: &mut Vec<Violation>) {
        self.check_roots(found);
        self.check_proofs(found);
        self.check_comparison(found);
        self.check_repair(found);
    }

    fn resolve(&self, request: &MerkleRequest) -> Option<MerkleOp> {
        let size = self.len();
        // An index that does not fit `usize` is out of range on every platform.
        let index = |i: u64| usize::try_from(i).ok();
        let leaf = |i: u64| index(i).filter(|&i| i < size);
        match *request {
            MerkleRequest::EditLeaf { leaf: i } => leaf(i).map(|leaf| MerkleOp::Edit {
                leaf,
                value: self.values[leaf].wrapping_add(1),
            }),
            MerkleRequest::ProveInclusion { leaf: i } => {
                leaf(i).map(|leaf| MerkleOp::ProveInclusion { leaf })
            }
            MerkleRequest::Append { value } => {
                (size < MAX_LEAVES).then_some(MerkleOp::Append { value })
            }
            MerkleRequest::ProveConsistency { old_size } => index(old_size)
                .filter(|&old| (1..=size).contains(&old))
                .map(|old_size| MerkleOp::ProveConsistency { old_size }),
            MerkleRequest::Diverge { leaf: i } => {
                leaf(i).map(|leaf| MerkleOp::Diverge { leaves: vec![leaf] })
            }
            MerkleRequest::Compare => Some(MerkleOp::Compare),
            MerkleRequest::Repair => Some(MerkleOp::Repair),
        }
    }

    fn state_table(&self) -> StateTable {
        let differing = self.differing_leaves();
        let differs = if differing.is_empty() {
            "-".to_string()
        } else {
            list(&differing)
        };
        StateTable {
            columns: INFO.columns.to_vec(),
            rows: vec![
                vec![
                    Cell::Text("primary".into()),
                    Cell::Text(self.primary.len().to_string()),
                    Cell::Text(short_hex(&self.primary.root())),
                    Cell::Text(differs.clone()),
                ],
                vec![
                    Cell::Text("replica".into()),
                    Cell::Text(self.replica.len().to_string()),
                    Cell::Text(short_hex(&self.replica.root())),
                    Cell::Text(differs),
                ],
            ],
        }
    }
}

fn comparison_note(comparison: &Comparison) -> String {
    let n = comparison.full_scan_comparisons;
    let made = comparison.hash_comparisons;
    let differing = &comparison.differing_leaves;
    if differing.is_empty() {
        return format!(
            "The roots are equal: {made} hash comparison proves all {n} leaves agree, where a leaf-by-leaf scan compares {n}."
        );
    }
    let mut text = format!(
        "Anti-entropy compares the roots, then descends only into children whose hashes differ, skipping equal subtrees whole. It made {made} hash comparisons, against {n} for a leaf-by-leaf scan, and found leaves [{}] differ.",
        list(differing)
    );
    if made >= n {
        text.push_str(&format!(
            " With {} of {n} leaves differing the walk costs more than a scan: the tree pays off when few leaves differ among many.",
            differing.len()
        ));
    }
    text
}

fn records(values: &[u64]) -> Vec<String> {
    values
        .iter()
        .enumerate()
        .map(|(i, &value)| record(i, value))
        .collect()
}

/// `merkle::root` of the records, computed from scratch (the checkers' reference).
fn root_of(values: &[u64]) -> Hash {
    let records = records(values);
    let leaves: Vec<&[u8]> = records.iter().map(|r| r.as_bytes()).collect();
    merkle::root(&leaves)
}

fn tree_of(values: &[u64]) -> MerkleTree {
    let records = records(values);
    let leaves: Vec<&[u8]> = records.iter().map(|r| r.as_bytes()).collect();
    MerkleTree::new(&leaves)
}

fn ids(nodes: &[merkle::Node]) -> Vec<NodeId> {
    nodes.iter().map(|node| node.id).collect()
}

/// `1, 4, 7`.
fn list(items: &[usize]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads a validated parameter as a count (validation bounds it; negative means 0).
fn count_param(scenario: &Scenario, name: &str) -> usize {
    usize::try_from(INFO.param(scenario, name)).unwrap_or(0)
}

impl StructureTopic for MerkleTreeTopic {
    const INFO: &'static TopicInfo = &INFO;
    type State = MerkleReplicas;
    type Script = presets::Script;

    fn setup(
        scenario: &Scenario,
        script: Option<&presets::Script>,
        options: RunOptions,
    ) -> Result<(MerkleReplicas, Plan<MerkleReplicas>), BuildError> {
        let leaves = count_param(scenario, "leaves").clamp(1, MAX_LEAVES);
        let diffs = count_param(scenario, "diffs");
        let mut rng = Rng::derive(scenario.seed, PLAN_STREAM);
        let values: Vec<u64> = (0..leaves).map(|_| rng.below(VALUE_RANGE)).collect();
        let story = script.copied().unwrap_or(presets::tour);
        let ops = story(&mut presets::Story::new(&values, diffs, &mut rng));
        let plan = spaced(ops, OP_SPACING, options.horizon);
        Ok((MerkleReplicas::new(values), plan))
    }
}
