//! Geometry of a hash tree in the RFC 6962 shape: leaves evenly spaced on the
//! bottom row, every interior node centred over its two children and placed on the
//! row of its level (its height above the leaves), so a ragged right edge (5 or 13
//! leaves) hangs its lone subtrees from high up while every leaf stays at the bottom.
//!
//! The layout also classifies each node for the view (re-hashed, on a proof's path,
//! a proof hash, visited by a comparison and whether it matched), from plain lists
//! the page reads off the core topic: it decides nothing about hashing itself.

use distlab_core::merkle::{short_hex, to_hex, Node, NodeId, Visit};

/// Widest gap between two neighbouring leaves (small trees do not spread out).
pub const MAX_SPACING: f64 = 72.0;
/// Narrowest gap between two neighbouring leaves.
pub const MIN_SPACING: f64 = 3.0;
/// From this leaf gap on, nodes are boxes showing their abbreviated hash.
pub const LABEL_SPACING: f64 = 62.0;
/// A labelled node's box.
pub const BOX_WIDTH: f64 = 58.0;
pub const BOX_HEIGHT: f64 = 20.0;
/// Space left and right of the outermost leaves, and above the root.
const MARGIN_X: f64 = 36.0;
const MARGIN_TOP: f64 = 16.0;
/// Room under the leaves for their records (labelled) or indices (compact).
const LEAF_LABELS: f64 = 30.0;
/// Vertical distance between levels.
const ROW_LABELLED: f64 = 52.0;
const ROW_COMPACT: f64 = 34.0;

/// What the page wants lit up; every list may be empty.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Marks {
    /// Nodes created or re-hashed by the last operation.
    pub rehashed: Vec<NodeId>,
    /// An inclusion proof's leaf-to-root path.
    pub path: Vec<NodeId>,
    /// An inclusion proof's sibling nodes, in the proof's order.
    pub proof: Vec<NodeId>,
    /// A consistency proof's nodes, in the proof's order.
    pub consistency: Vec<NodeId>,
    /// A top-down comparison's visits, in walk order.
    pub visits: Vec<Visit>,
    /// Leaves whose record changed on this tree only (diverged or repaired).
    pub changed_leaves: Vec<usize>,
    /// The old size of a consistency proof: a boundary is drawn after that leaf.
    pub old_size: Option<usize>,
}

/// One node, placed.
#[derive(Clone, Debug, PartialEq)]
pub struct PlacedNode {
    pub id: NodeId,
    /// Centre.
    pub x: f64,
    pub y: f64,
    pub leaf: bool,
    /// First leaf covered and one past the last.
    pub start: usize,
    pub end: usize,
    /// The first 8 hex characters of the hash, and all 64.
    pub short: String,
    pub full: String,
    /// The leaf's record (leaves only).
    pub record: Option<String>,
    pub rehashed: bool,
    pub on_path: bool,
    /// 1-based position in the inclusion proof.
    pub proof: Option<usize>,
    /// 1-based position in the consistency proof.
    pub consistency: Option<usize>,
    /// 1-based position in the comparison walk, and whether the hashes matched.
    pub visit: Option<(usize, bool)>,
    pub changed: bool,
}

impl PlacedNode {
    /// The hover text: what the node covers and its full hash.
    pub fn title(&self) -> String {
        let covers = if self.leaf {
            format!("leaf {}", self.start)
        } else {
            format!("leaves {}..{}", self.start, self.end - 1)
        };
        match &self.record {
            Some(record) => format!(
                "{covers}: {record}\nSHA-256(0x00 || record) = {}",
                self.full
            ),
            None => format!("{covers}\nSHA-256(0x01 || left || right) = {}", self.full),
        }
    }
}

