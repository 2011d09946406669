//! Leader election: the bully algorithm, the Chang–Roberts ring, and leases.
//!
//! **The problem.** A group of processes needs one of them to act alone (a
//! coordinator, a primary, the node that takes writes), and must pick it again
//! when it fails, with nothing but messages and timeouts.
//!
//! **Bully** (Garcia-Molina, "Elections in a Distributed Computing System",
//! IEEE Trans. Computers C-31(1), 1982; `bully.rs`). Ids are priorities. A node
//! that notices the coordinator is gone (its heartbeats stop: procedure
//! Timeout) sends ELECTION to every higher node (procedure Election); any that
//! is up ANSWERs and holds its own election; a node that no higher node answers
//! wins and sends COORDINATOR to all. A recovering node holds an election at
//! once (procedure Recovery), so a returning high node "bullies" its way back.
//! Messages: up to n² − 1 when the lowest node starts, n − 1 when the highest
//! does.
//!
//! **Ring** (Chang & Roberts, "An improved algorithm for decentralized
//! extrema-finding in circular configurations of processes", CACM 22(5), 1979;
//! `ring.rs`). Nodes sit on a ring (in id order either way, or shuffled by the
//! seed: the `placement` parameter). A starting node sends its id to its
//! successor; each node passes on ids larger than its own and swallows smaller
//! ones; the id that comes back to its owner is the largest, which then sends
//! ELECTED round once. With every node starting: n(n+1)/2 ELECTION messages at
//! worst (ids decreasing along the ring), n·H(n) on average over random
//! placements, plus n ELECTED. Hops are acknowledged and a silent successor is
//! skipped, which the paper, whose ring never fails, does not need.
//!
//! **Leases** (Gray & Cheriton, "Leases: An Efficient Fault-Tolerant Mechanism
//! for Distributed File Cache Consistency", SOSP 1989, §2, §3.1; `lease.rs`).
//! Leadership is a lease for a term, granted by a majority: each grantor
//! promises not to grant another lease until its own clock has run the term
//! plus the drift bound ε after its grant (and keeps that promise on stable
//! storage); the holder believes its lease until its own clock has run the
//! term minus ε after it asked, and renews halfway. Clocks have offsets
//! (irrelevant: only durations on one clock are compared) and drift (each
//! clock `drift-ppm` fast or slow); ε = term × drift bound covers the worst
//! pair. Beyond the paper, for liveness under faults: a refusal says how long
//! the refuser's promise still runs, a failed candidate releases its grantors,
//! and a candidate yields to a higher one.
//!
//! **Invariants** (`checker.rs`). `single-leader` (bully, ring): a leader
//! outranks every node that made it leader: no node follows a node it
//! outranks, no id wins after a higher node passed it on. Bully and ring
//! cannot keep two sides of a partition from each electing a leader (they
//! assume a network that does not partition), so the invariant does not ask
//! that; nor can "at most one leader believed by a majority" fail, since each
//! node believes in one leader and two majorities would need more nodes than
//! there are. `lease-exclusion` (leases): no two nodes believe they hold a
//! valid lease at the same real time, judged from their believed expiries and
//! the run's clock model. That all running nodes eventually agree is not an
//! invariant (it fails until the network heals); the state table shows it.
//!
//! **Bugs.** `ring-forward-smaller`: a node passes on every id, even one
//! smaller than its own, so every id comes back and every node declares
//! itself leader. `lease-ignores-drift`: holder and grantors leave ε out, so a
//! slow holder believes its lease after a fast grantor's promise is over and
//! two leases overlap. A bug runs in its own mode, whatever the `mode`
//! parameter says (the sweep of a bug uses the default parameters).
//!
//! **Left out.** Garcia-Molina's Invitation algorithm (elections under
//! partitions) and his Halt/Ready reorganisation phase; Chang and Roberts'
//! bidirectional variants; Gray and Cheriton's per-file leases and their
//! approval of writes (here a lease is leadership only); fencing tokens.
//! Message counts (`count.rs`) are measured over fault-free runs with a fixed
//! latency.

