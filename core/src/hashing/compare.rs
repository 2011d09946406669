//! Ring, jump, rendezvous and mod-N placement side by side over the same keys.

use super::ring::HashRing;
use super::stats::{LoadStats, Movement};
use super::{hash64, jump, rendezvous_index};
use std::collections::{BTreeMap, BTreeSet};

/// A way to place keys on a list of named nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// A [`HashRing`] with this many virtual nodes per node (clamped to
    /// `1..=HashRing::MAX_VNODES`).
    Ring {
        /// Virtual nodes per physical node.
        vnodes: u32,
    },
    /// [`jump`] over the node list: node `i` is bucket `i`.
    Jump,
    /// [`rendezvous`](super::rendezvous) (highest random weight).
    Rendezvous,
    /// [`mod_n`](super::mod_n): `hash % n`, the baseline.
    ModN,
}

impl Strategy {
    /// A short display name: `ring`, `jump`, `rendezvous` or `mod-N`.
    pub fn name(&self) -> &'static str {
        match self {
            Strategy::Ring { .. } => "ring",
            Strategy::Jump => "jump",
            Strategy::Rendezvous => "rendezvous",
            Strategy::ModN => "mod-N",
        }
    }

    /// The four strategies in the order a side-by-side view shows them, the ring with
    /// `vnodes` virtual nodes per node.
    pub fn all(vnodes: u32) -> [Strategy; 4] {
        [
            Strategy::Ring { vnodes },
            Strategy::Jump,
            Strategy::Rendezvous,
            Strategy::ModN,
        ]
    }

    /// Load per node for `keys` placed on `nodes` by this strategy, with standard
    /// deviation and max/mean (nodes in list order; see [`place_all`] for duplicates).
    pub fn load<K: AsRef<[u8]>, N: AsRef<str>>(&self, nodes: &[N], keys: &[K]) -> LoadStats {
        LoadStats::from_owners(nodes, &place_all(*self, nodes, keys))
    }

    /// Which of `keys` change owner when the node list changes from `before` to
    /// `after` under this strategy, from where to where, and the K/n ideal.
    pub fn movement<K: AsRef<[u8]>, A: AsRef<str>, B: AsRef<str>>(
        &self,
        before: &[A],
        after: &[B],
        keys: &[K],
    ) -> Movement {
        let owners_before = place_all(*self, before, keys);
        let owners_after = place_all(*self, after, keys);
        let names_before: Vec<Option<&str>> = owners_before
            .iter()
            .map(|o| o.map(|i| before[i].as_ref()))
            .collect();
        let names_after: Vec<Option<&str>> = owners_after
            .iter()
            .map(|o| o.map(|i| after[i].as_ref()))
            .collect();
        Movement::between(before, after, &names_before, &names_after)
    }
}

/// A change to the node list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeChange {
    /// Append a node at the end of the list (no change if the name is present).
    Add(String),
    /// Remove the node with this name, keeping the others in order (no change if
    /// absent). For jump and mod-N, removing any node but the last renumbers the
    /// nodes after it; that is part of what the comparison shows.
    Remove(String),
}

/// What one strategy does with the keys before and after a change.
#[derive(Clone, Debug, PartialEq)]
pub struct StrategyReport {
    /// The strategy.
    pub strategy: Strategy,
    /// Nodes before the change (duplicates removed, first kept).
    pub nodes_before: Vec<String>,
    /// Nodes after the change.
    pub nodes_after: Vec<String>,
    /// Load per node before (in `nodes_before` order).
    pub before: LoadStats,
    /// Load per node after (in `nodes_after` order).
    pub after: LoadStats,
    /// Keys that changed owner, and the K/n ideal.
    pub movement: Movement,
}

