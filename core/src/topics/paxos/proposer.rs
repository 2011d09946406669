//! The proposer's rules (Lamport, "Paxos Made Simple", 2001): phase 1(a),
//! phase 2(a) and what to do when preempted (sections 2.2 and 2.4), and the
//! Multi-Paxos leader's (section 3): phase 1 once for every slot, then phase 2
//! per client value, with heartbeats that keep the other proposers quiet.

use std::collections::BTreeMap;

use crate::sim::node::Cx;
use crate::sim::time::{Duration, NodeId};

use super::message::{Accepted, Ballot, PaxosMessage, PaxosTimer, Slot, Value};
use super::node::{Backoff, Mode, PaxosNode, Phase};

impl PaxosNode {
    /// Phase 1(a): pick a ballot above every one seen and send prepare requests
    /// to every acceptor, this server's own included.
    pub(super) fn start_round(&mut self, cx: &mut Cx<PaxosNode>) {
        self.round = self.round.max(self.highest_round_seen) + 1;
        let ballot = Ballot {
            round: self.round,
            proposer: self.id,
        };
        self.observe(ballot);
        let from_slot = match self.config.mode {
            Mode::Basic => Slot(0),
            Mode::Multi => self.first_unlearned(),
        };
        self.phase = Phase::Preparing {
            ballot,
            from_slot,
            promised_by: Vec::new(),
            reported: BTreeMap::new(),
        };
        cx.note(|| format!("Phase 1(a): prepares ballot {ballot}"));
        match self.config.mode {
            Mode::Basic => {
                let wait = self.config.timing.round_timeout;
                cx.set_timer(PaxosTimer::Retry, wait);
            }
            Mode::Multi => {
                cx.cancel_timer(PaxosTimer::Heartbeat);
                self.reset_leader_timeout(cx);
            }
        }
        cx.broadcast(PaxosMessage::Prepare { ballot, from_slot });
        let reply = self.acceptor_prepare(ballot, from_slot, cx);
        self.on_reply(self.id, reply, cx);
    }

    /// A promise reached the proposer.
    pub(super) fn on_promise(
        &mut self,
        from: NodeId,
        ballot: Ballot,
        accepted: Vec<(Slot, Accepted)>,
        cx: &mut Cx<PaxosNode>,
    ) {
        let quorum = self.quorum();
        let Phase::Preparing {
            ballot: mine,
            promised_by,
            reported,
            ..
        } = &mut self.phase
        else {
            return;
        };
        if *mine != ballot || promised_by.contains(&from) {
            return;
        }
        promised_by.push(from);
        for (slot, proposal) in accepted {
            match reported.get(&slot) {
                Some(known) if known.ballot >= proposal.ballot => {}
                _ => {
                    reported.insert(slot, proposal);
                }
            }
        }
        if promised_by.len() >= quorum {
            let count = promised_by.len();
            cx.note(|| format!("has {count} promises for {ballot}: a quorum"));
            self.begin_phase_two(cx);
        }
    }

