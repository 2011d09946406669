//! Random walks through a topic's states, for bugs deeper than breadth-first
//! search can reach, and the minimizing of the path a walk finds.
//!
//! **Problem.** Breadth-first search proves that no path within its bound breaks
//! an invariant, but the states it must visit grow about threefold per step on
//! Raft: twelve steps are 37 million states, and Figure 8 of the Raft paper (a
//! leader counting replicas of an old term's entry) takes about twenty.
//!
//! **Idea.** Take many random paths instead: from the initial state, each walk
//! picks one of the state's steps uniformly at random (the same steps the search
//! takes, so timers fire as often as messages arrive and leaders change all the
//! time), up to the depth bound, and stops at the first violation. Walk `i` draws
//! from its own random stream, and walks are taken in rounds whose first
//! violating walk (by number) wins, so the result does not depend on the number
//! of threads. The violating path is then minimized: runs of its steps are left
//! out, halving the run length down to single steps, and a candidate is kept
//! when taking what remains of it (steps that are no longer possible are
//! skipped) still breaks the same invariant. The result is a path from which no
//! single step can be left out: short, though not proven shortest.
//!
//! **Follows** TLC's simulation mode and stateright's simulation checker (random
//! paths through the model, each state checked), and Zeller and Hildebrandt's
//! delta debugging (TSE 2002) for the minimizing.

use crate::sim::checker::Violation;
use crate::sim::node::Node;
use crate::sim::rng::Rng;

use super::state::{Expander, State, Step};
use super::{Bounds, Explorable, Progress, Threaded};

/// Walks each worker takes per round.
const ROUND: u64 = 64;

/// The random stream of walk `i` is `Rng::derive(STREAM, i)`.
const STREAM: u64 = 0x77_61_6c_6b;

/// A path to a violation, and the violation.
type Found<N> = (Vec<Step<N>>, Violation);

/// What one worker did in a round: the steps it took, and its first violating
/// walk's number and path.
type Taken<N> = (u64, Option<(u64, Found<N>)>);

/// How a set of walks ended.
pub(crate) struct WalkOutcome<N: Node> {
    /// Steps taken, over all walks (minimizing not counted; after a violation,
    /// this depends on the threads, which stop at their first).
    pub generated: u64,
    /// Walks taken; with a violation, the number of the walk that found it.
    pub walks: u64,
    pub stopped: bool,
    /// The minimized path to the first violation found, and the violation.
    pub violation: Option<Found<N>>,
    /// The length of the walk's path before minimizing.
    pub walked: u32,
}

/// Whether two steps do the same thing, in states that may differ: the same
/// message between the same nodes, the same timer, the same input.
fn same_step<N: Node>(a: &Step<N>, b: &Step<N>) -> bool {
    match (a, b) {
        (Step::Deliver(x), Step::Deliver(y))
        | (Step::Duplicate(x), Step::Duplicate(y))
        | (Step::Drop(x), Step::Drop(y)) => x.same(y),
        (Step::Fire(n, t), Step::Fire(m, u)) => n == m && t == u,
        (Step::Crash(n), Step::Crash(m)) | (Step::Restart(n), Step::Restart(m)) => n == m,
        (Step::Input(_, i, _), Step::Input(_, j, _)) => i == j,
        _ => false,
    }
}

/// One walk of at most `depth` steps from `initial`: its path and the violation
/// it ended with, if it broke an invariant.
fn walk_once<T: Explorable>(
    expander: &mut Expander<T>,
    initial: &State<T>,
    depth: u32,
    rng: &mut Rng,
    generated: &mut u64,
) -> Option<Found<T::Node>> {
    let mut state = initial.clone();
    let mut path = Vec::new();
    let mut choices = Vec::new();
    for _ in 0..depth {
        expander.steps(&state, &mut choices);
        if choices.is_empty() {
            return None;
        }
        let step = choices.swap_remove(rng.below(choices.len() as u64) as usize);
        let (next, violation) = expander.successor(&state, &step);
        *generated += 1;
        path.push(step);
        if let Some(violation) = violation {
            return Some((path, violation));
        }
        state = next;
    }
    None
}

