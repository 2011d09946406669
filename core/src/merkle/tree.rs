//! [`MerkleTree`]: every node of an RFC 6962 tree kept in memory, for O(log n)
//! proofs, in-place leaf updates, replica comparison and drawing.

use std::fmt;

use super::{empty_root, hash_children, hash_leaf, split_point, Hash};

/// Names one node of a [`MerkleTree`]: `level` is its height above the leaves (0 for a
/// leaf) and `index` its position among the nodes of that level, counted from the
/// left. The node covers leaves `index << level` up to at most `(index + 1) << level`.
///
/// In a tree whose size is not a power of two, the right edge has nodes of fewer
/// than `2^level` leaves; a subtree without a right sibling is not copied upward, so
/// every node has exactly one `NodeId`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId {
    /// Height above the leaves: 0 for leaves, the tree's height for the root.
    pub level: u32,
    /// Position within the level, from the left.
    pub index: usize,
}

impl NodeId {
    /// The id of leaf `index`.
    pub fn leaf(index: usize) -> Self {
        NodeId { level: 0, index }
    }
}

/// One node of the tree as a view draws it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// Which node this is; `id.level` is its height above the leaves.
    pub id: NodeId,
    /// Distance from the root (the root has depth 0). In an unbalanced tree leaves
    /// sit at different depths, which is why `level` and `depth` are both given.
    pub depth: u32,
    /// First leaf covered by the node.
    pub start: usize,
    /// One past the last leaf covered: the node hashes leaves `start..end`.
    pub end: usize,
    /// The node's hash: a leaf hash for leaves, `SHA-256(0x01 || left || right)`
    /// otherwise.
    pub hash: Hash,
    /// The left and right children, or `None` for a leaf.
    pub children: Option<(NodeId, NodeId)>,
    /// The parent, or `None` for the root.
    pub parent: Option<NodeId>,
}

impl Node {
    /// Height above the leaves (0 for a leaf).
    pub fn level(&self) -> u32 {
        self.id.level
    }

    /// True for leaves.
    pub fn is_leaf(&self) -> bool {
        self.children.is_none()
    }

    /// How many leaves the node covers.
    pub fn leaf_count(&self) -> usize {
        self.end - self.start
    }
}

/// One step of a top-down comparison: the node both trees' hashes were compared at,
/// and whether they were equal (equal subtrees are not entered).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Visit {
    /// The node compared.
    pub node: NodeId,
    /// True when both trees have the same hash there.
    pub same: bool,
}

/// The result of [`MerkleTree::compare`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Comparison {
    /// Indices of the leaves whose hashes differ, in increasing order.
    pub differing_leaves: Vec<usize>,
    /// How many pairs of hashes the top-down walk compared.
    pub hash_comparisons: usize,
    /// How many a leaf-by-leaf scan would compare: one per leaf.
    pub full_scan_comparisons: usize,
    /// Every comparison in the order the walk made it (depth first, left first).
    pub visited: Vec<Visit>,
}

/// [`MerkleTree::compare`] was given trees with different numbers of leaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SizeMismatch {
    /// Leaves in the tree `compare` was called on.
    pub left: usize,
    /// Leaves in the tree passed as the argument.
    pub right: usize,
}

impl fmt::Display for SizeMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot compare trees of different sizes ({} and {} leaves)",
            self.left, self.right
        )
    }
}

impl std::error::Error for SizeMismatch {}

/// An RFC 6962 Merkle tree with every node stored.
///
/// Storage is one vector of hashes per level: level 0 holds the leaf hashes and each
/// level above holds the hashes of adjacent pairs below it, an unpaired last node
/// being carried up unchanged. That is the RFC's left-balanced tree (splitting at the
/// largest power of two smaller than `n` gives exactly these pairs), so the root and
/// all proofs agree with the free functions in [`crate::merkle`]; the tests check it.
/// It costs about `2n` hashes of memory (64 bytes per leaf).
///
/// ```
/// use distlab_core::merkle::{MerkleTree, NodeId};
///
/// let leaves: Vec<&[u8]> = vec![b"a", b"b", b"c"];
/// let tree = MerkleTree::new(&leaves);
/// let root = tree.node(tree.root_id().unwrap()).unwrap();
/// assert_eq!((root.start, root.end, root.level()), (0, 3, 2));
/// // Three leaves split as [a b] [c]: leaf c hangs directly below the root.
/// let (left, right) = root.children.unwrap();
/// assert_eq!(left, NodeId { level: 1, index: 0 });
/// assert_eq!(right, NodeId::leaf(2));
/// assert_eq!(tree.nodes().len(), 5);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerkleTree {
    /// `levels[0]` are the leaf hashes; `levels.last()` has at most one entry.
    levels: Vec<Vec<Hash>>,
}

