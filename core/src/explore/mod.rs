//! Exhaustive, bounded exploration of a protocol topic's nodes: model checking
//! of the very `on_message` / `on_timer` code the simulator runs.
//!
//! **Problem.** A seed sweep samples runs: it finds bugs that random schedules
//! hit often, it says nothing about the schedules it did not draw, and what it
//! finds is a long run with dozens of irrelevant faults.
//!
//! **Idea.** Treat every choice the world makes as a branch and visit all of
//! them. From each state, any message in flight may be delivered next, lost or
//! delivered twice; any pending timer may fire (there is no clock, so every
//! order of timeouts is possible); a node may crash or restart (up to a bound);
//! and an input (a client request) may arrive. Breadth-first search visits each
//! state once, level by level, so the first violation it finds is reached by a
//! shortest path. States are remembered by 64-bit fingerprints, not kept whole
//! ([`fingerprint`]), and where a topic's nodes are interchangeable a state and
//! its renamings count once (symmetry reduction). The states still to expand are
//! not kept whole either: each is 8 bytes naming its parent and the step from
//! it, and is rebuilt by taking its path again when its turn comes (`search`'s
//! documentation says why). The checker's registries are
//! part of the state, so every invariant the simulator checks after each step is
//! checked here after each step too.
//!
//! **Deeper bugs.** The states grow about threefold a step on Raft, so the
//! search stops near twelve steps. A bug whose paths are longer (Figure 8 of the
//! Raft paper, about twenty) is found by random walks through the same steps
//! (`walk`, when [`Bounds::walks`] asks for them), whose first violating path
//! is minimized: no step of it can be left out, but a shorter one may exist.
//! Key-value clients can run as processes in the state ([`Bounds::clients`]);
//! their history is part of it, and is checked for linearizability as the
//! simulator checks it.
//!
//! **Follows** TLC's breadth-first search with fingerprints (Yu, Manolios and
//! Lamport, CHARME 1999), and stateright's actor model checking, whose network
//! semantics (unordered, lossy, duplicating) this mirrors. The counterexample
//! becomes a scenario in which the simulator holds every message and timer and
//! the path's steps release them one by one ([`crate::sim::action::Action::Hold`]),
//! so the player replays it exactly.
//!
//! **When to call what.** A topic opts in by implementing [`Explorable`] and
//! adding a line to [`EXPLORERS`]; callers find it with [`find`] and call its
//! `explore` with [`ExploreRequest`]: bounds, bug, threads. Progress comes back
//! after every round of a few thousand states.

pub mod fingerprint;
pub mod lines;
mod replay;
mod search;
mod state;
mod walk;

use crate::catalog;
use crate::lab::params::NODES;
use crate::lab::protocol::{ProtocolTopic, Setup};
use crate::lab::scenario::Scenario;
use crate::lab::topic::BuildError;
use crate::sim::time::{NodeId, Time};

use fingerprint::{Fingerprint, Rename};
use state::{Expander, Msg, Op, Timer};

/// How far an exploration goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
    /// Cluster size.
    pub nodes: usize,
    /// Steps from the initial state.
    pub depth: u32,
    /// Crashes along one path (each crashed node may restart).
    pub crashes: u32,
    /// Inputs (client requests) the topic may receive along one path.
    pub requests: u32,
    /// Client processes, for topics whose clients run on the network and whose
    /// history is checked (0: the inputs go straight to the focus node).
    pub clients: u32,
    /// Whether the network may lose messages.
    pub drop: bool,
    /// Whether the network may deliver a message more than once.
    pub duplicate: bool,
    /// 0: breadth-first search, every state within `depth` steps. Otherwise
    /// this many random walks of at most `depth` steps, for bugs deeper than
    /// the search reaches; the first violating walk's path is minimized
    /// (`walk`'s documentation).
    pub walks: u32,
}

/// A protocol topic whose nodes can be explored exhaustively.
pub trait Explorable: ProtocolTopic {
    /// Whether the nodes are interchangeable: renaming them yields an equivalent
    /// state (symmetry reduction).
    const SYMMETRIC: bool;

    /// The bounds `distlab explore TOPIC` uses when none are given.
    const DEFAULT_BOUNDS: Bounds;

    /// The bounds within which exploration finds `bug`: the conformance suite
    /// holds the topic to them. `None` if exploration does not reach it (say,
    /// it needs clients the explorer does not run).
    fn bug_bounds(bug: &str) -> Option<Bounds>;

    /// Sets the topic's parameters so that a run of the scenario has exactly the
    /// explored processes (no clients of its own, no automatic workload).
    fn configure(scenario: &mut Scenario, bounds: &Bounds);

