//! A participant of three-phase commit (nodes 1..n): it works on its part of
//! each transaction under the transaction's locks, votes, becomes uncertain,
//! is pre-committed, commits or aborts, and, when the coordinator falls
//! silent, takes part in (or runs: `termination.rs`) the termination protocol.
//! Follows Skeen, "Nonblocking Commit Protocols" (SIGMOD 1981), section 4 (the
//! central-site three-phase protocol: states q, w, p, c, a) and the
//! termination protocol of Bernstein, Hadzilacos and Goodman, "Concurrency
//! Control and Recovery in Database Systems" (1987), section 7.5 (rules TR1 to
//! TR4); its recovery follows BHG 7.5 too: a site back from a crash that voted
//! YES cannot decide alone and asks.
//!
//! Durable: the log. Volatile: the phase of each transaction in progress, the
//! termination rounds it coordinates, its outbox. Kept for the view only: the
//! lock intervals (as two-phase commit's participant keeps them). Not node
//! state: the page's "vote no" switch, which survives a crash.

use crate::sim::node::{Cx, Labelled};
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::view::{Cell, NodeSummary, Palette};
use crate::topics::two_phase_commit::node::millis;
use crate::topics::two_phase_commit::participant::LockInterval;

use super::log::{DurableLog, RecordKind};
use super::message::{Decision, ThreePhaseMessage, ThreePhaseTimer, TransactionId, Vote};
use super::node::{Outbox, ThreePhaseBugs, ThreePhaseNode, Timing};
use super::termination::Round;

/// Where a participant is with a transaction it holds locks for (Skeen's local
/// states q, w and p; c and a are in the log).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Working on its part, not voted: it may still abort on its own (q).
    Working,
    /// Voted YES, not pre-committed (w).
    Uncertain,
    /// Pre-committed (p).
    PreCommitted,
    /// Back from a crash with a YES vote (and perhaps a pre-commit) in its log
    /// and no outcome: it only asks.
    Recovering,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Working => "working",
            Phase::Uncertain => "uncertain",
            Phase::PreCommitted => "pre-committed",
            Phase::Recovering => "recovering",
        }
    }
}

/// A participant.
#[derive(Clone, Debug)]
pub struct Participant {
    pub(super) id: NodeId,
    pub(super) cluster_size: usize,
    pub(super) timing: Timing,
    pub(super) bugs: ThreePhaseBugs,
    abort_percent: u32,
    // Durable.
    pub(super) log: DurableLog,
    // Volatile.
    pub(super) active: Vec<(TransactionId, Phase)>,
    pub(super) rounds: Vec<(TransactionId, Round)>,
    pub(super) outbox: Outbox,
    // The view's history and the page's switch.
    lock_intervals: Vec<LockInterval>,
    refuse_next: bool,
}

impl Participant {
    pub fn new(
        id: NodeId,
        cluster_size: usize,
        timing: Timing,
        abort_percent: u32,
        bugs: ThreePhaseBugs,
    ) -> Self {
        Participant {
            id,
            cluster_size,
            timing,
            bugs,
            abort_percent: abort_percent.min(100),
            log: DurableLog::default(),
            active: Vec::new(),
            rounds: Vec::new(),
            outbox: Outbox::default(),
            lock_intervals: Vec::new(),
            refuse_next: false,
        }
    }

    pub fn id(&self) -> NodeId {
        self.id
    }
    pub fn log(&self) -> &DurableLog {
        &self.log
    }
    pub fn lock_intervals(&self) -> &[LockInterval] {
        &self.lock_intervals
    }
    /// The transactions in progress here, with their phases.
    pub fn active(&self) -> &[(TransactionId, Phase)] {
        &self.active
    }
    /// Whether it runs the termination protocol for some transaction.
    pub fn terminating(&self) -> bool {
        !self.rounds.is_empty()
    }

    pub fn phase(&self, transaction: TransactionId) -> Option<Phase> {
        self.active
            .iter()
            .find(|(t, _)| *t == transaction)
            .map(|(_, p)| *p)
    }