mod bully;
pub mod checker;
pub mod count;
mod lease;
pub mod message;
pub mod node;
pub mod presets;
mod ring;

use std::rc::Rc;

use crate::lab::params;
use crate::lab::protocol::{self, OperationButton, ProtocolTopic, Setup};
use crate::lab::topic::{BugInfo, Category, ParamSpec, TopicInfo, TopicKind};
use crate::sim::action::{Action, TimedAction};
use crate::sim::rng::Rng;
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::view::{Annotations, Bar, Chart, Palette, Span};
use crate::sim::world::Simulation;

use checker::{ClockModel, ElectionChecker, LEASE_EXCLUSION, SINGLE_LEADER};
use message::{ElectionOp, Mode, Placement};
use node::{Bugs, Config, ElectionNode, Timing};

pub const BUG_RING_FORWARD_SMALLER: &str = "ring-forward-smaller";
pub const BUG_LEASE_IGNORES_DRIFT: &str = "lease-ignores-drift";

pub const MODE: &str = "mode";
pub const PLACEMENT: &str = "placement";
pub const LEASE_MS: &str = "lease-ms";
pub const DRIFT_PPM: &str = "drift-ppm";
pub const OFFSET_MS: &str = "offset-ms";

/// The RNG stream the ring's placement is drawn from.
const PLACEMENT_STREAM: u64 = 0xE1EC_0001;
/// The RNG stream the clocks' skews are drawn from.
const CLOCK_STREAM: u64 = 0xE1EC_0002;

const MODE_PARAM: ParamSpec = ParamSpec {
    name: MODE,
    label: "Algorithm",
    default: 0,
    min: 0,
    max: 2,
    step: 1,
    help: "Bully (Garcia-Molina), ring (Chang–Roberts), or leadership by a lease granted by a majority (Gray–Cheriton).",
    choices: &["Bully", "Ring (Chang–Roberts)", "Leases"],
};

const PLACEMENT_PARAM: ParamSpec = ParamSpec {
    name: PLACEMENT,
    label: "Ring order",
    default: 2,
    min: 0,
    max: 2,
    step: 1,
    help: "Ring mode: successors in ascending id order (fewest messages), descending (most), or shuffled by the seed (the average case).",
    choices: &["Ascending", "Descending", "Shuffled"],
};

const LEASE_PARAM: ParamSpec = ParamSpec {
    name: LEASE_MS,
    label: "Lease term (ms)",
    default: 500,
    min: 200,
    max: 5000,
    step: 100,
    help: "Leases mode: how long a granted lease lasts.",
    choices: &[],
};

const DRIFT_PARAM: ParamSpec = ParamSpec {
    name: DRIFT_PPM,
    label: "Clock drift bound (ppm)",
    default: 100_000,
    min: 0,
    max: 200_000,
    step: 1000,
    help: "Leases mode: each clock runs this many parts per million fast or slow (which, drawn from the seed); the nodes pad leases by it. Exaggerated (real clocks drift tens of ppm) so the effect shows at the scale of a one-second lease.",
    choices: &[],
};

const OFFSET_PARAM: ParamSpec = ParamSpec {
    name: OFFSET_MS,
    label: "Clock offset bound (ms)",
    default: 200,
    min: 0,
    max: 5000,
    step: 10,
    help: "Leases mode: each clock runs up to this far ahead of real time (drawn from the seed).",
    choices: &[],
};

/// The leader-election topic.
pub struct LeaderElectionTopic;

