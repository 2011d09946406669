//! The guided runs of leader election: each preset's narration and script.
//!
//! Scripts force the first move (who starts the election, who asks for the
//! first lease) and the faults the story needs; the seed fixes the rest. The
//! times in the narration were read off the trace of each preset
//! (`distlab run leader-election --preset NAME`).

use crate::lab::protocol::node;
use crate::lab::protocol::{ProtocolPreset, Setup};
use crate::lab::topic::say;
use crate::lab::topic::PresetInfo;
use crate::sim::action::{Action, TimedAction};

use super::message::ElectionOp;
use super::{clock_skews, BUG_LEASE_IGNORES_DRIFT, BUG_RING_FORWARD_SMALLER};

fn start_election(ms: u64, at: u32) -> TimedAction {
    TimedAction::at_ms(
        ms,
        Action::operation(Some(node(at)), &ElectionOp::StartElection),
    )
}

pub const PRESETS: &[ProtocolPreset] = &[
    ProtocolPreset {
        info: PresetInfo {
            name: "bully-leader-crash",
            title: "Bully: first election, then the leader crashes",
            summary: "n1 starts the first election and n4, the highest, wins; n4 crashes and n3, the next highest, takes over.",
            seed: 1,
            params: &[("nodes", 5), ("mode", 0)],
            bug: None,
            narration: &[
                say(0, "Five nodes start with no coordinator. Each waits for one to speak; none does. Ids are priorities: the highest running node should lead."),
                say(50, "n1 starts an election: it sends ELECTION to every node above it (n2, n3, n4) and waits for an ANSWER."),
                say(70, "n2, n3 and n4 are up: each ANSWERs n1 and, knowing no coordinator, holds its own election among the nodes above it. n4 has nobody above it, so it wins at once and sends COORDINATOR to everyone."),
                say(130, "Everyone follows n4, which sends a heartbeat every 100 ms. ANSWERs that arrive after a node has heard the coordinator change nothing. Starting second from the bottom, the election cost at most 3 + 2 + 1 ELECTIONs, as many ANSWERs and 4 COORDINATORs."),
                say(1000, "n4 crashes. Its heartbeats stop."),
                say(1410, "n2's silence timeout fires first (each node draws its own): it holds an election. n3 answers it and holds its own; n4 does not answer anyone."),
                say(1560, "n3's answer wait runs out with no answer from n4, so n3 declares itself coordinator and everyone follows it: the next highest node takes over."),
            ],
        },
        script: bully_leader_crash,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "bully-recovery",
            title: "Bully: a higher node comes back and bullies",
            summary: "n4 is down while n3 leads; when n4 restarts it holds an election, nobody outranks it, and it takes over.",
            seed: 2,
            params: &[("nodes", 5), ("mode", 0)],
            bug: None,
            narration: &[
                say(0, "n4, the highest node, is down from the start. At 10 ms n0 starts the first election."),
                say(25, "n1, n2 and n3 answer and hold their own elections; n4 answers nobody."),
                say(107, "n3's answer wait runs out with nobody above it answering: n3 becomes coordinator and everyone follows it."),
                say(1500, "n4 restarts. Garcia-Molina's Recovery procedure: a node that comes back holds an election at once. Nobody is above n4, so it declares itself coordinator straight away."),
                say(1530, "n3 and the others receive COORDINATOR from a node that outranks them and follow it: the returning node has bullied its way back to the top."),
            ],
        },
        script: bully_recovery,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "ring-election",
            title: "Ring: ids travel round, the largest comes back",
            summary: "Six nodes on a shuffled ring all start; each passes on only larger ids; n5's id comes back and it announces itself. Then n5 crashes and the ring closes over it.",
            seed: 3,
            params: &[("nodes", 6), ("mode", 1), ("placement", 2)],
            bug: None,
            narration: &[
                say(0, "Six nodes sit on a ring in an order drawn from the seed (the state table shows each one's successor). Every node starts an election by sending its own id to its successor."),
                say(16, "A node passes on an id larger than its own and swallows a smaller one (it has already sent its own, larger id). Each hop is acknowledged, so a crashed successor can be skipped."),
                say(118, "Only n5's id survives every hop; when it comes back to n5, n5 knows it is the largest and sends ELECTED round the ring once (everyone knows by 246 ms). Chang and Roberts: with random placement, about n·H(n) ELECTION messages."),
                say(1200, "n5 crashes. Its heartbeats stop."),
                say(1617, "n1 notices first and sends its id; n3 and n4, which outrank the ids they receive, send their own instead."),
                say(1727, "n4's hop to n5 is not acknowledged, so n4 skips it and sends to the next node: the ring closes over the crashed node."),
                say(1828, "n4's id comes back to it: n4, now the largest, is elected and announces it round the shorter ring."),
            ],
        },
        script: ring_election,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "ring-forward-smaller",
            title: "Bug: the ring passes on smaller ids",
            summary: "With every id passed on, every id comes back to its owner and every node declares itself leader; the checker catches the first.",
            seed: 4,
            params: &[("nodes", 5), ("mode", 1), ("placement", 2)],
            bug: Some(BUG_RING_FORWARD_SMALLER),
            narration: &[
                say(0, "The bug: a node passes on every id it receives, even one smaller than its own. Every node starts an election."),
                say(11, "Smaller ids are no longer swallowed (n4 passes on n0's), so every id travels all the way round: n·n messages instead of n·H(n)."),
                say(81, "n2's id comes back to it and it declares itself leader, though n3 and n4, which outrank it, passed its id on: single-leader fails. n1, n0 and n4 follow within 15 ms: one election, four leaders."),
            ],
        },
        script: ring_forward_smaller,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "lease-skew",
            title: "Leases under clock drift",
            summary: "A holder with a slow clock is cut off; the drift bound makes its belief end before the others' promises do, so the next lease never overlaps.",
            seed: 5,
            params: &[("nodes", 5), ("mode", 2), ("lease-ms", 1000), ("drift-ppm", 50000)],
            bug: None,
            narration: &[
                say(0, "Each clock is up to 200 ms ahead and runs 5% fast or slow (the clock column). n0, one of the slow clocks, asks for a lease first."),
                say(44, "A majority grants it: each grantor promises, by its own clock, to grant nobody else for the 1000 ms term plus the drift bound ε = 51 ms. n0 believes its lease for the term minus ε, counted from when it asked, by its own clock; it renews halfway through (567 ms)."),
                say(700, "n0 is cut off from everyone. It still believes its lease (the bar on its lane) until its own clock says the term minus ε has passed; its renewals get no answer."),
                say(1526, "By n0's slow clock, lease #2 is over. The grantors' promises, padded by ε on their side too, outlast it even on the fast clocks."),
                say(1603, "Only then can n4 gather a majority: it holds the next lease, and the bars never overlap. lease-exclusion holds."),
                say(2600, "The network heals. n0 takes n4's renewals like everyone else."),
            ],
        },
        script: lease_cut_off,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "lease-ignores-drift",
            title: "Bug: leases that ignore clock drift",
            summary: "The same story without the drift bound: the slow holder still believes its lease after the fast grantors' promises ran out, and the checker catches two leases at once.",
            seed: 5,
            params: &[("nodes", 5), ("mode", 2), ("lease-ms", 1000), ("drift-ppm", 50000)],
            bug: Some(BUG_LEASE_IGNORES_DRIFT),
            narration: &[
                say(0, "The bug: holder and grantors count the bare term, as if all clocks ran at the same rate. n0, with a clock 5% slow, asks for a lease first and renews it at 567 ms."),
                say(700, "n0 is cut off. By its slow clock its lease lasts longer in real time than the term: until 1580 ms."),
                say(1530, "The grantors with fast clocks (n1, n3, n4) end their promises early in real time. n3 asks, then yields to n4, which outranks it."),
                say(1559, "n4 gathers a majority and holds a lease while n0 still believes in its own: two leaders at once, and lease-exclusion fails."),
            ],
        },
        script: lease_cut_off,
    },
];

