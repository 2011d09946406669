//! A PBFT replica in normal-case operation (Castro and Liskov, sections 4.1 to
//! 4.3): the primary orders requests with PRE-PREPAREs, the three phases build
//! the prepared and committed certificates, requests execute in sequence order,
//! and checkpoints bound the log ([`super::checkpoint`]). The request timer and
//! the view change are in [`super::view_change`].

use crate::sim::node::Cx;
use crate::sim::time::{Duration, NodeId};

use super::message::{
    mix, Behaviour, Certificate, Digest, PbftMessage, Proposal, Request, Seq, View,
};
use super::process::{PbftConfig, PbftProcess};

/// A backup's request timer (section 4.4), doubled after each view change that
/// brought no progress (section 4.5.2).
pub const REQUEST_TIMEOUT: Duration = Duration::from_millis(300);
/// A checkpoint every this many sequence numbers (section 4.3's K).
pub const CHECKPOINT_INTERVAL: Seq = 4;
/// The watermark window: sequence numbers in `(h, h + WINDOW]` are accepted,
/// `h` being the last stable checkpoint (section 4.3's L).
pub const WINDOW: Seq = 4 * CHECKPOINT_INTERVAL;

/// What a replica logged for one sequence number in one view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    pub view: View,
    pub seq: Seq,
    /// The accepted PRE-PREPARE's proposal.
    pub pre_prepare: Option<Proposal>,
    /// PREPAREs received (and its own), one per sender and digest.
    pub prepares: Vec<(NodeId, Digest)>,
    /// COMMITs received (and its own).
    pub commits: Vec<(NodeId, Digest)>,
    pub prepared: bool,
    pub committed: bool,
}

impl Slot {
    /// The distinct senders of `votes` for `digest`, leaving `except` out.
    pub fn voters(votes: &[(NodeId, Digest)], digest: Digest, except: Option<NodeId>) -> Vec<u32> {
        let mut voters: Vec<u32> = votes
            .iter()
            .filter(|&&(from, d)| d == digest && Some(from) != except)
            .map(|&(from, _)| from.0)
            .collect();
        voters.sort_unstable();
        voters.dedup();
        voters
    }
}

/// A PBFT replica.
#[derive(Clone, Debug)]
pub struct Replica {
    pub id: NodeId,
    pub config: PbftConfig,
    /// How this replica misbehaves, if it is a traitor.
    pub traitor: Option<Behaviour>,
    pub view: View,
    /// Sent VIEW-CHANGE for `view` and waits for its NEW-VIEW (section 4.4).
    pub changing: bool,
    /// View changes since the last execution: the timeout doubles with each.
    pub changes: u32,
    pub log: Vec<Slot>,
    /// The prepared certificates this replica holds above its stable
    /// checkpoint, one per sequence number (the highest view's): its set P.
    pub prepared: Vec<Certificate>,
    /// The primary's last assigned sequence number.
    pub next_seq: Seq,
    pub last_executed: Seq,
    /// The service state: a hash chain of the executed requests.
    pub state: u64,
    /// The last stable checkpoint (the low watermark h) and its state.
    pub stable: Seq,
    pub stable_state: u64,
    /// CHECKPOINT votes above the stable checkpoint: (seq, state, sender).
    pub checkpoints: Vec<(Seq, u64, NodeId)>,
    /// Client requests received and not yet executed.
    pub pending: Vec<Request>,
    /// The last reply to each client: (client, timestamp, result).
    pub replies: Vec<(NodeId, u64, u64)>,
    /// VIEW-CHANGE votes received for views above the current one (or for the
    /// one being changed to).
    pub view_changes: Vec<(View, super::message::ViewChangeVote)>,
    /// The NEW-VIEW this replica sent as primary of `view`, to resend.
    pub new_view: Option<PbftMessage>,
    /// Whether the progress timer is set (volatile).
    pub timer_armed: bool,
    /// Every committed-local event, in order: (view, seq, digest). Read by the
    /// checker.
    pub commit_log: Vec<(View, Seq, Digest)>,
    /// Every execution, in order: (seq, digest). Read by the checker.
    pub executed: Vec<(Seq, Digest)>,
}

/// The digest a lying traitor puts in its votes instead of `digest`.
pub fn lie(digest: Digest) -> Digest {
    Digest(mix(digest.0, 0x11e5).max(1))
}

impl Replica {
    pub fn new(id: NodeId, config: PbftConfig) -> Self {
        Replica {
            id,
            config,
            traitor: None,
            view: 0,
            changing: false,
            changes: 0,
            log: Vec::new(),
            prepared: Vec::new(),
            next_seq: 0,
            last_executed: 0,
            state: 0,
            stable: 0,
            stable_state: 0,
            checkpoints: Vec::new(),
            pending: Vec::new(),
            replies: Vec::new(),
            view_changes: Vec::new(),
            new_view: None,
            timer_armed: false,
            commit_log: Vec::new(),
            executed: Vec::new(),
        }
    }

