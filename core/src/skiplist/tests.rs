//! Skip list tests: unit tests, the view APIs, and a property test against BTreeMap.

use super::*;
use crate::sim::rng::Rng;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use std::collections::BTreeMap;

fn list_of(keys: &[u32], seed: u64) -> SkipList<u32, u32> {
    let mut list = SkipList::with_seed(seed);
    for &k in keys {
        list.insert(k, k * 10);
    }
    list
}

fn shuffled(n: u32, seed: u64) -> Vec<u32> {
    let mut keys: Vec<u32> = (0..n).collect();
    Rng::new(seed).shuffle(&mut keys);
    keys
}

/// Structural invariants: lanes are sorted, each lane is a sub-list of the one below,
/// towers agree with lanes, the top lane is non-empty, and len matches.
fn check_structure<K: Ord + Clone + std::fmt::Debug, V>(list: &SkipList<K, V>) {
    use std::collections::BTreeSet;
    let lanes = list.lanes();
    assert_eq!(lanes.len(), list.height());
    if list.is_empty() {
        assert_eq!(list.height(), 0);
        return;
    }
    assert_eq!(lanes[0].len(), list.len());
    assert!(!lanes[list.height() - 1].is_empty(), "empty top lane");
    let sets: Vec<BTreeSet<&K>> = lanes.iter().map(|l| l.iter().copied().collect()).collect();
    for (level, lane) in lanes.iter().enumerate() {
        assert!(
            lane.windows(2).all(|w| w[0] < w[1]),
            "lane {level} unsorted"
        );
        if level > 0 {
            assert!(lane.iter().all(|k| sets[level - 1].contains(k)));
        }
    }
    let towers = list.towers();
    assert_eq!(towers.len(), list.len());
    for tower in &towers {
        assert!((1..=MAX_HEIGHT).contains(&tower.height));
        for (level, set) in sets.iter().enumerate() {
            assert_eq!(set.contains(tower.key), level < tower.height);
        }
    }
    let sizes: Vec<usize> = lanes.iter().map(Vec::len).collect();
    assert_eq!(list.lane_sizes(), sizes);
}

#[test]
fn empty_list() {
    let mut list: SkipList<u32, u32> = SkipList::new();
    assert!(list.is_empty());
    assert_eq!(list.len(), 0);
    assert_eq!(list.get(&1), None);
    assert_eq!(list.remove(&1), None);
    assert_eq!(list.first(), None);
    assert_eq!(list.last(), None);
    assert_eq!(list.iter().count(), 0);
    assert!(list.lanes().is_empty());
    let path = list.search_path(&1);
    assert!(path.steps.is_empty() && !path.found && path.comparisons == 0);
    assert_eq!(list.mean_search_comparisons(), 0.0);
    check_structure(&list);
}

#[test]
fn insert_get_replace_remove() {
    let mut list = SkipList::with_seed(1);
    assert_eq!(list.insert(5, "five"), None);
    assert_eq!(list.insert(1, "one"), None);
    assert_eq!(list.insert(9, "nine"), None);
    assert_eq!(list.insert(5, "FIVE"), Some("five"));
    assert_eq!(list.len(), 3);
    assert_eq!(list.get(&5), Some(&"FIVE"));
    assert_eq!(list.get(&4), None);
    assert!(list.contains_key(&9));
    if let Some(v) = list.get_mut(&9) {
        *v = "NINE";
    }
    assert_eq!(list.get(&9), Some(&"NINE"));
    assert_eq!(list.first(), Some((&1, &"one")));
    assert_eq!(list.last(), Some((&9, &"NINE")));
    assert_eq!(list.remove(&5), Some("FIVE"));
    assert_eq!(list.remove(&5), None);
    assert_eq!(list.keys().copied().collect::<Vec<_>>(), [1, 9]);
    assert_eq!(list.values().copied().collect::<Vec<_>>(), ["one", "NINE"]);
    check_structure(&list);
}

#[test]
fn iteration_is_in_key_order() {
    let list = list_of(&shuffled(1000, 3), 4);
    let keys: Vec<u32> = list.iter().map(|(k, _)| *k).collect();
    assert_eq!(keys, (0..1000).collect::<Vec<_>>());
    assert_eq!(list.iter().len(), 1000);
    let by_ref: Vec<u32> = (&list).into_iter().map(|(k, _)| *k).collect();
    assert_eq!(by_ref, keys);
    let owned: Vec<(u32, u32)> = list.clone().into_iter().collect();
    assert_eq!(owned.len(), 1000);
    assert!(owned.iter().all(|(k, v)| *v == k * 10));
    check_structure(&list);
}

