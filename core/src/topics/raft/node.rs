//! One Raft server: the state and rules of Figure 2 of the Raft paper, as a sans-IO
//! [`Node`].
//!
//! Durable state (kept across a crash): `current_term`, `voted_for`, `log`.
//! Volatile state: role, commit index, votes, `next_index`/`match_index`, leader
//! hint, and the key-value store the committed entries are applied to.
//! The bugs in [`RaftBugs`] each remove one rule the paper (or, for the
//! key-value service, Ongaro's thesis, chapter 6) says is needed.
//!
//! Reads go through the log: a `get` is an entry like any write, answered when
//! it is applied, so it sees every write committed before it (thesis §6.4 gives
//! the faster ReadIndex; the log is the simpler of the two safe ways).

use std::hash::{Hash, Hasher};

use crate::explore::fingerprint::{self, Fingerprint, Rename};
use crate::sim::node::Cx;
use crate::sim::time::{Duration, NodeId};
use crate::sim::view::{Cell, LogCell, LogEntryCell, NodeSummary};

use super::kv::KvStore;
use super::message::{
    vote_text, Command, Entry, KvCommand, LogIndex, RaftMessage, RaftTimer, Request, Role, Term,
};
use super::process::RaftProcess;

/// Timing of one server, in virtual time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RaftTiming {
    /// The election timeout is drawn uniformly from this range at every reset (§5.2).
    pub election_min: Duration,
    pub election_max: Duration,
    pub heartbeat: Duration,
}

impl Default for RaftTiming {
    fn default() -> Self {
        // The paper's suggested 150-300 ms, with heartbeats well below it.
        RaftTiming {
            election_min: Duration::from_millis(150),
            election_max: Duration::from_millis(300),
            heartbeat: Duration::from_millis(50),
        }
    }
}

/// Deliberately broken variants; each is off in a correct server.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RaftBugs {
    /// Commit any entry stored on a majority, even from an older term (the unsafe
    /// rule of Figure 8; §5.4.2 forbids it).
    pub commit_old_term: bool,
    /// Grant votes without the "candidate's log is at least as up-to-date" check
    /// (§5.4.1).
    pub vote_without_log_check: bool,
    /// Treat `voted_for` as volatile, so a restarted server can vote twice in a term.
    pub forget_vote_on_restart: bool,
    /// Answer a `get` at once from the leader's own store, without going through
    /// the log; a deposed leader that does not know it yet serves old values.
    pub stale_read: bool,
    /// Apply every committed request, even one already applied for its client
    /// and sequence number, so a retried append is applied twice.
    pub no_dedup: bool,
}

/// A Raft server.
#[derive(Clone, Debug)]
pub struct RaftNode {
    id: NodeId,
    cluster_size: usize,
    timing: RaftTiming,
    bugs: RaftBugs,
    // Durable.
    current_term: Term,
    voted_for: Option<NodeId>,
    log: Vec<Entry>,
    // Volatile.
    role: Role,
    commit_index: LogIndex,
    leader_hint: Option<NodeId>,
    votes: Vec<NodeId>,
    next_index: Vec<LogIndex>,
    match_index: Vec<LogIndex>,
    /// Counts every change to `log`, so the checker can skip unchanged logs.
    log_version: u64,
    /// The state machine and the index of the last entry applied to it.
    store: KvStore,
    last_applied: LogIndex,
}

impl RaftNode {
    pub fn new(id: NodeId, cluster_size: usize, timing: RaftTiming, bugs: RaftBugs) -> Self {
        RaftNode {
            id,
            cluster_size,
            timing,
            bugs,
            current_term: Term(0),
            voted_for: None,
            log: Vec::new(),
            role: Role::Follower,
            commit_index: LogIndex(0),
            leader_hint: None,
            votes: Vec::new(),
            next_index: Vec::new(),
            match_index: Vec::new(),
            log_version: 0,
            store: KvStore::default(),
            last_applied: LogIndex(0),
        }
    }

    pub fn id(&self) -> NodeId {
        self.id
    }
    pub fn role(&self) -> Role {
        self.role
    }
    pub fn term(&self) -> Term {
        self.current_term
    }
    pub fn voted_for(&self) -> Option<NodeId> {
        self.voted_for
    }
    pub fn log(&self) -> &[Entry] {
        &self.log
    }
    pub fn commit_index(&self) -> LogIndex {
        self.commit_index
    }
    pub fn leader_hint(&self) -> Option<NodeId> {
        self.leader_hint
    }
    pub fn log_version(&self) -> u64 {
        self.log_version
    }
    /// The key-value store, as applied up to [`RaftNode::last_applied`].
    pub fn store(&self) -> &KvStore {
        &self.store
    }
    pub fn last_applied(&self) -> LogIndex {
        self.last_applied
    }
    /// The leader's view of each follower's replication, empty unless leader.
    pub fn match_index(&self) -> &[LogIndex] {
        &self.match_index
    }

