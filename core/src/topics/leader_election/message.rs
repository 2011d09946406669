//! The vocabulary of leader election: the three modes, the messages of each
//! (Garcia-Molina's ELECTION / ANSWER / COORDINATOR, Chang and Roberts' ELECTION /
//! ELECTED, Gray and Cheriton's lease request and grant), the timers, and the one
//! operation a person can send (start an election at a node).

use std::fmt;

use crate::sim::action::{Operation, RawOperation};
use crate::sim::node::Labelled;
use crate::sim::time::NodeId;

/// Which algorithm the cluster runs: the `mode` parameter, in its order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    Bully,
    Ring,
    Leases,
}

impl Mode {
    /// The mode of parameter value `value` (0, 1, 2), or `None`.
    pub fn from_param(value: i64) -> Option<Mode> {
        match value {
            0 => Some(Mode::Bully),
            1 => Some(Mode::Ring),
            2 => Some(Mode::Leases),
            _ => None,
        }
    }

    pub fn as_param(self) -> i64 {
        match self {
            Mode::Bully => 0,
            Mode::Ring => 1,
            Mode::Leases => 2,
        }
    }
}

/// How the ring orders the nodes (ring mode): the `placement` parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Placement {
    /// Each node's successor has the next higher id: Chang and Roberts' best case.
    Ascending,
    /// Each node's successor has the next lower id: their worst case.
    Descending,
    /// A permutation drawn from the seed: their average case.
    Shuffled,
}

impl Placement {
    pub fn from_param(value: i64) -> Option<Placement> {
        match value {
            0 => Some(Placement::Ascending),
            1 => Some(Placement::Descending),
            2 => Some(Placement::Shuffled),
            _ => None,
        }
    }

    pub fn as_param(self) -> i64 {
        match self {
            Placement::Ascending => 0,
            Placement::Descending => 1,
            Placement::Shuffled => 2,
        }
    }
}

/// A lease attempt's number: each request (first or renewal) gets a fresh one,
/// so a grant answers exactly the request that asked for it.
pub type Attempt = u64;

/// What nodes send each other.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ElectionMessage {
    // Bully (Garcia-Molina).
    /// "I am holding an election; are you up?" Sent only to higher nodes.
    Election,
    /// "I am up and outrank you: leave it to me." (the textbooks' OK)
    Answer,
    /// "I am the coordinator." Sent by the winner to every node.
    Coordinator,
    /// The coordinator's periodic "I am still here" (bully and ring).
    Heartbeat,

    // Ring (Chang and Roberts).
    /// A candidate's id travelling clockwise; `hop` numbers this transmission
    /// for its acknowledgement; `travelled` counts the hops it has made, so an
    /// id whose owner is gone dies after one round instead of circling forever.
    RingElection {
        candidate: u32,
        hop: u64,
        travelled: u32,
    },
    /// The winner's id travelling clockwise once the election is over.
    Elected {
        leader: u32,
        hop: u64,
        travelled: u32,
    },
    /// The successor got hop `hop` (so the sender need not skip it).
    HopAck { hop: u64 },

    // Leases (Gray and Cheriton, with a majority of grantors).
    /// "Grant me a lease" (a first request or a renewal).
    RequestLease { attempt: Attempt },
    /// "You have my promise for attempt `attempt`."
    Grant { attempt: Attempt },
    /// "I have promised someone else, for `remaining` more microseconds of my
    /// clock" (so the candidate knows when to ask again).
    Refuse { attempt: Attempt, remaining: u64 },
    /// "Attempt `attempt` failed and will never be a lease: forget your promise."
    Release { attempt: Attempt },
}

impl ElectionMessage {
    /// Whether the message is part of an election (what the message counts
    /// measure), as opposed to heartbeats, acknowledgements and leases.
    pub fn is_election_traffic(&self) -> bool {
        matches!(
            self,
            ElectionMessage::Election
                | ElectionMessage::Answer
                | ElectionMessage::Coordinator
                | ElectionMessage::RingElection { .. }
                | ElectionMessage::Elected { .. }
        )
    }
}

