//! The termination protocol of three-phase commit, run by participants when
//! the coordinator falls silent. Follows Skeen, "Nonblocking Commit Protocols"
//! (1981), section 5 (a backup coordinator elected among the live sites), with
//! the decision rules of Bernstein, Hadzilacos and Goodman (1987), section 7.5:
//!
//! - the election: every uncertain or pre-committed participant waits a
//!   little longer the higher its id, so the lowest-numbered live one times
//!   out first and becomes the termination coordinator; whoever answers it
//!   waits for its outcome, and the next one takes over if it crashes too;
//! - it asks every other participant for its state, then decides:
//!   TR1, some site aborted: ABORT; TR2, some site committed: COMMIT;
//!   TR4, some live site is pre-committed: PreCommit every uncertain one, then
//!   COMMIT (a site that does not ack has crashed); TR3, every live site is
//!   uncertain: ABORT (nobody can have committed, since a commit needs every
//!   live site pre-committed first);
//! - a site back from a crash reports that it is recovering, and is neither
//!   asked to pre-commit nor counted: what it remembers may be stale.
//!
//! This is where the partition breaks the protocol: each side of a partition
//! sees only its own sites, takes the other side for crashed, and runs these
//! rules on a different subset of states.

use crate::sim::node::Cx;
use crate::sim::time::NodeId;

use super::message::{Decision, Reported, ThreePhaseMessage, ThreePhaseTimer, TransactionId, Vote};
use super::node::ThreePhaseNode;
use super::participant::{Participant, Phase};

/// A termination round this participant coordinates.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Round {
    /// STATE-REQ sent; the reports so far, by participant (index = id - 1).
    Collecting { reports: Vec<Option<Reported>> },
    /// TR4: PreCommit sent to the uncertain; who has not acked yet.
    PreCommitting { waiting: Vec<NodeId> },
}