/// The owner of every key under `strategy`, as an index into `nodes` (`None` when
/// `nodes` is empty). When a name appears more than once the first occurrence is the
/// node; later duplicates own nothing under ring and rendezvous (jump and mod-N
/// number the list, so there they are separate buckets).
pub fn place_all<K: AsRef<[u8]>, N: AsRef<str>>(
    strategy: Strategy,
    nodes: &[N],
    keys: &[K],
) -> Vec<Option<usize>> {
    let count = u32::try_from(nodes.len()).unwrap_or(u32::MAX);
    match strategy {
        Strategy::Ring { vnodes } => {
            let vnodes = vnodes.clamp(1, HashRing::MAX_VNODES);
            let mut ring = HashRing::new();
            let mut index_of: BTreeMap<&str, usize> = BTreeMap::new();
            for (i, node) in nodes.iter().enumerate() {
                let name = node.as_ref();
                if !index_of.contains_key(name) && ring.add_node(name, vnodes).is_ok() {
                    index_of.insert(name, i);
                }
            }
            keys.iter()
                .map(|k| ring.owner(k).and_then(|name| index_of.get(name).copied()))
                .collect()
        }
        Strategy::Jump => keys
            .iter()
            .map(|k| (count > 0).then(|| jump(hash64(k), count) as usize))
            .collect(),
        Strategy::Rendezvous => {
            // Keep first occurrences only, so a duplicate can never win.
            let mut seen = BTreeSet::new();
            let unique: Vec<(&str, usize)> = nodes
                .iter()
                .enumerate()
                .map(|(i, node)| (node.as_ref(), i))
                .filter(|&(name, _)| seen.insert(name))
                .collect();
            let names: Vec<&str> = unique.iter().map(|&(name, _)| name).collect();
            keys.iter()
                .map(|k| rendezvous_index(k, &names).map(|j| unique[j].1))
                .collect()
        }
        Strategy::ModN => keys
            .iter()
            .map(|k| (count > 0).then(|| (hash64(k) % u64::from(count)) as usize))
            .collect(),
    }
}

