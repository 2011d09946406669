//! The vocabulary of the vector clocks topic: event and write names, the
//! versions of the replicated register, the one message type, the workload's
//! timer, the roles, and the operations a person can send from the page.

use std::fmt;

use crate::sim::action::{Operation, RawOperation};
use crate::sim::node::Labelled;
use crate::sim::time::NodeId;
use crate::sim::view::Palette;

use super::clock::VectorClock;

/// An event: the `seq`-th event (from 1) of `process`. Ghost data: the
/// checker names events by it to keep the true causal order; no protocol rule
/// reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventId {
    pub process: NodeId,
    pub seq: u32,
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.process, self.seq)
    }
}

/// The name of a written value: the writer's letter (`a` for n0, `b` for n1,
/// ...) and how many writes it has made, so `b2` is n1's second write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WriteName {
    pub writer: NodeId,
    pub number: u32,
}

impl fmt::Display for WriteName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let letter = (b'a' + (self.writer.0 % 26) as u8) as char;
        write!(f, "{letter}{}", self.number)
    }
}

/// One version of the replicated register `x`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Version {
    pub name: WriteName,
    /// The Lamport timestamp of the write: what last-writer-wins compares
    /// (ties broken by the writer's id).
    pub lamport: u64,
    /// The version vector (Parker et al. 1983; Dynamo's vector clock): entry
    /// `i` counts the writes of replica `i` this version has seen.
    pub version: VectorClock,
    /// Ghost: the write event, for the checker's ground truth.
    pub write: EventId,
}

impl Version {
    /// The last-writer-wins order: Lamport timestamp, then writer.
    pub fn lamport_key(&self) -> (u64, NodeId) {
        (self.lamport, self.name.writer)
    }
}

/// The one message: the sender's clocks after its send event, and its copy
/// of the register (every message is also anti-entropy).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClockMessage {
    pub lamport: u64,
    pub vector: VectorClock,
    pub versions: Vec<Version>,
    /// Ghost: the send event, for the checker's ground truth.
    pub send: EventId,
}

impl Labelled for ClockMessage {
    fn kind(&self) -> &'static str {
        "Message"
    }

    fn label(&self) -> String {
        let mut text = format!("L{} {}", self.lamport, self.vector);
        if !self.versions.is_empty() {
            text.push_str(" x=");
            for (i, version) in self.versions.iter().enumerate() {
                if i > 0 {
                    text.push('|');
                }
                text.push_str(&version.name.to_string());
            }
        }
        text
    }
}

/// The workload's timer: time for this process's next event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClockTimer {
    Next,
}

impl Labelled for ClockTimer {
    fn kind(&self) -> &'static str {
        "next event"
    }

    fn label(&self) -> String {
        "the workload's next event".to_string()
    }
}

/// What kind of event a process did last, as the cluster view names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// No event yet.
    Idle,
    Local,
    Sent,
    Received,
    Wrote,
    /// The register holds two or more concurrent versions.
    Siblings,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Idle => "process",
            Role::Local => "local event",
            Role::Sent => "sent",
            Role::Received => "received",
            Role::Wrote => "wrote",
            Role::Siblings => "siblings",
        }
    }

    pub fn palette(self) -> Palette {
        match self {
            Role::Idle | Role::Local => Palette::Plain,
            Role::Sent => Palette::Lead,
            Role::Received => Palette::Done,
            Role::Wrote => Palette::Contend,
            Role::Siblings => Palette::Suspect,
        }
    }
}

/// What a person (or a preset) can ask of a process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockOp {
    /// An internal event: only the clocks move.
    LocalEvent,
    /// Send a message to `to`, or to a peer drawn from the process's seeded
    /// random stream.
    Send { to: Option<NodeId> },
    /// Write a new value to the register `x`.
    Write,
}

const LOCAL_CODE: u32 = 1;
const SEND_CODE: u32 = 2;
const WRITE_CODE: u32 = 3;

impl fmt::Display for ClockOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClockOp::LocalEvent => f.write_str("a local event"),
            ClockOp::Send { to: Some(to) } => write!(f, "a send to {to}"),
            ClockOp::Send { to: None } => f.write_str("a send to a seeded peer"),
            ClockOp::Write => f.write_str("a write of x"),
        }
    }
}

impl Operation for ClockOp {
    fn to_raw(&self) -> RawOperation {
        match self {
            ClockOp::LocalEvent => RawOperation::new(LOCAL_CODE, &[]),
            ClockOp::Send { to: None } => RawOperation::new(SEND_CODE, &[]),
            ClockOp::Send { to: Some(to) } => RawOperation::new(SEND_CODE, &[to.0 as u64]),
            ClockOp::Write => RawOperation::new(WRITE_CODE, &[]),
        }
    }

    fn from_raw(raw: &RawOperation) -> Option<Self> {
        match (raw.code, raw.args.as_slice()) {
            (LOCAL_CODE, []) => Some(ClockOp::LocalEvent),
            (SEND_CODE, []) => Some(ClockOp::Send { to: None }),
            (SEND_CODE, &[to]) => Some(ClockOp::Send {
                to: Some(NodeId(u32::try_from(to).ok()?)),
            }),
            (WRITE_CODE, []) => Some(ClockOp::Write),
            _ => None,
        }
    }
}