pub static INFO: TopicInfo = TopicInfo {
    slug: "leader-election",
    title: "Leader election",
    category: Category::Consensus,
    kind: TopicKind::Protocol,
    summary: "Three ways to pick one leader: the bully algorithm, the Chang–Roberts ring, and a lease granted by a majority under clock drift. Crash the leader, bring a higher node back, cut the ring, skew the clocks, and switch on a broken rule to watch two leaders overlap. A chart sets each run's messages per election against the O(n²) and O(n log n) theory.",
    reference: "Garcia-Molina, Elections in a Distributed Computing System, IEEE Trans. Computers 1982; Chang & Roberts, An improved algorithm for decentralized extrema-finding in circular configurations of processes, CACM 1979; Gray & Cheriton, Leases, SOSP 1989 (§2, §3.1)",
    params: &[
        params::nodes(5, 3, 64, 1),
        MODE_PARAM,
        PLACEMENT_PARAM,
        LEASE_PARAM,
        DRIFT_PARAM,
        OFFSET_PARAM,
        params::DROP_PERCENT,
        params::latency(30),
    ],
    presets: &presets::PRESETS,
    bugs: &[
        BugInfo {
            name: BUG_RING_FORWARD_SMALLER,
            summary: "Ring: pass on every id, even one smaller than your own, so every id comes back and every node declares itself leader (runs in ring mode).",
            caught_by: &[SINGLE_LEADER],
            budget: 20,
        },
        BugInfo {
            name: BUG_LEASE_IGNORES_DRIFT,
            summary: "Leases: the holder and the grantors leave the drift bound out, so a slow holder still believes its lease after a fast grantor's promise is over (runs in leases mode).",
            caught_by: &[LEASE_EXCLUSION],
            budget: 2000,
        },
    ],
    invariants: checker::INVARIANTS,
    expected: &[],
    columns: &[
        "node",
        "role",
        "leader",
        "election",
        "ring successor",
        "lease held until (local)",
        "promised to",
        "clock",
    ],
    build: protocol::build::<LeaderElectionTopic>,
};

/// The mode a scenario runs: the bug's own mode if a bug is on, else the
/// `mode` parameter.
pub fn mode(setup: &Setup) -> Mode {
    if setup.bug(BUG_RING_FORWARD_SMALLER) {
        Mode::Ring
    } else if setup.bug(BUG_LEASE_IGNORES_DRIFT) {
        Mode::Leases
    } else {
        Mode::from_param(setup.param(MODE)).unwrap_or(Mode::Bully)
    }
}

/// The ring, clockwise from position 0.
pub fn ring_order(placement: Placement, nodes: usize, seed: u64) -> Vec<u32> {
    let mut ring: Vec<u32> = (0..nodes as u32).collect();
    match placement {
        Placement::Ascending => {}
        Placement::Descending => ring.reverse(),
        Placement::Shuffled => Rng::derive(seed, PLACEMENT_STREAM).shuffle(&mut ring),
    }
    ring
}

/// Each node's clock skew (offset in microseconds, drift in ppm): drawn from
/// the seed within the parameters' bounds in leases mode, none otherwise.
pub fn clock_skews(setup: &Setup) -> Vec<(i64, i32)> {
    if mode(setup) != Mode::Leases {
        return vec![(0, 0); setup.nodes];
    }
    let offset = setup.param(OFFSET_MS).max(0) as u64 * 1000;
    let drift = setup.param(DRIFT_PPM).max(0) as u64;
    let mut rng = Rng::derive(setup.seed(), CLOCK_STREAM);
    (0..setup.nodes)
        .map(|_| {
            let o = rng.range_inclusive(0, offset) as i64;
            // At the bound, fast or slow: the worst the bound allows, which is
            // what the drift bound must cover.
            let d = if rng.coin() {
                drift as i64
            } else {
                -(drift as i64)
            };
            (o, d as i32)
        })
        .collect()
}

/// The shared configuration of a scenario's nodes.
pub fn config(setup: &Setup) -> Config {
    let mode = mode(setup);
    let latency = Duration::from_millis(setup.param(params::LATENCY).max(1) as u64);
    let lease = Duration::from_millis(setup.param(LEASE_MS).max(1) as u64);
    let drift = setup.param(DRIFT_PPM).max(0) as u64;
    let placement = Placement::from_param(setup.param(PLACEMENT)).unwrap_or(Placement::Shuffled);
    Config {
        mode,
        nodes: setup.nodes,
        ring: ring_order(placement, setup.nodes, setup.seed()),
        timing: Timing::new(setup.nodes, latency, lease, drift),
        bugs: Bugs {
            forward_smaller: setup.bug(BUG_RING_FORWARD_SMALLER),
            ignore_drift: setup.bug(BUG_LEASE_IGNORES_DRIFT),
        },
        clocks: clock_skews(setup),
    }
}