    pub(super) fn set_phase(&mut self, transaction: TransactionId, phase: Phase) {
        match self.active.binary_search_by_key(&transaction, |e| e.0) {
            Ok(at) => self.active[at].1 = phase,
            Err(at) => self.active.insert(at, (transaction, phase)),
        }
    }

    /// Every other participant.
    pub(super) fn peers(&self) -> Vec<NodeId> {
        (1..self.cluster_size as u32)
            .map(NodeId)
            .filter(|&n| n != self.id)
            .collect()
    }

    /// How long to wait before presuming the coordinator (or a termination
    /// coordinator) crashed: longer the higher the id, so the lowest live
    /// participant times out first (the election of BHG 7.5).
    pub(super) fn wait(&self, base: Duration) -> Duration {
        let rank = self.id.index().saturating_sub(1) as u64;
        Duration(base.as_micros() + rank * self.timing.rank_step.as_micros())
    }

    fn lock(&mut self, transaction: TransactionId, now: Time) {
        let open = self
            .lock_intervals
            .iter()
            .any(|i| i.transaction == transaction && i.to.is_none());
        if !open {
            self.lock_intervals.push(LockInterval {
                transaction,
                from: now,
                to: None,
            });
        }
    }

    fn unlock(&mut self, transaction: TransactionId, now: Time) {
        if let Some(interval) = self
            .lock_intervals
            .iter_mut()
            .rev()
            .find(|i| i.transaction == transaction && i.to.is_none())
        {
            interval.to = Some(now);
        }
    }

    /// Phase 1: CanCommit? arrives; work on the part under its locks, then vote.
    fn on_can_commit(
        &mut self,
        from: NodeId,
        transaction: TransactionId,
        cx: &mut Cx<ThreePhaseNode>,
    ) {
        if from != NodeId(0) {
            cx.note(|| format!("CAN-COMMIT? from {from}, who does not coordinate: ignored"));
            return;
        }
        let summary = self.log.summary(transaction);
        if summary.decision.is_some() || self.phase(transaction).is_some() {
            let vote = if summary.prepared {
                Vote::Yes
            } else {
                Vote::No
            };
            if summary.decision.is_some() || summary.prepared {
                cx.note(|| format!("asked again about {transaction}: votes {vote} again"));
                cx.send(from, ThreePhaseMessage::VoteReply { transaction, vote });
            }
            return;
        }
        if summary.begun {
            cx.note(|| format!("{transaction} was begun here before a crash: votes NO"));
            return;
        }
        self.log.append(transaction, RecordKind::Begin);
        self.set_phase(transaction, Phase::Working);
        self.lock(transaction, cx.now());
        let work = cx.rng.range_inclusive(
            self.timing.work_min.as_micros(),
            self.timing.work_max.as_micros(),
        );
        cx.note(|| format!("takes {transaction}'s locks and works on its part"));
        cx.set_timer(ThreePhaseTimer::WorkDone(transaction), Duration(work));
    }

    /// Phase 1: the work is done; vote (q to w, or q to a).
    fn on_work_done(&mut self, transaction: TransactionId, cx: &mut Cx<ThreePhaseNode>) {
        if self.phase(transaction) != Some(Phase::Working) {
            return;
        }
        let fails = self.refuse_next
            || (self.abort_percent > 0 && cx.rng.below(100) < self.abort_percent as u64);
        if fails {
            self.refuse_next = false;
            self.finish(transaction, Decision::Abort, cx.now());
            cx.note(|| format!("its part of {transaction} failed: logs '{transaction} abort', releases the locks, votes NO"));
            let vote = Vote::No;
            cx.send(
                NodeId(0),
                ThreePhaseMessage::VoteReply { transaction, vote },
            );
        } else {
            // Skeen: q to w. The prepared record is forced before the vote.
            self.log.append(transaction, RecordKind::Prepared);
            self.set_phase(transaction, Phase::Uncertain);
            cx.note(|| {
                format!("force-writes '{transaction} prepared', votes YES and is now uncertain")
            });
            let vote = Vote::Yes;
            cx.send(
                NodeId(0),
                ThreePhaseMessage::VoteReply { transaction, vote },
            );
            let wait = self.wait(self.timing.wait);
            cx.set_timer(ThreePhaseTimer::Timeout(transaction), wait);
        }
    }

