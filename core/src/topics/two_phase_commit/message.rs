//! Two-phase commit's vocabulary: transactions, votes, decisions, the messages of
//! the protocol and of its termination protocol, the timers, and the operations a
//! person (or a preset) can send. The message names follow Bernstein, Hadzilacos
//! and Goodman, "Concurrency Control and Recovery in Database Systems" (1987),
//! chapter 7: VOTE-REQ is [`TwoPhaseMessage::Prepare`] (Gray's name), the votes,
//! COMMIT and ABORT, and the DECISION-REQ of the termination protocol.

use std::fmt;

use crate::lab::scenario::CLIENT_REQUEST_CODE;
use crate::sim::action::{Operation, RawOperation};
use crate::sim::node::Labelled;
use crate::sim::time::NodeId;
use crate::sim::view::Palette;

/// A distributed transaction, named by the request that began it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TransactionId(pub u64);

impl fmt::Display for TransactionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "T{}", self.0)
    }
}

/// A participant's answer to PREPARE.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Vote {
    /// "I have prepared: I can commit if told to, and will not abort on my own."
    Yes,
    /// "I have aborted."
    No,
}

impl fmt::Display for Vote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Vote::Yes => "YES",
            Vote::No => "NO",
        })
    }
}

/// The outcome of a transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Decision {
    Commit,
    Abort,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Commit => "commit",
            Decision::Abort => "abort",
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Decision::Commit => "COMMIT",
            Decision::Abort => "ABORT",
        })
    }
}

/// The messages of two-phase commit and of its termination protocols.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TwoPhaseMessage {
    /// Coordinator to participant: prepare the transaction and vote (BHG's
    /// VOTE-REQ).
    Prepare { transaction: TransactionId },
    /// Participant to coordinator: its vote.
    VoteReply {
        transaction: TransactionId,
        vote: Vote,
    },
    /// Coordinator to participant: the decision (COMMIT or ABORT); the
    /// participant acknowledges it.
    Decide {
        transaction: TransactionId,
        decision: Decision,
    },
    /// Participant to coordinator: the decision is logged and applied.
    Ack { transaction: TransactionId },
    /// An uncertain participant asks for the outcome: the coordinator
    /// (termination protocol) or, in the cooperative termination protocol, the
    /// other participants too.
    DecisionRequest { transaction: TransactionId },
    /// A participant's answer to another participant's [`DecisionRequest`]: the
    /// outcome it knows (or abort, if it had not voted and aborted on the spot).
    ///
    /// [`DecisionRequest`]: TwoPhaseMessage::DecisionRequest
    PeerAnswer {
        transaction: TransactionId,
        decision: Decision,
    },
}

impl TwoPhaseMessage {
    pub fn transaction(&self) -> TransactionId {
        match self {
            TwoPhaseMessage::Prepare { transaction }
            | TwoPhaseMessage::VoteReply { transaction, .. }
            | TwoPhaseMessage::Decide { transaction, .. }
            | TwoPhaseMessage::Ack { transaction }
            | TwoPhaseMessage::DecisionRequest { transaction }
            | TwoPhaseMessage::PeerAnswer { transaction, .. } => *transaction,
        }
    }
}

impl Labelled for TwoPhaseMessage {
    fn kind(&self) -> &'static str {
        match self {
            TwoPhaseMessage::Prepare { .. } => "Prepare",
            TwoPhaseMessage::VoteReply { .. } => "Vote",
            TwoPhaseMessage::Decide { .. } => "Decision",
            TwoPhaseMessage::Ack { .. } => "Ack",
            TwoPhaseMessage::DecisionRequest { .. } => "DecisionRequest",
            TwoPhaseMessage::PeerAnswer { .. } => "PeerAnswer",
        }
    }

    fn label(&self) -> String {
        match self {
            TwoPhaseMessage::Prepare { transaction } => format!("PREPARE {transaction}"),
            TwoPhaseMessage::VoteReply { transaction, vote } => format!("{vote} {transaction}"),
            TwoPhaseMessage::Decide {
                transaction,
                decision,
            } => format!("{decision} {transaction}"),
            TwoPhaseMessage::Ack { transaction } => format!("ACK {transaction}"),
            TwoPhaseMessage::DecisionRequest { transaction } => {
                format!("DECISION-REQ {transaction}")
            }
            TwoPhaseMessage::PeerAnswer {
                transaction,
                decision,
            } => format!("{decision} {transaction} (from a peer)"),
        }
    }
}

