//! The view change (Castro and Liskov, section 4.4, with the liveness rules of
//! section 4.5.2): a backup whose request timer expires moves to view v+1 and
//! multicasts VIEW-CHANGE with its stable checkpoint and its prepared
//! certificates; the new primary collects a quorum of them (2f+1) and multicasts
//! NEW-VIEW, re-issuing a PRE-PREPARE for every sequence number prepared in some
//! certificate (the null request in the gaps); the backups check that O follows
//! from V and move to the new view. The request timer that starts it all is
//! at the end of this file.

use crate::sim::node::Cx;
use crate::sim::time::{Duration, NodeId};

use super::message::{Behaviour, PbftMessage, PbftTimer, Proposal, Seq, View, ViewChangeVote};
use super::process::PbftProcess;
use super::replica::{Replica, REQUEST_TIMEOUT};

/// 4.4: the new primary's O from the view changes V: min-s is the latest stable
/// checkpoint in V, max-s the highest sequence number in a prepared certificate
/// in V; every sequence number between gets the request of its certificate of
/// the highest view, or the null request if none has one. Returns min-s, its
/// state and O.
pub fn new_view_pre_prepares(votes: &[ViewChangeVote]) -> (Seq, u64, Vec<(Seq, Proposal)>) {
    let (min_s, state) = votes
        .iter()
        .map(|vote| (vote.checkpoint, vote.checkpoint_state))
        .max_by_key(|&(seq, _)| seq)
        .unwrap_or((0, 0));
    let certificates = || votes.iter().flat_map(|vote| vote.prepared.iter());
    let max_s = certificates().map(|c| c.seq).max().unwrap_or(0).max(min_s);
    let pre_prepares = (min_s + 1..=max_s)
        .map(|seq| {
            let proposal = certificates()
                .filter(|c| c.seq == seq)
                .max_by_key(|c| c.view)
                .map_or(Proposal(None), |c| c.proposal);
            (seq, proposal)
        })
        .collect();
    (min_s, state, pre_prepares)
}

impl Replica {
    /// 4.4: move to view `view`, stop accepting the old view's messages and
    /// multicast `<VIEW-CHANGE, v+1, n, C, P, i>`.
    pub fn start_view_change(&mut self, view: View, cx: &mut Cx<PbftProcess>) {
        if view <= self.view {
            return;
        }
        self.disarm(cx);
        self.view = view;
        self.changing = true;
        self.changes += 1;
        self.new_view = None;
        self.log.retain(|s| s.view >= view);
        let vote = ViewChangeVote {
            replica: self.id,
            checkpoint: self.stable,
            checkpoint_state: self.stable_state,
            // A liar leaves its certificates out (it cannot forge any).
            prepared: if self.is(Behaviour::Lie) {
                Vec::new()
            } else {
                self.prepared.clone()
            },
        };
        self.record_vote(view, vote.clone());
        self.to_replicas(cx, PbftMessage::ViewChange { view, vote });
        self.arm(cx);
        self.try_new_view(cx);
    }

    fn record_vote(&mut self, view: View, vote: ViewChangeVote) {
        if !self
            .view_changes
            .iter()
            .any(|(v, known)| *v == view && known.replica == vote.replica)
        {
            self.view_changes.push((view, vote));
        }
    }

    pub fn on_view_change(
        &mut self,
        from: NodeId,
        view: View,
        vote: ViewChangeVote,
        cx: &mut Cx<PbftProcess>,
    ) {
        if vote.replica != from {
            cx.note(|| {
                format!(
                    "a VIEW-CHANGE signed by {} came from {from}: dropped",
                    vote.replica
                )
            });
            return;
        }
        if view < self.view || (view == self.view && !self.changing) {
            // A replica that missed our NEW-VIEW gets it again.
            if view == self.view && self.is_primary() {
                if let Some(new_view) = self.new_view.clone() {
                    cx.send(from, new_view);
                }
            }
            return;
        }
        self.record_vote(view, vote);
        // 4.5.2: f+1 replicas want a later view: join the smallest of them.
        let mut above: Vec<(View, u32)> = self
            .view_changes
            .iter()
            .filter(|(v, _)| *v > self.view)
            .map(|(v, vote)| (*v, vote.replica.0))
            .collect();
        above.sort_unstable();
        let mut voters: Vec<u32> = above.iter().map(|&(_, r)| r).collect();
        voters.sort_unstable();
        voters.dedup();
        if voters.len() > self.config.f {
            if let Some(&(smallest, _)) = above.first() {
                cx.note(|| {
                    format!(
                        "f+1 replicas moved past view {}: join view {smallest}",
                        self.view
                    )
                });
                self.start_view_change(smallest, cx);
                return;
            }
        }
        self.try_new_view(cx);
    }

