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
//! **Clients.** The log drives a key-value store (get, put, cas, append; see
//! [`kv`]). Client processes ([`client`]) run operations against it, wait for the
//! answer, ask again with the same sequence number, and give up when no answer
//! comes; every invocation and completion goes into the run's client history.
//! Reads go through the log (Ongaro's thesis, chapter 6).
//!
//! **Invariants** (Figure 3): election safety, log matching, leader completeness,
//! state machine safety; and the clients' history is linearizable — see
//! [`checker`].
//!
//! **Bugs**: `commit-old-term`, `vote-without-log-check`, `forget-vote-on-restart`,
//! `stale-read`, `no-dedup`.

pub mod checker;
pub mod client;
pub mod explore;
pub mod kv;
pub mod message;
pub mod node;
pub mod presets;
pub mod process;

use crate::lab::params;
use crate::lab::protocol::{self, ProtocolTopic, Setup};
use crate::lab::topic::{BugInfo, Category, TopicInfo, TopicKind};
use crate::sim::time::NodeId;

use checker::{
    RaftChecker, ELECTION_SAFETY, LEADER_COMPLETENESS, LINEARIZABLE, STATE_MACHINE_SAFETY,
};
use client::KvClient;
use message::{RaftOp, Role};
use node::{RaftBugs, RaftNode, RaftTiming};
use process::RaftProcess;

use crate::lab::topic::ParamSpec;
use crate::sim::time::Duration;

pub const BUG_COMMIT_OLD_TERM: &str = "commit-old-term";
pub const BUG_VOTE_WITHOUT_LOG_CHECK: &str = "vote-without-log-check";
pub const BUG_FORGET_VOTE_ON_RESTART: &str = "forget-vote-on-restart";
pub const BUG_STALE_READ: &str = "stale-read";
pub const BUG_NO_DEDUP: &str = "no-dedup";

/// How many client processes run the key-value workload.
pub const CLIENTS: &str = "clients";

const CLIENTS_PARAM: ParamSpec = ParamSpec {
    name: CLIENTS,
    label: "Clients",
    default: 3,
    min: 0,
    max: 5,
    step: 1,
    help: "Client processes of the key-value service; they share the request rate.",
    choices: &[],
};

/// The Raft topic.
pub struct RaftTopic;

pub static INFO: TopicInfo = TopicInfo {
    slug: "raft",
    title: "Raft",
    category: Category::Consensus,
    kind: TopicKind::Protocol,
    summary: "Leader election, log replication and commitment in the consensus algorithm designed to be understandable. Crash the leader, partition the cluster, replay the paper's Figure 8, and switch on a broken rule to watch the checker catch it. Clients use a key-value store kept on the log; their reads go through the log too (not ReadIndex), and what they saw is checked for linearizability.",
    reference: "Ongaro & Ousterhout, In Search of an Understandable Consensus Algorithm, USENIX ATC 2014 (Figures 2, 3 and 8)",
    params: &[
        params::nodes(5, 3, 7, 2),
        params::request_rate(2, 50),
        CLIENTS_PARAM,
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
        BugInfo {
            name: BUG_STALE_READ,
            summary: "The leader answers reads from its own store without going through the log, so a deposed leader that has not noticed serves old values (thesis §6.4).",
            caught_by: &[LINEARIZABLE],
            budget: 2000,
        },
        BugInfo {
            name: BUG_NO_DEDUP,
            summary: "Apply every committed request, even a retry of one already applied, so an append asked again after a lost answer is applied twice (thesis §6.3).",
            caught_by: &[LINEARIZABLE],
            budget: 2000,
        },
    ],
    invariants: checker::INVARIANTS,
    expected: &[],
    columns: &["process", "role", "term", "voted for", "commit", "log"],
    build: protocol::build::<RaftTopic>,
};

impl ProtocolTopic for RaftTopic {
    const INFO: &'static TopicInfo = &INFO;
    type Node = RaftProcess;
    type Checker = RaftChecker;
    const FOCUS_ROLE: &'static str = "leader";
    const LINEARIZABLE_HISTORY: bool = true;
    const EXPLORABLE: bool = true;

    /// Servers `0..nodes`, then the clients, which share the request rate: each
    /// pauses `clients / rate` seconds on average between operations.
    fn setup(setup: &Setup) -> (Vec<RaftProcess>, RaftChecker) {
        let bugs = RaftBugs {
            commit_old_term: setup.bug(BUG_COMMIT_OLD_TERM),
            vote_without_log_check: setup.bug(BUG_VOTE_WITHOUT_LOG_CHECK),
            forget_vote_on_restart: setup.bug(BUG_FORGET_VOTE_ON_RESTART),
            stale_read: setup.bug(BUG_STALE_READ),
            no_dedup: setup.bug(BUG_NO_DEDUP),
        };
        let servers = setup.nodes;
        let clients = setup.param(CLIENTS).clamp(0, CLIENTS_PARAM.max) as u32;
        let rate = setup.param(params::REQUEST_RATE).max(0) as u64;
        let think = (rate > 0).then(|| Duration(clients as u64 * 1_000_000 / rate));
        let mut processes: Vec<RaftProcess> = (0..servers as u32)
            .map(|i| {
                RaftProcess::Server(RaftNode::new(
                    NodeId(i),
                    servers,
                    RaftTiming::default(),
                    bugs,
                ))
            })
            .collect();
        processes.extend((0..clients).map(|client| {
            RaftProcess::Client(KvClient::new(
                NodeId(servers as u32 + client),
                client,
                servers,
                think,
            ))
        }));
        (processes, RaftChecker::default())
    }

    /// The leader of the highest term among running servers, as a client that
    /// follows redirects would end up doing.
    fn focus(nodes: &[RaftProcess], up: &[bool]) -> Option<NodeId> {
        nodes
            .iter()
            .zip(up)
            .filter_map(|(node, &up)| node.server().filter(|_| up))
            .filter(|server| server.role() == Role::Leader)
            .max_by_key(|server| server.term())
            .map(|server| server.id())
    }

    /// The page's Client request button: a bare value for the leader to log.
    fn client_request(index: u64) -> Option<RaftOp> {
        Some(RaftOp::Request { value: index })
    }

    /// The clients run the workload themselves, so the plan adds none.
    fn planned_request(_index: u64) -> Option<RaftOp> {
        None
    }
}

#[cfg(test)]
mod tests;