fn bully_leader_crash(_: &Setup) -> Vec<TimedAction> {
    vec![
        start_election(50, 1),
        TimedAction::at_ms(1000, Action::Crash(node(4))),
    ]
}

fn bully_recovery(_: &Setup) -> Vec<TimedAction> {
    vec![
        TimedAction::at_ms(1, Action::Crash(node(4))),
        start_election(10, 0),
        TimedAction::at_ms(1500, Action::Restart(node(4))),
    ]
}

fn ring_election(_: &Setup) -> Vec<TimedAction> {
    vec![TimedAction::at_ms(1200, Action::Crash(node(5)))]
}

fn ring_forward_smaller(_: &Setup) -> Vec<TimedAction> {
    Vec::new()
}

/// The node with the slowest clock asks first; at 700 ms it is cut off from
/// everyone; the network heals at 2600 ms.
fn lease_cut_off(setup: &Setup) -> Vec<TimedAction> {
    let skews = clock_skews(setup);
    let slowest = (0..skews.len()).min_by_key(|&i| skews[i].1).unwrap_or(0) as u32;
    let groups = (0..setup.nodes as u32)
        .map(|i| u32::from(i == slowest))
        .collect();
    vec![
        start_election(1, slowest),
        TimedAction::at_ms(700, Action::Partition(groups)),
        TimedAction::at_ms(2600, Action::Heal),
    ]
}
