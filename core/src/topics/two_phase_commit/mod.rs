//! Two-phase commit: atomic commitment of a distributed transaction, its
//! blocking, its termination protocols, and recovery from a durable log.
//!
//! **Problem.** A transaction has touched data at several sites. Either every
//! site makes its part durable (commit) or none does (abort), although sites
//! crash and restart and messages are lost, duplicated and delayed; and a site
//! must be able to abort its part on its own for local reasons (a failed
//! constraint, a deadlock) as long as it has not promised otherwise.
//!
//! **Idea.** One site, the coordinator, asks the others, the participants, to
//! prepare. A participant that can commit makes its part durable enough to
//! commit later (it force-writes a prepared record) and votes YES; from then on
//! it may no longer abort on its own and keeps the transaction's locks:
//! it is *uncertain*. The coordinator decides COMMIT only if every vote is YES,
//! force-writes the decision, and then tells everyone; the participants log it,
//! apply it, release the locks and acknowledge; after every acknowledgement the
//! coordinator writes an end record. The price is blocking: an uncertain
//! participant cannot decide alone, so if the coordinator crashes after the
//! votes, the participants hold their locks until it returns.
//!
//! **Follows** Gray, "Notes on Data Base Operating Systems" (1978), its
//! two-phase commit protocol (the log records, the acks and restart), and
//! Bernstein, Hadzilacos and Goodman, "Concurrency Control and Recovery in
//! Database Systems" (1987), chapter 7: section 7.3 for the atomic commitment
//! conditions, section 7.4 for the protocol (steps 1-4 label the rules in the
//! code), its timeout actions, the termination protocol and the cooperative
//! termination protocol (the `cooperative` parameter), and recovery. A
//! coordinator that finds no decision answers ABORT (presumed abort; Mohan,
//! Lindsay and Obermarck, "Transaction Management in the R* Distributed Database
//! Management System", 1986).
//!
//! **The model.** Node 0 is the coordinator; nodes 1..n are participants, and
//! every transaction involves every participant: a seeded subset would add no
//! rule (a site outside the transaction takes no part in it), and with all of
//! them every lock lane and every vote counts in every transaction. Transactions
//! begin by an operation (`begin T`, the page's Client request button and the
//! seeded workload); several can be in flight. A participant works on its part
//! for a few milliseconds under the transaction's locks before it votes, and its
//! part fails (it votes NO) with probability `abort-percent`, or on the next
//! transaction after the `vote-no` operation addressed to it. Every node keeps a
//! durable log ([`log`]); a crash drops everything else.
//!
//! **Invariants** ([`checker`]): atomicity, commit-validity, decision-stability.
//!
//! **Bugs**: `forget-decision-on-restart` (the decision is kept only in memory;
//! after a restart the coordinator finds a start record and no decision, and
//! aborts a transaction some participant already committed) and
//! `commit-before-all-votes` (the coordinator decides COMMIT once a majority of
//! the cluster, itself included, is ready).
//!
//! **Exploration** ([`explore`]): a coordinator and two participants, `begin T`
//! as the input; both bugs are found there by shortest paths of 4 and 9 steps.
//!
//! **Left out.** Presumed commit and the read-only optimisation; the
//! coordinator as a participant; a new coordinator elected to replace a dead
//! one (that is three-phase commit's territory); the data itself (a commit is a
//! log record, not a change to a store) and so lock conflicts (transactions hold
//! their locks side by side and never wait for each other's); forced and lazy writes are told apart
//! only in the notes (every record is durable at once). Lock intervals are
//! measured on the participant's own clock.

pub mod checker;
pub mod coordinator;
pub mod explore;
pub mod lock_view;
pub mod log;
pub mod message;
pub mod node;
pub mod participant;
pub mod presets;

use crate::lab::params;
use crate::lab::protocol::{self, OperationButton, ProtocolTopic, Setup};
use crate::lab::topic::{BugInfo, Category, ParamSpec, TopicInfo, TopicKind};
use crate::sim::time::NodeId;
use crate::sim::view::{Annotations, Chart};
use crate::sim::world::Simulation;

use checker::{TwoPhaseChecker, ATOMICITY, COMMIT_VALIDITY, DECISION_STABILITY};
use coordinator::Coordinator;
use message::{TransactionId, TwoPhaseOp};
use node::{Timing, TwoPhaseBugs, TwoPhaseNode};
use participant::Participant;

pub const BUG_FORGET_DECISION_ON_RESTART: &str = "forget-decision-on-restart";
pub const BUG_COMMIT_BEFORE_ALL_VOTES: &str = "commit-before-all-votes";

/// The chance, in percent, that a participant's part of a transaction fails.
pub const ABORT_PERCENT: &str = "abort-percent";
/// Whether uncertain participants also ask each other (0 off, 1 on).
pub const COOPERATIVE: &str = "cooperative";

const ABORT_PERCENT_PARAM: ParamSpec = ParamSpec {
    name: ABORT_PERCENT,
    label: "Votes NO (%)",
    default: 10,
    min: 0,
    max: 100,
    step: 1,
    help: "The chance that a participant's part of a transaction fails, so it aborts and votes NO.",
    choices: &[],
};

const COOPERATIVE_PARAM: ParamSpec = ParamSpec {
    name: COOPERATIVE,
    label: "Cooperative termination",
    default: 0,
    min: 0,
    max: 1,
    step: 1,
    help: "An uncertain participant asks the other participants too, not only the coordinator.",
    choices: &["off", "on"],
};

