//! One state of an exploration and the steps that lead out of it.
//!
//! A state is what the nodes hold, which of them run, each one's pending timers,
//! the multiset of messages in flight, and the checker's registries (what was
//! committed, who led which term): the checker's memory is part of the state, as
//! a history variable is in TLA+, so two paths that reach the same nodes but
//! have seen different things are not merged. There is no clock: any pending
//! timer may fire next, and any message in flight may be delivered, dropped or
//! delivered again. Where the topic runs clients, the history of their
//! operations is part of the state too (its order, not its times: the order is
//! what linearizability reads), and it is checked after every step in which an
//! operation completed, as the simulator does.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::history::{EventKind, History};

use crate::lab::protocol::ProtocolTopic;
use crate::sim::checker::{Checker, Violation};
use crate::sim::node::{Cx, Effects, Labelled, Node, TimerOp};
use crate::sim::rng::Rng;
use crate::sim::time::{NodeId, Time};

use super::fingerprint::{mix, Fingerprint, Rename};
use super::{Bounds, Explorable};

pub(crate) type Msg<T> = <<T as ProtocolTopic>::Node as Node>::Msg;
pub(crate) type Timer<T> = <<T as ProtocolTopic>::Node as Node>::Timer;
pub(crate) type Op<T> = <<T as ProtocolTopic>::Node as Node>::Op;

/// A message in flight, shared by every state that has it in flight.
pub(crate) struct Flight<M> {
    pub from: NodeId,
    pub to: NodeId,
    pub msg: M,
    /// The message's fingerprint with ids as they are: equal messages have equal
    /// ones, which is how copies are told apart from different messages.
    pub plain: u64,
    /// Per renaming, this message's share of the state's fingerprint.
    hashes: Box<[u64]>,
}

impl<M> Flight<M> {
    pub fn same(&self, other: &Flight<M>) -> bool {
        self.from == other.from && self.to == other.to && self.plain == other.plain
    }
}

/// One step out of a state.
pub(crate) enum Step<N: Node> {
    /// The message arrives and leaves the network.
    Deliver(Arc<Flight<N::Msg>>),
    /// A copy arrives; the message stays in flight.
    Duplicate(Arc<Flight<N::Msg>>),
    /// The network loses the message.
    Drop(Arc<Flight<N::Msg>>),
    /// A pending timer fires.
    Fire(NodeId, N::Timer),
    Crash(NodeId),
    Restart(NodeId),
    /// Input number `index` of the topic's inputs reaches `node`.
    Input(NodeId, usize, N::Op),
}

impl<N: Node> Step<N> {
    /// One line a person reads in the counterexample.
    pub fn describe(&self) -> String {
        match self {
            Step::Deliver(f) => format!("{} receives {} from {}", f.to, f.msg.label(), f.from),
            Step::Duplicate(f) => format!(
                "{} receives a copy of {} from {} (the message stays in flight)",
                f.to,
                f.msg.label(),
                f.from
            ),
            Step::Drop(f) => format!(
                "the network loses {} from {} to {}",
                f.msg.label(),
                f.from,
                f.to
            ),
            Step::Fire(node, timer) => format!("{node}'s {} timer fires", timer.kind()),
            Step::Crash(node) => format!("{node} crashes"),
            Step::Restart(node) => format!("{node} restarts"),
            Step::Input(node, _, op) => format!("{op} reaches {node}"),
        }
    }
}

/// The most nodes an exploration runs (states keep their up flags inline).
pub const MAX_NODES: usize = 8;

pub(crate) struct State<T: ProtocolTopic> {
    pub nodes: Vec<T::Node>,
    pub up: [bool; MAX_NODES],
    /// Every node's pending timers, as (node, timer): a set per node (setting a
    /// timer again replaces it), kept in one vector so a state costs one
    /// allocation for them, not one per node.
    pub timers: Vec<(NodeId, Timer<T>)>,
    pub flight: Vec<Arc<Flight<Msg<T>>>>,
    pub checker: Arc<T::Checker>,
    /// The clients' operations so far (empty where the topic runs none).
    pub history: Arc<History>,
    /// The history's share of the fingerprint: its events in order, without
    /// their times.
    history_hash: u64,
    /// Bit i: input i was used.
    pub inputs_used: u64,
    pub crashes: u32,
    pub depth: u32,
    /// Node i's share of the fingerprint under renaming r, at `i * renamings + r`
    /// (its state, whether it runs, its timers), redone only for the node a step
    /// changes; then the checker's share under each renaming. One vector, so a
    /// state costs one allocation for them.
    hashes: Vec<u64>,
}

