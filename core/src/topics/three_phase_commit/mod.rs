//! Three-phase commit: atomic commitment that does not block when the
//! coordinator crashes, and the split brain it suffers when the network
//! partitions.
//!
//! **Problem.** Two-phase commit blocks: a participant that voted YES is
//! uncertain, and if the coordinator crashes it cannot decide alone, since
//! some other participant may already have committed (or aborted). It holds
//! the transaction's locks until the coordinator returns.
//!
//! **Idea.** Skeen's theorem: a commit protocol is nonblocking (for site
//! failures) if and only if no local state is adjacent to both commit and
//! abort, and no non-committable state is adjacent to commit. Two-phase
//! commit's uncertain state is next to both. Three-phase commit puts a state
//! between: after every YES the coordinator first sends PreCommit, and only
//! when every live participant is pre-committed does it send DoCommit. Now a
//! participant that is still uncertain knows nobody has committed, and a
//! pre-committed one knows every vote was YES. When the coordinator falls
//! silent, the participants elect a new coordinator (the lowest live id),
//! which collects their states and decides: someone committed, commit;
//! someone aborted, abort; someone pre-committed, pre-commit everyone, then
//! commit; everyone uncertain, abort. The timeouts read as Skeen's rule:
//! uncertain times out to abort, pre-committed times out to commit.
//!
//! **Its assumption, and what breaks it.** All this holds when a timeout
//! means a crash: a synchronous network that delays within a bound and never
//! loses a message or splits. Under a network partition each side takes the
//! other for crashed and terminates on its own: a side holding a
//! pre-committed participant commits, a side holding only uncertain ones
//! aborts, and atomicity is gone. This is not a bug of the model but the
//! theory (Skeen and Stonebraker 1983: no commit protocol is nonblocking
//! under partitions), so the topic declares the violation as expected
//! ([`INFO`]'s `expected`); the fault level `crashes` (crashes and restarts,
//! delays, duplicates and reordering, but no loss and no partition) must stay
//! clean, and the conformance suite checks both. A lost message is a
//! partition of one message: a timeout cannot tell it from a crash either.
//!
//! **Follows** Skeen, "Nonblocking Commit Protocols" (SIGMOD 1981), the
//! central-site three-phase protocol and its termination by a backup
//! coordinator; Skeen and Stonebraker, "A Formal Model of Crash Recovery in a
//! Distributed System" (1983) for the failure model; and Bernstein, Hadzilacos
//! and Goodman, "Concurrency Control and Recovery in Database Systems" (1987),
//! section 7.5, for the termination rules (TR1 to TR4) and recovery. Built on
//! the two-phase commit topic: the same transactions, votes, operations,
//! presets and views, so the two can be compared on one seed.
//!
//! **The model.** Node 0 coordinates; nodes 1..n participate in every
//! transaction. A site sends a broadcast one message at a time (10 ms apart;
//! each transaction's broadcasts on their own), so a crash can cut a broadcast
//! short: the failure the extra phase is for. (Two-phase commit's topic sends
//! all of a broadcast at once.)
//! A participant back from a crash that had voted YES asks for the outcome and
//! takes no part in a termination: while it was down the others may have
//! moved on ([`termination`]). So "nonblocking" means what Skeen proves: no
//! site that stays up waits; after a total failure (every site that took part
//! has crashed since) the returning sites only ask, and wait, as the theory
//! says they must (it needs the last site to fail; that recovery is left out).
//!
//! **Invariants** ([`checker`]): atomicity (expected to fail under
//! partitions), commit-validity, decision-stability.
//!
//! **Bugs**: `commit-without-precommit` (the coordinator sends DoCommit right
//! after the votes: two-phase commit with three-phase commit's timeouts, and
//! a crash in the middle of the DoCommit broadcast splits the outcome with
//! crashes alone) and `timeout-decides-alone` (each participant applies the
//! timeout rule by itself, without a new coordinator looking at everyone's
//! state: a crash halfway through the PreCommit broadcast splits the outcome).
//!
//! **Left out.** Quorum-based three-phase commit (Skeen 1982), which survives
//! partitions by blocking the minority. An explorer: the protocol's safety
//! rests on a timeout meaning a crash (every timeout outlasts the slowest
//! answer), and the explorer fires any pending timer first, which is a
//! partition of its own; so it cannot opt in yet (see `adding-a-topic.md`).

pub mod checker;
pub mod coordinator;
/// Two-phase commit's durable log, whose pre-commit record is this protocol's.
pub use crate::topics::two_phase_commit::log;
pub mod message;
pub mod node;
pub mod participant;
pub mod presets;
pub mod termination;

use crate::lab::machine::{MachineState, StateMachine, Transition};
use crate::lab::params;
use crate::lab::protocol::{self, OperationButton, ProtocolTopic, Setup};
use crate::lab::topic::{BugInfo, Category, ExpectedViolation, ParamSpec, TopicInfo, TopicKind};
use crate::sim::time::NodeId;
use crate::sim::view::{Annotations, Chart};
use crate::sim::world::Simulation;
use crate::topics::two_phase_commit::lock_view;