/// The preset script of the scenario, if it names one.
fn script(setup: &Setup) -> Vec<TimedAction> {
    setup
        .scenario
        .preset
        .as_deref()
        .and_then(|name| presets::PRESETS.iter().find(|p| p.info.name == name))
        .map(|preset| (preset.script)(setup))
        .unwrap_or_default()
}

impl ProtocolTopic for LeaderElectionTopic {
    const INFO: &'static TopicInfo = &INFO;
    type Node = ElectionNode;
    type Checker = ElectionChecker;
    const FOCUS_ROLE: &'static str = "leader";

    fn setup(setup: &Setup) -> (Vec<ElectionNode>, ElectionChecker) {
        let config = Rc::new(config(setup));
        let nodes = (0..setup.nodes as u32)
            .map(|i| ElectionNode::new(NodeId(i), Rc::clone(&config)))
            .collect();
        // Every clock setting of the run, so the checker can read each node's
        // clock at any real time.
        let planned = Self::parameter_actions(setup);
        let scripted = script(setup);
        let clocks = ClockModel::from_actions(
            planned
                .iter()
                .chain(scripted.iter())
                .chain(setup.scenario.actions.iter()),
        );
        (
            nodes,
            ElectionChecker::new(config.mode, setup.nodes, clocks),
        )
    }

    /// The running node that believes it leads (or holds a lease), the highest
    /// if several do.
    fn focus(nodes: &[ElectionNode], up: &[bool]) -> Option<NodeId> {
        nodes
            .iter()
            .zip(up)
            .filter(|(node, &up)| up && (node.believes_it_leads() || node.lease().is_some()))
            .map(|(node, _)| node.id())
            .max()
    }

    fn parameter_actions(setup: &Setup) -> Vec<TimedAction> {
        clock_skews(setup)
            .into_iter()
            .enumerate()
            .filter(|&(_, skew)| skew != (0, 0))
            .map(|(i, (offset_us, drift_ppm))| {
                TimedAction::at_ms(
                    0,
                    Action::SetClock {
                        node: NodeId(i as u32),
                        offset_us,
                        drift_ppm,
                    },
                )
            })
            .collect()
    }

    /// Leases are safe only within their drift bound: a person skews one
    /// node's clock from the page to see it.
    const CLOCKED: bool = true;

