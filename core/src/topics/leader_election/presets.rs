//! The guided runs of leader election: each preset's narration and script.
//!
//! Scripts force the first move (who starts the election, who asks for the
//! first lease) and the faults the story needs; the seed fixes the rest. The
//! times in the narration were read off the trace of each preset
//! (`distlab run leader-election --preset NAME`).

use crate::lab::protocol::{ProtocolPreset, Setup};
use crate::lab::topic::{Narration, PresetInfo};
use crate::sim::action::{Action, TimedAction};
use crate::sim::time::{NodeId, Time};

use super::message::ElectionOp;
use super::{clock_skews, BUG_LEASE_IGNORES_DRIFT, BUG_RING_FORWARD_SMALLER};

const fn say(ms: u64, text: &'static str) -> Narration {
    Narration {
        at: Time::from_millis(ms),
        text,
    }
}

fn node(i: u32) -> NodeId {
    NodeId(i)
}

fn start_election(ms: u64, at: u32) -> TimedAction {
    TimedAction::at_ms(ms, Action::operation(Some(node(at)), &ElectionOp::StartElection))
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
                say(65, "n2, n3 and n4 are up: each ANSWERs n1 (which now waits for a coordinator) and holds its own election among the nodes above it. n4 has nobody above it, so it wins at once and sends COORDINATOR to everyone."),
                say(150, "Everyone follows n4, which sends a heartbeat every 100 ms. 4 + 3 + 2 + 1 ELECTIONs... no: 3 + 2 + 1 ELECTIONs, as many ANSWERs and 4 COORDINATORs, 16 messages: n1 was second from the bottom."),
                say(1000, "n4 crashes. Its heartbeats stop."),
                say(1300, "The first node whose silence timeout fires holds an election. n4 does not answer; n3 does, and n3, finding nobody above it answering, declares itself coordinator after its answer wait: the next highest takes over."),
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
                say(0, "n4, the highest node, is down from the start. n0 starts the first election."),
                say(60, "n4 does not answer; n3's answer wait runs out with nobody above it answering, so n3 becomes coordinator and everyone follows it."),
                say(1500, "n4 restarts. Garcia-Molina's Recovery procedure: a node that comes back holds an election at once. Nobody is above n4, so it declares itself coordinator straight away."),
                say(1530, "n3 receives COORDINATOR from a node that outranks it and follows it, as does everyone else: the returning node has bullied its way back to the top."),
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
                say(20, "A node passes on an id larger than its own and swallows a smaller one (it has already sent its own, larger id). Each hop is acknowledged, so a crashed successor can be skipped."),
                say(100, "Only n5's id survives every hop; when it comes back to n5, n5 knows it is the largest and sends ELECTED round the ring once. Chang and Roberts: with random placement, about n·H(n) ELECTION messages."),
                say(1200, "n5 crashes. Its heartbeats stop; the first node to notice starts an election."),
                say(1600, "The hop to n5 is not acknowledged, so its predecessor skips it and sends to the next node: the ring closes over the crashed node, and n4, now the largest, comes back to itself and is elected."),
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
                say(20, "Smaller ids are no longer swallowed, so every id travels all the way round: n·n messages instead of n·H(n)."),
                say(60, "The first id to come back makes its owner declare itself leader, though a node that outranks it passed its id on: single-leader fails. Soon every node has declared itself, and the ELECTED messages fight over who the others follow."),
            ],
        },
        script: ring_forward_smaller,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "lease-skew",
            title: "Leases under clock drift",
            summary: "The node with the slowest clock holds the lease and is cut off; the drift bound makes its belief end before the others' promises do, so the next lease never overlaps.",
            seed: 5,
            params: &[("nodes", 5), ("mode", 2), ("lease-ms", 1000), ("drift-ppm", 50000)],
            bug: None,
            narration: &[
                say(0, "Each clock is off by up to 200 ms and runs up to 5% fast or slow (the clock column). The node with the slowest clock asks for a lease first."),
                say(40, "A majority grants it: each grantor promises, by its own clock, to grant nobody else for the term plus the drift bound ε = 51 ms. The holder believes its lease for the term minus ε, counted from when it asked, by its own clock; it renews halfway through."),
                say(700, "The holder is cut off from everyone. It still believes its lease (the bar on its lane) until its own clock says the term minus ε has passed."),
                say(1500, "Its slow clock stretches its belief in real time, but the fast grantors' promises, stretched by 2ε, still outlast it. Only then does a grantor ask for a lease of its own, and the bars never overlap: lease-exclusion holds."),
                say(2600, "The network heals. The old holder, whose own promise to itself has run out, grants the new holder's renewals like everyone else."),
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
                say(0, "The bug: holder and grantors count the bare term, as if all clocks ran at the same rate. The node with the slowest clock asks for a lease first."),
                say(700, "The holder is cut off. By its slow clock, its lease lasts longer in real time than the term."),
                say(1400, "The grantors' fast clocks end their promises early in real time. One of them asks for a lease and gets a majority while the cut-off holder still believes in its own: two leaders at once, and lease-exclusion fails."),
            ],
        },
        script: lease_cut_off,
    },
];

fn bully_leader_crash(_: &Setup) -> Vec<TimedAction> {
    vec![start_election(50, 1), TimedAction::at_ms(1000, Action::Crash(node(4)))]
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
    let slowest = (0..skews.len())
        .min_by_key(|&i| skews[i].1)
        .unwrap_or(0) as u32;
    let groups = (0..setup.nodes as u32)
        .map(|i| u32::from(i == slowest))
        .collect();
    vec![
        start_election(1, slowest),
        TimedAction::at_ms(700, Action::Partition(groups)),
        TimedAction::at_ms(2600, Action::Heal),
    ]
}