/// The timers, one per transaction each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TwoPhaseTimer {
    /// Coordinator: the votes are late; abort if still waiting.
    VoteTimeout(TransactionId),
    /// Coordinator: some participant has not acknowledged the decision; send it
    /// again.
    ResendDecision(TransactionId),
    /// Participant: its part of the transaction's work is done and it must vote.
    WorkDone(TransactionId),
    /// Participant, uncertain: no decision yet; ask for it (termination
    /// protocol).
    AskDecision(TransactionId),
}

impl Labelled for TwoPhaseTimer {
    fn kind(&self) -> &'static str {
        match self {
            TwoPhaseTimer::VoteTimeout(_) => "vote-timeout",
            TwoPhaseTimer::ResendDecision(_) => "resend-decision",
            TwoPhaseTimer::WorkDone(_) => "work-done",
            TwoPhaseTimer::AskDecision(_) => "ask-decision",
        }
    }

    fn label(&self) -> String {
        match self {
            TwoPhaseTimer::VoteTimeout(t) => format!("votes for {t} are late"),
            TwoPhaseTimer::ResendDecision(t) => format!("acks for {t} are late"),
            TwoPhaseTimer::WorkDone(t) => format!("work on {t} done: vote"),
            TwoPhaseTimer::AskDecision(t) => format!("still uncertain about {t}"),
        }
    }
}

/// What a node is doing, as the cluster view draws it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    Coordinator,
    /// A participant with no transaction in progress.
    Idle,
    /// A participant working on a transaction it has not voted on yet.
    Working,
    /// A participant that voted YES and waits for the decision: it cannot decide
    /// alone.
    Uncertain,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Coordinator => "coordinator",
            Role::Idle => "participant",
            Role::Working => "working",
            Role::Uncertain => "uncertain",
        }
    }

    pub fn palette(self) -> Palette {
        match self {
            Role::Coordinator => Palette::Lead,
            Role::Idle => Palette::Plain,
            Role::Working => Palette::Contend,
            Role::Uncertain => Palette::Suspect,
        }
    }
}

/// What a person (or a preset) can ask of a two-phase commit run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TwoPhaseOp {
    /// The coordinator begins a transaction with every participant.
    Begin { transaction: TransactionId },
    /// Participant `participant` will vote NO on the next transaction it is
    /// asked to prepare (its part of the work fails). Address it to that
    /// participant.
    VoteNo { participant: NodeId },
}

impl fmt::Display for TwoPhaseOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TwoPhaseOp::Begin { transaction } => write!(f, "begin {transaction}"),
            TwoPhaseOp::VoteNo { participant } => {
                write!(f, "{participant} votes no on its next transaction")
            }
        }
    }
}

/// The scenario code of [`TwoPhaseOp::VoteNo`]; its one argument is the
/// participant's id. [`TwoPhaseOp::Begin`] takes the client request code, with
/// the transaction number as its argument.
const VOTE_NO_CODE: u32 = 1;

impl Operation for TwoPhaseOp {
    fn to_raw(&self) -> RawOperation {
        match self {
            TwoPhaseOp::Begin { transaction } => {
                RawOperation::new(CLIENT_REQUEST_CODE, &[transaction.0])
            }
            TwoPhaseOp::VoteNo { participant } => {
                RawOperation::new(VOTE_NO_CODE, &[participant.0 as u64])
            }
        }
    }

    fn from_raw(raw: &RawOperation) -> Option<Self> {
        match (raw.code, raw.args.as_slice()) {
            (CLIENT_REQUEST_CODE, &[transaction]) => Some(TwoPhaseOp::Begin {
                transaction: TransactionId(transaction),
            }),
            (VOTE_NO_CODE, &[participant]) => Some(TwoPhaseOp::VoteNo {
                participant: NodeId(u32::try_from(participant).ok()?),
            }),
            _ => None,
        }
    }
}
