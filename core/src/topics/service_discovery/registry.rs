//! A registry replica: it keeps one record per instance, takes heartbeats
//! (register, renew, deregister) and lookups, and, with three replicas,
//! coordinates each as a majority-quorum write or read of its own.
//!
//! A heartbeat is stamped here with a lease (this replica's clock plus the
//! TTL: Eureka's lease duration, Consul's TTL check), applied, sent to the
//! other replicas, and acknowledged to the instance once a majority has it.
//! A lookup asks every replica for its records, merges the first majority's
//! answers (the highest version decides registered or not, the latest lease
//! wins) and answers with the instances whose lease has not run out: an
//! expired lease is evicted from every answer (Eureka's eviction task; here
//! the record stays, as the version a late heartbeat must not undo). Records
//! are durable: a replica writes them before it acknowledges, and a restarted
//! replica answers from them (where the model takes a liberty: Eureka keeps
//! its registry in memory and refills it from its peers).

use crate::sim::node::{Cx, Labelled};
use crate::sim::time::{NodeId, Time};
use crate::sim::view::{Cell, NodeSummary, Palette};

use super::message::{merge_into, DiscoveryMessage, Record};
use super::process::{DiscoveryConfig, DiscoveryProcess};

/// A write this replica coordinates, waiting for a majority.
#[derive(Clone, Debug, PartialEq, Eq)]
struct PendingWrite {
    id: u64,
    record: Record,
    started: Time,
    applied_by: Vec<NodeId>,
}

/// A read this replica coordinates, waiting for a majority.
#[derive(Clone, Debug, PartialEq, Eq)]
struct PendingRead {
    id: u64,
    asker: NodeId,
    lookup: u64,
    started: Time,
    merged: Vec<Record>,
    answered_by: Vec<NodeId>,
}

/// A lookup answer as the checker reads it: when its read started, when it
/// was answered, what the majority's records merged to, and what it listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub started: Time,
    pub answered: Time,
    pub merged: Vec<Record>,
    pub listed: Vec<Record>,
}

/// One registry replica.
#[derive(Clone, Debug)]
pub struct RegistryReplica {
    id: NodeId,
    config: DiscoveryConfig,
    /// One record per instance, sorted by instance (durable).
    table: Vec<Record>,
    /// Numbers the writes and reads this replica coordinates (durable, so an
    /// answer meant for a write before a crash never counts for a new one).
    next_id: u64,
    writes: Vec<PendingWrite>,
    reads: Vec<PendingRead>,
    /// Lookups answered, and the latest answer (kept for the checker and the
    /// view, across crashes).
    answers: u64,
    last_answer: Option<Answer>,
    acks_sent: u64,
}

impl RegistryReplica {
    pub fn new(id: NodeId, config: DiscoveryConfig) -> Self {
        RegistryReplica {
            id,
            config,
            table: Vec::new(),
            next_id: 0,
            writes: Vec::new(),
            reads: Vec::new(),
            answers: 0,
            last_answer: None,
            acks_sent: 0,
        }
    }

    pub fn id(&self) -> NodeId {
        self.id
    }

    pub fn table(&self) -> &[Record] {
        &self.table
    }

    /// How many lookups it has answered, and the latest answer.
    pub fn answers(&self) -> (u64, Option<&Answer>) {
        (self.answers, self.last_answer.as_ref())
    }

    pub fn on_start(&mut self, cx: &mut Cx<DiscoveryProcess>) {
        if !self.table.is_empty() {
            let records = self.table.len();
            cx.note(|| format!("restarts with its {records} records from disk"));
        }
    }

    pub fn on_crash(&mut self) {
        // Writes and reads in progress are lost; the records are on disk.
        self.writes.clear();
        self.reads.clear();
    }

    fn others(&self) -> impl Iterator<Item = NodeId> {
        let me = self.id;
        (0..self.config.replicas)
            .map(NodeId)
            .filter(move |&r| r != me)
    }

