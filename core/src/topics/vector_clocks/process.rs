//! A process of the vector clocks topic: it does local events, sends and
//! receives, and writes the replicated register, and keeps both a Lamport
//! clock and a vector clock, ticking them by the papers' rules at every event.
//!
//! Lamport (1978), section 2: IR1, a process increments its clock between any
//! two of its events; IR2, a message carries the sender's timestamp and the
//! receiver sets its clock past both its own and the message's. Fidge (1988)
//! and Mattern (1988, section 4): the same for a vector, whose own entry ticks
//! at every event and which a receiver merges entry by entry with the
//! message's before ticking. Each event's note says which rule ran, with the
//! numbers before and after, so the event log explains every timestamp.
//!
//! Every message also carries the sender's copy of the register (see
//! [`super::register`]). The process logs each event with its two
//! timestamps; that log, and the event names the messages and versions carry,
//! are ghost data for the checker: no rule reads them.

use crate::sim::node::{Cx, Node};
use crate::sim::time::{Duration, NodeId};
use crate::sim::view::{Cell, NodeSummary};

use super::clock::VectorClock;
use super::message::{ClockMessage, ClockOp, ClockTimer, EventId, Role, Version, WriteName};
use super::register::{Decision, Register, Resolution};

/// How a run is set up, as every process sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClockConfig {
    pub processes: usize,
    /// The `clock` parameter: which timestamp leads (the badge, the notes,
    /// the state table) and decides the register.
    pub resolution: Resolution,
    /// Mean time between one process's workload events, or `None` for none.
    pub gap: Option<Duration>,
    /// Bug: a receive ticks the own entry without the entry-by-entry maximum.
    pub receive_without_merge: bool,
    /// Bug: a send does not tick the clocks.
    pub send_without_increment: bool,
    /// Bug: a concurrent incoming version replaces the held ones.
    pub siblings_overwritten: bool,
}

impl ClockConfig {
    pub fn vector_leads(&self) -> bool {
        self.resolution == Resolution::VersionVectors
    }
}

/// What an event was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventKind {
    Local,
    Send {
        to: NodeId,
    },
    Receive {
        from: NodeId,
        /// The matching send event (ghost, from the message).
        send: EventId,
        /// The write events of the versions the message carried (ghost).
        arrived: Vec<EventId>,
    },
    Write {
        name: WriteName,
    },
}

/// One event in a process's log, with the timestamps the protocol gave it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRecord {
    pub kind: EventKind,
    pub lamport: u64,
    pub vector: VectorClock,
}

/// One process.
#[derive(Clone, Debug)]
pub struct ClockProcess {
    id: NodeId,
    config: ClockConfig,
    /// Lamport's clock C_i (durable, as every field: see the module essay).
    lamport: u64,
    vector: VectorClock,
    register: Register,
    /// Writes made so far, to name the next one.
    writes: u32,
    /// Ghost: every event, in order.
    events: Vec<EventRecord>,
    role: Role,
}

impl ClockProcess {
    pub fn new(id: NodeId, config: ClockConfig) -> Self {
        ClockProcess {
            id,
            config,
            lamport: 0,
            vector: VectorClock::zero(config.processes),
            register: Register::default(),
            writes: 0,
            events: Vec::new(),
            role: Role::Idle,
        }
    }

    pub fn id(&self) -> NodeId {
        self.id
    }

    pub fn config(&self) -> &ClockConfig {
        &self.config
    }

    pub fn lamport(&self) -> u64 {
        self.lamport
    }

    pub fn vector(&self) -> &VectorClock {
        &self.vector
    }

    pub fn register(&self) -> &Register {
        &self.register
    }

    /// Every event so far, in order: event `k` (from 0) is `EventId { seq: k + 1 }`.
    pub fn events(&self) -> &[EventRecord] {
        &self.events
    }

    fn next_event(&self) -> EventId {
        EventId {
            process: self.id,
            seq: self.events.len() as u32 + 1,
        }
    }

    fn record(&mut self, kind: EventKind) {
        self.role = match kind {
            EventKind::Local => Role::Local,
            EventKind::Send { .. } => Role::Sent,
            EventKind::Receive { .. } => Role::Received,
            EventKind::Write { .. } => Role::Wrote,
        };
        if self.register.versions().len() > 1 {
            self.role = Role::Siblings;
        }
        self.events.push(EventRecord {
            kind,
            lamport: self.lamport,
            vector: self.vector.clone(),
        });
    }

    /// IR1 and the vector's own tick: what every local event, send and write
    /// does first. Returns the note's text for both clocks.
    fn tick(&mut self) -> (String, String) {
        let (lamport, vector) = (self.lamport, self.vector.clone());
        self.lamport += 1;
        self.vector.tick(self.id.index());
        (
            format!("Lamport (IR1) {lamport} + 1 = {}", self.lamport),
            format!("vector: own entry + 1, {vector} → {}", self.vector),
        )
    }

    /// The two clock texts in the order the `clock` parameter leads with.
    fn both(&self, lamport: String, vector: String) -> String {
        if self.config.vector_leads() {
            format!("{vector}; {lamport}")
        } else {
            format!("{lamport}; {vector}")
        }
    }

