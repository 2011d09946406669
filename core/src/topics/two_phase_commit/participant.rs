//! A participant of two-phase commit (nodes 1..n): it works on its part of each
//! transaction holding the transaction's locks, votes, waits (uncertain) for the
//! decision, runs the termination protocol when the decision is late, and
//! recovers from its durable log. Follows Bernstein, Hadzilacos and Goodman (BHG),
//! "Concurrency Control and Recovery in Database Systems" (1987), section 7.4:
//! step 2 (vote), step 4 (apply the decision), the timeout actions of steps 2
//! and 4, the termination protocol and the cooperative termination protocol, and
//! recovery; and Gray, "Notes on Data Base Operating Systems" (1978), for holding
//! locks until the decision and acknowledging it.
//!
//! Durable: the log. Volatile: the phase of each transaction in progress (its
//! locks), lost in a crash and rebuilt by recovery from the log. Kept for the
//! view only, like a trace: the intervals during which each transaction's locks
//! were held (an interval stays open while the participant is down, because its
//! data stays unavailable until recovery releases or reacquires the locks).
//! Not node state at all: [`Participant::refuse_next`], the page's way of saying
//! "this participant's part of the next transaction will fail", which survives
//! a crash because it is a fact about the work, not about the node's memory.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

use crate::explore::fingerprint::{Fingerprint, Rename};
use crate::sim::node::{Cx, Labelled};
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::view::{Cell, NodeSummary};

use super::log::{DurableLog, RecordKind};
use super::message::{Decision, Role, TransactionId, TwoPhaseMessage, TwoPhaseTimer, Vote};
use super::node::{millis, Timing, TwoPhaseNode};

/// Where a participant is with a transaction it holds locks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Working on its part; has not voted, so it may still abort on its own.
    Working,
    /// Voted YES: prepared, holding the locks, and unable to decide alone.
    Uncertain,
}

/// One stretch of time during which a transaction's locks were held here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockInterval {
    pub transaction: TransactionId,
    pub from: Time,
    /// `None` while the locks are still held.
    pub to: Option<Time>,
}

impl LockInterval {
    /// How long the locks were held, or have been held up to `now`.
    pub fn held(&self, now: Time) -> Duration {
        self.to.unwrap_or(now).since(self.from)
    }
}

/// A participant.
#[derive(Clone, Debug)]
pub struct Participant {
    id: NodeId,
    coordinator: NodeId,
    cluster_size: usize,
    timing: Timing,
    /// Chance, in percent, that its part of a transaction fails (it votes NO).
    abort_percent: u32,
    /// Whether an uncertain participant also asks the other participants.
    cooperative: bool,
    // Durable.
    log: DurableLog,
    // Volatile.
    active: BTreeMap<TransactionId, Phase>,
    // The view's history and the page's switch (see the module's documentation).
    lock_intervals: Vec<LockInterval>,
    refuse_next: bool,
}

