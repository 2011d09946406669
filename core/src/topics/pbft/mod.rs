//! Practical Byzantine Fault Tolerance: state machine replication that keeps
//! its promises while up to f replicas lie.
//!
//! **Problem.** Crash-tolerant consensus (Paxos, Raft) assumes that a node
//! either follows the protocol or stops. A replica with a bug, a compromised
//! key or a bad disk may instead say different things to different peers. With
//! n replicas of which f may be traitors, how can the honest ones agree on one
//! order of client requests?
//!
//! **Idea** (Castro and Liskov, "Practical Byzantine Fault Tolerance", OSDI
//! 1999, section 4). Use n = 3f+1 replicas and quorums of 2f+1: any two quorums
//! share f+1 replicas, so at least one honest replica, which never votes for
//! two things. A primary (replica `v mod n` in view v) orders requests in three
//! phases (4.2): PRE-PREPARE (the primary proposes a sequence number n for the
//! request's digest d), PREPARE (every backup that accepts it tells everyone;
//! with the pre-prepare and 2f matching PREPAREs a replica holds a *prepared
//! certificate*: no other digest can be prepared at v, n), COMMIT (with 2f+1
//! matching COMMITs a replica holds a *committed certificate*, which survives
//! view changes). Replicas execute in sequence order and reply; a client (4.1)
//! accepts a result once f+1 replicas report it, so one of them is honest.
//! Checkpoints every K requests become stable with 2f+1 matching CHECKPOINTs
//! and move the low watermark (4.3). A backup whose request is not executed in
//! time starts a view change (4.4): VIEW-CHANGE carries its prepared
//! certificates; the new primary gathers 2f+1 and its NEW-VIEW re-issues every
//! prepared request at its sequence number, so whatever was committed stays.
//!
//! **Traitors.** The page's buttons make a replica a traitor: *silent* (says
//! nothing), *equivocate* (as primary, sends each group of f backups a
//! different request for the same sequence number and votes with each group),
//! *lie about digests* (its PREPAREs, COMMITs, CHECKPOINTs and replies carry
//! wrong digests, it agrees with whoever sends it a PREPARE, and it leaves its
//! certificates out of VIEW-CHANGEs). Up to f traitors are tolerated; the
//! `replicas` parameter can drop to n = 3f (quorums of n - f = 2f, which share
//! only f replicas) to see why 3f+1 are needed.
//!
//! **Invariants** ([`checker`]): `commit-agreement` (honest replicas never
//! commit different requests at one sequence number) and `execution-agreement`
//! (nor execute different requests at one sequence number).
//!
//! **Bugs**: `quorum-2f` (certificates of 2f matching messages instead of
//! 2f+1: prepared with the pre-prepare and 2f-1 PREPAREs, committed with 2f
//! COMMITs; two such quorums of 3f+1 need not share an honest replica) and
//! `three-f-replicas` (n = 3f replicas with quorums of 2f). Both set replica 0
//! up as an equivocating primary, since a bug of quorum size needs a traitor to
//! show.
//!
//! **Where the model takes liberties.** No cryptography: a digest is a 64-bit
//! hash, and signatures are modelled by the simulator delivering every message
//! with its true sender and by traitors never claiming certificates they do not
//! hold; client requests are not signed, so an equivocating primary makes up
//! variants of a request (the paper's would pick between real requests or the
//! null request, with the same effect). Checkpoint proofs and state transfer
//! are taken as given (a replica behind a stable checkpoint adopts its state).
//! Replicas keep their whole state across a crash (the paper's replicas log to
//! stable storage), so a crash is only a pause. Faults the fault plan injects
//! reach the first three replicas; clients run one request at a time.
//!
//! **Left out**: MAC authenticators, read-only and tentative execution
//! optimisations (section 5), proactive recovery, and exploration.

pub mod certificates;
pub mod checker;
pub mod checkpoint;
pub mod client;
pub mod message;
pub mod presets;
pub mod process;
pub mod replica;
pub mod view_change;

use crate::lab::params;
use crate::lab::protocol::{self, OperationButton, ProtocolTopic, Setup};
use crate::lab::topic::{BugInfo, Category, ParamSpec, TopicInfo, TopicKind};
use crate::sim::time::NodeId;
use crate::sim::view::{Annotations, Mark, Matrix, Palette, Span};
use crate::sim::world::Simulation;