#[test]
fn borrowed_lookups_work_for_string_keys() {
    let mut list: SkipList<String, usize> = SkipList::new();
    list.insert("bob".to_string(), 2);
    list.insert("alice".to_string(), 1);
    assert_eq!(list.get("alice"), Some(&1));
    assert!(list.search_path("bob").found);
    assert_eq!(list.remove("bob"), Some(2));
    assert_eq!(format!("{list:?}"), r#"{"alice": 1}"#);
}

#[test]
fn same_seed_same_shape() {
    let keys = shuffled(500, 5);
    let heights = |seed| {
        list_of(&keys, seed)
            .towers()
            .iter()
            .map(|t| t.height)
            .collect::<Vec<_>>()
    };
    assert_eq!(heights(42), heights(42));
    assert_ne!(heights(42), heights(43));
    // new() is with_seed(DEFAULT_SEED).
    let mut a: SkipList<u32, ()> = SkipList::new();
    let mut b: SkipList<u32, ()> = SkipList::with_seed(DEFAULT_SEED);
    for k in &keys {
        a.insert(*k, ());
        b.insert(*k, ());
    }
    assert_eq!(a.lanes(), b.lanes());
}

#[test]
fn insert_trace_reports_the_coin_flips() {
    let seed = 2024;
    let mut list = SkipList::with_seed(seed);
    let mut coins = Rng::new(seed);
    for k in shuffled(300, 6) {
        let (old, trace) = list.insert_traced(k, ());
        assert_eq!(old, None);
        assert!(!trace.replaced);
        // The flips are exactly the coins drawn from the seeded stream.
        for flip in &trace.flips {
            let expected = if coins.coin() {
                Coin::Heads
            } else {
                Coin::Tails
            };
            assert_eq!(*flip, expected);
        }
        let heads = trace.flips.iter().filter(|c| **c == Coin::Heads).count();
        assert_eq!(trace.height, heads + 1);
        if trace.height < MAX_HEIGHT {
            assert_eq!(trace.flips.last(), Some(&Coin::Tails));
            assert_eq!(heads, trace.flips.len() - 1);
        }
        assert_eq!(list.height_of(&k), Some(trace.height));
    }
    // Replacing flips nothing and reports the existing height.
    let existing = list.height_of(&7).unwrap();
    let (old, trace) = list.insert_traced(7, ());
    assert_eq!(old, Some(()));
    assert!(trace.replaced && trace.flips.is_empty());
    assert_eq!(trace.height, existing);
}

#[test]
fn search_path_is_a_staircase() {
    let keys: Vec<u32> = (0..200).map(|k| k * 2).collect(); // even keys
    let list = list_of(&keys, 8);
    for target in [0u32, 1, 77, 78, 398, 399, 1000] {
        let path = list.search_path(&target);
        assert_eq!(
            path.found,
            target % 2 == 0 && target < 400,
            "target {target}"
        );
        // One Down per lane above 0, then one Stop on lane 0.
        let downs = path
            .steps
            .iter()
            .filter(|s| s.action == SearchAction::Down)
            .count();
        assert_eq!(downs, list.height() - 1);
        let last = path.steps.last().unwrap();
        assert_eq!((last.action, last.level), (SearchAction::Stop, 0));
        assert_eq!(last.next.filter(|k| **k == target).is_some(), path.found);
        let compared = path.steps.iter().filter(|s| s.compared).count();
        assert_eq!(compared, path.comparisons);
        // Each step starts where the previous one arrived.
        let mut at: Option<&u32> = None;
        let mut level = list.height() - 1;
        for step in &path.steps {
            assert_eq!((step.node, step.level), (at, level));
            match step.action {
                SearchAction::Right => {
                    assert!(*step.next.unwrap() < target);
                    at = step.next;
                }
                SearchAction::Down => {
                    assert!(step.next.is_none_or(|k| *k >= target));
                    level -= 1;
                }
                SearchAction::Stop => assert!(step.next.is_none_or(|k| *k >= target)),
            }
        }
    }
}

#[test]
fn search_cost_grows_like_log_n() {
    // Pugh: expected path length <= 2 log2(n) + 2. Comparisons are at most the path
    // length (a step without a comparison is a lane end or a repeat).
    let mut previous = 0.0;
    for n in [100u32, 1000, 10_000] {
        let list = list_of(&shuffled(n, 9), 10);
        let mean = list.mean_search_comparisons();
        let bound = pugh_search_cost_bound(n as usize);
        let log2_n = (n as f64).log2();
        assert!(mean <= bound, "n = {n}: mean {mean} > bound {bound}");
        assert!(
            mean >= log2_n * 0.5,
            "n = {n}: mean {mean} suspiciously low"
        );
        assert!(mean > previous);
        previous = mean;
    }
    assert_eq!(pugh_search_cost_bound(0), 0.0);
    assert_eq!(pugh_search_cost_bound(1024), 22.0);
}

#[test]
fn lanes_halve_going_up() {
    let list = list_of(&shuffled(20_000, 11), 12);
    let sizes = list.lane_sizes();
    assert_eq!(sizes[0], 20_000);
    // Lane 1 holds each node with probability 1/2: binomial sd ≈ 71; allow 5 sd.
    assert!((9645..=10_355).contains(&sizes[1]), "lane 1 = {}", sizes[1]);
    assert!((4600..=5400).contains(&sizes[2]), "lane 2 = {}", sizes[2]);
    // About log2(20000) ≈ 14.3 lanes; the top is at most a few above that.
    assert!(
        (10..=MAX_HEIGHT).contains(&list.height()),
        "height {}",
        list.height()
    );
    check_structure(&list);
}

#[test]
fn removal_lowers_height_and_reuses_slots() {
    let mut list = list_of(&shuffled(300, 13), 14);
    let arena = list.nodes.len();
    // Remove the tallest nodes first: the height must follow.
    let mut towers: Vec<(usize, u32)> = list.towers().iter().map(|t| (t.height, *t.key)).collect();
    towers.sort_unstable_by(|a, b| b.cmp(a));
    for (_, key) in towers.iter().take(50) {
        assert!(list.remove(key).is_some());
        let tallest = list.towers().iter().map(|t| t.height).max().unwrap_or(0);
        assert_eq!(list.height(), tallest);
        check_structure(&list);
    }
    for k in 1000..1050 {
        list.insert(k, 0);
    }
    assert_eq!(list.nodes.len(), arena, "freed slots are reused");
    for k in list.keys().copied().collect::<Vec<_>>() {
        list.remove(&k);
    }
    assert!(list.is_empty() && list.height() == 0 && list.nodes.is_empty());
}

#[test]
fn clear_from_iter_extend_default() {
    let mut list: SkipList<u32, u32> = (0..10).map(|k| (k, k)).collect();
    assert_eq!(list.len(), 10);
    list.extend([(3, 30), (20, 200)]);
    assert_eq!((list.len(), list.get(&3)), (11, Some(&30)));
    list.clear();
    assert!(list.is_empty() && list.iter().next().is_none());
    list.insert(1, 1);
    assert_eq!(list.len(), 1);
    let d: SkipList<u8, u8> = SkipList::default();
    assert!(d.is_empty());
}

#[derive(Clone, Debug)]
enum Op {
    Insert(u16, u32),
    Get(u16),
    Remove(u16),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u16..64, any::<u32>()).prop_map(|(k, v)| Op::Insert(k, v)),
        2 => (0u16..64).prop_map(Op::Get),
        2 => (0u16..64).prop_map(Op::Remove),
    ]
}

