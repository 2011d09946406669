//! The one sort the library uses.
//!
//! Every `sort_by_key` over a new element type compiles to several kilobytes of
//! WebAssembly, and the simulator, the scenario and the history sort half a dozen
//! types; even one
//! `sort_unstable` brings the standard library's pattern-defeating quicksort.
//! Here `(key, position)` pairs are merge-sorted bottom-up: one small function
//! for every type, O(n log n), and stable.

/// Sorts `items` by `key`, keeping items with equal keys in their order.
pub fn sort_stably_by<T>(items: &mut Vec<T>, key: impl Fn(&T) -> u64) {
    let mut order: Vec<(u64, usize)> = items
        .iter()
        .enumerate()
        .map(|(position, item)| (key(item), position))
        .collect();
    merge_sort(&mut order);
    let mut slots: Vec<Option<T>> = std::mem::take(items).into_iter().map(Some).collect();
    items.extend(
        order
            .into_iter()
            .filter_map(|(_, position)| slots[position].take()),
    );
}

/// Sorts `items` ascending, by bottom-up merges of runs of doubling width.
fn merge_sort(items: &mut Vec<(u64, usize)>) {
    let length = items.len();
    let mut merged = items.clone();
    let mut width = 1;
    while width < length {
        let mut start = 0;
        while start < length {
            let middle = (start + width).min(length);
            let end = (start + 2 * width).min(length);
            let (mut left, mut right) = (start, middle);
            for slot in &mut merged[start..end] {
                if right >= end || (left < middle && items[left] <= items[right]) {
                    *slot = items[left];
                    left += 1;
                } else {
                    *slot = items[right];
                    right += 1;
                }
            }
            start = end;
        }
        std::mem::swap(items, &mut merged);
        width *= 2;
    }
}

#[cfg(test)]
mod tests {
    use super::{merge_sort, sort_stably_by};

    #[test]
    fn merge_sort_sorts_every_length() {
        let mut state = 7u64;
        for length in 0..70 {
            let mut items: Vec<(u64, usize)> = (0..length)
                .map(|position| {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                    (state >> 60, position)
                })
                .collect();
            let mut expected = items.clone();
            expected.sort();
            merge_sort(&mut items);
            assert_eq!(items, expected, "length {length}");
        }
    }

    #[test]
    fn sorts_by_key_and_keeps_ties_in_order() {
        let mut items = vec![(3, 'a'), (1, 'b'), (3, 'c'), (0, 'd'), (1, 'e')];
        sort_stably_by(&mut items, |&(key, _)| key);
        assert_eq!(items, [(0, 'd'), (1, 'b'), (1, 'e'), (3, 'a'), (3, 'c')]);
        let mut empty: Vec<u8> = Vec::new();
        sort_stably_by(&mut empty, |&v| u64::from(v));
        assert!(empty.is_empty());
    }
}