    pub fn is_primary(&self) -> bool {
        self.config.primary(self.view) == self.id
    }

    pub fn is(&self, behaviour: Behaviour) -> bool {
        self.traitor == Some(behaviour)
    }

    /// Sends `msg` to every other replica (not to the clients).
    pub fn to_replicas(&self, cx: &mut Cx<PbftProcess>, msg: PbftMessage) {
        for replica in 0..self.config.replicas as u32 {
            if replica != self.id.0 {
                cx.send(NodeId(replica), msg.clone());
            }
        }
    }

    /// Whether `seq` lies between the watermarks (section 4.2).
    pub fn in_window(&self, seq: Seq) -> bool {
        seq > self.stable && seq <= self.stable + WINDOW
    }

    pub fn slot(&self, view: View, seq: Seq) -> Option<&Slot> {
        self.log.iter().find(|s| s.view == view && s.seq == seq)
    }

    pub fn slot_mut(&mut self, view: View, seq: Seq) -> &mut Slot {
        let at = match self
            .log
            .binary_search_by(|s| (s.view, s.seq).cmp(&(view, seq)))
        {
            Ok(at) => at,
            Err(at) => {
                self.log.insert(
                    at,
                    Slot {
                        view,
                        seq,
                        pre_prepare: None,
                        prepares: Vec::new(),
                        commits: Vec::new(),
                        prepared: false,
                        committed: false,
                    },
                );
                at
            }
        };
        &mut self.log[at]
    }

    // ---- Section 4.1: requests -------------------------------------------

    pub fn on_request(&mut self, from: NodeId, request: Request, cx: &mut Cx<PbftProcess>) {
        if !self.config.is_client(request.client) {
            cx.note(|| format!("a request from {} names no client: dropped", from));
            return;
        }
        // 4.1: a request already executed gets its reply again.
        if let Some(&(_, timestamp, result)) = self.replies.iter().find(|r| r.0 == request.client) {
            if request.timestamp <= timestamp {
                if request.timestamp == timestamp {
                    self.reply(request.client, timestamp, result, cx);
                }
                return;
            }
        }
        if !self.pending.contains(&request) {
            self.pending.push(request);
        }
        if self.changing {
            cx.note(|| "in a view change: the request waits for the new view".to_string());
        } else if self.is_primary() {
            let digest = request.digest();
            let assigned = self
                .log
                .iter()
                .find(|s| s.view == self.view && s.pre_prepare.map(|p| p.digest()) == Some(digest))
                .map(|s| s.seq);
            match assigned {
                // The client retransmitted: send its PRE-PREPARE again.
                Some(seq) if from == request.client => {
                    self.send_pre_prepare(seq, Proposal(Some(request)), cx)
                }
                Some(_) => {}
                None => self.assign_pending(cx),
            }
        } else if from == request.client {
            // 4.1: a backup relays the request to the primary and waits for it.
            cx.send(
                self.config.primary(self.view),
                PbftMessage::Request(request),
            );
        }
        self.arm(cx);
    }

    /// 4.2: the primary assigns the next sequence numbers to the pending
    /// requests not yet assigned in this view, within the watermarks.
    pub fn assign_pending(&mut self, cx: &mut Cx<PbftProcess>) {
        if !self.is_primary() || self.changing {
            return;
        }
        let mut requests = self.pending.clone();
        requests.sort();
        for request in requests {
            let digest = request.digest();
            let view = self.view;
            if self
                .log
                .iter()
                .any(|s| s.view == view && s.pre_prepare.map(|p| p.digest()) == Some(digest))
            {
                continue;
            }
            let seq = self.next_seq.max(self.stable) + 1;
            if !self.in_window(seq) {
                cx.note(|| format!("n{seq} is above the high watermark: {request} waits"));
                return;
            }
            self.next_seq = seq;
            self.slot_mut(view, seq).pre_prepare = Some(Proposal(Some(request)));
            cx.note(|| format!("primary of view {view} assigns n{seq} to {request}"));
            self.send_pre_prepare(seq, Proposal(Some(request)), cx);
        }
    }