/// Runs every strategy over the same `keys`, before and after `change` to `nodes`,
/// and reports load per node, its spread and the keys that moved (with the K/n ideal)
/// for each, in the order of `strategies`.
///
/// ```
/// use distlab_core::hashing::{compare_strategies, NodeChange, Strategy};
/// let nodes = ["a", "b", "c", "d"];
/// let keys: Vec<String> = (0..2000).map(|i| format!("k{i}")).collect();
/// let reports =
///     compare_strategies(&Strategy::all(100), &nodes, &NodeChange::Add("e".into()), &keys);
/// let moved = |name: &str| reports.iter().find(|r| r.strategy.name() == name).unwrap().movement.moved;
/// // The consistent schemes move about K/5 = 400 keys; mod-N moves about 4/5 of them.
/// assert!(moved("jump") < 600 && moved("rendezvous") < 600 && moved("ring") < 600);
/// assert!(moved("mod-N") > 1400);
/// ```
pub fn compare_strategies<K: AsRef<[u8]>, N: AsRef<str>>(
    strategies: &[Strategy],
    nodes: &[N],
    change: &NodeChange,
    keys: &[K],
) -> Vec<StrategyReport> {
    let mut before: Vec<String> = Vec::new();
    for node in nodes {
        if !before.iter().any(|n| n == node.as_ref()) {
            before.push(node.as_ref().to_string());
        }
    }
    let mut after = before.clone();
    match change {
        NodeChange::Add(name) => {
            if !after.contains(name) {
                after.push(name.clone());
            }
        }
        NodeChange::Remove(name) => after.retain(|n| n != name),
    }
    strategies
        .iter()
        .map(|&strategy| StrategyReport {
            strategy,
            before: strategy.load(&before, keys),
            after: strategy.load(&after, keys),
            movement: strategy.movement(&before, &after, keys),
            nodes_before: before.clone(),
            nodes_after: after.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::Rng;

    fn keys(seed: u64, count: usize) -> Vec<[u8; 8]> {
        let mut rng = Rng::new(seed);
        (0..count).map(|_| rng.next_u64().to_be_bytes()).collect()
    }

    fn nodes(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("node-{i}")).collect()
    }

    fn report(reports: &[StrategyReport], name: &str) -> StrategyReport {
        reports
            .iter()
            .find(|r| r.strategy.name() == name)
            .unwrap()
            .clone()
    }

    #[test]
    fn place_all_agrees_with_the_single_key_functions() {
        let ns = nodes(5);
        let ks = keys(1, 300);
        let mut ring = HashRing::new();
        for n in &ns {
            ring.add_node(n.as_str(), 30).unwrap();
        }
        let by_ring = place_all(Strategy::Ring { vnodes: 30 }, &ns, &ks);
        let by_jump = place_all(Strategy::Jump, &ns, &ks);
        let by_hrw = place_all(Strategy::Rendezvous, &ns, &ks);
        let by_mod = place_all(Strategy::ModN, &ns, &ks);
        for (i, k) in ks.iter().enumerate() {
            assert_eq!(by_ring[i].map(|j| ns[j].as_str()), ring.owner(k));
            assert_eq!(
                by_jump[i].map(|j| &ns[j]),
                crate::hashing::jump_node(k, &ns)
            );
            assert_eq!(
                by_hrw[i].map(|j| &ns[j]),
                crate::hashing::rendezvous(k, &ns)
            );
            assert_eq!(
                by_mod[i].map(|j| &ns[j]),
                crate::hashing::mod_n_node(k, &ns)
            );
        }
    }

    #[test]
    fn rendezvous_load_and_movement_directly() {
        let ks = keys(8, 3000);
        let before = nodes(5);
        let after = nodes(4); // node-4 removed
        let load = Strategy::Rendezvous.load(&before, &ks);
        assert_eq!(load.total, 3000);
        let movement = Strategy::Rendezvous.movement(&before, &after, &ks);
        assert_eq!(movement.moved, load.load_of("node-4").unwrap());
        assert!(movement
            .moves
            .iter()
            .all(|m| m.from.as_deref() == Some("node-4")));
        assert_eq!(movement.ideal, 600.0);
    }

    #[test]
    fn no_nodes_places_nothing() {
        let none: [&str; 0] = [];
        for strategy in Strategy::all(10) {
            assert!(place_all(strategy, &none, &keys(2, 10))
                .iter()
                .all(Option::is_none));
        }
    }

    #[test]
    fn duplicates_never_win_under_ring_and_rendezvous() {
        let ns = ["a", "b", "a"];
        let ks = keys(3, 200);
        for strategy in [Strategy::Ring { vnodes: 5 }, Strategy::Rendezvous] {
            assert!(place_all(strategy, &ns, &ks).iter().all(|o| *o != Some(2)));
        }
    }

    #[test]
    fn adding_a_node_consistent_schemes_move_near_ideal_mod_n_moves_most() {
        let ks = keys(4, 5000);
        let reports = compare_strategies(
            &Strategy::all(200),
            &nodes(9),
            &NodeChange::Add("new".into()),
            &ks,
        );
        assert_eq!(reports.len(), 4);
        for name in ["ring", "jump", "rendezvous"] {
            let r = report(&reports, name);
            assert_eq!(r.movement.ideal, 500.0);
            // Only keys that now belong to the new node moved.
            assert!(
                r.movement
                    .moves
                    .iter()
                    .all(|m| m.to.as_deref() == Some("new")),
                "{name}"
            );
            assert_eq!(r.movement.moved, r.after.load_of("new").unwrap());
        }
        // Jump and rendezvous give the new node a binomial(5000, 1/10) share:
        // sd ≈ 21, so about 5 sd around 500.
        for name in ["jump", "rendezvous"] {
            let moved = report(&reports, name).movement.moved;
            assert!((400..=600).contains(&moved), "{name} moved {moved}");
        }
        // Mod-N keeps only keys with h mod 90 < 9: about 4500 of 5000 move (sd ≈ 21).
        let mod_n = report(&reports, "mod-N").movement.moved;
        assert!(mod_n > 4300, "mod-N moved {mod_n}");
    }

    #[test]
    fn removing_a_middle_node_shows_jumps_renumbering() {
        let ks = keys(5, 4000);
        let change = NodeChange::Remove("node-3".into());
        let reports = compare_strategies(&Strategy::all(100), &nodes(10), &change, &ks);
        for name in ["ring", "rendezvous"] {
            let r = report(&reports, name);
            assert!(r
                .movement
                .moves
                .iter()
                .all(|m| m.from.as_deref() == Some("node-3")));
            assert_eq!(r.movement.moved, r.before.load_of("node-3").unwrap());
        }
        // Jump renumbers node-4.. node-9, so far more than node-3's keys move.
        let jump = report(&reports, "jump");
        assert!(jump.movement.moved > 3 * jump.before.load_of("node-3").unwrap());
        // Removing the last node is jump's cheap case.
        let last = compare_strategies(
            &[Strategy::Jump],
            &nodes(10),
            &NodeChange::Remove("node-9".into()),
            &ks,
        );
        let r = &last[0];
        assert!(r
            .movement
            .moves
            .iter()
            .all(|m| m.from.as_deref() == Some("node-9")));
    }

    #[test]
    fn no_op_changes_move_nothing() {
        let ks = keys(6, 500);
        let ns = nodes(4);
        for change in [
            NodeChange::Add("node-0".into()),
            NodeChange::Remove("zzz".into()),
        ] {
            for r in compare_strategies(&Strategy::all(20), &ns, &change, &ks) {
                assert_eq!(r.movement.moved, 0);
                assert_eq!(r.movement.ideal, 0.0);
                assert_eq!(r.nodes_before, r.nodes_after);
            }
        }
    }

    #[test]
    fn loads_add_up_and_spread_is_reported() {
        let ks = keys(7, 2000);
        for r in compare_strategies(
            &Strategy::all(100),
            &nodes(8),
            &NodeChange::Add("x".into()),
            &ks,
        ) {
            assert_eq!(r.before.total, 2000);
            assert_eq!(r.after.total, 2000);
            assert_eq!(r.before.per_node.len(), 8);
            assert_eq!(r.after.per_node.len(), 9);
            assert!(r.before.std_dev > 0.0);
            assert_eq!(r.before.mean, 250.0);
        }
    }
}