    /// Overwrites the state, for checker tests that need states no correct run
    /// reaches.
    #[cfg(test)]
    pub(crate) fn force_state(
        &mut self,
        term: Term,
        role: Role,
        log: Vec<Entry>,
        commit: LogIndex,
    ) {
        self.current_term = term;
        self.role = role;
        self.log = log;
        self.commit_index = commit;
        self.log_version += 1;
    }

    /// The entry at `index` (1-based).
    pub fn entry(&self, index: LogIndex) -> Option<&Entry> {
        index
            .0
            .checked_sub(1)
            .and_then(|i| self.log.get(i as usize))
    }

    pub fn last_index(&self) -> LogIndex {
        LogIndex(self.log.len() as u64)
    }

    fn last_term(&self) -> Term {
        self.log.last().map_or(Term(0), |e| e.term)
    }

    fn term_at(&self, index: LogIndex) -> Option<Term> {
        if index.0 == 0 {
            Some(Term(0))
        } else {
            self.entry(index).map(|e| e.term)
        }
    }

    fn majority(&self) -> usize {
        self.cluster_size / 2 + 1
    }

    fn reset_election_timer(&mut self, cx: &mut Cx<RaftProcess>) {
        let wait = cx.rng.range_inclusive(
            self.timing.election_min.as_micros(),
            self.timing.election_max.as_micros(),
        );
        cx.set_timer(RaftTimer::Election, Duration(wait));
    }

    /// §5.1: any message with a higher term makes us a follower of that term.
    fn observe_term(&mut self, term: Term, cx: &mut Cx<RaftProcess>) {
        if term > self.current_term {
            let was = self.role;
            self.current_term = term;
            self.voted_for = None;
            self.role = Role::Follower;
            self.leader_hint = None;
            if was == Role::Leader {
                cx.cancel_timer(RaftTimer::Heartbeat);
                self.reset_election_timer(cx);
            }
            if was != Role::Follower {
                cx.note(|| format!("saw term {term}: steps down to follower"));
            }
        }
    }

    fn start_election(&mut self, cx: &mut Cx<RaftProcess>) {
        self.current_term = Term(self.current_term.0 + 1);
        self.role = Role::Candidate;
        self.voted_for = Some(self.id);
        self.votes = vec![self.id];
        self.leader_hint = None;
        let term = self.current_term;
        cx.note(|| format!("starts an election for term {term}"));
        self.reset_election_timer(cx);
        if self.votes.len() >= self.majority() {
            self.become_leader(cx);
            return;
        }
        // To the other servers only: clients share the network but do not vote.
        let request = RaftMessage::RequestVote {
            term,
            last_log_index: self.last_index(),
            last_log_term: self.last_term(),
        };
        for peer in (0..self.cluster_size as u32).map(NodeId) {
            if peer != self.id {
                cx.send(peer, request.clone());
            }
        }
    }

    fn become_leader(&mut self, cx: &mut Cx<RaftProcess>) {
        self.role = Role::Leader;
        self.leader_hint = Some(self.id);
        self.next_index = vec![self.last_index().next(); self.cluster_size];
        self.match_index = vec![LogIndex(0); self.cluster_size];
        self.match_index[self.id.index()] = self.last_index();
        let term = self.current_term;
        let votes = self.votes.len();
        cx.note(|| format!("becomes leader of term {term} with {votes} votes"));
        cx.cancel_timer(RaftTimer::Election);
        self.broadcast_append(cx);
        cx.set_timer(RaftTimer::Heartbeat, self.timing.heartbeat);
    }

    fn send_append(&mut self, to: NodeId, cx: &mut Cx<RaftProcess>) {
        let next = self.next_index[to.index()].max(LogIndex(1));
        let prev_log_index = LogIndex(next.0 - 1);
        let prev_log_term = self.term_at(prev_log_index).unwrap_or(Term(0));
        let from = (prev_log_index.0 as usize).min(self.log.len());
        cx.send(
            to,
            RaftMessage::AppendEntries {
                term: self.current_term,
                prev_log_index,
                prev_log_term,
                entries: self.log[from..].to_vec(),
                leader_commit: self.commit_index,
            },
        );
    }

    fn broadcast_append(&mut self, cx: &mut Cx<RaftProcess>) {
        for peer in 0..self.cluster_size as u32 {
            if peer != self.id.0 {
                self.send_append(NodeId(peer), cx);
            }
        }
    }

