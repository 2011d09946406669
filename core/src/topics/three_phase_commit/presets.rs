//! Three-phase commit's guided scenarios. Every preset runs one transaction,
//! T1, in two-phase commit's cluster (a coordinator n0 and participants n1, n2,
//! n3) with no automatic workload and no random NO votes, so each story is the
//! one its script forces. `coordinator-crash` has the seed and script of
//! two-phase commit's preset of the same name: there two-phase commit blocks
//! for two seconds, here the participants terminate on their own. The
//! narration's times were read off each preset's trace (`distlab run
//! three-phase-commit --preset NAME`); tests replay every preset.

use crate::lab::protocol::{at, node};
use crate::lab::protocol::{ProtocolPreset, Setup};
use crate::lab::topic::say;
use crate::lab::topic::PresetInfo;
use crate::sim::action::{Action, TimedAction};

use super::message::{ThreePhaseOp, TransactionId};
use super::{BUG_COMMIT_WITHOUT_PRECOMMIT, BUG_TIMEOUT_DECIDES_ALONE};

/// Parameters every preset shares: four nodes, no workload, no random NO.
const QUIET: &[(&str, i64)] = &[("nodes", 4), ("rate", 0), ("abort-percent", 0)];

pub const PRESETS: &[ProtocolPreset] = &[
    ProtocolPreset {
        info: PresetInfo {
            name: "commit",
            title: "A transaction commits",
            summary: "Every participant votes YES; the coordinator pre-commits everyone, collects the acks, and only then sends DoCommit: one round more than two-phase commit.",
            seed: 1,
            params: QUIET,
            bug: None,
            narration: &[
                say(0, "n0 coordinates; n1, n2 and n3 are participants, as in two-phase commit. A site sends one message at a time, 10 ms apart, so a broadcast to three takes 20 ms."),
                say(100, "T1 begins: n0 logs 'T1 begin' and asks each participant CAN-COMMIT?"),
                say(120, "Each participant takes T1's locks, works on its part, force-writes 'T1 prepared' and votes YES. It is now uncertain: it may not abort on its own, and cannot know the outcome."),
                say(187, "The last YES arrives. Two-phase commit would commit now; three-phase commit first logs 'T1 pre-commit' and sends PRE-COMMIT: 'everyone voted YES'."),
                say(204, "Each participant logs 'T1 pre-commit' and acknowledges. A pre-committed participant knows that every vote was YES; an uncertain one knows that nobody has committed yet. No state now borders both outcomes: Skeen's condition for a nonblocking protocol."),
                say(252, "Every participant is pre-committed: n0 logs COMMIT and sends DO-COMMIT. The participants commit, release their locks and acknowledge, and n0 writes 'T1 end' at 319 ms. The price is in the lock-held time column: n1 held T1's locks for 155 ms, against 66 ms in two-phase commit's commit preset (one more round trip, and broadcasts that go out one message at a time)."),
            ],
        },
        script: commit,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "coordinator-crash",
            title: "Coordinator crash: no blocking",
            summary: "Two-phase commit's coordinator-crash preset, same seed and script: the coordinator crashes right after it begins T1. In two-phase commit the participants hold their locks for two seconds; here n1 times out, runs the termination protocol and aborts in half a second.",
            seed: 3,
            params: QUIET,
            bug: None,
            narration: &[
                say(100, "T1 begins: n0 logs 'T1 begin', sends CAN-COMMIT? to n1 and crashes a millisecond later, before the messages to n2 and n3 leave (two-phase commit's same script; here a broadcast takes 20 ms)."),
                say(129, "n1 takes T1's locks, votes YES to a coordinator that is down, and is uncertain. In two-phase commit it would now block until n0 returns."),
                say(629, "Nothing heard for 500 ms: n1 presumes n0 crashed. The participants elect a new coordinator, the lowest live one: each waits longer the higher its id, so n1 times out first and runs the termination protocol. It asks n2 and n3 for their states."),
                say(650, "n2 and n3 never voted YES, so they may still abort on their own: they do, and say so."),
                say(675, "Rule: a participant aborted, so ABORT. n1 logs it, releases its locks after about 560 ms (two-phase commit: about 2,000 ms), and tells everyone."),
                say(2100, "n0 restarts. Its log has 'T1 begin' and no pre-commit record, so nobody can be pre-committed, let alone committed: it aborts too, and everyone acknowledges."),
            ],
        },
        script: coordinator_crash,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "crash-after-pre-commit",
            title: "Crash during the pre-commit",
            summary: "The coordinator crashes halfway through the PreCommit broadcast: n1 is pre-committed, n2 and n3 are uncertain. n1 is elected, sees a pre-committed state, pre-commits the others and commits, without the coordinator.",
            seed: 4,
            params: QUIET,
            bug: None,
            narration: &[
                say(100, "T1 begins; every participant votes YES and is uncertain."),
                say(168, "The last YES arrives: n0 logs 'T1 pre-commit' and sends PRE-COMMIT to n1..."),
                say(170, "...and crashes before the messages to n2 and n3 leave. n1 is pre-committed; n2 and n3 are uncertain. Two-phase commit's version of this moment (a decision half sent) blocks everyone who missed it."),
                say(679, "n1 hears nothing for 500 ms and, as the lowest live participant, runs the termination protocol: it asks n2 and n3 for their states."),
                say(723, "Both are uncertain, but n1 itself is pre-committed, which it can only be if every vote was YES. Rule: some participant is pre-committed, so pre-commit everyone, then commit. (Had every live participant been uncertain, nobody could have committed: abort.)"),
                say(773, "n2 and n3 acknowledge the PRE-COMMIT: n1 commits and sends DO-COMMIT; n2 and n3 commit at 805 and 816 ms and release their locks."),
                say(2000, "n0 restarts with 'T1 pre-commit' and no outcome in its log. It must not decide alone (the participants may have terminated without it), so it asks, learns COMMIT and logs it."),
            ],
        },
        script: crash_after_pre_commit,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "partition-split-brain",
            title: "Partition: split brain",
            summary: "The network splits right after the coordinator pre-commits n1: {n0, n1} and {n2, n3}. Each side takes the other for crashed. n0 commits with n1; n2 and n3, both uncertain, elect n2, which aborts. Atomicity is violated, as the theory predicts.",
            seed: 5,
            params: QUIET,
            bug: None,
            narration: &[
                say(100, "T1 begins; every participant votes YES and is uncertain."),
                say(171, "Every vote is YES: n0 logs 'T1 pre-commit' and sends PRE-COMMIT to n1."),
                say(175, "The network splits: {n0, n1} on one side, {n2, n3} on the other. Nobody crashed, but to a timeout a site behind a partition looks exactly like a crashed one."),
                say(186, "n1 is pre-committed and acknowledges. The PRE-COMMITs to n2 and n3 are lost."),
                say(421, "n0's wait for acks ends: by three-phase commit's rule the silent participants crashed, so it commits, and n1 commits with it."),
                say(953, "On the other side, n2 and n3 are uncertain and hear nothing: they presume n0 crashed. n2 is the lowest live participant it can see, so it runs the termination protocol; its STATE-REQ to n1 is lost."),
                say(1253, "n2 heard only n3: uncertain, like itself. Rule: nobody live is pre-committed, so nobody can have committed: ABORT. Each side applied the rules correctly to the states it could see, and they saw different states: T1 committed at n0 and n1, aborted at n2 and n3. The checker flags atomicity, and the page marks it expected: no commit protocol stays nonblocking and atomic under partitions (Skeen & Stonebraker, 1983)."),
                say(2000, "The partition heals and n0 resends DO-COMMIT, but n2 and n3 have aborted and keep it. Quorum-based three-phase commit avoids this by letting only a majority side decide, at the price of blocking the minority."),
            ],
        },
        script: partition_split_brain,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "commit-without-precommit-unsafe",
            title: "Skip the pre-commit (bug)",
            summary: "With the bug the coordinator sends DoCommit right after the votes. It crashes after telling n1 only; n1 commits and crashes too. n2 and n3 are uncertain, elect n2, and abort: with crashes alone, no partition.",
            seed: 6,
            params: QUIET,
            bug: Some(BUG_COMMIT_WITHOUT_PRECOMMIT),
            narration: &[
                say(0, "The bug is on: the coordinator sends DO-COMMIT as soon as every vote is YES, with no pre-commit round: two-phase commit with three-phase commit's timeouts."),
                say(100, "T1 begins; every participant votes YES and is uncertain."),
                say(180, "Every vote is YES: n0 logs COMMIT and sends DO-COMMIT to n1, then crashes at 185 ms before the other two leave."),
                say(199, "n1 commits T1 and releases its locks."),
                say(300, "n1 crashes too. n2 and n3 are uncertain, and nothing they can see tells them that anyone committed."),
                say(940, "n2 times out and runs the termination protocol; n1 is down and n3 is uncertain."),
                say(1240, "Every live participant is uncertain, so the rules say ABORT: right in three-phase commit, where an uncertain survivor proves nobody committed, wrong here, where the uncertain state borders commit. The checker flags atomicity. Switch the bug off and replay: the crash then cuts the PreCommit broadcast short instead, n1 is only pre-committed when it goes down, so the abort of n2 and n3 is safe, and n1 learns it when it returns."),
            ],
        },
        script: commit_without_precommit,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "timeout-decides-alone-unsafe",
            title: "Timeouts without a new coordinator (bug)",
            summary: "The crash-during-pre-commit story with the bug on: instead of electing a new coordinator, each participant applies the timeout rule alone. n1, pre-committed, commits; n2 and n3, uncertain, abort.",
            seed: 4,
            params: QUIET,
            bug: Some(BUG_TIMEOUT_DECIDES_ALONE),
            narration: &[
                say(0, "The bug is on: a participant that times out applies the timeout rule by itself (uncertain: abort; pre-committed: commit) instead of electing a new coordinator that looks at everyone's state. This is how three-phase commit is often summarised, and it is wrong."),
                say(168, "Every vote is YES: n0 logs 'T1 pre-commit', sends PRE-COMMIT to n1, and crashes at 170 ms before the other two leave."),
                say(179, "n1 is pre-committed; n2 and n3 are uncertain."),
                say(679, "n1 times out: pre-committed, so it commits on its own and releases its locks."),
                say(946, "n2 times out: uncertain, so it aborts on its own, and the checker flags atomicity, with crashes alone and no partition. The rules hold for the states of all live sites together, so only a coordinator that collects everyone's state may apply them. Switch the bug off and replay: n1 is elected, sees its own pre-commit, pre-commits n2 and n3, and everyone commits."),
            ],
        },
        script: crash_after_pre_commit,
    },
];