    /// Phase 2(a): with promises from a quorum, propose in each slot the value
    /// of the highest-numbered proposal the promises reported, or, where they
    /// reported none, a value of the proposer's own.
    pub(super) fn begin_phase_two(&mut self, cx: &mut Cx<PaxosNode>) {
        let Phase::Preparing {
            ballot,
            from_slot,
            reported,
            ..
        } = std::mem::replace(&mut self.phase, Phase::Idle)
        else {
            return;
        };
        let ignore = self.config.bugs.ignore_accepted_value;
        let mut proposals = BTreeMap::new();
        match self.config.mode {
            Mode::Basic => {
                let value = match (reported.get(&Slot(0)), self.own_value) {
                    (Some(highest), Some(own)) if ignore => {
                        let (was, at) = (highest.value, highest.ballot);
                        cx.note(|| {
                            format!("ignores {was} accepted under {at} and proposes its own v{own}")
                        });
                        Some(Value::Client(own))
                    }
                    (Some(highest), _) => {
                        let (value, at) = (highest.value, highest.ballot);
                        cx.note(|| format!("must propose {value}, accepted under {at}"));
                        Some(value)
                    }
                    (None, own) => own.map(Value::Client),
                };
                let Some(value) = value else {
                    cx.note(|| {
                        "nothing accepted and no value of its own: nothing to propose".to_string()
                    });
                    cx.cancel_timer(PaxosTimer::Retry);
                    return;
                };
                proposals.insert(Slot(0), value);
            }
            Mode::Multi => {
                // Section 3: re-propose what may have been chosen, fill the gaps
                // below it with no-ops, and take new slots after it.
                let top = reported.keys().next_back().copied();
                if let Some(top) = top {
                    let mut slot = from_slot;
                    while slot <= top {
                        if !self.learned.contains_key(&slot) {
                            let value = match reported.get(&slot) {
                                Some(_) if ignore => match self.pending.pop_front() {
                                    Some(own) => Value::Client(own),
                                    None => Value::NoOp,
                                },
                                Some(highest) => highest.value,
                                None => Value::NoOp,
                            };
                            proposals.insert(slot, value);
                        }
                        slot = slot.next();
                    }
                }
            }
        }
        let after_known = self
            .learned
            .keys()
            .next_back()
            .map_or(Slot(0), |s| s.next());
        let after_reported = proposals.keys().next_back().map_or(Slot(0), |s| s.next());
        let next_slot = from_slot.max(after_known).max(after_reported);
        self.phase = Phase::Proposing {
            ballot,
            proposals: BTreeMap::new(),
            next_slot,
        };
        if self.config.mode == Mode::Multi {
            self.leader = Some((self.id, ballot));
            cx.note(|| format!("leads with ballot {ballot}: phase 1 is done for every slot from {from_slot} on"));
            cx.cancel_timer(PaxosTimer::LeaderTimeout);
            cx.set_timer(PaxosTimer::Heartbeat, self.config.timing.heartbeat);
            let learned_below = self.first_unlearned();
            cx.broadcast(PaxosMessage::Heartbeat {
                ballot,
                learned_below,
            });
        }
        for (slot, value) in proposals {
            self.propose(slot, value, cx);
        }
        while self.leads() {
            let Some(value) = self.pending.pop_front() else {
                break;
            };
            self.propose_next(value, cx);
        }
    }

    /// Multi-Paxos: the leader puts a client's value in the next free slot and
    /// runs phase 2 alone for it; phase 1 is already done.
    pub(super) fn propose_next(&mut self, value: u64, cx: &mut Cx<PaxosNode>) {
        let Phase::Proposing { next_slot, .. } = &mut self.phase else {
            return;
        };
        let slot = *next_slot;
        *next_slot = slot.next();
        cx.note(|| format!("skips phase 1: proposes v{value} in slot {slot}"));
        self.propose(slot, Value::Client(value), cx);
    }

    /// Phase 2(a) for one slot: send the accept request to every acceptor.
    pub(super) fn propose(&mut self, slot: Slot, value: Value, cx: &mut Cx<PaxosNode>) {
        let Phase::Proposing {
            ballot, proposals, ..
        } = &mut self.phase
        else {
            return;
        };
        let ballot = *ballot;
        proposals.insert(slot, value);
        cx.note(|| format!("Phase 2(a): asks to accept {value} in slot {slot} under {ballot}"));
        cx.broadcast(PaxosMessage::Accept {
            ballot,
            slot,
            value,
        });
        self.acceptor_accept(self.id, ballot, slot, value, cx);
    }

    /// An acceptor promised or accepted something higher: section 2.3 says
    /// the proposer should abandon this attempt.
    pub(super) fn on_preempted(
        &mut self,
        ballot: Ballot,
        promised: Ballot,
        cx: &mut Cx<PaxosNode>,
    ) {
        self.observe(promised);
        if self.ballot() != Some(ballot) {
            return;
        }
        self.failures = self.failures.saturating_add(1);
        match self.config.mode {
            Mode::Basic => {
                cx.note(|| format!("preempted: an acceptor promised {promised} > {ballot}"));
                self.phase = Phase::Idle;
                self.retry_later(cx);
            }
            Mode::Multi => {
                cx.note(|| format!("preempted by {promised}: stops leading"));
                self.phase = Phase::Idle;
                self.leader = Some((promised.proposer, promised));
                cx.cancel_timer(PaxosTimer::Heartbeat);
                self.reset_leader_timeout(cx);
            }
        }
    }