    /// 4.2: multicast `<PRE-PREPARE, v, n, d>` with the request. An
    /// equivocating primary gives each group of f backups its own variant of
    /// the request and votes COMMIT with each group for that group's digest.
    pub fn send_pre_prepare(&self, seq: Seq, proposal: Proposal, cx: &mut Cx<PbftProcess>) {
        let view = self.view;
        let equivocate = self.is(Behaviour::Equivocate) && proposal.0.is_some();
        let backups = (0..self.config.replicas as u32).filter(|&r| r != self.id.0);
        for (position, backup) in backups.enumerate() {
            let group = (position / self.config.f.max(1)) as u64;
            let proposal = match proposal.0 {
                Some(request) if equivocate && group > 0 => Proposal(Some(Request {
                    operation: request.operation ^ (group << 48),
                    ..request
                })),
                _ => proposal,
            };
            cx.send(
                NodeId(backup),
                PbftMessage::PrePrepare {
                    view,
                    seq,
                    proposal,
                },
            );
            if equivocate {
                let digest = proposal.digest();
                cx.send(NodeId(backup), PbftMessage::Commit { view, seq, digest });
            }
        }
    }

    // ---- Section 4.2: the three phases -----------------------------------

    /// Whether a message of the normal case for `view` and `seq` is accepted:
    /// in the current view, between the watermarks. In a view change to
    /// `view`, it is logged and acted on once NEW-VIEW arrives.
    fn accepts(&self, view: View, seq: Seq, cx: &mut Cx<PbftProcess>) -> bool {
        let ok = view == self.view && self.in_window(seq);
        if !ok {
            let (current, changing, stable) = (self.view, self.changing, self.stable);
            cx.note(|| {
                format!("v{view} n{seq} not accepted (view {current}, changing {changing}, low watermark {stable})")
            });
        }
        ok
    }

    pub fn on_pre_prepare(
        &mut self,
        from: NodeId,
        view: View,
        seq: Seq,
        proposal: Proposal,
        cx: &mut Cx<PbftProcess>,
    ) {
        if from != self.config.primary(view) || from == self.id {
            cx.note(|| {
                format!("a PRE-PREPARE from {from}, not the primary of view {view}: dropped")
            });
            return;
        }
        if !self.accepts(view, seq, cx) {
            return;
        }
        if proposal.0.is_some_and(|r| !self.config.is_client(r.client)) {
            cx.note(|| "a PRE-PREPARE for a request of no client: dropped".to_string());
            return;
        }
        let digest = proposal.digest();
        match self.slot(view, seq).and_then(|s| s.pre_prepare) {
            // 4.2: a backup accepts no second PRE-PREPARE for v and n with another digest.
            Some(accepted) if accepted.digest() != digest => {
                cx.note(|| format!("already accepted {} for v{view} n{seq}: the PRE-PREPARE for {digest} is refused", accepted.digest()));
                return;
            }
            // A retransmission: send our votes again (the network loses messages).
            Some(_) if self.changing => return,
            Some(_) => {
                self.send_prepare(view, seq, digest, cx);
                if self.slot(view, seq).is_some_and(|s| s.prepared) {
                    self.send_commit(view, seq, digest, cx);
                }
                return;
            }
            None => {}
        }
        self.slot_mut(view, seq).pre_prepare = Some(proposal);
        if self.changing {
            cx.note(|| format!("v{view} n{seq} arrived before NEW-VIEW: logged until it comes"));
            return;
        }
        // 4.2: the backup enters the prepare phase: multicast PREPARE.
        self.send_prepare(view, seq, digest, cx);
        self.progress(view, seq, cx);
        self.arm(cx);
    }

    pub fn send_prepare(&mut self, view: View, seq: Seq, digest: Digest, cx: &mut Cx<PbftProcess>) {
        let id = self.id;
        let slot = self.slot_mut(view, seq);
        if !slot.prepares.contains(&(id, digest)) {
            slot.prepares.push((id, digest));
        }
        let told = if self.is(Behaviour::Lie) {
            lie(digest)
        } else {
            digest
        };
        self.to_replicas(
            cx,
            PbftMessage::Prepare {
                view,
                seq,
                digest: told,
            },
        );
    }

    fn send_commit(&mut self, view: View, seq: Seq, digest: Digest, cx: &mut Cx<PbftProcess>) {
        let id = self.id;
        let slot = self.slot_mut(view, seq);
        if !slot.commits.contains(&(id, digest)) {
            slot.commits.push((id, digest));
        }
        let told = if self.is(Behaviour::Lie) {
            lie(digest)
        } else {
            digest
        };
        self.to_replicas(
            cx,
            PbftMessage::Commit {
                view,
                seq,
                digest: told,
            },
        );
    }

    pub fn on_prepare(
        &mut self,
        from: NodeId,
        view: View,
        seq: Seq,
        digest: Digest,
        cx: &mut Cx<PbftProcess>,
    ) {
        if from == self.config.primary(view) {
            cx.note(|| "the primary sends no PREPARE: dropped".to_string());
            return;
        }
        if !self.accepts(view, seq, cx) {
            return;
        }
        // A liar agrees with whoever asks.
        if self.is(Behaviour::Lie) {
            cx.send(from, PbftMessage::Prepare { view, seq, digest });
            cx.send(from, PbftMessage::Commit { view, seq, digest });
        }
        let slot = self.slot_mut(view, seq);
        if !slot.prepares.contains(&(from, digest)) {
            slot.prepares.push((from, digest));
        }
        self.progress(view, seq, cx);
    }

