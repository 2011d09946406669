//! Gossip: spreading updates and detecting failures by talking to a few
//! random peers at a time.
//!
//! **Problem.** A replicated database with thousands of sites must get every
//! update to every site, and every site must learn which members have
//! failed. Sending each update to everyone (a broadcast) costs n messages
//! per update at the source and breaks when the source or the network
//! fails halfway; a central failure detector that everyone heartbeats is a
//! bottleneck and a single point of failure, and all-to-all heartbeating
//! costs n² messages a period.
//!
//! **Idea.** Epidemics. Demers, Greene, Hauser, Irish, Larson, Shenker,
//! Sturgis, Swinehart & Terry, "Epidemic Algorithms for Replicated
//! Database Maintenance", PODC 1987: each site periodically picks a random
//! partner and exchanges news with it. *Rumour mongering* (§1.3): a site
//! that learns a new update becomes infective and spreads it for a while,
//! by **push** (send it), **pull** (ask for news) or **push-pull** (both);
//! the number of informed sites grows exponentially, so every site has it in
//! O(log n) rounds, at a constant cost per site per round. Rumours can die
//! out before reaching everyone, so a slower, thorough process backs them
//! up: *anti-entropy* (§1.2), where partners compare their whole databases
//! and repair every difference; comparing a *digest* (here the version of
//! each key) first means only the missing entries cross the wire. Das,
//! Gupta & Motivala, "SWIM: Scalable Weakly-consistent Infection-style
//! Process Group Membership Protocol", DSN 2002, applies the idea to
//! membership: each protocol period a member pings one random member; if no
//! ack comes within a timeout it asks k others to ping it for it
//! (**ping-req**, §3.1), and only if none of them gets an ack is the member
//! **suspected** (§4.2). The suspicion is gossiped piggybacked on the
//! probes (§4.1, infection-style dissemination); a suspected member that is
//! alive **refutes** it by incrementing its **incarnation number**, and only
//! a suspicion nobody refutes within the suspicion timeout is **confirmed**
//! dead. Detection time and per-member load stay constant as the group
//! grows; the suspicion sub-protocol trades a slower detection for far
//! fewer false positives on a lossy network.
//!
//! **The model.** Every node is a replica of an 8-key store (`node.rs`).
//! Rounds are aligned across nodes (the theory's synchronous rounds) and
//! the default latency (10–30 ms) is below the round (100 ms), so a round's
//! messages arrive before the next one. A write (the **Start rumour**
//! button, or the seeded workload's requests, which go to the first running
//! node) is a new version of a key; the writer makes it hot and pushes it to
//! `fanout` random peers per round and/or peers pull hot updates from
//! `fanout` random peers per round; each node keeps an update hot for 2·log₂
//! n + 4 rounds after learning it (Demers' blind counter). Anti-entropy
//! runs every `anti-entropy` ms with one random partner: a digest of 8
//! versions (64 bytes) goes out, the partner answers with its digest and the
//! entries the initiator lacks, and the initiator sends back what the
//! partner lacks; the charts compare the bytes with a full-state exchange
//! (73 bytes per entry). SWIM (`swim.rs`) runs beside it with period 200 ms,
//! ping timeout 80 ms, k = 3 and the `suspicion` timeout; each membership
//! update rides on 3·⌈log₂(n + 1)⌉ messages, the one about the receiver
//! first.
//!
//! **Invariants** (`checker.rs`): `no-alive-member-declared-dead`,
//! `rumour-only-from-source`, `incarnation-only-grows`. Whether everyone
//! eventually has a rumour is a liveness property with no end state to
//! check it at; the infection curve (plot) shows it, and the unit tests
//! require it of every mode.
//!
//! **Bug** `no-suspicion`: the prober confirms the target dead as soon as the
//! indirect probes fail (SWIM §3 without §4.2). A slow ack or a lost
//! message then kills a live member: the checker catches it even on a
//! network that never loses a message (`--faults crashes`: a delayed ack
//! and crashed helpers suffice).
//!
//! **Expected violations.** With suspicion on, under loss and partitions
//! the suspicion and every refutation can be lost or cut off for the whole
//! suspicion timeout, and a live member is confirmed dead: SWIM bounds the
//! false-positive rate, it does not make it zero. `TopicInfo::expected` says
//! so; on a network that only delays (`--faults crashes`) it never happens.
//!
//! **Liberties.** Probe targets are drawn at random rather than by SWIM's
//! round-robin over a shuffled list (§4.3, which bounds the detection time
//! in the worst case; the expected time is the same). The suspecter tells
//! the suspect directly as well as by gossip, and the suspect answers its
//! refutation directly (Lifeguard's "buddy system", Dadgar et al. 2018);
//! only the member whose probe failed confirms (others that hear the
//! suspicion just mark it). A restarted member rejoins with a higher
//! incarnation instead of a new identity. Rumour partners ignore the
//! membership (Demers' model has no failure detector).
//!
//! **Left out.** Demers' death certificates for deletions, spatial
//! distributions of partners, and the feedback variant of rumour
//! mongering; SWIM's join protocol and Lifeguard's adaptive timeouts;
//! Merkle-tree digests (the merkle-tree topic shows them).

