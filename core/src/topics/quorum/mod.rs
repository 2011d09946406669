//! Quorum replication: N replicas per key, reads from R of them, writes to W,
//! strict and sloppy quorums, hinted handoff, read repair and ABD's
//! write-back, with the clients' histories checked two ways.
//!
//! **Problem.** A key-value store keeps each key on N servers so that it
//! survives crashes and stays available through partitions. A client cannot
//! wait for all N (one slow or dead replica would stall it), so it waits for
//! some: R answers to a read, W acknowledgements to a write. Which R and W make
//! a read see the latest write, and what exactly does "latest" mean while
//! writes are still running?
//!
//! **Idea.** If R + W > N, every read quorum shares a replica with every write
//! quorum, so a read meets each completed write, and version numbers tell it
//! which value is newest. DeCandia et al., "Dynamo: Amazon's Highly Available
//! Key-value Store" (SOSP 2007) builds on this: §4.5 (the coordinator, the
//! preference list, R and W with R + W > N "yields a quorum-like system"),
//! §4.6 (sloppy quorums: under failures the first N *healthy* nodes of the
//! preference list count, and a fallback keeps a write with a hint naming the
//! home replica it stands in for, and hands it back when that replica is
//! reachable again: availability, at the price of quorums that no longer
//! intersect) and §4.7 (read repair: the coordinator updates the stale
//! replicas a read met). Attiya, Bar-Noy and Dolev, "Sharing Memory Robustly
//! in Message-Passing Systems" (JACM 42(1), 1995; ABD) give the precise
//! guarantee: a read that queries a quorum and returns the newest value is
//! only *regular* (Lamport): two reads that overlap a write may see it in
//! different orders, a read returning the new value and a later one the old
//! (a new/old inversion). ABD's reader first *writes back* the value it is
//! about to return to a quorum; then every later read sees it, and the
//! register is linearizable (atomic). Writers with several writers query a
//! quorum for the highest version first and write one above it (ABD's
//! multi-writer tags).
//!
//! **The model.** Servers `0..nodes` hold two keys; key k's preference list is
//! every server in ring order from server 2k, its first N the home replicas,
//! the rest fallbacks. Clients (`clients`, after the servers) run reads and
//! writes (`rate` per second between them, and the page's buttons) through a
//! coordinator, one of the key's home replicas ([`client`]). The coordinator
//! ([`coordinator`]) queries the home replicas for their versions (ABD's first
//! round); a write then stores its value one version above the highest it
//! heard, at W replicas; a read returns the newest version it heard after its
//! `read-repair`: none, in the background (§4.7, the stale replicas it heard
//! are sent the newest version, not waited for), or ABD's write-back (stored
//! at W replicas before answering). Silent home replicas get the phase again
//! and, after the first resend, a fallback with a hint (§4.6); with `quorum`
//! sloppy the fallbacks' answers count, with strict they do not (a strict
//! write still leaves its hints, which hand the write over later). A server
//! hands its hints back periodically and drops each once acknowledged
//! ([`server`]). Replicas keep their data and hints across crashes.
//!
//! **Invariants** ([`checker`]), over the clients' history: `regular` (no read
//! returns a value older than a write completed before it began, nor one never
//! written; [`crate::history::regular`]) and `linearizable`. Each is claimed
//! only where the theory guarantees it: `regular` with strict quorums and
//! R + W > N; `linearizable` when, besides, reads write back. Unclaimed checks
//! are computed, not reported: with write-back off the inversions, and with
//! R + W <= N or sloppy quorums (under partitions) the stale reads, are the
//! lesson. The page's history view shows the linearizability verdict either
//! way; the stale-read count is the checker's (`QuorumChecker::reads`), not
//! charted in the page, whose route is at its 200 KB budget. The defaults (N=3, R=2, W=2, strict, write-back) claim both.
//!
//! **Bugs**: `no-read-repair` (reads do no repair, so no write-back: caught by
//! `linearizable`), `count-hints-toward-quorum` (a fallback's acknowledgement
//! of a hinted write counts toward a strict write quorum: a later read quorum
//! of home replicas can miss a completed write; caught by `regular`; runs with
//! strict quorums), `write-back-to-one` (the write-back waits for one replica,
//! not W: caught by `linearizable`; runs with write-back on).
//!
//! **Where the model takes liberties.** Versions are ABD's (counter, writer)
//! tags, totally ordered, not Dynamo's vector clocks: no siblings, no
//! application merge. Clients pick a coordinator among the home replicas
//! themselves (Dynamo's partition-aware client library) and never retry
//! elsewhere; an operation with no answer is recorded as unknown. A
//! coordinator reaches its own replica by a message to itself. Fallbacks are
//! brought in one per silent home replica, after one resend period, rather
//! than from a failure detector's view of which nodes are healthy; a fallback
//! answers queries with the newest of what it holds and the hints it keeps for
//! that key. A write that finds no quorum is "unknown", never "failed": some
//! replicas may hold it.
//!
//! **Left out**: Merkle-tree anti-entropy (§4.7's other half; see the Merkle
//! tree topic), membership and the ring's virtual nodes (see consistent
//! hashing), vector clocks and conflicting siblings, deletes, and exhaustive
//! exploration.

