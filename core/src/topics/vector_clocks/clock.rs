//! The vector clock of Fidge (1988) and Mattern (1988): one counter per
//! process, compared entry by entry. Lamport's scalar clock is a plain `u64`
//! in the process; this type is the vector, and [`Causality`] is what
//! comparing two of them says.

use std::fmt;

/// What comparing two vectors says about the events (or versions) they stamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Causality {
    /// Every entry of the first is at most the second's, and one is smaller:
    /// the first happened before the second.
    Before,
    /// The mirror image: the second happened before the first.
    After,
    /// The same vector.
    Same,
    /// Each is larger somewhere: neither happened before the other.
    Concurrent,
}

/// A vector timestamp: entry `i` counts the events of process `i` that the
/// stamped event has in its causal past (Mattern, section 4).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct VectorClock(Vec<u32>);

impl VectorClock {
    /// All zeros for `processes` processes: the clock before any event.
    pub fn zero(processes: usize) -> Self {
        VectorClock(vec![0; processes])
    }

    pub fn from_entries(entries: &[u32]) -> Self {
        VectorClock(entries.to_vec())
    }

    pub fn entries(&self) -> &[u32] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Entry `process`, or 0 past the end.
    pub fn get(&self, process: usize) -> u32 {
        self.0.get(process).copied().unwrap_or(0)
    }

    /// Adds one to entry `process` (the ticking rule of every event).
    pub fn tick(&mut self, process: usize) {
        if let Some(entry) = self.0.get_mut(process) {
            *entry = entry.saturating_add(1);
        }
    }

    /// Takes the entry-by-entry maximum with `other` (the receive rule).
    /// Entries past either end are left as they are: a message of the wrong
    /// size is refused before it gets here.
    pub fn merge(&mut self, other: &VectorClock) {
        for (mine, theirs) in self.0.iter_mut().zip(&other.0) {
            *mine = (*mine).max(*theirs);
        }
    }

    /// Whether every entry is at most `other`'s (`V <= W`).
    pub fn le(&self, other: &VectorClock) -> bool {
        self.0.len() == other.0.len() && self.0.iter().zip(&other.0).all(|(a, b)| a <= b)
    }

    /// `V < W`: `V <= W` and `V != W`.
    pub fn lt(&self, other: &VectorClock) -> bool {
        self.le(other) && self != other
    }

    pub fn compare(&self, other: &VectorClock) -> Causality {
        match (self.le(other), other.le(self)) {
            (true, true) => Causality::Same,
            (true, false) => Causality::Before,
            (false, true) => Causality::After,
            (false, false) => Causality::Concurrent,
        }
    }
}

impl fmt::Display for VectorClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, entry) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{entry}")?;
        }
        f.write_str("]")
    }
}