/// Takes the steps of `wanted` from `initial`, skipping those the state does not
/// offer, up to the first violation; the steps taken and the violation if it is
/// one of `invariant`.
fn replay<'a, T: Explorable>(
    expander: &mut Expander<T>,
    initial: &State<T>,
    wanted: impl Iterator<Item = &'a Step<T::Node>>,
    invariant: &str,
) -> Option<Found<T::Node>>
where
    T::Node: 'a,
{
    let mut state = initial.clone();
    let mut taken = Vec::new();
    let mut choices = Vec::new();
    for wanted in wanted {
        expander.steps(&state, &mut choices);
        let Some(at) = choices.iter().position(|step| same_step(step, wanted)) else {
            continue;
        };
        let step = choices.swap_remove(at);
        let (next, violation) = expander.successor(&state, &step);
        taken.push(step);
        if let Some(violation) = violation {
            return (violation.invariant == invariant).then_some((taken, violation));
        }
        state = next;
    }
    None
}

/// Leaves out runs of steps of `path`, halving their length down to one, and
/// repeats single steps until none can go, keeping each candidate that still
/// breaks `violation`'s invariant (see the module's documentation).
pub(crate) fn minimize<T: Explorable>(
    expander: &mut Expander<T>,
    initial: &State<T>,
    mut path: Vec<Step<T::Node>>,
    mut violation: Violation,
) -> (Vec<Step<T::Node>>, Violation) {
    let mut size = (path.len() / 2).max(1);
    loop {
        let mut shrank = false;
        let mut start = 0;
        while start < path.len() {
            let end = (start + size).min(path.len());
            let candidate = path[..start].iter().chain(&path[end..]);
            match replay(expander, initial, candidate, violation.invariant) {
                Some((shorter, found)) if shorter.len() < path.len() => {
                    path = shorter;
                    violation = found;
                    shrank = true;
                }
                _ => start += size,
            }
        }
        if size > 1 {
            size /= 2;
        } else if !shrank {
            return (path, violation);
        }
    }
}

