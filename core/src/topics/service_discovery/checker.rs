//! The invariants of the service discovery topic, checked after every step
//! against what the checker has seen of the whole run in global time.
//!
//! The checker keeps, per instance: the latest lease any replica has applied
//! for it (a replica's records are read after each of its steps), the last
//! time a lookup answer listed each of its incarnations, and the latest write
//! of it that was acknowledged to it. Against that:
//!
//! - **no expired lease served**: a lookup answer lists an instance only
//!   while some replica holds a lease for it that has not run out.
//! - **stale window bounded**: a client (or the load balancer) sends a request
//!   to an instance's endpoint (an incarnation) at most one refresh interval
//!   plus one lookup timeout after the registry last listed it or last held
//!   a lease for it (whichever is later: an instance still heartbeating may
//!   be used from an old list, a dead one may not).
//! - **registered instance visible**: a lookup whose read started after an
//!   instance heard that a write of it reached a majority reflects that
//!   write: a registration (or renewal) is listed, at that version or a
//!   later one, while its lease runs; a deregistration is not undone.
//!
//! It also counts, for the charts and the timeline, the requests sent to an
//! instance while it was down or out of service, and how long after it went
//! down the last of them was sent (the stale window of that outage).

use crate::lab::topic::InvariantInfo;
use crate::sim::checker::{Checker, Violation};
use crate::sim::time::{Duration, NodeId, Time};

use super::balancer::Chooser;
use super::instance::{Acknowledged, ServiceInstance};
use super::process::{DiscoveryConfig, DiscoveryProcess};
use super::registry::{Answer, RegistryReplica};

pub const NO_EXPIRED_LEASE_SERVED: &str = "no-expired-lease-served";
pub const STALE_WINDOW_BOUNDED: &str = "stale-window-bounded";
pub const REGISTERED_INSTANCE_VISIBLE: &str = "registered-instance-visible";

pub const INVARIANTS: &[InvariantInfo] = &[
    InvariantInfo {
        name: NO_EXPIRED_LEASE_SERVED,
        summary: "The registry never lists an instance whose lease has run out at every replica: a crashed instance drops out of lookups one TTL after its last heartbeat.",
    },
    InvariantInfo {
        name: STALE_WINDOW_BOUNDED,
        summary: "No client or balancer sends a request to an endpoint more than one refresh interval plus one lookup timeout after the registry last listed it or held a lease for it: a crashed instance stops getting requests soon after its lease ends.",
    },
    InvariantInfo {
        name: REGISTERED_INSTANCE_VISIBLE,
        summary: "A write an instance heard was on a majority is in every later lookup: a registration is listed while its lease runs, a deregistration is not undone.",
    },
];

/// What the checker knows of one instance.
#[derive(Clone, Debug, Default)]
pub struct InstanceWatch {
    /// The latest lease any replica applied for it.
    max_expires: Time,
    /// For each incarnation, the latest time the registry listed it in an
    /// answer or held a lease for it that ran until then: how long a client
    /// may have had reason to think it there.
    listed: Vec<(u32, Time)>,
    /// The latest write acknowledged to it.
    acked: Option<Acknowledged>,
    /// Since when it is down or out of service, if it is.
    down_since: Option<Time>,
    /// Outages: crashes and shutdowns.
    pub outages: u64,
    /// Requests sent to it while it was down or out of service.
    pub dead_sends: u64,
    /// The longest time from going down to the last request sent to it.
    pub stale_window: Duration,
    /// Its outages with requests sent into them: (from, last request sent).
    pub stale_spans: Vec<(Time, Time)>,
}

impl InstanceWatch {
    fn listed_until(&mut self, incarnation: u32, until: Time) {
        match self.listed.iter_mut().find(|(i, _)| *i == incarnation) {
            Some(entry) => entry.1 = entry.1.max(until),
            None => self.listed.push((incarnation, until)),
        }
    }
}

/// The incremental checker.
#[derive(Clone, Debug)]
pub struct DiscoveryChecker {
    config: DiscoveryConfig,
    instances: Vec<InstanceWatch>,
    /// Per process: answers or sends already read.
    seen: Vec<u64>,
}

impl DiscoveryChecker {
    pub fn new(config: DiscoveryConfig) -> Self {
        DiscoveryChecker {
            config,
            instances: vec![InstanceWatch::default(); config.instances as usize],
            seen: Vec::new(),
        }
    }

    /// What it knows of each instance, in instance order.
    pub fn instances(&self) -> &[InstanceWatch] {
        &self.instances
    }

    fn watch(&mut self, instance: NodeId) -> Option<&mut InstanceWatch> {
        let index = instance.0.checked_sub(self.config.replicas)? as usize;
        self.instances.get_mut(index)
    }

    fn check_replica(&mut self, me: usize, replica: &RegistryReplica, found: &mut Vec<Violation>) {
        for record in replica.table() {
            if let Some(watch) = self.watch(record.instance) {
                watch.max_expires = watch.max_expires.max(record.expires_at);
                if record.up {
                    watch.listed_until(record.version.incarnation, record.expires_at);
                }
            }
        }
        let (answers, last) = replica.answers();
        if answers <= self.seen[me] {
            return;
        }
        self.seen[me] = answers;
        if let Some(answer) = last {
            self.check_answer(replica, answer, found);
        }
    }