    /// §5.3/§5.4.2: the highest index stored on a majority whose entry is from the
    /// current term becomes committed (and with it everything before it).
    fn advance_commit(&mut self, cx: &mut Cx<RaftProcess>) {
        let mut candidate = self.last_index();
        while candidate > self.commit_index {
            let replicas = self.match_index.iter().filter(|&&m| m >= candidate).count();
            let from_this_term = self.term_at(candidate) == Some(self.current_term);
            if replicas >= self.majority() && (from_this_term || self.bugs.commit_old_term) {
                let old = self.commit_index;
                self.commit_index = candidate;
                let term = self.term_at(candidate).unwrap_or(Term(0));
                cx.note(|| {
                    format!("commits up to index {candidate} (entry of term {term}), was {old}")
                });
                self.apply_committed(cx);
                return;
            }
            candidate = LogIndex(candidate.0 - 1);
        }
    }

    fn on_request_vote(
        &mut self,
        from: NodeId,
        term: Term,
        last_log_index: LogIndex,
        last_log_term: Term,
        cx: &mut Cx<RaftProcess>,
    ) {
        self.observe_term(term, cx);
        let up_to_date = (last_log_term, last_log_index) >= (self.last_term(), self.last_index());
        let free = self.voted_for.is_none() || self.voted_for == Some(from);
        let granted =
            term == self.current_term && free && (up_to_date || self.bugs.vote_without_log_check);
        if granted {
            self.voted_for = Some(from);
            self.reset_election_timer(cx);
            cx.note(|| format!("votes for {from} in term {term}"));
        } else if term == self.current_term && free && !up_to_date {
            cx.note(|| format!("refuses {from}: its log is behind ours"));
        }
        cx.send(
            from,
            RaftMessage::VoteReply {
                term: self.current_term,
                granted,
            },
        );
    }

    fn on_vote_reply(&mut self, from: NodeId, term: Term, granted: bool, cx: &mut Cx<RaftProcess>) {
        self.observe_term(term, cx);
        if self.role != Role::Candidate || term != self.current_term || !granted {
            return;
        }
        if !self.votes.contains(&from) {
            self.votes.push(from);
        }
        if self.votes.len() >= self.majority() {
            self.become_leader(cx);
        }
    }

    fn on_append_entries(
        &mut self,
        from: NodeId,
        message: (Term, LogIndex, Term, Vec<Entry>, LogIndex),
        cx: &mut Cx<RaftProcess>,
    ) {
        let (term, prev_log_index, prev_log_term, entries, leader_commit) = message;
        self.observe_term(term, cx);
        if term < self.current_term {
            cx.send(
                from,
                RaftMessage::AppendReply {
                    term: self.current_term,
                    success: false,
                    match_index: self.last_index(),
                },
            );
            return;
        }
        if self.role != Role::Follower {
            // A candidate that hears from the leader of its term steps down (§5.2).
            self.role = Role::Follower;
            cx.note(|| format!("hears leader {from} of term {term}: becomes follower"));
        }
        if self.leader_hint != Some(from) {
            self.leader_hint = Some(from);
        }
        self.reset_election_timer(cx);

        if self.term_at(prev_log_index) != Some(prev_log_term) {
            // Log mismatch: tell the leader where to look next.
            let hint = if prev_log_index > self.last_index() {
                self.last_index()
            } else {
                LogIndex(prev_log_index.0.saturating_sub(1))
            };
            cx.note(|| {
                format!("rejects entries after {prev_log_index}: no match at t{prev_log_term}")
            });
            cx.send(
                from,
                RaftMessage::AppendReply {
                    term: self.current_term,
                    success: false,
                    match_index: hint,
                },
            );
            return;
        }

        let mut index = prev_log_index;
        for entry in entries.iter() {
            index = index.next();
            match self.term_at(index) {
                Some(existing) if existing == entry.term => {}
                Some(_) => {
                    // §5.3: a conflicting entry and everything after it go.
                    let removed = self.log.len() as u64 - (index.0 - 1);
                    self.log.truncate(index.0 as usize - 1);
                    self.log.push(*entry);
                    self.log_version += 1;
                    cx.note(|| {
                        format!("overwrites {removed} conflicting entries from index {index}")
                    });
                }
                None => {
                    self.log.push(*entry);
                    self.log_version += 1;
                }
            }
        }
        let last_new = index;
        if leader_commit > self.commit_index {
            let target = leader_commit.min(last_new);
            if target > self.commit_index {
                self.commit_index = target;
                cx.note(|| format!("learns commit index {target}"));
                self.apply_committed(cx);
            }
        }
        cx.send(
            from,
            RaftMessage::AppendReply {
                term: self.current_term,
                success: true,
                match_index: last_new,
            },
        );
    }