/// A parent-to-child edge.
#[derive(Clone, Debug, PartialEq)]
pub struct Edge {
    pub parent: NodeId,
    pub child: NodeId,
    pub x1: f64,
    pub y1: f64,
    pub x2: f64,
    pub y2: f64,
    /// Both ends are on the inclusion path.
    pub on_path: bool,
    /// The comparison walk went down this edge.
    pub walked: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct HashTreeLayout {
    pub width: f64,
    pub height: f64,
    /// Whether nodes are boxes with their hash written in (else small dots).
    pub labelled: bool,
    /// A dot's radius in compact mode.
    pub radius: f64,
    pub nodes: Vec<PlacedNode>,
    pub edges: Vec<Edge>,
    /// Where to draw the consistency proof's old-size boundary: x, top, bottom,
    /// and the old size.
    pub boundary: Option<(f64, f64, f64, usize)>,
    /// Leaf index labels to write under the leaves in compact mode: (x, text).
    pub leaf_ticks: Vec<(f64, String)>,
}

/// Lays out `nodes` (every node of one tree, e.g. `MerkleTree::nodes()`), aiming at
/// `width` units across. `records[i]` is leaf `i`'s record.
pub fn layout(nodes: &[Node], records: &[String], marks: &Marks, width: f64) -> HashTreeLayout {
    let leaves = nodes.iter().filter(|n| n.is_leaf()).count();
    let height_levels = nodes.iter().map(|n| n.id.level).max().unwrap_or(0);
    let spacing = if leaves == 0 {
        MAX_SPACING
    } else {
        ((width - 2.0 * MARGIN_X) / leaves as f64).clamp(MIN_SPACING, MAX_SPACING)
    };
    let labelled = spacing >= LABEL_SPACING;
    let row = if labelled { ROW_LABELLED } else { ROW_COMPACT };
    let radius = (spacing * 0.36).clamp(1.5, 7.0);
    let total_width = (leaves as f64 * spacing + 2.0 * MARGIN_X).max(200.0);
    let left = (total_width - leaves as f64 * spacing) / 2.0;
    let node_half_height = if labelled { BOX_HEIGHT / 2.0 } else { radius };
    let y_of = |level: u32| MARGIN_TOP + node_half_height + f64::from(height_levels - level) * row;
    // A node's x is the centre of its children; a leaf's is its slot. Computing it
    // from the leaf range alone would not centre parents over uneven children, so
    // resolve bottom-up: children before parents.
    let x_of_leaf = |index: usize| left + (index as f64 + 0.5) * spacing;
    let mut xs: std::collections::BTreeMap<NodeId, f64> = std::collections::BTreeMap::new();
    let mut by_level: Vec<&Node> = nodes.iter().collect();
    by_level.sort_by_key(|n| n.id.level);
    for node in &by_level {
        let x = match node.children {
            None => x_of_leaf(node.start),
            Some((a, b)) => match (xs.get(&a), xs.get(&b)) {
                (Some(xa), Some(xb)) => (xa + xb) / 2.0,
                _ => (x_of_leaf(node.start) + x_of_leaf(node.end.saturating_sub(1))) / 2.0,
            },
        };
        xs.insert(node.id, x);
    }
    let rank = |list: &[NodeId], id: NodeId| list.iter().position(|&p| p == id).map(|i| i + 1);
    let placed: Vec<PlacedNode> = nodes
        .iter()
        .map(|node| PlacedNode {
            id: node.id,
            x: xs.get(&node.id).copied().unwrap_or(left),
            y: y_of(node.id.level),
            leaf: node.is_leaf(),
            start: node.start,
            end: node.end,
            short: short_hex(&node.hash),
            full: to_hex(&node.hash),
            record: node
                .is_leaf()
                .then(|| records.get(node.start).cloned())
                .flatten(),
            rehashed: marks.rehashed.contains(&node.id),
            on_path: marks.path.contains(&node.id),
            proof: rank(&marks.proof, node.id),
            consistency: rank(&marks.consistency, node.id),
            visit: marks
                .visits
                .iter()
                .position(|v| v.node == node.id)
                .map(|i| (i + 1, marks.visits[i].same)),
            changed: node.is_leaf() && marks.changed_leaves.contains(&node.start),
        })
        .collect();
    let edges = nodes
        .iter()
        .filter_map(|node| {
            let (a, b) = node.children?;
            Some([a, b].map(|child| (node.id, child)))
        })
        .flatten()
        .filter_map(|(parent, child)| {
            let (px, cx) = (xs.get(&parent)?, xs.get(&child)?);
            Some(Edge {
                parent,
                child,
                x1: *px,
                y1: y_of(parent.level) + node_half_height,
                x2: *cx,
                y2: y_of(child.level) - node_half_height,
                on_path: marks.path.contains(&parent) && marks.path.contains(&child),
                walked: marks.visits.iter().any(|v| v.node == child),
            })
        })
        .collect();
    let leaf_row = y_of(0);
    let height = leaf_row + node_half_height + LEAF_LABELS;
    let boundary = marks.old_size.filter(|&s| s > 0 && s <= leaves).map(|s| {
        let x = if s == leaves {
            x_of_leaf(s - 1) + spacing / 2.0
        } else {
            (x_of_leaf(s - 1) + x_of_leaf(s)) / 2.0
        };
        (x, MARGIN_TOP / 2.0, height - 4.0, s)
    });
    let tick_every = if labelled {
        0
    } else {
        // About one index per 40 units.
        ((40.0 / spacing).ceil() as usize).max(1)
    };
    let leaf_ticks = if tick_every == 0 {
        Vec::new()
    } else {
        (0..leaves)
            .filter(|i| i % tick_every == 0)
            .map(|i| (x_of_leaf(i), i.to_string()))
            .collect()
    };
    HashTreeLayout {
        width: total_width,
        height,
        labelled,
        radius,
        nodes: placed,
        edges,
        boundary,
        leaf_ticks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use distlab_core::merkle::MerkleTree;
    use std::collections::BTreeSet;

    fn tree(n: usize) -> (MerkleTree, Vec<String>) {
        let records: Vec<String> = (0..n).map(|i| format!("k{i}={}", i * 7)).collect();
        let leaves: Vec<&[u8]> = records.iter().map(|r| r.as_bytes()).collect();
        (MerkleTree::new(&leaves), records)
    }

    fn laid(n: usize, marks: &Marks) -> (MerkleTree, HashTreeLayout) {
        let (tree, records) = tree(n);
        let layout = layout(&tree.nodes(), &records, marks, 1000.0);
        (tree, layout)
    }

    #[test]
    fn every_node_is_placed_once_inside_the_box() {
        for n in [1, 2, 3, 5, 8, 13, 32, 64, 256] {
            let (_, l) = laid(n, &Marks::default());
            assert_eq!(l.nodes.len(), 2 * n - 1, "{n} leaves");
            let ids: BTreeSet<NodeId> = l.nodes.iter().map(|p| p.id).collect();
            assert_eq!(ids.len(), l.nodes.len(), "{n}: a node placed twice");
            assert_eq!(l.edges.len(), 2 * (n - 1));
            for p in &l.nodes {
                assert!(p.x > 0.0 && p.x < l.width, "{n}: x {} of {}", p.x, l.width);
                assert!(
                    p.y > 0.0 && p.y < l.height,
                    "{n}: y {} of {}",
                    p.y,
                    l.height
                );
            }
        }
    }

    #[test]
    fn unbalanced_trees_keep_leaves_at_the_bottom_and_parents_centred() {
        for n in [5, 13, 21] {
            let (_, l) = laid(n, &Marks::default());
            let by_id = |id: NodeId| l.nodes.iter().find(|p| p.id == id).unwrap();
            let leaf_y = l.nodes.iter().find(|p| p.leaf).unwrap().y;
            let mut xs = Vec::new();
            for p in &l.nodes {
                if p.leaf {
                    assert_eq!(p.y, leaf_y, "{n}: leaf {} off the bottom row", p.start);
                    xs.push((p.start, p.x));
                }
            }
            xs.sort_by_key(|&(i, _)| i);
            assert!(
                xs.windows(2).all(|w| w[0].1 < w[1].1),
                "leaves left to right"
            );
            for edge in &l.edges {
                let parent = by_id(edge.parent);
                let child = by_id(edge.child);
                assert!(child.y > parent.y, "{n}: child above parent");
            }
            for p in l.nodes.iter().filter(|p| !p.leaf) {
                let kids: Vec<&Edge> = l.edges.iter().filter(|e| e.parent == p.id).collect();
                assert_eq!(kids.len(), 2);
                let centre = (by_id(kids[0].child).x + by_id(kids[1].child).x) / 2.0;
                assert!((p.x - centre).abs() < 1e-9, "{n}: parent not centred");
            }
        }
        // 5 leaves: leaf 4 hangs straight from the root, still on the leaf row.
        let (_, l) = laid(5, &Marks::default());
        let leaf4 = l.nodes.iter().find(|p| p.id == NodeId::leaf(4)).unwrap();
        let edge = l.edges.iter().find(|e| e.child == NodeId::leaf(4)).unwrap();
        assert_eq!(edge.parent, NodeId { level: 3, index: 0 });
        assert!(leaf4.y > l.nodes[0].y + 2.0 * ROW_LABELLED);
    }

    #[test]
    fn small_trees_are_labelled_and_large_ones_compact() {
        let (_, small) = laid(13, &Marks::default());
        assert!(small.labelled);
        assert!(small
            .nodes
            .iter()
            .all(|p| p.short.len() == 8 && p.full.len() == 64));
        assert!(small.leaf_ticks.is_empty());
        let (_, large) = laid(64, &Marks::default());
        assert!(!large.labelled);
        assert!(!large.leaf_ticks.is_empty());
        assert!(large.width <= 1000.0 + 1e-9);
    }

    #[test]
    fn marks_land_on_the_right_nodes() {
        let (tree, records) = tree(13);
        let marks = Marks {
            path: tree.path(5),
            proof: tree.inclusion_proof_ids(5),
            consistency: tree.consistency_proof_ids(5),
            old_size: Some(5),
            changed_leaves: vec![2],
            ..Marks::default()
        };
        let l = layout(&tree.nodes(), &records, &marks, 1000.0);
        let on_path = l.nodes.iter().filter(|p| p.on_path).count();
        assert_eq!(on_path, tree.path(5).len());
        let mut proof: Vec<(usize, NodeId)> = l
            .nodes
            .iter()
            .filter_map(|p| p.proof.map(|k| (k, p.id)))
            .collect();
        proof.sort();
        let ids: Vec<NodeId> = proof.into_iter().map(|(_, id)| id).collect();
        assert_eq!(ids, tree.inclusion_proof_ids(5));
        assert!(l.nodes.iter().all(|p| !(p.on_path && p.proof.is_some())));
        assert_eq!(l.edges.iter().filter(|e| e.on_path).count(), on_path - 1);
        let (x, _, _, size) = l.boundary.unwrap();
        assert_eq!(size, 5);
        let x4 = l.nodes.iter().find(|p| p.id == NodeId::leaf(4)).unwrap().x;
        let x5 = l.nodes.iter().find(|p| p.id == NodeId::leaf(5)).unwrap().x;
        assert!(x4 < x && x < x5);
        let changed: Vec<usize> = l
            .nodes
            .iter()
            .filter(|p| p.changed)
            .map(|p| p.start)
            .collect();
        assert_eq!(changed, vec![2]);
        assert!(l.nodes[0].title().contains(&l.nodes[0].full));
    }

    #[test]
    fn comparison_visits_are_numbered_in_walk_order() {
        let (a, records) = tree(8);
        let mut b = a.clone();
        b.set_leaf(6, b"other");
        let comparison = a.compare(&b).unwrap();
        let marks = Marks {
            visits: comparison.visited.clone(),
            ..Marks::default()
        };
        let l = layout(&a.nodes(), &records, &marks, 1000.0);
        let visited = l.nodes.iter().filter(|p| p.visit.is_some()).count();
        assert_eq!(visited, comparison.hash_comparisons);
        let root = l
            .nodes
            .iter()
            .find(|p| p.id == a.root_id().unwrap())
            .unwrap();
        assert_eq!(root.visit, Some((1, false)));
        let leaf6 = l.nodes.iter().find(|p| p.id == NodeId::leaf(6)).unwrap();
        assert_eq!(leaf6.visit.map(|v| v.1), Some(false));
        assert_eq!(l.edges.iter().filter(|e| e.walked).count(), visited - 1);
    }

    #[test]
    fn an_empty_tree_lays_out_nothing() {
        let l = layout(&[], &[], &Marks::default(), 1000.0);
        assert!(l.nodes.is_empty() && l.edges.is_empty());
        assert!(l.width > 0.0 && l.height > 0.0);
    }
}
