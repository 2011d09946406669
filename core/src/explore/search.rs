//! Breadth-first search over the states of one topic, level by level.
//!
//! Level d holds the states first reached in d steps. Each level is expanded in
//! rounds of a few thousand states, split among the worker threads in contiguous
//! chunks; the visited set is only read while a round runs, and the round's new
//! states are merged afterwards in frontier order, the first of each fingerprint
//! winning. So the frontier, the counts and the counterexample are the same for
//! any number of threads, and the first violation found is one of the shortest.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use crate::sim::checker::Violation;

use super::state::{Expander, State};
use super::{Bounds, Explorable, Progress};

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
    pub violation: Option<(State<T>, Violation)>,
}

/// What one chunk of a round produced.
struct Chunk<T: Explorable> {
    fresh: Vec<(u64, State<T>)>,
    violation: Option<(State<T>, Violation)>,
    generated: u64,
}

fn expand<T: Explorable>(
    expander: &mut Expander<T>,
    states: &[State<T>],
    visited: &Visited,
) -> Chunk<T> {
    let mut chunk = Chunk {
        fresh: Vec::new(),
        violation: None,
        generated: 0,
    };
    let mut successors = Vec::new();
    for state in states {
        expander.successors(state, &mut successors);
        for (next, violation) in successors.drain(..) {
            chunk.generated += 1;
            if let Some(violation) = violation {
                chunk.violation = Some((next, violation));
                return chunk;
            }
            let fingerprint = expander.fingerprint(&next);
            if !visited.contains(&fingerprint) {
                chunk.fresh.push((fingerprint, next));
            }
        }
    }
    chunk
}

/// Explores from `initial` (already checked) to `bounds.depth` steps.
/// `progress` is called after every round; returning false stops the search.
pub(crate) fn search<T>(
    expanders: &mut [Expander<T>],
    initial: State<T>,
    bounds: &Bounds,
    progress: &mut dyn FnMut(&Progress) -> bool,
) -> Outcome<T>
where
    T: Explorable,
    T::Node: Send + Sync,
    T::Checker: Send + Sync,
    super::state::Msg<T>: Send + Sync,
    super::state::Timer<T>: Send + Sync,
    super::state::Op<T>: Send + Sync,
{
    let mut visited = Visited::default();
    visited.insert(expanders[0].fingerprint(&initial));
    let mut outcome = Outcome {
        generated: 0,
        unique: 1,
        depth: 0,
        exhausted: false,
        stopped: false,
        violation: None,
    };
    // Kept in reverse, so each round takes its states off the end and the
    // states already expanded are freed as the level goes.
    let mut frontier = vec![initial];
    while outcome.depth < bounds.depth {
        // States of the last level are checked and counted but never expanded:
        // only their fingerprints are kept.
        let last = outcome.depth + 1 == bounds.depth;
        let mut next: Vec<State<T>> = Vec::new();
        let mut found_at_level = 0u64;
        let round = CHUNK * expanders.len();
        while !frontier.is_empty() {
            let mut states = frontier.split_off(frontier.len().saturating_sub(round));
            states.reverse();
            let per_worker = states.len().div_ceil(expanders.len()).max(1);
            let chunks: Vec<Chunk<T>> = if expanders.len() == 1 {
                vec![expand(&mut expanders[0], &states, &visited)]
            } else {
                let visited = &visited;
                std::thread::scope(|scope| {
                    let handles: Vec<_> = expanders
                        .iter_mut()
                        .zip(states.chunks(per_worker))
                        .map(|(expander, part)| {
                            scope.spawn(move || expand(expander, part, visited))
                        })
                        .collect();
                    handles
                        .into_iter()
                        .map(|handle| handle.join().expect("an explorer thread panicked"))
                        .collect()
                })
            };
            drop(states);
            for chunk in chunks {
                outcome.generated += chunk.generated;
                if outcome.violation.is_none() {
                    outcome.violation = chunk.violation;
                }
                for (fingerprint, state) in chunk.fresh {
                    if visited.insert(fingerprint) {
                        found_at_level += 1;
                        if !last {
                            next.push(state);
                        }
                    }
                }
            }
            outcome.unique = visited.len() as u64;
            if outcome.violation.is_some() {
                return outcome;
            }
            let report = Progress {
                depth: outcome.depth + 1,
                generated: outcome.generated,
                unique: outcome.unique,
                frontier: found_at_level,
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
        next.reverse();
        frontier = next;
    }
    outcome
}
