//! Vector clocks: telling "happened before" from "concurrent" in a system
//! with no shared clock, and what that buys a replicated register.
//!
//! **Problem.** Processes that talk only by messages have no common notion
//! of "earlier". Physical clocks drift, so their readings may order two
//! events against causality. Yet a system must often know whether one event
//! could have influenced another: whether a write saw an earlier one, or two
//! writes were made without knowledge of each other and must both be kept.
//!
//! **Idea.** Lamport, "Time, Clocks, and the Ordering of Events in a
//! Distributed System" (CACM 21(7), 1978), section 2, defines happened-before
//! (`→`): program order, send before receive, and their transitive closure;
//! events related neither way are concurrent. His logical clock satisfies
//! the Clock Condition (`a → b` implies `C(a) < C(b)`) by two rules: IR1,
//! a process increments its clock between any two of its events; IR2, a
//! message carries the sender's timestamp `T_m`, and the receiver sets its
//! clock to more than both its own and `T_m` (here `max(C, T_m) + 1`). The
//! converse does not hold: `C(a) < C(b)` says nothing when `a` and `b` are
//! concurrent, and Lamport's total order (timestamp, then process) ranks
//! every concurrent pair anyway. Fidge, "Timestamps in Message-Passing
//! Systems That Preserve the Partial Ordering" (1988), and Mattern, "Virtual
//! Time and Global States of Distributed Systems" (1988), section 4, replace
//! the integer by a vector with one entry per process: every event increments
//! the process's own entry; a send carries the vector; a receive takes the
//! entry-by-entry maximum with it, then increments its own entry. Then
//! `V(e) < V(f)` exactly when `e → f` (Mattern's theorem), so the vectors of
//! concurrent events are incomparable.
//!
//! Version vectors (Parker et al., "Detection of Mutual Inconsistency in
//! Distributed Systems", IEEE TSE 1983; DeCandia et al., "Dynamo", SOSP 2007,
//! section 4.4) apply the same comparison to the versions of a replicated
//! item: a version whose vector another version's dominates is obsolete; two
//! versions with incomparable vectors were written concurrently and are
//! both kept, as siblings, for a later write (or a reader) to reconcile.
//!
//! **The model.** 2 to 8 processes (`nodes`). Each does local events, sends
//! to a peer and writes the register `x`, by its own seeded workload (`rate`
//! events per second between them: a send half the time, a local event or a
//! write a quarter each) and by the page's buttons; each keeps a Lamport
//! clock and a vector clock ([`process`], [`clock`]) and ticks them by the
//! rules above at every event, and each event's note spells the rule out with
//! its numbers. Every message carries the sender's clocks and its copy of
//! `x`, so every message is also anti-entropy ([`register`]). The `clock`
//! parameter picks the timestamp the page leads with (the badge, the first
//! clock column of the state table, the order in the notes) and the one that
//! decides `x`: `vector` resolves by version vectors and keeps siblings;
//! `lamport` resolves by Lamport timestamp, last writer wins.
//!
//! **Invariants** ([`checker`], against a ground truth of happened-before the
//! checker builds from ghost event names, not from the clocks under test):
//! `clock-condition`, `vector-characterizes-causality`, and, with version
//! vectors, `no-concurrent-write-lost`. With last-writer-wins the lost writes
//! are counted and marked on the timeline instead: dropping one of two
//! concurrent writes is what that rule does.
//!
//! **Bugs**: `receive-without-merge` (a receive increments the own entry but
//! skips the maximum with the message's vector: the receive no longer
//! dominates the send), `send-without-increment` (a send does not tick the
//! clocks, so it shares its timestamps with the event before it) and
//! `siblings-overwritten` (an incoming version concurrent with the held ones
//! replaces them instead of joining them; the run uses version vectors
//! whatever `clock` says).
//!
//! **Where the model takes liberties.** The clocks, the register and the
//! write count are on stable storage, written before each event takes
//! effect, so a restart resumes them (a process that lost its clock would
//! stamp new events with old timestamps); the event log is ghost data, not
//! protocol state. Version vectors are kept per replica, one entry per
//! process, with no pruning (Dynamo truncates long ones). A write supersedes
//! every sibling its replica holds, as a Dynamo client's put with the context
//! of its last read does. A message carries the whole register, not a
//! digest. Lamport's total order breaks ties by process id; no physical clock
//! takes part.
//!
//! **Left out**: Lamport's physical clock rules (section 4) and his mutual
//! exclusion algorithm, matrix clocks, dotted version vectors (which keep
//! siblings from piling up when clients write through a server), Schwarz and
//! Mattern's plausible clocks, and exhaustive exploration.

pub mod checker;
pub mod clock;
pub mod message;
pub mod presets;
pub mod process;
pub mod register;

