//! The processes of a three-phase commit run as one sans-IO [`Node`] type: node
//! 0 is the [`Coordinator`], nodes 1..n are [`Participant`]s. This file only
//! dispatches, and holds what both share: the timing, the bug switches, and the
//! [`Outbox`] through which a site broadcasts one message at a time.

use crate::sim::node::{Cx, Node};
use crate::sim::time::{Duration, NodeId};
use crate::sim::view::{Cell, NodeSummary, Palette};
use crate::topics::two_phase_commit::lock_view::HoldsLocks;
use crate::topics::two_phase_commit::participant::LockInterval;

use super::coordinator::Coordinator;
use super::message::{ThreePhaseMessage, ThreePhaseOp, ThreePhaseTimer, TransactionId};
use super::participant::{Participant, Phase};

/// Timing of the protocol, in virtual time. With the default 10-30 ms one-way
/// latency, reordering adds up to 60 ms more, so a message takes at most 90
/// ms; every timeout below waits for the slowest answer it could get, so that
/// (without loss or partitions) a timeout means a crash, as Skeen's model says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// A participant's part of a transaction takes this long (drawn uniformly).
    pub work_min: Duration,
    pub work_max: Duration,
    /// Between two messages of one broadcast.
    pub send_gap: Duration,
    /// The coordinator aborts if the votes are not all in by then.
    pub vote_timeout: Duration,
    /// The coordinator commits if the pre-commit acks are not all in by then.
    pub ack_timeout: Duration,
    /// The coordinator sends the outcome again to whoever has not acked.
    pub resend_decision: Duration,
    /// An uncertain or pre-committed participant waits this long for the
    /// protocol to move on before it presumes its coordinator crashed...
    pub wait: Duration,
    /// ...plus this much per participant below it, so the lowest-numbered
    /// live participant is the first to time out (the election).
    pub rank_step: Duration,
    /// After answering a termination coordinator, wait this long (plus the
    /// rank) for its outcome before taking over.
    pub join_wait: Duration,
    /// A termination coordinator's wait for state reports, and for acks.
    pub collect: Duration,
    /// A site back from a crash asks for the outcome this often.
    pub ask_again: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            work_min: Duration::from_millis(5),
            work_max: Duration::from_millis(20),
            send_gap: Duration::from_millis(10),
            vote_timeout: Duration::from_millis(300),
            ack_timeout: Duration::from_millis(250),
            resend_decision: Duration::from_millis(200),
            wait: Duration::from_millis(500),
            rank_step: Duration::from_millis(300),
            join_wait: Duration::from_millis(800),
            collect: Duration::from_millis(300),
            ask_again: Duration::from_millis(200),
        }
    }
}

/// Deliberately broken variants; each is off in a correct run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ThreePhaseBugs {
    /// The coordinator sends DoCommit as soon as every vote is YES, skipping
    /// the pre-commit round: two-phase commit with three-phase commit's
    /// timeouts.
    pub commit_without_precommit: bool,
    /// A participant that times out applies the timeout rule on its own
    /// (uncertain: abort; pre-committed: commit) instead of electing a new
    /// coordinator that looks at everyone's state.
    pub timeout_decides_alone: bool,
}

/// The messages a site still has to send of its broadcasts, sent one every
/// `send_gap` per transaction: a crash between two of them leaves a broadcast
/// half done, which is the failure three-phase commit exists for. Each
/// transaction's broadcasts go out on their own, so a busy site does not delay
/// one transaction's messages behind another's (its timeouts assume they
/// leave at once). Volatile.
#[derive(Clone, Debug, Default)]
pub struct Outbox {
    queue: Vec<(TransactionId, NodeId, ThreePhaseMessage)>,
}

impl Outbox {
    /// Queues `message` to each of `to`; the first leaves now unless the
    /// transaction's previous broadcast is still going out.
    pub fn send_all(
        &mut self,
        to: impl IntoIterator<Item = NodeId>,
        message: ThreePhaseMessage,
        gap: Duration,
        cx: &mut Cx<ThreePhaseNode>,
    ) {
        let transaction = message.transaction();
        let idle = !self.queue.iter().any(|(t, _, _)| *t == transaction);
        self.queue.extend(
            to.into_iter()
                .map(|node| (transaction, node, message.clone())),
        );
        if idle {
            self.send_next(transaction, gap, cx);
        }
    }

    /// Sends the transaction's next queued message, and sets the timer for the
    /// one after.
    pub fn send_next(
        &mut self,
        transaction: TransactionId,
        gap: Duration,
        cx: &mut Cx<ThreePhaseNode>,
    ) {
        if let Some(at) = self.queue.iter().position(|(t, _, _)| *t == transaction) {
            let (_, to, message) = self.queue.remove(at);
            cx.send(to, message);
        }
        if self.queue.iter().any(|(t, _, _)| *t == transaction) {
            cx.set_timer(ThreePhaseTimer::SendNext(transaction), gap);
        }
    }

    /// How many messages wait to go out.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    pub fn clear(&mut self) {
        self.queue.clear();
    }
}

/// A node of a three-phase commit run.
#[derive(Clone, Debug)]
pub enum ThreePhaseNode {
    Coordinator(Coordinator),
    Participant(Participant),
}