    pub fn local_event(&mut self, cx: &mut Cx<ClockProcess>) {
        let event = self.next_event();
        let (lamport, vector) = self.tick();
        self.record(EventKind::Local);
        let rules = self.both(lamport, vector);
        cx.note(|| format!("local event {event}: {rules}"));
    }

    pub fn send(&mut self, to: Option<NodeId>, cx: &mut Cx<ClockProcess>) {
        let to = match to {
            Some(to) => to,
            None => {
                let peers: Vec<NodeId> = cx.peers().collect();
                match cx.rng.pick(&peers) {
                    Some(&peer) => peer,
                    None => {
                        cx.note(|| "has no peer to send to".to_string());
                        return;
                    }
                }
            }
        };
        if to == self.id || to.index() >= self.config.processes {
            cx.note(|| format!("cannot send to {to}: not a peer"));
            return;
        }
        let event = self.next_event();
        let rules = if self.config.send_without_increment {
            // The bug: the send keeps the previous event's timestamps.
            format!(
                "clocks not ticked (the send-without-increment bug): L{} {}",
                self.lamport, self.vector
            )
        } else {
            let (lamport, vector) = self.tick();
            self.both(lamport, vector)
        };
        self.record(EventKind::Send { to });
        let message = ClockMessage {
            lamport: self.lamport,
            vector: self.vector.clone(),
            versions: self.register.versions().to_vec(),
            send: event,
        };
        cx.note(|| {
            format!(
                "send {event} to {to}: {rules}; the message carries L{} {} and x = {}",
                message.lamport,
                message.vector,
                versions_text(&message.versions, self.config.resolution)
            )
        });
        cx.send(to, message);
    }

    pub fn receive(&mut self, from: NodeId, message: ClockMessage, cx: &mut Cx<ClockProcess>) {
        let processes = self.config.processes;
        let well_formed = message.vector.len() == processes
            && message.versions.iter().all(|version| {
                version.version.len() == processes && version.name.writer.index() < processes
            });
        if !well_formed {
            cx.note(|| {
                format!("drops a message from {from}: its vectors are not of size {processes}")
            });
            return;
        }
        let event = self.next_event();
        // IR2: C_j := max(C_j, T_m) + 1 (IR2(b), then IR1 for the receive).
        let own_lamport = self.lamport;
        self.lamport = own_lamport.max(message.lamport) + 1;
        let lamport = format!(
            "Lamport (IR2) max({own_lamport}, {}) + 1 = {}",
            message.lamport, self.lamport
        );
        let own_vector = self.vector.clone();
        let vector = if self.config.receive_without_merge {
            self.vector.tick(self.id.index());
            format!(
                "vector: own entry + 1 without the max (the receive-without-merge bug), {own_vector} → {}",
                self.vector
            )
        } else {
            self.vector.merge(&message.vector);
            let merged = self.vector.clone();
            self.vector.tick(self.id.index());
            format!(
                "vector: max of own {own_vector} and the message's {} = {merged}, then own entry + 1 → {}",
                message.vector, self.vector
            )
        };
        let decisions = self.register.merge(
            &message.versions,
            self.config.resolution,
            self.config.siblings_overwritten,
        );
        let arrived = message
            .versions
            .iter()
            .map(|version| version.write)
            .collect();
        self.record(EventKind::Receive {
            from,
            send: message.send,
            arrived,
        });
        let rules = self.both(lamport, vector);
        cx.note(|| {
            format!(
                "receive {event} from {from} (sent as {}): {rules}",
                message.send
            )
        });
        if !decisions.is_empty() {
            let resolution = self.config.resolution;
            cx.note(|| decisions_text(&decisions, resolution));
        }
    }

    pub fn write(&mut self, cx: &mut Cx<ClockProcess>) {
        let event = self.next_event();
        let (lamport, vector) = self.tick();
        self.writes += 1;
        let name = WriteName {
            writer: self.id,
            number: self.writes,
        };
        let version = Version {
            name,
            lamport: self.lamport,
            version: self.register.next_version(self.id, self.config.processes),
            write: event,
        };
        let replaced = self.register.write(version.clone());
        self.record(EventKind::Write { name });
        let rules = self.both(lamport, vector);
        let resolution = self.config.resolution;
        cx.note(|| {
            let superseded = if replaced.is_empty() {
                String::new()
            } else {
                format!("; it supersedes {}", versions_text(&replaced, resolution))
            };
            match resolution {
                Resolution::VersionVectors => format!(
                    "write {name} to x at {event}: {rules}; version vector: max of the versions held, own entry + 1 = {}{superseded}",
                    version.version
                ),
                Resolution::LastWriterWins => format!(
                    "write {name} to x at {event}: {rules}; the version is stamped L{}{superseded}",
                    version.lamport
                ),
            }
        });
    }
}

