//! Paxos's guided scenarios: the scripted actions and narration of each preset.
//!
//! Scripts send the proposals (`Propose` at a named proposer), cut links and
//! crash acceptors at the instants the story needs; the preset's seed fixes the
//! latencies. Tests replay every preset and assert its story happens.

use crate::lab::protocol::{at, node};
use crate::lab::protocol::{ProtocolPreset, Setup};
use crate::lab::topic::say;
use crate::lab::topic::PresetInfo;
use crate::sim::action::{Action, TimedAction};

use super::message::PaxosOp;
use super::{BUG_FORGET_PROMISE_ON_RESTART, BUG_IGNORE_ACCEPTED_VALUE, BUG_MINORITY_QUORUM};

pub const PRESETS: &[ProtocolPreset] = &[
    ProtocolPreset {
        info: PresetInfo {
            name: "one-proposer",
            title: "One proposer",
            summary: "A single proposer gets its value chosen in two phases, and every learner learns it.",
            seed: 1,
            params: &[("mode", 0), ("nodes", 3), ("proposers", 1), ("rate", 0)],
            bug: None,
            narration: &[
                say(0, "Three servers, each an acceptor and a learner; n0 is also a proposer. Nothing has been proposed, so nothing can be chosen."),
                say(100, "A client asks n0 to propose v7. Phase 1(a): n0 picks ballot 1.n0 (round 1, proposer n0) and sends Prepare to every acceptor, itself included."),
                say(120, "Phase 1(b): each acceptor promises to ignore ballots below 1.n0 and reports what it has accepted: nothing. With promises from a majority (2 of 3), n0 may propose its own value."),
                say(141, "Phase 2(a): n0 asks every acceptor to accept v7 under 1.n0, and accepts it itself. Phase 2(b): each acceptor that accepts tells every learner (section 2.3)."),
                say(153, "n1 accepts: a majority has accepted v7 under one ballot, so v7 is chosen at this instant, although no learner knows it yet. The checker records the moment."),
                say(158, "The learners count Accepted messages and learn v7 once they hear of a majority; n0 also announces Chosen for learners that missed some. Every server now knows v7."),
            ],
        },
        script: one_proposer,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "dueling-proposers",
            title: "Dueling proposers",
            summary: "Two proposers that retry at once keep preempting each other's prepares: nothing is chosen for a long time (section 2.4).",
            seed: 229,
            params: &[("mode", 0), ("nodes", 5), ("proposers", 2), ("backoff", 0), ("rate", 0), ("latency", 100)],
            bug: None,
            narration: &[
                say(0, "Five servers with 100 ms links; n0 and n1 propose. A proposer starts a higher round at once when an acceptor answers Preempted, or when its 200 ms round timer runs out. A round needs two round trips, which here take up to 400 ms."),
                say(100, "n0 gets v1 and n1 gets v2 at the same instant. Both prepare round 1; n1's ballot 1.n1 is the higher (ties in rounds go to the higher id)."),
                say(210, "n0 hears Preempted and at once prepares 2.n0, while n1 is starting phase 2 with 1.n1: the acceptors that promised 2.n0 refuse n1's Accept requests. At 300 ms n1's round timer fires and it prepares 2.n1, which in turn spoils n0's phase 2."),
                say(420, "From here on every phase 2(a) must re-propose the value accepted under the highest ballot the promises report (first v2, then v1), so nothing accepted is lost. But each phase 2 is overtaken by the other proposer's next Prepare before a majority accepts."),
                say(1000, "Every 100 ms or so one of them prepares a higher round and spoils the other's phase 2: round 9 at 1 s, round 19 at 1.9 s. This is the livelock of section 2.4. Safety holds (nothing is chosen twice), but there is no progress."),
                say(2308, "Only after about 20 rounds does one phase 2 reach a majority before the next Prepare, by luck of the latencies, and v1 is chosen and learned. The next preset replays the same start with randomized backoff."),
            ],
        },
        script: dueling,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "dueling-with-backoff",
            title: "Duel ended by backoff",
            summary: "The same duel with randomized backoff: a preempted proposer waits a random, doubling time, and one of them finishes both phases.",
            seed: 229,
            params: &[("mode", 0), ("nodes", 5), ("proposers", 2), ("backoff", 1), ("rate", 0), ("latency", 100)],
            bug: None,
            narration: &[
                say(0, "The same five servers, links and start as the duel, but a preempted proposer now waits a random time (up to 20 ms, doubling with each failure) before its next round."),
                say(100, "n0 gets v1 and n1 gets v2 at the same instant, and both prepare round 1; n1's ballot 1.n1 is the higher."),
                say(210, "n0 hears Preempted and backs off instead of preparing at once. n1 completes phase 1 and asks the acceptors to accept v2 under 1.n1."),
                say(291, "The third acceptor accepts v2 before n0's next Prepare reaches it: v2 is chosen. Section 2.4: a random wait (or a single distinguished proposer) lets one proposer finish both phases."),
                say(325, "The learners learn v2, and so does n0: its own later round would have found v2 in the promises and proposed it, so the choice cannot change."),
            ],
        },
        script: dueling,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "acceptor-crash",
            title: "Acceptor crash",
            summary: "Two of five acceptors are down: the other three still choose a value. A proposer that arrives later finds the chosen value and proposes it again.",
            seed: 3,
            params: &[("mode", 0), ("nodes", 5), ("proposers", 2), ("rate", 0)],
            bug: None,
            narration: &[
                say(0, "Five acceptors; n0 and n1 also propose. n1 and n4 crash at 50 ms: a minority is down."),
                say(100, "A client asks n0 to propose v1. n0, n2 and n3 are a majority of five: their promises let n0 start phase 2 at 143 ms."),
                say(170, "n3 is the third acceptor to accept: v1 is chosen, although two acceptors never heard of it, and the three running learners learn it."),
                say(500, "n1 and n4 restart. Their durable state (promise, accepted proposal) is empty: they had done nothing."),
                say(700, "A client asks n1 to propose v2. n1 prepares ballot 1.n1; any majority includes one of n0, n2, n3, and their promises report v1 accepted under 1.n0."),
                say(742, "So phase 2(a) obliges n1 to propose v1, not v2. The acceptors accept v1 again under 1.n1 and every learner, n1 and n4 included, learns v1: chosen once, chosen for ever."),
            ],
        },
        script: acceptor_crash,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "multi-paxos",
            title: "Multi-Paxos: leader, log, leader crash",
            summary: "A stable leader runs phase 1 once and then only phase 2 per value; when it crashes, the next leader re-proposes what was accepted and fills a gap with a no-op.",
            seed: 4,
            params: &[("mode", 1), ("nodes", 5), ("proposers", 2), ("rate", 0)],
            bug: None,
            narration: &[
                say(0, "Multi-Paxos with five servers; n0 and n1 propose. n0 is made to bid first: its phase 1 (ballot 1.n0) covers every slot at once, and its heartbeats keep n1 from bidding (the distinguished proposer of section 2.4)."),
                say(200, "Client values v1, v2, v3 reach the leader. For each it skips phase 1 and sends only Accept for the next slot: one round trip per value, and the log columns fill in."),
                say(590, "n0's links to the others are cut: v4 (slot 3) is accepted by n0 alone; for a moment the link to n1 works, so v5 (slot 4) is accepted by n0 and n1. Neither has a majority. At 700 ms n0 crashes."),
                say(738, "n1 hears no heartbeat and runs phase 1 for every slot from 3 on. The promises report v5 in slot 4 and nothing in slot 3, so n1 proposes v5 again in slot 4 and a no-op in slot 3 (section 3). v4 was never chosen, so losing it is allowed."),
                say(1000, "n1 leads now; v6 goes to slot 5 with phase 2 only."),
                say(1300, "n0 restarts as an ordinary server. n1's heartbeat says how far the log is learned; n0 asks to catch up and learns the slots it missed, the no-op included, although its own acceptor still holds v4 in slot 3."),
            ],
        },
        script: multi_paxos,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "forget-promise-unsafe",
            title: "A forgotten acceptance (bug)",
            summary: "An acceptor that keeps its state only in memory restarts blank; a second proposer gathers a majority that no longer remembers the chosen value, and a second value is chosen.",
            seed: 5,
            params: &[("mode", 0), ("nodes", 3), ("proposers", 2), ("rate", 0)],
            bug: Some(BUG_FORGET_PROMISE_ON_RESTART),
            narration: &[
                say(0, "Three servers; n0 and n1 propose. The link from n0 to n1 is cut, so n1 hears nothing from n0."),
                say(100, "n0 proposes v1; n0 and n2 promise, then accept it."),
                say(167, "n2 accepts: v1 is chosen (2 of 3). n1 hears only n2's Accepted, not a majority, so it does not learn v1."),
                say(300, "n2 crashes and restarts. With the bug its promise and accepted proposal were only in memory: it comes back blank."),
                say(400, "A client asks n1 to propose v2. n1 and the blank n2 promise ballot 2.n1 and report nothing accepted, so n1 proposes its own v2."),
                say(466, "n2 accepts v2: a second value is chosen and the checker flags at-most-one-chosen. Switch the bug off and replay: n2 remembers v1, reports it, and n1 proposes v1."),
            ],
        },
        script: forget_promise,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "ignore-accepted-unsafe",
            title: "An ignored report (bug)",
            summary: "A proposer's promise reports the chosen value, but it proposes its own anyway and overwrites the choice.",
            seed: 6,
            params: &[("mode", 0), ("nodes", 3), ("proposers", 2), ("rate", 0)],
            bug: Some(BUG_IGNORE_ACCEPTED_VALUE),
            narration: &[
                say(0, "Three servers; n0 and n1 propose. The link from n0 to n1 is cut."),
                say(100, "n0 proposes v1; n0 and n2 promise, then accept it."),
                say(158, "n2 accepts: v1 is chosen. n1 hears only n2's Accepted, so it does not learn v1."),
                say(400, "A client asks n1 to propose v2. n2's promise for ballot 2.n1 reports v1 accepted under 1.n0. Phase 2(a) says n1 must propose v1; with the bug it proposes its own v2."),
                say(463, "n2 accepts v2 under the higher ballot: a second value is chosen, and the checker flags at-most-one-chosen. Switch the bug off and replay: n1 proposes v1."),
            ],
        },
        script: ignore_accepted,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "minority-quorum-unsafe",
            title: "Minority quorums (bug)",
            summary: "With quorums of floor(n/2), each side of a partition completes both phases: a learner learns a value no majority accepted.",
            seed: 7,
            params: &[("mode", 0), ("nodes", 5), ("proposers", 2), ("rate", 0)],
            bug: Some(BUG_MINORITY_QUORUM),
            narration: &[
                say(0, "Five servers; n0 and n1 propose. A partition puts n0 with n2, and n1 with n3 and n4."),
                say(100, "n0 proposes v1 and n1 proposes v2. With the bug each proceeds after floor(5/2) = 2 promises, so neither needs anyone from the other side."),
                say(159, "n1's side is a real majority: n1, n3 and n4 accept v2, so v2 is chosen."),
                say(197, "n0 counts v1 chosen with the acceptances of n0 and n2, 2 of 5, and learns it. No majority accepted v1: the checker flags learn-only-chosen. Switch the bug off and replay: n0 waits for a third promise that cannot come, and only v2 is chosen."),
            ],
        },
        script: minority_quorum,
    },
];

