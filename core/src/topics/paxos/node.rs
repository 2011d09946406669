//! One Paxos server: an acceptor and a learner, and, for the first few servers,
//! a proposer, as a sans-IO [`Node`] (Lamport, "Paxos Made Simple", 2001).
//!
//! Durable state (section 2.3's "information that must be remembered, even if
//! it fails and then restarts"): the acceptor's promised ballot and accepted
//! proposals, the proposer's highest round issued (so it never issues one
//! number twice), and the learned values (the replicated log in Multi-Paxos).
//! Volatile: what the proposer is doing (its phase, promises and tallies), the
//! client values it holds, who it believes leads, and the learner's counts of
//! acceptances. The bugs in [`PaxosBugs`] each remove one rule the paper needs.
//!
//! In Basic Paxos every server decides slot 0 only and every proposer runs both
//! phases on each attempt. In Multi-Paxos (section 3) a proposer that completes
//! phase 1 leads: it runs phase 2 alone for each new slot until someone with a
//! higher ballot preempts it, and its heartbeats keep the other proposers quiet
//! (section 2.4's distinguished proposer).

use std::collections::{BTreeMap, VecDeque};
use std::hash::{Hash, Hasher};

use crate::explore::fingerprint::{self, Fingerprint, Rename};
use crate::sim::node::{Cx, Node};
use crate::sim::time::{Duration, NodeId};
use crate::sim::view::{Cell, LogCell, LogEntryCell, NodeSummary, Palette};

use super::message::{Accepted, Ballot, PaxosMessage, PaxosOp, PaxosTimer, Slot, Value};

/// Which protocol the servers run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Single-decree Paxos: one value, slot 0 (sections 2.2 to 2.4).
    Basic,
    /// A log of values under a stable leader (section 3).
    Multi,
}

/// How a Basic Paxos proposer retries after another proposer preempted it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backoff {
    /// At once, with a higher round: two proposers can preempt each other
    /// forever (the livelock of section 2.4).
    Immediate,
    /// After a random wait that doubles with each failure, so one proposer
    /// usually finishes both phases before the other comes back.
    Randomized,
}

/// Deliberately broken variants; each is off in a correct server.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PaxosBugs {
    /// The acceptor keeps its promise and accepted proposals only in memory, so
    /// a restart forgets them.
    pub forget_promise_on_restart: bool,
    /// The proposer proposes its own value even when a promise reported an
    /// accepted one (breaks phase 2(a)'s rule).
    pub ignore_accepted_value: bool,
    /// The proposer proceeds with promises, and counts its value chosen with
    /// acceptances, from floor(n/2) acceptors: a minority.
    pub minority_quorum: bool,
}

/// Timing, in virtual time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PaxosTiming {
    /// Basic Paxos: how long a round may take before the proposer tries again.
    pub round_timeout: Duration,
    /// Randomized backoff: the first wait is drawn from up to this, then the
    /// bound doubles with each failed round, up to `backoff_max`.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Multi-Paxos: a proposer that hears no leader for a time drawn from this
    /// range runs phase 1.
    pub leader_timeout_min: Duration,
    pub leader_timeout_max: Duration,
    pub heartbeat: Duration,
}

impl Default for PaxosTiming {
    fn default() -> Self {
        PaxosTiming {
            round_timeout: Duration::from_millis(200),
            backoff_base: Duration::from_millis(20),
            backoff_max: Duration::from_millis(320),
            leader_timeout_min: Duration::from_millis(150),
            leader_timeout_max: Duration::from_millis(300),
            heartbeat: Duration::from_millis(50),
        }
    }
}

/// Everything a server is told at the start and never changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PaxosConfig {
    pub mode: Mode,
    pub backoff: Backoff,
    pub cluster_size: usize,
    /// Servers `0..proposers` propose.
    pub proposers: usize,
    pub timing: PaxosTiming,
    pub bugs: PaxosBugs,
}

/// What a proposer is doing now.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Nothing (or, for a server that only accepts and learns, never anything).
    Idle,
    /// Phase 1 is out: the acceptors that promised so far, and the highest
    /// accepted proposal they reported per slot.
    Preparing {
        ballot: Ballot,
        from_slot: Slot,
        promised_by: Vec<NodeId>,
        reported: BTreeMap<Slot, Accepted>,
    },
    /// Phase 2: the values proposed under `ballot` and not yet chosen. In
    /// Multi-Paxos this proposer leads and `next_slot` takes the next client value.
    Proposing {
        ballot: Ballot,
        proposals: BTreeMap<Slot, Value>,
        next_slot: Slot,
    },
}

