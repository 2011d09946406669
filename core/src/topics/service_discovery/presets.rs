//! The guided scenarios of the service discovery topic: each preset's
//! metadata, narration and script side by side.

use crate::lab::protocol::{at, node, ProtocolPreset, Setup};
use crate::lab::topic::{say, PresetInfo};
use crate::sim::action::{Action, TimedAction};

use super::message::DiscoveryOp;
use super::{BUG_ACK_BEFORE_MAJORITY, BUG_CACHE_NEVER_REFRESHES, BUG_LEASE_NEVER_EXPIRES};

pub const PRESETS: &[ProtocolPreset] = &[
    ProtocolPreset {
        info: PresetInfo {
            name: "instance-crash",
            title: "Instance crash and the stale window",
            summary: "An instance crashes; clients keep sending to it until its lease expires and they refresh.",
            seed: 1,
            params: &[("registry-replicas", 1), ("balancer", 0)],
            bug: None,
            narration: &[
                say(0, "One registry, n0; four instances, n1 to n4; three clients, n5 to n7. Each instance heartbeats every 100 ms, and each heartbeat renews a 400 ms lease (Eureka: 30 s and 90 s). The clients fetch the endpoint list every 250 ms and send their requests round robin."),
                say(1000, "n1 crashes. It sends no goodbye: its last heartbeat, applied at 903 ms, leased it until 1303 ms, and until then the registry cannot tell a crash from a pause."),
                say(1083, "n5 and n7 send requests to n1 from their cached lists. Nobody answers."),
                say(1253, "The lookups of 1253 ms still list n1: its lease has 50 ms to run. The clients cache it again, and n6 sends it a request at 1287 ms."),
                say(1373, "n5's request to n1 times out after 250 ms: a failed request, counted in the chart of requests and failures."),
                say(1504, "The lease ran out at 1303 ms: the registry evicts n1 from every answer, and the clients' lists now hold three endpoints. The last request into the outage left at 1464 ms: a stale window of 464 ms (the red span on n1's lane) and five requests lost. Its bound is one TTL, plus one refresh interval, plus one lookup timeout."),
                say(2500, "n1 restarts as incarnation 2, at a new address, and registers again. The next lookups list it, and requests come back to it. Every invariant held."),
            ],
        },
        script: instance_crash,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "slow-instance",
            title: "Three policies, one slow instance",
            summary: "Round robin, least outstanding and two choices side by side, one client each, with one instance five times slower.",
            seed: 1,
            params: &[("balancer", 3), ("rate", 90)],
            bug: None,
            narration: &[
                say(0, "Three registry replicas, n0 to n2; four instances, n3 to n6, that serve a request in 8, 12, 16 and 8 ms; three clients that each balance their own way: n7 round robin, n8 least outstanding (of its own requests), n9 two choices (two instances at random, the one with fewer of its requests outstanding: Mitzenmacher's power of two choices). 90 requests a second between them."),
                say(1, "n5 slows down five times: 80 ms a request, about 12 a second at most."),
                say(2000, "Round robin keeps sending n5 one request in four, whatever its queue, and they wait behind each other; many time out (250 ms). Least outstanding and two choices see their own requests pile up at n5 and go elsewhere."),
                say(10000, "The charts, at 10 s: n5 took 26% of round robin's requests, 9% of least outstanding's and 8% of two choices'. Latency (timeouts counted at 290 ms): a mean of 92 ms and a 90th percentile of 290 ms for round robin, 46 and 35 ms for least outstanding, 46 and 34 ms for two choices. Each client knows only its own outstanding requests; the next story gives all three policies one load balancer that sees them all."),
            ],
        },
        script: slow_instance,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "slow-instance-server-side",
            title: "The same, balanced by a load balancer",
            summary: "The same three policies, applied by one load balancer that sees every request outstanding.",
            seed: 1,
            params: &[("balancer", 3), ("rate", 90), ("lb-side", 1)],
            bug: None,
            narration: &[
                say(0, "The same instances and the same slow n5, but the clients send every request to a load balancer, n7, which picks the instance by the requesting client's policy: n8 round robin, n9 least outstanding, n10 two choices. It sees every request outstanding, not one client's share."),
                say(1, "n5 slows down to 80 ms a request."),
                say(10000, "The charts, at 10 s: n5 took 28% of round robin's requests, 4% of least outstanding's and 6% of two choices'. Latency (timeouts counted at 290 ms): a mean of 95 ms and a 90th percentile of 290 ms for round robin, 43 and 45 ms for least outstanding, 47 and 47 ms for two choices. Knowing the whole load, least outstanding sends n5 almost nothing and is a little ahead; two choices, with two samples a request, comes close."),
            ],
        },
        script: slow_instance,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "replica-crash",
            title: "A registry replica crashes",
            summary: "With three replicas, one crashes: heartbeats and lookups go on through the other two, a majority.",
            seed: 1,
            params: &[("registry-replicas", 3)],
            bug: None,
            narration: &[
                say(0, "Three registry replicas, n0 to n2. A heartbeat is acknowledged once a majority of replicas has applied it, and a lookup reads a majority and merges what it finds (the highest version, the latest lease). n3 and n6 send their heartbeats to n0, and client n9 its lookups."),
                say(1000, "n0 crashes. Writes and reads it was coordinating are lost; its records are on disk."),
                say(1100, "No ack for the heartbeats n3 and n6 sent to n0: they send the next ones to n1. n9's lookup went unanswered: it asks n1. Two replicas of three are a majority, so writes and lookups go on."),
                say(2500, "n0 restarts with its records from disk and catches up with every heartbeat that reaches it; any majority read still meets a replica with the latest acknowledged writes. Every invariant held throughout."),
            ],
        },
        script: replica_crash,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "lease-never-expires",
            title: "Leases that never expire",
            summary: "The registry keeps listing a crashed instance: no-expired-lease-served fires.",
            seed: 1,
            params: &[("registry-replicas", 1)],
            bug: Some(BUG_LEASE_NEVER_EXPIRES),
            narration: &[
                say(0, "The bug: the registry lists every registered instance whatever its lease says. One registry n0, four instances n1 to n4, three clients with one policy each."),
                say(1000, "n1 crashes; its last heartbeat leased it until 1307 ms."),
                say(1083, "Requests go to n1 from the cached lists and fail, as they must until the lease runs out."),
                say(1504, "The lease ran out at 1307 ms, but the registry still lists n1: no-expired-lease-served fires. The correct registry evicts it here, and the clients stop sending to it; with the bug they go on failing at n1 until it comes back at 3 s."),
            ],
        },
        script: long_crash,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "cache-never-refreshes",
            title: "A cache that never refreshes",
            summary: "Clients keep their first endpoint list; an instance restarts at a new address and they keep sending to the old one.",
            seed: 1,
            params: &[("registry-replicas", 1), ("balancer", 0)],
            bug: Some(BUG_CACHE_NEVER_REFRESHES),
            narration: &[
                say(0, "The bug: clients keep the first endpoint list that has any endpoints in it and never fetch again. One registry n0, four instances n1 to n4, three clients balancing round robin."),
                say(1000, "n1 crashes, and restarts at 1050 ms as incarnation 2, at a new address (a rescheduled container). It registers again, and the registry lists the new address from then on."),
                say(1087, "The clients still send to n1's old address, which refuses them. So far this is the ordinary stale window: the old lease runs until 1306 ms."),
                say(1723, "n6 sends to the old address at 1723 ms, more than a refresh interval and a lookup timeout after the registry last listed or leased it: stale-window-bounded fires. Correct clients would have the new address since their 1250 ms refresh."),
            ],
        },
        script: instance_bounce,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "ack-before-majority",
            title: "Acknowledged before a majority has it",
            summary: "A replica cut off from the other two acknowledges heartbeats alone; lookups through the other two miss them.",
            seed: 1,
            params: &[("registry-replicas", 3)],
            bug: Some(BUG_ACK_BEFORE_MAJORITY),
            narration: &[
                say(0, "The bug: a replica acknowledges a heartbeat as soon as it has applied it itself. Three replicas, n0 to n2; instances n3 and n6 send their heartbeats to n0."),
                say(500, "n0 is cut off from n1 and n2. The heartbeats of n3 and n6 still reach n0, which applies them and acknowledges them at once, though neither other replica gets them."),
                say(763, "n8's lookup goes through n2, which reads n1 and n2: a majority, but not one that has seen n3's latest writes. n3 heard at 710 ms that v1.8 was on a majority; the read finds v1.5. registered-instance-visible fires. Without the bug n0 gathers no majority, n3 and n6 get no ack and move their heartbeats to n1."),
            ],
        },
        script: isolated_replica,
    },
];

