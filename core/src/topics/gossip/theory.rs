//! The infection curve against the theory: how many rounds a rumour needs
//! to reach every node, predicted and measured.
//!
//! Theory (all for uniform random partners, one rumour, no failures):
//! push with fanout 1 needs log₂ n + ln n + O(1) rounds (Pittel, "On
//! spreading a rumor", SIAM J. Appl. Math. 1987, after Frieze & Grimmett);
//! with fanout f the growth phase multiplies the informed by f + 1 a round
//! and the last phase, where each uninformed node misses all pushes with
//! probability about e^(−f) a round, takes ln n / f more. Pull and push-pull
//! finish the last phase doubly exponentially (Karp, Schindelhauer, Shenker
//! & Vöcking, "Randomized Rumor Spreading", FOCS 2000): log₂ n + O(ln ln n)
//! for pull, log₃ n + O(ln ln n) for push-pull; with fanout f we use base
//! f + 1 and 2f + 1. These are the expected counts the page marks; the band
//! is measured by running the model over many seeds ([`infection_band`]).

use crate::sim::action::{Action, TimedAction};
use crate::sim::network::NetworkConfig;
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::world::{Recording, Simulation};

use super::checker::GossipChecker;
use super::message::{StartRumour, Version};
use super::node::{Config, GossipNode, Mode};

/// The rumour-mongering round the measurements use: longer than the
/// default network's largest latency (30 ms), so a round's messages arrive
/// before the next round starts, as the theory's synchronous rounds do.
pub const MEASURE_ROUND: Duration = Duration::from_millis(100);

/// The theory's expected rounds for a rumour to reach all `nodes`.
pub fn expected_rounds(mode: Mode, fanout: u32, nodes: usize) -> f64 {
    let n = nodes.max(2) as f64;
    let f = f64::from(fanout.max(1));
    let log = |base: f64| n.ln() / base.ln();
    let tail = n.ln().ln().max(0.0);
    match mode {
        Mode::Push => log(f + 1.0) + n.ln() / f,
        Mode::Pull => log(f + 1.0) + tail,
        Mode::PushPull => log(2.0 * f + 1.0) + tail,
    }
}

/// How long an update stays hot: twice log₂ n rounds and a few more, well
/// past the theory's count for push with fanout 1 (log₂ n + ln n), so a
/// rumour almost always reaches everyone on a loss-free network.
pub fn hot_rounds(nodes: usize) -> u32 {
    let log2 = usize::BITS - nodes.max(1).leading_zeros();
    2 * log2 + 4
}

/// Informed nodes after each round of a rumour, from the nodes' learning
/// times: entry r counts the nodes that held `version` of `key` (or a newer
/// one) before round r + 1 began, round 0 being the one in which the rumour
/// started at `started`. Stops at the first round in which everyone has it,
/// or after `max_rounds`.
pub fn infected_per_round(
    nodes: &[GossipNode],
    key: u8,
    version: Version,
    started: Time,
    round: Duration,
    max_rounds: usize,
) -> Vec<u32> {
    let round_us = round.as_micros().max(1);
    let first = started.as_micros() / round_us;
    let mut per_round = vec![0u32; max_rounds];
    for node in nodes {
        let entry = node.entry(key);
        if entry.version < version {
            continue;
        }
        let r = (entry.learned_at.as_micros() / round_us).saturating_sub(first) as usize;
        if let Some(count) = per_round.get_mut(r) {
            *count += 1;
        }
    }
    let mut total = 0;
    let mut curve = Vec::with_capacity(max_rounds);
    for count in per_round {
        total += count;
        curve.push(total);
        if total as usize >= nodes.len() {
            break;
        }
    }
    curve
}

/// One measurement run: a rumour started at node 0 at time zero in `nodes`
/// nodes, no faults; its infection curve.
pub fn infection_curve(mode: Mode, fanout: u32, nodes: usize, seed: u64) -> Vec<u32> {
    let config = Config {
        mode,
        fanout,
        round: MEASURE_ROUND,
        hot_rounds: hot_rounds(nodes),
        anti_entropy: None,
        swim: None,
    };
    let members = (0..nodes)
        .map(|i| GossipNode::new(NodeId(i as u32), nodes, config))
        .collect();
    let mut simulation = Simulation::new(
        members,
        GossipChecker::new(nodes),
        seed,
        NetworkConfig::default(),
        Recording {
            trace: false,
            check: false,
        },
    );
    let start = StartRumour { key: 0 };
    simulation.set_plan(vec![TimedAction::at_ms(
        0,
        Action::operation(Some(NodeId(0)), &start),
    )]);
    let max_rounds = hot_rounds(nodes) as usize * 2;
    let end = Time::from_millis(MEASURE_ROUND.as_micros() / 1000 * max_rounds as u64);
    while simulation.next_time().is_some_and(|t| t < end) {
        simulation.step();
    }
    let version = Version {
        counter: 1,
        origin: 0,
    };
    infected_per_round(
        simulation.nodes(),
        0,
        version,
        Time::ZERO,
        MEASURE_ROUND,
        max_rounds,
    )
}

/// The infection curves of `seeds` runs summed up: per round, the fewest,
/// the median and the most informed nodes; and the rounds the runs took to
/// reach everyone (fewest, median, most).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Band {
    pub nodes: usize,
    pub per_round: Vec<[u32; 3]>,
    pub rounds_to_all: [u32; 3],
    /// How many runs reached every node.
    pub complete: u32,
}

fn quantiles(values: &mut [u32]) -> [u32; 3] {
    values.sort_unstable();
    match values {
        [] => [0; 3],
        _ => [
            values[0],
            values[values.len() / 2],
            values[values.len() - 1],
        ],
    }
}

/// Runs seeds 1..=`seeds` and sums their curves up (a run that finished
/// counts as everyone informed in the later rounds).
pub fn infection_band(mode: Mode, fanout: u32, nodes: usize, seeds: u64) -> Band {
    let curves: Vec<Vec<u32>> = (1..=seeds)
        .map(|seed| infection_curve(mode, fanout, nodes, seed))
        .collect();
    let longest = curves.iter().map(Vec::len).max().unwrap_or(0);
    let per_round = (0..longest)
        .map(|r| {
            let mut at: Vec<u32> = curves
                .iter()
                .map(|c| c.get(r).or(c.last()).copied().unwrap_or(0))
                .collect();
            quantiles(&mut at)
        })
        .collect();
    let mut finished: Vec<u32> = curves
        .iter()
        .filter(|c| c.last().is_some_and(|&n| n as usize >= nodes))
        .map(|c| c.len() as u32 - 1)
        .collect();
    Band {
        nodes,
        per_round,
        complete: finished.len() as u32,
        rounds_to_all: quantiles(&mut finished),
    }
}