/// A learner's count of the acceptances of one proposal (section 2.3).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Tally {
    value: Value,
    acceptors: Vec<NodeId>,
}

/// A Paxos server.
#[derive(Clone, Debug)]
pub struct PaxosNode {
    id: NodeId,
    config: PaxosConfig,
    // Durable.
    /// The highest ballot this acceptor promised (phase 1(b)) or accepted.
    promised: Ballot,
    /// This acceptor's accepted proposal per slot: overwritten by higher ballots.
    accepted: BTreeMap<Slot, Accepted>,
    /// The highest round this proposer issued.
    round: u64,
    /// What this learner knows was chosen.
    learned: BTreeMap<Slot, Value>,
    // Volatile.
    phase: Phase,
    /// Basic Paxos: the client's value this proposer wants chosen.
    own_value: Option<u64>,
    /// Multi-Paxos: client values waiting for this proposer to lead.
    pending: VecDeque<u64>,
    /// The highest round seen in any ballot: the next attempt goes above it.
    highest_round_seen: u64,
    /// Multi-Paxos: whom this server believes leads, and under which ballot.
    leader: Option<(NodeId, Ballot)>,
    tallies: BTreeMap<(Slot, Ballot), Tally>,
    /// Consecutive rounds that ended without a choice (the backoff doubles).
    failures: u32,
    /// Client values received, so the workload can take turns between proposers.
    requests: u64,
    // What the last handler did, for the checker; cleared when a handler starts.
    accepted_now: Vec<Slot>,
    learned_now: Vec<Slot>,
}

impl PaxosNode {
    pub fn new(id: NodeId, config: PaxosConfig) -> Self {
        PaxosNode {
            id,
            config,
            promised: Ballot::NONE,
            accepted: BTreeMap::new(),
            round: 0,
            learned: BTreeMap::new(),
            phase: Phase::Idle,
            own_value: None,
            pending: VecDeque::new(),
            highest_round_seen: 0,
            leader: None,
            tallies: BTreeMap::new(),
            failures: 0,
            requests: 0,
            accepted_now: Vec::new(),
            learned_now: Vec::new(),
        }
    }

    pub fn id(&self) -> NodeId {
        self.id
    }
    pub fn mode(&self) -> Mode {
        self.config.mode
    }
    pub fn is_proposer(&self) -> bool {
        self.id.index() < self.config.proposers
    }
    pub fn promised(&self) -> Ballot {
        self.promised
    }
    pub fn accepted(&self) -> &BTreeMap<Slot, Accepted> {
        &self.accepted
    }
    pub fn learned(&self) -> &BTreeMap<Slot, Value> {
        &self.learned
    }
    pub fn phase(&self) -> &Phase {
        &self.phase
    }
    pub fn round(&self) -> u64 {
        self.round
    }
    pub fn requests(&self) -> u64 {
        self.requests
    }
    /// Multi-Paxos: whether this proposer leads (has completed phase 1).
    pub fn leads(&self) -> bool {
        self.config.mode == Mode::Multi && matches!(self.phase, Phase::Proposing { .. })
    }
    /// The ballot of the attempt under way, if any.
    pub fn ballot(&self) -> Option<Ballot> {
        match &self.phase {
            Phase::Idle => None,
            Phase::Preparing { ballot, .. } | Phase::Proposing { ballot, .. } => Some(*ballot),
        }
    }
    /// The slots this server accepted a proposal in during its last handler.
    pub fn accepted_now(&self) -> &[Slot] {
        &self.accepted_now
    }
    /// The slots this server learned during its last handler.
    pub fn learned_now(&self) -> &[Slot] {
        &self.learned_now
    }

    /// Makes this acceptor accept `value` in `slot` under `ballot`, as if a
    /// handler had, for checker tests that need states no correct run reaches.
    #[cfg(test)]
    pub(crate) fn force_accept(&mut self, slot: Slot, ballot: Ballot, value: Value) {
        self.begin_handler();
        self.promised = self.promised.max(ballot);
        self.accepted.insert(slot, Accepted { ballot, value });
        self.accepted_now.push(slot);
    }

