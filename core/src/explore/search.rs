//! Breadth-first search over the states of one topic, level by level.
//!
//! Level d holds the states first reached in d steps. Each level is expanded in
//! rounds of a few thousand states, split among the worker threads in contiguous
//! ranges; the visited set is only read while a round runs, and the round's new
//! states are merged afterwards in frontier order, the first of each fingerprint
//! winning. So the frontier, the counts and the counterexample are the same for
//! any number of threads, and the first violation found is one of the shortest.
//!
//! **The frontier holds paths, not states.** A whole state (nodes, timers,
//! messages in flight, the checker's registries) takes hundreds of bytes, and the
//! frontier is most of what a search holds: tens of millions of states at depth
//! 12 of Raft. TLC keeps its frontier on disk; this keeps 8 bytes a state, an
//! [`Entry`]: which state of the previous level it came from, and which of that
//! state's steps (in [`Expander::steps`]'s fixed order) led to it. Every level
//! is kept, as the way back to the initial state; the last level is never
//! expanded, so only its fingerprints are kept. A worker rebuilds the state of an
//! entry by taking the steps of its path again from the nearest ancestor it still
//! holds: it keeps the last state it rebuilt at each level, and since a level's
//! entries lie in the order of their parents and a worker expands a contiguous
//! range of them, each ancestor is rebuilt about once per range. Taking a step
//! depends on nothing but the state and the step, so a rebuilt state is the one
//! that was fingerprinted (tests check that it has the same fingerprint).

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Range;

use crate::sim::checker::Violation;

use super::state::{Expander, State, Step};
use super::{Bounds, Explorable, Progress, Threaded};

/// Fingerprints are already uniform: the visited set uses them as they are.
#[derive(Default)]
pub(crate) struct Identity(u64);

impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ byte as u64;
        }
    }
    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

pub(crate) type Visited = HashSet<u64, BuildHasherDefault<Identity>>;

/// States each worker expands per round.
const CHUNK: usize = 4096;

/// A state of the frontier, as the way to it from the previous level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    /// Its parent's index in the previous level.
    parent: u32,
    /// The step from the parent, as an index into the parent's steps.
    step: u32,
}

/// The states first reached in the same number of steps, in the order they were
/// found (so in the order of their parents).
#[derive(Default)]
struct Level {
    entries: Vec<Entry>,
    /// Each entry's fingerprint, to check that a rebuilt state is the state that
    /// was fingerprinted; kept only where that is checked.
    #[cfg(any(test, debug_assertions))]
    fingerprints: Vec<u64>,
}

impl Level {
    fn len(&self) -> usize {
        self.entries.len()
    }

    fn push(&mut self, entry: Entry, _fingerprint: u64) {
        // Entries are named by u32 indices: a larger level cannot be stored.
        assert!(
            self.entries.len() < u32::MAX as usize,
            "the explorer's frontier indices are 32-bit: a level of more than {} states \
             does not fit (lower --depth)",
            u32::MAX
        );
        self.entries.push(entry);
        #[cfg(any(test, debug_assertions))]
        self.fingerprints.push(_fingerprint);
    }
}

/// A state a worker rebuilt, with its steps.
struct Rebuilt<T: Explorable> {
    /// Its index in its level.
    index: u32,
    state: State<T>,
    steps: Vec<Step<T::Node>>,
}

/// One worker: its expander and the last state it rebuilt at each level.
struct Worker<'a, T: Explorable> {
    expander: &'a mut Expander<T>,
    /// Per level; level 0 always holds the initial state.
    rebuilt: Vec<Option<Rebuilt<T>>>,
    /// The indices of the ancestors being rebuilt, deepest first.
    path: Vec<u32>,
}

impl<'a, T: Explorable> Worker<'a, T> {
    fn new(expander: &'a mut Expander<T>, initial: &State<T>) -> Self {
        let mut steps = Vec::new();
        expander.steps(initial, &mut steps);
        Worker {
            expander,
            rebuilt: vec![Some(Rebuilt {
                index: 0,
                state: initial.clone(),
                steps,
            })],
            path: Vec::new(),
        }
    }