    /// Logs `decision`, forgets the phase, releases the locks.
    pub(super) fn finish(&mut self, transaction: TransactionId, decision: Decision, now: Time) {
        self.log.append(transaction, RecordKind::Decided(decision));
        if let Ok(at) = self.active.binary_search_by_key(&transaction, |e| e.0) {
            self.active.remove(at);
        }
        self.unlock(transaction, now);
    }

    /// Phase 2: PreCommit, from the coordinator or a termination coordinator
    /// (w to p). A site back from a crash takes no part: it waits to be told.
    fn on_pre_commit(
        &mut self,
        from: NodeId,
        transaction: TransactionId,
        cx: &mut Cx<ThreePhaseNode>,
    ) {
        if let Some(decision) = self.log.decision(transaction) {
            cx.note(|| {
                format!("PRE-COMMIT for {transaction}, which it knows is {decision}: says so")
            });
            cx.send(
                from,
                ThreePhaseMessage::Decide {
                    transaction,
                    decision,
                },
            );
            return;
        }
        match self.phase(transaction) {
            Some(Phase::Uncertain) => {
                self.log.append(transaction, RecordKind::PreCommitted);
                self.set_phase(transaction, Phase::PreCommitted);
                cx.note(|| format!("force-writes '{transaction} pre-commit' and acknowledges: every participant voted YES"));
                cx.send(from, ThreePhaseMessage::PreCommitAck { transaction });
                let wait = self.wait(self.timing.wait);
                cx.set_timer(ThreePhaseTimer::Timeout(transaction), wait);
            }
            Some(Phase::PreCommitted) => {
                cx.send(from, ThreePhaseMessage::PreCommitAck { transaction });
            }
            phase => {
                let what = phase.map_or("does not know it", Phase::as_str);
                cx.note(|| format!("PRE-COMMIT for {transaction}, but it {what}: ignored"));
            }
        }
    }

    /// Phase 3: the outcome, from whoever knows it. Acknowledged to the
    /// coordinator, which waits for acks.
    pub(super) fn on_decide(
        &mut self,
        from: NodeId,
        transaction: TransactionId,
        decision: Decision,
        cx: &mut Cx<ThreePhaseNode>,
    ) {
        match self.log.decision(transaction) {
            Some(logged) if logged != decision => {
                cx.note(|| format!("told {decision} for {transaction}, but '{transaction} {}' is in its log: keeps it", logged.as_str()));
                return;
            }
            Some(_) => {}
            None => {
                if decision == Decision::Commit && !self.log.summary(transaction).prepared {
                    cx.note(|| {
                        format!("told COMMIT for {transaction}, which it never prepared: refuses")
                    });
                    return;
                }
                self.finish(transaction, decision, cx.now());
                self.cancel_timers(transaction, cx);
                cx.note(|| {
                    format!(
                        "logs '{transaction} {}', applies it and releases the locks",
                        decision.as_str()
                    )
                });
                self.end_round(transaction, Some(decision), cx);
            }
        }
        if from == NodeId(0) {
            cx.send(from, ThreePhaseMessage::DecisionAck { transaction });
        }
    }

    fn cancel_timers(&self, transaction: TransactionId, cx: &mut Cx<ThreePhaseNode>) {
        for timer in [
            ThreePhaseTimer::WorkDone(transaction),
            ThreePhaseTimer::Timeout(transaction),
            ThreePhaseTimer::AskDecision(transaction),
            ThreePhaseTimer::StatesCollected(transaction),
            ThreePhaseTimer::PreCommitsAcked(transaction),
        ] {
            cx.cancel_timer(timer);
        }
    }

    /// A site back from a crash asks: answer if the outcome is known.
    fn on_decision_request(
        &mut self,
        from: NodeId,
        transaction: TransactionId,
        cx: &mut Cx<ThreePhaseNode>,
    ) {
        if let Some(decision) = self.log.decision(transaction) {
            cx.note(|| format!("{from} asks about {transaction}: {decision}"));
            cx.send(
                from,
                ThreePhaseMessage::Decide {
                    transaction,
                    decision,
                },
            );
        }
    }

