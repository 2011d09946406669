//! A storage server: a replica of the keys it is home for, a fallback that
//! keeps hinted writes for unreachable home replicas and hands them back
//! (Dynamo §4.6), and the coordinator of the operations clients send it
//! ([`super::coordinator`]).
//!
//! What a replica holds and its hints are durable (Dynamo keeps both in local
//! stores on disk: a quorum that forgot acknowledged writes on restart would
//! promise nothing); the operations it coordinates are not.

use crate::history::Key;
use crate::sim::node::Cx;
use crate::sim::time::NodeId;
use crate::sim::view::{Cell, NodeSummary};

use super::coordinator::Coordinator;
use super::message::{QuorumMessage, QuorumTimer, Role, Versioned, KEYS};
use super::process::{ignore, QuorumConfig, QuorumProcess};

/// A write kept for a home replica the coordinator could not reach.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hint {
    pub key: Key,
    pub home: NodeId,
    pub versioned: Versioned,
}

/// One storage server.
#[derive(Clone, Debug)]
pub struct QuorumServer {
    id: NodeId,
    config: QuorumConfig,
    /// Durable: what it holds of each key, by key.
    store: Vec<Versioned>,
    /// Durable: hints, sorted by key and home, one per pair (the newest).
    hints: Vec<Hint>,
    coordinator: Coordinator,
    /// Hints handed back and acknowledged (for the view).
    handed_off: u64,
    /// Volatile: whether the handoff timer is set (only while it holds hints).
    handoff_armed: bool,
}

impl QuorumServer {
    pub fn new(id: NodeId, config: QuorumConfig) -> Self {
        QuorumServer {
            id,
            config,
            store: vec![Versioned::default(); KEYS as usize],
            hints: Vec::new(),
            coordinator: Coordinator::default(),
            handed_off: 0,
            handoff_armed: false,
        }
    }

    pub fn id(&self) -> NodeId {
        self.id
    }

    /// What it holds of `key` as a replica.
    pub fn held(&self, key: Key) -> Versioned {
        self.store.get(key as usize).copied().unwrap_or_default()
    }

    pub fn hints(&self) -> &[Hint] {
        &self.hints
    }

    pub fn handed_off(&self) -> u64 {
        self.handed_off
    }

    pub fn coordinator(&self) -> &Coordinator {
        &self.coordinator
    }

    /// What it answers a query for `key` with: its own copy, or a hint it
    /// keeps for that key if newer (a fallback serves what it stands in for).
    fn known(&self, key: Key) -> Versioned {
        self.hints
            .iter()
            .filter(|hint| hint.key == key)
            .map(|hint| hint.versioned)
            .fold(self.held(key), Versioned::max)
    }

    /// Keeps `versioned` of `key` if it is newer (versions only grow).
    fn keep(&mut self, key: Key, versioned: Versioned) {
        if let Some(slot) = self.store.get_mut(key as usize) {
            *slot = (*slot).max(versioned);
        }
    }

    /// Sets the handoff timer if it holds hints and the timer is not set.
    fn arm_handoff(&mut self, cx: &mut Cx<QuorumProcess>) {
        if !self.hints.is_empty() && !self.handoff_armed {
            self.handoff_armed = true;
            cx.set_timer(QuorumTimer::HandOff, self.config.handoff_period);
        }
    }

    fn keep_hint(&mut self, key: Key, home: NodeId, versioned: Versioned) {
        match self
            .hints
            .binary_search_by(|h| (h.key, h.home).cmp(&(key, home)))
        {
            Ok(at) => {
                let hint = &mut self.hints[at];
                hint.versioned = hint.versioned.max(versioned);
            }
            Err(at) => self.hints.insert(
                at,
                Hint {
                    key,
                    home,
                    versioned,
                },
            ),
        }
    }

    pub fn on_start(&mut self, cx: &mut Cx<QuorumProcess>) {
        self.coordinator.on_start();
        self.arm_handoff(cx);
    }

    pub fn on_crash(&mut self) {
        self.coordinator.on_crash();
        self.handoff_armed = false;
    }

