//! Load and movement figures shared by every placement scheme.

use std::collections::BTreeMap;

/// How many keys one node holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeLoad {
    /// The node's name.
    pub node: String,
    /// Keys placed on it.
    pub keys: usize,
}

/// Load per node for a set of keys, with the balance figures a histogram shows.
///
/// Every float here comes from integer sums by exact IEEE operations (and one
/// correctly rounded square root), so the figures are identical on every platform.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadStats {
    /// One entry per node, in the order the placement scheme lists its nodes.
    pub per_node: Vec<NodeLoad>,
    /// Keys placed on some node (the sum of `per_node`).
    pub total: usize,
    /// Keys that had no node because there were no nodes.
    pub unplaced: usize,
    /// Mean keys per node (`total / nodes`; 0 with no nodes).
    pub mean: f64,
    /// Population standard deviation of keys per node (0 with no nodes).
    pub std_dev: f64,
    /// The least-loaded node's keys (0 with no nodes).
    pub min: usize,
    /// The most-loaded node's keys (0 with no nodes).
    pub max: usize,
    /// `max / mean`: 1.0 is perfect balance; 0 when the mean is 0.
    pub max_over_mean: f64,
}

impl LoadStats {
    /// Computes the figures from per-node counts.
    pub fn from_loads(per_node: Vec<NodeLoad>, unplaced: usize) -> Self {
        let nodes = per_node.len();
        let total: usize = per_node.iter().map(|l| l.keys).sum();
        let min = per_node.iter().map(|l| l.keys).min().unwrap_or(0);
        let max = per_node.iter().map(|l| l.keys).max().unwrap_or(0);
        let (mean, std_dev) = if nodes == 0 {
            (0.0, 0.0)
        } else {
            // Variance = (n·Σx² − (Σx)²) / n², computed exactly in integers first.
            let n = nodes as u128;
            let sum = total as u128;
            let sum_sq: u128 = per_node
                .iter()
                .map(|l| (l.keys as u128) * (l.keys as u128))
                .sum();
            let numerator = (n * sum_sq).saturating_sub(sum * sum);
            let variance = numerator as f64 / (n * n) as f64;
            (total as f64 / nodes as f64, variance.sqrt())
        };
        let max_over_mean = if mean > 0.0 { max as f64 / mean } else { 0.0 };
        LoadStats {
            per_node,
            total,
            unplaced,
            mean,
            std_dev,
            min,
            max,
            max_over_mean,
        }
    }

    /// Counts how many of `owners` (one entry per key: the index of its node in
    /// `nodes`, or `None`) fall on each node. Indices out of range count as unplaced.
    pub fn from_owners<S: AsRef<str>>(nodes: &[S], owners: &[Option<usize>]) -> Self {
        let mut counts = vec![0usize; nodes.len()];
        let mut unplaced = 0;
        for owner in owners {
            match owner.and_then(|i| counts.get_mut(i)) {
                Some(count) => *count += 1,
                None => unplaced += 1,
            }
        }
        let per_node = nodes
            .iter()
            .zip(counts)
            .map(|(node, keys)| NodeLoad {
                node: node.as_ref().to_string(),
                keys,
            })
            .collect();
        LoadStats::from_loads(per_node, unplaced)
    }

    /// `std_dev / mean` (the coefficient of variation), 0 when the mean is 0.
    pub fn relative_std_dev(&self) -> f64 {
        if self.mean > 0.0 {
            self.std_dev / self.mean
        } else {
            0.0
        }
    }

    /// The keys on `node`, if it is one of the nodes.
    pub fn load_of(&self, node: &str) -> Option<usize> {
        self.per_node
            .iter()
            .find(|l| l.node == node)
            .map(|l| l.keys)
    }
}

/// One key that changed owner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyMove {
    /// The key's index in the key list that was compared.
    pub key: usize,
    /// Its owner before (`None`: there were no nodes).
    pub from: Option<String>,
    /// Its owner after (`None`: there are no nodes).
    pub to: Option<String>,
}

/// How many keys moved from one node to another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowCount {
    /// The owner before.
    pub from: Option<String>,
    /// The owner after.
    pub to: Option<String>,
    /// Keys that moved from `from` to `to`.
    pub keys: usize,
}

/// Which keys changed owner between two placements of the same keys.
#[derive(Clone, Debug, PartialEq)]
pub struct Movement {
    /// Every key whose owner changed, in key order.
    pub moves: Vec<KeyMove>,
    /// `moves.len()`.
    pub moved: usize,
    /// Keys compared.
    pub total: usize,
    /// The least any scheme must move: `K · (1 − c / max(b, a))` for `K` keys, `b`
    /// nodes before, `a` after and `c` nodes in both. Adding one node to `n` gives the
    /// familiar `K / (n + 1)`; removing one of `n` gives `K / n`. 0 when both sides
    /// are empty.
    pub ideal: f64,
    /// Moves grouped by (from, to), sorted by from and then to (`None` first).
    pub flows: Vec<FlowCount>,
}