    pub fn on_message(
        &mut self,
        from: NodeId,
        message: DiscoveryMessage,
        cx: &mut Cx<DiscoveryProcess>,
    ) {
        match message {
            DiscoveryMessage::Heartbeat { record } => self.on_heartbeat(from, record, cx),
            DiscoveryMessage::Replicate { write, record } if self.config.is_replica(from) => {
                if merge_into(&mut self.table, &record) {
                    cx.note(|| format!("applies {record} for {from}'s write w{write}"));
                }
                cx.send(from, DiscoveryMessage::Replicated { write });
            }
            DiscoveryMessage::Replicated { write } if self.config.is_replica(from) => {
                self.on_replicated(from, write, cx)
            }
            DiscoveryMessage::Lookup { lookup } => self.on_lookup(from, lookup, cx),
            DiscoveryMessage::ReadQuery { read } if self.config.is_replica(from) => {
                cx.send(
                    from,
                    DiscoveryMessage::ReadReply {
                        read,
                        records: self.table.clone(),
                    },
                );
            }
            DiscoveryMessage::ReadReply { read, records } if self.config.is_replica(from) => {
                self.on_read_reply(from, read, &records, cx)
            }
            other => cx.note(|| format!("drops {} from {from}: not for a replica", other.kind())),
        }
    }

    /// Eureka's register / renew / cancel, as one write: stamp the lease,
    /// apply it, replicate it, and acknowledge once a majority has it.
    fn on_heartbeat(&mut self, from: NodeId, record: Record, cx: &mut Cx<DiscoveryProcess>) {
        if record.instance != from || !self.config.is_instance(from) {
            return cx.note(|| format!("drops a heartbeat for {} from {from}", record.instance));
        }
        let now = cx.now();
        let stamped = Record {
            expires_at: if record.up {
                now.after(self.config.ttl)
            } else {
                Time::ZERO
            },
            ..record
        };
        merge_into(&mut self.table, &stamped);
        // Writes whose majority never came are given up after a lease's time:
        // the instance has sent newer ones by then.
        let ttl = self.config.ttl;
        self.writes.retain(|w| now.since(w.started) < ttl);
        self.next_id += 1;
        let id = self.next_id;
        let early = self.config.ack_before_majority;
        if self.config.majority() <= 1 || early {
            self.acknowledge(&stamped, cx);
            if early && self.config.replicas > 1 {
                cx.note(|| "acknowledges before any other replica has it (the bug)".to_string());
            }
        } else {
            self.writes.push(PendingWrite {
                id,
                record: stamped,
                started: now,
                applied_by: vec![self.id],
            });
        }
        cx.note(|| format!("applies {stamped} as write w{id}"));
        for replica in self.others().collect::<Vec<_>>() {
            cx.send(
                replica,
                DiscoveryMessage::Replicate {
                    write: id,
                    record: stamped,
                },
            );
        }
    }

    fn on_replicated(&mut self, from: NodeId, write: u64, cx: &mut Cx<DiscoveryProcess>) {
        let Some(at) = self.writes.iter().position(|w| w.id == write) else {
            return;
        };
        let pending = &mut self.writes[at];
        if pending.applied_by.contains(&from) {
            return; // a duplicate of an answer already counted
        }
        pending.applied_by.push(from);
        if pending.applied_by.len() >= self.config.majority() {
            let record = pending.record;
            self.writes.remove(at);
            cx.note(|| format!("write w{write} is on a majority: acknowledges it"));
            self.acknowledge(&record, cx);
        }
    }

    fn acknowledge(&mut self, record: &Record, cx: &mut Cx<DiscoveryProcess>) {
        self.acks_sent += 1;
        cx.send(
            record.instance,
            DiscoveryMessage::HeartbeatAck {
                version: record.version,
                up: record.up,
                expires_at: record.expires_at,
            },
        );
    }