/// A list of versions as the notes and the state table show them: with their
/// version vectors, or their Lamport timestamps under last-writer-wins.
pub fn versions_text(versions: &[Version], resolution: Resolution) -> String {
    if versions.is_empty() {
        return "nothing".to_string();
    }
    let texts: Vec<String> = versions
        .iter()
        .map(|version| version_text(version, resolution))
        .collect();
    texts.join(" | ")
}

pub fn version_text(version: &Version, resolution: Resolution) -> String {
    match resolution {
        Resolution::VersionVectors => format!("{} {}", version.name, version.version),
        Resolution::LastWriterWins => format!("{} (L{})", version.name, version.lamport),
    }
}

/// The register's decisions on a receive, as one note.
fn decisions_text(decisions: &[Decision], resolution: Resolution) -> String {
    let show = |version: &Version| version_text(version, resolution);
    let texts: Vec<String> = decisions
        .iter()
        .map(|decision| match (decision, resolution) {
            (Decision::Adopted(version), _) => format!("takes {}", show(version)),
            (Decision::Replaced { old, by }, Resolution::VersionVectors) => {
                format!("{} dominates {}: replaces it", show(by), show(old))
            }
            (Decision::Replaced { old, by }, Resolution::LastWriterWins) => format!(
                "{} is later than {} by (timestamp, writer): last writer wins, {} is replaced",
                show(by),
                show(old),
                old.name
            ),
            (Decision::Ignored { incoming, by }, Resolution::VersionVectors) => {
                format!("{} is dominated by {}: ignored", show(incoming), show(by))
            }
            (Decision::Ignored { incoming, by }, Resolution::LastWriterWins) => format!(
                "{} is earlier than {} by (timestamp, writer): last writer wins, {} is dropped",
                show(incoming),
                show(by),
                incoming.name
            ),
            (Decision::Sibling(version), _) => format!(
                "{} is concurrent with what x holds: kept as a sibling",
                show(version)
            ),
            (Decision::Overwritten { old, by }, _) => format!(
                "{} is concurrent with {} but replaces it (the siblings-overwritten bug)",
                show(by),
                show(old)
            ),
        })
        .collect();
    format!("x: {}", texts.join("; "))
}

impl Node for ClockProcess {
    type Msg = ClockMessage;
    type Timer = ClockTimer;
    type Op = ClockOp;

    fn on_start(&mut self, cx: &mut Cx<Self>) {
        if let Some(gap) = self.config.gap {
            let wait = cx.rng.range_inclusive(1, 2 * gap.as_micros());
            cx.set_timer(ClockTimer::Next, Duration(wait));
        }
    }

    fn on_message(&mut self, from: NodeId, msg: ClockMessage, cx: &mut Cx<Self>) {
        self.receive(from, msg, cx);
    }

    /// The seeded workload: a send half the time, else a local event or a
    /// write, then the next one after a uniform wait of mean `gap`.
    fn on_timer(&mut self, timer: ClockTimer, cx: &mut Cx<Self>) {
        let ClockTimer::Next = timer;
        match cx.rng.below(4) {
            0 => self.local_event(cx),
            1 | 2 => self.send(None, cx),
            _ => self.write(cx),
        }
        if let Some(gap) = self.config.gap {
            let wait = cx.rng.range_inclusive(1, 2 * gap.as_micros());
            cx.set_timer(ClockTimer::Next, Duration(wait));
        }
    }

    fn on_operation(&mut self, operation: ClockOp, cx: &mut Cx<Self>) {
        match operation {
            ClockOp::LocalEvent => self.local_event(cx),
            ClockOp::Send { to } => self.send(to, cx),
            ClockOp::Write => self.write(cx),
        }
    }

    fn on_crash(&mut self) {
        // The clocks, the register and the write count are on stable storage
        // (written before each event takes effect): a restarted process must
        // not reuse a timestamp. Only the pending workload timer is lost, and
        // the simulator drops that itself.
    }

    fn summary(&self) -> NodeSummary {
        let (lamport, vector) = (format!("L{}", self.lamport), self.vector.to_string());
        NodeSummary {
            role: self.role.as_str(),
            palette: self.role.palette(),
            badge: if self.config.vector_leads() {
                vector.clone()
            } else {
                lamport.clone()
            },
            detail: format!(
                "{lamport} {vector}; x = {}",
                versions_text(self.register.versions(), self.config.resolution)
            ),
        }
    }

    fn state_row(&self) -> Vec<Cell> {
        let lamport = format!("L{}", self.lamport);
        let vector = self.vector.to_string();
        let (leading, other) = if self.config.vector_leads() {
            (vector, lamport)
        } else {
            (lamport, vector)
        };
        let (mut sent, mut received, mut writes) = (0, 0, 0);
        for event in &self.events {
            match event.kind {
                EventKind::Send { .. } => sent += 1,
                EventKind::Receive { .. } => received += 1,
                EventKind::Write { .. } => writes += 1,
                EventKind::Local => {}
            }
        }
        vec![
            Cell::Text(leading),
            Cell::Text(other),
            Cell::Text(versions_text(
                self.register.versions(),
                self.config.resolution,
            )),
            Cell::Text(format!(
                "{} ({sent} sent, {received} received, {writes} writes)",
                self.events.len()
            )),
        ]
    }
}
