//! The coordinator of two-phase commit (node 0): it begins transactions, collects
//! votes, decides, makes sure every participant learns the decision, and recovers
//! from its durable log. Follows Bernstein, Hadzilacos and Goodman (BHG),
//! "Concurrency Control and Recovery in Database Systems" (1987), section 7.4
//! ("The Two Phase Commit Protocol", its timeout actions and its recovery), and
//! Gray, "Notes on Data Base Operating Systems" (1978), its two-phase commit
//! protocol (the commit and end records, and sending the decision until acked).
//!
//! Rules are labelled with the step of the protocol as BHG number it:
//! step 1 (send VOTE-REQ), step 3 (collect the votes, decide, send the decision),
//! the timeout actions of step 3, the acknowledgements and end record (Gray), and
//! recovery (BHG 7.4, "Recovery"; presumed abort, Mohan, Lindsay and Obermarck,
//! 1986, for transactions it knows nothing about).
//!
//! Durable: the log. Volatile: each open transaction's votes or acks. Kept
//! like a trace, outside the protocol (the coordinator never reads it): every
//! decision it announced, which is how the checker learns what it said.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

use crate::explore::fingerprint::{Fingerprint, Rename};
use crate::sim::node::{Cx, Labelled};
use crate::sim::time::NodeId;
use crate::sim::view::{Cell, NodeSummary};

use super::log::{DurableLog, RecordKind};
use super::message::{Decision, Role, TransactionId, TwoPhaseMessage, TwoPhaseTimer, Vote};
use super::node::{Timing, TwoPhaseBugs, TwoPhaseNode};

/// Where the coordinator is with one open transaction.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Round {
    /// PREPARE sent; the votes so far, by participant (index = id - 1).
    Collecting { votes: Vec<Option<Vote>> },
    /// The decision is made and sent; who has acknowledged it.
    Announced {
        decision: Decision,
        acked: Vec<bool>,
    },
}

/// The coordinator.
#[derive(Clone, Debug)]
pub struct Coordinator {
    id: NodeId,
    participants: usize,
    timing: Timing,
    bugs: TwoPhaseBugs,
    // Durable.
    log: DurableLog,
    // Volatile.
    rounds: BTreeMap<TransactionId, Round>,
    /// Every decision announced (made, or sent again by recovery), in order,
    /// across restarts: the checker reads what was added in the step it
    /// checks and keeps its own record of the past.
    announced: Vec<(TransactionId, Decision)>,
}

impl Coordinator {
    pub fn new(id: NodeId, cluster_size: usize, timing: Timing, bugs: TwoPhaseBugs) -> Self {
        Coordinator {
            id,
            participants: cluster_size.saturating_sub(1),
            timing,
            bugs,
            log: DurableLog::default(),
            rounds: BTreeMap::new(),
            announced: Vec::new(),
        }
    }

    pub fn id(&self) -> NodeId {
        self.id
    }
    pub fn log(&self) -> &DurableLog {
        &self.log
    }
    pub fn rounds(&self) -> &BTreeMap<TransactionId, Round> {
        &self.rounds
    }
    /// Every decision announced, in order, across restarts.
    pub fn announced(&self) -> &[(TransactionId, Decision)] {
        &self.announced
    }

    fn participant_ids(&self) -> impl Iterator<Item = NodeId> {
        (1..=self.participants as u32).map(NodeId)
    }

    /// The participant's slot in a round's vectors, if `node` is a participant.
    fn slot(&self, node: NodeId) -> Option<usize> {
        (1..=self.participants)
            .contains(&node.index())
            .then(|| node.index() - 1)
    }

    /// The decision the coordinator knows for `transaction`: in memory or logged.
    pub fn decision(&self, transaction: TransactionId) -> Option<Decision> {
        match self.rounds.get(&transaction) {
            Some(Round::Announced { decision, .. }) => Some(*decision),
            _ => self.log.decision(transaction),
        }
    }

