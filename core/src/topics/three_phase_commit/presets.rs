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
use super::BUG_COMMIT_WITHOUT_PRECOMMIT;

/// Parameters every preset shares: four nodes, no workload, no random NO.
const QUIET: &[(&str, i64)] = &[("nodes", 4), ("rate", 0), ("abort-percent", 0)];

pub const PRESETS: &[ProtocolPreset] = &[
    ProtocolPreset {
        info: PresetInfo {
            name: "commit",
            title: "A transaction commits",
            summary: "Every participant votes YES; the coordinator pre-commits everyone, then commits.",
            seed: 1,
            params: QUIET,
            bug: None,
            narration: &[say(0, "TODO")],
        },
        script: commit,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "coordinator-crash",
            title: "Coordinator crash: no blocking",
            summary: "Two-phase commit's coordinator-crash preset, same seed and script.",
            seed: 3,
            params: QUIET,
            bug: None,
            narration: &[say(0, "TODO")],
        },
        script: coordinator_crash,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "crash-after-pre-commit",
            title: "Crash during pre-commit",
            summary: "TODO",
            seed: 4,
            params: QUIET,
            bug: None,
            narration: &[say(0, "TODO")],
        },
        script: crash_after_pre_commit,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "partition-split-brain",
            title: "Partition: split brain",
            summary: "TODO",
            seed: 5,
            params: QUIET,
            bug: None,
            narration: &[say(0, "TODO")],
        },
        script: partition_split_brain,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "commit-without-precommit-unsafe",
            title: "Skip the pre-commit (bug)",
            summary: "TODO",
            seed: 6,
            params: QUIET,
            bug: Some(BUG_COMMIT_WITHOUT_PRECOMMIT),
            narration: &[say(0, "TODO")],
        },
        script: commit_without_precommit,
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
    vec![at(100, begin(1))]
}

fn partition_split_brain(_: &Setup) -> Vec<TimedAction> {
    vec![at(100, begin(1))]
}

fn commit_without_precommit(_: &Setup) -> Vec<TimedAction> {
    vec![at(100, begin(1))]
}
