//! The event queue: a min-heap ordered by (time, class, sequence number).
//!
//! The sequence number breaks ties in insertion order, which makes the run
//! deterministic. The class puts scheduled user actions ahead of simulation events at
//! the same instant, ordered by their position in the scenario: an action added live
//! from the browser and the same action loaded from a share link land in the same
//! place, so the replay matches what the person saw.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::time::Time;

/// Ranks of a person's actions start here, after every planned action, so an action
/// added live sorts exactly where it sorts when the share link is replayed.
pub const USER_ACTION_RANK: u32 = 1 << 31;

/// Where an entry sorts among entries of the same time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    /// A scenario action; `rank` is its position in the scenario's action list.
    Action { rank: u32 },
    /// Anything the simulation itself scheduled.
    Event,
}

#[derive(Clone)]
struct Entry<T> {
    time: Time,
    class: Class,
    sequence: u64,
    item: T,
}

impl<T> PartialEq for Entry<T> {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl<T> Eq for Entry<T> {}
impl<T> PartialOrd for Entry<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Entry<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        // BinaryHeap is a max-heap: reverse to pop the earliest first.
        other.key().cmp(&self.key())
    }
}
impl<T> Entry<T> {
    fn key(&self) -> (Time, Class, u64) {
        (self.time, self.class, self.sequence)
    }
}

/// A deterministic priority queue of timed items.
#[derive(Clone)]
pub struct EventQueue<T> {
    heap: BinaryHeap<Entry<T>>,
    next_sequence: u64,
}

impl<T> Default for EventQueue<T> {
    fn default() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            next_sequence: 0,
        }
    }
}

impl<T> EventQueue<T> {
    pub fn push(&mut self, time: Time, class: Class, item: T) {
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        self.heap.push(Entry {
            time,
            class,
            sequence,
            item,
        });
    }

    /// The time of the earliest entry.
    pub fn peek_time(&self) -> Option<Time> {
        self.heap.peek().map(|entry| entry.time)
    }

    /// The earliest entry, without removing it.
    pub fn peek(&self) -> Option<(Time, &T)> {
        self.heap.peek().map(|entry| (entry.time, &entry.item))
    }

    /// Removes and returns the earliest entry.
    pub fn pop(&mut self) -> Option<(Time, T)> {
        self.heap.pop().map(|entry| (entry.time, entry.item))
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_by_time_then_actions_then_insertion_order() {
        let mut queue = EventQueue::default();
        queue.push(Time(5), Class::Event, "e5a");
        queue.push(Time(1), Class::Event, "e1");
        queue.push(Time(5), Class::Event, "e5b");
        queue.push(Time(5), Class::Action { rank: 2 }, "a5-2");
        queue.push(Time(5), Class::Action { rank: 1 }, "a5-1");
        let order: Vec<_> = std::iter::from_fn(|| queue.pop().map(|(_, item)| item)).collect();
        assert_eq!(order, ["e1", "a5-1", "a5-2", "e5a", "e5b"]);
    }
}