    /// Step 1: log the transaction's start and ask every participant to prepare.
    pub fn begin(&mut self, transaction: TransactionId, cx: &mut Cx<TwoPhaseNode>) {
        if self.log.knows(transaction) || self.rounds.contains_key(&transaction) {
            cx.note(|| format!("{transaction} has begun before: a transaction id is used once"));
            return;
        }
        if self.participants == 0 {
            cx.note(|| "there are no participants to ask".to_string());
            return;
        }
        // BHG 7.4 step 1: the start-2PC record (naming the participants, here
        // all of them) goes to the log before the first VOTE-REQ.
        self.log.append(transaction, RecordKind::Begin);
        self.rounds.insert(
            transaction,
            Round::Collecting {
                votes: vec![None; self.participants],
            },
        );
        cx.note(|| format!("logs '{transaction} begin' and sends PREPARE to every participant"));
        for participant in self.participant_ids() {
            cx.send(participant, TwoPhaseMessage::Prepare { transaction });
        }
        cx.set_timer(
            TwoPhaseTimer::VoteTimeout(transaction),
            self.timing.vote_timeout,
        );
    }

    /// Step 3: a vote arrives.
    fn on_vote(
        &mut self,
        from: NodeId,
        transaction: TransactionId,
        vote: Vote,
        cx: &mut Cx<TwoPhaseNode>,
    ) {
        let Some(slot) = self.slot(from) else {
            cx.note(|| format!("{from} is no participant: its vote is ignored"));
            return;
        };
        let votes = match self.rounds.get_mut(&transaction) {
            Some(Round::Collecting { votes }) => votes,
            Some(Round::Announced { decision, .. }) => {
                // The decision is already on its way to the voter, and is sent
                // again until it acknowledges.
                let decision = *decision;
                cx.note(|| format!("late {vote} for {transaction}, already decided {decision}"));
                return;
            }
            None => {
                // From before a restart, or after the end: whoever votes wants
                // the outcome, so tell it what the log says.
                match self.log.decision(transaction) {
                    Some(decision) => {
                        cx.note(|| {
                            format!("late {vote} for {transaction}: sends {decision} again")
                        });
                        cx.send(
                            from,
                            TwoPhaseMessage::Decide {
                                transaction,
                                decision,
                            },
                        );
                    }
                    None => self.presume_abort(from, transaction, cx),
                }
                return;
            }
        };
        votes[slot] = Some(vote);
        let yes = votes.iter().filter(|v| **v == Some(Vote::Yes)).count();
        let total = self.participants;
        if vote == Vote::No {
            // Step 3: one NO is enough to abort.
            cx.note(|| format!("{from} voted NO on {transaction}: the decision is ABORT"));
            self.decide(transaction, Decision::Abort, cx);
        } else if yes == total {
            // Step 3: COMMIT only if every participant voted YES.
            cx.note(|| format!("every participant voted YES on {transaction}: COMMIT"));
            self.decide(transaction, Decision::Commit, cx);
        } else if self.bugs.commit_before_all_votes && 2 * (yes + 1) > total + 1 {
            // The bug: counts itself and decides once more than half of the
            // cluster is ready, as if two-phase commit were a quorum protocol.
            cx.note(|| {
                format!("{yes} of {total} voted YES on {transaction}: with itself a majority, so (bug) COMMIT")
            });
            self.decide(transaction, Decision::Commit, cx);
        } else {
            cx.note(|| format!("{yes} of {total} YES votes on {transaction}"));
        }
    }

    /// Step 3: force-write the decision, then send it to every participant.
    fn decide(
        &mut self,
        transaction: TransactionId,
        decision: Decision,
        cx: &mut Cx<TwoPhaseNode>,
    ) {
        if self.bugs.forget_decision_on_restart {
            cx.note(|| {
                format!("decides {decision} on {transaction} and (bug) keeps it only in memory")
            });
        } else {
            self.log.append(transaction, RecordKind::Decided(decision));
            cx.note(|| {
                format!(
                    "force-writes '{transaction} {}' before anyone hears of it",
                    decision.as_str()
                )
            });
        }
        self.announce(transaction, decision, cx);
    }

    /// Sends the decision to every participant and waits for their acks.
    fn announce(
        &mut self,
        transaction: TransactionId,
        decision: Decision,
        cx: &mut Cx<TwoPhaseNode>,
    ) {
        self.rounds.insert(
            transaction,
            Round::Announced {
                decision,
                acked: vec![false; self.participants],
            },
        );
        self.announced.push((transaction, decision));
        cx.cancel_timer(TwoPhaseTimer::VoteTimeout(transaction));
        self.send_decision(transaction, decision, self.participant_ids(), cx);
    }

