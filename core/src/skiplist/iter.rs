//! Iterators over a skip list, in key order (lane 0).

use super::{Node, SkipList};

/// The entries of a [`SkipList`] in key order; see [`SkipList::iter`].
#[derive(Clone)]
pub struct Iter<'a, K, V> {
    list: &'a SkipList<K, V>,
    next: usize,
    remaining: usize,
}

impl<'a, K, V> Iter<'a, K, V> {
    pub(super) fn new(list: &'a SkipList<K, V>) -> Self {
        Iter {
            list,
            next: list.head[0],
            remaining: list.len,
        }
    }
}

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        let node = self.list.node(self.next)?;
        self.next = node.links.get(0);
        self.remaining = self.remaining.saturating_sub(1);
        Some((&node.key, &node.value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<K, V> ExactSizeIterator for Iter<'_, K, V> {}

impl<K, V> std::iter::FusedIterator for Iter<'_, K, V> {}

/// The keys of a [`SkipList`] in order; see [`SkipList::keys`].
#[derive(Clone)]
pub struct Keys<'a, K, V>(Iter<'a, K, V>);

impl<'a, K, V> Keys<'a, K, V> {
    pub(super) fn new(iter: Iter<'a, K, V>) -> Self {
        Keys(iter)
    }
}

impl<'a, K, V> Iterator for Keys<'a, K, V> {
    type Item = &'a K;

    fn next(&mut self) -> Option<&'a K> {
        self.0.next().map(|(k, _)| k)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl<K, V> ExactSizeIterator for Keys<'_, K, V> {}

/// The values of a [`SkipList`] in key order; see [`SkipList::values`].
#[derive(Clone)]
pub struct Values<'a, K, V>(Iter<'a, K, V>);

impl<'a, K, V> Values<'a, K, V> {
    pub(super) fn new(iter: Iter<'a, K, V>) -> Self {
        Values(iter)
    }
}

impl<'a, K, V> Iterator for Values<'a, K, V> {
    type Item = &'a V;

    fn next(&mut self) -> Option<&'a V> {
        self.0.next().map(|(_, v)| v)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl<K, V> ExactSizeIterator for Values<'_, K, V> {}

impl<'a, K, V> IntoIterator for &'a SkipList<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V>;

    fn into_iter(self) -> Iter<'a, K, V> {
        self.iter()
    }
}

/// The entries of a [`SkipList`] by value, in key order.
pub struct IntoIter<K, V> {
    nodes: Vec<Option<Node<K, V>>>,
    next: usize,
    remaining: usize,
}

impl<K, V> Iterator for IntoIter<K, V> {
    type Item = (K, V);

    fn next(&mut self) -> Option<(K, V)> {
        let node = self.nodes.get_mut(self.next).and_then(Option::take)?;
        self.next = node.links.get(0);
        self.remaining = self.remaining.saturating_sub(1);
        Some((node.key, node.value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<K, V> ExactSizeIterator for IntoIter<K, V> {}

impl<K, V> IntoIterator for SkipList<K, V> {
    type Item = (K, V);
    type IntoIter = IntoIter<K, V>;

    fn into_iter(self) -> IntoIter<K, V> {
        IntoIter {
            next: self.head[0],
            remaining: self.len,
            nodes: self.nodes,
        }
    }
}
