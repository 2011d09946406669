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

use crate::catalog::{BugInfo, BuildError, Category, ParamSpec, TopicInfo, TopicKind};
use crate::run::{Run, RunOptions};
use crate::scenario::Scenario;
use crate::sim::network::NetworkConfig;
use crate::sim::time::{Duration, NodeId};
use crate::sim::world::Simulation;

use checker::RaftChecker;
use message::Role;
use node::{RaftBugs, RaftNode, RaftTiming};

pub const BUG_COMMIT_OLD_TERM: &str = "commit-old-term";
pub const BUG_VOTE_WITHOUT_LOG_CHECK: &str = "vote-without-log-check";
pub const BUG_FORGET_VOTE_ON_RESTART: &str = "forget-vote-on-restart";

/// The simulation type of a Raft run, for pages and tests that downcast.
pub type RaftSimulation = Simulation<RaftNode, RaftChecker>;

pub static INFO: TopicInfo = TopicInfo {
    slug: "raft",
    title: "Raft",
    category: Category::Consensus,
    kind: TopicKind::Protocol,
    summary: "Leader election, log replication and commitment in the consensus algorithm designed to be understandable. Crash the leader, partition the cluster, replay the paper's Figure 8, and switch on a broken rule to watch the checker catch it.",
    reference: "Ongaro & Ousterhout, In Search of an Understandable Consensus Algorithm, USENIX ATC 2014 (Figures 2, 3 and 8)",
    params: &[
        ParamSpec {
            name: "nodes",
            label: "Servers",
            default: 5,
            min: 3,
            max: 7,
            step: 2,
            help: "Cluster size: 3, 5 or 7 servers.",
        },
        ParamSpec {
            name: "rate",
            label: "Client requests per second",
            default: 2,
            min: 0,
            max: 50,
            step: 1,
            help: "Automatic client requests, sent to the current leader.",
        },
        ParamSpec {
            name: "drop",
            label: "Message loss (%)",
            default: 0,
            min: 0,
            max: 90,
            step: 1,
            help: "Probability that the network loses a message, from the start.",
        },
        ParamSpec {
            name: "latency",
            label: "Max latency (ms)",
            default: 30,
            min: 3,
            max: 300,
            step: 1,
            help: "One-way latency is uniform between a third of this and this.",
        },
    ],
    presets: presets::PRESETS,
    bugs: &[
        BugInfo {
            name: BUG_COMMIT_OLD_TERM,
            summary: "Commit an entry from an earlier term as soon as a majority stores it (the unsafe rule of the paper's Figure 8).",
            caught_by: "leader-completeness, state-machine-safety",
        },
        BugInfo {
            name: BUG_VOTE_WITHOUT_LOG_CHECK,
            summary: "Grant votes without checking that the candidate's log is at least as up-to-date (section 5.4.1).",
            caught_by: "leader-completeness, state-machine-safety",
        },
        BugInfo {
            name: BUG_FORGET_VOTE_ON_RESTART,
            summary: "Keep votedFor only in memory, so a restarted server can vote twice in one term.",
            caught_by: "election-safety",
        },
    ],
    invariants: checker::INVARIANTS,
    columns: &["server", "role", "term", "voted for", "commit", "log"],
    build,
};

/// The leader of the highest term among running servers takes unaddressed client
/// requests, as a client that follows redirects would end up doing.
fn route_to_leader(nodes: &[RaftNode], up: &[bool]) -> Option<NodeId> {
    nodes
        .iter()
        .zip(up)
        .filter(|(node, &up)| up && node.role() == Role::Leader)
        .max_by_key(|(node, _)| node.term())
        .map(|(node, _)| node.id())
}

fn build(scenario: &Scenario, options: RunOptions) -> Result<Box<dyn Run>, BuildError> {
    INFO.validate(scenario)?;
    let count = INFO.param(scenario, "nodes") as usize;
    let latency_max = Duration::from_millis(INFO.param(scenario, "latency") as u64);
    let bug = scenario.bug.as_deref();
    let bugs = RaftBugs {
        commit_old_term: bug == Some(BUG_COMMIT_OLD_TERM),
        vote_without_log_check: bug == Some(BUG_VOTE_WITHOUT_LOG_CHECK),
        forget_vote_on_restart: bug == Some(BUG_FORGET_VOTE_ON_RESTART),
    };
    let nodes = (0..count as u32)
        .map(|i| RaftNode::new(NodeId(i), count, RaftTiming::default(), bugs))
        .collect();
    let network = NetworkConfig {
        latency_min: Duration(latency_max.as_micros() / 3),
        latency_max,
        drop_ppm: INFO.param(scenario, "drop") as u32 * 10_000,
        ..NetworkConfig::default()
    };
    let mut simulation = Simulation::new(
        &INFO,
        nodes,
        RaftChecker::default(),
        scenario.seed,
        network,
        options,
    )
    .with_client_router(route_to_leader);
    let scripted = scenario
        .preset
        .as_deref()
        .map(presets::actions)
        .unwrap_or_default();
    simulation.schedule_scenario(
        scenario,
        scripted,
        INFO.param(scenario, "rate") as u64,
        options,
    );
    Ok(Box::new(simulation))
}

#[cfg(test)]
mod tests;