impl Movement {
    /// Compares two placements of the same keys: `before[i]` and `after[i]` are the
    /// owners of key `i` (names, or `None` for no owner), and the node lists are the
    /// nodes present on each side (used for the ideal). Keys beyond the shorter of
    /// `before` and `after` are ignored.
    pub fn between<A: AsRef<str>, B: AsRef<str>>(
        nodes_before: &[A],
        nodes_after: &[B],
        before: &[Option<&str>],
        after: &[Option<&str>],
    ) -> Self {
        let total = before.len().min(after.len());
        let mut moves = Vec::new();
        let mut flows: BTreeMap<(Option<&str>, Option<&str>), usize> = BTreeMap::new();
        for (key, (from, to)) in before.iter().zip(after).enumerate() {
            if from != to {
                moves.push(KeyMove {
                    key,
                    from: from.map(str::to_string),
                    to: to.map(str::to_string),
                });
                *flows.entry((*from, *to)).or_insert(0) += 1;
            }
        }
        let ideal = ideal_moves(total, nodes_before, nodes_after);
        let flows = flows
            .into_iter()
            .map(|((from, to), keys)| FlowCount {
                from: from.map(str::to_string),
                to: to.map(str::to_string),
                keys,
            })
            .collect();
        Movement {
            moved: moves.len(),
            moves,
            total,
            ideal,
            flows,
        }
    }

    /// `moved / total` (0 with no keys).
    pub fn moved_fraction(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.moved as f64 / self.total as f64
        }
    }

    /// `moved / ideal`: 1.0 means the scheme moved no more than it had to. `None` when
    /// the ideal is 0 (nothing needed to move).
    pub fn moved_over_ideal(&self) -> Option<f64> {
        if self.ideal > 0.0 {
            Some(self.moved as f64 / self.ideal)
        } else {
            None
        }
    }
}

/// `K · (1 − c / max(b, a))`, see [`Movement::ideal`].
fn ideal_moves<A: AsRef<str>, B: AsRef<str>>(keys: usize, before: &[A], after: &[B]) -> f64 {
    let before: std::collections::BTreeSet<&str> = before.iter().map(AsRef::as_ref).collect();
    let after: std::collections::BTreeSet<&str> = after.iter().map(AsRef::as_ref).collect();
    let larger = before.len().max(after.len());
    if larger == 0 {
        return 0.0;
    }
    let common = before.intersection(&after).count();
    (keys as f64 * (larger - common) as f64) / larger as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loads(counts: &[usize]) -> Vec<NodeLoad> {
        counts
            .iter()
            .enumerate()
            .map(|(i, &keys)| NodeLoad {
                node: format!("n{i}"),
                keys,
            })
            .collect()
    }

    #[test]
    fn balance_figures() {
        let stats = LoadStats::from_loads(loads(&[2, 4, 4, 4, 5, 5, 7, 9]), 0);
        assert_eq!(stats.total, 40);
        assert_eq!(stats.mean, 5.0);
        assert_eq!(stats.std_dev, 2.0);
        assert_eq!((stats.min, stats.max), (2, 9));
        assert_eq!(stats.max_over_mean, 1.8);
        assert_eq!(stats.relative_std_dev(), 0.4);
        assert_eq!(stats.load_of("n6"), Some(7));
        assert_eq!(stats.load_of("nope"), None);
    }

    #[test]
    fn no_nodes_gives_zeros() {
        let stats = LoadStats::from_owners::<&str>(&[], &[None, None]);
        assert_eq!(stats.unplaced, 2);
        assert_eq!(
            (stats.mean, stats.std_dev, stats.max_over_mean),
            (0.0, 0.0, 0.0)
        );
    }

    #[test]
    fn from_owners_counts_and_ignores_bad_indices() {
        let stats = LoadStats::from_owners(&["a", "b"], &[Some(0), Some(1), Some(1), Some(9)]);
        assert_eq!(stats.load_of("a"), Some(1));
        assert_eq!(stats.load_of("b"), Some(2));
        assert_eq!(stats.unplaced, 1);
    }

    #[test]
    fn movement_lists_moves_flows_and_ideal() {
        let before = [Some("a"), Some("b"), Some("a"), Some("b")];
        let after = [Some("a"), Some("c"), Some("c"), Some("b")];
        let m = Movement::between(&["a", "b"], &["a", "b", "c"], &before, &after);
        assert_eq!(m.moved, 2);
        assert_eq!(
            m.moves[0],
            KeyMove {
                key: 1,
                from: Some("b".into()),
                to: Some("c".into())
            }
        );
        assert_eq!(m.flows.len(), 2);
        assert_eq!(m.flows[0].from.as_deref(), Some("a"));
        // 4 keys, 2 -> 3 nodes: ideal 4/3.
        assert_eq!(m.ideal, 4.0 / 3.0);
        assert_eq!(m.moved_fraction(), 0.5);
        assert_eq!(m.moved_over_ideal(), Some(1.5));
    }

    #[test]
    fn ideal_for_add_remove_replace_and_empty() {
        assert_eq!(
            ideal_moves(1000, &["a", "b", "c"], &["a", "b", "c", "d"]),
            250.0
        );
        assert_eq!(
            ideal_moves(1000, &["a", "b", "c", "d"], &["a", "b", "c"]),
            250.0
        );
        assert_eq!(ideal_moves(1000, &["a", "b"], &["a", "c"]), 500.0);
        assert_eq!(ideal_moves::<&str, &str>(1000, &[], &[]), 0.0);
        assert_eq!(ideal_moves(10, &["a"], &["a"]), 0.0);
    }
}