impl ThreePhaseNode {
    pub fn coordinator(&self) -> Option<&Coordinator> {
        match self {
            ThreePhaseNode::Coordinator(c) => Some(c),
            ThreePhaseNode::Participant(_) => None,
        }
    }

    pub fn participant(&self) -> Option<&Participant> {
        match self {
            ThreePhaseNode::Participant(p) => Some(p),
            ThreePhaseNode::Coordinator(_) => None,
        }
    }

    /// The node's durable log.
    pub fn log(&self) -> &super::log::DurableLog {
        match self {
            ThreePhaseNode::Coordinator(c) => c.log(),
            ThreePhaseNode::Participant(p) => p.log(),
        }
    }
}

impl HoldsLocks for ThreePhaseNode {
    fn lock_intervals(&self) -> &[LockInterval] {
        match self {
            ThreePhaseNode::Coordinator(_) => &[],
            ThreePhaseNode::Participant(p) => p.lock_intervals(),
        }
    }

    fn is_participant(&self) -> bool {
        matches!(self, ThreePhaseNode::Participant(_))
    }

    /// The phase a participant holds its locks in: uncertain and recovering
    /// ones wait on others, a pre-committed one knows the outcome.
    fn open_lock(&self, transaction: TransactionId) -> (&'static str, Palette) {
        match self.participant().and_then(|p| p.phase(transaction)) {
            Some(Phase::Uncertain) => ("uncertain", Palette::Suspect),
            Some(Phase::PreCommitted) => ("pre-committed", Palette::Done),
            Some(Phase::Recovering) => ("recovering", Palette::Faulty),
            _ => ("locked", Palette::Contend),
        }
    }
}

impl Node for ThreePhaseNode {
    type Msg = ThreePhaseMessage;
    type Timer = ThreePhaseTimer;
    type Op = ThreePhaseOp;

    fn on_start(&mut self, cx: &mut Cx<Self>) {
        match self {
            ThreePhaseNode::Coordinator(c) => c.on_start(cx),
            ThreePhaseNode::Participant(p) => p.on_start(cx),
        }
    }

    fn on_message(&mut self, from: NodeId, msg: ThreePhaseMessage, cx: &mut Cx<Self>) {
        match self {
            ThreePhaseNode::Coordinator(c) => c.on_message(from, msg, cx),
            ThreePhaseNode::Participant(p) => p.on_message(from, msg, cx),
        }
    }

    fn on_timer(&mut self, timer: ThreePhaseTimer, cx: &mut Cx<Self>) {
        match self {
            ThreePhaseNode::Coordinator(c) => c.on_timer(timer, cx),
            ThreePhaseNode::Participant(p) => p.on_timer(timer, cx),
        }
    }

    fn on_operation(&mut self, operation: ThreePhaseOp, cx: &mut Cx<Self>) {
        match (self, operation) {
            (ThreePhaseNode::Coordinator(c), ThreePhaseOp::Begin { transaction }) => {
                c.begin(transaction, cx)
            }
            (ThreePhaseNode::Participant(p), ThreePhaseOp::VoteNo { participant })
                if participant == p.id() =>
            {
                p.refuse_next_transaction(cx)
            }
            (_, ThreePhaseOp::VoteNo { participant }) => cx.note(|| {
                format!(
                    "'{participant} votes no' is for {participant}: send it to that participant"
                )
            }),
            (ThreePhaseNode::Participant(_), ThreePhaseOp::Begin { transaction }) => {
                cx.note(|| {
                    format!("a participant cannot begin {transaction}: the coordinator (n0) does")
                })
            }
        }
    }

    fn on_timeout_now(&mut self, cx: &mut Cx<Self>) {
        match self {
            ThreePhaseNode::Coordinator(c) => c.on_timeout_now(cx),
            ThreePhaseNode::Participant(p) => p.on_timeout_now(cx),
        }
    }

    fn on_crash(&mut self) {
        match self {
            ThreePhaseNode::Coordinator(c) => c.on_crash(),
            ThreePhaseNode::Participant(p) => p.on_crash(),
        }
    }

    fn summary(&self) -> NodeSummary {
        match self {
            ThreePhaseNode::Coordinator(c) => c.summary(),
            ThreePhaseNode::Participant(p) => p.summary(),
        }
    }

    fn state_row(&self) -> Vec<Cell> {
        match self {
            ThreePhaseNode::Coordinator(c) => c.state_row(),
            ThreePhaseNode::Participant(p) => p.state_row(),
        }
    }
}

impl Timing {
    /// The default timing with every timeout stretched for a network whose
    /// highest one-way latency is `latency_ms` (the defaults assume 30 ms or
    /// less), so a timeout still means a crash.
    pub fn for_latency(latency_ms: u64) -> Timing {
        let base = Timing::default();
        let scale = |d: Duration| Duration(d.as_micros() * latency_ms.max(30) / 30);
        Timing {
            vote_timeout: scale(base.vote_timeout),
            ack_timeout: scale(base.ack_timeout),
            resend_decision: scale(base.resend_decision),
            wait: scale(base.wait),
            rank_step: scale(base.rank_step),
            join_wait: scale(base.join_wait),
            collect: scale(base.collect),
            ask_again: scale(base.ask_again),
            ..base
        }
    }
}
