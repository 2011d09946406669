//! A service instance: it registers with the registry, renews its lease with
//! a heartbeat every `heartbeat-ms` (Eureka's renewal; Consul's TTL check
//! passed by the service itself), serves requests one at a time from a queue,
//! and, shut down gracefully, deregisters before it stops taking requests.
//!
//! Each heartbeat is a new write with the next version; a heartbeat still
//! unacknowledged when the next is due is taken as a sign that its replica is
//! gone, and the next one goes to the next replica. The incarnation is on
//! disk and grows at every restart, so the registry orders the writes of a
//! restarted instance after those of its previous life.

use crate::sim::node::Cx;
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::view::{Cell, NodeSummary, Palette};

use super::message::{DiscoveryMessage, DiscoveryTimer, Record, RequestId, Version};
use super::process::{ignore, DiscoveryConfig, DiscoveryProcess};

/// How much slower a slowed-down instance serves.
pub const SLOWDOWN: u64 = 5;

/// An acknowledged write, as the instance heard of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Acknowledged {
    pub version: Version,
    pub up: bool,
    pub expires_at: Time,
    /// When the acknowledgement arrived, by the instance's clock.
    pub at: Time,
}

/// One service instance.
#[derive(Clone, Debug)]
pub struct ServiceInstance {
    id: NodeId,
    config: DiscoveryConfig,
    /// Durable: one more at every start.
    incarnation: u32,
    /// The version of the latest write sent.
    sent: Version,
    /// The latest acknowledged write of this incarnation.
    acked: Option<Acknowledged>,
    /// Which replica the heartbeats go to (moves on when one goes unanswered).
    replica: u32,
    /// False after a graceful shutdown (deregistered): requests are refused.
    in_service: bool,
    /// Durable, like a configuration: served five times slower.
    slow: bool,
    queue: Vec<(NodeId, RequestId)>,
    busy: bool,
    // Tallies for the view (not protocol state).
    served: u64,
    refused: u64,
}

impl ServiceInstance {
    pub fn new(id: NodeId, config: DiscoveryConfig) -> Self {
        ServiceInstance {
            id,
            config,
            incarnation: 0,
            sent: Version::default(),
            acked: None,
            replica: id.0 % config.replicas.max(1),
            in_service: true,
            slow: false,
            queue: Vec::new(),
            busy: false,
            served: 0,
            refused: 0,
        }
    }

    pub fn acked(&self) -> Option<Acknowledged> {
        self.acked
    }

    pub fn in_service(&self) -> bool {
        self.in_service
    }

    pub fn slow(&self) -> bool {
        self.slow
    }

    pub fn incarnation(&self) -> u32 {
        self.incarnation
    }

    pub fn served(&self) -> u64 {
        self.served
    }

    pub fn on_start(&mut self, cx: &mut Cx<DiscoveryProcess>) {
        self.incarnation += 1;
        self.sent = Version {
            incarnation: self.incarnation,
            seq: 0,
        };
        self.in_service = true;
        let incarnation = self.incarnation;
        cx.note(|| format!("starts (incarnation {incarnation}) and registers"));
        self.send_write(true, cx);
        cx.set_timer(DiscoveryTimer::Heartbeat, self.config.heartbeat);
    }

    pub fn on_crash(&mut self) {
        self.acked = None;
        self.queue.clear();
        self.busy = false;
    }

    /// Sends the next write (a heartbeat, or a deregistration) to the current
    /// replica.
    fn send_write(&mut self, up: bool, cx: &mut Cx<DiscoveryProcess>) {
        self.sent.seq += 1;
        let record = Record {
            instance: self.id,
            version: self.sent,
            up,
            expires_at: Time::ZERO,
        };
        cx.send(NodeId(self.replica), DiscoveryMessage::Heartbeat { record });
    }

    fn unacknowledged(&self) -> bool {
        self.acked.is_none_or(|a| a.version < self.sent)
    }

    pub fn on_timer(&mut self, timer: DiscoveryTimer, cx: &mut Cx<DiscoveryProcess>) {
        match timer {
            DiscoveryTimer::Heartbeat => {
                let deregistered = self.acked.is_some_and(|a| !a.up && a.version == self.sent);
                if self.in_service || !deregistered {
                    if self.unacknowledged() && self.config.replicas > 1 {
                        self.replica = (self.replica + 1) % self.config.replicas;
                        let replica = self.replica;
                        cx.note(|| format!("no ack for the last write: tries replica n{replica}"));
                    }
                    self.send_write(self.in_service, cx);
                }
                cx.set_timer(DiscoveryTimer::Heartbeat, self.config.heartbeat);
            }
            DiscoveryTimer::Served => self.finish_one(cx),
            other => ignore(&other, cx),
        }
    }