    /// Recovery (BHG 7.5): a decision in the log is done; a YES vote without an
    /// outcome leaves it unable to decide (it may have missed anything while
    /// down), so it takes the locks again and asks; work begun but never voted
    /// on is aborted.
    pub fn on_start(&mut self, cx: &mut Cx<ThreePhaseNode>) {
        let open: Vec<(TransactionId, bool)> = self
            .log
            .transactions()
            .filter(|(_, s)| s.decision.is_none())
            .map(|(t, s)| (t, s.prepared))
            .collect();
        let now = cx.now();
        for (transaction, prepared) in open {
            if !prepared {
                self.finish(transaction, Decision::Abort, now);
                cx.note(|| {
                    format!("recovery: never voted on {transaction}: logs '{transaction} abort'")
                });
                continue;
            }
            self.lock(transaction, now);
            self.set_phase(transaction, Phase::Recovering);
            cx.note(|| format!("recovery: voted YES on {transaction}, no outcome in its log: takes the locks again and asks"));
            self.ask(transaction, cx);
        }
    }

    /// A recovering site asks everyone for the outcome, until someone knows.
    fn ask(&mut self, transaction: TransactionId, cx: &mut Cx<ThreePhaseNode>) {
        if self.phase(transaction) != Some(Phase::Recovering) {
            return;
        }
        let others: Vec<NodeId> = std::iter::once(NodeId(0)).chain(self.peers()).collect();
        for node in others {
            cx.send(node, ThreePhaseMessage::DecisionRequest { transaction });
        }
        cx.set_timer(
            ThreePhaseTimer::AskDecision(transaction),
            self.timing.ask_again,
        );
    }

    pub fn on_message(
        &mut self,
        from: NodeId,
        msg: ThreePhaseMessage,
        cx: &mut Cx<ThreePhaseNode>,
    ) {
        if from.index() >= self.cluster_size || from == self.id {
            cx.note(|| format!("a message from {from}, who is not in the cluster: ignored"));
            return;
        }
        match msg {
            ThreePhaseMessage::CanCommit { transaction } => {
                self.on_can_commit(from, transaction, cx)
            }
            ThreePhaseMessage::PreCommit { transaction } => {
                self.on_pre_commit(from, transaction, cx)
            }
            ThreePhaseMessage::Decide {
                transaction,
                decision,
            } => self.on_decide(from, transaction, decision, cx),
            ThreePhaseMessage::DecisionRequest { transaction } => {
                self.on_decision_request(from, transaction, cx)
            }
            ThreePhaseMessage::StateRequest { transaction } => {
                self.on_state_request(from, transaction, cx)
            }
            ThreePhaseMessage::StateReport { transaction, state } => {
                self.on_state_report(from, transaction, state, cx)
            }
            ThreePhaseMessage::PreCommitAck { transaction } => {
                self.on_termination_ack(from, transaction, cx)
            }
            ThreePhaseMessage::VoteReply { .. } | ThreePhaseMessage::DecisionAck { .. } => {
                let label = msg.label();
                cx.note(|| format!("a participant takes no '{label}': ignored"));
            }
        }
    }

    pub fn on_timer(&mut self, timer: ThreePhaseTimer, cx: &mut Cx<ThreePhaseNode>) {
        match timer {
            ThreePhaseTimer::SendNext(transaction) => {
                self.outbox.send_next(transaction, self.timing.send_gap, cx)
            }
            ThreePhaseTimer::WorkDone(transaction) => self.on_work_done(transaction, cx),
            ThreePhaseTimer::Timeout(transaction) => self.on_timeout(transaction, cx),
            ThreePhaseTimer::StatesCollected(transaction) => self.states_collected(transaction, cx),
            ThreePhaseTimer::PreCommitsAcked(transaction) => {
                self.pre_commits_acked(transaction, cx)
            }
            ThreePhaseTimer::AskDecision(transaction) => self.ask(transaction, cx),
            ThreePhaseTimer::VoteTimeout(_)
            | ThreePhaseTimer::AckTimeout(_)
            | ThreePhaseTimer::ResendDecision(_) => {}
        }
    }