use checker::{ThreePhaseChecker, ATOMICITY};
use coordinator::{Coordinator, Round};
use message::{Decision, ThreePhaseOp, TransactionId};
use node::{ThreePhaseBugs, ThreePhaseNode, Timing};
use participant::{Participant, Phase};

pub const BUG_COMMIT_WITHOUT_PRECOMMIT: &str = "commit-without-precommit";
pub const BUG_TIMEOUT_DECIDES_ALONE: &str = "timeout-decides-alone";

/// The chance, in percent, that a participant's part of a transaction fails
/// (two-phase commit's parameter).
pub const ABORT_PERCENT: &str = crate::topics::two_phase_commit::ABORT_PERCENT;

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

/// The three-phase commit topic.
pub struct ThreePhaseCommitTopic;

pub static INFO: TopicInfo = TopicInfo {
    slug: "three-phase-commit",
    title: "Three-phase commit",
    category: Category::Transactions,
    kind: TopicKind::Protocol,
    summary: "Two-phase commit with a pre-commit round between the votes and the commit, so that when the coordinator crashes the participants elect a new one and finish on their own instead of holding their locks. Crash the coordinator where two-phase commit blocks and watch three-phase commit terminate, then partition the network and watch the two sides decide differently: the split brain the theory predicts.",
    reference: "Skeen, Nonblocking Commit Protocols, SIGMOD 1981; Skeen & Stonebraker, A Formal Model of Crash Recovery in a Distributed System, 1983; Bernstein, Hadzilacos & Goodman, Concurrency Control and Recovery in Database Systems, 1987 (chapter 7)",
    params: &[
        params::nodes(4, 3, 7, 1),
        params::request_rate(2, 20),
        ABORT_PERCENT_PARAM,
        params::DROP_PERCENT,
        params::latency(30),
    ],
    presets: &presets::PRESETS,
    bugs: &[
        BugInfo {
            name: BUG_COMMIT_WITHOUT_PRECOMMIT,
            summary: "The coordinator sends DoCommit as soon as every vote is YES, skipping the pre-commit round: if it crashes halfway through the DoCommit broadcast and the participants that heard it are down, the rest are all uncertain and the termination protocol aborts what they committed.",
            caught_by: &[ATOMICITY],
            // Measured over the first 2000 seeds: 70 with heavy faults (the
            // first is seed 0), 8 with crashes alone (the first is seed 402):
            // it needs a crash in the middle of a DoCommit broadcast and the
            // participants that heard it down when the others terminate.
            budget: 2000,
        },
        BugInfo {
            name: BUG_TIMEOUT_DECIDES_ALONE,
            summary: "A participant that times out applies the timeout rule on its own (uncertain: abort; pre-committed: commit) instead of electing a new coordinator: when the coordinator crashes halfway through the PreCommit broadcast, the pre-committed commit and the uncertain abort.",
            caught_by: &[ATOMICITY],
            // Measured over the first 2000 seeds: 675 with heavy faults, 308
            // with crashes alone; at most 16 and 43 seeds in a row without.
            budget: 100,
        },
    ],
    invariants: checker::INVARIANTS,
    expected: &[ExpectedViolation {
        invariant: ATOMICITY,
        when: "network partitions and lost messages",
        explanation: "Each side of a partition takes the other for crashed and runs the termination protocol on the states it can see: a side with a pre-committed participant commits, a side with only uncertain ones aborts. A lost message is a partition of one message: a timeout cannot tell it from a crash either. No commit protocol is nonblocking under partitions (Skeen & Stonebraker, 1983); with crashes alone the invariant holds.",
        // Measured: 85 of the first 2000 heavy seeds (the first is seed 42).
        budget: 300,
    }],
    columns: &[
        "node",
        "role",
        "durable log",
        "in progress",
        "locks held since",
        "uncertain",
        "lock-held time",
    ],
    build: protocol::build::<ThreePhaseCommitTopic>,
};

const INITIAL: usize = 0;
const UNCERTAIN: usize = 1;
const PRE_COMMITTED: usize = 2;
const COMMITTED: usize = 3;
const ABORTED: usize = 4;

/// Skeen's participant automaton (q, w, p, c, a) with its timeout transitions.
pub static MACHINE: StateMachine = StateMachine {
    title: "each node's latest transaction",
    states: &[
        MachineState {
            name: "initial",
            x: 0,
            y: 0,
        },
        MachineState {
            name: "uncertain",
            x: 1,
            y: 0,
        },
        MachineState {
            name: "pre-committed",
            x: 2,
            y: 0,
        },
        MachineState {
            name: "committed",
            x: 3,
            y: 0,
        },
        MachineState {
            name: "aborted",
            x: 1,
            y: 1,
        },
    ],
    transitions: &[
        Transition {
            from: INITIAL,
            to: UNCERTAIN,
            label: "vote YES",
            timeout: false,
        },
        Transition {
            from: INITIAL,
            to: ABORTED,
            label: "vote NO",
            timeout: false,
        },
        Transition {
            from: UNCERTAIN,
            to: PRE_COMMITTED,
            label: "PreCommit",
            timeout: false,
        },
        Transition {
            from: UNCERTAIN,
            to: ABORTED,
            label: "Abort, or timeout",
            timeout: true,
        },
        Transition {
            from: PRE_COMMITTED,
            to: COMMITTED,
            // The dashed line says a timeout takes it too; a longer label would not fit
            // between the boxes.
            label: "DoCommit",
            timeout: true,
        },
        Transition {
            from: PRE_COMMITTED,
            to: ABORTED,
            label: "Abort (after a crash)",
            timeout: false,
        },
    ],
};