use crate::lab::params::{self, REQUEST_RATE};
use crate::lab::protocol::{self, OperationButton, ProtocolTopic, Setup};
use crate::lab::topic::{BugInfo, Category, ParamSpec, TopicInfo, TopicKind};
use crate::sim::time::{Duration, NodeId};
use crate::sim::view::{Annotations, Bar, Chart, Mark, Palette};
use crate::sim::world::Simulation;

use checker::{
    ClockChecker, CLOCK_CONDITION, NO_CONCURRENT_WRITE_LOST, VECTOR_CHARACTERIZES_CAUSALITY,
};
use message::ClockOp;
use process::{ClockConfig, ClockProcess};
use register::Resolution;

pub const BUG_RECEIVE_WITHOUT_MERGE: &str = "receive-without-merge";
pub const BUG_SEND_WITHOUT_INCREMENT: &str = "send-without-increment";
pub const BUG_SIBLINGS_OVERWRITTEN: &str = "siblings-overwritten";

pub const CLOCK: &str = "clock";

const CLOCK_PARAM: ParamSpec = ParamSpec {
    name: CLOCK,
    label: "Leading clock",
    default: 1,
    min: 0,
    max: 1,
    step: 1,
    help: "The timestamp the page leads with and the register resolves by: Lamport (last writer wins) or vector (version vectors, siblings).",
    choices: &["lamport", "vector"],
};

const NODES_PARAM: ParamSpec = ParamSpec {
    label: "Processes",
    help: "How many processes exchange messages.",
    ..params::nodes(3, 2, 8, 1)
};

const RATE_PARAM: ParamSpec = ParamSpec {
    name: REQUEST_RATE,
    label: "Events per second",
    default: 4,
    min: 0,
    max: 40,
    step: 1,
    help: "How often the processes do an event of their own, all together: a send half the time, else a local event or a write.",
    choices: &[],
};

/// The vector clocks topic.
pub struct VectorClocksTopic;

pub static INFO: TopicInfo = TopicInfo {
    slug: "vector-clocks",
    title: "Vector clocks",
    category: Category::Replication,
    kind: TopicKind::Protocol,
    summary: "Processes do local events, send messages and write a replicated register, stamping every event with a Lamport clock and a vector clock; each event's note shows the update rule with its numbers. Lamport timestamps order concurrent events anyway, and last-writer-wins by them silently drops one of two concurrent writes; vector clocks tell concurrent from ordered, and version vectors keep both writes as siblings. Break the update rules and watch the checker, which knows the true happened-before relation, catch it.",
    reference: "Lamport, Time, Clocks, and the Ordering of Events in a Distributed System, CACM 1978 (IR1, IR2, the Clock Condition); Fidge, Timestamps in Message-Passing Systems That Preserve the Partial Ordering, 1988; Mattern, Virtual Time and Global States of Distributed Systems, 1988 (section 4); DeCandia et al., Dynamo, SOSP 2007 (section 4.4)",
    params: &[
        NODES_PARAM,
        RATE_PARAM,
        CLOCK_PARAM,
        params::DROP_PERCENT,
        params::latency(60),
    ],
    presets: &presets::PRESETS,
    bugs: &[
        BugInfo {
            name: BUG_RECEIVE_WITHOUT_MERGE,
            summary: "A receive increments the process's own entry but skips the entry-by-entry maximum with the message's vector: the receive's vector no longer dominates the send's.",
            caught_by: &[CLOCK_CONDITION, VECTOR_CHARACTERIZES_CAUSALITY],
            // Measured: 2000 of the first 2000 heavy seeds.
            budget: 20,
        },
        BugInfo {
            name: BUG_SEND_WITHOUT_INCREMENT,
            summary: "A send does not tick the clocks (IR1 skipped): it shares its Lamport timestamp and its vector with the process's event before it.",
            caught_by: &[CLOCK_CONDITION, VECTOR_CHARACTERIZES_CAUSALITY],
            // Measured: 2000 of the first 2000 heavy seeds.
            budget: 20,
        },
        BugInfo {
            name: BUG_SIBLINGS_OVERWRITTEN,
            summary: "An incoming version concurrent with the held ones replaces them instead of joining them as a sibling, so a concurrent write is lost. Runs with version vectors whatever clock says.",
            caught_by: &[NO_CONCURRENT_WRITE_LOST],
            // Measured: 1998 of the first 2000 heavy seeds.
            budget: 20,
        },
    ],
    invariants: checker::INVARIANTS,
    expected: &[],
    columns: &[
        "process",
        "role",
        "leading clock",
        "other clock",
        "register x",
        "events",
    ],
    build: protocol::build::<VectorClocksTopic>,
};