impl<T: ProtocolTopic> State<T> {
    /// The checker's share of the fingerprint, one per renaming.
    fn checker_hashes(&self) -> &[u64] {
        let renamings = self.hashes.len() / (self.nodes.len() + 1);
        &self.hashes[self.nodes.len() * renamings..]
    }
}

impl<T: ProtocolTopic> Clone for State<T> {
    fn clone(&self) -> Self {
        State {
            nodes: self.nodes.clone(),
            up: self.up,
            timers: self.timers.clone(),
            flight: self.flight.clone(),
            checker: self.checker.clone(),
            history: self.history.clone(),
            history_hash: self.history_hash,
            inputs_used: self.inputs_used,
            crashes: self.crashes,
            depth: self.depth,
            hashes: self.hashes.clone(),
        }
    }
}

/// What one worker needs to expand states: the bounds, the inputs, the renamings
/// for symmetry, and reusable buffers.
pub(crate) struct Expander<T: Explorable> {
    pub bounds: Bounds,
    /// Each input and the node it goes to (`None`: the topic's focus).
    pub inputs: Vec<(Option<NodeId>, Op<T>)>,
    renames: Vec<Rename>,
    effects: Effects<Msg<T>, Timer<T>>,
    found: Vec<Violation>,
    /// Handlers draw timeouts from it; durations mean nothing without a clock,
    /// so it is not part of the state. Reset before every handler, so taking a
    /// step is a function of the state and the step alone: the search keeps
    /// paths, not states, and rebuilds a state by taking its path again.
    rng: Rng,
}

impl<T: Explorable> Expander<T> {
    pub fn new(bounds: Bounds, symmetry: bool) -> Self {
        let renames = if symmetry && T::SYMMETRIC && bounds.nodes <= 5 {
            Rename::all(bounds.nodes)
        } else {
            vec![Rename::identity(bounds.nodes)]
        };
        Expander {
            inputs: T::inputs(&bounds),
            bounds,
            renames,
            effects: Effects::default(),
            found: Vec::new(),
            rng: Rng::derive(0, 0),
        }
    }

    /// The state after every node started, and the first violation on the way.
    pub fn initial(
        &mut self,
        nodes: Vec<T::Node>,
        checker: T::Checker,
    ) -> (State<T>, Option<Violation>) {
        let count = nodes.len().min(MAX_NODES);
        let mut state = State {
            nodes,
            up: [false; MAX_NODES],
            timers: Vec::new(),
            flight: Vec::new(),
            checker: Arc::new(checker),
            history: Arc::new(History::new()),
            history_hash: 0,
            inputs_used: 0,
            crashes: 0,
            depth: 0,
            hashes: vec![0; (count + 1) * self.renames.len()],
        };
        state.nodes.truncate(count);
        state.up[..count].fill(true);
        let mut first = None;
        for i in 0..count {
            let node = NodeId(i as u32);
            let completed = self.run(&mut state, node, Time::ZERO, |n, cx| n.on_start(cx));
            let found = self.check(&mut state, node, Time::ZERO, completed);
            first = first.or(found);
        }
        for i in 0..count {
            self.rehash_node(&mut state, i);
        }
        (state, first)
    }

