//! SWIM's failure detector and membership dissemination (Das, Gupta &
//! Motivala, DSN 2002): each protocol period a member pings one member; if
//! no ack comes within the ping timeout it asks k others to ping it
//! (ping-req, §3.1); if none of them gets an ack by the end of the period it
//! suspects the member (§4.2), tells it so directly and by gossip, and
//! confirms it dead only if no refutation (a higher incarnation) arrives
//! before the suspicion timeout. Membership updates ride on the probe
//! messages (§4.1), each sent λ·log n times.
//!
//! A member keeps only what differs from "alive at incarnation 0" (a sorted
//! list of deltas), so at 10,000 nodes a view costs a few entries, not a
//! 10,000-entry map.

use crate::sim::node::Cx;
use crate::sim::time::{Duration, NodeId, Time};

use super::message::{GossipMessage, GossipTimer, MemberUpdate, Status};
use super::node::GossipNode;

/// Membership updates piggybacked on one message at most.
const MAX_PIGGYBACK: usize = 6;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SwimConfig {
    /// The protocol period T' (§3.1).
    pub period: Duration,
    /// How long the direct ping waits for its ack.
    pub ping_timeout: Duration,
    /// k: members asked to ping the target indirectly.
    pub indirect: u32,
    /// The suspicion timeout (§4.2); `None` confirms at once (the
    /// `no-suspicion` bug: SWIM without its suspicion sub-protocol, §3).
    pub suspicion: Option<Duration>,
    /// How many times each membership update is piggybacked (λ·log n).
    pub retransmits: u32,
}