    /// The inputs the world may send, each at most once along a path, and the
    /// node each goes to: `None` for the topic's focus node (the leader, say),
    /// or a client process.
    fn inputs(bounds: &Bounds) -> Vec<(Option<NodeId>, Op<Self>)>;

    /// Feeds a node's state into `hasher`, writing every node id it holds as
    /// `rename` says. Leave out what cannot change behaviour (counters kept for
    /// the view, constants).
    fn hash_node(node: &Self::Node, rename: &Rename, hasher: &mut Fingerprint);
    fn hash_message(message: &Msg<Self>, rename: &Rename, hasher: &mut Fingerprint);
    fn hash_timer(timer: &Timer<Self>, hasher: &mut Fingerprint);
    /// The checker's registries: whatever decides its future verdicts.
    fn hash_checker(checker: &Self::Checker, rename: &Rename, hasher: &mut Fingerprint);
}

/// An explorable topic whose states can be expanded on several threads at
/// once: its nodes, checker, messages, timers and inputs can be shared between
/// them. Every explorable topic whose types allow it is one.
pub trait Threaded:
    Explorable<
    Node: Send
              + Sync
              + crate::sim::node::Node<Msg: Send + Sync, Timer: Send + Sync, Op: Send + Sync>,
    Checker: Send + Sync,
>
{
}

impl<T> Threaded for T where
    T: Explorable<
        Node: Send
                  + Sync
                  + crate::sim::node::Node<Msg: Send + Sync, Timer: Send + Sync, Op: Send + Sync>,
        Checker: Send + Sync,
    >
{
}

/// What to explore.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExploreRequest {
    pub bounds: Bounds,
    pub bug: Option<String>,
    /// Worker threads (1 in the browser).
    pub jobs: usize,
    /// Symmetry reduction, where the topic declares it.
    pub symmetry: bool,
}

/// Where a search stands, after each round.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// The level being expanded (states at this many steps are being found).
    pub depth: u32,
    /// States computed, counting each time a state is reached again.
    pub generated: u64,
    /// Distinct states (fingerprints) seen.
    pub unique: u64,
    /// States found so far at `depth`.
    pub frontier: u64,
    /// Random walks taken (0 in a breadth-first search).
    pub walks: u64,
}

/// The shortest path to a violation, as the player opens it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counterexample {
    pub invariant: &'static str,
    pub message: String,
    /// One line per step, in order.
    pub steps: Vec<String>,
    /// The run that takes these steps: held, one action per step.
    pub scenario: Scenario,
    /// The instant of the violating step.
    pub time: Time,
    /// Whether the simulator, replaying `scenario`, breaks the same invariant
    /// at the last step (it always should; a test holds it to that).
    pub replays: bool,
    /// `None`: found by breadth-first search, so no path is shorter. Otherwise
    /// found by a random walk of this many steps, then minimized: no single
    /// step can be left out, but a shorter path may exist.
    pub walked: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExploreReport {
    /// States computed (steps taken, for walks).
    pub generated: u64,
    /// Random walks taken (0 in a breadth-first search); with a
    /// counterexample, the number of the walk that found it.
    pub walks: u64,
    pub unique: u64,
    /// Every state within this many steps was expanded.
    pub depth: u32,
    /// Every reachable state was seen before the depth bound.
    pub exhausted: bool,
    /// Stopped by the caller.
    pub stopped: bool,
    pub counterexample: Option<Counterexample>,
}

/// What an explorer runs: the request, and a progress callback that returns
/// false to stop.
pub type ExploreFn =
    fn(&ExploreRequest, &mut dyn FnMut(&Progress) -> bool) -> Result<ExploreReport, BuildError>;

/// A topic's explorer, as the CLI and the page's worker find it.
pub struct Explorer {
    pub slug: &'static str,
    pub default_bounds: Bounds,
    pub bug_bounds: fn(&str) -> Option<Bounds>,
    pub explore: ExploreFn,
}

/// The topics that opted in, one line each: module and type. Everything else is
/// made from this list, as [`catalog`]'s lists are from its table.
macro_rules! explorable {
    ($($module:ident :: $topic:ident),* $(,)?) => {
        /// Every topic that opted in, for the command line.
        pub static EXPLORERS: &[Explorer] =
            &[$(explorer::<crate::topics::$module::$topic>()),*];

        /// One list per topic, named like its module: that explorer alone.
        #[allow(non_upper_case_globals)]
        mod single {
            use super::*;
            $(pub static $module: &[Explorer] =
                &[explorer::<crate::topics::$module::$topic>()];)*
        }

        /// The explorers a bundle built for topic module `module` carries: its
        /// own (none if it cannot be explored), or all of them for `""`. Chosen
        /// at compile time, so a bundle links no other topic's explorer.
        pub const fn explorers_of_module(module: &str) -> &'static [Explorer] {
            $(
                if catalog::same(module.as_bytes(), stringify!($module).as_bytes()) {
                    return single::$module;
                }
            )*
            if module.is_empty() {
                EXPLORERS
            } else {
                &[]
            }
        }
    };
}

