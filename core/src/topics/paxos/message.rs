//! Paxos's vocabulary: proposal numbers (ballots), log slots, values, the
//! messages of phases 1 and 2 and of learning, the timers, and the operations a
//! person can send (Lamport, "Paxos Made Simple", 2001, sections 2.2 to 2.4 and 3).

use std::fmt;

use crate::lab::scenario::CLIENT_REQUEST_CODE;
use crate::sim::action::{Operation, RawOperation};
use crate::sim::node::Labelled;
use crate::sim::time::NodeId;

/// A proposal number: a round and the proposer that issued it. Ordered by round,
/// then by proposer, so numbers are totally ordered and two proposers never
/// issue the same one (section 2.2's "disjoint sets of numbers").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ballot {
    pub round: u64,
    pub proposer: NodeId,
}

impl Ballot {
    /// Below every real ballot: what an acceptor has promised before any prepare.
    pub const NONE: Ballot = Ballot {
        round: 0,
        proposer: NodeId(0),
    };

    pub fn is_none(self) -> bool {
        self.round == 0
    }
}

impl fmt::Display for Ballot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_none() {
            write!(f, "-")
        } else {
            write!(f, "{}.{}", self.round, self.proposer)
        }
    }
}

/// A position in the Multi-Paxos log: one instance of consensus. Basic Paxos
/// decides slot 0 only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Slot(pub u64);

impl Slot {
    /// The highest slot a server takes part in: a message naming a later one
    /// makes no sense in any run (the log would have to hold a million values)
    /// and is dropped.
    pub const MAX: Slot = Slot(1 << 20);

    pub fn next(self) -> Slot {
        Slot(self.0.saturating_add(1))
    }
}

impl fmt::Display for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What can be chosen: a client's value, or the no-op a new Multi-Paxos leader
/// fills a gap with (section 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Value {
    Client(u64),
    NoOp,
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Client(value) => write!(f, "v{value}"),
            Value::NoOp => write!(f, "no-op"),
        }
    }
}

/// A proposal an acceptor has accepted: the ballot and the value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Accepted {
    pub ballot: Ballot,
    pub value: Value,
}

impl fmt::Display for Accepted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({}, {})", self.ballot, self.value)
    }
}

/// The messages. Every server is an acceptor and a learner; the first few are
/// proposers too.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PaxosMessage {
    /// Phase 1(a): "promise me not to accept anything numbered below `ballot`,
    /// and tell me what you accepted", for every slot from `from_slot` on.
    Prepare { ballot: Ballot, from_slot: Slot },
    /// Phase 1(b): the promise, with the acceptor's accepted proposals from the
    /// slot asked for on.
    Promise {
        ballot: Ballot,
        accepted: Vec<(Slot, Accepted)>,
    },
    /// The acceptor has promised a higher ballot and ignores `ballot`; section
    /// 2.3's optimisation, so the proposer abandons its attempt at once.
    Preempted { ballot: Ballot, promised: Ballot },
    /// Phase 2(a): "accept `value` in `slot` under `ballot`".
    Accept {
        ballot: Ballot,
        slot: Slot,
        value: Value,
    },
    /// Phase 2(b) as section 2.3 has it: an acceptor tells every learner what it
    /// just accepted.
    Accepted {
        ballot: Ballot,
        slot: Slot,
        value: Value,
    },
    /// A learner that knows `value` was chosen in `slot` tells another (section
    /// 2.3's distinguished learner, and the answer to a catch-up).
    Chosen { slot: Slot, value: Value },
    /// Multi-Paxos: the leader is alive (section 2.4's distinguished proposer),
    /// and has learned every slot below `learned_below`.
    Heartbeat { ballot: Ballot, learned_below: Slot },
    /// Multi-Paxos: a learner missing slots asks the leader for what was chosen
    /// from `from_slot` on.
    CatchUp { from_slot: Slot },
    /// Multi-Paxos: a proposer that does not lead passes a client's value to the
    /// leader it knows.
    Forward { value: u64 },
}