pub mod checker;
pub mod message;
pub mod node;
pub mod presets;
pub mod swim;
pub mod theory;

use crate::decimal::decimal;
use crate::lab::params;
use crate::lab::protocol::{self, OperationButton, ProtocolTopic, Setup};
use crate::lab::topic::{BugInfo, Category, ExpectedViolation, ParamSpec, TopicInfo, TopicKind};
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::view::{Bar, Chart, Line, Palette, Plot};
use crate::sim::world::Simulation;

use checker::{GossipChecker, NO_ALIVE_MEMBER_DECLARED_DEAD};
use message::{StartRumour, Version, KEYS};
use node::{Config, GossipNode, Mode};
use swim::SwimConfig;
use theory::Band;

pub const BUG_NO_SUSPICION: &str = "no-suspicion";

pub const MODE: &str = "mode";
pub const FANOUT: &str = "fanout";
pub const ROUND: &str = "round";
pub const ANTI_ENTROPY: &str = "anti-entropy";
pub const SWIM: &str = "swim";
pub const SUSPICION: &str = "suspicion";

const MODE_PARAM: ParamSpec = ParamSpec {
    name: MODE,
    label: "Rumour mongering",
    default: 2,
    min: 0,
    max: 2,
    step: 1,
    help: "Push the news to random peers, pull it from them, or both (Demers et al. §1.3).",
    choices: &["Push", "Pull", "Push-pull"],
};

const FANOUT_PARAM: ParamSpec = ParamSpec {
    name: FANOUT,
    label: "Fanout",
    default: 1,
    min: 1,
    max: 8,
    step: 1,
    help: "Random peers each node contacts per round.",
    choices: &[],
};

const ROUND_PARAM: ParamSpec = ParamSpec {
    name: ROUND,
    label: "Round (ms)",
    default: 100,
    min: 20,
    max: 2000,
    step: 10,
    help: "The gossip period: one rumour-mongering round.",
    choices: &[],
};

const ANTI_ENTROPY_PARAM: ParamSpec = ParamSpec {
    name: ANTI_ENTROPY,
    label: "Anti-entropy every (ms, 0 = off)",
    default: 1000,
    min: 0,
    max: 10_000,
    step: 100,
    help:
        "How often each node compares digests with one random partner and repairs the differences.",
    choices: &[],
};

const SWIM_PARAM: ParamSpec = ParamSpec {
    name: SWIM,
    label: "SWIM failure detector",
    default: 1,
    min: 0,
    max: 1,
    step: 1,
    help: "Ping, ping-req through 3 members, suspicion and refutation (period 200 ms).",
    choices: &["Off", "On"],
};

const SUSPICION_PARAM: ParamSpec = ParamSpec {
    name: SUSPICION,
    label: "Suspicion timeout (ms)",
    default: 1000,
    min: 200,
    max: 10_000,
    step: 100,
    help: "How long a suspected member has to refute before it is confirmed dead.",
    choices: &[],
};

