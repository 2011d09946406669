//! Raft: leader election, log replication and commitment.
//!
//! **Problem.** A cluster of servers must agree on one sequence of commands although
//! servers crash and restart and messages are lost, delayed, duplicated and
//! reordered.
//!
//! **Idea.** Time is divided into terms; in each term at most one leader is elected by
//! a majority, and only the leader appends to the log. An entry is committed once a
//! majority stores it (for entries of the leader's own term), and a candidate can
//! only win if its log is at least as up-to-date as a majority's, so committed entries
//! survive every change of leader.
//!
//! **Follows** Ongaro and Ousterhout, "In Search of an Understandable Consensus
//! Algorithm" (USENIX ATC 2014): Figure 2 for the rules, section 5.4 for safety,
//! Figure 8 for why old-term entries are not committed by counting. Client requests
//! go to the leader; followers refuse them with a hint. No membership changes, log
//! compaction or PreVote.
//!
//! **Invariants** (Figure 3): election safety, log matching, leader completeness,
//! state machine safety — see [`checker`].
//!
//! **Bugs**: `commit-old-term`, `vote-without-log-check`, `forget-vote-on-restart`.

pub mod checker;
pub mod message;
pub mod node;
pub mod presets;

use crate::lab::params;
use crate::lab::protocol::{self, ProtocolTopic, Setup};
use crate::lab::topic::{BugInfo, Category, TopicInfo, TopicKind};
use crate::sim::time::NodeId;

use checker::{RaftChecker, ELECTION_SAFETY, LEADER_COMPLETENESS, STATE_MACHINE_SAFETY};
use message::{RaftOp, Role};
use node::{RaftBugs, RaftNode, RaftTiming};

pub const BUG_COMMIT_OLD_TERM: &str = "commit-old-term";
pub const BUG_VOTE_WITHOUT_LOG_CHECK: &str = "vote-without-log-check";
pub const BUG_FORGET_VOTE_ON_RESTART: &str = "forget-vote-on-restart";

/// The Raft topic.
pub struct RaftTopic;

pub static INFO: TopicInfo = TopicInfo {
    slug: "raft",
    title: "Raft",
    category: Category::Consensus,
    kind: TopicKind::Protocol,
    summary: "Leader election, log replication and commitment in the consensus algorithm designed to be understandable. Crash the leader, partition the cluster, replay the paper's Figure 8, and switch on a broken rule to watch the checker catch it.",
    reference: "Ongaro & Ousterhout, In Search of an Understandable Consensus Algorithm, USENIX ATC 2014 (Figures 2, 3 and 8)",
    params: &[
        params::nodes(5, 3, 7, 2),
        params::request_rate(2, 50),
        params::DROP_PERCENT,
        params::latency(30),
    ],
    presets: &presets::PRESETS,
    bugs: &[
        BugInfo {
            name: BUG_COMMIT_OLD_TERM,
            summary: "Commit an entry from an earlier term as soon as a majority stores it (the unsafe rule of the paper's Figure 8).",
            caught_by: &[LEADER_COMPLETENESS, STATE_MACHINE_SAFETY],
            budget: 2000,
        },
        BugInfo {
            name: BUG_VOTE_WITHOUT_LOG_CHECK,
            summary: "Grant votes without checking that the candidate's log is at least as up-to-date (section 5.4.1).",
            caught_by: &[LEADER_COMPLETENESS, STATE_MACHINE_SAFETY],
            budget: 50,
        },
        BugInfo {
            name: BUG_FORGET_VOTE_ON_RESTART,
            summary: "Keep votedFor only in memory, so a restarted server can vote twice in one term.",
            caught_by: &[ELECTION_SAFETY],
            budget: 500,
        },
    ],
    invariants: checker::INVARIANTS,
    columns: &["server", "role", "term", "voted for", "commit", "log"],
    build: protocol::build::<RaftTopic>,
};

impl ProtocolTopic for RaftTopic {
    const INFO: &'static TopicInfo = &INFO;
    type Node = RaftNode;
    type Checker = RaftChecker;
    const FOCUS_ROLE: &'static str = "leader";

    fn setup(setup: &Setup) -> (Vec<RaftNode>, RaftChecker) {
        let bugs = RaftBugs {
            commit_old_term: setup.bug(BUG_COMMIT_OLD_TERM),
            vote_without_log_check: setup.bug(BUG_VOTE_WITHOUT_LOG_CHECK),
            forget_vote_on_restart: setup.bug(BUG_FORGET_VOTE_ON_RESTART),
        };
        let count = setup.nodes;
        let nodes = (0..count as u32)
            .map(|i| RaftNode::new(NodeId(i), count, RaftTiming::default(), bugs))
            .collect();
        (nodes, RaftChecker::default())
    }

    /// The leader of the highest term among running servers, as a client that
    /// follows redirects would end up doing.
    fn focus(nodes: &[RaftNode], up: &[bool]) -> Option<NodeId> {
        nodes
            .iter()
            .zip(up)
            .filter(|(node, &up)| up && node.role() == Role::Leader)
            .max_by_key(|(node, _)| node.term())
            .map(|(node, _)| node.id())
    }

    /// The workload's request `index` carries the value `index`.
    fn client_request(index: u64) -> Option<RaftOp> {
        Some(RaftOp::Request { value: index })
    }
}

#[cfg(test)]
mod tests;
