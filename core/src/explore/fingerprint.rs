//! State fingerprints: 64-bit hashes that stand in for whole states in the
//! visited set, as TLC stores them (Yu, Manolios and Lamport, "Model Checking
//! TLA+ Specifications", CHARME 1999). Two different states share a fingerprint
//! with probability about 2^-64 per pair; at 10^8 states the chance that any two
//! collide is below one in a thousand.
//!
//! [`Fingerprint`] is a [`Hasher`], so anything that derives [`Hash`] can feed
//! it; [`Rename`] carries the permutation under which node ids are written, for
//! symmetry reduction.

use std::hash::Hasher;

use crate::history::hash::words;
use crate::sim::rng::splitmix64;
use crate::sim::time::NodeId;

/// A strong, quick 64-bit hasher: every word goes through the SplitMix64
/// finaliser, so fingerprints of similar states are unrelated.
#[derive(Clone, Copy, Debug)]
pub struct Fingerprint {
    state: u64,
}

impl Default for Fingerprint {
    fn default() -> Self {
        Fingerprint {
            state: 0x243F_6A88_85A3_08D3,
        }
    }
}

/// One SplitMix64 step from `z`: a bijection that spreads every input bit.
pub fn mix(z: u64) -> u64 {
    let mut state = z;
    splitmix64(&mut state)
}

impl Hasher for Fingerprint {
    fn finish(&self) -> u64 {
        mix(self.state)
    }

    fn write(&mut self, bytes: &[u8]) {
        words(bytes, |word| self.write_u64(word));
    }

    fn write_u8(&mut self, value: u8) {
        self.write_u64(value as u64);
    }

    fn write_u32(&mut self, value: u32) {
        self.write_u64(value as u64);
    }

    fn write_usize(&mut self, value: usize) {
        self.write_u64(value as u64);
    }

    fn write_u64(&mut self, value: u64) {
        self.state = mix(self.state.rotate_left(23) ^ value).wrapping_add(value);
    }
}

/// The fingerprint of one value on its own.
pub fn of(value: &impl std::hash::Hash) -> u64 {
    let mut hasher = Fingerprint::default();
    value.hash(&mut hasher);
    hasher.finish()
}

/// A renaming of node ids: node `i` is written as `to[i]`. Symmetry reduction
/// hashes a state under every renaming of interchangeable nodes and keeps the
/// smallest fingerprint, so states that differ only in who is who count once
/// (Ip and Dill, "Better Verification Through Symmetry", 1996).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rename {
    to: Vec<u32>,
}

impl Rename {
    /// Every node keeps its id.
    pub fn identity(nodes: usize) -> Self {
        Rename {
            to: (0..nodes as u32).collect(),
        }
    }

    /// The new id of `node`; ids past the renamed ones (clients, say) keep theirs.
    pub fn node(&self, node: NodeId) -> NodeId {
        NodeId(self.to.get(node.index()).copied().unwrap_or(node.0))
    }

    /// Writes `node`'s new id, or a marker for none.
    pub fn write(&self, node: Option<NodeId>, hasher: &mut impl Hasher) {
        hasher.write_u64(node.map_or(u64::MAX, |node| self.node(node).0 as u64));
    }

    /// The old id of the node renamed to `new`.
    pub fn old(&self, new: usize) -> usize {
        self.to
            .iter()
            .position(|&to| to as usize == new)
            .unwrap_or(new)
    }

    /// Every renaming of the first `nodes` ids (n! of them; the explorer only
    /// asks for small clusters).
    pub fn all(nodes: usize) -> Vec<Rename> {
        let mut out = Vec::new();
        let mut current: Vec<u32> = (0..nodes as u32).collect();
        permute(&mut current, 0, &mut out);
        out
    }
}

fn permute(ids: &mut Vec<u32>, from: usize, out: &mut Vec<Rename>) {
    if from + 1 >= ids.len() {
        out.push(Rename { to: ids.clone() });
        return;
    }
    for i in from..ids.len() {
        ids.swap(from, i);
        permute(ids, from + 1, out);
        ids.swap(from, i);
    }
}

/// Writes a set of node ids (order does not matter) as a bit mask of new ids.
pub fn write_set(nodes: &[NodeId], rename: &Rename, hasher: &mut impl Hasher) {
    let mask = nodes.iter().fold(0u64, |mask, &node| {
        mask | 1u64 << (rename.node(node).0 % 64)
    });
    hasher.write_u64(mask);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renamings_are_all_distinct_permutations() {
        let all = Rename::all(3);
        assert_eq!(all.len(), 6);
        for (i, a) in all.iter().enumerate() {
            assert!(all[i + 1..].iter().all(|b| a != b));
            let mut sorted = a.to.clone();
            sorted.sort();
            assert_eq!(sorted, vec![0, 1, 2]);
            for new in 0..3 {
                assert_eq!(a.node(NodeId(a.old(new) as u32)).0 as usize, new);
            }
        }
        assert_eq!(Rename::all(1).len(), 1);
    }

    #[test]
    fn fingerprints_tell_close_values_apart() {
        let a = of(&(1u64, 2u64));
        let b = of(&(2u64, 1u64));
        let c = of(&(1u64, 3u64));
        assert!(a != b && a != c && b != c);
        assert_eq!(a, of(&(1u64, 2u64)));
        let set = |ids: &[u32]| {
            let mut hasher = Fingerprint::default();
            let ids: Vec<NodeId> = ids.iter().map(|&i| NodeId(i)).collect();
            write_set(&ids, &Rename::identity(3), &mut hasher);
            hasher.finish()
        };
        assert_eq!(set(&[0, 2]), set(&[2, 0]));
        assert_ne!(set(&[0, 2]), set(&[0, 1]));
    }
}