    pub fn on_commit(
        &mut self,
        from: NodeId,
        view: View,
        seq: Seq,
        digest: Digest,
        cx: &mut Cx<PbftProcess>,
    ) {
        if !self.accepts(view, seq, cx) {
            return;
        }
        let slot = self.slot_mut(view, seq);
        if !slot.commits.contains(&(from, digest)) {
            slot.commits.push((from, digest));
        }
        self.progress(view, seq, cx);
    }

    /// 4.2: prepared(m, v, n) once the pre-prepare and quorum - 1 matching
    /// PREPAREs from different backups are logged (2f with n = 3f + 1); then
    /// COMMIT; committed-local once quorum matching COMMITs are logged (2f + 1).
    pub fn progress(&mut self, view: View, seq: Seq, cx: &mut Cx<PbftProcess>) {
        let quorum = self.config.quorum;
        let primary = self.config.primary(view);
        if self.changing {
            return;
        }
        let Some(slot) = self.slot(view, seq) else {
            return;
        };
        let Some(proposal) = slot.pre_prepare else {
            return;
        };
        let digest = proposal.digest();
        if !slot.prepared && Slot::voters(&slot.prepares, digest, Some(primary)).len() + 1 >= quorum
        {
            self.slot_mut(view, seq).prepared = true;
            let certificate = Certificate {
                seq,
                view,
                proposal,
            };
            match self.prepared.binary_search_by_key(&seq, |c| c.seq) {
                Ok(at) if self.prepared[at].view <= view => self.prepared[at] = certificate,
                Ok(_) => {}
                Err(at) => self.prepared.insert(at, certificate),
            }
            cx.note(|| format!("prepared v{view} n{seq} {digest}: the pre-prepare and {} matching PREPAREs (its own included)", quorum - 1));
            // 4.2: the commit phase.
            self.send_commit(view, seq, digest, cx);
        }
        let Some(slot) = self.slot(view, seq) else {
            return;
        };
        if slot.prepared
            && !slot.committed
            && Slot::voters(&slot.commits, digest, None).len() >= quorum
        {
            self.slot_mut(view, seq).committed = true;
            self.commit_log.push((view, seq, digest));
            cx.note(|| {
                format!("committed-local v{view} n{seq} {digest}: {quorum} matching COMMITs")
            });
            self.execute(cx);
        }
    }

    // ---- Execution and replies (sections 4.1, 4.2) -------------------------

    /// 4.2: execute committed requests in sequence order.
    pub fn execute(&mut self, cx: &mut Cx<PbftProcess>) {
        let mut progressed = false;
        loop {
            let next = self.last_executed + 1;
            let Some(proposal) = self
                .log
                .iter()
                .find(|s| s.seq == next && s.committed)
                .and_then(|s| s.pre_prepare)
            else {
                break;
            };
            progressed = true;
            self.last_executed = next;
            self.executed.push((next, proposal.digest()));
            if let Some(request) = proposal.0 {
                self.state = mix(self.state, request.digest().0);
                let result = self.state;
                self.pending
                    .retain(|r| r.client != request.client || r.timestamp > request.timestamp);
                match self.replies.iter_mut().find(|r| r.0 == request.client) {
                    Some(entry) => *entry = (request.client, request.timestamp, result),
                    None => self
                        .replies
                        .push((request.client, request.timestamp, result)),
                }
                cx.note(|| format!("executes n{next}: {request}"));
                self.reply(request.client, request.timestamp, result, cx);
            } else {
                cx.note(|| format!("executes n{next}: the null request"));
            }
            if next.is_multiple_of(CHECKPOINT_INTERVAL) {
                // 4.3: multicast <CHECKPOINT, n, d, i>.
                let state = self.state;
                let told = if self.is(Behaviour::Lie) {
                    mix(state, 1)
                } else {
                    state
                };
                self.checkpoints.push((next, state, self.id));
                self.to_replicas(
                    cx,
                    PbftMessage::Checkpoint {
                        seq: next,
                        state: told,
                    },
                );
                self.stabilise(next, state, cx);
            }
        }
        if progressed {
            // 4.4: the timer stops on execution and restarts if still waiting.
            self.changes = 0;
            self.disarm(cx);
            self.arm(cx);
        }
    }

    fn reply(&self, client: NodeId, timestamp: u64, result: u64, cx: &mut Cx<PbftProcess>) {
        let result = if self.is(Behaviour::Lie) {
            mix(result, 1)
        } else {
            result
        };
        let view = self.view;
        cx.send(
            client,
            PbftMessage::Reply {
                view,
                timestamp,
                result,
            },
        );
    }
}