impl Default for MerkleTree {
    fn default() -> Self {
        MerkleTree {
            levels: vec![Vec::new()],
        }
    }
}

impl MerkleTree {
    /// Builds the tree of `leaves`, hashing each with [`hash_leaf`].
    pub fn new(leaves: &[&[u8]]) -> Self {
        Self::from_leaf_hashes(leaves.iter().map(|leaf| hash_leaf(leaf)).collect())
    }

    /// Builds the tree over leaves that are already hashed.
    pub fn from_leaf_hashes(leaf_hashes: Vec<Hash>) -> Self {
        let mut levels = vec![leaf_hashes];
        while let Some(below) = levels.last() {
            if below.len() <= 1 {
                break;
            }
            let above = below.chunks(2).map(pair_hash).collect();
            levels.push(above);
        }
        MerkleTree { levels }
    }

    /// Number of leaves.
    pub fn len(&self) -> usize {
        self.leaf_hashes().len()
    }

    /// True when the tree has no leaves.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The leaf hashes, left to right.
    pub fn leaf_hashes(&self) -> &[Hash] {
        self.levels.first().map_or(&[], Vec::as_slice)
    }

    /// The hash of leaf `index`, if it exists.
    pub fn leaf_hash(&self, index: usize) -> Option<Hash> {
        self.leaf_hashes().get(index).copied()
    }

    /// The root hash, `MTH(D[n])`; `SHA-256("")` for the empty tree.
    pub fn root(&self) -> Hash {
        match self.root_id() {
            Some(id) => self.stored_hash(id).unwrap_or_else(empty_root),
            None => empty_root(),
        }
    }

    /// The root of the tree made of the first `size` leaves only: the "old root" a
    /// consistency proof starts from. `None` when `size` exceeds the tree.
    pub fn prefix_root(&self, size: usize) -> Option<Hash> {
        if size > self.len() {
            return None;
        }
        if size == 0 {
            return Some(empty_root());
        }
        // The first `size` leaves form one perfect subtree per set bit of `size`,
        // largest first; each is a stored node of this tree.
        let mut perfect = Vec::new();
        let mut start = 0usize;
        for level in (0..usize::BITS).rev() {
            let width = 1usize << level;
            if size & width != 0 {
                perfect.push(self.stored_hash(NodeId {
                    level,
                    index: start >> level,
                })?);
                start += width;
            }
        }
        let mut folded = perfect.pop()?;
        while let Some(left) = perfect.pop() {
            folded = hash_children(&left, &folded);
        }
        Some(folded)
    }

    /// Height of the root above the leaves (0 for zero or one leaf).
    pub fn height(&self) -> u32 {
        self.levels.len().saturating_sub(1) as u32
    }

    /// The root's id, or `None` for the empty tree.
    pub fn root_id(&self) -> Option<NodeId> {
        if self.is_empty() {
            return None;
        }
        Some(NodeId {
            level: self.height(),
            index: 0,
        })
    }

    /// The node `id`, or `None` if this tree has no such node.
    pub fn node(&self, id: NodeId) -> Option<Node> {
        let (start, end) = self.range_of(id)?;
        let (depth, parent) = self.locate(id)?;
        Some(self.make_node(id, start, end, depth, parent))
    }