    /// Basic Paxos after a failed round: section 2.4's progress problem.
    pub(super) fn retry_later(&mut self, cx: &mut Cx<PaxosNode>) {
        match self.config.backoff {
            Backoff::Immediate => self.start_round(cx),
            Backoff::Randomized => {
                let timing = self.config.timing;
                let doubled = timing
                    .backoff_base
                    .as_micros()
                    .saturating_mul(1 << self.failures.min(16))
                    .min(timing.backoff_max.as_micros());
                let wait = Duration(cx.rng.range_inclusive(1, doubled.max(1)));
                cx.note(|| {
                    format!(
                        "backs off for {} ms before its next round",
                        wait.as_micros() / 1000
                    )
                });
                cx.set_timer(PaxosTimer::Retry, wait);
            }
        }
    }

    /// A client's value reached this server.
    pub(super) fn take_value(&mut self, value: u64, cx: &mut Cx<PaxosNode>) {
        if !self.is_proposer() {
            cx.note(|| format!("is only an acceptor and learner: drops v{value}"));
            return;
        }
        self.requests += 1;
        match self.config.mode {
            Mode::Basic => {
                if let Some(chosen) = self.learned.get(&Slot(0)) {
                    let chosen = *chosen;
                    cx.note(|| format!("already knows {chosen} was chosen: v{value} cannot be"));
                    return;
                }
                if let Some(own) = self.own_value {
                    cx.note(|| format!("is already proposing v{own}: keeps it"));
                    return;
                }
                self.own_value = Some(value);
                if self.phase == Phase::Idle {
                    self.failures = 0;
                    self.start_round(cx);
                }
            }
            Mode::Multi => {
                if self.leads() {
                    self.propose_next(value, cx);
                    return;
                }
                match self.leader {
                    Some((leader, _)) if leader != self.id => {
                        cx.note(|| format!("does not lead: forwards v{value} to {leader}"));
                        cx.send(leader, PaxosMessage::Forward { value });
                    }
                    _ => {
                        cx.note(|| format!("knows no leader: keeps v{value} until one is found"));
                        self.pending.push_back(value);
                    }
                }
            }
        }
    }

    pub(super) fn on_heartbeat(
        &mut self,
        from: NodeId,
        ballot: Ballot,
        learned_below: Slot,
        cx: &mut Cx<PaxosNode>,
    ) {
        self.observe(ballot);
        if self.config.mode != Mode::Multi {
            return;
        }
        if ballot < self.promised {
            // A deposed leader that does not know it yet.
            let promised = self.promised;
            cx.send(from, PaxosMessage::Preempted { ballot, promised });
            return;
        }
        if self.leader.map(|(_, b)| b) != Some(ballot) {
            cx.note(|| format!("follows leader {from} of ballot {ballot}"));
        }
        self.leader = Some((from, ballot));
        if self.is_proposer() {
            if let Some(mine) = self.ballot() {
                if mine < ballot {
                    cx.note(|| format!("gives up its attempt {mine}: {from} leads with {ballot}"));
                    self.phase = Phase::Idle;
                    cx.cancel_timer(PaxosTimer::Heartbeat);
                }
            }
            self.reset_leader_timeout(cx);
            while let Some(value) = self.pending.pop_front() {
                cx.send(from, PaxosMessage::Forward { value });
            }
        }
        let first = self.first_unlearned();
        if first < learned_below {
            cx.send(from, PaxosMessage::CatchUp { from_slot: first });
        }
    }

    pub(super) fn on_heartbeat_timer(&mut self, cx: &mut Cx<PaxosNode>) {
        let Phase::Proposing {
            ballot, proposals, ..
        } = &self.phase
        else {
            return;
        };
        let ballot = *ballot;
        let learned_below = self.first_unlearned();
        cx.broadcast(PaxosMessage::Heartbeat {
            ballot,
            learned_below,
        });
        // Messages may have been lost: ask again for what is not chosen yet.
        for (&slot, &value) in proposals.iter() {
            cx.broadcast(PaxosMessage::Accept {
                ballot,
                slot,
                value,
            });
        }
        cx.set_timer(PaxosTimer::Heartbeat, self.config.timing.heartbeat);
    }

    /// Replies from this server's own acceptor are handled at once, as if sent.
    pub(super) fn on_reply(&mut self, from: NodeId, reply: PaxosMessage, cx: &mut Cx<PaxosNode>) {
        match reply {
            PaxosMessage::Promise { ballot, accepted } => {
                self.on_promise(from, ballot, accepted, cx)
            }
            PaxosMessage::Preempted { ballot, promised } => self.on_preempted(ballot, promised, cx),
            _ => {}
        }
    }
}