pub mod checker;
pub mod client;
pub mod coordinator;
pub mod message;
pub mod presets;
pub mod process;
pub mod server;

use crate::lab::params::{self, LATENCY, REQUEST_RATE};
use crate::lab::protocol::{self, OperationButton, ProtocolTopic, Setup};
use crate::lab::topic::{BugInfo, Category, ParamSpec, TopicInfo, TopicKind};
use crate::sim::time::{Duration, NodeId};

use checker::{Claims, QuorumChecker, LINEARIZABLE, REGULAR};
use client::QuorumClient;
use message::QuorumOp;
use process::{QuorumConfig, QuorumProcess, ReadRepair};
use server::QuorumServer;

pub const BUG_NO_READ_REPAIR: &str = "no-read-repair";
pub const BUG_COUNT_HINTS_TOWARD_QUORUM: &str = "count-hints-toward-quorum";
pub const BUG_WRITE_BACK_TO_ONE: &str = "write-back-to-one";

pub const REPLICAS: &str = "n";
pub const READ_QUORUM: &str = "r";
pub const WRITE_QUORUM: &str = "w";
pub const QUORUM: &str = "quorum";
pub const READ_REPAIR: &str = "read-repair";
pub const CLIENTS: &str = "clients";

const REPLICAS_PARAM: ParamSpec = ParamSpec {
    name: REPLICAS,
    label: "Replicas per key (N)",
    default: 3,
    min: 1,
    max: 5,
    step: 1,
    help: "How many home replicas each key has (at most the number of servers).",
    choices: &[],
};

const READ_QUORUM_PARAM: ParamSpec = ParamSpec {
    name: READ_QUORUM,
    label: "Read quorum (R)",
    default: 2,
    min: 1,
    max: 5,
    step: 1,
    help: "Answers a read waits for (at most N).",
    choices: &[],
};

const WRITE_QUORUM_PARAM: ParamSpec = ParamSpec {
    name: WRITE_QUORUM,
    label: "Write quorum (W)",
    default: 2,
    min: 1,
    max: 5,
    step: 1,
    help: "Acknowledgements a write (and a write-back) waits for (at most N).",
    choices: &[],
};

const QUORUM_PARAM: ParamSpec = ParamSpec {
    name: QUORUM,
    label: "Quorum",
    default: 0,
    min: 0,
    max: 1,
    step: 1,
    help: "Strict: only home replicas count. Sloppy (Dynamo): fallbacks standing in for silent home replicas count too.",
    choices: &["strict", "sloppy"],
};