/// Takes `bounds.walks` walks of at most `bounds.depth` steps from `initial`
/// (already checked), in rounds split among the `expanders`; `progress` is
/// called after every round and returning false stops. The first violating
/// walk's path comes back minimized.
pub(crate) fn walks<T: Threaded>(
    expanders: &mut [Expander<T>],
    initial: &State<T>,
    bounds: &Bounds,
    progress: &mut dyn FnMut(&Progress) -> bool,
) -> WalkOutcome<T::Node> {
    let total = bounds.walks as u64;
    let mut outcome = WalkOutcome {
        generated: 0,
        walks: 0,
        stopped: false,
        violation: None,
        walked: 0,
    };
    let depth = bounds.depth;
    // Worker w takes walks first + w, first + w + workers, ... of a round.
    let take = |expander: &mut Expander<T>, walks: std::ops::Range<u64>, stride: usize| {
        let mut generated = 0;
        for i in walks.step_by(stride) {
            let mut rng = Rng::derive(STREAM, i);
            if let Some(found) = walk_once(expander, initial, depth, &mut rng, &mut generated) {
                return (generated, Some((i, found)));
            }
        }
        (generated, None)
    };
    while outcome.walks < total {
        let workers = expanders.len();
        let end = total.min(outcome.walks + ROUND * workers as u64);
        let range = outcome.walks..end;
        let results: Vec<Taken<T::Node>> = if workers == 1 {
            vec![take(&mut expanders[0], range, 1)]
        } else {
            std::thread::scope(|scope| {
                let handles: Vec<_> = expanders
                    .iter_mut()
                    .enumerate()
                    .map(|(w, expander)| {
                        let part = range.start + w as u64..range.end;
                        scope.spawn(move || take(expander, part, workers))
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|handle| handle.join().expect("an explorer thread panicked"))
                    .collect()
            })
        };
        outcome.walks = end;
        let mut first: Option<(u64, Found<T::Node>)> = None;
        for (generated, found) in results {
            outcome.generated += generated;
            if let Some((i, path)) = found {
                if first.as_ref().is_none_or(|(j, _)| i < *j) {
                    first = Some((i, path));
                }
            }
        }
        if let Some((i, (path, violation))) = first {
            // The walks that count are those up to the violating one: the
            // rest of its round depends on how the round was split.
            outcome.walks = i + 1;
            outcome.walked = path.len() as u32;
            outcome.violation = Some(minimize(&mut expanders[0], initial, path, violation));
            return outcome;
        }
        let report = Progress {
            depth,
            generated: outcome.generated,
            unique: 0,
            frontier: 0,
            walks: outcome.walks,
        };
        if !progress(&report) {
            outcome.stopped = true;
            return outcome;
        }
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explore::{prepare, ExploreRequest};
    use crate::topics::raft::{RaftTopic, BUG_COMMIT_OLD_TERM, BUG_NO_DEDUP, BUG_STALE_READ};

    /// The minimized path of each Raft bug found by walking still breaks its
    /// invariant, and leaving out any one of its steps no longer does.
    #[test]
    fn no_step_of_a_minimized_path_can_be_left_out() {
        for bug in [BUG_COMMIT_OLD_TERM, BUG_STALE_READ, BUG_NO_DEDUP] {
            let request = ExploreRequest {
                bounds: RaftTopic::bug_bounds(bug).unwrap(),
                bug: Some(bug.to_string()),
                jobs: 1,
                symmetry: true,
            };
            let (_, mut expanders, initial, none) = prepare::<RaftTopic>(&request).unwrap();
            assert!(none.is_none());
            let bounds = expanders[0].bounds;
            let outcome = walks(&mut expanders, &initial, &bounds, &mut |_| true);
            let (path, violation) = outcome.violation.expect(bug);
            assert!(path.len() < outcome.walked as usize, "{bug}: not minimized");
            let expander = &mut expanders[0];
            let again = replay(expander, &initial, path.iter(), violation.invariant);
            assert_eq!(
                again.map(|(taken, _)| taken.len()),
                Some(path.len()),
                "{bug}"
            );
            for left_out in 0..path.len() {
                let rest = path[..left_out].iter().chain(&path[left_out + 1..]);
                let found = replay(expander, &initial, rest, violation.invariant);
                assert!(found.is_none(), "{bug}: step {} can go", left_out + 1);
            }
        }
    }

    /// Correct Raft with clients, a crash, loss and duplication: no walk breaks
    /// an invariant, linearizability of the clients' history included.
    #[test]
    fn walks_through_correct_raft_with_clients_break_nothing() {
        let request = ExploreRequest {
            bounds: Bounds {
                depth: 60,
                crashes: 1,
                requests: 4,
                clients: 2,
                drop: true,
                duplicate: true,
                walks: 3_000,
                ..RaftTopic::DEFAULT_BOUNDS
            },
            bug: None,
            jobs: 2,
            symmetry: true,
        };
        let (_, mut expanders, initial, _) = prepare::<RaftTopic>(&request).unwrap();
        let bounds = expanders[0].bounds;
        let mut completed = 0;
        let outcome = walks(&mut expanders, &initial, &bounds, &mut |_| true);
        assert!(outcome.violation.is_none());
        assert_eq!(outcome.walks, 3_000);
        // The walks did reach the clients' operations: take one and count.
        let expander = &mut expanders[0];
        for i in 0..200 {
            let mut rng = Rng::derive(STREAM, i);
            let mut state = initial.clone();
            let mut choices = Vec::new();
            for _ in 0..60 {
                expander.steps(&state, &mut choices);
                if choices.is_empty() {
                    break;
                }
                let step = choices.swap_remove(rng.below(choices.len() as u64) as usize);
                state = expander.successor(&state, &step).0;
            }
            completed += state.history.events.len();
        }
        assert!(completed > 200, "{completed} history events in 200 walks");
    }
}
