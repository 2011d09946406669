//! The vocabulary of the quorum topic: keys and versions, the requests of the
//! clients, the messages between a coordinator and the replicas, hinted
//! handoff, the timers, the roles, and the operations a person can send.

use std::fmt;

use crate::history::Key;
use crate::sim::action::{Operation, RawOperation};
use crate::sim::node::Labelled;
use crate::sim::time::NodeId;
use crate::sim::view::Palette;

/// How many keys the store holds: few, so that operations meet.
pub const KEYS: Key = 2;

/// A stored value with its version. Versions are ABD's tags: a counter a
/// writer sets one above the highest it read from a quorum, with the written
/// value (unique per write) to break ties between concurrent writers. The
/// initial state is counter 0 and no value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Versioned {
    pub counter: u64,
    /// The written value; 0 for the initial state (written values are never 0).
    pub value: i64,
}

impl Versioned {
    pub fn is_initial(&self) -> bool {
        self.counter == 0
    }
}

impl fmt::Display for Versioned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_initial() {
            f.write_str("nil@v0")
        } else {
            write!(f, "{}@v{}", self.value, self.counter)
        }
    }
}

/// An operation number as people read it: `op2.7` is the seventh operation
/// its coordinator ran in its second incarnation.
pub fn operation_name(operation: u64) -> String {
    format!("op{}.{}", operation >> 32, operation & 0xFFFF_FFFF)
}

/// What a client asks a coordinator to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Command {
    Read { key: Key },
    Write { key: Key, value: i64 },
}

impl Command {
    pub fn key(&self) -> Key {
        match *self {
            Command::Read { key } | Command::Write { key, .. } => key,
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::Read { key } => write!(f, "read k{key}"),
            Command::Write { key, value } => write!(f, "write k{key}={value}"),
        }
    }
}

/// How an operation ended, as the coordinator tells its client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// A read's answer, with the version it came from.
    Read(Versioned),
    /// A write stored at a write quorum, with the version it was given.
    Written(Versioned),
    /// No quorum answered in time. A write may have reached some replicas.
    NoQuorum,
}

/// Everything that travels on the network.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum QuorumMessage {
    /// Client to coordinator: run `command`; `request` numbers the client's
    /// operations.
    Request { request: u64, command: Command },
    /// Coordinator to client.
    Reply { request: u64, outcome: Outcome },
    /// Coordinator to replica: what version of `key` do you hold? (ABD's
    /// query phase, of a read and of a write.) `hint_for` names the home
    /// replica a fallback stands in for (Dynamo §4.6).
    Query {
        operation: u64,
        key: Key,
        hint_for: Option<NodeId>,
    },
    /// Replica to coordinator.
    QueryReply {
        operation: u64,
        key: Key,
        held: Versioned,
    },
    /// Coordinator to replica: keep `versioned` if it is newer than what you
    /// hold (a write's store phase, a read's write-back or repair). A
    /// fallback keeps it as a hint for `hint_for`.
    Store {
        operation: u64,
        key: Key,
        versioned: Versioned,
        hint_for: Option<NodeId>,
    },
    /// Replica to coordinator: it holds `versioned` or newer.
    StoreAck {
        operation: u64,
        key: Key,
        versioned: Versioned,
    },
    /// Fallback to home replica: the hinted write it kept for you (Dynamo
    /// §4.6, hinted handoff).
    HandOff { key: Key, versioned: Versioned },
    /// Home replica to fallback: stored; the hint can go.
    HandOffAck { key: Key, versioned: Versioned },
}

impl Labelled for QuorumMessage {
    fn kind(&self) -> &'static str {
        match self {
            QuorumMessage::Request { .. } => "Request",
            QuorumMessage::Reply { .. } => "Reply",
            QuorumMessage::Query { .. } => "Query",
            QuorumMessage::QueryReply { .. } => "QueryReply",
            QuorumMessage::Store { .. } => "Store",
            QuorumMessage::StoreAck { .. } => "StoreAck",
            QuorumMessage::HandOff { .. } => "HandOff",
            QuorumMessage::HandOffAck { .. } => "HandOffAck",
        }
    }

    fn label(&self) -> String {
        let hint = |hint_for: &Option<NodeId>| match hint_for {
            Some(home) => format!(" (hint for {home})"),
            None => String::new(),
        };
        match self {
            QuorumMessage::Request { request, command } => format!("#{request} {command}"),
            QuorumMessage::Reply { request, outcome } => match outcome {
                Outcome::Read(held) => format!("#{request} read {held}"),
                Outcome::Written(held) => format!("#{request} wrote {held}"),
                Outcome::NoQuorum => format!("#{request} no quorum"),
            },
            QuorumMessage::Query {
                operation,
                key,
                hint_for,
            } => format!(
                "{} query k{key}{}",
                operation_name(*operation),
                hint(hint_for)
            ),
            QuorumMessage::QueryReply {
                operation,
                key,
                held,
            } => format!("{} k{key} holds {held}", operation_name(*operation)),
            QuorumMessage::Store {
                operation,
                key,
                versioned,
                hint_for,
            } => format!(
                "{} store k{key}={versioned}{}",
                operation_name(*operation),
                hint(hint_for)
            ),
            QuorumMessage::StoreAck {
                operation,
                key,
                versioned,
            } => format!("{} stored k{key}={versioned}", operation_name(*operation)),
            QuorumMessage::HandOff { key, versioned } => format!("hand off k{key}={versioned}"),
            QuorumMessage::HandOffAck { key, versioned } => {
                format!("handed off k{key}={versioned}")
            }
        }
    }
}

