//! Raft's safety properties (Figure 3 of the Raft paper), checked after every step.
//!
//! The checker keeps two registries so each step costs little: which node led each
//! term, and every entry some node has seen committed (with the term in which it was
//! first seen committed). Against them it checks:
//! - **election safety**: at most one leader per term;
//! - **log matching**: two logs with an entry of the same index and term are
//!   identical up to that index;
//! - **leader completeness**: a committed entry is in the log of every leader of a
//!   later term;
//! - **state machine safety**: no two servers apply different entries at one index.
//!
//! "Seen committed in term T" is the term of the server when it first knew the entry
//! was committed; the true commit term is never later, so the check never blames a
//! correct server.
//!
//! And over the clients' history (after every step in which an operation
//! completed):
//! - **linearizable**: the key-value operations can be put in one order, each
//!   taking effect at an instant between its invocation and its completion, that
//!   the store's model explains ([`crate::history::check`]).

use std::hash::{Hash, Hasher};

use crate::explore::fingerprint::{Fingerprint, Rename};
use crate::history::{History, LiveChecker, Verdict};
use crate::lab::topic::InvariantInfo;
use crate::sim::checker::{Checker, Violation};
use crate::sim::time::{NodeId, Time};

use super::message::{Entry, LogIndex, Role, Term};
use super::node::RaftNode;
use super::process::RaftProcess;

pub const ELECTION_SAFETY: &str = "election-safety";
pub const LOG_MATCHING: &str = "log-matching";
pub const LEADER_COMPLETENESS: &str = "leader-completeness";
pub const STATE_MACHINE_SAFETY: &str = "state-machine-safety";
pub const LINEARIZABLE: &str = "linearizable";

pub const INVARIANTS: &[InvariantInfo] = &[
    InvariantInfo {
        name: ELECTION_SAFETY,
        summary: "At most one leader can be elected in a given term.",
    },
    InvariantInfo {
        name: LOG_MATCHING,
        summary: "If two logs contain an entry with the same index and term, the logs are identical in all entries up through that index.",
    },
    InvariantInfo {
        name: LEADER_COMPLETENESS,
        summary: "If an entry is committed in a term, it is present in the logs of the leaders of all higher terms.",
    },
    InvariantInfo {
        name: STATE_MACHINE_SAFETY,
        summary: "If a server has applied an entry at an index, no other server ever applies a different entry at that index.",
    },
    InvariantInfo {
        name: LINEARIZABLE,
        summary: "Every client operation appears to take effect at one instant between its invocation and its completion, in an order the key-value store explains.",
    },
];

#[derive(Clone, Copy, Debug)]
struct Committed {
    entry: Entry,
    /// The term of the first server seen with this entry committed.
    seen_in: Term,
    seen_by: NodeId,
}

/// Histories longer than this are not checked live (the search could take
/// seconds); the CLI's `history` command exports them for an offline checker.
pub const MAX_CHECKED_HISTORY: usize = 20_000;

/// The incremental checker for [`RaftNode`] clusters.
#[derive(Clone, Debug, Default)]
pub struct RaftChecker {
    /// The linearizability search, re-checking only the keys that changed.
    linearizability: LiveChecker,
    /// Set once the history is found not linearizable: a longer history stays
    /// so, and the violation is reported once.
    history_broken: bool,
    /// Sorted by term (terms mostly grow, so inserts land at the end).
    leaders: Vec<(Term, NodeId)>,
    /// Committed entries by index - 1.
    committed: Vec<Committed>,
    /// Per node: the commit index already compared with the registry.
    checked_commit: Vec<LogIndex>,
    /// Per node: the log version last compared with the other logs.
    checked_log: Vec<Option<u64>>,
    /// Per node: the term in which it was last checked as leader.
    checked_leader: Vec<Option<Term>>,
}

impl RaftChecker {
    /// Feeds the registries into an exploration's fingerprint (not the caches,
    /// which only save work, nor who first saw an entry committed, which only
    /// goes into messages).
    pub(crate) fn hash_explored(&self, rename: &Rename, hasher: &mut Fingerprint) {
        hasher.write_usize(self.leaders.len());
        for &(term, leader) in &self.leaders {
            term.hash(hasher);
            rename.write(Some(leader), hasher);
        }
        hasher.write_usize(self.committed.len());
        for committed in &self.committed {
            committed.entry.hash(hasher);
            committed.seen_in.hash(hasher);
        }
        self.history_broken.hash(hasher);
    }

    fn ensure_size(&mut self, nodes: usize) {
        if self.checked_commit.len() < nodes {
            self.checked_commit.resize(nodes, LogIndex(0));
            self.checked_log.resize(nodes, None);
            self.checked_leader.resize(nodes, None);
        }
    }

    fn check_election_safety(&mut self, node: &RaftNode, found: &mut Vec<Violation>) {
        if node.role() != Role::Leader {
            return;
        }
        let leader = match self
            .leaders
            .binary_search_by(|(term, _)| term.cmp(&node.term()))
        {
            Ok(at) => self.leaders[at].1,
            Err(at) => {
                self.leaders.insert(at, (node.term(), node.id()));
                node.id()
            }
        };
        if leader != node.id() {
            found.push(Violation {
                invariant: ELECTION_SAFETY,
                message: format!(
                    "{} and {} were both elected leader of term {}",
                    leader,
                    node.id(),
                    node.term()
                ),
            });
        }
    }

