//! The coordinator of three-phase commit (node 0). Follows Skeen, "Nonblocking
//! Commit Protocols" (SIGMOD 1981), section 4, the central-site protocol:
//! phase 1 sends CanCommit? and collects the votes (states q1, w1); phase 2,
//! only if every vote is YES, logs and sends PreCommit and collects the acks
//! (p1); phase 3 logs and sends DoCommit (c1); any NO, or a late vote, aborts
//! (a1). Its timeout rules are Skeen's: waiting for votes, abort; waiting for
//! pre-commit acks, commit (a silent participant has crashed and will ask when
//! it recovers). It sends the outcome until everyone acknowledges (Gray's end
//! record, as in two-phase commit).
//!
//! Recovery (Bernstein, Hadzilacos and Goodman, section 7.5): a decision in
//! the log is sent again; a begin record alone means nobody can be
//! pre-committed (PreCommit is logged before it is sent), so it aborts; a
//! pre-commit record without an outcome means the participants may have
//! terminated without it, so it does not decide: it asks them.
//!
//! Durable: the log. Volatile: the rounds and the outbox.

use crate::sim::node::{Cx, Labelled};
use crate::sim::time::NodeId;
use crate::sim::view::{Cell, NodeSummary, Palette};

use super::log::{DurableLog, RecordKind};
use super::message::{Decision, ThreePhaseMessage, ThreePhaseTimer, TransactionId, Vote};
use super::node::{Outbox, ThreePhaseBugs, ThreePhaseNode, Timing};

/// Where the coordinator is with one open transaction.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Round {
    /// Phase 1 (w1): CanCommit? sent; the votes so far (index = id - 1).
    Collecting { votes: Vec<Option<Vote>> },
    /// Phase 2 (p1): PreCommit sent; who has acked.
    PreCommitting { acked: Vec<bool> },
    /// Phase 3: the outcome is sent; who has acked it.
    Announced {
        decision: Decision,
        acked: Vec<bool>,
    },
    /// Back from a crash with a pre-commit record and no outcome: asking.
    Asking,
}

/// The coordinator.
#[derive(Clone, Debug)]
pub struct Coordinator {
    id: NodeId,
    participants: usize,
    timing: Timing,
    bugs: ThreePhaseBugs,
    // Durable.
    log: DurableLog,
    // Volatile.
    rounds: Vec<(TransactionId, Round)>,
    outbox: Outbox,
}

impl Coordinator {
    pub fn new(id: NodeId, cluster_size: usize, timing: Timing, bugs: ThreePhaseBugs) -> Self {
        Coordinator {
            id,
            participants: cluster_size.saturating_sub(1),
            timing,
            bugs,
            log: DurableLog::default(),
            rounds: Vec::new(),
            outbox: Outbox::default(),
        }
    }

    pub fn id(&self) -> NodeId {
        self.id
    }
    pub fn log(&self) -> &DurableLog {
        &self.log
    }
    pub fn rounds(&self) -> &[(TransactionId, Round)] {
        &self.rounds
    }

    pub fn round(&self, transaction: TransactionId) -> Option<&Round> {
        self.rounds
            .iter()
            .find(|(t, _)| *t == transaction)
            .map(|(_, r)| r)
    }

    fn round_mut(&mut self, transaction: TransactionId) -> Option<&mut Round> {
        self.rounds
            .iter_mut()
            .find(|(t, _)| *t == transaction)
            .map(|(_, r)| r)
    }

    fn set_round(&mut self, transaction: TransactionId, round: Round) {
        match self.rounds.iter_mut().find(|(t, _)| *t == transaction) {
            Some(slot) => slot.1 = round,
            None => self.rounds.push((transaction, round)),
        }
    }

    fn participant_ids(&self) -> impl Iterator<Item = NodeId> {
        (1..=self.participants as u32).map(NodeId)
    }

    fn slot(&self, node: NodeId) -> Option<usize> {
        (1..=self.participants)
            .contains(&node.index())
            .then(|| node.index() - 1)
    }

    fn broadcast(&mut self, message: ThreePhaseMessage, cx: &mut Cx<ThreePhaseNode>) {
        let to: Vec<NodeId> = self.participant_ids().collect();
        self.outbox.send_all(to, message, self.timing.send_gap, cx);
    }