    fn holds(&self, level: usize, index: u32) -> bool {
        matches!(self.rebuilt.get(level), Some(Some(held)) if held.index == index)
    }

    /// Rebuilds state `index` of level `level` (and any ancestor it no longer
    /// holds) and returns it.
    fn rebuild(&mut self, levels: &[Level], level: usize, index: u32) -> &Rebuilt<T> {
        if self.rebuilt.len() <= level {
            self.rebuilt.resize_with(level + 1, || None);
        }
        self.path.clear();
        let (mut at, mut i) = (level, index);
        while !self.holds(at, i) {
            self.path.push(i);
            i = levels[at].entries[i as usize].parent;
            at -= 1;
        }
        while let Some(i) = self.path.pop() {
            let entry = levels[at + 1].entries[i as usize];
            let parent = self.rebuilt[at]
                .as_ref()
                .expect("the parent was just rebuilt");
            let (state, violation) = self
                .expander
                .successor(&parent.state, &parent.steps[entry.step as usize]);
            debug_assert!(
                violation.is_none(),
                "a state that broke an invariant was kept"
            );
            #[cfg(any(test, debug_assertions))]
            assert_eq!(
                self.expander.fingerprint(&state),
                levels[at + 1].fingerprints[i as usize],
                "replaying a path rebuilt a different state"
            );
            at += 1;
            let mut steps = match self.rebuilt[at].take() {
                Some(old) => old.steps,
                None => Vec::new(),
            };
            self.expander.steps(&state, &mut steps);
            self.rebuilt[at] = Some(Rebuilt {
                index: i,
                state,
                steps,
            });
        }
        self.rebuilt[level].as_ref().expect("just rebuilt")
    }
}

/// How a search ended.
pub(crate) struct Outcome<T: Explorable> {
    pub generated: u64,
    pub unique: u64,
    /// The deepest level whose states were all expanded.
    pub depth: u32,
    /// No state was left unexpanded within the bound: every reachable state up
    /// to the bound was seen.
    pub exhausted: bool,
    pub stopped: bool,
    /// The steps from the initial state to the first violation, and the violation.
    pub violation: Option<(Vec<Step<T::Node>>, Violation)>,
}

/// What one range of a round produced: new fingerprints and the entries that
/// reach them, in the order found.
struct Chunk {
    fresh: Vec<(u64, Entry)>,
    violation: Option<(Entry, Violation)>,
    generated: u64,
}

fn expand<T: Explorable>(
    worker: &mut Worker<'_, T>,
    levels: &[Level],
    range: Range<u32>,
    visited: &Visited,
) -> Chunk {
    let mut chunk = Chunk {
        fresh: Vec::new(),
        violation: None,
        generated: 0,
    };
    let level = levels.len() - 1;
    for index in range {
        worker.rebuild(levels, level, index);
        let Worker {
            expander, rebuilt, ..
        } = worker;
        let from = rebuilt[level].as_ref().expect("just rebuilt");
        for (step, taken) in from.steps.iter().enumerate() {
            let entry = Entry {
                parent: index,
                step: u32::try_from(step).expect("a state has more than 2^32 steps"),
            };
            let (next, violation) = expander.successor(&from.state, taken);
            chunk.generated += 1;
            if let Some(violation) = violation {
                chunk.violation = Some((entry, violation));
                return chunk;
            }
            let fingerprint = expander.fingerprint(&next);
            if !visited.contains(&fingerprint) {
                chunk.fresh.push((fingerprint, entry));
            }
        }
    }
    chunk
}

