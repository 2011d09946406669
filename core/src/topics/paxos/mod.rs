//! Paxos: single-decree Basic Paxos, and Multi-Paxos with a stable leader.
//!
//! **Problem.** Some processes propose values; they must agree on one, although
//! processes crash and restart and messages are lost, delayed, duplicated and
//! reordered. Only a proposed value may be chosen, only one value is chosen,
//! and nobody learns a value that was not chosen.
//!
//! **Idea.** A value is chosen once a majority of acceptors accepts it under one
//! proposal number (a ballot). Any two majorities share an acceptor, so a
//! proposer first asks a majority to promise to ignore lower ballots and to
//! report what they accepted (phase 1), then proposes the value of the highest
//! ballot reported, or its own if none was (phase 2). Whatever a later ballot
//! proposes, it has heard of the chosen value from the shared acceptor.
//!
//! **Follows** Lamport, "Paxos Made Simple" (ACM SIGACT News, 2001): section 2.2
//! for phase 1(a) and 1(b) and phase 2(a) and 2(b), section 2.3 for learning
//! (acceptors tell every learner what they accept; a learner that knows tells
//! others), section 2.4 for progress (two proposers can preempt each other for
//! ever; randomized backoff or a distinguished proposer ends it), and section 3
//! for Multi-Paxos (a leader runs phase 1 once for every slot, then phase 2 per
//! client value, and a new leader re-proposes what its promises report and
//! fills gaps with no-ops). Ballots are (round, proposer) pairs. Every server is
//! an acceptor and a learner; the first `proposers` servers also propose. The
//! acceptor's promise and accepted proposals, the proposer's last round and the
//! learned values are durable; the rest is lost in a crash.
//!
//! **Invariants** (section 2.1's safety requirements; see [`checker`]):
//! at most one value is chosen (per slot), and a learner learns only chosen
//! values. The checker decides "chosen" from the acceptances it has seen, and
//! records when each value became chosen ([`checker::PaxosChecker::choices`]).
//!
//! **Bugs**: `forget-promise-on-restart` (the acceptor's state is kept only in
//! memory), `ignore-accepted-value` (phase 2(a) proposes the proposer's own value
//! although a promise reported an accepted one), `minority-quorum` (the proposer
//! proceeds with floor(n/2) promises or acceptances).
//!
//! **Left out**: the "only a proposed value is chosen" requirement is not
//! checked (values come only from proposals here); no reconfiguration, no log
//! truncation or snapshots, no leases for reads; learned Multi-Paxos values are
//! not applied to a state machine; a learner in Basic Paxos that misses every
//! acceptance and the proposer's announcement stays ignorant (only Multi-Paxos
//! learners ask to catch up).

mod acceptor;
pub mod checker;
pub mod explore;
mod learner;
pub mod message;
pub mod node;
pub mod presets;
mod proposer;

use crate::lab::params;
use crate::lab::protocol::{self, OperationButton, ProtocolTopic, Setup};
use crate::lab::topic::{BugInfo, Category, ParamSpec, TopicInfo, TopicKind};
use crate::sim::time::NodeId;
use crate::sim::view::{Annotations, Mark};
use crate::sim::world::Simulation;

use checker::{PaxosChecker, AT_MOST_ONE_CHOSEN, LEARN_ONLY_CHOSEN};
use message::PaxosOp;
use node::{Backoff, Mode, PaxosBugs, PaxosConfig, PaxosNode, PaxosTiming};

pub const BUG_FORGET_PROMISE_ON_RESTART: &str = "forget-promise-on-restart";
pub const BUG_IGNORE_ACCEPTED_VALUE: &str = "ignore-accepted-value";
pub const BUG_MINORITY_QUORUM: &str = "minority-quorum";

pub const MODE: &str = "mode";
pub const PROPOSERS: &str = "proposers";
pub const BACKOFF: &str = "backoff";

const MODE_PARAM: ParamSpec = ParamSpec {
    name: MODE,
    label: "Protocol",
    default: 0,
    min: 0,
    max: 1,
    step: 1,
    help: "Basic Paxos decides one value; Multi-Paxos decides a log of them under a stable leader.",
    choices: &["Basic Paxos", "Multi-Paxos"],
};

const PROPOSERS_PARAM: ParamSpec = ParamSpec {
    name: PROPOSERS,
    label: "Proposers",
    default: 2,
    min: 1,
    max: 3,
    step: 1,
    help: "How many of the first servers also propose; client values go to them in turn (to the leader in Multi-Paxos).",
    choices: &[],
};

const BACKOFF_PARAM: ParamSpec = ParamSpec {
    name: BACKOFF,
    label: "After preemption",
    default: 1,
    min: 0,
    max: 1,
    step: 1,
    help: "What a Basic Paxos proposer does when a higher ballot preempts it: retry at once (proposers can duel for ever) or after a random, doubling wait.",
    choices: &["retry at once", "randomized backoff"],
};

/// The Paxos topic.
pub struct PaxosTopic;