    /// Sends `decision` to `participants` and sets the timer that sends it
    /// again to those that have not acknowledged it.
    fn send_decision(
        &self,
        transaction: TransactionId,
        decision: Decision,
        participants: impl IntoIterator<Item = NodeId>,
        cx: &mut Cx<TwoPhaseNode>,
    ) {
        for participant in participants {
            cx.send(
                participant,
                TwoPhaseMessage::Decide {
                    transaction,
                    decision,
                },
            );
        }
        cx.set_timer(
            TwoPhaseTimer::ResendDecision(transaction),
            self.timing.resend_decision,
        );
    }

    /// Gray: once every participant acknowledged, the end record lets the
    /// coordinator forget the transaction.
    fn on_ack(&mut self, from: NodeId, transaction: TransactionId, cx: &mut Cx<TwoPhaseNode>) {
        let Some(slot) = self.slot(from) else {
            cx.note(|| format!("{from} is no participant: its ack is ignored"));
            return;
        };
        let Some(Round::Announced { acked, .. }) = self.rounds.get_mut(&transaction) else {
            cx.note(|| format!("ack for {transaction}, which is not waiting for acks"));
            return;
        };
        acked[slot] = true;
        if acked.iter().all(|&a| a) {
            self.rounds.remove(&transaction);
            self.log.append(transaction, RecordKind::End);
            cx.cancel_timer(TwoPhaseTimer::ResendDecision(transaction));
            cx.note(|| format!("every participant acknowledged: writes '{transaction} end'"));
        }
    }

    /// Termination protocol (BHG 7.4): an uncertain participant asks.
    fn on_decision_request(
        &mut self,
        from: NodeId,
        transaction: TransactionId,
        cx: &mut Cx<TwoPhaseNode>,
    ) {
        if self.slot(from).is_none() {
            cx.note(|| format!("{from} is no participant: its question is ignored"));
            return;
        }
        match (self.decision(transaction), self.rounds.get(&transaction)) {
            (Some(decision), _) => {
                cx.note(|| format!("{from} asks about {transaction}: {decision}"));
                cx.send(
                    from,
                    TwoPhaseMessage::Decide {
                        transaction,
                        decision,
                    },
                );
            }
            (None, Some(Round::Collecting { .. })) => {
                cx.note(|| format!("{from} asks about {transaction}: still collecting votes"));
            }
            (None, _) => self.presume_abort(from, transaction, cx),
        }
    }

    /// Presumed abort: a transaction the coordinator has no decision for, and
    /// is not deciding, did not commit.
    fn presume_abort(&mut self, to: NodeId, transaction: TransactionId, cx: &mut Cx<TwoPhaseNode>) {
        cx.note(|| format!("no decision on {transaction} in the log: presumed ABORT"));
        cx.send(
            to,
            TwoPhaseMessage::Decide {
                transaction,
                decision: Decision::Abort,
            },
        );
    }

    /// Recovery (BHG 7.4): from the log alone. A decision without an end record
    /// is sent again; a start-2PC record without a decision means no participant
    /// can have committed, so the coordinator aborts.
    pub fn on_start(&mut self, cx: &mut Cx<TwoPhaseNode>) {
        let open: Vec<(TransactionId, Option<Decision>)> = self
            .log
            .transactions()
            .filter(|(_, summary)| summary.begun && !summary.ended)
            .map(|(t, summary)| (t, summary.decision))
            .collect();
        for (transaction, decision) in open {
            match decision {
                Some(decision) => {
                    cx.note(|| {
                        format!(
                            "recovery: '{transaction} {}' in the log: sends it again",
                            decision.as_str()
                        )
                    });
                    self.announce(transaction, decision, cx);
                }
                None => {
                    cx.note(|| {
                        format!("recovery: {transaction} begun, no decision in the log: ABORT")
                    });
                    self.decide(transaction, Decision::Abort, cx);
                }
            }
        }
    }

    pub fn on_message(&mut self, from: NodeId, msg: TwoPhaseMessage, cx: &mut Cx<TwoPhaseNode>) {
        match msg {
            TwoPhaseMessage::VoteReply { transaction, vote } => {
                self.on_vote(from, transaction, vote, cx)
            }
            TwoPhaseMessage::Ack { transaction } => self.on_ack(from, transaction, cx),
            TwoPhaseMessage::DecisionRequest { transaction } => {
                self.on_decision_request(from, transaction, cx)
            }
            TwoPhaseMessage::Prepare { .. }
            | TwoPhaseMessage::Decide { .. }
            | TwoPhaseMessage::PeerAnswer { .. } => {
                let kind = msg.label();
                cx.note(|| format!("the coordinator takes no '{kind}': ignored"));
            }
        }
    }