    /// Every node, root first, then each left subtree before its right subtree
    /// (pre-order): `2n - 1` nodes for `n > 0` leaves. Meant for drawing trees small
    /// enough to see; [`MerkleTree::node`] looks up single nodes in any tree.
    pub fn nodes(&self) -> Vec<Node> {
        let mut out = Vec::with_capacity((2 * self.len()).saturating_sub(1));
        let Some(root) = self.root_id() else {
            return out;
        };
        let mut pending = vec![(root, 0u32, None)];
        while let Some((id, depth, parent)) = pending.pop() {
            let Some((start, end)) = self.range_of(id) else {
                continue;
            };
            let node = self.make_node(id, start, end, depth, parent);
            if let Some((left, right)) = node.children {
                pending.push((right, depth + 1, Some(id)));
                pending.push((left, depth + 1, Some(id)));
            }
            out.push(node);
        }
        out
    }

    /// The nodes from leaf `index` up to the root (leaf first): the nodes whose hash
    /// depends on that leaf. Empty when `index` is out of range.
    pub fn path(&self, index: usize) -> Vec<NodeId> {
        let mut path = Vec::new();
        self.descend(index, |on_path, _sibling| path.push(on_path));
        path.reverse();
        path
    }

    /// Replaces leaf `index` with `data` and re-hashes its path to the root.
    ///
    /// Returns the re-hashed nodes with their new hashes, leaf first and root last.
    /// An out-of-range `index` changes nothing and returns an empty `Vec`.
    pub fn set_leaf(&mut self, index: usize, data: &[u8]) -> Vec<Node> {
        self.set_leaf_hash(index, hash_leaf(data))
    }

    /// [`MerkleTree::set_leaf`] for a leaf that is already hashed.
    pub fn set_leaf_hash(&mut self, index: usize, leaf_hash: Hash) -> Vec<Node> {
        let Some(slot) = self
            .levels
            .first_mut()
            .and_then(|leaves| leaves.get_mut(index))
        else {
            return Vec::new();
        };
        *slot = leaf_hash;
        for level in 1..self.levels.len() {
            self.rehash(level, index >> level);
        }
        self.path_nodes(index)
    }

    /// Appends a leaf and returns the nodes on its path, leaf first: every node that
    /// was created or re-hashed.
    pub fn push(&mut self, data: &[u8]) -> Vec<Node> {
        self.push_leaf_hash(hash_leaf(data))
    }

    /// [`MerkleTree::push`] for a leaf that is already hashed.
    pub fn push_leaf_hash(&mut self, leaf_hash: Hash) -> Vec<Node> {
        if self.levels.is_empty() {
            self.levels.push(Vec::new());
        }
        self.levels[0].push(leaf_hash);
        let index = self.len() - 1;
        let mut level = 1;
        while self.levels[level - 1].len() > 1 {
            let wanted = self.levels[level - 1].len().div_ceil(2);
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            let row = &mut self.levels[level];
            row.resize(wanted, [0u8; 32]);
            self.rehash(level, wanted - 1);
            level += 1;
        }
        self.path_nodes(index)
    }

    /// The inclusion proof for leaf `index` (RFC 6962 §2.1.1 `PATH`), bottom-up, in
    /// O(log n). Equal to [`crate::merkle::inclusion_proof`] of the same leaves; empty
    /// when `index` is out of range.
    pub fn inclusion_proof(&self, index: usize) -> Vec<Hash> {
        self.hashes_of(&self.inclusion_proof_ids(index))
    }

    /// The nodes whose hashes form the inclusion proof for leaf `index`: the sibling
    /// of each node on the leaf's path, bottom-up, in the proof's order.
    pub fn inclusion_proof_nodes(&self, index: usize) -> Vec<Node> {
        self.nodes_of(&self.inclusion_proof_ids(index))
    }

    /// Ids of [`MerkleTree::inclusion_proof_nodes`].
    pub fn inclusion_proof_ids(&self, index: usize) -> Vec<NodeId> {
        let mut siblings = Vec::new();
        self.descend(index, |_on_path, sibling| {
            if let Some(sibling) = sibling {
                siblings.push(sibling);
            }
        });
        siblings.reverse();
        siblings
    }

    /// The consistency proof from the first `old_size` leaves to the whole tree
    /// (RFC 6962 §2.1.2 `PROOF`) in O(log n). Equal to
    /// [`crate::merkle::consistency_proof`]; empty when `old_size` is 0, the tree's
    /// size, or larger.
    pub fn consistency_proof(&self, old_size: usize) -> Vec<Hash> {
        self.hashes_of(&self.consistency_proof_ids(old_size))
    }