/// The steps from the initial state to `last` taken from the state at `index`
/// of the deepest level, taken again to name them.
fn path_to<T: Explorable>(
    expander: &mut Expander<T>,
    initial: &State<T>,
    levels: &[Level],
    index: u32,
    last: u32,
) -> Vec<Step<T::Node>> {
    let mut positions = vec![last];
    let mut i = index;
    for level in levels[1..].iter().rev() {
        let entry = level.entries[i as usize];
        positions.push(entry.step);
        i = entry.parent;
    }
    positions.reverse();
    let mut state = initial.clone();
    let mut steps = Vec::with_capacity(positions.len());
    let mut choices = Vec::new();
    for position in positions {
        expander.steps(&state, &mut choices);
        let step = choices.swap_remove(position as usize);
        state = expander.successor(&state, &step).0;
        steps.push(step);
    }
    steps
}

/// Explores from `initial` (already checked) to `bounds.depth` steps.
/// `progress` is called after every round; returning false stops the search.
pub(crate) fn search<T: Threaded>(
    expanders: &mut [Expander<T>],
    initial: State<T>,
    bounds: &Bounds,
    progress: &mut dyn FnMut(&Progress) -> bool,
) -> Outcome<T> {
    let mut visited = Visited::default();
    let root = expanders[0].fingerprint(&initial);
    visited.insert(root);
    let mut outcome = Outcome {
        generated: 0,
        unique: 1,
        depth: 0,
        exhausted: false,
        stopped: false,
        violation: None,
    };
    let mut levels = vec![Level::default()];
    levels[0].push(Entry { parent: 0, step: 0 }, root);
    let mut workers: Vec<Worker<T>> = expanders
        .iter_mut()
        .map(|expander| Worker::new(expander, &initial))
        .collect();
    let mut found = None;
    while outcome.depth < bounds.depth {
        // States of the last level are checked and counted but never expanded:
        // only their fingerprints are kept.
        let last = outcome.depth + 1 == bounds.depth;
        let mut next = Level::default();
        let mut found_at_level = 0u64;
        let size = levels[levels.len() - 1].len();
        let round = CHUNK * workers.len();
        let mut start = 0;
        while start < size {
            let end = size.min(start + round);
            let per_worker = (end - start).div_ceil(workers.len()).max(1);
            let range = |w: usize| {
                let from = (start + w * per_worker).min(end);
                from as u32..(from + per_worker).min(end) as u32
            };
            let chunks: Vec<Chunk> = if workers.len() == 1 {
                vec![expand(&mut workers[0], &levels, range(0), &visited)]
            } else {
                let (visited, levels) = (&visited, &levels);
                std::thread::scope(|scope| {
                    let handles: Vec<_> = workers
                        .iter_mut()
                        .enumerate()
                        .map(|(w, worker)| {
                            let part = range(w);
                            scope.spawn(move || expand(worker, levels, part, visited))
                        })
                        .collect();
                    handles
                        .into_iter()
                        .map(|handle| handle.join().expect("an explorer thread panicked"))
                        .collect()
                })
            };
            start = end;
            for chunk in chunks {
                outcome.generated += chunk.generated;
                if found.is_none() {
                    found = chunk.violation;
                }
                for (fingerprint, entry) in chunk.fresh {
                    if visited.insert(fingerprint) {
                        found_at_level += 1;
                        if !last {
                            next.push(entry, fingerprint);
                        }
                    }
                }
            }
            outcome.unique = visited.len() as u64;
            if let Some((entry, violation)) = found {
                drop(workers);
                let steps = path_to(
                    &mut expanders[0],
                    &initial,
                    &levels,
                    entry.parent,
                    entry.step,
                );
                outcome.violation = Some((steps, violation));
                return outcome;
            }
            let report = Progress {
                depth: outcome.depth + 1,
                generated: outcome.generated,
                unique: outcome.unique,
                frontier: found_at_level,
                walks: 0,
            };
            if !progress(&report) {
                outcome.stopped = true;
                return outcome;
            }
        }
        outcome.depth += 1;
        if found_at_level == 0 {
            outcome.exhausted = true;
            break;
        }
        levels.push(next);
    }
    outcome
}