    fn check_log_matching(
        &mut self,
        nodes: &[RaftProcess],
        node: &RaftNode,
        found: &mut Vec<Violation>,
    ) {
        let changed = node.id().index();
        if self.checked_log[changed] == Some(node.log_version()) {
            return;
        }
        self.checked_log[changed] = Some(node.log_version());
        let others = nodes.iter().filter_map(RaftProcess::server);
        for other in others.filter(|o| o.id() != node.id()) {
            let (a, b) = (node.log(), other.log());
            let shared = a.len().min(b.len());
            // The highest index where both logs have an entry of the same term.
            let Some(top) = (0..shared).rev().find(|&i| a[i].term == b[i].term) else {
                continue;
            };
            if let Some(bad) = (0..=top).find(|&i| a[i] != b[i]) {
                found.push(Violation {
                    invariant: LOG_MATCHING,
                    message: format!(
                        "{} and {} both hold an entry of term {} at index {} but differ at index {} ({} vs {})",
                        node.id(),
                        other.id(),
                        a[top].term,
                        top + 1,
                        bad + 1,
                        a[bad],
                        b[bad]
                    ),
                });
            }
        }
    }

    /// Registers newly committed entries of `node`; returns whether any were new.
    fn check_state_machine(&mut self, node: &RaftNode, found: &mut Vec<Violation>) -> bool {
        let me = node.id().index();
        let commit = node.commit_index();
        if commit < self.checked_commit[me] {
            // A restart forgets the commit index; entries below it were checked.
            self.checked_commit[me] = commit;
            return false;
        }
        let mut added = false;
        let start = self.checked_commit[me].0 + 1;
        for index in start..=commit.0 {
            let Some(entry) = node.entry(LogIndex(index)).copied() else {
                break;
            };
            let slot = index as usize - 1;
            match self.committed.get(slot) {
                Some(known) if known.entry != entry => found.push(Violation {
                    invariant: STATE_MACHINE_SAFETY,
                    message: format!(
                        "{} applied {} at index {} but {} applied {} there",
                        node.id(),
                        entry,
                        index,
                        known.seen_by,
                        known.entry
                    ),
                }),
                Some(_) => {}
                None => {
                    // Commit indexes only grow a log's committed prefix, so the
                    // registry grows by appending.
                    if slot == self.committed.len() {
                        self.committed.push(Committed {
                            entry,
                            seen_in: node.term(),
                            seen_by: node.id(),
                        });
                        added = true;
                    }
                }
            }
        }
        self.checked_commit[me] = commit;
        added
    }

    fn check_leader_completeness(&self, leader: &RaftNode, found: &mut Vec<Violation>) {
        for (i, known) in self.committed.iter().enumerate() {
            if known.seen_in >= leader.term() {
                continue;
            }
            let index = LogIndex(i as u64 + 1);
            if leader.entry(index) != Some(&known.entry) {
                let has = leader
                    .entry(index)
                    .map_or_else(|| "nothing".to_string(), |e| e.to_string());
                found.push(Violation {
                    invariant: LEADER_COMPLETENESS,
                    message: format!(
                        "{} leads term {} but holds {} at index {}, where {} was committed in term {}",
                        leader.id(),
                        leader.term(),
                        has,
                        index,
                        known.entry,
                        known.seen_in
                    ),
                });
                return;
            }
        }
    }
}

impl Checker<RaftProcess> for RaftChecker {
    fn check_history(&mut self, history: &History, _now: Time, found: &mut Vec<Violation>) {
        if self.history_broken || history.events.len() > MAX_CHECKED_HISTORY {
            return;
        }
        if let Verdict::NotLinearizable(counterexample) = self.linearizability.check(history) {
            self.history_broken = true;
            found.push(Violation {
                invariant: LINEARIZABLE,
                message: counterexample.explanation.clone(),
            });
        }
    }

    fn check(
        &mut self,
        nodes: &[RaftProcess],
        up: &[bool],
        changed: NodeId,
        _now: Time,
        found: &mut Vec<Violation>,
    ) {
        self.ensure_size(nodes.len());
        let me = changed.index();
        // Clients hold no log: only a server's step can break these.
        let Some(node) = nodes.get(me).and_then(RaftProcess::server) else {
            return;
        };
        self.check_election_safety(node, found);
        self.check_log_matching(nodes, node, found);
        let registry_grew = self.check_state_machine(node, found);

        // A new leader must hold everything committed before its term.
        if node.role() == Role::Leader && self.checked_leader[me] != Some(node.term()) {
            self.checked_leader[me] = Some(node.term());
            self.check_leader_completeness(node, found);
        }
        // A newly committed entry must already be in every later-term leader's log.
        if registry_grew {
            for (i, other) in nodes.iter().enumerate() {
                let Some(other) = other.server() else {
                    continue;
                };
                if i != me && up[i] && other.role() == Role::Leader {
                    self.check_leader_completeness(other, found);
                }
            }
        }
    }
}