    /// The nodes whose hashes form the consistency proof, in the proof's order.
    pub fn consistency_proof_nodes(&self, old_size: usize) -> Vec<Node> {
        self.nodes_of(&self.consistency_proof_ids(old_size))
    }

    /// Ids of [`MerkleTree::consistency_proof_nodes`].
    pub fn consistency_proof_ids(&self, old_size: usize) -> Vec<NodeId> {
        let mut ids = Vec::new();
        if old_size > 0 && old_size <= self.len() {
            subproof_ids(old_size, 0, self.len(), true, &mut ids);
        }
        ids
    }

    /// Compares two replicas of the same size top-down, the way anti-entropy repair
    /// does: compare the roots, and descend only into children whose hashes differ.
    ///
    /// For `d` differing leaves out of `n` this compares O(d log n) hashes instead of
    /// the `n` of a leaf-by-leaf scan; equal trees cost one comparison.
    pub fn compare(&self, other: &MerkleTree) -> Result<Comparison, SizeMismatch> {
        if self.len() != other.len() {
            return Err(SizeMismatch {
                left: self.len(),
                right: other.len(),
            });
        }
        let mut result = Comparison {
            full_scan_comparisons: self.len(),
            ..Comparison::default()
        };
        let mut pending: Vec<NodeId> = self.root_id().into_iter().collect();
        while let Some(id) = pending.pop() {
            let same = self.stored_hash(id) == other.stored_hash(id);
            result.hash_comparisons += 1;
            result.visited.push(Visit { node: id, same });
            if same {
                continue;
            }
            match self.children_of(id) {
                Some((left, right)) => {
                    pending.push(right);
                    pending.push(left);
                }
                None => result.differing_leaves.push(id.index),
            }
        }
        Ok(result)
    }

    // ----- internals -----

    /// The stored hash at `id` (also answers for the unchanged copies of unpaired
    /// nodes, which is harmless: they hold the right hash).
    fn stored_hash(&self, id: NodeId) -> Option<Hash> {
        let level = usize::try_from(id.level).ok()?;
        self.levels.get(level)?.get(id.index).copied()
    }

    /// The leaf range of node `id`, or `None` if `id` is not a node of this tree.
    fn range_of(&self, id: NodeId) -> Option<(usize, usize)> {
        let n = self.len();
        let width = 1usize.checked_shl(id.level)?;
        let start = id.index.checked_mul(width)?;
        if start >= n {
            return None;
        }
        let end = start.saturating_add(width).min(n);
        // A node above level 0 covers more than half its width; otherwise it is the
        // unpaired copy of a node lower down and has that node's id instead.
        if id.level > 0 && end - start <= width / 2 {
            return None;
        }
        Some((start, end))
    }

    fn children_of(&self, id: NodeId) -> Option<(NodeId, NodeId)> {
        let (start, end) = self.range_of(id)?;
        children_of_range(start, end)
    }

    /// Depth and parent of `id`, found by walking down from the root.
    fn locate(&self, id: NodeId) -> Option<(u32, Option<NodeId>)> {
        let (target_start, _) = self.range_of(id)?;
        let mut current = self.root_id()?;
        let mut parent = None;
        // Each step goes down at least one level, so the walk is at most `height` long.
        for depth in 0..=self.height() {
            if current == id {
                return Some((depth, parent));
            }
            let (left, right) = self.children_of(current)?;
            let (right_start, _) = self.range_of(right)?;
            parent = Some(current);
            current = if target_start < right_start {
                left
            } else {
                right
            };
        }
        None
    }

    /// Walks from the root to leaf `index`, calling `visit(node, sibling)` for every
    /// node on the path (root first), with the sibling it has (none for the root).
    fn descend(&self, index: usize, mut visit: impl FnMut(NodeId, Option<NodeId>)) {
        let Some(mut current) = self.root_id() else {
            return;
        };
        if index >= self.len() {
            return;
        }
        visit(current, None);
        while let Some((left, right)) = self.children_of(current) {
            let Some((right_start, _)) = self.range_of(right) else {
                return;
            };
            let (next, sibling) = if index < right_start {
                (left, right)
            } else {
                (right, left)
            };
            visit(next, Some(sibling));
            current = next;
        }
    }