    fn check_answer(
        &mut self,
        replica: &RegistryReplica,
        answer: &Answer,
        found: &mut Vec<Violation>,
    ) {
        let now = answer.answered;
        for record in &answer.listed {
            let Some(watch) = self.watch(record.instance) else {
                continue;
            };
            if now >= watch.max_expires {
                found.push(Violation {
                    invariant: NO_EXPIRED_LEASE_SERVED,
                    message: format!(
                        "{} lists {} at {} ms, but its latest lease ran out at {} ms",
                        replica_name(replica),
                        record.instance,
                        now.as_millis(),
                        watch.max_expires.as_millis()
                    ),
                });
            }
            watch.listed_until(record.version.incarnation, now);
        }
        let ids: Vec<NodeId> = self.config.instance_ids().collect();
        for instance in ids {
            let Some(acked) = self.watch(instance).and_then(|w| w.acked) else {
                continue;
            };
            if acked.at >= answer.started {
                continue;
            }
            let listed = answer.listed.iter().find(|r| r.instance == instance);
            let merged = answer.merged.iter().find(|r| r.instance == instance);
            let broken = if acked.up {
                let covered = listed.is_some_and(|r| r.version >= acked.version)
                    || merged.is_some_and(|r| !r.up && r.version > acked.version);
                now < acked.expires_at && !covered
            } else {
                listed.is_some_and(|r| r.version < acked.version)
            };
            if broken {
                let saw = match merged {
                    Some(r) => r.to_string(),
                    None => "nothing".to_string(),
                };
                found.push(Violation {
                    invariant: REGISTERED_INSTANCE_VISIBLE,
                    message: format!(
                        "{instance} heard at {} ms that its write {} ({}) was on a majority, but a lookup read from {} ms on saw {saw}",
                        acked.at.as_millis(),
                        acked.version,
                        if acked.up { "registered" } else { "deregistered" },
                        answer.started.as_millis()
                    ),
                });
            }
        }
    }

    fn check_instance(&mut self, instance: &ServiceInstance, id: NodeId, up: bool, now: Time) {
        let Some(watch) = self.watch(id) else {
            return;
        };
        if let Some(acked) = instance.acked() {
            if watch.acked.is_none_or(|a| a.version < acked.version) {
                watch.acked = Some(acked);
            }
        }
        let down = !up || !instance.in_service();
        match (down, watch.down_since) {
            (true, None) => {
                watch.down_since = Some(now);
                watch.outages += 1;
            }
            (false, Some(_)) => watch.down_since = None,
            _ => {}
        }
    }

    fn check_sender(
        &mut self,
        me: usize,
        who: NodeId,
        chooser: &Chooser,
        found: &mut Vec<Violation>,
    ) {
        let (sends, last) = chooser.sends();
        if sends <= self.seen[me] {
            return;
        }
        self.seen[me] = sends;
        let Some(sent) = last else {
            return;
        };
        let bound = self.config.max_cache_age();
        let Some(watch) = self.watch(sent.instance) else {
            return;
        };
        let listed = watch
            .listed
            .iter()
            .find(|(i, _)| *i == sent.incarnation)
            .map(|(_, at)| *at);
        match listed {
            Some(at) if sent.at <= at.after(bound) => {}
            _ => found.push(Violation {
                invariant: STALE_WINDOW_BOUNDED,
                message: format!(
                    "{who} sends a request to {} (incarnation {}) at {} ms; the registry {}",
                    sent.instance,
                    sent.incarnation,
                    sent.at.as_millis(),
                    match listed {
                        Some(at) => format!(
                            "listed it, or held a lease for it, until {} ms, more than {} ms before",
                            at.as_millis(),
                            bound.as_micros() / 1_000
                        ),
                        None => "never listed it".to_string(),
                    }
                ),
            }),
        }
        if let Some(since) = watch.down_since {
            watch.dead_sends += 1;
            watch.stale_window = watch.stale_window.max(sent.at.since(since));
            match watch.stale_spans.last_mut() {
                Some(span) if span.0 == since => span.1 = sent.at,
                _ => watch.stale_spans.push((since, sent.at)),
            }
        }
    }
}

fn replica_name(replica: &RegistryReplica) -> String {
    format!("registry replica {}", replica.id())
}

impl Checker<DiscoveryProcess> for DiscoveryChecker {
    fn check(
        &mut self,
        nodes: &[DiscoveryProcess],
        up: &[bool],
        changed: NodeId,
        now: Time,
        found: &mut Vec<Violation>,
    ) {
        if self.seen.len() < nodes.len() {
            self.seen.resize(nodes.len(), 0);
        }
        let me = changed.index();
        let is_up = up.get(me).copied().unwrap_or(false);
        match nodes.get(me) {
            Some(DiscoveryProcess::Registry(replica)) => self.check_replica(me, replica, found),
            Some(DiscoveryProcess::Instance(instance)) => {
                self.check_instance(instance, changed, is_up, now)
            }
            Some(DiscoveryProcess::Balancer(balancer)) => {
                self.check_sender(me, changed, balancer.chooser(), found)
            }
            Some(DiscoveryProcess::Client(client)) => {
                self.check_sender(me, changed, client.chooser(), found)
            }
            None => {}
        }
    }
}