/// The run's configuration from its parameters and bug.
fn config(setup: &Setup) -> ClockConfig {
    let processes = setup
        .nodes
        .clamp(NODES_PARAM.min as usize, NODES_PARAM.max as usize);
    let resolution = if setup.param(CLOCK) == 0 && !setup.bug(BUG_SIBLINGS_OVERWRITTEN) {
        Resolution::LastWriterWins
    } else {
        Resolution::VersionVectors
    };
    let rate = setup.param(REQUEST_RATE).clamp(0, RATE_PARAM.max) as u64;
    ClockConfig {
        processes,
        resolution,
        gap: (rate > 0).then(|| Duration(processes as u64 * 1_000_000 / rate)),
        receive_without_merge: setup.bug(BUG_RECEIVE_WITHOUT_MERGE),
        send_without_increment: setup.bug(BUG_SEND_WITHOUT_INCREMENT),
        siblings_overwritten: setup.bug(BUG_SIBLINGS_OVERWRITTEN),
    }
}

impl ProtocolTopic for VectorClocksTopic {
    const INFO: &'static TopicInfo = &INFO;
    type Node = ClockProcess;
    type Checker = ClockChecker;

    fn setup(setup: &Setup) -> (Vec<ClockProcess>, ClockChecker) {
        let config = config(setup);
        let processes = (0..config.processes as u32)
            .map(|i| ClockProcess::new(NodeId(i), config))
            .collect();
        let checker = ClockChecker::new(
            config.processes,
            config.resolution == Resolution::VersionVectors,
        );
        (processes, checker)
    }

    /// The processes run the workload themselves.
    fn planned_request(_index: u64) -> Option<ClockOp> {
        None
    }

    const OPERATIONS: &'static [OperationButton] = &[
        OperationButton {
            label: "Local event",
            help: "The chosen process does an internal event: only its clocks tick",
            at_node: true,
        },
        OperationButton {
            label: "Send",
            help: "The chosen process sends a message, with its clocks and its copy of x, to a peer drawn from its seeded random stream",
            at_node: true,
        },
        OperationButton {
            label: "Write",
            help: "The chosen process writes a new value to the register x",
            at_node: true,
        },
    ];

    fn operation(button: usize, at: NodeId, setup: &Setup, _sent: u64) -> Option<ClockOp> {
        if at.index() >= setup.nodes {
            return None;
        }
        match button {
            0 => Some(ClockOp::LocalEvent),
            1 => Some(ClockOp::Send { to: None }),
            2 => Some(ClockOp::Write),
            _ => None,
        }
    }

    /// A mark wherever a replica dropped a write for a concurrent one.
    const ANNOTATED: bool = true;

    fn annotations(simulation: &Simulation<ClockProcess, ClockChecker>) -> Annotations {
        let marks = simulation
            .checker()
            .lost()
            .iter()
            .map(|lost| Mark {
                at: lost.at,
                label: format!("{} drops {}", lost.replica, lost.name),
            })
            .collect();
        Annotations {
            spans: Vec::new(),
            marks,
        }
    }

    /// Pairs of events ordered and concurrent, and how many concurrent pairs
    /// Lamport timestamps order anyway; writes kept as siblings and lost.
    const CHARTED: bool = true;

    fn charts(simulation: &Simulation<ClockProcess, ClockChecker>) -> Vec<Chart> {
        let checker = simulation.checker();
        let pairs = checker.pairs();
        let writes = checker.write_counts();
        let bar = |label: &str, value: u64, palette: Palette| Bar {
            label: label.to_string(),
            value,
            palette,
        };
        let mode = match simulation.nodes().first().map(|p| p.config().resolution) {
            Some(Resolution::LastWriterWins) => "last writer wins by Lamport timestamp",
            _ => "version vectors",
        };
        vec![
            Chart {
                title: "Pairs of events".into(),
                unit: "",
                caption: format!(
                    "{} events; every pair is ordered (one happened before the other) or concurrent",
                    pairs.events
                ),
                bars: vec![
                    bar("ordered", pairs.ordered, Palette::Done),
                    bar("concurrent", pairs.concurrent, Palette::Contend),
                    bar(
                        "concurrent, Lamport orders anyway",
                        pairs.concurrent_lamport_ordered,
                        Palette::Suspect,
                    ),
                ],
            },
            Chart {
                title: "Writes to x".into(),
                unit: "",
                caption: format!("resolved by {mode}"),
                bars: vec![
                    bar("writes", writes.writes, Palette::Plain),
                    bar("kept as siblings", writes.siblings, Palette::Done),
                    bar("lost to a concurrent write", writes.lost, Palette::Faulty),
                ],
            },
        ]
    }
}

#[cfg(test)]
mod tests;