    /// Makes this learner learn `value` in `slot`, as if a handler had.
    #[cfg(test)]
    pub(crate) fn force_learn(&mut self, slot: Slot, value: Value) {
        self.begin_handler();
        self.learned.insert(slot, value);
        self.learned_now.push(slot);
    }

    /// A majority of the acceptors: any two share one (section 2.2).
    fn majority(&self) -> usize {
        self.config.cluster_size / 2 + 1
    }

    /// How many promises or acceptances the proposer waits for.
    fn quorum(&self) -> usize {
        if self.config.bugs.minority_quorum {
            (self.config.cluster_size / 2).max(1)
        } else {
            self.majority()
        }
    }

    /// The lowest slot this learner has not learned.
    pub fn first_unlearned(&self) -> Slot {
        let mut slot = Slot(0);
        for &learned in self.learned.keys() {
            if learned != slot {
                break;
            }
            slot = slot.next();
        }
        slot
    }

    fn begin_handler(&mut self) {
        self.accepted_now.clear();
        self.learned_now.clear();
    }

    fn observe(&mut self, ballot: Ballot) {
        self.highest_round_seen = self.highest_round_seen.max(ballot.round);
    }

    fn random_between(cx: &mut Cx<PaxosNode>, low: Duration, high: Duration) -> Duration {
        Duration(cx.rng.range_inclusive(low.as_micros(), high.as_micros()))
    }

    fn reset_leader_timeout(&self, cx: &mut Cx<PaxosNode>) {
        let timing = self.config.timing;
        let wait = Self::random_between(cx, timing.leader_timeout_min, timing.leader_timeout_max);
        cx.set_timer(PaxosTimer::LeaderTimeout, wait);
    }

    // ---- Proposer ----------------------------------------------------------