    /// Phase 1: log the start and ask every participant CanCommit?.
    pub fn begin(&mut self, transaction: TransactionId, cx: &mut Cx<ThreePhaseNode>) {
        if self.log.knows(transaction) || self.round(transaction).is_some() {
            cx.note(|| format!("{transaction} has begun before: a transaction id is used once"));
            return;
        }
        if self.participants == 0 {
            cx.note(|| "there are no participants to ask".to_string());
            return;
        }
        self.log.append(transaction, RecordKind::Begin);
        let votes = vec![None; self.participants];
        self.set_round(transaction, Round::Collecting { votes });
        cx.note(|| format!("logs '{transaction} begin' and asks every participant CAN-COMMIT?"));
        self.broadcast(ThreePhaseMessage::CanCommit { transaction }, cx);
        cx.set_timer(
            ThreePhaseTimer::VoteTimeout(transaction),
            self.timing.vote_timeout,
        );
    }

    /// Phase 1: a vote arrives. Every YES: phase 2 (or, with the bug, straight
    /// to DoCommit); one NO: abort.
    fn on_vote(
        &mut self,
        from: NodeId,
        transaction: TransactionId,
        vote: Vote,
        cx: &mut Cx<ThreePhaseNode>,
    ) {
        let Some(slot) = self.slot(from) else {
            return;
        };
        let Some(Round::Collecting { votes }) = self.round_mut(transaction) else {
            if let Some(decision) = self.log.decision(transaction) {
                cx.send(
                    from,
                    ThreePhaseMessage::Decide {
                        transaction,
                        decision,
                    },
                );
            }
            return;
        };
        votes[slot] = Some(vote);
        let yes = votes.iter().filter(|v| **v == Some(Vote::Yes)).count();
        if vote == Vote::No {
            cx.note(|| format!("{from} voted NO on {transaction}: ABORT"));
            self.decide(transaction, Decision::Abort, cx);
        } else if yes == self.participants {
            cx.cancel_timer(ThreePhaseTimer::VoteTimeout(transaction));
            if self.bugs.commit_without_precommit {
                cx.note(|| format!("every participant voted YES on {transaction}: (bug) DO-COMMIT at once, no pre-commit round"));
                self.decide(transaction, Decision::Commit, cx);
                return;
            }
            // Skeen, phase 2: w1 to p1. Logged before the first PreCommit.
            self.log.append(transaction, RecordKind::PreCommitted);
            let acked = vec![false; self.participants];
            self.set_round(transaction, Round::PreCommitting { acked });
            cx.note(|| format!("every participant voted YES on {transaction}: logs '{transaction} pre-commit' and sends PRE-COMMIT"));
            self.broadcast(ThreePhaseMessage::PreCommit { transaction }, cx);
            cx.set_timer(
                ThreePhaseTimer::AckTimeout(transaction),
                self.timing.ack_timeout,
            );
        } else {
            cx.note(|| format!("{yes} of {} YES votes on {transaction}", self.participants));
        }
    }

    /// Phase 2: a participant is pre-committed; once all are, phase 3.
    fn on_pre_commit_ack(
        &mut self,
        from: NodeId,
        transaction: TransactionId,
        cx: &mut Cx<ThreePhaseNode>,
    ) {
        let Some(slot) = self.slot(from) else {
            return;
        };
        let Some(Round::PreCommitting { acked }) = self.round_mut(transaction) else {
            return;
        };
        acked[slot] = true;
        if acked.iter().all(|&a| a) {
            cx.note(|| format!("every participant is pre-committed on {transaction}: DO-COMMIT"));
            self.decide(transaction, Decision::Commit, cx);
        }
    }

    /// Phase 3: log the outcome, then send it to everyone until acked.
    fn decide(
        &mut self,
        transaction: TransactionId,
        decision: Decision,
        cx: &mut Cx<ThreePhaseNode>,
    ) {
        self.log.append(transaction, RecordKind::Decided(decision));
        cx.note(|| format!("force-writes '{transaction} {}'", decision.as_str()));
        self.announce(transaction, decision, cx);
    }

    fn announce(
        &mut self,
        transaction: TransactionId,
        decision: Decision,
        cx: &mut Cx<ThreePhaseNode>,
    ) {
        let acked = vec![false; self.participants];
        self.set_round(transaction, Round::Announced { decision, acked });
        for timer in [
            ThreePhaseTimer::VoteTimeout(transaction),
            ThreePhaseTimer::AckTimeout(transaction),
        ] {
            cx.cancel_timer(timer);
        }
        self.broadcast(
            ThreePhaseMessage::Decide {
                transaction,
                decision,
            },
            cx,
        );
        cx.set_timer(
            ThreePhaseTimer::ResendDecision(transaction),
            self.timing.resend_decision,
        );
    }