impl Participant {
    pub(super) fn round(&self, transaction: TransactionId) -> Option<&Round> {
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

    fn drop_round(&mut self, transaction: TransactionId) -> bool {
        let before = self.rounds.len();
        self.rounds.retain(|(t, _)| *t != transaction);
        self.rounds.len() != before
    }

    /// The coordinator is silent: presume it crashed, and (as the lowest live
    /// participant, since the others wait longer) run the termination protocol.
    pub(super) fn on_timeout(&mut self, transaction: TransactionId, cx: &mut Cx<ThreePhaseNode>) {
        let Some(phase @ (Phase::Uncertain | Phase::PreCommitted)) = self.phase(transaction) else {
            return;
        };
        if self.round(transaction).is_some() {
            return;
        }
        if self.bugs.timeout_decides_alone {
            let decision = match phase {
                Phase::PreCommitted => Decision::Commit,
                _ => Decision::Abort,
            };
            self.finish(transaction, decision, cx.now());
            cx.note(|| {
                format!(
                    "{} on {transaction} and nothing heard: (bug) applies the timeout rule alone and logs '{transaction} {}'",
                    phase.as_str(),
                    decision.as_str()
                )
            });
            return;
        }
        cx.note(|| {
            format!(
                "{} on {transaction} and nothing heard: presumes its coordinator crashed and, as the lowest live participant, runs the termination protocol",
                phase.as_str()
            )
        });
        let peers = self.peers();
        let reports = vec![None; self.cluster_size.saturating_sub(1)];
        self.set_round(transaction, Round::Collecting { reports });
        let message = ThreePhaseMessage::StateRequest { transaction };
        self.outbox
            .send_all(peers, message, self.timing.send_gap, cx);
        cx.set_timer(
            ThreePhaseTimer::StatesCollected(transaction),
            self.timing.collect,
        );
    }

    /// Another participant runs the termination protocol and asks our state.
    pub(super) fn on_state_request(
        &mut self,
        from: NodeId,
        transaction: TransactionId,
        cx: &mut Cx<ThreePhaseNode>,
    ) {
        if from.index() == 0 {
            cx.note(|| "a state request from the coordinator: ignored".to_string());
            return;
        }
        let state = if let Some(decision) = self.log.decision(transaction) {
            Reported::Decided(decision)
        } else {
            match self.phase(transaction) {
                Some(Phase::Uncertain) => Reported::Uncertain,
                Some(Phase::PreCommitted) => Reported::PreCommitted,
                Some(Phase::Recovering) => Reported::Recovering,
                phase @ (None | Some(Phase::Working)) => {
                    // It has not voted YES, so it may abort on its own (Skeen:
                    // q is adjacent to a only), and answers so.
                    self.finish(transaction, Decision::Abort, cx.now());
                    cx.cancel_timer(ThreePhaseTimer::WorkDone(transaction));
                    cx.note(|| format!("{from} asks about {transaction}, on which it has not voted YES: aborts it"));
                    if phase.is_some() {
                        let vote = Vote::No;
                        cx.send(
                            NodeId(0),
                            ThreePhaseMessage::VoteReply { transaction, vote },
                        );
                    }
                    Reported::Decided(Decision::Abort)
                }
            }
        };
        if matches!(state, Reported::Uncertain | Reported::PreCommitted) {
            // It joins the lower of two termination coordinators.
            if from < self.id && self.drop_round(transaction) {
                cx.cancel_timer(ThreePhaseTimer::StatesCollected(transaction));
                cx.cancel_timer(ThreePhaseTimer::PreCommitsAcked(transaction));
                cx.note(|| format!("{from} runs the termination of {transaction} too and is lower: leaves it to {from}"));
            }
            let wait = self.wait(self.timing.join_wait);
            cx.set_timer(ThreePhaseTimer::Timeout(transaction), wait);
        }
        cx.note(|| format!("tells {from} it is {state} on {transaction}"));
        cx.send(from, ThreePhaseMessage::StateReport { transaction, state });
    }

    pub(super) fn on_state_report(
        &mut self,
        from: NodeId,
        transaction: TransactionId,
        state: Reported,
        cx: &mut Cx<ThreePhaseNode>,
    ) {
        let me = self.id.index();
        let Some(Round::Collecting { reports }) = self.round_mut(transaction) else {
            return;
        };
        if let Some(slot) = from.index().checked_sub(1).and_then(|i| reports.get_mut(i)) {
            *slot = Some(state);
        }
        let complete = reports
            .iter()
            .enumerate()
            .all(|(i, r)| i + 1 == me || r.is_some());
        if complete {
            cx.cancel_timer(ThreePhaseTimer::StatesCollected(transaction));
            self.states_collected(transaction, cx);
        }
    }

    /// The reports are in, or the silent have crashed: decide (TR1 to TR4).
    pub(super) fn states_collected(
        &mut self,
        transaction: TransactionId,
        cx: &mut Cx<ThreePhaseNode>,
    ) {
        let Some(Round::Collecting { reports }) = self.round(transaction).cloned() else {
            return;
        };
        let own = match self.phase(transaction) {
            Some(Phase::PreCommitted) => Reported::PreCommitted,
            Some(Phase::Uncertain) => Reported::Uncertain,
            _ => return,
        };
        let states: Vec<Reported> = reports.iter().flatten().copied().chain([own]).collect();
        let heard = reports.iter().filter(|r| r.is_some()).count();
        let has = |state| states.contains(&state);
        if has(Reported::Decided(Decision::Abort)) {
            // TR1.
            cx.note(|| format!("a participant aborted {transaction}: ABORT"));
            self.terminate(transaction, Decision::Abort, cx);
        } else if has(Reported::Decided(Decision::Commit)) {
            // TR2.
            cx.note(|| format!("a participant committed {transaction}: COMMIT"));
            self.terminate(transaction, Decision::Commit, cx);
        } else if has(Reported::PreCommitted) {
            // TR4: bring every uncertain site to pre-committed, then commit.
            let waiting: Vec<NodeId> = reports
                .iter()
                .enumerate()
                .filter(|(_, r)| **r == Some(Reported::Uncertain))
                .map(|(i, _)| NodeId(i as u32 + 1))
                .collect();
            if own == Reported::Uncertain {
                self.log
                    .append(transaction, super::log::RecordKind::PreCommitted);
                self.set_phase(transaction, Phase::PreCommitted);
            }
            cx.note(|| format!("heard {heard} others; a live participant is pre-committed on {transaction}, so every vote was YES: pre-commits the uncertain, then COMMIT"));
            if waiting.is_empty() {
                self.terminate(transaction, Decision::Commit, cx);
                return;
            }
            let message = ThreePhaseMessage::PreCommit { transaction };
            self.outbox
                .send_all(waiting.clone(), message, self.timing.send_gap, cx);
            self.set_round(transaction, Round::PreCommitting { waiting });
            cx.set_timer(
                ThreePhaseTimer::PreCommitsAcked(transaction),
                self.timing.collect,
            );
        } else {
            // TR3: every live site is uncertain.
            cx.note(|| format!("heard {heard} others; no live participant is pre-committed on {transaction}, so nobody can have committed: ABORT"));
            self.terminate(transaction, Decision::Abort, cx);
        }
    }

    pub(super) fn on_termination_ack(
        &mut self,
        from: NodeId,
        transaction: TransactionId,
        cx: &mut Cx<ThreePhaseNode>,
    ) {
        let Some(Round::PreCommitting { waiting }) = self.round_mut(transaction) else {
            return;
        };
        waiting.retain(|&n| n != from);
        if waiting.is_empty() {
            cx.cancel_timer(ThreePhaseTimer::PreCommitsAcked(transaction));
            cx.note(|| format!("every live participant is pre-committed on {transaction}: COMMIT"));
            self.terminate(transaction, Decision::Commit, cx);
        }
    }

    /// TR4's acks are late: the silent have crashed (they will ask on
    /// recovery), so commit.
    pub(super) fn pre_commits_acked(
        &mut self,
        transaction: TransactionId,
        cx: &mut Cx<ThreePhaseNode>,
    ) {
        if let Some(Round::PreCommitting { waiting }) = self.round(transaction) {
            let silent = waiting.len();
            cx.note(|| {
                format!("{silent} pre-commit acks for {transaction} missing: they crashed; COMMIT")
            });
            self.terminate(transaction, Decision::Commit, cx);
        }
    }

    /// The termination coordinator's outcome: logged, applied, and sent to
    /// everyone, the old coordinator included.
    fn terminate(
        &mut self,
        transaction: TransactionId,
        decision: Decision,
        cx: &mut Cx<ThreePhaseNode>,
    ) {
        if self.log.decision(transaction).is_none() {
            self.finish(transaction, decision, cx.now());
        }
        cx.cancel_timer(ThreePhaseTimer::Timeout(transaction));
        self.end_round(transaction, Some(decision), cx);
    }

    /// Ends this participant's termination round of `transaction`, if it runs
    /// one, telling everyone the outcome it learned.
    pub(super) fn end_round(
        &mut self,
        transaction: TransactionId,
        decision: Option<Decision>,
        cx: &mut Cx<ThreePhaseNode>,
    ) {
        if !self.drop_round(transaction) {
            return;
        }
        cx.cancel_timer(ThreePhaseTimer::StatesCollected(transaction));
        cx.cancel_timer(ThreePhaseTimer::PreCommitsAcked(transaction));
        if let Some(decision) = decision {
            let everyone: Vec<NodeId> = std::iter::once(NodeId(0)).chain(self.peers()).collect();
            let message = ThreePhaseMessage::Decide {
                transaction,
                decision,
            };
            self.outbox
                .send_all(everyone, message, self.timing.send_gap, cx);
        }
    }
}