    /// Phase 1(a): pick a ballot above every one seen and send prepare requests
    /// to every acceptor, this server's own included.
    fn start_round(&mut self, cx: &mut Cx<PaxosNode>) {
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
    fn on_promise(
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
    fn begin_phase_two(&mut self, cx: &mut Cx<PaxosNode>) {
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
                    cx.note(|| "nothing accepted and no value of its own: nothing to propose".to_string());
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
        let after_known = self.learned.keys().next_back().map_or(Slot(0), |s| s.next());
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
    fn propose_next(&mut self, value: u64, cx: &mut Cx<PaxosNode>) {
        let Phase::Proposing { next_slot, .. } = &mut self.phase else {
            return;
        };
        let slot = *next_slot;
        *next_slot = slot.next();
        cx.note(|| format!("skips phase 1: proposes v{value} in slot {slot}"));
        self.propose(slot, Value::Client(value), cx);
    }

    /// Phase 2(a) for one slot: send the accept request to every acceptor.
    fn propose(&mut self, slot: Slot, value: Value, cx: &mut Cx<PaxosNode>) {
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
    fn on_preempted(&mut self, ballot: Ballot, promised: Ballot, cx: &mut Cx<PaxosNode>) {
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
    fn retry_later(&mut self, cx: &mut Cx<PaxosNode>) {
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
                cx.note(|| format!("backs off for {} ms before its next round", wait.as_micros() / 1000));
                cx.set_timer(PaxosTimer::Retry, wait);
            }
        }
    }

    /// A client's value reached this server.
    fn take_value(&mut self, value: u64, cx: &mut Cx<PaxosNode>) {
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

    // ---- Acceptor ----------------------------------------------------------

    /// Phase 1(b): promise never to accept a ballot below `ballot`, unless a
    /// higher one was promised already, and report what was accepted.
    fn acceptor_prepare(
        &mut self,
        ballot: Ballot,
        from_slot: Slot,
        cx: &mut Cx<PaxosNode>,
    ) -> PaxosMessage {
        self.observe(ballot);
        if ballot < self.promised {
            let promised = self.promised;
            cx.note(|| format!("refuses Prepare {ballot}: promised {promised}"));
            return PaxosMessage::Preempted { ballot, promised };
        }
        self.promised = ballot;
        let accepted: Vec<(Slot, Accepted)> = self
            .accepted
            .range(from_slot..)
            .map(|(slot, accepted)| (*slot, *accepted))
            .collect();
        cx.note(|| format!("Phase 1(b): promises {ballot}"));
        PaxosMessage::Promise { ballot, accepted }
    }

    /// Phase 2(b): accept unless a higher ballot was promised, and tell every
    /// learner (section 2.3).
    fn acceptor_accept(
        &mut self,
        proposer: NodeId,
        ballot: Ballot,
        slot: Slot,
        value: Value,
        cx: &mut Cx<PaxosNode>,
    ) {
        self.observe(ballot);
        if ballot < self.promised {
            let promised = self.promised;
            cx.note(|| format!("refuses Accept {ballot}: promised {promised}"));
            let reply = PaxosMessage::Preempted { ballot, promised };
            if proposer == self.id {
                self.on_reply(proposer, reply, cx);
            } else {
                cx.send(proposer, reply);
            }
            return;
        }
        self.promised = ballot;
        self.accepted.insert(slot, Accepted { ballot, value });
        self.accepted_now.push(slot);
        cx.note(|| format!("Phase 2(b): accepts {value} in slot {slot} under {ballot}"));
        cx.broadcast(PaxosMessage::Accepted {
            ballot,
            slot,
            value,
        });
        self.on_accepted(self.id, ballot, slot, value, cx);
    }

    // ---- Learner -----------------------------------------------------------

    /// Section 2.3: a value is chosen once a majority of acceptors accepted it
    /// under one ballot; the learner counts the acceptances it is told about.
    fn on_accepted(
        &mut self,
        from: NodeId,
        ballot: Ballot,
        slot: Slot,
        value: Value,
        cx: &mut Cx<PaxosNode>,
    ) {
        self.observe(ballot);
        if self.learned.contains_key(&slot) {
            return;
        }
        let tally = self.tallies.entry((slot, ballot)).or_insert(Tally {
            value,
            acceptors: Vec::new(),
        });
        if tally.value != value {
            cx.note(|| format!("ignores Accepted {ballot}: another value was accepted under it"));
            return;
        }
        if !tally.acceptors.contains(&from) {
            tally.acceptors.push(from);
        }
        let count = tally.acceptors.len();
        if count >= self.majority() {
            cx.note(|| format!("learns {value} in slot {slot}: {count} acceptors accepted it under {ballot}"));
            self.learn(slot, value, cx);
            if self.config.mode == Mode::Basic && ballot.proposer == self.id {
                cx.broadcast(PaxosMessage::Chosen { slot, value });
            }
            return;
        }
        // The proposer's own count, which the minority bug cuts short.
        let mine = matches!(&self.phase, Phase::Proposing { ballot: b, proposals, .. }
            if *b == ballot && proposals.get(&slot) == Some(&value));
        if mine && count >= self.quorum() {
            cx.note(|| format!("counts {value} chosen in slot {slot} with {count} acceptances"));
            self.learn(slot, value, cx);
            cx.broadcast(PaxosMessage::Chosen { slot, value });
        }
    }

    fn learn(&mut self, slot: Slot, value: Value, cx: &mut Cx<PaxosNode>) {
        if self.learned.contains_key(&slot) {
            return;
        }
        self.learned.insert(slot, value);
        self.learned_now.push(slot);
        self.tallies.retain(|(s, _), _| *s != slot);
        if let Phase::Proposing { proposals, .. } = &mut self.phase {
            proposals.remove(&slot);
        }
        if self.config.mode == Mode::Basic {
            self.own_value = None;
            self.failures = 0;
            if self.phase != Phase::Idle {
                self.phase = Phase::Idle;
            }
            cx.cancel_timer(PaxosTimer::Retry);
        }
    }

    /// Another learner says `value` was chosen in `slot`.
    fn on_chosen(&mut self, from: NodeId, slot: Slot, value: Value, cx: &mut Cx<PaxosNode>) {
        if let Some(known) = self.learned.get(&slot) {
            if *known != value {
                let known = *known;
                cx.note(|| format!("{from} says {value} was chosen in slot {slot}, but it learned {known}"));
            }
            return;
        }
        cx.note(|| format!("learns {value} in slot {slot} from {from}"));
        self.learn(slot, value, cx);
    }

    // ---- Multi-Paxos leadership --------------------------------------------

    fn on_heartbeat(
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

    fn on_heartbeat_timer(&mut self, cx: &mut Cx<PaxosNode>) {
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

    /// Section 2.3: a learner that missed acceptances asks one that knows.
    fn on_catch_up(&mut self, from: NodeId, from_slot: Slot, cx: &mut Cx<PaxosNode>) {
        const MOST: usize = 16;
        for (&slot, &value) in self.learned.range(from_slot..).take(MOST) {
            cx.send(from, PaxosMessage::Chosen { slot, value });
        }
    }

    /// Replies from this server's own acceptor are handled at once, as if sent.
    fn on_reply(&mut self, from: NodeId, reply: PaxosMessage, cx: &mut Cx<PaxosNode>) {
        match reply {
            PaxosMessage::Promise { ballot, accepted } => self.on_promise(from, ballot, accepted, cx),
            PaxosMessage::Preempted { ballot, promised } => self.on_preempted(ballot, promised, cx),
            _ => {}
        }
    }

    /// Feeds what decides this server's future into an exploration's
    /// fingerprint: not the constants, the request counter (only the focus
    /// reads it, and the explorer sends inputs in a fixed order), or the
    /// per-handler lists the checker reads.
    pub(crate) fn hash_explored(&self, rename: &Rename, hasher: &mut Fingerprint) {
        let ballot = |ballot: Ballot, hasher: &mut Fingerprint| {
            ballot.round.hash(hasher);
            rename.write(Some(ballot.proposer), hasher);
        };
        ballot(self.promised, hasher);
        hasher.write_usize(self.accepted.len());
        for (slot, accepted) in &self.accepted {
            slot.hash(hasher);
            ballot(accepted.ballot, hasher);
            accepted.value.hash(hasher);
        }
        self.round.hash(hasher);
        self.learned.hash(hasher);
        match &self.phase {
            Phase::Idle => hasher.write_u8(0),
            Phase::Preparing {
                ballot: b,
                from_slot,
                promised_by,
                reported,
            } => {
                hasher.write_u8(1);
                ballot(*b, hasher);
                from_slot.hash(hasher);
                fingerprint::write_set(promised_by, rename, hasher);
                for (slot, accepted) in reported {
                    slot.hash(hasher);
                    ballot(accepted.ballot, hasher);
                    accepted.value.hash(hasher);
                }
            }
            Phase::Proposing {
                ballot: b,
                proposals,
                next_slot,
            } => {
                hasher.write_u8(2);
                ballot(*b, hasher);
                proposals.hash(hasher);
                next_slot.hash(hasher);
            }
        }
        self.own_value.hash(hasher);
        self.pending.hash(hasher);
        self.highest_round_seen.hash(hasher);
        match self.leader {
            Some((leader, b)) => {
                rename.write(Some(leader), hasher);
                ballot(b, hasher);
            }
            None => rename.write(None, hasher),
        }
        hasher.write_usize(self.tallies.len());
        for ((slot, b), tally) in &self.tallies {
            slot.hash(hasher);
            ballot(*b, hasher);
            tally.value.hash(hasher);
            fingerprint::write_set(&tally.acceptors, rename, hasher);
        }
        self.failures.hash(hasher);
    }

    fn role(&self) -> (&'static str, Palette) {
        let learned = self.config.mode == Mode::Basic && !self.learned.is_empty();
        match &self.phase {
            Phase::Proposing { .. } if self.config.mode == Mode::Multi => ("leader", Palette::Lead),
            Phase::Proposing { .. } => ("proposer", Palette::Lead),
            Phase::Preparing { .. } => ("proposer", Palette::Contend),
            Phase::Idle if learned => (
                if self.is_proposer() { "proposer" } else { "acceptor" },
                Palette::Done,
            ),
            Phase::Idle if self.is_proposer() => ("proposer", Palette::Plain),
            Phase::Idle => ("acceptor", Palette::Plain),
        }
    }

    fn phase_text(&self) -> String {
        if !self.is_proposer() {
            return "-".to_string();
        }
        match &self.phase {
            Phase::Idle if self.round == 0 => "idle".to_string(),
            Phase::Idle => format!("idle (last round {})", self.round),
            Phase::Preparing {
                ballot,
                promised_by,
                ..
            } => format!(
                "{ballot} phase 1: {}/{} promises",
                promised_by.len(),
                self.majority()
            ),
            Phase::Proposing { ballot, .. } if self.config.mode == Mode::Multi => {
                format!("{ballot} leads")
            }
            Phase::Proposing { ballot, .. } => format!("{ballot} phase 2"),
        }
    }

    fn slot_log<T: Copy>(
        &self,
        entries: &BTreeMap<Slot, T>,
        cell: impl Fn(Slot, Option<T>) -> LogEntryCell,
    ) -> LogCell {
        let length = entries.keys().next_back().map_or(0, |s| s.0 as usize + 1);
        let by_slot: Vec<Option<T>> = (0..length)
            .map(|i| entries.get(&Slot(i as u64)).copied())
            .collect();
        let committed = self.first_unlearned().0 as usize;
        LogCell::tail(&by_slot, committed, |i, entry| cell(Slot(i as u64), *entry))
    }
}

impl Node for PaxosNode {
    type Msg = PaxosMessage;
    type Timer = PaxosTimer;
    type Op = PaxosOp;

    fn on_start(&mut self, cx: &mut Cx<Self>) {
        self.begin_handler();
        if self.config.mode == Mode::Multi && self.is_proposer() {
            self.reset_leader_timeout(cx);
        }
    }

    fn on_message(&mut self, from: NodeId, msg: PaxosMessage, cx: &mut Cx<Self>) {
        self.begin_handler();
        if from.index() >= self.config.cluster_size || from == self.id {
            cx.note(|| format!("drops a message from {from}, which is not a peer"));
            return;
        }
        let multi = self.config.mode == Mode::Multi;
        match msg {
            PaxosMessage::Prepare { ballot, from_slot } => {
                if !multi && from_slot != Slot(0) {
                    cx.note(|| "drops a Prepare for a slot Basic Paxos does not have".to_string());
                    return;
                }
                let reply = self.acceptor_prepare(ballot, from_slot, cx);
                cx.send(from, reply);
            }
            PaxosMessage::Promise { ballot, accepted } => {
                if ballot.proposer != self.id {
                    cx.note(|| format!("drops a Promise for {ballot}, which is not its ballot"));
                    return;
                }
                self.observe(ballot);
                for (_, proposal) in &accepted {
                    self.observe(proposal.ballot);
                }
                self.on_promise(from, ballot, accepted, cx);
            }
            PaxosMessage::Preempted { ballot, promised } => {
                if ballot.proposer != self.id || promised < ballot {
                    cx.note(|| "drops a Preempted that preempts nothing of its own".to_string());
                    return;
                }
                self.on_preempted(ballot, promised, cx);
            }
            PaxosMessage::Accept {
                ballot,
                slot,
                value,
            } => {
                if ballot.proposer != from || (!multi && slot != Slot(0)) {
                    cx.note(|| format!("drops Accept {ballot} slot {slot}: not a valid proposal from {from}"));
                    return;
                }
                self.acceptor_accept(from, ballot, slot, value, cx);
            }
            PaxosMessage::Accepted {
                ballot,
                slot,
                value,
            } => {
                if !multi && slot != Slot(0) {
                    cx.note(|| "drops an Accepted for a slot Basic Paxos does not have".to_string());
                    return;
                }
                self.on_accepted(from, ballot, slot, value, cx);
            }
            PaxosMessage::Chosen { slot, value } => {
                if !multi && slot != Slot(0) {
                    cx.note(|| "drops a Chosen for a slot Basic Paxos does not have".to_string());
                    return;
                }
                self.on_chosen(from, slot, value, cx);
            }
            PaxosMessage::Heartbeat {
                ballot,
                learned_below,
            } => {
                if ballot.proposer != from {
                    cx.note(|| format!("drops a Heartbeat for {ballot} sent by {from}"));
                    return;
                }
                self.on_heartbeat(from, ballot, learned_below, cx);
            }
            PaxosMessage::CatchUp { from_slot } => self.on_catch_up(from, from_slot, cx),
            PaxosMessage::Forward { value } => {
                if !multi {
                    cx.note(|| "drops a Forward: Basic Paxos has no leader".to_string());
                    return;
                }
                if self.leads() {
                    self.propose_next(value, cx);
                } else if self.is_proposer() {
                    cx.note(|| format!("does not lead: keeps v{value} until a leader is known"));
                    self.pending.push_back(value);
                } else {
                    cx.note(|| format!("is not a proposer: drops forwarded v{value}"));
                }
            }
        }
    }

    fn on_timer(&mut self, timer: PaxosTimer, cx: &mut Cx<Self>) {
        self.begin_handler();
        match (timer, self.config.mode) {
            (PaxosTimer::Retry, Mode::Basic) => {
                if !self.learned.is_empty() {
                    return;
                }
                if self.own_value.is_none() && self.phase == Phase::Idle {
                    return;
                }
                if self.phase != Phase::Idle {
                    // Section 2.4: a round can stall for ever (lost messages, a
                    // crashed acceptor); only a new, higher round makes progress.
                    self.failures = self.failures.saturating_add(1);
                    cx.note(|| "the round took too long: starts a higher one".to_string());
                }
                self.start_round(cx);
            }
            (PaxosTimer::LeaderTimeout, Mode::Multi) => {
                if self.leads() || !self.is_proposer() {
                    return;
                }
                cx.note(|| "hears no leader: runs phase 1 to lead".to_string());
                self.start_round(cx);
            }
            (PaxosTimer::Heartbeat, Mode::Multi) => self.on_heartbeat_timer(cx),
            (timer, _) => {
                cx.note(|| format!("ignores a {timer:?} timer this mode does not use"));
            }
        }
    }

    fn on_operation(&mut self, operation: PaxosOp, cx: &mut Cx<Self>) {
        self.begin_handler();
        match operation {
            PaxosOp::Propose { value } => self.take_value(value, cx),
        }
    }

    /// A forced timeout starts a new round at once (Basic), or a bid to lead
    /// (Multi), so a story can make two proposers duel.
    fn on_timeout_now(&mut self, cx: &mut Cx<Self>) {
        self.begin_handler();
        if !self.is_proposer() {
            cx.note(|| "is not a proposer: has no round to start".to_string());
        } else if self.leads() {
            cx.note(|| "already leads".to_string());
        } else if self.config.mode == Mode::Basic && !self.learned.is_empty() {
            cx.note(|| "already knows the chosen value".to_string());
        } else {
            self.start_round(cx);
        }
    }

    fn on_crash(&mut self) {
        self.phase = Phase::Idle;
        self.own_value = None;
        self.pending.clear();
        self.highest_round_seen = self.round;
        self.leader = None;
        self.tallies.clear();
        self.failures = 0;
        self.requests = 0;
        self.accepted_now.clear();
        self.learned_now.clear();
        if self.config.bugs.forget_promise_on_restart {
            self.promised = Ballot::NONE;
            self.accepted.clear();
        }
    }

    fn summary(&self) -> NodeSummary {
        let (role, palette) = self.role();
        let badge = match self.config.mode {
            Mode::Basic => match self.learned.get(&Slot(0)) {
                Some(value) => value.to_string(),
                None => self.promised.to_string(),
            },
            Mode::Multi => format!("{}/{}", self.promised, self.first_unlearned()),
        };
        NodeSummary {
            role,
            palette,
            badge,
            detail: format!(
                "{} {role}: {}, promised {}, {} accepted, {} learned",
                self.id,
                self.phase_text(),
                self.promised,
                self.accepted.len(),
                self.learned.len()
            ),
        }
    }

    fn state_row(&self) -> Vec<Cell> {
        let (accepted, learned) = match self.config.mode {
            Mode::Basic => (
                Cell::Text(
                    self.accepted
                        .get(&Slot(0))
                        .map_or_else(|| "-".to_string(), |a| a.to_string()),
                ),
                Cell::Text(
                    self.learned
                        .get(&Slot(0))
                        .map_or_else(|| "-".to_string(), |v| v.to_string()),
                ),
            ),
            Mode::Multi => {
                let learned = &self.learned;
                (
                    Cell::Log(self.slot_log(&self.accepted, |slot, entry| match entry {
                        Some(a) => LogEntryCell {
                            text: a.value.to_string(),
                            colour: a.ballot.round,
                            committed: learned.contains_key(&slot),
                            detail: format!("slot {slot}: accepted {a}"),
                        },
                        None => LogEntryCell {
                            text: "·".to_string(),
                            colour: 0,
                            committed: false,
                            detail: format!("slot {slot}: nothing accepted"),
                        },
                    })),
                    Cell::Log(self.slot_log(learned, |slot, entry| match entry {
                        Some(value) => LogEntryCell {
                            text: value.to_string(),
                            colour: 1,
                            committed: true,
                            detail: format!("slot {slot}: learned {value}"),
                        },
                        None => LogEntryCell {
                            text: "?".to_string(),
                            colour: 0,
                            committed: false,
                            detail: format!("slot {slot}: not learned yet"),
                        },
                    })),
                )
            }
        };
        vec![
            Cell::Text(self.phase_text()),
            Cell::Text(self.promised.to_string()),
            accepted,
            learned,
        ]
    }
}