    fn on_decision_ack(
        &mut self,
        from: NodeId,
        transaction: TransactionId,
        cx: &mut Cx<ThreePhaseNode>,
    ) {
        let Some(slot) = self.slot(from) else {
            return;
        };
        let Some(Round::Announced { acked, .. }) = self.round_mut(transaction) else {
            return;
        };
        acked[slot] = true;
        if acked.iter().all(|&a| a) {
            self.rounds.retain(|(t, _)| *t != transaction);
            self.log.append(transaction, RecordKind::End);
            cx.cancel_timer(ThreePhaseTimer::ResendDecision(transaction));
            cx.note(|| format!("every participant acknowledged: writes '{transaction} end'"));
        }
    }

    /// A participant tells the outcome: a termination coordinator's, or an
    /// answer to its question after recovery.
    fn on_decide(
        &mut self,
        from: NodeId,
        transaction: TransactionId,
        decision: Decision,
        cx: &mut Cx<ThreePhaseNode>,
    ) {
        match self.log.decision(transaction) {
            Some(logged) if logged != decision => {
                cx.note(|| {
                    format!(
                        "{from} says {transaction} is {decision}, but its log says {}: keeps it",
                        logged.as_str()
                    )
                });
            }
            Some(_) => {}
            None if self.log.knows(transaction) => {
                cx.note(|| format!("{from} tells the outcome of {transaction}: {decision}"));
                self.log.append(transaction, RecordKind::Decided(decision));
                self.announce(transaction, decision, cx);
            }
            None => {}
        }
    }

    /// Recovery, from the log alone (see the module's documentation).
    pub fn on_start(&mut self, cx: &mut Cx<ThreePhaseNode>) {
        let open: Vec<_> = self
            .log
            .transactions()
            .filter(|(_, s)| s.begun && !s.ended)
            .collect();
        for (transaction, summary) in open {
            match summary.decision {
                Some(decision) => {
                    cx.note(|| {
                        format!(
                            "recovery: '{transaction} {}' in the log: sends it again",
                            decision.as_str()
                        )
                    });
                    self.announce(transaction, decision, cx);
                }
                None if summary.pre_committed => {
                    cx.note(|| format!("recovery: '{transaction} pre-commit' without an outcome: the participants may have terminated without it, so it asks"));
                    self.set_round(transaction, Round::Asking);
                    self.ask(transaction, cx);
                }
                None => {
                    cx.note(|| format!("recovery: {transaction} begun, never pre-committed: nobody can have committed, ABORT"));
                    self.decide(transaction, Decision::Abort, cx);
                }
            }
        }
    }