    pub fn on_message(&mut self, from: NodeId, msg: QuorumMessage, cx: &mut Cx<QuorumProcess>) {
        let config = self.config;
        match msg {
            QuorumMessage::Request { request, command } => {
                if command.key() >= KEYS {
                    cx.note(|| format!("drops {command}: there is no such key"));
                    return;
                }
                self.coordinator.start(from, request, command, &config, cx);
            }
            QuorumMessage::Query {
                operation,
                key,
                hint_for: _,
            } if key < KEYS => {
                let held = self.known(key);
                cx.send(
                    from,
                    QuorumMessage::QueryReply {
                        operation,
                        key,
                        held,
                    },
                );
            }
            QuorumMessage::Store {
                operation,
                key,
                versioned,
                hint_for,
            } if key < KEYS => {
                match hint_for.filter(|&home| home != self.id && config.is_server(home)) {
                    // §4.6: a hinted replica goes to a separate local store,
                    // to be handed back.
                    Some(home) => {
                        cx.note(|| format!("keeps k{key}={versioned} as a hint for {home}"));
                        self.keep_hint(key, home, versioned);
                        self.arm_handoff(cx);
                    }
                    None => {
                        let before = self.held(key);
                        self.keep(key, versioned);
                        if before < versioned {
                            cx.note(|| format!("k{key}: {before} -> {versioned}"));
                        }
                    }
                }
                cx.send(
                    from,
                    QuorumMessage::StoreAck {
                        operation,
                        key,
                        versioned,
                    },
                );
            }
            QuorumMessage::QueryReply {
                operation, held, ..
            } => self
                .coordinator
                .on_query_reply(from, operation, held, &config, cx),
            QuorumMessage::StoreAck {
                operation,
                versioned,
                ..
            } => self
                .coordinator
                .on_store_ack(from, operation, versioned, &config, cx),
            QuorumMessage::HandOff { key, versioned } if key < KEYS => {
                let before = self.held(key);
                self.keep(key, versioned);
                cx.note(|| format!("takes back k{key}={versioned} from {from} (held {before})"));
                cx.send(from, QuorumMessage::HandOffAck { key, versioned });
            }
            QuorumMessage::HandOffAck { key, versioned } => {
                let before = self.hints.len();
                self.hints
                    .retain(|h| !(h.key == key && h.home == from && h.versioned <= versioned));
                if self.hints.len() < before {
                    self.handed_off += 1;
                    cx.note(|| format!("{from} has k{key}={versioned}: drops the hint"));
                }
            }
            other => {
                if matches!(other, QuorumMessage::Reply { .. }) {
                    ignore(&other, cx);
                } else {
                    cx.note(|| {
                        format!(
                            "drops {}: no such key",
                            crate::sim::node::Labelled::label(&other)
                        )
                    });
                }
            }
        }
    }

    pub fn on_timer(&mut self, timer: QuorumTimer, cx: &mut Cx<QuorumProcess>) {
        let config = self.config;
        match timer {
            QuorumTimer::Resend(operation) => self.coordinator.on_resend(operation, &config, cx),
            QuorumTimer::Deadline(operation) => self.coordinator.on_deadline(operation, cx),
            QuorumTimer::HandOff => {
                // §4.6: periodically try to deliver each hint to its home; an
                // unreachable home simply does not acknowledge.
                for hint in &self.hints {
                    cx.send(
                        hint.home,
                        QuorumMessage::HandOff {
                            key: hint.key,
                            versioned: hint.versioned,
                        },
                    );
                }
                self.handoff_armed = false;
                self.arm_handoff(cx);
            }
            QuorumTimer::Think | QuorumTimer::GiveUp(_) => ignore(&timer, cx),
        }
    }

    fn role(&self) -> Role {
        if !self.coordinator.in_flight().is_empty() {
            Role::Coordinating
        } else if !self.hints.is_empty() {
            Role::HoldingHints
        } else {
            Role::Replica
        }
    }

    pub fn summary(&self) -> NodeSummary {
        let role = self.role();
        let homes: Vec<String> = (0..KEYS)
            .filter(|&key| self.config.is_home(key, self.id))
            .map(|key| format!("k{key}"))
            .collect();
        NodeSummary {
            role: role.as_str(),
            palette: role.palette(),
            badge: match self.hints.len() {
                0 => homes.join(","),
                n => format!("{n}h"),
            },
            detail: format!(
                "server {}: home of {}; {} hints; coordinating {}",
                self.id,
                if homes.is_empty() {
                    "no key".to_string()
                } else {
                    homes.join(", ")
                },
                self.hints.len(),
                self.coordinator.in_flight().len()
            ),
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        let mut row: Vec<Cell> = (0..KEYS)
            .map(|key| {
                let held = self.held(key);
                Cell::Text(if self.config.is_home(key, self.id) {
                    held.to_string()
                } else if held.is_initial() {
                    "(fallback)".to_string()
                } else {
                    format!("{held} (fallback)")
                })
            })
            .collect();
        row.push(Cell::Text(
            self.hints
                .iter()
                .map(|h| format!("k{}={} for {}", h.key, h.versioned, h.home))
                .collect::<Vec<_>>()
                .join(", "),
        ));
        row.push(Cell::Text(
            self.coordinator
                .in_flight()
                .iter()
                .map(|op| format!("{}'s {}", op.client, op.command))
                .collect::<Vec<_>>()
                .join(", "),
        ));
        row
    }
}