    fn make_node(
        &self,
        id: NodeId,
        start: usize,
        end: usize,
        depth: u32,
        parent: Option<NodeId>,
    ) -> Node {
        Node {
            id,
            depth,
            start,
            end,
            hash: self.stored_hash(id).unwrap_or_default(),
            children: children_of_range(start, end),
            parent,
        }
    }

    fn path_nodes(&self, index: usize) -> Vec<Node> {
        let path = self.path(index);
        let mut nodes: Vec<Node> = Vec::with_capacity(path.len());
        // `path` runs leaf to root, so each node's parent is the next entry.
        let depth_of_leaf = path.len().saturating_sub(1) as u32;
        for (step, id) in path.iter().enumerate() {
            let Some((start, end)) = self.range_of(*id) else {
                continue;
            };
            let parent = path.get(step + 1).copied();
            let depth = depth_of_leaf - step as u32;
            nodes.push(self.make_node(*id, start, end, depth, parent));
        }
        nodes
    }

    /// Recomputes the stored hash at (`level`, `index`) from the level below.
    fn rehash(&mut self, level: usize, index: usize) {
        let (lower, upper) = self.levels.split_at_mut(level);
        let (Some(below), Some(row)) = (lower.last(), upper.first_mut()) else {
            return;
        };
        let hash = match (below.get(2 * index), below.get(2 * index + 1)) {
            (Some(left), Some(right)) => hash_children(left, right),
            (Some(only), None) => *only,
            _ => return,
        };
        if let Some(slot) = row.get_mut(index) {
            *slot = hash;
        }
    }

    fn hashes_of(&self, ids: &[NodeId]) -> Vec<Hash> {
        ids.iter().filter_map(|id| self.stored_hash(*id)).collect()
    }

    fn nodes_of(&self, ids: &[NodeId]) -> Vec<Node> {
        ids.iter().filter_map(|id| self.node(*id)).collect()
    }
}

/// The hash of one chunk of at most two nodes: a pair is hashed, a single node is
/// carried up unchanged (RFC 6962 never pads or duplicates).
fn pair_hash(pair: &[Hash]) -> Hash {
    match pair {
        [left, right] => hash_children(left, right),
        [only] => *only,
        _ => empty_root(), // `chunks(2)` yields only the two shapes above
    }
}

/// The number of levels above the leaves of the smallest perfect tree holding `size`
/// leaves: the level of the RFC node that covers exactly `size` leaves.
fn level_for(size: usize) -> u32 {
    if size <= 1 {
        0
    } else {
        usize::BITS - (size - 1).leading_zeros()
    }
}

/// The id of the RFC node covering leaves `start..end`. Only meaningful for ranges
/// that are nodes (perfect subtrees, or the right edge of some tree).
fn id_of_range(start: usize, end: usize) -> NodeId {
    let level = level_for(end - start);
    NodeId {
        level,
        index: start >> level,
    }
}

/// RFC 6962's split of `start..end` at the largest power of two below its size.
fn children_of_range(start: usize, end: usize) -> Option<(NodeId, NodeId)> {
    let size = end.checked_sub(start)?;
    if size < 2 {
        return None;
    }
    let middle = start + split_point(size);
    Some((id_of_range(start, middle), id_of_range(middle, end)))
}

/// `SUBPROOF(m, D[start:end], complete)` over node ids; the recursion follows the
/// new tree's own nodes, so every range pushed is one of its nodes.
fn subproof_ids(m: usize, start: usize, end: usize, complete: bool, out: &mut Vec<NodeId>) {
    let n = end - start;
    if m == n {
        if !complete {
            out.push(id_of_range(start, end));
        }
        return;
    }
    let k = split_point(n);
    if m <= k {
        subproof_ids(m, start, start + k, complete, out);
        out.push(id_of_range(start + k, end));
    } else {
        subproof_ids(m - k, start + k, end, false, out);
        out.push(id_of_range(start, start + k));
    }
}