pub static INFO: TopicInfo = TopicInfo {
    slug: "paxos",
    title: "Paxos",
    category: Category::Consensus,
    kind: TopicKind::Protocol,
    summary: "Proposers, acceptors and learners agree on one value in two phases (prepare and promise, accept and accepted), then on a log of values under a stable leader (Multi-Paxos). Watch two proposers duel without backoff, crash acceptors, and switch on a broken rule to see two values chosen.",
    reference: "Lamport, Paxos Made Simple, ACM SIGACT News 32(4), 2001 (sections 2.2-2.4 and 3)",
    params: &[
        MODE_PARAM,
        params::nodes(3, 3, 7, 2),
        PROPOSERS_PARAM,
        BACKOFF_PARAM,
        params::request_rate(2, 50),
        params::DROP_PERCENT,
        params::latency(30),
    ],
    presets: &presets::PRESETS,
    bugs: &[
        BugInfo {
            name: BUG_FORGET_PROMISE_ON_RESTART,
            summary: "Acceptors keep their promise and accepted proposal only in memory, so a restarted acceptor promises and accepts as if new, and a second value can be chosen.",
            caught_by: &[AT_MOST_ONE_CHOSEN],
            budget: 2000,
        },
        BugInfo {
            name: BUG_IGNORE_ACCEPTED_VALUE,
            summary: "In phase 2(a) the proposer proposes its own value even when a promise reported an accepted one, so it can overwrite a chosen value.",
            caught_by: &[AT_MOST_ONE_CHOSEN],
            budget: 2000,
        },
        BugInfo {
            name: BUG_MINORITY_QUORUM,
            summary: "The proposer proceeds with promises, and counts its value chosen with acceptances, from floor(n/2) acceptors: two minorities need not share anyone.",
            caught_by: &[AT_MOST_ONE_CHOSEN, LEARN_ONLY_CHOSEN],
            budget: 2000,
        },
    ],
    invariants: checker::INVARIANTS,
    expected: &[],
    columns: &["server", "role", "proposal", "promised", "accepted", "learned"],
    build: protocol::build::<PaxosTopic>,
};

impl ProtocolTopic for PaxosTopic {
    const INFO: &'static TopicInfo = &INFO;
    type Node = PaxosNode;
    type Checker = PaxosChecker;
    const FOCUS_ROLE: &'static str = "proposer";
    const EXPLORABLE: bool = true;

    fn setup(setup: &Setup) -> (Vec<PaxosNode>, PaxosChecker) {
        let mode = if setup.param(MODE) == 1 {
            Mode::Multi
        } else {
            Mode::Basic
        };
        let backoff = if setup.param(BACKOFF) == 0 {
            Backoff::Immediate
        } else {
            Backoff::Randomized
        };
        let config = PaxosConfig {
            mode,
            backoff,
            cluster_size: setup.nodes,
            proposers: (setup.param(PROPOSERS).clamp(1, 3) as usize).min(setup.nodes),
            timing: PaxosTiming::default(),
            bugs: PaxosBugs {
                forget_promise_on_restart: setup.bug(BUG_FORGET_PROMISE_ON_RESTART),
                ignore_accepted_value: setup.bug(BUG_IGNORE_ACCEPTED_VALUE),
                minority_quorum: setup.bug(BUG_MINORITY_QUORUM),
            },
        };
        let nodes = (0..setup.nodes as u32)
            .map(|i| PaxosNode::new(NodeId(i), config))
            .collect();
        (nodes, PaxosChecker::default())
    }

    /// Multi-Paxos: the running leader with the highest ballot, else the first
    /// running proposer. Basic Paxos: the running proposer that has had the
    /// fewest client values, so the workload's values take turns and
    /// proposers compete, as the paper's clients would make them.
    fn focus(nodes: &[PaxosNode], up: &[bool]) -> Option<NodeId> {
        let running = || {
            nodes
                .iter()
                .zip(up)
                .filter(|(node, &up)| up && node.is_proposer())
                .map(|(node, _)| node)
        };
        let leader = running()
            .filter(|node| node.leads())
            .max_by_key(|node| node.ballot())
            .map(PaxosNode::id);
        match nodes.first().map(PaxosNode::mode) {
            Some(Mode::Multi) => leader.or_else(|| running().next().map(PaxosNode::id)),
            _ => running()
                .min_by_key(|node| (node.requests(), node.id()))
                .map(PaxosNode::id),
        }
    }

    /// The page's Client request button: a value to propose.
    fn client_request(index: u64) -> Option<PaxosOp> {
        Some(PaxosOp::Propose { value: index })
    }

    /// Propose at a chosen server, as the stories do: two proposers at once
    /// make a duel.
    const OPERATIONS: &'static [OperationButton] = &[OperationButton {
        label: "Propose",
        help: "The chosen server proposes a fresh value (a server that is not a proposer, or not the leader in Multi-Paxos, passes it on)",
        at_node: true,
    }];

    fn operation(button: usize, _at: NodeId, _setup: &Setup, sent: u64) -> Option<PaxosOp> {
        (button == 0).then_some(PaxosOp::Propose { value: 100 + sent })
    }

    /// The instant each value was chosen, which no server knows yet then.
    const ANNOTATED: bool = true;

    fn annotations(simulation: &Simulation<PaxosNode, PaxosChecker>) -> Annotations {
        let multi = simulation
            .nodes()
            .first()
            .is_some_and(|node| node.mode() == Mode::Multi);
        let marks = simulation
            .checker()
            .choices()
            .iter()
            .map(|choice| Mark {
                at: choice.time,
                label: if multi {
                    format!("slot {}: {} chosen", choice.slot, choice.value)
                } else {
                    format!("{} chosen ({})", choice.value, choice.ballot)
                },
            })
            .collect();
        Annotations {
            spans: Vec::new(),
            marks,
        }
    }
}

#[cfg(test)]
mod tests;