impl Labelled for ElectionMessage {
    fn kind(&self) -> &'static str {
        match self {
            ElectionMessage::Election => "Election",
            ElectionMessage::Answer => "Answer",
            ElectionMessage::Coordinator => "Coordinator",
            ElectionMessage::Heartbeat => "Heartbeat",
            ElectionMessage::RingElection { .. } => "Election",
            ElectionMessage::Elected { .. } => "Elected",
            ElectionMessage::HopAck { .. } => "Ack",
            ElectionMessage::RequestLease { .. } => "RequestLease",
            ElectionMessage::Grant { .. } => "Grant",
            ElectionMessage::Refuse { .. } => "Refuse",
            ElectionMessage::Release { .. } => "Release",
        }
    }

    fn label(&self) -> String {
        match self {
            ElectionMessage::RingElection { candidate, .. } => format!("Election(n{candidate})"),
            ElectionMessage::Elected { leader, .. } => format!("Elected(n{leader})"),
            ElectionMessage::HopAck { hop } => format!("Ack #{hop}"),
            ElectionMessage::RequestLease { attempt } => format!("RequestLease #{attempt}"),
            ElectionMessage::Grant { attempt } => format!("Grant #{attempt}"),
            ElectionMessage::Refuse { attempt, remaining } => {
                format!("Refuse #{attempt} ({}ms left)", remaining / 1000)
            }
            ElectionMessage::Release { attempt } => format!("Release #{attempt}"),
            other => other.kind().to_string(),
        }
    }
}

/// What a node waits for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ElectionTimer {
    /// Bully and ring: the coordinator has been silent too long (or, at a cold
    /// start, nobody has spoken yet).
    CoordinatorSilent,
    /// Bully: the answers to my ELECTION had time to arrive.
    AnswerWait,
    /// Bully: a higher node answered; its COORDINATOR had time to arrive.
    CoordinatorWait,
    /// Bully and ring: time to tell everyone I still lead.
    Heartbeat,
    /// Ring: my successor has not acknowledged hop `hop`.
    HopAck { hop: u64 },
    /// Ring: the election I took part in had time to finish.
    ElectionWait,
    /// Leases: time to ask for a lease (nobody holds my promise).
    Campaign,
    /// Leases: attempt `attempt` had time to collect its grants.
    GrantWait { attempt: Attempt },
    /// Leases: the holder renews before its lease runs out.
    Renew,
    /// Leases: the lease I hold ran out (by my own clock, minus the bound).
    LeaseEnd,
}

impl Labelled for ElectionTimer {
    fn kind(&self) -> &'static str {
        match self {
            ElectionTimer::CoordinatorSilent => "coordinator silent",
            ElectionTimer::AnswerWait => "answer wait",
            ElectionTimer::CoordinatorWait => "coordinator wait",
            ElectionTimer::Heartbeat => "heartbeat",
            ElectionTimer::HopAck { .. } => "hop ack",
            ElectionTimer::ElectionWait => "election wait",
            ElectionTimer::Campaign => "campaign",
            ElectionTimer::GrantWait { .. } => "grant wait",
            ElectionTimer::Renew => "renew",
            ElectionTimer::LeaseEnd => "lease end",
        }
    }

    fn label(&self) -> String {
        match self {
            ElectionTimer::HopAck { hop } => format!("hop ack #{hop}"),
            ElectionTimer::GrantWait { attempt } => format!("grant wait #{attempt}"),
            other => other.kind().to_string(),
        }
    }
}

const START_ELECTION_CODE: u32 = 1;

/// What a person (or a preset) asks of a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElectionOp {
    /// Start an election now (leases: ask for a lease now).
    StartElection,
}

impl fmt::Display for ElectionOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ElectionOp::StartElection => write!(f, "start an election"),
        }
    }
}

impl Operation for ElectionOp {
    fn to_raw(&self) -> RawOperation {
        match self {
            ElectionOp::StartElection => RawOperation::new(START_ELECTION_CODE, &[]),
        }
    }

    fn from_raw(raw: &RawOperation) -> Option<Self> {
        match (raw.code, raw.args.as_slice()) {
            (START_ELECTION_CODE, []) => Some(ElectionOp::StartElection),
            _ => None,
        }
    }
}

/// `n3`, as the trace writes node ids.
pub fn name(id: u32) -> String {
    NodeId(id).to_string()
}
