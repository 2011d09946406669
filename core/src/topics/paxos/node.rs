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
use std::hash::Hash;

use crate::sim::node::{Cx, Labelled, Node};
use crate::sim::time::{Duration, NodeId};
use crate::sim::view::{Cell, LogCell, LogEntryCell, NodeSummary, Palette, LOG_WINDOW};

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
pub(super) struct Tally {
    pub(super) value: Value,
    pub(super) acceptors: Vec<NodeId>,
}

/// A Paxos server.
#[derive(Clone, Debug)]
pub struct PaxosNode {
    pub(super) id: NodeId,
    pub(super) config: PaxosConfig,
    // Durable.
    /// The highest ballot this acceptor promised (phase 1(b)) or accepted.
    pub(super) promised: Ballot,
    /// This acceptor's accepted proposal per slot: overwritten by higher ballots.
    pub(super) accepted: BTreeMap<Slot, Accepted>,
    /// The highest round this proposer issued.
    pub(super) round: u64,
    /// What this learner knows was chosen.
    pub(super) learned: BTreeMap<Slot, Value>,
    // Volatile.
    pub(super) phase: Phase,
    /// Basic Paxos: the client's value this proposer wants chosen.
    pub(super) own_value: Option<u64>,
    /// Multi-Paxos: client values waiting for this proposer to lead.
    pub(super) pending: VecDeque<u64>,
    /// The highest round seen in any ballot: the next attempt goes above it.
    pub(super) highest_round_seen: u64,
    /// Multi-Paxos: whom this server believes leads, and under which ballot.
    pub(super) leader: Option<(NodeId, Ballot)>,
    pub(super) tallies: BTreeMap<(Slot, Ballot), Tally>,
    /// Consecutive rounds that ended without a choice (the backoff doubles).
    pub(super) failures: u32,
    /// Client values received, so the workload can take turns between proposers.
    pub(super) requests: u64,
    // What the last handler did, for the checker; cleared when a handler starts.
    pub(super) accepted_now: Vec<Slot>,
    pub(super) learned_now: Vec<Slot>,
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
    pub(super) fn majority(&self) -> usize {
        self.config.cluster_size / 2 + 1
    }

    /// How many promises or acceptances the proposer waits for.
    pub(super) fn quorum(&self) -> usize {
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

    pub(super) fn begin_handler(&mut self) {
        self.accepted_now.clear();
        self.learned_now.clear();
    }

    pub(super) fn observe(&mut self, ballot: Ballot) {
        self.highest_round_seen = self.highest_round_seen.max(ballot.round);
    }

    pub(super) fn random_between(
        cx: &mut Cx<PaxosNode>,
        low: Duration,
        high: Duration,
    ) -> Duration {
        Duration(cx.rng.range_inclusive(low.as_micros(), high.as_micros()))
    }

    pub(super) fn reset_leader_timeout(&self, cx: &mut Cx<PaxosNode>) {
        let timing = self.config.timing;
        let wait = Self::random_between(cx, timing.leader_timeout_min, timing.leader_timeout_max);
        cx.set_timer(PaxosTimer::LeaderTimeout, wait);
    }

    fn role(&self) -> (&'static str, Palette) {
        let learned = self.config.mode == Mode::Basic && !self.learned.is_empty();
        match &self.phase {
            Phase::Proposing { .. } if self.config.mode == Mode::Multi => ("leader", Palette::Lead),
            Phase::Proposing { .. } => ("proposer", Palette::Lead),
            Phase::Preparing { .. } => ("proposer", Palette::Contend),
            Phase::Idle if learned => (
                if self.is_proposer() {
                    "proposer"
                } else {
                    "acceptor"
                },
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

    /// The last [`LOG_WINDOW`] slots of `entries` as a log cell; slots with
    /// nothing in them are drawn by `cell(slot, None)`.
    fn slot_log<T: Copy>(
        &self,
        entries: &BTreeMap<Slot, T>,
        cell: impl Fn(Slot, Option<T>) -> LogEntryCell,
    ) -> LogCell {
        let total = entries.keys().next_back().map_or(0, |s| s.0 as usize + 1);
        let first = total.saturating_sub(LOG_WINDOW);
        LogCell {
            total,
            committed: (self.first_unlearned().0 as usize).min(total),
            first,
            entries: (first..total)
                .map(|i| {
                    let slot = Slot(i as u64);
                    cell(slot, entries.get(&slot).copied())
                })
                .collect(),
        }
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
        if let Some(slot) = highest_slot(&msg).filter(|&slot| slot > Slot::MAX) {
            cx.note(|| format!("drops a {} naming slot {slot}, beyond any log", msg.kind()));
            return;
        }
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
                    cx.note(|| {
                        format!(
                            "drops Accept {ballot} slot {slot}: not a valid proposal from {from}"
                        )
                    });
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
                    cx.note(|| {
                        "drops an Accepted for a slot Basic Paxos does not have".to_string()
                    });
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
                cx.note(|| format!("ignores a {} timer this mode does not use", timer.label()));
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
            Mode::Multi => match self.ballot().filter(|_| self.leads()) {
                Some(ballot) => ballot.to_string(),
                None => self.promised.to_string(),
            },
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

/// The highest slot a message names, if it names any.
fn highest_slot(message: &PaxosMessage) -> Option<Slot> {
    match message {
        PaxosMessage::Prepare { from_slot, .. } | PaxosMessage::CatchUp { from_slot } => {
            Some(*from_slot)
        }
        PaxosMessage::Promise { accepted, .. } => accepted.iter().map(|(slot, _)| *slot).max(),
        PaxosMessage::Accept { slot, .. }
        | PaxosMessage::Accepted { slot, .. }
        | PaxosMessage::Chosen { slot, .. } => Some(*slot),
        PaxosMessage::Heartbeat { learned_below, .. } => Some(*learned_below),
        PaxosMessage::Preempted { .. } | PaxosMessage::Forward { .. } => None,
    }
}
