//! The guided scenarios of the gossip topic: each preset's metadata,
//! narration and script side by side. Rumours are started by the script
//! (the seeded workload is off in every preset), so each story starts from
//! one known write.

use crate::lab::protocol::{at, node, ProtocolPreset, Setup};
use crate::lab::topic::{say, PresetInfo};
use crate::sim::action::{Action, TimedAction};

use super::message::StartRumour;
use super::BUG_NO_SUSPICION;

fn rumour(ms: u64, at_node: u32, key: u8) -> TimedAction {
    at(
        ms,
        Action::operation(Some(node(at_node)), &StartRumour { key }),
    )
}

pub const PRESETS: &[ProtocolPreset] = &[
    ProtocolPreset {
        info: PresetInfo {
            name: "push-1000",
            title: "A rumour in 1,000 nodes: push",
            summary: "One write at n0 spreads by push with fanout 1: exponential growth, then a long tail while the last nodes wait to be picked.",
            seed: 1,
            params: &[("nodes", 1000), ("mode", 0), ("swim", 0), ("anti-entropy", 0), ("rate", 0)],
            bug: None,
            narration: &[
                say(0, "1,000 nodes, no failure detector, no anti-entropy. Each 100 ms round, every node holding a hot rumour pushes it to one random peer (push, fanout 1)."),
                say(50, "n0 writes k0: the rumour starts. Watch the infection curve under the timeline against the theory's mark: log₂ n + ln n ≈ 16.9 rounds for push."),
                say(900, "The informed nodes double each round while most pushes still land on uninformed nodes: about 2^r after r rounds."),
                say(1500, "Past half the cluster, most pushes hit nodes that already know: the curve bends, and the last few percent take as long as the first 99."),
                say(1714, "The last node learns it at 1714 ms: 17 rounds, the theory's 16.9. The tail: each remaining node is picked by one of ~1,000 pushes a round with probability 1 − 1/e, so it takes about ln n rounds to catch the last ones. Compare the push-pull preset."),
            ],
        },
        script: one_rumour,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "push-pull-1000",
            title: "A rumour in 1,000 nodes: push-pull",
            summary: "The same write spreads by push-pull: every node also pulls from a random peer, and the tail that push leaves collapses.",
            seed: 1,
            params: &[("nodes", 1000), ("mode", 2), ("swim", 0), ("anti-entropy", 0), ("rate", 0)],
            bug: None,
            narration: &[
                say(0, "The same 1,000 nodes, now push-pull: each round every node pushes its hot rumours to one random peer and asks another for theirs."),
                say(50, "n0 writes k0. The theory: log₃ n + ln ln n ≈ 8.2 rounds (Karp et al.). This run reaches all 1,000 nodes at 825 ms: 8 rounds."),
                say(700, "Growth is faster than push alone: an informed node both pushes and answers pulls, roughly tripling the informed a round."),
                say(1200, "The tail is where pull shines: an uninformed node asks a random peer, which almost surely knows by now, so the last nodes go in one or two rounds instead of ln n."),
            ],
        },
        script: one_rumour,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "anti-entropy-repairs-partition",
            title: "Anti-entropy repairs a partitioned half",
            summary: "Writes on both sides of a partition spread only within their side; after the heal, rumours are cold and anti-entropy with digests repairs the other half.",
            seed: 3,
            params: &[("nodes", 24), ("mode", 2), ("swim", 0), ("anti-entropy", 1000), ("rate", 0)],
            bug: None,
            narration: &[
                say(0, "24 nodes, push-pull rumours and anti-entropy every second (a digest of 8 versions, then only missing entries). No failure detector."),
                say(100, "The network splits in two halves: even nodes on one side, odd on the other."),
                say(200, "n0 writes k1 and n1 writes k2, one on each side. Each rumour reaches its own half in a few rounds and no further."),
                say(2500, "The rumours have gone cold: each node keeps an update hot for 2·log₂ n + 4 rounds. Anti-entropy meanwhile finds nothing to repair within a half."),
                say(3000, "The partition heals. No rumour is hot any more, so only anti-entropy can carry k1 and k2 across: each exchange sends 64 bytes of digest and only the entries the partner lacks."),
                say(4517, "Every node now holds both writes: anti-entropy carried each to the 12 nodes of the other half by 4.4 and 4.5 s, in about a second and a half. Compare the anti-entropy traffic chart: digests cost a fraction of exchanging whole stores."),
            ],
        },
        script: partition_then_heal,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "swim-detects-crash",
            title: "SWIM detects a crash",
            summary: "n5 crashes: someone's ping goes unanswered, ping-req through three members fails too, n5 is suspected, nobody refutes, and it is confirmed dead.",
            seed: 2,
            params: &[("nodes", 16), ("swim", 1), ("suspicion", 1000), ("rate", 0)],
            bug: None,
            narration: &[
                say(0, "16 members run SWIM: every 200 ms each pings one random member and waits 80 ms for its ack."),
                say(1000, "n5 crashes."),
                say(1100, "Each member picks n5 with probability 1/15 a period, so about once a period someone should probe it; by chance nobody does until n14 at 1759 ms. Its ping goes unanswered, and at 1839 ms n14 asks n12 and n7 to ping n5 (ping-req); they get no answer either."),
                say(1958, "No indirect ack by the end of n14's period: n14 suspects n5 (incarnation 0), tells n5 directly (lost: it is down) and piggybacks the suspicion on its next pings and acks. n10 and n4 come to the same suspicion on their own at 2250 and 2285 ms."),
                say(2958, "Nobody refutes: n5 is down. One suspicion timeout (1 s) after its suspicion, n14 confirms n5 dead and the confirmation spreads; members stop probing it. Detection took 1.96 s from the crash. The chart counts it as really down."),
            ],
        },
        script: crash_n5,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "lossy-with-suspicion",
            title: "Lossy network, with suspicion",
            summary: "15% of messages are lost: probes fail and live members are suspected, but each refutes with a higher incarnation before the timeout.",
            seed: 4,
            params: &[("nodes", 16), ("swim", 1), ("drop", 15), ("suspicion", 1000), ("rate", 0)],
            bug: None,
            narration: &[
                say(0, "16 members, 15% of messages lost. A direct probe fails when the ping or the ack is lost (about 28%), and all three indirect probes too now and then."),
                say(298, "n11 hears it is suspected at incarnation 0 and refutes: it announces incarnation 1, which overrides the suspicion everywhere it arrives (the incarnation column)."),
                say(1500, "More live members get suspected and refute, 31 suspicions and 40 refutations by 9 s: the incarnation column climbs."),
                say(6000, "The members-confirmed-dead chart stays at zero: each suspicion is refuted within the 1 s timeout. Loss made detection noisier, not wrong. Now switch to the next preset."),
            ],
        },
        script: no_script,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "lossy-without-suspicion",
            title: "Lossy network, without suspicion (bug)",
            summary: "The same lossy network with the no-suspicion bug: a member whose indirect probes fail is dead at once, and live members are declared dead.",
            seed: 4,
            params: &[("nodes", 16), ("swim", 1), ("drop", 15), ("rate", 0)],
            bug: Some(BUG_NO_SUSPICION),
            narration: &[
                say(0, "The same 16 members and 15% loss, with the no-suspicion bug: when the direct ping and the three ping-reqs all fail, the prober confirms the target dead on the spot (SWIM §3 without §4.2)."),
                say(272, "Already at 272 ms n12's ping of n11 and all its ping-reqs lose a message: n12 declares n11 dead at once, though n11 is up, and no-alive-member-declared-dead fires. n11 had no chance to refute; 21 such false positives follow in 9 s."),
            ],
        },
        script: no_script,
    },
];

fn one_rumour(_: &Setup) -> Vec<TimedAction> {
    vec![rumour(50, 0, 0)]
}

fn partition_then_heal(setup: &Setup) -> Vec<TimedAction> {
    let halves = (0..setup.nodes as u32).map(|i| i % 2).collect();
    vec![
        at(100, Action::Partition(halves)),
        rumour(200, 0, 1),
        rumour(200, 1, 2),
        at(3000, Action::Heal),
    ]
}

fn crash_n5(_: &Setup) -> Vec<TimedAction> {
    vec![at(1000, Action::Crash(node(5)))]
}

fn no_script(_: &Setup) -> Vec<TimedAction> {
    Vec::new()
}