/// The two-phase commit topic.
pub struct TwoPhaseCommitTopic;

pub static INFO: TopicInfo = TopicInfo {
    slug: "two-phase-commit",
    title: "Two-phase commit",
    category: Category::Transactions,
    kind: TopicKind::Protocol,
    summary: "A coordinator asks every participant to prepare, commits only if all vote yes, and logs its decision before telling anyone. Make a participant vote no, crash the coordinator after the votes and watch the uncertain participants hold their locks until it returns, switch on cooperative termination, and break the protocol to watch the checker catch a transaction committed at one site and aborted at another.",
    reference: "Gray, Notes on Data Base Operating Systems, 1978 (two-phase commit); Bernstein, Hadzilacos & Goodman, Concurrency Control and Recovery in Database Systems, 1987 (chapter 7)",
    params: &[
        params::nodes(4, 3, 7, 1),
        params::request_rate(2, 20),
        ABORT_PERCENT_PARAM,
        COOPERATIVE_PARAM,
        params::DROP_PERCENT,
        params::latency(30),
    ],
    presets: &presets::PRESETS,
    bugs: &[
        BugInfo {
            name: BUG_FORGET_DECISION_ON_RESTART,
            summary: "The coordinator keeps its decision only in memory, so after a restart it finds no decision in its log and presumes abort for a transaction some participant already committed.",
            caught_by: &[DECISION_STABILITY, ATOMICITY],
            // Measured: 1867 of the first 2000 heavy seeds, never 3 misses in a row.
            budget: 20,
        },
        BugInfo {
            name: BUG_COMMIT_BEFORE_ALL_VOTES,
            summary: "The coordinator decides COMMIT as soon as a majority of the cluster (itself included) is ready, as if two-phase commit were a quorum protocol.",
            caught_by: &[COMMIT_VALIDITY, ATOMICITY],
            // Measured: every one of the first 2000 heavy seeds.
            budget: 10,
        },
    ],
    invariants: checker::INVARIANTS,
    expected: &[],
    columns: &[
        "node",
        "role",
        "durable log",
        "in progress",
        "locks held since",
        "uncertain",
        "lock-held time",
    ],
    build: protocol::build::<TwoPhaseCommitTopic>,
};

impl ProtocolTopic for TwoPhaseCommitTopic {
    const INFO: &'static TopicInfo = &INFO;
    type Node = TwoPhaseNode;
    type Checker = TwoPhaseChecker;
    const FOCUS_ROLE: &'static str = "coordinator";
    const EXPLORABLE: bool = true;

    fn setup(setup: &Setup) -> (Vec<TwoPhaseNode>, TwoPhaseChecker) {
        let bugs = TwoPhaseBugs {
            forget_decision_on_restart: setup.bug(BUG_FORGET_DECISION_ON_RESTART),
            commit_before_all_votes: setup.bug(BUG_COMMIT_BEFORE_ALL_VOTES),
        };
        let nodes = setup.nodes.max(2);
        let abort_percent = setup.param(ABORT_PERCENT).clamp(0, 100) as u32;
        let cooperative = setup.param(COOPERATIVE) != 0;
        let timing = Timing::default();
        let mut members = vec![TwoPhaseNode::Coordinator(Coordinator::new(
            NodeId(0),
            nodes,
            timing,
            bugs,
        ))];
        members.extend((1..nodes as u32).map(|i| {
            TwoPhaseNode::Participant(Participant::new(
                NodeId(i),
                nodes,
                timing,
                abort_percent,
                cooperative,
            ))
        }));
        (members, TwoPhaseChecker::default())
    }

    /// The coordinator, while it runs: transactions begin there.
    fn focus(_nodes: &[TwoPhaseNode], up: &[bool]) -> Option<NodeId> {
        up.first().copied().unwrap_or(false).then_some(NodeId(0))
    }

    const CLIENT_REQUEST: &'static str = "Begin transaction";

    /// The page's Begin transaction button and the seeded workload: request
    /// `index` begins transaction `T<index>`.
    fn client_request(index: u64) -> Option<TwoPhaseOp> {
        Some(TwoPhaseOp::Begin {
            transaction: TransactionId(index),
        })
    }

    /// Make a participant's part of the next transaction fail, so it votes no.
    const OPERATIONS: &'static [OperationButton] = &[OperationButton {
        label: "Vote no",
        help: "The chosen participant's part of the next transaction fails, so it votes NO and the transaction aborts",
        at_node: true,
    }];

    fn operation(button: usize, at: NodeId, _setup: &Setup, _sent: u64) -> Option<TwoPhaseOp> {
        // The coordinator has no part to fail.
        (button == 0 && at != NodeId(0)).then_some(TwoPhaseOp::VoteNo { participant: at })
    }

    /// A lane of lock-held time per participant: uncertain intervals (prepared,
    /// waiting for the decision) stand out from the rest.
    const ANNOTATED: bool = true;

    fn annotations(simulation: &Simulation<TwoPhaseNode, TwoPhaseChecker>) -> Annotations {
        lock_view::lock_annotations(simulation.nodes())
    }

    const CHARTED: bool = true;

    /// Lock-held time per participant: the blocking window a coordinator crash
    /// opens shows as one bar outgrowing the others.
    fn charts(simulation: &Simulation<TwoPhaseNode, TwoPhaseChecker>) -> Vec<Chart> {
        vec![lock_view::lock_held_chart(
            simulation.nodes(),
            simulation.now(),
        )]
    }
}

#[cfg(test)]
mod tests;
