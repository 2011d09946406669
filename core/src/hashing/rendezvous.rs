//! Rendezvous (highest random weight) hashing and mod-N hashing.

use super::hash64;
use sha2::{Digest, Sha256};

/// The weight node `node` gives key `key` in rendezvous hashing:
/// [`hash64`] of `node ‖ 0x00 ‖ key`.
///
/// For a fixed key, different node names always hash different byte strings (the key
/// suffix is shared, so equal strings mean equal names), so the weights of the nodes
/// for one key are independent uniform values, as Thaler and Ravishankar's analysis
/// assumes. The separator keeps the input readable and checkable:
/// `printf 'node-a\0key' | sha256sum`.
pub fn rendezvous_weight(node: impl AsRef<[u8]>, key: impl AsRef<[u8]>) -> u64 {
    let mut hasher = Sha256::new();
    hasher.update(node.as_ref());
    hasher.update([0u8]);
    hasher.update(key.as_ref());
    let digest = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[0..8]);
    u64::from_be_bytes(first)
}

/// The index in `nodes` of the node with the highest [`rendezvous_weight`] for `key`,
/// or `None` when `nodes` is empty.
///
/// Ties (equal 64-bit weights, which need a hash collision) go to the node whose name
/// is smaller byte-wise, and then to the earlier index, so the winner never depends on
/// the order of the list except between duplicate names.
pub fn rendezvous_index<N: AsRef<[u8]>>(key: impl AsRef<[u8]>, nodes: &[N]) -> Option<usize> {
    let key = key.as_ref();
    let mut best: Option<(usize, u64)> = None;
    for (index, node) in nodes.iter().enumerate() {
        let weight = rendezvous_weight(node.as_ref(), key);
        let wins = match best {
            None => true,
            Some((best_index, best_weight)) => {
                weight > best_weight
                    || (weight == best_weight && node.as_ref() < nodes[best_index].as_ref())
            }
        };
        if wins {
            best = Some((index, weight));
        }
    }
    best.map(|(index, _)| index)
}

/// The node that owns `key` by rendezvous (highest random weight) hashing, Thaler and
/// Ravishankar (1996): every node scores the key with [`rendezvous_weight`] and the
/// highest score wins. `None` when `nodes` is empty.
///
/// Removing a node moves only the keys it won (each goes to its second-highest
/// node); adding a node moves only the keys it now wins. A lookup costs one hash per
/// node.
///
/// ```
/// use distlab_core::hashing::rendezvous;
/// let nodes = vec!["cache-1".to_string(), "cache-2".to_string()];
/// let owner = rendezvous("user:42", &nodes).unwrap();
/// assert!(nodes.contains(owner));
/// ```
pub fn rendezvous<N: AsRef<[u8]>>(key: impl AsRef<[u8]>, nodes: &[N]) -> Option<&N> {
    rendezvous_index(key, nodes).and_then(|index| nodes.get(index))
}

/// Mod-N hashing, the baseline that consistent hashing improves on:
/// `hash64(key) % n`. Returns 0 when `n == 0` (no valid answer; never panics).
///
/// Balanced, but when `n` changes a key keeps its node only if `h % n == h % n'`,
/// which for `n → n + 1` holds for about `1 / (n + 1)` of the keys: nearly all keys move.
///
/// ```
/// use distlab_core::hashing::{hash64, mod_n};
/// assert_eq!(mod_n("k", 7), (hash64("k") % 7) as u32);
/// assert_eq!(mod_n("k", 0), 0);
/// ```
pub fn mod_n(key: impl AsRef<[u8]>, n: u32) -> u32 {
    if n == 0 {
        return 0;
    }
    // The remainder is below n <= u32::MAX, so the conversion cannot fail.
    u32::try_from(hash64(key) % u64::from(n)).unwrap_or(0)
}

/// The node for `key` among `nodes` by mod-N hashing, or `None` when `nodes` is
/// empty. Lists longer than `u32::MAX` use only their first `u32::MAX` nodes.
pub fn mod_n_node<N>(key: impl AsRef<[u8]>, nodes: &[N]) -> Option<&N> {
    let n = u32::try_from(nodes.len()).unwrap_or(u32::MAX);
    if n == 0 {
        return None;
    }
    nodes.get(mod_n(key, n) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("node-{i}")).collect()
    }

    fn keys(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("key-{i}")).collect()
    }

    #[test]
    fn weight_is_hash_of_node_zero_key() {
        assert_eq!(rendezvous_weight("node-a", "k"), hash64(b"node-a\0k"));
    }

    #[test]
    fn empty_node_list_has_no_owner() {
        let none: [&str; 0] = [];
        assert_eq!(rendezvous("k", &none), None);
        assert_eq!(rendezvous_index("k", &none), None);
        assert_eq!(mod_n_node("k", &none), None);
    }

    #[test]
    fn winner_does_not_depend_on_list_order() {
        let mut nodes = names(7);
        let owners: Vec<String> = keys(300)
            .iter()
            .map(|k| rendezvous(k, &nodes).unwrap().clone())
            .collect();
        nodes.reverse();
        for (k, owner) in keys(300).iter().zip(&owners) {
            assert_eq!(rendezvous(k, &nodes).unwrap(), owner);
        }
    }

    #[test]
    fn removing_a_node_moves_only_its_keys() {
        let nodes = names(6);
        let fewer: Vec<String> = nodes.iter().filter(|n| *n != "node-2").cloned().collect();
        for k in keys(2000) {
            let before = rendezvous(&k, &nodes).unwrap();
            let after = rendezvous(&k, &fewer).unwrap();
            if before != "node-2" {
                assert_eq!(before, after, "{k} moved without need");
            }
        }
    }

    #[test]
    fn adding_a_node_moves_keys_only_to_it() {
        let nodes = names(5);
        let mut more = nodes.clone();
        more.push("node-new".to_string());
        for k in keys(2000) {
            let before = rendezvous(&k, &nodes).unwrap();
            let after = rendezvous(&k, &more).unwrap();
            assert!(
                after == before || after == "node-new",
                "{k}: {before} -> {after}"
            );
        }
    }

    #[test]
    fn mod_n_moves_most_keys_when_n_grows() {
        let ks = keys(5000);
        let moved = ks.iter().filter(|k| mod_n(k, 10) != mod_n(k, 11)).count();
        // A key stays only if h % 10 == h % 11, i.e. h mod 110 < 10: 1/11 of keys stay.
        // Expected moved ≈ 4545; binomial sd ≈ 20; allow > 5 sd.
        assert!((4400..=4700).contains(&moved), "moved = {moved}");
    }

    #[test]
    fn mod_n_zero_is_zero() {
        assert_eq!(mod_n("anything", 0), 0);
        assert!(mod_n("anything", u32::MAX) < u32::MAX);
    }
}
