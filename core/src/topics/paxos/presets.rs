//! Paxos's guided scenarios: the scripted actions and narration of each preset.
//!
//! Scripts send the proposals (`Propose` at a named proposer), cut links and
//! crash acceptors at the instants the story needs; the preset's seed fixes the
//! latencies. Tests replay every preset and assert its story happens.

use crate::lab::protocol::{ProtocolPreset, Setup};
use crate::lab::topic::{Narration, PresetInfo};
use crate::sim::action::{Action, TimedAction};
use crate::sim::time::{NodeId, Time};

use super::message::PaxosOp;
use super::{BUG_FORGET_PROMISE_ON_RESTART, BUG_IGNORE_ACCEPTED_VALUE, BUG_MINORITY_QUORUM};

const fn say(ms: u64, text: &'static str) -> Narration {
    Narration {
        at: Time::from_millis(ms),
        text,
    }
}

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
                say(115, "Phase 1(b): each acceptor promises to ignore ballots below 1.n0 and reports what it accepted: nothing. With promises from a majority (2 of 3), n0 is free to propose its own value."),
                say(135, "Phase 2(a) and 2(b): n0 asks the acceptors to accept v7 under 1.n0; each accepts and tells every learner. The moment a second acceptor accepts, v7 is chosen, although nobody knows it yet: the checker marks that instant."),
                say(160, "Section 2.3: each learner counts Accepted messages and learns v7 once a majority of acceptors accepted it under one ballot. The proposer also announces Chosen, for learners that missed some."),
            ],
        },
        script: one_proposer,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "dueling-proposers",
            title: "Dueling proposers",
            summary: "Two proposers that retry at once keep preempting each other's prepares: nothing is chosen for a long time (section 2.4).",
            seed: 2,
            params: &[("mode", 0), ("nodes", 3), ("proposers", 2), ("backoff", 0), ("rate", 0)],
            bug: None,
            narration: &[
                say(0, "n0 and n1 both propose, and both retry at once, with a higher round, whenever an acceptor tells them a higher ballot was promised."),
                say(100, "n0 gets v1 and n1 gets v2 at the same instant. Each prepares a ballot of round 1; n1's is higher (the proposer id breaks ties)."),
                say(150, "Each completes phase 1 with a majority, but before its Accept requests land the other has prepared a higher round, so acceptors refuse them (Preempted). Each then prepares a round higher still."),
                say(400, "And again: this is the livelock of section 2.4. Safety holds throughout (nothing is chosen twice), but there is no progress while the two keep leapfrogging. Compare the next preset, with randomized backoff."),
            ],
        },
        script: dueling,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "dueling-with-backoff",
            title: "Duel ended by backoff",
            summary: "The same duel with randomized backoff: a preempted proposer waits a random, doubling time, and one of them finishes both phases.",
            seed: 2,
            params: &[("mode", 0), ("nodes", 3), ("proposers", 2), ("backoff", 1), ("rate", 0)],
            bug: None,
            narration: &[
                say(0, "The same two proposers and the same start as the duel, but a preempted proposer now waits a random time (up to 20 ms, doubling with each failure) before its next round."),
                say(100, "n0 gets v1 and n1 gets v2 at the same instant, and both prepare round 1."),
                say(150, "Whoever is preempted backs off instead of answering at once, which gives the other time to finish phase 2 undisturbed (section 2.4: a randomized wait or a distinguished proposer)."),
                say(400, "One value is chosen and learned. When the other proposer comes back it prepares a higher round, learns from the promises which value was accepted, and proposes that value rather than its own, so the choice never changes."),
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
                say(0, "Five acceptors; n0 and n1 propose. n1 and n4 crash at 50 ms: a minority is down."),
                say(100, "A client asks n0 to propose v1. Three acceptors (n0, n2, n3) are a majority of five, so both phases complete: v1 is chosen although two acceptors never heard of it."),
                say(500, "n1 and n4 restart with their durable state (here, nothing: they had promised and accepted nothing)."),
                say(700, "A client asks n1 to propose v2. n1 prepares a higher ballot; every majority includes one of n0, n2, n3, whose promise reports v1 accepted, so phase 2(a) obliges n1 to propose v1, not v2."),
                say(760, "v1 is accepted again under n1's ballot, and every learner, n4 included, learns v1. Chosen once, chosen for ever."),
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
                say(0, "Multi-Paxos with five servers; n0 and n1 propose. n0 is made to bid first: its phase 1 covers every slot at once, and its heartbeats keep n1 from bidding (the distinguished proposer of section 2.4)."),
                say(200, "Client values v1, v2, v3 reach the leader. For each it skips phase 1 and sends only Accept for the next slot: one round trip per value. The log column fills in."),
                say(590, "n0's links to the other servers are cut, except to n1 for a moment: v4 (slot 3) is accepted by n0 alone, v5 (slot 4) by n0 and n1. Neither is chosen. Then n0 crashes."),
                say(750, "n1 runs phase 1 for every slot from 3 on. The promises report v5 in slot 4 (from n1) and nothing in slot 3, so n1 proposes a no-op in slot 3 and v5 again in slot 4 (section 3): v4 was never chosen and is lost, which is allowed."),
                say(1000, "n1 leads; v6 goes to slot 5 with phase 2 only."),
                say(1300, "n0 restarts as an ordinary server. n1's heartbeat says how far the log is learned; n0 asks to catch up and learns every slot, including the no-op."),
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
                say(100, "n0 proposes v1; n0 and n2 promise and accept it: v1 is chosen (2 of 3). n1 gets only n2's Accepted, not a majority, so it does not learn v1."),
                say(300, "n2 crashes and restarts. With the bug its promise and accepted proposal were only in memory: it comes back blank."),
                say(400, "A client asks n1 to propose v2. n1 and the blank n2 promise, reporting nothing accepted, so n1 proposes its own v2, and both accept it: v2 is chosen too. The checker flags at-most-one-chosen. Switch the bug off and replay: n2 remembers v1 and n1 proposes v1."),
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
                say(100, "n0 proposes v1; n0 and n2 accept it: v1 is chosen. n1 does not learn it (it hears only n2's Accepted)."),
                say(400, "A client asks n1 to propose v2. n2's promise reports v1 accepted under n0's ballot. Phase 2(a) says n1 must propose v1; with the bug it proposes v2."),
                say(440, "n1 and n2 accept v2 under the higher ballot: a second value is chosen, and the checker flags at-most-one-chosen. Switch the bug off and replay: n1 proposes v1."),
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
                say(100, "n0 proposes v1 and n1 proposes v2. With the bug each proceeds after 2 promises (floor(5/2)), so n0 does not need anyone from the other side."),
                say(130, "n0 counts v1 chosen with the acceptances of n0 and n2, 2 of 5, and learns it. No majority accepted v1: the checker flags learn-only-chosen. Meanwhile the majority side really chooses v2. Switch the bug off and replay: n0 waits for a third promise that cannot come, and only v2 is chosen."),
            ],
        },
        script: minority_quorum,
    },
];

fn at(ms: u64, action: Action) -> TimedAction {
    TimedAction::at_ms(ms, action)
}

fn node(i: u32) -> NodeId {
    NodeId(i)
}

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
        at(640, Restore { from: node(0), to: node(1) }),
        at(650, propose(0, 5)),
        at(700, Crash(node(0))),
        at(750, Timeout(node(1))),
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
    vec![at(0, cut(0, 1)), at(100, propose(0, 1)), at(400, propose(1, 2))]
}

fn minority_quorum(_: &Setup) -> Vec<TimedAction> {
    vec![
        at(0, Action::Partition(vec![0, 1, 0, 1, 1])),
        at(100, propose(0, 1)),
        at(100, propose(1, 2)),
    ]
}
