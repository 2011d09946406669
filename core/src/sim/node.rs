//! The contract between a protocol node and the simulator.
//!
//! A node is a sans-IO state machine in the style of quinn-proto and stateright's
//! actors: the simulator calls one `on_*` handler per event, passing a [`Cx`] that
//! carries the node's local time and RNG and collects what the node wants to do
//! (send, set or cancel a timer, explain itself). The simulator then turns those
//! effects into queue entries and trace events. Nodes never see the queue, the
//! network or the trace.
//!
//! When to call what:
//! - [`Node::on_start`] once when the run starts and again after every restart;
//! - [`Node::on_message`] when a message arrives (never while the node is down);
//! - [`Node::on_timer`] when a timer set through [`Cx::set_timer`] fires and was
//!   neither cancelled nor replaced nor lost to a crash;
//! - [`Node::on_operation`] when one of the topic's own operations (a client
//!   request, a proposal, a traitor switch) is addressed or routed to the node;
//! - [`Node::on_crash`] when the node crashes: it must drop every volatile field and
//!   keep only what the topic declares durable.

use super::action::Operation;
use super::rng::Rng;
use super::time::{Duration, NodeId, Time};
use super::view::{Cell, NodeSummary};
use crate::history::HistoryEvent;

/// Something the trace can name and describe: messages and timers.
pub trait Labelled {
    /// A short, fixed type name (`AppendEntries`, `election`).
    fn kind(&self) -> &'static str;
    /// A one-line description with the interesting fields. Only called when the
    /// trace is on, so it may allocate.
    fn label(&self) -> String;
}

/// A timer operation requested by a handler.
#[derive(Clone, Debug)]
pub(crate) enum TimerOp<T> {
    Set(T, Duration),
    Cancel(T),
}

/// The buffers a handler writes its effects into; owned by the simulator and reused
/// across steps so the hot path does not allocate.
pub(crate) struct Effects<M, T> {
    pub sends: Vec<(NodeId, M)>,
    pub timers: Vec<TimerOp<T>>,
    pub notes: Vec<String>,
    pub history: Vec<HistoryEvent>,
}

impl<M, T> Default for Effects<M, T> {
    fn default() -> Self {
        Effects {
            sends: Vec::new(),
            timers: Vec::new(),
            notes: Vec::new(),
            history: Vec::new(),
        }
    }
}

/// The context of one handler call: identity, local time, randomness, and the
/// effect buffers.
pub struct Cx<'a, N: Node> {
    id: NodeId,
    now: Time,
    cluster_size: usize,
    tracing: bool,
    /// This node's own random stream, derived from the scenario seed.
    pub rng: &'a mut Rng,
    effects: &'a mut Effects<N::Msg, N::Timer>,
}

impl<'a, N: Node> Cx<'a, N> {
    pub(crate) fn new(
        id: NodeId,
        now: Time,
        cluster_size: usize,
        tracing: bool,
        rng: &'a mut Rng,
        effects: &'a mut Effects<N::Msg, N::Timer>,
    ) -> Self {
        Cx {
            id,
            now,
            cluster_size,
            tracing,
            rng,
            effects,
        }
    }

    /// The node being called.
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// The node's local clock (virtual time shifted by its clock skew).
    pub fn now(&self) -> Time {
        self.now
    }

    /// Number of nodes in the cluster; ids are `0..cluster_size`.
    pub fn cluster_size(&self) -> usize {
        self.cluster_size
    }

    /// Every other node's id, in order.
    pub fn peers(&self) -> impl Iterator<Item = NodeId> {
        let me = self.id;
        (0..self.cluster_size as u32)
            .map(NodeId)
            .filter(move |&peer| peer != me)
    }

    /// Sends `msg` to `to` through the simulated network.
    pub fn send(&mut self, to: NodeId, msg: N::Msg) {
        self.effects.sends.push((to, msg));
    }

    /// Sends a copy of `msg` to every other node.
    pub fn broadcast(&mut self, msg: N::Msg)
    where
        N::Msg: Clone,
    {
        for peer in 0..self.cluster_size as u32 {
            if peer != self.id.0 {
                self.effects.sends.push((NodeId(peer), msg.clone()));
            }
        }
    }

    /// Fires `timer` after `after` of local time, replacing a pending timer equal to it.
    pub fn set_timer(&mut self, timer: N::Timer, after: Duration) {
        self.effects.timers.push(TimerOp::Set(timer, after));
    }

    /// Cancels the pending timer equal to `timer`, if any.
    pub fn cancel_timer(&mut self, timer: N::Timer) {
        self.effects.timers.push(TimerOp::Cancel(timer));
    }

    /// Records a client's invocation or completion in the run's history. The
    /// simulator stamps it with the global virtual time (not the node's skewed
    /// clock), so the history orders events as they really happened. Recorded
    /// whether or not the trace is on: the history is what the linearizability
    /// check reads.
    pub fn record(&mut self, event: HistoryEvent) {
        self.effects.history.push(event);
    }

    /// Records an explanation in the trace. The closure runs only when the trace is
    /// on, so notes cost nothing in benchmarks and seed sweeps.
    pub fn note(&mut self, text: impl FnOnce() -> String) {
        if self.tracing {
            self.effects.notes.push(text());
        }
    }
}

/// A sans-IO protocol node.
pub trait Node: Sized {
    type Msg: Clone + Labelled;
    type Timer: Clone + PartialEq + Labelled;
    /// The topic's own operations ([`super::action::NoOperation`] if it has none).
    type Op: Operation;

    fn on_start(&mut self, cx: &mut Cx<Self>);
    fn on_message(&mut self, from: NodeId, msg: Self::Msg, cx: &mut Cx<Self>);
    fn on_timer(&mut self, timer: Self::Timer, cx: &mut Cx<Self>);

    /// One of the topic's operations, addressed to this node or routed to it.
    fn on_operation(&mut self, operation: Self::Op, cx: &mut Cx<Self>) {
        let _ = operation;
        cx.note(|| "this node takes no operations".to_string());
    }

    /// The person asked this node to act now as if its main timeout fired (Raft:
    /// start an election). Used by scenarios to script who runs first.
    fn on_timeout_now(&mut self, cx: &mut Cx<Self>) {
        cx.note(|| "this node has no timeout to force".to_string());
    }

    /// Forget all volatile state; keep what the topic declares durable.
    fn on_crash(&mut self);

    /// What the cluster view draws.
    fn summary(&self) -> NodeSummary;

    /// Whether this process is a client of the service (the view draws clients
    /// beside the cluster). Most topics have none.
    fn is_client(&self) -> bool {
        false
    }

    /// This node's cells in the state table, after the two the simulator fills:
    /// the node's id and its role (or "crashed" while it is down). The topic's
    /// `columns` name all of them.
    fn state_row(&self) -> Vec<Cell>;
}