    /// 4.4: the primary of the view being changed to, with a quorum of
    /// VIEW-CHANGEs (its own among them), multicasts `<NEW-VIEW, v+1, V, O>`
    /// and enters the view.
    fn try_new_view(&mut self, cx: &mut Cx<PbftProcess>) {
        let view = self.view;
        if !self.changing || !self.is_primary() {
            return;
        }
        let mut votes: Vec<ViewChangeVote> = self
            .view_changes
            .iter()
            .filter(|(v, _)| *v == view)
            .map(|(_, vote)| vote.clone())
            .collect();
        if votes.len() < self.config.quorum {
            return;
        }
        votes.sort_by_key(|vote| vote.replica);
        votes.truncate(self.config.quorum);
        let (min_s, state, pre_prepares) = new_view_pre_prepares(&votes);
        cx.note(|| match pre_prepares.len() as u64 {
            0 => format!(
                "{} VIEW-CHANGEs for view {view}: NEW-VIEW, nothing prepared to re-issue",
                votes.len()
            ),
            count => format!(
                "{} VIEW-CHANGEs for view {view}: NEW-VIEW re-issues n{}..n{}",
                votes.len(),
                min_s + 1,
                min_s + count
            ),
        });
        let message = PbftMessage::NewView {
            view,
            votes,
            pre_prepares: pre_prepares.clone(),
        };
        self.to_replicas(cx, message.clone());
        self.new_view = Some(message);
        self.enter_view(view, min_s, state, pre_prepares, cx);
    }

    pub fn on_new_view(
        &mut self,
        from: NodeId,
        view: View,
        votes: Vec<ViewChangeVote>,
        pre_prepares: Vec<(Seq, Proposal)>,
        cx: &mut Cx<PbftProcess>,
    ) {
        if from != self.config.primary(view) || from == self.id {
            cx.note(|| format!("a NEW-VIEW from {from}, not the primary of view {view}: dropped"));
            return;
        }
        if view < self.view || (view == self.view && !self.changing) {
            return;
        }
        // 4.4: V must hold a quorum of VIEW-CHANGEs from different replicas,
        // and O must be what V implies.
        let mut voters: Vec<u32> = votes.iter().map(|vote| vote.replica.0).collect();
        voters.sort_unstable();
        voters.dedup();
        if voters.len() < self.config.quorum || voters.len() != votes.len() {
            cx.note(|| "a NEW-VIEW without a quorum of distinct VIEW-CHANGEs: dropped".to_string());
            return;
        }
        let (min_s, state, expected) = new_view_pre_prepares(&votes);
        if expected != pre_prepares {
            cx.note(|| "a NEW-VIEW whose O does not follow from its V: dropped".to_string());
            return;
        }
        self.enter_view(view, min_s, state, pre_prepares, cx);
    }

    /// 4.4: enter `view`: log O's pre-prepares (a backup multicasts a PREPARE
    /// for each), move the low watermark to min-s, and carry on.
    fn enter_view(
        &mut self,
        view: View,
        min_s: Seq,
        state: u64,
        pre_prepares: Vec<(Seq, Proposal)>,
        cx: &mut Cx<PbftProcess>,
    ) {
        self.disarm(cx);
        self.view = view;
        self.changing = false;
        self.log.retain(|s| s.view >= view);
        self.view_changes.retain(|(v, _)| *v > view);
        if self.is_primary() {
            let max_s = pre_prepares.last().map_or(min_s, |&(seq, _)| seq);
            self.next_seq = max_s.max(min_s);
        }
        cx.note(|| format!("enters view {view}"));
        for &(seq, proposal) in &pre_prepares {
            self.slot_mut(view, seq).pre_prepare = Some(proposal);
        }
        self.move_low_watermark(min_s, state, cx);
        // O's pre-prepares, and any of this view that arrived before NEW-VIEW.
        let logged: Vec<(Seq, Proposal)> = self
            .log
            .iter()
            .filter(|s| s.view == view)
            .filter_map(|s| s.pre_prepare.map(|p| (s.seq, p)))
            .collect();
        for (seq, proposal) in logged {
            if !self.is_primary() {
                self.send_prepare(view, seq, proposal.digest(), cx);
            }
            self.progress(view, seq, cx);
        }
        self.assign_pending(cx);
        self.arm(cx);
    }

    // ---- The progress timer (section 4.4) ------------------------------------

    /// Waiting for a request: one received and not executed, or an accepted
    /// pre-prepare not yet executed.
    pub fn waiting(&self) -> bool {
        !self.pending.is_empty()
            || self.log.iter().any(|s| {
                s.view == self.view
                    && s.seq > self.last_executed
                    && s.pre_prepare.is_some_and(|p| p.0.is_some())
            })
    }

    pub fn arm(&mut self, cx: &mut Cx<PbftProcess>) {
        let wanted = self.changing || (!self.is_primary() && self.waiting());
        if wanted && !self.timer_armed {
            let timeout = REQUEST_TIMEOUT.as_micros() << self.changes.min(4);
            cx.set_timer(PbftTimer::Progress { view: self.view }, Duration(timeout));
            self.timer_armed = true;
        } else if !wanted && self.timer_armed {
            self.disarm(cx);
        }
    }

    pub fn disarm(&mut self, cx: &mut Cx<PbftProcess>) {
        if self.timer_armed {
            cx.cancel_timer(PbftTimer::Progress { view: self.view });
            self.timer_armed = false;
        }
    }

    pub fn on_progress_timer(&mut self, view: View, cx: &mut Cx<PbftProcess>) {
        if view != self.view {
            return;
        }
        self.timer_armed = false;
        if self.changing || (!self.is_primary() && self.waiting()) {
            cx.note(|| format!("no progress in view {view}: start a view change"));
            self.start_view_change(view + 1, cx);
        }
    }

    pub fn on_start(&mut self, cx: &mut Cx<PbftProcess>) {
        self.timer_armed = false;
        self.arm(cx);
    }

    /// Everything is kept: the paper's replicas log to stable storage, and a
    /// replica that forgot what it sent could contradict itself.
    pub fn on_crash(&mut self) {
        self.timer_armed = false;
    }
}