/// The first instance: with one replica n1, with three n3.
fn first_instance(setup: &Setup) -> u32 {
    super::config(setup).replicas
}

/// The first instance crashes at 1 s and comes back at 2.5 s.
fn instance_crash(setup: &Setup) -> Vec<TimedAction> {
    let i = node(first_instance(setup));
    vec![at(1_000, Action::Crash(i)), at(2_500, Action::Restart(i))]
}

/// The first instance crashes at 1 s for long.
fn long_crash(setup: &Setup) -> Vec<TimedAction> {
    let i = node(first_instance(setup));
    vec![at(1_000, Action::Crash(i)), at(3_000, Action::Restart(i))]
}

/// The first instance restarts quickly at 1 s.
fn instance_bounce(setup: &Setup) -> Vec<TimedAction> {
    let i = node(first_instance(setup));
    vec![at(1_000, Action::Crash(i)), at(1_050, Action::Restart(i))]
}

/// The third instance (16 ms a request) slows down to 80 ms at once.
fn slow_instance(setup: &Setup) -> Vec<TimedAction> {
    let third = node(first_instance(setup) + 2);
    vec![at(
        1,
        Action::operation(Some(third), &DiscoveryOp::ToggleSlow),
    )]
}

/// Replica n0 crashes at 1 s and comes back at 2.5 s.
fn replica_crash(_: &Setup) -> Vec<TimedAction> {
    vec![
        at(1_000, Action::Crash(node(0))),
        at(2_500, Action::Restart(node(0))),
    ]
}

/// Replica n0 is cut off from n1 and n2 (both ways) from 500 ms.
fn isolated_replica(_: &Setup) -> Vec<TimedAction> {
    let mut actions = Vec::new();
    for other in [1, 2] {
        actions.push(at(
            500,
            Action::Cut {
                from: node(0),
                to: node(other),
            },
        ));
        actions.push(at(
            500,
            Action::Cut {
                from: node(other),
                to: node(0),
            },
        ));
        actions.push(at(
            2_000,
            Action::Restore {
                from: node(0),
                to: node(other),
            },
        ));
        actions.push(at(
            2_000,
            Action::Restore {
                from: node(other),
                to: node(0),
            },
        ));
    }
    actions
}