    /// Replaces `out` with the steps out of `state`, in a fixed order: a step is
    /// named by its position in this list, so the order depends on nothing but
    /// the state.
    pub fn steps(&self, state: &State<T>, out: &mut Vec<Step<T::Node>>) {
        out.clear();
        for (i, flight) in state.flight.iter().enumerate() {
            if state.flight[..i].iter().any(|earlier| earlier.same(flight)) {
                continue;
            }
            if state.up[flight.to.index()] {
                out.push(Step::Deliver(flight.clone()));
                if self.bounds.duplicate {
                    out.push(Step::Duplicate(flight.clone()));
                }
            }
            if self.bounds.drop {
                out.push(Step::Drop(flight.clone()));
            }
        }
        for (node, timer) in &state.timers {
            if state.up[node.index()] {
                out.push(Step::Fire(*node, timer.clone()));
            }
        }
        let count = state.nodes.len();
        let focus = T::focus(&state.nodes, &state.up[..count]);
        for (index, (to, op)) in self.inputs.iter().enumerate() {
            let to = match to {
                Some(node) => Some(*node).filter(|node| state.up.get(node.index()) == Some(&true)),
                None => focus,
            };
            if let Some(to) = to.filter(|_| state.inputs_used & (1 << index) == 0) {
                out.push(Step::Input(to, index, op.clone()));
            }
        }
        let servers = self.bounds.nodes.min(count);
        if state.crashes < self.bounds.crashes {
            for i in 0..servers {
                if state.up[i] {
                    out.push(Step::Crash(NodeId(i as u32)));
                }
            }
        }
        for i in 0..servers {
            if !state.up[i] {
                out.push(Step::Restart(NodeId(i as u32)));
            }
        }
    }

    /// The state `step` leads to from `state`, and the first violation the step
    /// broke. The same state and step always give the same result.
    pub fn successor(
        &mut self,
        state: &State<T>,
        step: &Step<T::Node>,
    ) -> (State<T>, Option<Violation>) {
        let mut next = state.clone();
        let violation = self.apply(&mut next, step);
        next.depth += 1;
        if violation.is_none() && next.checker_hashes() == state.checker_hashes() {
            // The registries did not change: share the parent's checker (its
            // caches are older, which only means it rechecks a little more).
            next.checker = state.checker.clone();
        }
        (next, violation)
    }

    /// Takes `step` in `state`; the first violation it causes.
    fn apply(&mut self, state: &mut State<T>, step: &Step<T::Node>) -> Option<Violation> {
        // Step k of a path happens at k milliseconds, as in its replay.
        let now = Time::from_millis(state.depth as u64 + 1);
        let mut completed = false;
        let changed = match step {
            Step::Deliver(flight) | Step::Duplicate(flight) | Step::Drop(flight) => {
                if !matches!(step, Step::Duplicate(_)) {
                    if let Some(at) = state.flight.iter().position(|f| f.same(flight)) {
                        state.flight.remove(at);
                    }
                }
                if matches!(step, Step::Drop(_)) {
                    return None;
                }
                let (from, msg) = (flight.from, flight.msg.clone());
                completed = self.run(state, flight.to, now, |n, cx| n.on_message(from, msg, cx));
                flight.to
            }
            Step::Fire(node, timer) => {
                state.timers.retain(|(n, t)| !(n == node && t == timer));
                let timer = timer.clone();
                completed = self.run(state, *node, now, |n, cx| n.on_timer(timer, cx));
                *node
            }
            Step::Crash(node) => {
                state.up[node.index()] = false;
                state.timers.retain(|(n, _)| n != node);
                state.nodes[node.index()].on_crash();
                state.crashes += 1;
                *node
            }
            Step::Restart(node) => {
                state.up[node.index()] = true;
                completed = self.run(state, *node, now, |n, cx| n.on_start(cx));
                *node
            }
            Step::Input(node, index, op) => {
                state.inputs_used |= 1 << index;
                let op = op.clone();
                completed = self.run(state, *node, now, |n, cx| n.on_operation(op, cx));
                *node
            }
        };
        self.rehash_node(state, changed.index());
        self.check(state, changed, now, completed)
    }