    pub fn on_timer(&mut self, timer: TwoPhaseTimer, cx: &mut Cx<TwoPhaseNode>) {
        match timer {
            TwoPhaseTimer::VoteTimeout(transaction) => self.vote_timeout(transaction, cx),
            TwoPhaseTimer::ResendDecision(transaction) => {
                // Gray: the coordinator keeps sending the decision until every
                // participant has acknowledged it.
                let Some(Round::Announced { decision, acked }) = self.rounds.get(&transaction)
                else {
                    return;
                };
                let decision = *decision;
                let missing: Vec<NodeId> = self
                    .participant_ids()
                    .zip(acked)
                    .filter(|(_, &a)| !a)
                    .map(|(p, _)| p)
                    .collect();
                cx.note(|| {
                    let names: Vec<String> = missing.iter().map(NodeId::to_string).collect();
                    format!(
                        "no ack for {transaction} from {}: sends {decision} again",
                        names.join(", ")
                    )
                });
                self.send_decision(transaction, decision, missing, cx);
            }
            TwoPhaseTimer::WorkDone(_) | TwoPhaseTimer::AskDecision(_) => {}
        }
    }

    /// Timeout action of step 3: a coordinator waiting for votes may abort.
    fn vote_timeout(&mut self, transaction: TransactionId, cx: &mut Cx<TwoPhaseNode>) {
        if let Some(Round::Collecting { votes }) = self.rounds.get(&transaction) {
            let got = votes.iter().filter(|v| v.is_some()).count();
            let total = self.participants;
            cx.note(|| format!("only {got} of {total} votes on {transaction} in time: ABORT"));
            self.decide(transaction, Decision::Abort, cx);
        }
    }

    /// A forced timeout: every transaction still collecting votes times out.
    pub fn on_timeout_now(&mut self, cx: &mut Cx<TwoPhaseNode>) {
        let collecting: Vec<TransactionId> = self
            .rounds
            .iter()
            .filter(|(_, round)| matches!(round, Round::Collecting { .. }))
            .map(|(&t, _)| t)
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
    }

    pub fn summary(&self) -> NodeSummary {
        let open = self.rounds.len();
        NodeSummary {
            role: Role::Coordinator.as_str(),
            palette: Role::Coordinator.palette(),
            badge: format!("{open} open"),
            detail: format!(
                "{} coordinator, {open} open transactions, log: {}",
                self.id,
                self.log.tail_text(4)
            ),
        }
    }

    /// What each open transaction waits for.
    fn progress_text(&self) -> String {
        if self.rounds.is_empty() {
            return "-".to_string();
        }
        let parts: Vec<String> = self
            .rounds
            .iter()
            .map(|(t, round)| match round {
                Round::Collecting { votes } => format!(
                    "{t} votes {}/{}",
                    votes.iter().filter(|v| v.is_some()).count(),
                    votes.len()
                ),
                Round::Announced { decision, acked } => format!(
                    "{t} {} acks {}/{}",
                    decision.as_str(),
                    acked.iter().filter(|&&a| a).count(),
                    acked.len()
                ),
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

    /// Feeds what decides the coordinator's future into an exploration's
    /// fingerprint: the log and the rounds, with per-participant vectors in
    /// renamed order. Not `announced`, which only tells the checker about the
    /// step it checks.
    pub(crate) fn hash_explored(&self, rename: &Rename, hasher: &mut Fingerprint) {
        self.log.hash(hasher);
        hasher.write_usize(self.rounds.len());
        for (transaction, round) in &self.rounds {
            transaction.hash(hasher);
            let renamed = |hasher: &mut Fingerprint, write: &dyn Fn(usize, &mut Fingerprint)| {
                for new in 1..=self.participants {
                    match rename.old(new).checked_sub(1) {
                        Some(slot) => write(slot, hasher),
                        None => hasher.write_u64(u64::MAX),
                    }
                }
            };
            match round {
                Round::Collecting { votes } => {
                    hasher.write_u8(0);
                    renamed(hasher, &|slot, h| votes.get(slot).hash(h));
                }
                Round::Announced { decision, acked } => {
                    hasher.write_u8(1);
                    decision.hash(hasher);
                    renamed(hasher, &|slot, h| acked.get(slot).hash(h));
                }
            }
        }
    }
}