pub static INFO: TopicInfo = TopicInfo {
    slug: "gossip",
    title: "Gossip",
    category: Category::Replication,
    kind: TopicKind::Protocol,
    summary: "Rumours spread by push, pull and push-pull to up to 10,000 nodes, with the infection curve against the O(log n) theory; anti-entropy with digests repairs what rumours miss; SWIM pings, asks others to ping, suspects and confirms failed members. Drop messages and switch off suspicion to watch live members declared dead.",
    reference: "Demers et al., Epidemic Algorithms for Replicated Database Maintenance, PODC 1987 (§1.2 anti-entropy, §1.3 rumor mongering); Das, Gupta & Motivala, SWIM, DSN 2002 (§3.1 ping and ping-req, §4.1 dissemination, §4.2 suspicion)",
    params: &[
        params::nodes(16, 2, 10_000, 1),
        MODE_PARAM,
        FANOUT_PARAM,
        ROUND_PARAM,
        ANTI_ENTROPY_PARAM,
        SWIM_PARAM,
        SUSPICION_PARAM,
        params::request_rate(1, 20),
        params::DROP_PERCENT,
        params::latency(30),
    ],
    presets: &presets::PRESETS,
    bugs: &[BugInfo {
        name: BUG_NO_SUSPICION,
        summary: "A member whose indirect probes fail is confirmed dead at once, with no suspicion to refute: a slow ack or a lost message kills a live member (SWIM runs even if switched off).",
        caught_by: &[NO_ALIVE_MEMBER_DECLARED_DEAD],
        budget: 100,
    }],
    invariants: checker::INVARIANTS,
    expected: &[ExpectedViolation {
        invariant: NO_ALIVE_MEMBER_DECLARED_DEAD,
        when: "message loss and network partitions",
        explanation: "SWIM's suspicion bounds false positives, it does not remove them: if the suspicion and every refutation are lost or partitioned away for the whole suspicion timeout, a live member is confirmed dead. On a network that only delays messages it never happens.",
        budget: 300,
    }],
    columns: &[
        "node",
        "role",
        "store",
        "hot (rounds left)",
        "incarnation",
        "suspect / dead in view",
        "probing",
    ],
    build: protocol::build::<GossipTopic>,
};

pub struct GossipTopic;

/// Each node's configuration in `setup`'s scenario.
pub fn config(setup: &Setup) -> Config {
    let ms = |name: &str| Duration::from_millis(setup.param(name).max(0) as u64);
    let swim_on = setup.param(SWIM) != 0 || setup.bug(BUG_NO_SUSPICION);
    let retransmits = 3 * (usize::BITS - setup.nodes.leading_zeros());
    Config {
        mode: Mode::from_param(setup.param(MODE)).unwrap_or(Mode::PushPull),
        fanout: setup.param(FANOUT).clamp(1, 8) as u32,
        round: ms(ROUND),
        hot_rounds: theory::hot_rounds(setup.nodes),
        anti_entropy: (setup.param(ANTI_ENTROPY) > 0).then(|| ms(ANTI_ENTROPY)),
        swim: swim_on.then(|| SwimConfig {
            period: Duration::from_millis(200),
            ping_timeout: Duration::from_millis(80),
            indirect: 3,
            suspicion: (!setup.bug(BUG_NO_SUSPICION)).then(|| ms(SUSPICION)),
            retransmits,
        }),
    }
}

/// Clusters up to this size get a band measured over seeds in the page.
pub const BAND_MAX_NODES: usize = 100;
/// Seeds of the page's band.
pub const BAND_SEEDS: u64 = 10;

/// The newest rumour anywhere: its key, version and when it started.
pub fn newest_rumour(nodes: &[GossipNode]) -> Option<(u8, Version, Time)> {
    nodes
        .iter()
        .filter_map(|node| node.originations().1)
        .max_by_key(|&(_, version, at)| (at, version))
}

fn band_of(simulation: &Simulation<GossipNode, GossipChecker>) -> Option<&Band> {
    simulation
        .checker()
        .band
        .get_or_init(|| {
            let nodes = simulation.nodes();
            let config = nodes.first()?.config();
            (nodes.len() <= BAND_MAX_NODES).then(|| {
                theory::infection_band(config.mode, config.fanout, nodes.len(), BAND_SEEDS)
            })
        })
        .as_ref()
}

impl ProtocolTopic for GossipTopic {
    const INFO: &'static TopicInfo = &INFO;
    type Node = GossipNode;
    type Checker = GossipChecker;
    const MANY_NODES: bool = true;

    fn setup(setup: &Setup) -> (Vec<GossipNode>, GossipChecker) {
        let config = config(setup);
        let nodes = (0..setup.nodes)
            .map(|i| GossipNode::new(NodeId(i as u32), setup.nodes, config))
            .collect();
        (nodes, GossipChecker::new(setup.nodes))
    }

    fn client_request(index: u64) -> Option<StartRumour> {
        Some(StartRumour {
            key: (index % KEYS as u64) as u8,
        })
    }