    fn on_lookup(&mut self, from: NodeId, lookup: u64, cx: &mut Cx<DiscoveryProcess>) {
        if self.config.is_replica(from) || self.config.is_instance(from) {
            return cx.note(|| format!("drops a lookup from {from}, not a client"));
        }
        let now = cx.now();
        let ttl = self.config.ttl;
        self.reads.retain(|r| now.since(r.started) < ttl);
        self.next_id += 1;
        let read = PendingRead {
            id: self.next_id,
            asker: from,
            lookup,
            started: now,
            merged: self.table.clone(),
            answered_by: vec![self.id],
        };
        if self.config.majority() <= 1 {
            return self.answer(read, cx);
        }
        for replica in self.others().collect::<Vec<_>>() {
            cx.send(replica, DiscoveryMessage::ReadQuery { read: read.id });
        }
        self.reads.push(read);
    }

    fn on_read_reply(
        &mut self,
        from: NodeId,
        read: u64,
        records: &[Record],
        cx: &mut Cx<DiscoveryProcess>,
    ) {
        let Some(at) = self.reads.iter().position(|r| r.id == read) else {
            return;
        };
        let pending = &mut self.reads[at];
        if pending.answered_by.contains(&from) {
            return;
        }
        pending.answered_by.push(from);
        for record in records {
            if self.config.is_instance(record.instance) {
                merge_into(&mut pending.merged, record);
            }
        }
        if pending.answered_by.len() >= self.config.majority() {
            let read = self.reads.remove(at);
            self.answer(read, cx);
        }
    }

    /// Answers a lookup with the instances registered whose lease has not run
    /// out by this replica's clock: the expired ones are evicted here.
    fn answer(&mut self, read: PendingRead, cx: &mut Cx<DiscoveryProcess>) {
        let now = cx.now();
        let ignore_leases = self.config.lease_never_expires;
        let listed: Vec<Record> = read
            .merged
            .iter()
            .filter(|r| r.live(now) || (ignore_leases && r.up))
            .copied()
            .collect();
        let evicted = read.merged.iter().filter(|r| r.up).count() - listed.len();
        cx.note(|| {
            let names: Vec<String> = listed.iter().map(|r| r.instance.to_string()).collect();
            format!(
                "answers lookup #{} of {} with [{}]{}",
                read.lookup,
                read.asker,
                names.join(" "),
                if evicted > 0 {
                    format!(" ({evicted} evicted: lease run out)")
                } else {
                    String::new()
                }
            )
        });
        cx.send(
            read.asker,
            DiscoveryMessage::Endpoints {
                lookup: read.lookup,
                records: listed.clone(),
            },
        );
        self.answers += 1;
        self.last_answer = Some(Answer {
            started: read.started,
            answered: now,
            merged: read.merged,
            listed,
        });
    }

    fn live_count(&self, now: Option<Time>) -> usize {
        match now {
            Some(now) => self.table.iter().filter(|r| r.live(now)).count(),
            None => self.table.iter().filter(|r| r.up).count(),
        }
    }

    /// The time of the latest answer, the best "now" the view has.
    fn view_now(&self) -> Option<Time> {
        self.last_answer.as_ref().map(|a| a.answered)
    }

    pub fn summary(&self) -> NodeSummary {
        let registered = self.live_count(None);
        NodeSummary {
            role: "registry",
            palette: Palette::Lead,
            badge: format!("{registered}"),
            detail: format!(
                "registry replica {}: {} records ({registered} registered), {} lookups answered, {} writes acknowledged",
                self.id,
                self.table.len(),
                self.answers,
                self.acks_sent
            ),
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        let now = self.view_now();
        let records: Vec<String> = self
            .table
            .iter()
            .map(|r| match now {
                Some(now) if r.up && !r.live(now) => {
                    format!("{} {} expired", r.instance, r.version)
                }
                _ => r.to_string(),
            })
            .collect();
        vec![
            Cell::Text(if records.is_empty() {
                "-".to_string()
            } else {
                records.join(", ")
            }),
            Cell::Text(format!(
                "{} writes, {} reads in progress",
                self.writes.len(),
                self.reads.len()
            )),
            Cell::Text(format!(
                "{} lookups answered, {} writes acknowledged",
                self.answers, self.acks_sent
            )),
        ]
    }
}