    pub fn on_message(
        &mut self,
        from: NodeId,
        message: DiscoveryMessage,
        cx: &mut Cx<DiscoveryProcess>,
    ) {
        match message {
            DiscoveryMessage::HeartbeatAck {
                version,
                up,
                expires_at,
            } if self.config.is_replica(from) => {
                if version.incarnation != self.incarnation
                    || self.acked.is_some_and(|a| a.version >= version)
                {
                    return; // an old or repeated acknowledgement
                }
                self.acked = Some(Acknowledged {
                    version,
                    up,
                    expires_at,
                    at: cx.now(),
                });
            }
            DiscoveryMessage::Request { id, incarnation } => {
                if incarnation != self.incarnation {
                    self.refused += 1;
                    cx.note(|| {
                        format!("refuses {id}: sent to the address of incarnation {incarnation}")
                    });
                    return cx.send(from, DiscoveryMessage::Refused { id });
                }
                if !self.in_service {
                    self.refused += 1;
                    cx.note(|| format!("refuses {id}: shut down, out of service"));
                    return cx.send(from, DiscoveryMessage::Refused { id });
                }
                self.queue.push((from, id));
                if !self.busy {
                    self.start_next(cx);
                }
            }
            other => ignore(&other, cx),
        }
    }

    fn start_next(&mut self, cx: &mut Cx<DiscoveryProcess>) {
        if self.queue.is_empty() {
            self.busy = false;
            return;
        }
        self.busy = true;
        let mean = self.config.service_ms(self.id) * if self.slow { SLOWDOWN } else { 1 } * 1_000;
        let took = cx.rng.range_inclusive(mean / 2, mean * 3 / 2).max(1);
        cx.set_timer(DiscoveryTimer::Served, Duration(took));
    }

    fn finish_one(&mut self, cx: &mut Cx<DiscoveryProcess>) {
        if self.queue.is_empty() {
            self.busy = false;
            return;
        }
        let (to, id) = self.queue.remove(0);
        self.served += 1;
        cx.send(
            to,
            DiscoveryMessage::Reply {
                id,
                instance: self.id,
            },
        );
        self.start_next(cx);
    }

    /// The Deregister button: a graceful shutdown (Eureka's cancel, sent
    /// before the process stops), or, when out of service, a new registration.
    pub fn toggle_service(&mut self, cx: &mut Cx<DiscoveryProcess>) {
        self.in_service = !self.in_service;
        if self.in_service {
            cx.note(|| "comes back into service and registers again".to_string());
        } else {
            cx.note(|| "shuts down gracefully: deregisters and refuses new requests".to_string());
        }
        self.send_write(self.in_service, cx);
    }

    pub fn toggle_slow(&mut self, cx: &mut Cx<DiscoveryProcess>) {
        self.slow = !self.slow;
        let slow = self.slow;
        cx.note(|| {
            if slow {
                format!("slows down: serves {SLOWDOWN} times slower")
            } else {
                "is back to its usual speed".to_string()
            }
        });
    }

    pub fn summary(&self) -> NodeSummary {
        let (role, palette) = match (self.in_service, self.acked) {
            (false, _) => ("out of service", Palette::Suspect),
            (true, Some(a)) if a.up => ("instance", Palette::Done),
            (true, _) => ("registering", Palette::Contend),
        };
        NodeSummary {
            role,
            palette,
            badge: format!("{}", self.queue.len()),
            detail: format!(
                "instance {}: {} ms per request{}, {} queued, {} served, {} refused; latest write {}",
                self.id,
                self.config.service_ms(self.id) * if self.slow { SLOWDOWN } else { 1 },
                if self.slow { " (slowed down)" } else { "" },
                self.queue.len(),
                self.served,
                self.refused,
                self.sent
            ),
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        let lease = match self.acked {
            Some(a) if a.up => format!(
                "{} acked, lease until {} ms",
                a.version,
                a.expires_at.as_millis()
            ),
            Some(a) => format!("{} deregistered", a.version),
            None => format!("{} not acked yet", self.sent),
        };
        vec![
            Cell::Text(lease),
            Cell::Text(format!(
                "{} queued, {} ms each{}",
                self.queue.len(),
                self.config.service_ms(self.id) * if self.slow { SLOWDOWN } else { 1 },
                if self.slow { " (slow)" } else { "" }
            )),
            Cell::Text(format!("{} served, {} refused", self.served, self.refused)),
        ]
    }
}