use checker::{PbftChecker, COMMIT_AGREEMENT, EXECUTION_AGREEMENT};
use client::Client;
use message::{Behaviour, PbftOp};
use process::{PbftConfig, PbftProcess};
use replica::Replica;

pub const BUG_QUORUM_2F: &str = "quorum-2f";
pub const BUG_THREE_F_REPLICAS: &str = "three-f-replicas";

pub const F: &str = "f";
pub const REPLICAS: &str = "replicas";
pub const CLIENTS: &str = "clients";

/// The value of `replicas` that runs n = 3f.
pub const THREE_F: i64 = 1;

const F_PARAM: ParamSpec = ParamSpec {
    name: F,
    label: "Faults tolerated (f)",
    default: 1,
    min: 1,
    max: 3,
    step: 1,
    help: "How many traitors the cluster is built to tolerate: 3f+1 replicas.",
    choices: &[],
};

const REPLICAS_PARAM: ParamSpec = ParamSpec {
    name: REPLICAS,
    label: "Replicas",
    default: 0,
    min: 0,
    max: 1,
    step: 1,
    help: "3f+1 replicas with quorums of 2f+1, or only 3f with quorums of 2f, whose quorums may share nothing but traitors.",
    choices: &["3f+1", "3f"],
};

const CLIENTS_PARAM: ParamSpec = ParamSpec {
    name: CLIENTS,
    label: "Clients",
    default: 1,
    min: 1,
    max: 3,
    step: 1,
    help: "Client processes, each sending one request at a time.",
    choices: &[],
};

/// The PBFT topic.
pub struct PbftTopic;

pub static INFO: TopicInfo = TopicInfo {
    slug: "pbft",
    title: "PBFT",
    category: Category::Consensus,
    kind: TopicKind::Protocol,
    summary: "3f+1 replicas order client requests through pre-prepare, prepare and commit, and replace a bad primary by a view change. Make replicas traitors (silent, equivocating, lying about digests) and watch 2f+1 quorums keep the honest ones in agreement; shrink the quorums or the cluster to 3f and watch agreement break.",
    reference: "Castro & Liskov, Practical Byzantine Fault Tolerance, OSDI 1999 (sections 4.1-4.4, 4.5.2)",
    params: &[
        F_PARAM,
        REPLICAS_PARAM,
        CLIENTS_PARAM,
        params::DROP_PERCENT,
        params::latency(20),
    ],
    presets: &presets::PRESETS,
    bugs: &[
        BugInfo {
            name: BUG_QUORUM_2F,
            summary: "Certificates need 2f matching messages instead of 2f+1 (prepared: the pre-prepare and 2f-1 PREPAREs; committed: 2f COMMITs). Replica 0 is set up as an equivocating primary, so each group of backups can complete a certificate for its own request.",
            caught_by: &[COMMIT_AGREEMENT, EXECUTION_AGREEMENT],
            // Measured: 1995 of the first 2000 heavy seeds, never 2 misses in a row.
            budget: 5,
        },
        BugInfo {
            name: BUG_THREE_F_REPLICAS,
            summary: "Only 3f replicas, with quorums of n - f = 2f (2f+1 would be every replica, and one crash would stop it). Two quorums share f replicas, all of which may be traitors: replica 0 is set up as an equivocating primary.",
            caught_by: &[COMMIT_AGREEMENT, EXECUTION_AGREEMENT],
            // Measured: 1590 of the first 2000 heavy seeds, at most 6 misses in a row.
            budget: 20,
        },
    ],
    invariants: checker::INVARIANTS,
    columns: &[
        "node",
        "role",
        "view",
        "executed",
        "stable checkpoint",
        "waiting",
    ],
    expected: &[],
    build: protocol::build::<PbftTopic>,
};

/// The run's configuration from its parameters and bug.
pub fn config(setup: &Setup) -> PbftConfig {
    let f = setup.param(F).clamp(F_PARAM.min, F_PARAM.max) as usize;
    let three_f = setup.param(REPLICAS) == THREE_F || setup.bug(BUG_THREE_F_REPLICAS);
    let replicas = if three_f { 3 * f } else { 3 * f + 1 };
    let quorum = if three_f || setup.bug(BUG_QUORUM_2F) {
        2 * f
    } else {
        2 * f + 1
    };
    PbftConfig {
        f,
        replicas,
        clients: setup
            .param(CLIENTS)
            .clamp(CLIENTS_PARAM.min, CLIENTS_PARAM.max) as usize,
        quorum,
    }
}

