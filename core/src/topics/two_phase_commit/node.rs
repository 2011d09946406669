//! The processes of a two-phase commit run as one sans-IO [`Node`] type: node 0
//! is the [`Coordinator`], nodes 1..n are [`Participant`]s. This file only
//! dispatches; the rules are in `coordinator.rs` and `participant.rs`.

use crate::sim::node::{Cx, Node};
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::view::{Cell, NodeSummary, Palette};

use super::coordinator::Coordinator;
use super::lock_view::HoldsLocks;
use super::message::{Role, TransactionId, TwoPhaseMessage, TwoPhaseOp, TwoPhaseTimer};
use super::participant::{LockInterval, Participant};

/// Timing of the protocol, in virtual time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// A participant's part of a transaction takes this long (drawn uniformly).
    pub work_min: Duration,
    pub work_max: Duration,
    /// The coordinator aborts a transaction whose votes are not all in by then.
    pub vote_timeout: Duration,
    /// The coordinator sends its decision again to whoever has not acked.
    pub resend_decision: Duration,
    /// An uncertain participant first asks for the decision after this long...
    pub ask_first: Duration,
    /// ...and then again this often.
    pub ask_again: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        // With the default 10-30 ms one-way latency and 5-20 ms of work, every
        // vote is in within about 80 ms of the PREPARE.
        Timing {
            work_min: Duration::from_millis(5),
            work_max: Duration::from_millis(20),
            vote_timeout: Duration::from_millis(250),
            resend_decision: Duration::from_millis(150),
            ask_first: Duration::from_millis(250),
            ask_again: Duration::from_millis(200),
        }
    }
}

/// Deliberately broken variants; each is off in a correct run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TwoPhaseBugs {
    /// The coordinator keeps its decision only in memory, so after a restart
    /// it finds a start record without a decision and aborts.
    pub forget_decision_on_restart: bool,
    /// The coordinator decides COMMIT once a majority of the cluster (itself
    /// included) is ready, without waiting for every vote.
    pub commit_before_all_votes: bool,
}

/// A node of a two-phase commit run.
#[derive(Clone, Debug)]
pub enum TwoPhaseNode {
    Coordinator(Coordinator),
    Participant(Participant),
}

impl TwoPhaseNode {
    pub fn coordinator(&self) -> Option<&Coordinator> {
        match self {
            TwoPhaseNode::Coordinator(c) => Some(c),
            TwoPhaseNode::Participant(_) => None,
        }
    }

    pub fn participant(&self) -> Option<&Participant> {
        match self {
            TwoPhaseNode::Participant(p) => Some(p),
            TwoPhaseNode::Coordinator(_) => None,
        }
    }

    pub fn id(&self) -> NodeId {
        match self {
            TwoPhaseNode::Coordinator(c) => c.id(),
            TwoPhaseNode::Participant(p) => p.id(),
        }
    }

    pub fn role(&self) -> Role {
        match self {
            TwoPhaseNode::Coordinator(_) => Role::Coordinator,
            TwoPhaseNode::Participant(p) => p.role(),
        }
    }
}

impl HoldsLocks for TwoPhaseNode {
    fn lock_intervals(&self) -> &[LockInterval] {
        match self {
            TwoPhaseNode::Coordinator(_) => &[],
            TwoPhaseNode::Participant(p) => p.lock_intervals(),
        }
    }

    fn is_participant(&self) -> bool {
        matches!(self, TwoPhaseNode::Participant(_))
    }

    /// A prepared participant is uncertain: it cannot release its locks until
    /// it learns the decision.
    fn open_lock(&self, transaction: TransactionId) -> (&'static str, Palette) {
        match self.participant() {
            Some(p) if p.is_uncertain(transaction) => ("uncertain", Palette::Suspect),
            _ => ("locked", Palette::Contend),
        }
    }
}

impl Node for TwoPhaseNode {
    type Msg = TwoPhaseMessage;
    type Timer = TwoPhaseTimer;
    type Op = TwoPhaseOp;

    fn on_start(&mut self, cx: &mut Cx<Self>) {
        match self {
            TwoPhaseNode::Coordinator(c) => c.on_start(cx),
            TwoPhaseNode::Participant(p) => p.on_start(cx),
        }
    }

    fn on_message(&mut self, from: NodeId, msg: TwoPhaseMessage, cx: &mut Cx<Self>) {
        match self {
            TwoPhaseNode::Coordinator(c) => c.on_message(from, msg, cx),
            TwoPhaseNode::Participant(p) => p.on_message(from, msg, cx),
        }
    }

    fn on_timer(&mut self, timer: TwoPhaseTimer, cx: &mut Cx<Self>) {
        match self {
            TwoPhaseNode::Coordinator(c) => c.on_timer(timer, cx),
            TwoPhaseNode::Participant(p) => p.on_timer(timer, cx),
        }
    }

    fn on_operation(&mut self, operation: TwoPhaseOp, cx: &mut Cx<Self>) {
        match (self, operation) {
            (TwoPhaseNode::Coordinator(c), TwoPhaseOp::Begin { transaction }) => {
                c.begin(transaction, cx)
            }
            (TwoPhaseNode::Participant(p), TwoPhaseOp::VoteNo { participant })
                if participant == p.id() =>
            {
                p.refuse_next_transaction(cx)
            }
            (_, TwoPhaseOp::VoteNo { participant }) => cx.note(|| {
                format!(
                    "'{participant} votes no' is for {participant}: send it to that participant"
                )
            }),
            (TwoPhaseNode::Participant(_), TwoPhaseOp::Begin { transaction }) => cx.note(|| {
                format!("a participant cannot begin {transaction}: the coordinator (n0) does")
            }),
        }
    }

    fn on_timeout_now(&mut self, cx: &mut Cx<Self>) {
        match self {
            TwoPhaseNode::Coordinator(c) => c.on_timeout_now(cx),
            TwoPhaseNode::Participant(p) => p.on_timeout_now(cx),
        }
    }

    fn on_crash(&mut self) {
        match self {
            TwoPhaseNode::Coordinator(c) => c.on_crash(),
            TwoPhaseNode::Participant(p) => p.on_crash(),
        }
    }

    fn summary(&self) -> NodeSummary {
        match self {
            TwoPhaseNode::Coordinator(c) => c.summary(),
            TwoPhaseNode::Participant(p) => p.summary(),
        }
    }

    fn state_row(&self) -> Vec<Cell> {
        match self {
            TwoPhaseNode::Coordinator(c) => c.state_row(),
            TwoPhaseNode::Participant(p) => p.state_row(),
        }
    }
}

/// An instant as the state table prints it: whole milliseconds.
pub fn millis(time: Time) -> String {
    format!("{} ms", time.as_millis())
}