proptest! {
    #![proptest_config(Config {
        cases: 256,
        // Fixed seed and no regression files: the same cases on every run and machine.
        rng_seed: RngSeed::Fixed(0x5c1b_1157),
        failure_persistence: None,
        ..Config::default()
    })]

    /// Under any sequence of operations the skip list answers exactly like BTreeMap
    /// and iterates in the same order.
    #[test]
    fn behaves_like_btreemap(seed in any::<u64>(), ops in prop::collection::vec(op(), 0..300)) {
        let mut list = SkipList::with_seed(seed);
        let mut model = BTreeMap::new();
        for op in ops {
            match op {
                Op::Insert(k, v) => prop_assert_eq!(list.insert(k, v), model.insert(k, v)),
                Op::Get(k) => {
                    prop_assert_eq!(list.get(&k), model.get(&k));
                    prop_assert_eq!(list.search_path(&k).found, model.contains_key(&k));
                }
                Op::Remove(k) => prop_assert_eq!(list.remove(&k), model.remove(&k)),
            }
            prop_assert_eq!(list.len(), model.len());
        }
        prop_assert!(list.iter().eq(model.iter()));
        prop_assert_eq!(list.first(), model.first_key_value());
        prop_assert_eq!(list.last(), model.last_key_value());
        check_structure(&list);
    }
}