impl Labelled for PaxosMessage {
    fn kind(&self) -> &'static str {
        match self {
            PaxosMessage::Prepare { .. } => "Prepare",
            PaxosMessage::Promise { .. } => "Promise",
            PaxosMessage::Preempted { .. } => "Preempted",
            PaxosMessage::Accept { .. } => "Accept",
            PaxosMessage::Accepted { .. } => "Accepted",
            PaxosMessage::Chosen { .. } => "Chosen",
            PaxosMessage::Heartbeat { .. } => "Heartbeat",
            PaxosMessage::CatchUp { .. } => "CatchUp",
            PaxosMessage::Forward { .. } => "Forward",
        }
    }

    fn label(&self) -> String {
        match self {
            PaxosMessage::Prepare { ballot, from_slot } => {
                if from_slot.0 == 0 {
                    format!("Prepare {ballot}")
                } else {
                    format!("Prepare {ballot} from slot {from_slot}")
                }
            }
            PaxosMessage::Promise { ballot, accepted } => {
                if accepted.is_empty() {
                    format!("Promise {ballot}, nothing accepted")
                } else {
                    let list: Vec<String> = accepted
                        .iter()
                        .map(|(slot, accepted)| format!("{slot}:{accepted}"))
                        .collect();
                    format!("Promise {ballot}, accepted {}", list.join(" "))
                }
            }
            PaxosMessage::Preempted { ballot, promised } => {
                format!("Preempted {ballot}: promised {promised}")
            }
            PaxosMessage::Accept {
                ballot,
                slot,
                value,
            } => format!("Accept {ballot} slot {slot} {value}"),
            PaxosMessage::Accepted {
                ballot,
                slot,
                value,
            } => format!("Accepted {ballot} slot {slot} {value}"),
            PaxosMessage::Chosen { slot, value } => format!("Chosen slot {slot} {value}"),
            PaxosMessage::Heartbeat {
                ballot,
                learned_below,
            } => format!("Heartbeat {ballot} learned <{learned_below}"),
            PaxosMessage::CatchUp { from_slot } => format!("CatchUp from slot {from_slot}"),
            PaxosMessage::Forward { value } => format!("Forward v{value}"),
        }
    }
}

/// The timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PaxosTimer {
    /// Basic Paxos: the proposer's round has not ended in a choice; try again
    /// with a higher round (after a random backoff, if that is on).
    Retry,
    /// Multi-Paxos: a proposer has heard no leader for a while and runs phase 1.
    LeaderTimeout,
    /// Multi-Paxos: the leader's heartbeat period; it also re-sends phase 2 for
    /// slots not yet chosen, as messages may have been lost.
    Heartbeat,
}

impl Labelled for PaxosTimer {
    fn kind(&self) -> &'static str {
        match self {
            PaxosTimer::Retry => "retry",
            PaxosTimer::LeaderTimeout => "leader-timeout",
            PaxosTimer::Heartbeat => "heartbeat",
        }
    }

    fn label(&self) -> String {
        match self {
            PaxosTimer::Retry => "round over: retry".to_string(),
            PaxosTimer::LeaderTimeout => "no leader heard".to_string(),
            PaxosTimer::Heartbeat => "heartbeat".to_string(),
        }
    }
}

/// What a person (or a preset, or the workload) can ask of a Paxos run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaxosOp {
    /// A client asks the node to get `value` chosen.
    Propose { value: u64 },
}

impl fmt::Display for PaxosOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PaxosOp::Propose { value } => write!(f, "propose v{value}"),
        }
    }
}

impl Operation for PaxosOp {
    /// The page's Client request button's code: a proposal is Paxos's request.
    fn to_raw(&self) -> RawOperation {
        match self {
            PaxosOp::Propose { value } => RawOperation::new(CLIENT_REQUEST_CODE, &[*value]),
        }
    }

    fn from_raw(raw: &RawOperation) -> Option<Self> {
        match (raw.code, raw.args.as_slice()) {
            (CLIENT_REQUEST_CODE, &[value]) => Some(PaxosOp::Propose { value }),
            _ => None,
        }
    }
}