    /// The page's switch: this participant's part of the next transaction fails.
    pub fn refuse_next_transaction(&mut self, cx: &mut Cx<ThreePhaseNode>) {
        self.refuse_next = true;
        cx.note(|| "its part of the next transaction will fail: it will vote NO".to_string());
    }

    /// A forced timeout: every transaction it waits on times out now.
    pub fn on_timeout_now(&mut self, cx: &mut Cx<ThreePhaseNode>) {
        let waiting: Vec<TransactionId> = self
            .active
            .iter()
            .filter(|(_, p)| matches!(p, Phase::Uncertain | Phase::PreCommitted))
            .map(|(t, _)| *t)
            .collect();
        if waiting.is_empty() {
            cx.note(|| "waits on nothing: nothing times out".to_string());
        }
        for transaction in waiting {
            self.on_timeout(transaction, cx);
        }
    }

    pub fn on_crash(&mut self) {
        self.active.clear();
        self.rounds.clear();
        self.outbox.clear();
    }

    /// Its role: the most advanced phase it is in, or termination coordinator.
    pub fn role(&self) -> (&'static str, Palette) {
        let has = |phase| self.active.iter().any(|(_, p)| *p == phase);
        if self.terminating() {
            ("terminating", Palette::Lead)
        } else if has(Phase::Recovering) {
            ("recovering", Palette::Faulty)
        } else if has(Phase::PreCommitted) {
            ("pre-committed", Palette::Done)
        } else if has(Phase::Uncertain) {
            ("uncertain", Palette::Suspect)
        } else if has(Phase::Working) {
            ("working", Palette::Contend)
        } else {
            ("participant", Palette::Plain)
        }
    }

    pub fn summary(&self) -> NodeSummary {
        let (role, palette) = self.role();
        let locks = self.active.len();
        NodeSummary {
            role,
            palette,
            badge: if locks == 0 {
                "-".to_string()
            } else {
                format!("{locks} locked")
            },
            detail: format!(
                "{} {role}, locks held for {locks} transactions, log: {}",
                self.id,
                self.log.tail_text(4)
            ),
        }
    }

    fn list(&self, waiting_only: bool) -> String {
        let shown: Vec<String> = self
            .active
            .iter()
            .filter(|(_, p)| !waiting_only || *p != Phase::Working)
            .map(|(t, p)| format!("{t} {}", p.as_str()))
            .collect();
        if shown.is_empty() {
            "-".to_string()
        } else {
            shown.join(", ")
        }
    }

    fn locks_text(&self) -> String {
        let open: Vec<String> = self
            .lock_intervals
            .iter()
            .filter(|i| i.to.is_none())
            .map(|i| format!("{} since {}", i.transaction, millis(i.from)))
            .collect();
        if open.is_empty() {
            "-".to_string()
        } else {
            open.join(", ")
        }
    }

    fn lock_time_text(&self) -> String {
        let held: Vec<(u64, TransactionId)> = self
            .lock_intervals
            .iter()
            .filter(|i| i.to.is_some())
            .map(|i| (i.held(Time::ZERO).as_micros(), i.transaction))
            .collect();
        let Some(&(longest, which)) = held.iter().max_by_key(|(h, _)| *h) else {
            return "-".to_string();
        };
        let total: u64 = held.iter().map(|(h, _)| h).sum();
        format!(
            "{} released, mean {} ms, longest {} ms ({which})",
            held.len(),
            total / held.len() as u64 / 1_000,
            longest / 1_000
        )
    }

    pub fn state_row(&self) -> Vec<Cell> {
        vec![
            Cell::Text(self.log.tail_text(4)),
            Cell::Text(self.list(false)),
            Cell::Text(self.locks_text()),
            Cell::Text(self.list(true)),
            Cell::Text(self.lock_time_text()),
        ]
    }
}