    const OPERATIONS: &'static [OperationButton] = &[OperationButton {
        label: "Start rumour",
        help: "Write a fresh value at the chosen node: a new rumour for the cluster to spread",
        at_node: true,
    }];

    fn operation(button: usize, _at: NodeId, _setup: &Setup, sent: u64) -> Option<StartRumour> {
        (button == 0).then_some(StartRumour {
            key: (sent % KEYS as u64) as u8,
        })
    }

    /// The infection curve of the newest rumour, against the band measured
    /// over seeds and the theory's expected round count.
    const PLOTTED: bool = true;

    fn plots(simulation: &Simulation<GossipNode, GossipChecker>) -> Vec<Plot> {
        let nodes = simulation.nodes();
        let Some(config) = nodes.first().map(|n| *n.config()) else {
            return Vec::new();
        };
        let Some((key, version, started)) = newest_rumour(nodes) else {
            return Vec::new();
        };
        let round = config.round.as_micros().max(1);
        let first = started.as_micros() / round * round;
        // Round r's count is complete when round r + 1 starts.
        let at = |r: usize| Time(first + (r as u64 + 1) * round);
        let max_rounds = 4 * config.hot_rounds as usize;
        let curve =
            theory::infected_per_round(nodes, key, version, started, config.round, max_rounds);
        let mut lines = vec![Line {
            label: "this run".into(),
            palette: Palette::Done,
            points: curve
                .iter()
                .enumerate()
                .map(|(r, &count)| (at(r), u64::from(count)))
                .collect(),
        }];
        if let Some(band) = band_of(simulation) {
            for (i, (label, palette)) in [
                ("fewest over 10 seeds", Palette::Plain),
                ("median over 10 seeds", Palette::Lead),
                ("most over 10 seeds", Palette::Plain),
            ]
            .into_iter()
            .enumerate()
            {
                lines.push(Line {
                    label: label.into(),
                    palette,
                    points: band
                        .per_round
                        .iter()
                        .enumerate()
                        .map(|(r, q)| (at(r), u64::from(q[i])))
                        .collect(),
                });
            }
        }
        let expected = theory::expected_rounds(config.mode, config.fanout, nodes.len());
        let mark = Time(first + ((expected + 1.0) * round as f64) as u64);
        lines.push(Line {
            label: format!("theory: {} rounds", decimal(expected, 1)),
            palette: Palette::Suspect,
            points: vec![(mark, 0), (mark, nodes.len() as u64)],
        });
        vec![Plot {
            title: format!("Infection curve of k{key}={version}"),
            unit: "nodes",
            caption: format!(
                "nodes holding the newest rumour after each {} ms round ({}, fanout {})",
                round / 1000,
                config.mode.as_str(),
                config.fanout
            ),
            lines,
        }]
    }

    /// Bytes anti-entropy sent against a full-state exchange; SWIM's
    /// confirmations, true and false; rounds to everyone, theory against
    /// measured.
    const CHARTED: bool = true;

    fn charts(simulation: &Simulation<GossipNode, GossipChecker>) -> Vec<Chart> {
        let nodes = simulation.nodes();
        let Some(config) = nodes.first().map(|n| *n.config()) else {
            return Vec::new();
        };
        let (digest, full) = nodes.iter().fold((0, 0), |(d, f), node| {
            let stats = node.stats();
            (d + stats.digest_bytes, f + stats.full_state_bytes)
        });
        let (detections, false_positives) = simulation.checker().confirmations();
        let bar = |label: &str, value: u64, palette: Palette| Bar {
            label: label.into(),
            value,
            palette,
        };
        let mut rounds = vec![bar(
            "theory",
            theory::expected_rounds(config.mode, config.fanout, nodes.len()).round() as u64,
            Palette::Suspect,
        )];
        let measured = band_of(simulation).map(|band| band.rounds_to_all);
        if let Some([fewest, median, most]) = measured {
            rounds.push(bar("measured: fewest", fewest.into(), Palette::Plain));
            rounds.push(bar("measured: median", median.into(), Palette::Lead));
            rounds.push(bar("measured: most", most.into(), Palette::Plain));
        }
        vec![
            Chart {
                title: "Rounds to reach everyone".into(),
                unit: "rounds",
                caption: format!(
                    "{} with fanout {} in {} nodes: the theory's expected count, and the model's over 10 seeds (measured up to 100 nodes)",
                    config.mode.as_str(),
                    config.fanout,
                    nodes.len()
                ),
                bars: rounds,
            },
            Chart {
                title: "Anti-entropy traffic".into(),
                unit: "bytes",
                caption: "sent by digest exchanges so far, against exchanging whole stores".into(),
                bars: vec![
                    bar("with digests", digest, Palette::Done),
                    bar("full state", full, Palette::Suspect),
                ],
            },
            Chart {
                title: "Members confirmed dead".into(),
                unit: "",
                caption: "by SWIM so far: members that had gone down, and live members (false positives)".into(),
                bars: vec![
                    bar("really down", detections, Palette::Done),
                    bar("alive (false positive)", false_positives, Palette::Faulty),
                ],
            },
        ]
    }
}

#[cfg(test)]
mod tests;
