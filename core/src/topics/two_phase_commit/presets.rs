//! Two-phase commit's guided scenarios: the scripted actions and narration of
//! each preset. Every preset runs one transaction, T1, in a cluster of a
//! coordinator (n0) and three participants (n1, n2, n3), with no automatic
//! workload and no random NO votes, so each story is the one its script forces;
//! slow or cut links decide who hears what first. The narration's times were
//! read off each preset's trace (`distlab run two-phase-commit --preset NAME`);
//! tests replay every preset and assert its story happens.

use crate::lab::protocol::{at, node};
use crate::lab::protocol::{ProtocolPreset, Setup};
use crate::lab::topic::say;
use crate::lab::topic::PresetInfo;
use crate::sim::action::{Action, TimedAction};
use crate::sim::time::Duration;

use super::message::{TransactionId, TwoPhaseOp};
use super::{BUG_COMMIT_BEFORE_ALL_VOTES, BUG_FORGET_DECISION_ON_RESTART};

/// Parameters every preset shares: four nodes, no workload, no random NO.
const QUIET: &[(&str, i64)] = &[("nodes", 4), ("rate", 0), ("abort-percent", 0)];

/// The same, with the cooperative termination protocol on.
const QUIET_COOPERATIVE: &[(&str, i64)] = &[
    ("nodes", 4),
    ("rate", 0),
    ("abort-percent", 0),
    ("cooperative", 1),
];

pub const PRESETS: &[ProtocolPreset] = &[
    ProtocolPreset {
        info: PresetInfo {
            name: "commit",
            title: "A transaction commits",
            summary: "Every participant votes YES; the coordinator logs COMMIT, tells everyone, collects the acks and writes the end record.",
            seed: 1,
            params: QUIET,
            bug: None,
            narration: &[
                say(0, "n0 coordinates; n1, n2 and n3 are participants. Nothing happens until a transaction begins."),
                say(100, "T1 begins: n0 writes 'T1 begin' to its durable log and sends PREPARE to every participant."),
                say(120, "Each participant takes T1's locks and works on its part. When done, it force-writes 'T1 prepared' and votes YES. From that moment it is uncertain: it promised to commit if told to and may no longer abort on its own."),
                say(169, "The last YES arrives. Every participant voted YES, so n0 decides COMMIT, force-writes it, and only then sends it: a crash now cannot make it forget."),
                say(179, "Each participant logs 'T1 commit', applies it, releases the locks and acknowledges. The lock-held time column shows how long: about 60 ms each (66 ms at n1), from PREPARE to COMMIT."),
                say(211, "With every ack in, n0 writes 'T1 end' and may forget T1."),
            ],
        },
        script: commit,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "vote-no",
            title: "A participant votes NO",
            summary: "n2's part of T1 fails: it aborts on its own and votes NO, and one NO is enough for the coordinator to abort everywhere.",
            seed: 2,
            params: QUIET,
            bug: None,
            narration: &[
                say(0, "n2 is told that its part of the next transaction will fail (the vote-no operation)."),
                say(100, "T1 begins: n0 logs 'T1 begin' and sends PREPARE to n1, n2 and n3."),
                say(126, "n1 and n3 prepare and vote YES. n2 has not voted YES, so it may still abort on its own: it logs 'T1 abort', releases its locks at once and votes NO."),
                say(163, "One NO is enough: n0 force-writes ABORT and sends it. n1 and n3, uncertain until now, log the abort, release their locks and acknowledge; n2 acknowledges too, and n0 writes 'T1 end'."),
            ],
        },
        script: vote_no_story,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "coordinator-crash",
            title: "Coordinator crash: blocking",
            summary: "The coordinator crashes right after sending PREPARE. The participants vote YES and are stuck: uncertain, holding T1's locks for two seconds, until the coordinator recovers and aborts.",
            seed: 3,
            params: QUIET,
            bug: None,
            narration: &[
                say(100, "T1 begins: n0 logs 'T1 begin', sends PREPARE to every participant, and crashes a millisecond later."),
                say(113, "The PREPAREs still arrive. Each participant prepares and votes YES, to a coordinator that is down: the votes are lost. Each is now uncertain and holds T1's locks."),
                say(377, "No decision comes. An uncertain participant cannot decide alone: had n0 decided COMMIT before crashing, aborting would break atomicity, and it cannot know. It asks n0 again and again (the termination protocol); nobody answers. This is two-phase commit's blocking."),
                say(2100, "n0 restarts and recovers from its log alone: 'T1 begin' without a decision means nobody can have committed T1, so it decides ABORT, logs it and sends it."),
                say(2121, "The participants abort, release the locks and acknowledge. Each held T1's locks for about 2,000 ms (2,006 ms at n1, in the lock-held time column), against about 60 ms when nothing fails: every other transaction wanting that data would have waited as long."),
            ],
        },
        script: coordinator_crash,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "cooperative-termination",
            title: "Cooperative termination",
            summary: "The coordinator decides COMMIT, but only n1 hears it before the coordinator crashes. With cooperative termination on, n2 and n3 ask n1, learn the outcome and release their locks without waiting for the coordinator.",
            seed: 4,
            params: QUIET_COOPERATIVE,
            bug: None,
            narration: &[
                say(0, "Cooperative termination is on. The link from n3 to n0 is slow (150 ms), so n3's vote arrives last."),
                say(100, "T1 begins; every participant prepares and votes YES and is uncertain."),
                say(200, "The links from n0 to n2 and n3 are cut: whatever n0 says now reaches only n1."),
                say(277, "n3's YES arrives: n0 logs COMMIT and sends it. Only n1 hears it: it commits and releases its locks."),
                say(350, "n0 crashes. n2 and n3 are uncertain, and without the cooperative protocol they would block until n0 returns."),
                say(377, "They time out and ask the coordinator, which is down, and the other participants. An uncertain peer cannot help; a peer that knows the outcome, or has not voted yet, can."),
                say(408, "n1 knows T1 committed and answers. n3 commits at 408 ms and n2 at 434 ms and they release their locks, held about 300 ms instead of until the coordinator returns."),
                say(2000, "n0 restarts and the links heal. Recovery finds 'T1 commit' without 'T1 end' and sends COMMIT again; everyone acknowledges (they already committed) and n0 writes 'T1 end'."),
            ],
        },
        script: cooperative_termination,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "forget-decision-unsafe",
            title: "A forgotten decision (bug)",
            summary: "With the decision kept only in memory, the coordinator restarts, finds no decision in its log and aborts T1, which n1 and n2 already committed.",
            seed: 5,
            params: QUIET,
            bug: Some(BUG_FORGET_DECISION_ON_RESTART),
            narration: &[
                say(0, "The bug is on: the coordinator keeps its decision in memory and writes no decision record. The link from n3 to n0 is slow, so n3 votes last."),
                say(100, "T1 begins; every participant prepares and votes YES."),
                say(200, "The link from n0 to n3 is cut: n3 will not hear the decision."),
                say(277, "Every vote is YES: n0 decides COMMIT, but does not log it, and sends it. n1 and n2 commit and release their locks; n3 stays uncertain."),
                say(350, "n0 crashes before n3 acknowledges, and its memory goes with it."),
                say(600, "n0 restarts. Its log holds 'T1 begin' and no decision, so recovery presumes ABORT and announces it: the coordinator has now announced two decisions for T1, and the checker flags decision-stability."),
                say(612, "The link to n3 is back. n3 receives ABORT and aborts T1, which n1 and n2 committed: the checker flags atomicity. Switch the bug off and replay: the decision is in the log, and recovery sends COMMIT again."),
            ],
        },
        script: forget_decision,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "commit-before-all-votes-unsafe",
            title: "Commit on a majority (bug)",
            summary: "The coordinator commits once two of three participants voted YES, but the third votes NO: T1 commits at two participants and aborts at the third.",
            seed: 6,
            params: QUIET,
            bug: Some(BUG_COMMIT_BEFORE_ALL_VOTES),
            narration: &[
                say(0, "The bug is on: the coordinator decides COMMIT once a majority of the cluster (itself and two participants) is ready. n3's part of the next transaction will fail, and its link to n0 is slow."),
                say(100, "T1 begins; n0 sends PREPARE to everyone."),
                say(130, "n3's part fails: it aborts on its own and votes NO, which is on its way over the slow link. n1 and n2 prepare and vote YES."),
                say(164, "Two YES votes and itself: with the bug n0 decides COMMIT without n3's vote, and the checker flags commit-validity."),
                say(183, "n1 and n2 commit T1, which n3 has aborted: the checker flags atomicity. Switch the bug off and replay: n0 waits for n3's NO and aborts everywhere."),
            ],
        },
        script: commit_before_all_votes,
    },
];