const READ_REPAIR_PARAM: ParamSpec = ParamSpec {
    name: READ_REPAIR,
    label: "Read repair",
    default: 2,
    min: 0,
    max: 2,
    step: 1,
    help: "What a read does about stale replicas: nothing; repair them in the background (Dynamo); or write the value back to W replicas before answering (ABD), which makes reads linearizable.",
    choices: &["off", "background", "write-back (ABD)"],
};

const CLIENTS_PARAM: ParamSpec = ParamSpec {
    name: CLIENTS,
    label: "Clients",
    default: 3,
    min: 1,
    max: 4,
    step: 1,
    help: "Client processes reading and writing; they share the rate.",
    choices: &[],
};

const RATE_PARAM: ParamSpec = ParamSpec {
    name: REQUEST_RATE,
    label: "Operations per second",
    default: 8,
    min: 0,
    max: 20,
    step: 1,
    help: "How often the clients start a read or a write, all together.",
    choices: &[],
};

/// The quorum topic.
pub struct QuorumTopic;

pub static INFO: TopicInfo = TopicInfo {
    slug: "quorum",
    title: "Quorum replication",
    category: Category::Replication,
    kind: TopicKind::Protocol,
    summary: "Each key on N replicas, reads from R, writes to W, as in Dynamo, with version numbers per replica. With strict quorums and R + W > N reads never go back before a completed write (regular); only ABD's write-back makes them linearizable. Shrink R + W to N or go sloppy under a partition and watch stale reads, hinted handoff and read repair. Claimed checks are reported; the history view shows the linearizability verdict either way.",
    reference: "DeCandia et al., Dynamo: Amazon's Highly Available Key-value Store, SOSP 2007 (§4.5-4.7); Attiya, Bar-Noy & Dolev, Sharing Memory Robustly in Message-Passing Systems, JACM 1995",
    params: &[
        params::nodes(5, 3, 7, 1),
        REPLICAS_PARAM,
        READ_QUORUM_PARAM,
        WRITE_QUORUM_PARAM,
        QUORUM_PARAM,
        READ_REPAIR_PARAM,
        CLIENTS_PARAM,
        RATE_PARAM,
        params::DROP_PERCENT,
        params::latency(30),
    ],
    presets: &presets::PRESETS,
    bugs: &[
        BugInfo {
            name: BUG_NO_READ_REPAIR,
            summary: "Reads repair nothing, so the write-back the parameters ask for never happens: a read can return a write in progress that a later read misses.",
            caught_by: &[LINEARIZABLE],
            budget: 2000,
        },
        BugInfo {
            name: BUG_COUNT_HINTS_TOWARD_QUORUM,
            summary: "A fallback's acknowledgement of a hinted write counts toward a strict write quorum: the write completes with fewer than W home replicas, and a later read quorum of home replicas misses it. Runs with strict quorums.",
            caught_by: &[REGULAR, LINEARIZABLE],
            budget: 2000,
        },
        BugInfo {
            name: BUG_WRITE_BACK_TO_ONE,
            summary: "The read's write-back waits for one replica instead of W: a later read quorum can miss the value it returned. Runs with write-back on.",
            caught_by: &[LINEARIZABLE],
            budget: 2000,
        },
    ],
    invariants: checker::INVARIANTS,
    expected: &[],
    columns: &[
        "process",
        "role",
        "k0 (value@version) / client",
        "k1 (value@version) / last answer",
        "hints held / operations done",
        "coordinating / waiting for",
    ],
    build: protocol::build::<QuorumTopic>,
};

fn param(setup: &Setup, spec: &ParamSpec) -> usize {
    setup.param(spec.name).clamp(spec.min, spec.max) as usize
}