    fn on_append_reply(
        &mut self,
        from: NodeId,
        term: Term,
        success: bool,
        match_index: LogIndex,
        cx: &mut Cx<RaftProcess>,
    ) {
        self.observe_term(term, cx);
        if self.role != Role::Leader || term != self.current_term {
            return;
        }
        let peer = from.index();
        if peer >= self.cluster_size {
            return;
        }
        if success {
            let matched = match_index.min(self.last_index());
            if matched > self.match_index[peer] {
                self.match_index[peer] = matched;
            }
            self.next_index[peer] = self.match_index[peer].next();
            self.advance_commit(cx);
        } else {
            // Step back to the follower's hint (at least one entry), so probing
            // ends at index 1 at the latest.
            let current = self.next_index[peer];
            let retry = match_index
                .next()
                .min(LogIndex(current.0.saturating_sub(1)))
                .max(LogIndex(1));
            if retry < current {
                self.next_index[peer] = retry;
                self.send_append(from, cx);
            }
        }
    }
}

/// The handlers, called by [`RaftProcess`] (the node type of a Raft run).
impl RaftNode {
    pub fn on_start(&mut self, cx: &mut Cx<RaftProcess>) {
        self.role = Role::Follower;
        self.reset_election_timer(cx);
    }

    pub fn on_message(&mut self, from: NodeId, msg: RaftMessage, cx: &mut Cx<RaftProcess>) {
        match msg {
            RaftMessage::RequestVote {
                term,
                last_log_index,
                last_log_term,
            } => self.on_request_vote(from, term, last_log_index, last_log_term, cx),
            RaftMessage::VoteReply { term, granted } => self.on_vote_reply(from, term, granted, cx),
            RaftMessage::AppendEntries {
                term,
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
            } => self.on_append_entries(
                from,
                (term, prev_log_index, prev_log_term, entries, leader_commit),
                cx,
            ),
            RaftMessage::AppendReply {
                term,
                success,
                match_index,
            } => self.on_append_reply(from, term, success, match_index, cx),
            RaftMessage::ClientRequest(request) => self.on_client_request(from, request, cx),
            // Answers are for clients; a server that gets one ignores it.
            RaftMessage::ClientReply { .. } | RaftMessage::NotLeader { .. } => {}
        }
    }

    pub fn on_timer(&mut self, timer: RaftTimer, cx: &mut Cx<RaftProcess>) {
        match timer {
            RaftTimer::Election => {
                if self.role != Role::Leader {
                    self.start_election(cx);
                }
            }
            RaftTimer::Heartbeat => {
                if self.role == Role::Leader {
                    self.broadcast_append(cx);
                    cx.set_timer(RaftTimer::Heartbeat, self.timing.heartbeat);
                }
            }
            RaftTimer::Think | RaftTimer::Attempt => {}
        }
    }

    /// A bare value from the page's Client request button: appended by the
    /// leader, with no client waiting for it.
    pub fn on_bare_request(&mut self, value: u64, cx: &mut Cx<RaftProcess>) {
        if self.role != Role::Leader {
            let hint = self.leader_hint;
            cx.note(|| match hint {
                Some(leader) => format!("not the leader: the client should retry at {leader}"),
                None => "not the leader and knows none: the request is refused".to_string(),
            });
            return;
        }
        self.append_as_leader(Command::Value(value), cx);
    }

    /// Appends `command` to the leader's log and starts replicating it.
    fn append_as_leader(&mut self, command: Command, cx: &mut Cx<RaftProcess>) {
        let entry = Entry {
            term: self.current_term,
            command,
        };
        self.log.push(entry);
        self.log_version += 1;
        let index = self.last_index();
        self.match_index[self.id.index()] = index;
        cx.note(|| format!("appends {entry} at index {index}"));
        self.advance_commit(cx);
        self.broadcast_append(cx);
    }

    /// The node id of client process `client` (clients follow the servers).
    fn client_node(&self, client: u32) -> NodeId {
        NodeId(self.cluster_size as u32 + client)
    }

