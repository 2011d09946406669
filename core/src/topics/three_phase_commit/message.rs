//! Three-phase commit's vocabulary: the messages of the protocol (Skeen's
//! CanCommit?, the votes, PreCommit and its acknowledgement, DoCommit or
//! Abort) and of its termination protocol (state requests and reports, and a
//! recovering site's request for the outcome), the timers, and the operations a
//! person (or a preset) can send. Transactions, votes and decisions are two-phase
//! commit's own types: the two protocols decide the same things.

use std::fmt;

use crate::lab::scenario::CLIENT_REQUEST_CODE;
use crate::sim::action::{Operation, RawOperation};
use crate::sim::node::Labelled;
use crate::sim::time::NodeId;

pub use crate::topics::two_phase_commit::message::{Decision, TransactionId, Vote};

/// What a participant tells a termination coordinator about a transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reported {
    /// Voted YES and has not been pre-committed: it cannot tell the outcome.
    Uncertain,
    /// Pre-committed: every participant voted YES.
    PreCommitted,
    /// Its log holds the outcome.
    Decided(Decision),
    /// Back from a crash and not yet told the outcome: its state is no
    /// evidence (while it was down the others may have moved on), so it takes
    /// no part in the decision.
    Recovering,
}

impl fmt::Display for Reported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reported::Uncertain => f.write_str("uncertain"),
            Reported::PreCommitted => f.write_str("pre-committed"),
            Reported::Decided(decision) => write!(f, "{decision}"),
            Reported::Recovering => f.write_str("recovering"),
        }
    }
}

/// The messages of three-phase commit and of its termination protocol.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ThreePhaseMessage {
    /// Coordinator to participant: can you commit? (phase 1)
    CanCommit { transaction: TransactionId },
    /// Participant to coordinator: its vote.
    VoteReply {
        transaction: TransactionId,
        vote: Vote,
    },
    /// Coordinator (or termination coordinator) to participant: every
    /// participant voted YES; get ready to commit (phase 2).
    PreCommit { transaction: TransactionId },
    /// Participant: it is pre-committed.
    PreCommitAck { transaction: TransactionId },
    /// The outcome (phase 3: DoCommit, or Abort), from the coordinator, a
    /// termination coordinator, or anyone answering a question.
    Decide {
        transaction: TransactionId,
        decision: Decision,
    },
    /// Participant to coordinator: the outcome is logged.
    DecisionAck { transaction: TransactionId },
    /// Termination coordinator to participant: what is your state?
    StateRequest { transaction: TransactionId },
    /// Participant to termination coordinator: its state.
    StateReport {
        transaction: TransactionId,
        state: Reported,
    },
    /// A site back from a crash asks anyone for the outcome.
    DecisionRequest { transaction: TransactionId },
}

impl ThreePhaseMessage {
    pub fn transaction(&self) -> TransactionId {
        match self {
            ThreePhaseMessage::CanCommit { transaction }
            | ThreePhaseMessage::VoteReply { transaction, .. }
            | ThreePhaseMessage::PreCommit { transaction }
            | ThreePhaseMessage::PreCommitAck { transaction }
            | ThreePhaseMessage::Decide { transaction, .. }
            | ThreePhaseMessage::DecisionAck { transaction }
            | ThreePhaseMessage::StateRequest { transaction }
            | ThreePhaseMessage::StateReport { transaction, .. }
            | ThreePhaseMessage::DecisionRequest { transaction } => *transaction,
        }
    }
}

impl Labelled for ThreePhaseMessage {
    fn kind(&self) -> &'static str {
        match self {
            ThreePhaseMessage::CanCommit { .. } => "CanCommit",
            ThreePhaseMessage::VoteReply { .. } => "Vote",
            ThreePhaseMessage::PreCommit { .. } => "PreCommit",
            ThreePhaseMessage::PreCommitAck { .. } => "PreCommitAck",
            ThreePhaseMessage::Decide { .. } => "Decision",
            ThreePhaseMessage::DecisionAck { .. } => "Ack",
            ThreePhaseMessage::StateRequest { .. } => "StateRequest",
            ThreePhaseMessage::StateReport { .. } => "StateReport",
            ThreePhaseMessage::DecisionRequest { .. } => "DecisionRequest",
        }
    }

    fn label(&self) -> String {
        match self {
            ThreePhaseMessage::CanCommit { transaction } => format!("CAN-COMMIT? {transaction}"),
            ThreePhaseMessage::VoteReply { transaction, vote } => format!("{vote} {transaction}"),
            ThreePhaseMessage::PreCommit { transaction } => format!("PRE-COMMIT {transaction}"),
            ThreePhaseMessage::PreCommitAck { transaction } => {
                format!("PRE-COMMIT ACK {transaction}")
            }
            ThreePhaseMessage::Decide {
                transaction,
                decision: Decision::Commit,
            } => format!("DO-COMMIT {transaction}"),
            ThreePhaseMessage::Decide { transaction, .. } => format!("ABORT {transaction}"),
            ThreePhaseMessage::DecisionAck { transaction } => format!("ACK {transaction}"),
            ThreePhaseMessage::StateRequest { transaction } => {
                format!("STATE-REQ {transaction}")
            }
            ThreePhaseMessage::StateReport { transaction, state } => {
                format!("{transaction} {state}")
            }
            ThreePhaseMessage::DecisionRequest { transaction } => {
                format!("DECISION-REQ {transaction}")
            }
        }
    }
}