explorable!(
    raft::RaftTopic,
    paxos::PaxosTopic,
    two_phase_commit::TwoPhaseCommitTopic
);

/// The explorer of topic `slug` among `explorers`.
pub fn find_in(explorers: &'static [Explorer], slug: &str) -> Option<&'static Explorer> {
    explorers
        .iter()
        .find(|explorer| catalog::same(explorer.slug.as_bytes(), slug.as_bytes()))
}

/// The explorer of topic `slug`.
pub fn find(slug: &str) -> Option<&'static Explorer> {
    find_in(EXPLORERS, slug)
}

const fn explorer<T: Threaded>() -> Explorer {
    assert!(
        T::EXPLORABLE,
        "an explorable topic declares ProtocolTopic::EXPLORABLE"
    );
    Explorer {
        slug: T::INFO.slug,
        default_bounds: T::DEFAULT_BOUNDS,
        bug_bounds: T::bug_bounds,
        explore: explore::<T>,
    }
}

/// What a search starts from: the scenario of the run before any step, one
/// expander per thread, the initial state, and the first violation on the way
/// to it.
#[allow(clippy::type_complexity)]
fn prepare<T: Explorable>(
    request: &ExploreRequest,
) -> Result<
    (
        Scenario,
        Vec<Expander<T>>,
        state::State<T>,
        Option<crate::sim::checker::Violation>,
    ),
    BuildError,
> {
    let bounds = request.bounds;
    let bug = request.bug.as_deref();
    let base = replay::base_scenario::<T>(&bounds, bug);
    T::INFO.validate(&base)?;
    let nodes = if T::INFO.param_spec(NODES).is_some() {
        T::INFO.param(&base, NODES).max(1) as usize
    } else {
        T::FIXED_NODES
    };
    let bounds = Bounds { nodes, ..bounds };
    let setup = Setup {
        topic: T::INFO,
        scenario: &base,
        nodes,
    };
    let (members, checker) = T::setup(&setup);
    let mut expanders: Vec<Expander<T>> = (0..request.jobs.max(1))
        .map(|_| Expander::new(bounds, request.symmetry))
        .collect();
    let (initial, violation) = expanders[0].initial(members, checker);
    Ok((base, expanders, initial, violation))
}

/// Explores topic `T` within `request.bounds`; see the module's documentation.
pub fn explore<T: Threaded>(
    request: &ExploreRequest,
    progress: &mut dyn FnMut(&Progress) -> bool,
) -> Result<ExploreReport, BuildError> {
    let (base, mut expanders, initial, violation) = prepare::<T>(request)?;
    // With the cluster's size as the topic set it.
    let bounds = expanders[0].bounds;
    let finish = |steps: &[state::Step<T::Node>], violation: crate::sim::checker::Violation| {
        let (scenario, replays) =
            replay::scenario_of::<T>(base.clone(), steps, violation.invariant);
        Counterexample {
            invariant: violation.invariant,
            message: violation.message,
            steps: steps.iter().map(|step| step.describe()).collect(),
            scenario,
            time: Time::from_millis(steps.len() as u64),
            replays,
            walked: None,
        }
    };
    if let Some(violation) = violation {
        return Ok(ExploreReport {
            generated: 1,
            walks: 0,
            unique: 1,
            depth: 0,
            exhausted: false,
            stopped: false,
            counterexample: Some(finish(&[], violation)),
        });
    }
    if bounds.walks > 0 {
        let outcome = walk::walks(&mut expanders, &initial, &bounds, progress);
        return Ok(ExploreReport {
            generated: outcome.generated,
            walks: outcome.walks,
            unique: 0,
            depth: bounds.depth,
            exhausted: false,
            stopped: outcome.stopped,
            counterexample: outcome.violation.map(|(steps, violation)| Counterexample {
                walked: Some(outcome.walked),
                ..finish(&steps, violation)
            }),
        });
    }
    let outcome = search::search(&mut expanders, initial, &bounds, progress);
    Ok(ExploreReport {
        generated: outcome.generated,
        walks: 0,
        unique: outcome.unique,
        depth: outcome.depth,
        exhausted: outcome.exhausted,
        stopped: outcome.stopped,
        counterexample: outcome
            .violation
            .map(|(steps, violation)| finish(&steps, violation)),
    })
}

#[cfg(test)]
mod tests;