/// A confirmation of death, as the checker reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Confirmation {
    pub member: NodeId,
    pub incarnation: u32,
    /// When the suspicion began (the indirect probes failed; the same instant
    /// as `at` without suspicion): from then on a live member could refute.
    pub suspected_at: Time,
    pub at: Time,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Probe {
    sequence: u32,
    target: NodeId,
    indirect: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Suspicion {
    member: NodeId,
    incarnation: u32,
    since: Time,
}

#[derive(Clone, Debug, Default)]
pub struct Swim {
    // Durable: a restarted member must come back with a higher incarnation
    // (§4.2), and the checker reads the confirmations.
    incarnation: u32,
    boots: u32,
    sequence: u32,
    confirmations: u32,
    last_confirmation: Option<Confirmation>,
    // Volatile.
    /// What differs from "alive at incarnation 0", sorted by member.
    view: Vec<(NodeId, Status, u32)>,
    /// Updates still to piggyback, with the sends left.
    outbox: Vec<(MemberUpdate, u32)>,
    probe: Option<Probe>,
    /// The suspicions this member started, waiting for their timeout.
    suspicions: Vec<Suspicion>,
}

impl Swim {
    pub fn incarnation(&self) -> u32 {
        self.incarnation
    }

    /// How many deaths this member confirmed, and the last one.
    pub fn confirmations(&self) -> (u32, Option<Confirmation>) {
        (self.confirmations, self.last_confirmation)
    }

    pub fn suspecting(&self) -> bool {
        !self.suspicions.is_empty()
    }

    /// What this member believes of `member`.
    pub fn status_of(&self, member: NodeId) -> (Status, u32) {
        match self.view.binary_search_by_key(&member, |entry| entry.0) {
            Ok(at) => (self.view[at].1, self.view[at].2),
            Err(_) => (Status::Alive, 0),
        }
    }

    pub fn count(&self, status: Status) -> usize {
        self.view.iter().filter(|entry| entry.1 == status).count()
    }

    #[cfg(test)]
    pub(super) fn forge_incarnation(&mut self, incarnation: u32) {
        self.incarnation = incarnation;
    }

    pub(super) fn crash(&mut self) {
        self.view.clear();
        self.outbox.clear();
        self.probe = None;
        self.suspicions.clear();
    }

    fn set_status(&mut self, member: NodeId, status: Status, incarnation: u32) {
        let at = self.view.binary_search_by_key(&member, |entry| entry.0);
        match (at, status == Status::Alive && incarnation == 0) {
            (Ok(at), true) => {
                self.view.remove(at);
            }
            (Ok(at), false) => self.view[at] = (member, status, incarnation),
            (Err(_), true) => {}
            (Err(at), false) => self.view.insert(at, (member, status, incarnation)),
        }
    }

    /// Queues `update` for dissemination, replacing an older one about the
    /// same member.
    fn enqueue(&mut self, update: MemberUpdate, sends: u32) {
        match self
            .outbox
            .iter_mut()
            .find(|(queued, _)| queued.member == update.member)
        {
            Some(slot) => *slot = (update, sends),
            None => self.outbox.push((update, sends)),
        }
    }

    /// The updates to piggyback on a message to `to`: the one about `to`
    /// first (so a suspect hears of its suspicion from whoever pings it),
    /// then the rest in queue order.
    fn piggyback(&mut self, to: NodeId) -> Vec<MemberUpdate> {
        let mut taken = Vec::new();
        if let Some(at) = self.outbox.iter().position(|(u, _)| u.member == to) {
            taken.push(at);
        }
        for at in 0..self.outbox.len() {
            if taken.len() >= MAX_PIGGYBACK {
                break;
            }
            if !taken.contains(&at) {
                taken.push(at);
            }
        }
        let gossip = taken.iter().map(|&at| self.outbox[at].0).collect();
        for &at in &taken {
            self.outbox[at].1 = self.outbox[at].1.saturating_sub(1);
        }
        self.outbox.retain(|(_, left)| *left > 0);
        gossip
    }

    pub fn view_text(&self) -> String {
        let listed: Vec<String> = self
            .view
            .iter()
            .filter(|entry| entry.1 != Status::Alive)
            .take(6)
            .map(|(member, status, inc)| format!("{member} {}#{inc}", status.as_str()))
            .collect();
        listed.join(", ")
    }

    pub fn probe_text(&self) -> String {
        match self.probe {
            Some(probe) if probe.indirect => format!("{} (ping-req)", probe.target),
            Some(probe) => probe.target.to_string(),
            None => String::new(),
        }
    }
}

impl GossipNode {
    fn swim_config(&self) -> Option<SwimConfig> {
        self.config.swim
    }

    /// SWIM on (re)start: a restarted member comes back with a higher
    /// incarnation and announces it (§4.2).
    pub(super) fn swim_start(&mut self, cx: &mut Cx<Self>) {
        let Some(config) = self.swim_config() else {
            return;
        };
        self.swim.boots += 1;
        if self.swim.boots > 1 {
            self.swim.incarnation += 1;
            let alive = MemberUpdate {
                member: self.id,
                status: Status::Alive,
                incarnation: self.swim.incarnation,
            };
            self.swim.enqueue(alive, config.retransmits);
        }
        // Spread the probes of different members over the period.
        let offset = cx.rng.range_inclusive(1, config.period.as_micros().max(1));
        cx.set_timer(GossipTimer::Probe, Duration(offset));
    }

    /// A random member other than this one (and than `besides`) that this
    /// member does not believe dead, if it finds one in a few tries.
    fn random_member(&self, besides: Option<NodeId>, cx: &mut Cx<Self>) -> Option<NodeId> {
        for _ in 0..16 {
            let peer = *self.random_peers(1, cx).first()?;
            if Some(peer) != besides && self.swim.status_of(peer).0 != Status::Dead {
                return Some(peer);
            }
        }
        None
    }

    /// §3.1: each period, ping one member.
    fn on_probe(&mut self, config: SwimConfig, cx: &mut Cx<Self>) {
        cx.set_timer(GossipTimer::Probe, config.period);
        let Some(target) = self.random_member(None, cx) else {
            return;
        };
        self.swim.sequence = self.swim.sequence.wrapping_add(1);
        let sequence = self.swim.sequence;
        self.swim.probe = Some(Probe {
            sequence,
            target,
            indirect: false,
        });
        let gossip = self.swim.piggyback(target);
        cx.send(
            target,
            GossipMessage::Ping {
                sequence,
                requester: None,
                gossip,
            },
        );
        cx.set_timer(GossipTimer::PingTimeout { sequence }, config.ping_timeout);
    }

    /// §3.1: no direct ack in time: ask k members to ping the target.
    fn on_ping_timeout(&mut self, sequence: u32, config: SwimConfig, cx: &mut Cx<Self>) {
        let Some(probe) = self.swim.probe.filter(|p| p.sequence == sequence) else {
            return;
        };
        let mut helpers: Vec<NodeId> = Vec::new();
        for _ in 0..config.indirect {
            if let Some(helper) = self.random_member(Some(probe.target), cx) {
                if !helpers.contains(&helper) {
                    helpers.push(helper);
                }
            }
        }
        cx.note(|| {
            let through: Vec<String> = helpers.iter().map(NodeId::to_string).collect();
            format!(
                "no ack from {} in time: ping-req through {}",
                probe.target,
                through.join(", ")
            )
        });
        for helper in helpers {
            let gossip = self.swim.piggyback(helper);
            cx.send(
                helper,
                GossipMessage::PingRequest {
                    sequence,
                    target: probe.target,
                    gossip,
                },
            );
        }
        self.swim.probe = Some(Probe {
            indirect: true,
            ..probe
        });
        let rest = config
            .period
            .as_micros()
            .saturating_sub(config.ping_timeout.as_micros() + 1_000)
            .max(1_000);
        cx.set_timer(GossipTimer::IndirectTimeout { sequence }, Duration(rest));
    }

    /// §4.2: no indirect ack by the end of the period: suspect the target
    /// (or, without suspicion, declare it dead at once, as §3's basic SWIM
    /// does).
    fn on_indirect_timeout(&mut self, sequence: u32, config: SwimConfig, cx: &mut Cx<Self>) {
        let Some(probe) = self.swim.probe.filter(|p| p.sequence == sequence) else {
            return;
        };
        self.swim.probe = None;
        let (status, incarnation) = self.swim.status_of(probe.target);
        if status == Status::Dead {
            return;
        }
        let Some(timeout) = config.suspicion else {
            cx.note(|| format!("no indirect ack from {}: dead at once", probe.target));
            self.confirm(probe.target, incarnation, cx.now(), config, cx);
            return;
        };
        let suspect = MemberUpdate {
            member: probe.target,
            status: Status::Suspect,
            incarnation,
        };
        cx.note(|| format!("no indirect ack: {suspect}"));
        self.swim
            .set_status(probe.target, Status::Suspect, incarnation);
        self.swim.enqueue(suspect, config.retransmits);
        if !self
            .swim
            .suspicions
            .iter()
            .any(|s| s.member == probe.target && s.incarnation == incarnation)
        {
            self.swim.suspicions.push(Suspicion {
                member: probe.target,
                incarnation,
                since: cx.now(),
            });
            cx.set_timer(
                GossipTimer::Suspicion {
                    member: probe.target,
                    incarnation,
                },
                timeout,
            );
        }
        // Tell the suspect directly, so a live one can refute at once.
        cx.send(
            probe.target,
            GossipMessage::Notify {
                gossip: vec![suspect],
            },
        );
    }

    /// §4.2: the suspicion was not refuted in time: confirm.
    fn on_suspicion_timeout(
        &mut self,
        member: NodeId,
        incarnation: u32,
        config: SwimConfig,
        cx: &mut Cx<Self>,
    ) {
        let Some(at) = self
            .swim
            .suspicions
            .iter()
            .position(|s| s.member == member && s.incarnation == incarnation)
        else {
            return;
        };
        let suspicion = self.swim.suspicions.remove(at);
        if self.swim.status_of(member) != (Status::Suspect, incarnation) {
            cx.note(|| format!("suspicion of {member} was refuted or overtaken"));
            return;
        }
        self.confirm(member, incarnation, suspicion.since, config, cx);
    }

    fn confirm(
        &mut self,
        member: NodeId,
        incarnation: u32,
        suspected_at: Time,
        config: SwimConfig,
        cx: &mut Cx<Self>,
    ) {
        let dead = MemberUpdate {
            member,
            status: Status::Dead,
            incarnation,
        };
        cx.note(|| format!("confirm: {dead}"));
        self.swim.set_status(member, Status::Dead, incarnation);
        self.swim.enqueue(dead, config.retransmits);
        self.swim.confirmations += 1;
        self.swim.last_confirmation = Some(Confirmation {
            member,
            incarnation,
            suspected_at,
            at: cx.now(),
        });
    }

    /// §4.1: applies piggybacked updates; refutes any about this member.
    fn apply_gossip(&mut self, from: NodeId, gossip: &[MemberUpdate], cx: &mut Cx<Self>) {
        let Some(config) = self.swim_config() else {
            return;
        };
        for &update in gossip {
            if update.member.0 >= self.cluster {
                cx.note(|| format!("dropped {update}: not a member"));
                continue;
            }
            if update.member == self.id {
                if update.status != Status::Alive {
                    // §4.2: refute with a higher incarnation, to everyone by
                    // gossip; and tell the sender directly, even if its news
                    // is older than this member's incarnation already.
                    if update.incarnation >= self.swim.incarnation {
                        self.swim.incarnation = update.incarnation + 1;
                    }
                    let alive = MemberUpdate {
                        member: self.id,
                        status: Status::Alive,
                        incarnation: self.swim.incarnation,
                    };
                    cx.note(|| format!("refute {update}: {alive}"));
                    self.swim.enqueue(alive, config.retransmits);
                    cx.send(
                        from,
                        GossipMessage::Notify {
                            gossip: vec![alive],
                        },
                    );
                }
                continue;
            }
            let (status, incarnation) = self.swim.status_of(update.member);
            if !update.overrides(status, incarnation) {
                continue;
            }
            self.swim
                .set_status(update.member, update.status, update.incarnation);
            self.swim.enqueue(update, config.retransmits);
            if update.status == Status::Alive {
                self.swim
                    .suspicions
                    .retain(|s| s.member != update.member || s.incarnation >= update.incarnation);
            }
        }
    }

    pub(super) fn on_swim_message(&mut self, from: NodeId, msg: GossipMessage, cx: &mut Cx<Self>) {
        if self.swim_config().is_none() {
            cx.note(|| "dropped a SWIM message: SWIM is off".to_string());
            return;
        }
        match msg {
            GossipMessage::Ping {
                sequence,
                requester,
                gossip,
            } => {
                self.apply_gossip(from, &gossip, cx);
                let gossip = self.swim.piggyback(from);
                cx.send(
                    from,
                    GossipMessage::Ack {
                        sequence,
                        target: self.id,
                        requester,
                        gossip,
                    },
                );
            }
            GossipMessage::Ack {
                sequence,
                target,
                requester,
                gossip,
            } => {
                self.apply_gossip(from, &gossip, cx);
                match requester {
                    // A relay: pass the target's ack on to whoever asked.
                    Some(asker) if asker != self.id => {
                        if asker.0 < self.cluster {
                            cx.send(
                                asker,
                                GossipMessage::Ack {
                                    sequence,
                                    target,
                                    requester,
                                    gossip: Vec::new(),
                                },
                            );
                        }
                    }
                    _ => {
                        if self
                            .swim
                            .probe
                            .is_some_and(|p| p.sequence == sequence && p.target == target)
                        {
                            self.swim.probe = None;
                            // A successful probe ends this member's own
                            // suspicion of the target.
                            self.swim.suspicions.retain(|s| s.member != target);
                        }
                    }
                }
            }
            GossipMessage::PingRequest {
                sequence,
                target,
                gossip,
            } => {
                self.apply_gossip(from, &gossip, cx);
                if target.0 >= self.cluster || target == self.id {
                    cx.note(|| format!("dropped a ping-req for {target}"));
                    return;
                }
                let gossip = self.swim.piggyback(target);
                cx.send(
                    target,
                    GossipMessage::Ping {
                        sequence,
                        requester: Some(from),
                        gossip,
                    },
                );
            }
            GossipMessage::Notify { gossip } => self.apply_gossip(from, &gossip, cx),
            other => {
                cx.note(|| format!("dropped an unexpected {}", other.kind_name()));
            }
        }
    }

    pub(super) fn on_swim_timer(&mut self, timer: GossipTimer, cx: &mut Cx<Self>) {
        let Some(config) = self.swim_config() else {
            return;
        };
        match timer {
            GossipTimer::Probe => self.on_probe(config, cx),
            GossipTimer::PingTimeout { sequence } => self.on_ping_timeout(sequence, config, cx),
            GossipTimer::IndirectTimeout { sequence } => {
                self.on_indirect_timeout(sequence, config, cx)
            }
            GossipTimer::Suspicion {
                member,
                incarnation,
            } => self.on_suspicion_timeout(member, incarnation, config, cx),
            GossipTimer::Round | GossipTimer::AntiEntropy => {}
        }
    }
}

impl GossipMessage {
    fn kind_name(&self) -> &'static str {
        crate::sim::node::Labelled::kind(self)
    }
}