/// The timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ThreePhaseTimer {
    /// The next message of a transaction's broadcast leaves (a site sends
    /// them one at a time).
    SendNext(TransactionId),
    /// Coordinator: the votes are late; abort if still waiting.
    VoteTimeout(TransactionId),
    /// Coordinator: pre-commit acks are late; the silent have crashed: commit.
    AckTimeout(TransactionId),
    /// Coordinator: some participant has not acknowledged the outcome.
    ResendDecision(TransactionId),
    /// Participant: its part of the work is done and it must vote.
    WorkDone(TransactionId),
    /// Participant, uncertain or pre-committed: nobody moved the protocol on;
    /// its coordinator is presumed crashed: run the termination protocol.
    Timeout(TransactionId),
    /// Termination coordinator: the state reports are in (or never will be).
    StatesCollected(TransactionId),
    /// Termination coordinator: the pre-commit acks are in (or never will be).
    PreCommitsAcked(TransactionId),
    /// A site back from a crash, not knowing the outcome: ask again.
    AskDecision(TransactionId),
}

impl Labelled for ThreePhaseTimer {
    fn kind(&self) -> &'static str {
        match self {
            ThreePhaseTimer::SendNext(_) => "send-next",
            ThreePhaseTimer::VoteTimeout(_) => "vote-timeout",
            ThreePhaseTimer::AckTimeout(_) => "ack-timeout",
            ThreePhaseTimer::ResendDecision(_) => "resend-decision",
            ThreePhaseTimer::WorkDone(_) => "work-done",
            ThreePhaseTimer::Timeout(_) => "timeout",
            ThreePhaseTimer::StatesCollected(_) => "states-collected",
            ThreePhaseTimer::PreCommitsAcked(_) => "pre-commits-acked",
            ThreePhaseTimer::AskDecision(_) => "ask-decision",
        }
    }

    fn label(&self) -> String {
        match self {
            ThreePhaseTimer::SendNext(t) => format!("next message about {t}"),
            ThreePhaseTimer::VoteTimeout(t) => format!("votes for {t} are late"),
            ThreePhaseTimer::AckTimeout(t) => format!("pre-commit acks for {t} are late"),
            ThreePhaseTimer::ResendDecision(t) => format!("acks for {t} are late"),
            ThreePhaseTimer::WorkDone(t) => format!("work on {t} done: vote"),
            ThreePhaseTimer::Timeout(t) => format!("nothing heard about {t}"),
            ThreePhaseTimer::StatesCollected(t) => format!("states of {t} collected"),
            ThreePhaseTimer::PreCommitsAcked(t) => format!("pre-commits of {t} acked"),
            ThreePhaseTimer::AskDecision(t) => format!("still no outcome for {t}"),
        }
    }
}

/// What a person (or a preset) can ask of a three-phase commit run: the same
/// operations, with the same codes, as two-phase commit's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreePhaseOp {
    /// The coordinator begins a transaction with every participant.
    Begin { transaction: TransactionId },
    /// Participant `participant` votes NO on the next transaction.
    VoteNo { participant: NodeId },
}

impl fmt::Display for ThreePhaseOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ThreePhaseOp::Begin { transaction } => write!(f, "begin {transaction}"),
            ThreePhaseOp::VoteNo { participant } => {
                write!(f, "{participant} votes no on its next transaction")
            }
        }
    }
}

/// The scenario code of [`ThreePhaseOp::VoteNo`] (two-phase commit's).
const VOTE_NO_CODE: u32 = 1;

impl Operation for ThreePhaseOp {
    fn to_raw(&self) -> RawOperation {
        match self {
            ThreePhaseOp::Begin { transaction } => {
                RawOperation::new(CLIENT_REQUEST_CODE, &[transaction.0])
            }
            ThreePhaseOp::VoteNo { participant } => {
                RawOperation::new(VOTE_NO_CODE, &[participant.0 as u64])
            }
        }
    }

    fn from_raw(raw: &RawOperation) -> Option<Self> {
        match (raw.code, raw.args.as_slice()) {
            (CLIENT_REQUEST_CODE, &[transaction]) => Some(ThreePhaseOp::Begin {
                transaction: TransactionId(transaction),
            }),
            (VOTE_NO_CODE, &[participant]) => Some(ThreePhaseOp::VoteNo {
                participant: NodeId(u32::try_from(participant).ok()?),
            }),
            _ => None,
        }
    }
}