    fn ask(&mut self, transaction: TransactionId, cx: &mut Cx<ThreePhaseNode>) {
        if self.round(transaction) != Some(&Round::Asking) {
            return;
        }
        for participant in self.participant_ids() {
            cx.send(
                participant,
                ThreePhaseMessage::DecisionRequest { transaction },
            );
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
        if self.slot(from).is_none() {
            cx.note(|| format!("a message from {from}, who is no participant: ignored"));
            return;
        }
        match msg {
            ThreePhaseMessage::VoteReply { transaction, vote } => {
                self.on_vote(from, transaction, vote, cx)
            }
            ThreePhaseMessage::PreCommitAck { transaction } => {
                self.on_pre_commit_ack(from, transaction, cx)
            }
            ThreePhaseMessage::DecisionAck { transaction } => {
                self.on_decision_ack(from, transaction, cx)
            }
            ThreePhaseMessage::Decide {
                transaction,
                decision,
            } => self.on_decide(from, transaction, decision, cx),
            ThreePhaseMessage::DecisionRequest { transaction } => {
                if let Some(decision) = self.log.decision(transaction) {
                    cx.send(
                        from,
                        ThreePhaseMessage::Decide {
                            transaction,
                            decision,
                        },
                    );
                }
            }
            ThreePhaseMessage::CanCommit { .. }
            | ThreePhaseMessage::PreCommit { .. }
            | ThreePhaseMessage::StateRequest { .. }
            | ThreePhaseMessage::StateReport { .. } => {
                let label = msg.label();
                cx.note(|| format!("the coordinator takes no '{label}': ignored"));
            }
        }
    }

    pub fn on_timer(&mut self, timer: ThreePhaseTimer, cx: &mut Cx<ThreePhaseNode>) {
        match timer {
            ThreePhaseTimer::SendNext(transaction) => {
                self.outbox.send_next(transaction, self.timing.send_gap, cx)
            }
            ThreePhaseTimer::VoteTimeout(transaction) => self.vote_timeout(transaction, cx),
            ThreePhaseTimer::AckTimeout(transaction) => {
                // Skeen: a coordinator in p1 that times out commits; whoever
                // did not ack crashed, and asks when it recovers.
                if let Some(Round::PreCommitting { acked }) = self.round(transaction) {
                    let missing = acked.iter().filter(|&&a| !a).count();
                    cx.note(|| format!("{missing} pre-commit acks for {transaction} missing: they crashed; DO-COMMIT"));
                    self.decide(transaction, Decision::Commit, cx);
                }
            }
            ThreePhaseTimer::ResendDecision(transaction) => {
                let Some(Round::Announced { decision, acked }) = self.round(transaction) else {
                    return;
                };
                let decision = *decision;
                let missing: Vec<NodeId> = self
                    .participant_ids()
                    .zip(acked)
                    .filter(|(_, &a)| !a)
                    .map(|(p, _)| p)
                    .collect();
                let message = ThreePhaseMessage::Decide {
                    transaction,
                    decision,
                };
                self.outbox
                    .send_all(missing, message, self.timing.send_gap, cx);
                cx.set_timer(
                    ThreePhaseTimer::ResendDecision(transaction),
                    self.timing.resend_decision,
                );
            }
            ThreePhaseTimer::AskDecision(transaction) => self.ask(transaction, cx),
            ThreePhaseTimer::WorkDone(_)
            | ThreePhaseTimer::Timeout(_)
            | ThreePhaseTimer::StatesCollected(_)
            | ThreePhaseTimer::PreCommitsAcked(_) => {}
        }
    }

    /// Skeen: a coordinator in w1 that times out aborts.
    fn vote_timeout(&mut self, transaction: TransactionId, cx: &mut Cx<ThreePhaseNode>) {
        if let Some(Round::Collecting { votes }) = self.round(transaction) {
            let got = votes.iter().filter(|v| v.is_some()).count();
            let total = self.participants;
            cx.note(|| format!("only {got} of {total} votes on {transaction} in time: ABORT"));
            self.decide(transaction, Decision::Abort, cx);
        }
    }

    /// A forced timeout: every transaction still collecting votes times out.
    pub fn on_timeout_now(&mut self, cx: &mut Cx<ThreePhaseNode>) {
        let collecting: Vec<TransactionId> = self
            .rounds
            .iter()
            .filter(|(_, r)| matches!(r, Round::Collecting { .. }))
            .map(|(t, _)| *t)
            .collect();
        if collecting.is_empty() {
            cx.note(|| "waits for no votes: nothing times out".to_string());
        }
        for transaction in collecting {
            self.vote_timeout(transaction, cx);
        }
    }

    pub fn on_crash(&mut self) {
        self.rounds.clear();
        self.outbox.clear();
    }

    pub fn summary(&self) -> NodeSummary {
        let open = self.rounds.len();
        NodeSummary {
            role: "coordinator",
            palette: Palette::Lead,
            badge: format!("{open} open"),
            detail: format!(
                "{} coordinator, {open} open transactions, log: {}",
                self.id,
                self.log.tail_text(4)
            ),
        }
    }

    fn progress_text(&self) -> String {
        if self.rounds.is_empty() {
            return "-".to_string();
        }
        let count = |flags: &[bool]| flags.iter().filter(|&&a| a).count();
        let parts: Vec<String> = self
            .rounds
            .iter()
            .map(|(t, round)| match round {
                Round::Collecting { votes } => format!(
                    "{t} votes {}/{}",
                    votes.iter().filter(|v| v.is_some()).count(),
                    votes.len()
                ),
                Round::PreCommitting { acked } => {
                    format!("{t} pre-commit acks {}/{}", count(acked), acked.len())
                }
                Round::Announced { decision, acked } => format!(
                    "{t} {} acks {}/{}",
                    decision.as_str(),
                    count(acked),
                    acked.len()
                ),
                Round::Asking => format!("{t} asking"),
            })
            .collect();
        parts.join("; ")
    }

    pub fn state_row(&self) -> Vec<Cell> {
        vec![
            Cell::Text(self.log.tail_text(4)),
            Cell::Text(self.progress_text()),
            Cell::Text("-".to_string()),
            Cell::Text("-".to_string()),
            Cell::Text("-".to_string()),
        ]
    }
}