fn begin(transaction: u64) -> Action {
    Action::operation(
        Some(node(0)),
        &ThreePhaseOp::Begin {
            transaction: TransactionId(transaction),
        },
    )
}

fn commit(_: &Setup) -> Vec<TimedAction> {
    vec![at(100, begin(1))]
}

fn coordinator_crash(_: &Setup) -> Vec<TimedAction> {
    vec![
        at(100, begin(1)),
        at(101, Action::Crash(node(0))),
        at(2100, Action::Restart(node(0))),
    ]
}

fn crash_after_pre_commit(_: &Setup) -> Vec<TimedAction> {
    vec![
        at(100, begin(1)),
        at(170, Action::Crash(node(0))),
        at(2000, Action::Restart(node(0))),
    ]
}

fn partition_split_brain(_: &Setup) -> Vec<TimedAction> {
    vec![
        at(100, begin(1)),
        at(175, Action::Partition(vec![0, 0, 1, 1])),
        at(2000, Action::Heal),
    ]
}

fn commit_without_precommit(_: &Setup) -> Vec<TimedAction> {
    vec![
        at(100, begin(1)),
        at(185, Action::Crash(node(0))),
        at(300, Action::Crash(node(1))),
        at(3000, Action::Restart(node(0))),
        at(3000, Action::Restart(node(1))),
    ]
}
