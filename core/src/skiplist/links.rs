//! A node's forward links, the first few stored inline.

use super::NIL;

/// Links stored inside the node itself. With p = 1/2 a node is taller than this with
/// probability 1/16, so almost every node needs no second allocation, and a search
/// reads a node's key and its links from the same place in memory instead of
/// following one more pointer per step.
const INLINE: usize = 4;

/// The forward links of one node: `get(level)` is the next node on that lane (or
/// NIL); `height()` is how many lanes the node occupies.
#[derive(Clone, Debug)]
pub(super) struct Links {
    inline: [usize; INLINE],
    /// Links for lanes `INLINE..height`, empty (no allocation) for short nodes.
    overflow: Vec<usize>,
    height: usize,
}

impl Links {
    /// Links for a node of `height` lanes, `link(level)` giving each initial target.
    pub(super) fn new(height: usize, mut link: impl FnMut(usize) -> usize) -> Self {
        let mut inline = [NIL; INLINE];
        for (level, slot) in inline.iter_mut().enumerate().take(height) {
            *slot = link(level);
        }
        let overflow = (INLINE..height).map(link).collect();
        Links {
            inline,
            overflow,
            height,
        }
    }

    /// The lanes the node occupies.
    pub(super) fn height(&self) -> usize {
        self.height
    }

    /// The next node on `level`, or NIL (also for a level the node does not reach).
    #[inline]
    pub(super) fn get(&self, level: usize) -> usize {
        if level < INLINE {
            if level < self.height {
                self.inline[level]
            } else {
                NIL
            }
        } else {
            self.overflow.get(level - INLINE).copied().unwrap_or(NIL)
        }
    }

    /// The link on `level`, to change it; `None` for a level the node does not reach.
    pub(super) fn get_mut(&mut self, level: usize) -> Option<&mut usize> {
        if level >= self.height {
            None
        } else if level < INLINE {
            self.inline.get_mut(level)
        } else {
            self.overflow.get_mut(level - INLINE)
        }
    }

    /// The links from lane 0 up.
    pub(super) fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.height).map(|level| self.get(level))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_tall_nodes() {
        for height in [1, 3, INLINE, INLINE + 1, 32] {
            let mut links = Links::new(height, |level| level * 10);
            assert_eq!(links.height(), height);
            assert_eq!(
                links.iter().collect::<Vec<_>>(),
                (0..height).map(|l| l * 10).collect::<Vec<_>>()
            );
            assert_eq!(links.get(height), NIL);
            assert!(links.get_mut(height).is_none());
            *links.get_mut(height - 1).unwrap() = 7;
            assert_eq!(links.get(height - 1), 7);
        }
    }
}