/// The run's configuration from its parameters (without bugs) and its claims.
pub fn config(setup: &Setup) -> QuorumConfig {
    let servers = setup.nodes.clamp(1, 7);
    let n = param(setup, &REPLICAS_PARAM).min(servers);
    let latency = setup.param(LATENCY).clamp(3, 300) as u64;
    let rate = setup.param(REQUEST_RATE).clamp(0, RATE_PARAM.max) as u64;
    let clients = param(setup, &CLIENTS_PARAM) as u64;
    let resend = Duration::from_millis(2 * latency + 30);
    let deadline = Duration(6 * resend.as_micros());
    let read_repair = match setup.param(READ_REPAIR) {
        0 => ReadRepair::Off,
        1 => ReadRepair::Background,
        _ => ReadRepair::WriteBack,
    };
    let w = param(setup, &WRITE_QUORUM_PARAM).min(n);
    QuorumConfig {
        servers,
        n,
        r: param(setup, &READ_QUORUM_PARAM).min(n),
        w,
        sloppy: setup.param(QUORUM) == 1,
        read_repair,
        write_back_acks: w,
        count_hints: false,
        resend,
        deadline,
        client_timeout: Duration(
            deadline.as_micros() + Duration::from_millis(2 * latency + 100).as_micros(),
        ),
        handoff_period: Duration(3 * resend.as_micros()),
        think: (rate > 0).then(|| Duration(clients * 1_000_000 / rate)),
    }
}

/// The configuration with the run's bug, if any, applied.
fn with_bug(mut config: QuorumConfig, setup: &Setup) -> QuorumConfig {
    if setup.bug(BUG_NO_READ_REPAIR) {
        config.read_repair = ReadRepair::Off;
    }
    if setup.bug(BUG_COUNT_HINTS_TOWARD_QUORUM) {
        config.sloppy = false;
        config.count_hints = true;
    }
    if setup.bug(BUG_WRITE_BACK_TO_ONE) {
        config.read_repair = ReadRepair::WriteBack;
        config.write_back_acks = 1;
    }
    config
}

impl ProtocolTopic for QuorumTopic {
    const INFO: &'static TopicInfo = &INFO;
    type Node = QuorumProcess;
    type Checker = QuorumChecker;
    const FOCUS_ROLE: &'static str = "first running server";
    const LINEARIZABLE_HISTORY: bool = true;

    /// Servers `0..nodes`, then the clients. The claims come from the
    /// parameters: a bug breaks the protocol, not what it promises.
    fn setup(setup: &Setup) -> (Vec<QuorumProcess>, QuorumChecker) {
        let claimed = config(setup);
        let claims = Claims::of(&claimed);
        let config = with_bug(claimed, setup);
        let mut processes: Vec<QuorumProcess> = (0..config.servers as u32)
            .map(|i| QuorumProcess::Server(QuorumServer::new(NodeId(i), config)))
            .collect();
        let clients = param(setup, &CLIENTS_PARAM) as u32;
        processes.extend((0..clients).map(|client| {
            QuorumProcess::Client(QuorumClient::new(
                NodeId(config.servers as u32 + client),
                client,
                config,
            ))
        }));
        (processes, QuorumChecker::new(claims))
    }

    fn focus(nodes: &[QuorumProcess], up: &[bool]) -> Option<NodeId> {
        nodes
            .iter()
            .zip(up)
            .position(|(node, &up)| up && node.server().is_some())
            .map(|i| NodeId(i as u32))
    }

    /// The clients run the workload themselves.
    fn planned_request(_index: u64) -> Option<QuorumOp> {
        None
    }

    const OPERATIONS: &'static [OperationButton] = &[
        OperationButton {
            label: "Write k0",
            help:
                "The chosen client writes a fresh value to key 0 through one of its home replicas",
            at_node: true,
        },
        OperationButton {
            label: "Read k0",
            help: "The chosen client reads key 0 through one of its home replicas",
            at_node: true,
        },
    ];

    fn operation(button: usize, at: NodeId, setup: &Setup, _sent: u64) -> Option<QuorumOp> {
        let servers = setup.nodes.clamp(1, 7) as u32;
        let clients = param(setup, &CLIENTS_PARAM) as u32;
        if at.0 < servers || at.0 >= servers + clients {
            return None;
        }
        let key = 0;
        match button {
            0 => Some(QuorumOp::Write {
                key,
                coordinator: None,
            }),
            1 => Some(QuorumOp::Read {
                key,
                coordinator: None,
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