/// Every timer of every process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QuorumTimer {
    /// Coordinator: resend operation `n`'s phase to whoever has not answered,
    /// and bring in fallbacks for silent home replicas.
    Resend(u64),
    /// Coordinator: operation `n` gives up.
    Deadline(u64),
    /// Server: try to hand the hints it holds back to their home replicas.
    HandOff,
    /// Client: time for the workload's next operation.
    Think,
    /// Client: no answer to request `n` in time.
    GiveUp(u64),
}

impl Labelled for QuorumTimer {
    fn kind(&self) -> &'static str {
        match self {
            QuorumTimer::Resend(_) => "resend",
            QuorumTimer::Deadline(_) => "deadline",
            QuorumTimer::HandOff => "handoff",
            QuorumTimer::Think => "think",
            QuorumTimer::GiveUp(_) => "give-up",
        }
    }

    fn label(&self) -> String {
        match self {
            QuorumTimer::Resend(op) => format!("resend {}", operation_name(*op)),
            QuorumTimer::Deadline(op) => format!("{} deadline", operation_name(*op)),
            QuorumTimer::HandOff => "hand off hints".to_string(),
            QuorumTimer::Think => "next operation".to_string(),
            QuorumTimer::GiveUp(request) => format!("give up on #{request}"),
        }
    }
}

/// What a process is doing, as the cluster view names and colours it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    Replica,
    /// A server coordinating an operation.
    Coordinating,
    /// A server holding hints for unreachable home replicas.
    HoldingHints,
    Client,
    /// A client waiting for an answer.
    Waiting,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Replica => "replica",
            Role::Coordinating => "coordinator",
            Role::HoldingHints => "holding hints",
            Role::Client => "client",
            Role::Waiting => "waiting",
        }
    }

    pub fn palette(self) -> Palette {
        match self {
            Role::Replica | Role::Client => Palette::Plain,
            Role::Coordinating => Palette::Lead,
            Role::HoldingHints => Palette::Suspect,
            Role::Waiting => Palette::Contend,
        }
    }
}

/// What a person (or a preset) can ask of a client: a read or a write of
/// `key`, through `coordinator` (or one the client picks among the key's
/// home replicas).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuorumOp {
    Read {
        key: Key,
        coordinator: Option<NodeId>,
    },
    Write {
        key: Key,
        coordinator: Option<NodeId>,
    },
}

const READ_CODE: u32 = 1;
const WRITE_CODE: u32 = 2;

impl fmt::Display for QuorumOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (what, key, coordinator) = match *self {
            QuorumOp::Read { key, coordinator } => ("read", key, coordinator),
            QuorumOp::Write { key, coordinator } => ("write", key, coordinator),
        };
        write!(f, "{what} k{key}")?;
        if let Some(coordinator) = coordinator {
            write!(f, " through {coordinator}")?;
        }
        Ok(())
    }
}

impl Operation for QuorumOp {
    fn to_raw(&self) -> RawOperation {
        let (code, key, coordinator) = match *self {
            QuorumOp::Read { key, coordinator } => (READ_CODE, key, coordinator),
            QuorumOp::Write { key, coordinator } => (WRITE_CODE, key, coordinator),
        };
        // The coordinator travels as id + 1, 0 meaning "the client picks".
        let coordinator = coordinator.map_or(0, |node| node.0 as u64 + 1);
        RawOperation::new(code, &[key as u64, coordinator])
    }

    fn from_raw(raw: &RawOperation) -> Option<Self> {
        if raw.args.len() != 2 {
            return None;
        }
        let key = Key::try_from(raw.args[0]).ok().filter(|&key| key < KEYS)?;
        let coordinator = match raw.args[1] {
            0 => None,
            id => Some(NodeId(u32::try_from(id - 1).ok()?)),
        };
        match raw.code {
            READ_CODE => Some(QuorumOp::Read { key, coordinator }),
            WRITE_CODE => Some(QuorumOp::Write { key, coordinator }),
            _ => None,
        }
    }
}