/// A client asks proposer `to` to propose `value`.
fn propose(to: u32, value: u64) -> Action {
    Action::operation(Some(node(to)), &PaxosOp::Propose { value })
}

fn cut(from: u32, to: u32) -> Action {
    Action::Cut {
        from: node(from),
        to: node(to),
    }
}

fn one_proposer(_: &Setup) -> Vec<TimedAction> {
    vec![at(100, propose(0, 7))]
}

fn dueling(_: &Setup) -> Vec<TimedAction> {
    vec![at(100, propose(0, 1)), at(100, propose(1, 2))]
}

fn acceptor_crash(_: &Setup) -> Vec<TimedAction> {
    use Action::*;
    vec![
        at(50, Crash(node(1))),
        at(50, Crash(node(4))),
        at(100, propose(0, 1)),
        at(500, Restart(node(1))),
        at(500, Restart(node(4))),
        at(700, propose(1, 2)),
    ]
}

fn multi_paxos(_: &Setup) -> Vec<TimedAction> {
    use Action::*;
    let mut script = vec![
        at(20, Timeout(node(0))),
        at(200, propose(0, 1)),
        at(300, propose(0, 2)),
        at(400, propose(0, 3)),
    ];
    script.extend((1..5).map(|to| at(590, cut(0, to))));
    script.extend([
        at(600, propose(0, 4)),
        at(
            655,
            Restore {
                from: node(0),
                to: node(1),
            },
        ),
        at(655, propose(0, 5)),
        at(660, cut(0, 1)),
        at(700, Crash(node(0))),
        at(900, Heal),
        at(1000, propose(1, 6)),
        at(1300, Restart(node(0))),
    ]);
    script
}

fn forget_promise(_: &Setup) -> Vec<TimedAction> {
    use Action::*;
    vec![
        at(0, cut(0, 1)),
        at(100, propose(0, 1)),
        at(300, Crash(node(2))),
        at(320, Restart(node(2))),
        at(400, propose(1, 2)),
    ]
}

fn ignore_accepted(_: &Setup) -> Vec<TimedAction> {
    vec![
        at(0, cut(0, 1)),
        at(100, propose(0, 1)),
        at(400, propose(1, 2)),
    ]
}

fn minority_quorum(_: &Setup) -> Vec<TimedAction> {
    vec![
        at(0, Action::Partition(vec![0, 1, 0, 1, 1])),
        at(100, propose(0, 1)),
        at(100, propose(1, 2)),
    ]
}