fn begin(transaction: u64) -> Action {
    Action::operation(
        Some(node(0)),
        &TwoPhaseOp::Begin {
            transaction: TransactionId(transaction),
        },
    )
}

fn vote_no(participant: u32) -> Action {
    Action::operation(
        Some(node(participant)),
        &TwoPhaseOp::VoteNo {
            participant: node(participant),
        },
    )
}

/// Messages from `from` to `to` take `ms` milliseconds.
fn slow_link(from: u32, to: u32, ms: u64) -> Action {
    Action::SetLinkLatency {
        from: node(from),
        to: node(to),
        min: Duration::from_millis(ms),
        max: Duration::from_millis(ms),
    }
}

fn cut(from: u32, to: u32) -> Action {
    Action::Cut {
        from: node(from),
        to: node(to),
    }
}

fn restore(from: u32, to: u32) -> Action {
    Action::Restore {
        from: node(from),
        to: node(to),
    }
}

fn commit(_: &Setup) -> Vec<TimedAction> {
    vec![at(100, begin(1))]
}

fn vote_no_story(_: &Setup) -> Vec<TimedAction> {
    vec![at(0, vote_no(2)), at(100, begin(1))]
}

fn coordinator_crash(_: &Setup) -> Vec<TimedAction> {
    vec![
        at(100, begin(1)),
        at(101, Action::Crash(node(0))),
        at(2100, Action::Restart(node(0))),
    ]
}

fn cooperative_termination(_: &Setup) -> Vec<TimedAction> {
    vec![
        at(0, slow_link(3, 0, 150)),
        at(100, begin(1)),
        at(200, cut(0, 2)),
        at(200, cut(0, 3)),
        at(350, Action::Crash(node(0))),
        at(2000, Action::Heal),
        at(2000, Action::Restart(node(0))),
    ]
}

fn forget_decision(_: &Setup) -> Vec<TimedAction> {
    vec![
        at(0, slow_link(3, 0, 150)),
        at(100, begin(1)),
        at(200, cut(0, 3)),
        at(350, Action::Crash(node(0))),
        at(600, Action::Restart(node(0))),
        at(590, restore(0, 3)),
    ]
}

fn commit_before_all_votes(_: &Setup) -> Vec<TimedAction> {
    vec![
        at(0, vote_no(3)),
        at(0, slow_link(3, 0, 150)),
        at(100, begin(1)),
    ]
}