impl ProtocolTopic for PbftTopic {
    const INFO: &'static TopicInfo = &INFO;
    type Node = PbftProcess;
    type Checker = PbftChecker;
    const FOCUS_ROLE: &'static str = "primary";

    /// The fault plan's replicas: the first three (n is at least 3), so it
    /// never touches a client.
    const FIXED_NODES: usize = 3;

    fn setup(setup: &Setup) -> (Vec<PbftProcess>, PbftChecker) {
        let config = config(setup);
        let mut processes: Vec<PbftProcess> = (0..config.replicas as u32)
            .map(|i| PbftProcess::Replica(Replica::new(NodeId(i), config)))
            .collect();
        if setup.bug(BUG_QUORUM_2F) || setup.bug(BUG_THREE_F_REPLICAS) {
            if let PbftProcess::Replica(primary) = &mut processes[0] {
                primary.traitor = Some(Behaviour::Equivocate);
            }
        }
        let first_client = config.replicas as u32;
        processes.extend(
            (0..config.clients as u32)
                .map(|i| PbftProcess::Client(Client::new(NodeId(first_client + i), config))),
        );
        (processes, PbftChecker::new(config.replicas, config.quorum))
    }

    /// The primary of the highest view a running replica is in.
    fn focus(nodes: &[PbftProcess], up: &[bool]) -> Option<NodeId> {
        let (view, config) = nodes
            .iter()
            .zip(up)
            .filter_map(|(node, &up)| node.replica().filter(|_| up))
            .map(|replica| (replica.view, replica.config))
            .max_by_key(|&(view, _)| view)?;
        Some(config.primary(view))
    }

    /// The clients run the workload themselves.
    fn planned_request(_index: u64) -> Option<PbftOp> {
        None
    }

    const OPERATIONS: &'static [OperationButton] = &[
        OperationButton {
            label: "Silent",
            help: "The chosen replica turns traitor and says nothing from now on (a client stops sending requests)",
            at_node: true,
        },
        OperationButton {
            label: "Equivocate",
            help: "The chosen replica turns traitor: as primary it sends different requests for the same sequence number to different backups",
            at_node: true,
        },
        OperationButton {
            label: "Lie about digests",
            help: "The chosen replica turns traitor: its votes carry wrong digests and it agrees with whoever asks",
            at_node: true,
        },
    ];

    fn operation(button: usize, at: NodeId, setup: &Setup, _sent: u64) -> Option<PbftOp> {
        // Offered at every node: a client takes only Silent (it stops sending
        // requests) and notes why it ignores the others.
        let behaviour = *Behaviour::ALL.get(button)?;
        let config = config(setup);
        (config.is_replica(at) || config.is_client(at)).then_some(PbftOp::Traitor(behaviour))
    }

    /// Views on the timeline: a bar while a replica changes view, a bar while
    /// a primary leads its view, and a mark when a request is committed at a
    /// quorum of honest replicas.
    const ANNOTATED: bool = true;

    fn annotations(simulation: &Simulation<PbftProcess, PbftChecker>) -> Annotations {
        let checker = simulation.checker();
        let spans = checker
            .spans
            .iter()
            .map(|span| Span {
                node: span.node,
                from: span.from,
                to: span.to,
                label: if span.changing {
                    format!("view change to {}", span.view)
                } else {
                    format!("primary of view {}", span.view)
                },
                palette: if span.changing {
                    Palette::Contend
                } else {
                    Palette::Lead
                },
            })
            .collect();
        let marks = checker
            .marks
            .iter()
            .map(|&(at, seq, view, digest)| Mark {
                at,
                label: format!("n{seq} {digest} committed (v{view})"),
            })
            .collect();
        Annotations { spans, marks }
    }

    /// The per-request certificate view: which messages each replica holds
    /// for the latest sequence numbers of the newest view.
    const TABLED: bool = true;

    fn tables(simulation: &Simulation<PbftProcess, PbftChecker>) -> Vec<Matrix> {
        vec![certificates::matrix(simulation.nodes())]
    }
}

#[cfg(test)]
mod tests;