impl ProtocolTopic for ThreePhaseCommitTopic {
    const INFO: &'static TopicInfo = &INFO;
    type Node = ThreePhaseNode;
    type Checker = ThreePhaseChecker;
    const FOCUS_ROLE: &'static str = "coordinator";

    fn setup(setup: &Setup) -> (Vec<ThreePhaseNode>, ThreePhaseChecker) {
        let bugs = ThreePhaseBugs {
            commit_without_precommit: setup.bug(BUG_COMMIT_WITHOUT_PRECOMMIT),
            timeout_decides_alone: setup.bug(BUG_TIMEOUT_DECIDES_ALONE),
        };
        let nodes = setup.nodes.clamp(2, 64);
        let abort_percent = setup.param(ABORT_PERCENT).clamp(0, 100) as u32;
        let timing = Timing::for_latency(setup.param(params::LATENCY).max(0) as u64);
        let mut members = vec![ThreePhaseNode::Coordinator(Coordinator::new(
            NodeId(0),
            nodes,
            timing,
            bugs,
        ))];
        members.extend((1..nodes as u32).map(|i| {
            ThreePhaseNode::Participant(Participant::new(
                NodeId(i),
                nodes,
                timing,
                abort_percent,
                bugs,
            ))
        }));
        (members, ThreePhaseChecker::default())
    }

    /// The coordinator, while it runs: transactions begin there.
    fn focus(_nodes: &[ThreePhaseNode], up: &[bool]) -> Option<NodeId> {
        up.first().copied().unwrap_or(false).then_some(NodeId(0))
    }

    const CLIENT_REQUEST: &'static str = "Begin transaction";

    fn client_request(index: u64) -> Option<ThreePhaseOp> {
        Some(ThreePhaseOp::Begin {
            transaction: TransactionId(index),
        })
    }

    const OPERATIONS: &'static [OperationButton] = &[OperationButton {
        label: "Vote no",
        help: "The chosen participant's part of the next transaction fails, so it votes NO and the transaction aborts",
        at_node: true,
    }];

    fn operation(button: usize, at: NodeId, _setup: &Setup, _sent: u64) -> Option<ThreePhaseOp> {
        (button == 0 && at != NodeId(0)).then_some(ThreePhaseOp::VoteNo { participant: at })
    }

    /// A lane of lock-held time per participant, as two-phase commit's, with
    /// the phase it is in while it holds them.
    const ANNOTATED: bool = true;

    fn annotations(simulation: &Simulation<ThreePhaseNode, ThreePhaseChecker>) -> Annotations {
        lock_view::lock_annotations(simulation.nodes())
    }

    const CHARTED: bool = true;

    /// Lock-held time per participant, as two-phase commit charts it: after a
    /// coordinator crash the bars stop growing once the participants have
    /// terminated on their own.
    fn charts(simulation: &Simulation<ThreePhaseNode, ThreePhaseChecker>) -> Vec<Chart> {
        vec![lock_view::lock_held_chart(
            simulation.nodes(),
            simulation.now(),
        )]
    }

    const MACHINE: Option<&'static StateMachine> = Some(&MACHINE);

    /// The state of the node's latest transaction: its phase while in
    /// progress, else the outcome in its log.
    fn machine_state(node: &ThreePhaseNode) -> Option<usize> {
        let (latest, summary) = node.log().transactions().last()?;
        let outcome = |decision| match decision {
            Decision::Commit => COMMITTED,
            Decision::Abort => ABORTED,
        };
        if let Some(decision) = summary.decision {
            return Some(outcome(decision));
        }
        Some(match node {
            ThreePhaseNode::Coordinator(c) => match c.round(latest) {
                Some(Round::Collecting { .. }) => UNCERTAIN,
                _ if summary.pre_committed => PRE_COMMITTED,
                _ => INITIAL,
            },
            ThreePhaseNode::Participant(p) => match p.phase(latest) {
                Some(Phase::Uncertain) => UNCERTAIN,
                Some(Phase::PreCommitted) => PRE_COMMITTED,
                Some(Phase::Working) | None => INITIAL,
                Some(Phase::Recovering) if summary.pre_committed => PRE_COMMITTED,
                Some(Phase::Recovering) => UNCERTAIN,
            },
        })
    }
}

#[cfg(test)]
mod tests;