    /// Runs one handler on `node` and applies its timers, sends and history
    /// events to `state`; whether an operation completed.
    fn run(
        &mut self,
        state: &mut State<T>,
        node: NodeId,
        now: Time,
        handler: impl FnOnce(&mut T::Node, &mut Cx<T::Node>),
    ) -> bool {
        let count = state.nodes.len();
        self.rng = Rng::derive(0, 0);
        {
            let mut cx = Cx::new(node, now, count, false, &mut self.rng, &mut self.effects);
            handler(&mut state.nodes[node.index()], &mut cx);
        }
        let timers = &mut state.timers;
        for op in self.effects.timers.drain(..) {
            match op {
                TimerOp::Set(timer, _) => {
                    if !timers.iter().any(|(n, t)| *n == node && *t == timer) {
                        timers.push((node, timer));
                    }
                }
                TimerOp::Cancel(timer) => timers.retain(|(n, t)| !(*n == node && *t == timer)),
            }
        }
        for (to, msg) in self.effects.sends.drain(..) {
            if to.index() >= count {
                continue;
            }
            let share = |rename: &Rename| {
                let mut hasher = Fingerprint::default();
                rename.write(Some(node), &mut hasher);
                rename.write(Some(to), &mut hasher);
                T::hash_message(&msg, rename, &mut hasher);
                mix(hasher.finish())
            };
            let hashes: Box<[u64]> = self.renames.iter().map(share).collect();
            let mut plain = Fingerprint::default();
            T::hash_message(&msg, &Rename::identity(count), &mut plain);
            state.flight.push(Arc::new(Flight {
                from: node,
                to,
                plain: plain.finish(),
                msg,
                hashes,
            }));
        }
        self.effects.notes.clear();
        let mut completed = false;
        for mut event in self.effects.history.drain(..) {
            event.time = now;
            completed |= event.kind != EventKind::Invoke;
            let mut hasher = Fingerprint::default();
            state.history_hash.hash(&mut hasher);
            (event.process, event.kind, event.function, event.key).hash(&mut hasher);
            event.value.hash(&mut hasher);
            state.history_hash = hasher.finish();
            Arc::make_mut(&mut state.history).push(event);
        }
        completed
    }

    /// Checks the invariants after a step that changed `changed` (and the
    /// history, if an operation `completed`).
    fn check(
        &mut self,
        state: &mut State<T>,
        changed: NodeId,
        now: Time,
        completed: bool,
    ) -> Option<Violation> {
        self.found.clear();
        let count = state.nodes.len();
        let checker = Arc::make_mut(&mut state.checker);
        checker.check(
            &state.nodes,
            &state.up[..count],
            changed,
            now,
            &mut self.found,
        );
        if completed {
            checker.check_history(&state.history, now, &mut self.found);
        }
        for (r, rename) in self.renames.iter().enumerate() {
            let mut hasher = Fingerprint::default();
            T::hash_checker(&state.checker, rename, &mut hasher);
            let at = state.nodes.len() * self.renames.len() + r;
            state.hashes[at] = hasher.finish();
        }
        self.found.drain(..).next()
    }

    /// Recomputes node `i`'s shares of the fingerprint.
    fn rehash_node(&self, state: &mut State<T>, i: usize) {
        let own = state.timers.iter().filter(|(n, _)| n.index() == i);
        let timers = own.fold(0u64, |sum, (_, timer)| {
            let mut one = Fingerprint::default();
            T::hash_timer(timer, &mut one);
            sum.wrapping_add(mix(one.finish()))
        });
        let renamings = self.renames.len();
        for (r, rename) in self.renames.iter().enumerate() {
            let mut hasher = Fingerprint::default();
            hasher.write_u8(state.up[i] as u8);
            hasher.write_u64(timers);
            T::hash_node(&state.nodes[i], rename, &mut hasher);
            state.hashes[i * renamings + r] = hasher.finish();
        }
    }

    /// The state's fingerprint: the smallest over the renamings of its
    /// interchangeable nodes (just the one renaming without symmetry).
    pub fn fingerprint(&self, state: &State<T>) -> u64 {
        let renamings = self.renames.len();
        (0..renamings)
            .map(|r| {
                let rename = &self.renames[r];
                let mut hasher = Fingerprint::default();
                for new in 0..state.nodes.len() {
                    hasher.write_u64(state.hashes[rename.old(new) * renamings + r]);
                }
                // A multiset: the order messages were sent in does not matter.
                let flight = state
                    .flight
                    .iter()
                    .fold(0u64, |sum, flight| sum.wrapping_add(flight.hashes[r]));
                hasher.write_u64(flight);
                hasher.write_u64(state.checker_hashes()[r]);
                hasher.write_u64(state.history_hash);
                hasher.write_u64(state.inputs_used);
                hasher.write_u32(state.crashes);
                hasher.finish()
            })
            .min()
            .unwrap_or(0)
    }
}