    const OPERATIONS: &'static [OperationButton] = &[OperationButton {
        label: "Start election",
        help: "The chosen node starts an election now (in leases mode: asks for a lease now)",
        at_node: true,
    }];

    fn operation(button: usize, _at: NodeId, _setup: &Setup, _sent: u64) -> Option<ElectionOp> {
        (button == 0).then_some(ElectionOp::StartElection)
    }

    const ANNOTATED: bool = true;

    /// A bar per reign: while a node believed it led (bully, ring) or held a
    /// lease (leases, up to its believed expiry in real time).
    fn annotations(simulation: &Simulation<ElectionNode, ElectionChecker>) -> Annotations {
        let checker = simulation.checker();
        let now = simulation.now();
        let spans = checker
            .reigns()
            .iter()
            .map(|reign| {
                let expiry = reign
                    .lease
                    .map(|(_, until)| checker.clocks().global(reign.node.0, until, now));
                let end = match (reign.ended, expiry) {
                    (Some(ended), Some(expiry)) => Some(ended.min(expiry)),
                    (Some(ended), None) => Some(ended),
                    (None, Some(expiry)) if expiry <= now => Some(expiry),
                    _ => None,
                };
                let label = match reign.lease {
                    Some((attempt, _)) => format!("lease #{attempt}"),
                    None => "leader".to_string(),
                };
                Span {
                    node: reign.node,
                    from: reign.from,
                    to: end.map(|end: Time| end.max(reign.from)),
                    label,
                    palette: Palette::Lead,
                }
            })
            .collect();
        Annotations {
            spans,
            marks: Vec::new(),
        }
    }

    const CHARTED: bool = true;

    /// This run's election messages per election beside what theory says for
    /// its mode and size (no chart for leases, which hold no elections).
    fn charts(simulation: &Simulation<ElectionNode, ElectionChecker>) -> Vec<Chart> {
        let nodes = simulation.nodes();
        let Some(mode) = nodes.first().map(ElectionNode::mode) else {
            return Vec::new();
        };
        let Some(bounds) = count::bounds(mode, nodes.len()) else {
            return Vec::new();
        };
        let sent: u64 = nodes.iter().map(ElectionNode::election_messages_sent).sum();
        let elections = simulation.checker().reigns().len() as u64;
        let bar = |label: &str, value: f64, palette| Bar {
            label: label.to_string(),
            value: value.round() as u64,
            palette,
        };
        // The pinned sweep (count.rs): this mode's mean and worst seed against
        // the theory's average and worst case at each size.
        let pinned = count::pinned(mode);
        let (name, worst_formula) = match mode {
            Mode::Bully => ("bully", "n²−1"),
            _ => ("ring", "n(n+1)/2+n"),
        };
        let sizes = count::SWEEP_SIZES.iter().enumerate().flat_map(|(i, &n)| {
            let theory = count::bounds(mode, n).unwrap_or(bounds);
            [
                bar(
                    &format!("n={n} mean"),
                    pinned.mean_tenths[i] as f64 / 10.0,
                    Palette::Lead,
                ),
                bar(&format!("n={n} average"), theory.average, Palette::Plain),
                bar(
                    &format!("n={n} worst seed"),
                    pinned.worst[i] as f64,
                    Palette::Contend,
                ),
                bar(&format!("n={n} worst case"), theory.worst, Palette::Suspect),
            ]
        });
        let sweep_chart = Chart {
            title: format!("Messages per election, {name}, n = 3 to 64"),
            unit: "",
            caption: format!(
                "measured over {} fault-free seeds per size (shuffled placement): the mean against the theory's average, the worst seed against the worst case {worst_formula}",
                count::SWEEP_SEEDS
            ),
            bars: sizes.collect(),
        };
        // Both modes' means side by side: O(n²) against O(n log n).
        let (bully, ring) = (count::pinned(Mode::Bully), count::pinned(Mode::Ring));
        let modes = count::SWEEP_SIZES.iter().enumerate().flat_map(|(i, &n)| {
            let average = |mode| count::bounds(mode, n).map_or(0.0, |b| b.average);
            [
                bar(
                    &format!("n={n} bully"),
                    bully.mean_tenths[i] as f64 / 10.0,
                    Palette::Contend,
                ),
                bar(
                    &format!("n={n} bully average"),
                    average(Mode::Bully),
                    Palette::Plain,
                ),
                bar(
                    &format!("n={n} ring"),
                    ring.mean_tenths[i] as f64 / 10.0,
                    Palette::Lead,
                ),
                bar(
                    &format!("n={n} ring average"),
                    average(Mode::Ring),
                    Palette::Plain,
                ),
            ]
        });
        let modes_chart = Chart {
            title: "Bully against ring, n = 3 to 64".into(),
            unit: "",
            caption: format!(
                "mean messages per election over {} seeds per size against the averages: bully (n²−1)/3+n−1, O(n²); ring n·H(n)+n, O(n log n)",
                count::SWEEP_SEEDS
            ),
            bars: modes.collect(),
        };
        vec![Chart {
            title: "Messages per election".into(),
            unit: "",
            caption: format!(
                "{sent} election messages for {elections} leaders so far, against theory for n = {}",
                nodes.len()
            ),
            bars: vec![
                bar(
                    "this run",
                    sent as f64 / elections.max(1) as f64,
                    Palette::Lead,
                ),
                bar("theory: best", bounds.best, Palette::Done),
                bar("theory: average", bounds.average, Palette::Plain),
                bar("theory: worst", bounds.worst, Palette::Suspect),
            ],
        }, sweep_chart, modes_chart]
    }
}

#[cfg(test)]
mod tests;