    /// A client's request: the leader logs it (or, already applied, answers at
    /// once from the session); anyone else points to the leader it knows.
    fn on_client_request(&mut self, from: NodeId, request: Request, cx: &mut Cx<RaftProcess>) {
        if self.role != Role::Leader {
            let hint = self.leader_hint.filter(|&h| h != self.id);
            cx.send(
                from,
                RaftMessage::NotLeader {
                    sequence: request.sequence,
                    hint,
                },
            );
            return;
        }
        if self.bugs.stale_read {
            if let KvCommand::Get { key } = request.command {
                // The bug: no round through the log, so no check that this
                // server still leads.
                let value = self.store.get(key);
                cx.note(|| format!("answers {request} from its own store, without the log"));
                cx.send(
                    from,
                    RaftMessage::ClientReply {
                        sequence: request.sequence,
                        reply: super::message::Reply { ok: true, value },
                    },
                );
                return;
            }
        }
        if let Some(reply) = self
            .store
            .applied_reply(&request)
            .filter(|_| !self.bugs.no_dedup)
        {
            cx.note(|| format!("already applied {request}: answers again"));
            cx.send(
                from,
                RaftMessage::ClientReply {
                    sequence: request.sequence,
                    reply,
                },
            );
            return;
        }
        // Already in the log, not yet applied: the answer comes when it is. But
        // an entry of an earlier term is only committed by one of this term, so
        // the request is logged again (the session applies it once).
        let current = self.current_term;
        let waiting = self
            .log
            .get(self.last_applied.0 as usize..)
            .unwrap_or(&[])
            .iter()
            .any(|e| e.command == Command::Kv(request) && e.term == current);
        if waiting && !self.bugs.no_dedup {
            return;
        }
        self.append_as_leader(Command::Kv(request), cx);
    }

    /// Applies the entries committed since the last call, in order; the leader
    /// answers each client whose request it applies.
    fn apply_committed(&mut self, cx: &mut Cx<RaftProcess>) {
        while self.last_applied < self.commit_index {
            let index = self.last_applied.next();
            let Some(entry) = self.entry(index).copied() else {
                break;
            };
            self.last_applied = index;
            let Command::Kv(request) = entry.command else {
                continue;
            };
            let reply = self.store.apply(&request, !self.bugs.no_dedup);
            if self.role == Role::Leader {
                let to = self.client_node(request.client);
                cx.send(
                    to,
                    RaftMessage::ClientReply {
                        sequence: request.sequence,
                        reply,
                    },
                );
            }
        }
    }

    pub fn on_timeout_now(&mut self, cx: &mut Cx<RaftProcess>) {
        if self.role == Role::Leader {
            cx.note(|| "is already the leader".to_string());
        } else {
            self.start_election(cx);
        }
    }

    pub fn on_crash(&mut self) {
        self.store = KvStore::default();
        self.last_applied = LogIndex(0);
        self.role = Role::Follower;
        self.commit_index = LogIndex(0);
        self.leader_hint = None;
        self.votes.clear();
        self.next_index.clear();
        self.match_index.clear();
        if self.bugs.forget_vote_on_restart {
            self.voted_for = None;
        }
    }

    pub fn summary(&self) -> NodeSummary {
        NodeSummary {
            role: self.role.as_str(),
            palette: self.role.palette(),
            badge: format!("T{}", self.current_term),
            detail: format!(
                "{} {}, term {}, voted for {}, {} entries, commit {}",
                self.id,
                self.role.as_str(),
                self.current_term,
                vote_text(self.voted_for),
                self.log.len(),
                self.commit_index
            ),
        }
    }

    /// Feeds what decides this server's future into an exploration's fingerprint,
    /// naming nodes as `rename` says: not its own id (its place in the state
    /// says it), the constants, or `log_version`, which only counts changes.
    pub(crate) fn hash_explored(&self, rename: &Rename, hasher: &mut Fingerprint) {
        self.current_term.hash(hasher);
        rename.write(self.voted_for, hasher);
        self.log.hash(hasher);
        self.role.hash(hasher);
        self.commit_index.hash(hasher);
        rename.write(self.leader_hint, hasher);
        fingerprint::write_set(&self.votes, rename, hasher);
        hasher.write_usize(self.next_index.len());
        for new in 0..self.next_index.len() {
            let old = rename.old(new);
            self.next_index.get(old).hash(hasher);
            self.match_index.get(old).hash(hasher);
        }
        self.store.hash(hasher);
        self.last_applied.hash(hasher);
    }

    pub fn state_row(&self) -> Vec<Cell> {
        let commit = self.commit_index.0 as usize;
        let log = LogCell::tail(&self.log, commit, |i, entry| LogEntryCell {
            text: entry.term.to_string(),
            colour: entry.term.0,
            committed: i < commit,
            detail: format!("index {}: {entry}", i + 1),
        });
        vec![
            Cell::Text(self.current_term.to_string()),
            Cell::Text(vote_text(self.voted_for)),
            Cell::Text(self.commit_index.to_string()),
            Cell::Log(log),
        ]
    }
}