impl Participant {
    pub fn new(
        id: NodeId,
        cluster_size: usize,
        timing: Timing,
        abort_percent: u32,
        cooperative: bool,
    ) -> Self {
        Participant {
            id,
            coordinator: NodeId(0),
            cluster_size,
            timing,
            abort_percent: abort_percent.min(100),
            cooperative,
            log: DurableLog::default(),
            active: BTreeMap::new(),
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
    /// The transactions in progress here (their locks are held).
    pub fn active(&self) -> &BTreeMap<TransactionId, Phase> {
        &self.active
    }
    /// Every interval during which a transaction's locks were held here, in the
    /// order they began: what the page draws as this participant's lock lane.
    pub fn lock_intervals(&self) -> &[LockInterval] {
        &self.lock_intervals
    }
    /// Whether its part of the next transaction will fail (set from the page).
    pub fn refuse_next(&self) -> bool {
        self.refuse_next
    }

    pub fn is_uncertain(&self, transaction: TransactionId) -> bool {
        self.active.get(&transaction) == Some(&Phase::Uncertain)
    }

    pub fn role(&self) -> Role {
        if self.active.values().any(|&p| p == Phase::Uncertain) {
            Role::Uncertain
        } else if !self.active.is_empty() {
            Role::Working
        } else {
            Role::Idle
        }
    }

    fn is_peer(&self, node: NodeId) -> bool {
        node != self.id && node != self.coordinator && node.index() < self.cluster_size
    }

    fn peers(&self) -> impl Iterator<Item = NodeId> + '_ {
        (1..self.cluster_size as u32)
            .map(NodeId)
            .filter(move |&n| n != self.id)
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

    /// Step 2 begins: PREPARE (VOTE-REQ) arrives. The participant starts its
    /// part of the work under the transaction's locks; it votes when the work is
    /// done.
    fn on_prepare(&mut self, from: NodeId, transaction: TransactionId, cx: &mut Cx<TwoPhaseNode>) {
        if from != self.coordinator {
            cx.note(|| format!("PREPARE from {from}, who does not coordinate: ignored"));
            return;
        }
        let summary = self.log.summary(transaction);
        if let Some(decision) = summary.decision {
            // A late or repeated PREPARE: repeat the vote that the log implies.
            let vote = if summary.prepared {
                Vote::Yes
            } else {
                Vote::No
            };
            cx.note(|| {
                format!(
                    "{transaction} is already '{}' here: votes {vote} again",
                    decision.as_str()
                )
            });
            cx.send(from, TwoPhaseMessage::VoteReply { transaction, vote });
            return;
        }
        match self.active.get(&transaction) {
            Some(Phase::Working) => {
                cx.note(|| format!("already working on {transaction}"));
            }
            Some(Phase::Uncertain) => {
                cx.send(
                    from,
                    TwoPhaseMessage::VoteReply {
                        transaction,
                        vote: Vote::Yes,
                    },
                );
            }
            None => {
                self.log.append(transaction, RecordKind::Begin);
                self.active.insert(transaction, Phase::Working);
                self.lock(transaction, cx.now());
                let work = cx.rng.range_inclusive(
                    self.timing.work_min.as_micros(),
                    self.timing.work_max.as_micros(),
                );
                cx.note(|| format!("takes {transaction}'s locks and works on its part"));
                cx.set_timer(TwoPhaseTimer::WorkDone(transaction), Duration(work));
            }
        }
    }

    /// Step 2: the work is done; vote.
    fn on_work_done(&mut self, transaction: TransactionId, cx: &mut Cx<TwoPhaseNode>) {
        if self.active.get(&transaction) != Some(&Phase::Working) {
            return;
        }
        let fails = self.refuse_next
            || (self.abort_percent > 0 && cx.rng.below(100) < self.abort_percent as u64);
        if fails {
            // Step 2, NO: a participant that has not voted YES may abort on its
            // own; it releases the locks at once.
            self.refuse_next = false;
            self.log
                .append(transaction, RecordKind::Decided(Decision::Abort));
            self.active.remove(&transaction);
            self.unlock(transaction, cx.now());
            cx.note(|| format!("its part of {transaction} failed: logs '{transaction} abort', releases the locks, votes NO"));
            cx.send(
                self.coordinator,
                TwoPhaseMessage::VoteReply {
                    transaction,
                    vote: Vote::No,
                },
            );
        } else {
            // Step 2, YES: force-write the prepared record first, so a crash
            // cannot make it forget a promise it made. From now on it is
            // uncertain and keeps the locks until it learns the decision.
            self.log.append(transaction, RecordKind::Prepared);
            self.active.insert(transaction, Phase::Uncertain);
            cx.note(|| {
                format!("force-writes '{transaction} prepared', votes YES and is now uncertain")
            });
            cx.send(
                self.coordinator,
                TwoPhaseMessage::VoteReply {
                    transaction,
                    vote: Vote::Yes,
                },
            );
            cx.set_timer(
                TwoPhaseTimer::AskDecision(transaction),
                self.timing.ask_first,
            );
        }
    }

    /// Step 4: log the decision, apply it, release the locks. Returns whether
    /// the participant now has `decision` for `transaction` in its log.
    fn apply(
        &mut self,
        transaction: TransactionId,
        decision: Decision,
        cx: &mut Cx<TwoPhaseNode>,
    ) -> bool {
        let summary = self.log.summary(transaction);
        if let Some(logged) = summary.decision {
            if logged != decision {
                cx.note(|| format!("told {decision} for {transaction}, but '{transaction} {}' is in its log: keeps it", logged.as_str()));
            }
            return logged == decision;
        }
        if decision == Decision::Commit && !summary.prepared {
            // Only a participant that voted YES can commit: it has nothing
            // prepared to make durable.
            cx.note(|| format!("told COMMIT for {transaction}, which it never prepared: refuses"));
            return false;
        }
        self.log.append(transaction, RecordKind::Decided(decision));
        self.active.remove(&transaction);
        self.unlock(transaction, cx.now());
        cx.cancel_timer(TwoPhaseTimer::WorkDone(transaction));
        cx.cancel_timer(TwoPhaseTimer::AskDecision(transaction));
        cx.note(|| {
            format!(
                "logs '{transaction} {}', applies it and releases the locks",
                decision.as_str()
            )
        });
        true
    }

    /// Step 4: the coordinator's decision; acknowledge it once logged.
    fn on_decide(
        &mut self,
        from: NodeId,
        transaction: TransactionId,
        decision: Decision,
        cx: &mut Cx<TwoPhaseNode>,
    ) {
        if from != self.coordinator {
            cx.note(|| format!("a decision from {from}, who does not coordinate: ignored"));
            return;
        }
        if self.apply(transaction, decision, cx) {
            cx.send(from, TwoPhaseMessage::Ack { transaction });
        }
    }

    /// Cooperative termination protocol (BHG 7.4): another participant is
    /// uncertain and asks. Whoever knows the outcome tells it; whoever has not
    /// voted may still abort on its own, and does, so it can answer ABORT; an
    /// uncertain participant cannot help.
    fn on_peer_request(
        &mut self,
        from: NodeId,
        transaction: TransactionId,
        cx: &mut Cx<TwoPhaseNode>,
    ) {
        if !self.is_peer(from) {
            cx.note(|| format!("a question from {from}, who is no other participant: ignored"));
            return;
        }
        if let Some(decision) = self.log.decision(transaction) {
            cx.note(|| format!("{from} asks about {transaction}: it knows {decision}"));
            cx.send(
                from,
                TwoPhaseMessage::PeerAnswer {
                    transaction,
                    decision,
                },
            );
            return;
        }
        match self.active.get(&transaction) {
            Some(Phase::Uncertain) => {
                cx.note(|| format!("{from} asks about {transaction}: uncertain too, cannot help"));
            }
            phase => {
                let working = phase.is_some();
                self.log
                    .append(transaction, RecordKind::Decided(Decision::Abort));
                self.active.remove(&transaction);
                self.unlock(transaction, cx.now());
                cx.cancel_timer(TwoPhaseTimer::WorkDone(transaction));
                cx.note(|| format!("{from} asks about {transaction}, on which it has not voted: aborts it and answers ABORT"));
                let decision = Decision::Abort;
                cx.send(
                    from,
                    TwoPhaseMessage::PeerAnswer {
                        transaction,
                        decision,
                    },
                );
                if working {
                    let vote = Vote::No;
                    cx.send(
                        self.coordinator,
                        TwoPhaseMessage::VoteReply { transaction, vote },
                    );
                }
            }
        }
    }

    /// Cooperative termination protocol: another participant's answer.
    fn on_peer_answer(
        &mut self,
        from: NodeId,
        transaction: TransactionId,
        decision: Decision,
        cx: &mut Cx<TwoPhaseNode>,
    ) {
        if !self.is_peer(from) {
            cx.note(|| format!("an answer from {from}, who is no other participant: ignored"));
            return;
        }
        if self.log.decision(transaction).is_none() {
            cx.note(|| format!("{from} knows the outcome of {transaction}: {decision}"));
        }
        // The coordinator gets its ack when it sends the decision again.
        self.apply(transaction, decision, cx);
    }

    /// Termination protocol (BHG 7.4, timeout action of step 4): an uncertain
    /// participant cannot decide alone; it asks the coordinator and, in the
    /// cooperative protocol, every other participant, until someone knows.
    fn ask(&mut self, transaction: TransactionId, cx: &mut Cx<TwoPhaseNode>) {
        if !self.is_uncertain(transaction) {
            return;
        }
        let cooperative = self.cooperative;
        cx.note(|| {
            if cooperative {
                format!("uncertain about {transaction}: asks the coordinator and the other participants")
            } else {
                format!("uncertain about {transaction}: asks the coordinator, and keeps the locks")
            }
        });
        cx.send(
            self.coordinator,
            TwoPhaseMessage::DecisionRequest { transaction },
        );
        if cooperative {
            let peers: Vec<NodeId> = self.peers().collect();
            for peer in peers {
                cx.send(peer, TwoPhaseMessage::DecisionRequest { transaction });
            }
        }
        cx.set_timer(
            TwoPhaseTimer::AskDecision(transaction),
            self.timing.ask_again,
        );
    }

    /// Recovery (BHG 7.4), from the log alone: a decision in the log is done; a
    /// prepared record without one leaves it uncertain (it takes the locks
    /// again and asks); work begun but never prepared is aborted.
    pub fn on_start(&mut self, cx: &mut Cx<TwoPhaseNode>) {
        let open: Vec<(TransactionId, bool)> = self
            .log
            .transactions()
            .filter(|(_, summary)| summary.decision.is_none())
            .map(|(t, summary)| (t, summary.prepared))
            .collect();
        let now = cx.now();
        for (transaction, prepared) in open {
            if prepared {
                self.active.insert(transaction, Phase::Uncertain);
                self.lock(transaction, now);
                cx.note(|| format!("recovery: '{transaction} prepared' without a decision: uncertain, locks taken again"));
                self.ask(transaction, cx);
            } else {
                self.log
                    .append(transaction, RecordKind::Decided(Decision::Abort));
                self.unlock(transaction, now);
                cx.note(|| {
                    format!(
                        "recovery: {transaction} was never prepared: logs '{transaction} abort'"
                    )
                });
            }
        }
    }

    pub fn on_message(&mut self, from: NodeId, msg: TwoPhaseMessage, cx: &mut Cx<TwoPhaseNode>) {
        match msg {
            TwoPhaseMessage::Prepare { transaction } => self.on_prepare(from, transaction, cx),
            TwoPhaseMessage::Decide {
                transaction,
                decision,
            } => self.on_decide(from, transaction, decision, cx),
            TwoPhaseMessage::DecisionRequest { transaction } => {
                self.on_peer_request(from, transaction, cx)
            }
            TwoPhaseMessage::PeerAnswer {
                transaction,
                decision,
            } => self.on_peer_answer(from, transaction, decision, cx),
            TwoPhaseMessage::VoteReply { .. } | TwoPhaseMessage::Ack { .. } => {
                let label = msg.label();
                cx.note(|| format!("a participant takes no '{label}': ignored"));
            }
        }
    }

    pub fn on_timer(&mut self, timer: TwoPhaseTimer, cx: &mut Cx<TwoPhaseNode>) {
        match timer {
            TwoPhaseTimer::WorkDone(transaction) => self.on_work_done(transaction, cx),
            TwoPhaseTimer::AskDecision(transaction) => self.ask(transaction, cx),
            TwoPhaseTimer::VoteTimeout(_) | TwoPhaseTimer::ResendDecision(_) => {}
        }
    }

    /// The page's switch: this participant's part of the next transaction fails.
    pub fn refuse_next_transaction(&mut self, cx: &mut Cx<TwoPhaseNode>) {
        self.refuse_next = true;
        cx.note(|| "its part of the next transaction will fail: it will vote NO".to_string());
    }

    /// A forced timeout: ask now about every uncertain transaction.
    pub fn on_timeout_now(&mut self, cx: &mut Cx<TwoPhaseNode>) {
        let uncertain: Vec<TransactionId> = self
            .active
            .iter()
            .filter(|(_, &p)| p == Phase::Uncertain)
            .map(|(&t, _)| t)
            .collect();
        if uncertain.is_empty() {
            cx.note(|| "is uncertain about nothing: nothing to ask".to_string());
        }
        for transaction in uncertain {
            self.ask(transaction, cx);
        }
    }

    pub fn on_crash(&mut self) {
        self.active.clear();
    }

    pub fn summary(&self) -> NodeSummary {
        let role = self.role();
        let locks = self.active.len();
        NodeSummary {
            role: role.as_str(),
            palette: role.palette(),
            badge: if locks == 0 {
                "-".to_string()
            } else {
                format!("{locks} locked")
            },
            detail: format!(
                "{} {}, locks held for {locks} transactions, log: {}",
                self.id,
                role.as_str(),
                self.log.tail_text(4)
            ),
        }
    }

    fn list(&self, phase: Option<Phase>) -> String {
        let shown: Vec<String> = self
            .active
            .iter()
            .filter(|(_, &p)| phase.is_none_or(|want| p == want))
            .map(|(t, p)| match (phase, p) {
                (Some(_), _) => t.to_string(),
                (None, Phase::Working) => format!("{t} working"),
                (None, Phase::Uncertain) => format!("{t} uncertain"),
            })
            .collect();
        if shown.is_empty() {
            "-".to_string()
        } else {
            shown.join(", ")
        }
    }

    /// The locks held now and since when (open intervals, so a crashed
    /// participant's prepared transactions still show).
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

    /// Lock-held time over the transactions whose locks were released.
    fn lock_time_text(&self) -> String {
        let closed = self.lock_intervals.iter().filter(|i| i.to.is_some());
        let (count, total, longest) = closed.fold(
            (0u64, 0u64, None::<LockInterval>),
            |(count, total, longest), i| {
                let held = i.held(Time::ZERO).as_micros();
                let longer = longest.is_none_or(|l| held > l.held(Time::ZERO).as_micros());
                (
                    count + 1,
                    total + held,
                    if longer { Some(*i) } else { longest },
                )
            },
        );
        match longest {
            None => "-".to_string(),
            Some(longest) => format!(
                "{count} released, mean {} ms, longest {} ms ({})",
                total / count / 1_000,
                longest.held(Time::ZERO).as_micros() / 1_000,
                longest.transaction
            ),
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        vec![
            Cell::Text(self.log.tail_text(4)),
            Cell::Text(self.list(None)),
            Cell::Text(self.locks_text()),
            Cell::Text(self.list(Some(Phase::Uncertain))),
            Cell::Text(self.lock_time_text()),
        ]
    }

    /// Feeds what decides this participant's future into an exploration's
    /// fingerprint: the log, the phases, the page's switch. Not the lock
    /// intervals, which only the view reads, nor constants.
    pub(crate) fn hash_explored(&self, _rename: &Rename, hasher: &mut Fingerprint) {
        self.log.hash(hasher);
        hasher.write_usize(self.active.len());
        for (transaction, phase) in &self.active {
            transaction.hash(hasher);
            phase.hash(hasher);
        }
        self.refuse_next.hash(hasher);
    }
}
