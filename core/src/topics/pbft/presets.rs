//! PBFT's guided scenarios. Each runs one client against four replicas (three
//! with `three-f-replicas`), f = 1, no message loss; a script turns replicas
//! into traitors at time zero, so each story is the one it forces. The
//! narration's times were read off each preset's trace (`distlab run pbft
//! --preset NAME`); tests replay every preset and assert its story happens.

use crate::lab::protocol::{at, node};
use crate::lab::protocol::{ProtocolPreset, Setup};
use crate::lab::topic::say;
use crate::lab::topic::PresetInfo;
use crate::sim::action::{Action, TimedAction};

use super::message::{Behaviour, PbftOp};
use super::{BUG_QUORUM_2F, BUG_THREE_F_REPLICAS};

const QUIET: &[(&str, i64)] = &[("f", 1), ("clients", 1)];

/// Replica `replica` turns traitor with `behaviour`.
pub fn traitor(replica: u32, behaviour: Behaviour) -> Action {
    Action::operation(Some(node(replica)), &PbftOp::Traitor(behaviour))
}

pub const PRESETS: &[ProtocolPreset] = &[
    ProtocolPreset {
        info: PresetInfo {
            name: "normal-case",
            title: "Normal case: three phases",
            summary: "One request goes through pre-prepare, prepare and commit at four replicas, is executed and answered; f+1 matching replies convince the client.",
            seed: 1,
            params: QUIET,
            bug: None,
            narration: &[
                say(0, "Four replicas tolerate f = 1 traitor. n0 is the primary of view 0; n4 is a client."),
            ],
        },
        script: normal_case,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "silent-primary",
            title: "Silent primary: view change",
            summary: "The primary says nothing. The client multicasts its request, the backups time out and change view; n1 becomes primary and the request commits.",
            seed: 2,
            params: QUIET,
            bug: None,
            narration: &[
                say(0, "n0, the primary of view 0, turns silent traitor."),
            ],
        },
        script: silent_primary,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "equivocating-primary",
            title: "Equivocating primary",
            summary: "The primary sends each backup a different request for sequence number 1. No digest gathers 2f+1 votes, so nothing is prepared; the backups change view and the honest n1 orders the real request.",
            seed: 3,
            params: QUIET,
            bug: None,
            narration: &[
                say(0, "n0, the primary of view 0, turns equivocating traitor."),
            ],
        },
        script: equivocating_primary,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "lying-backup",
            title: "A lying backup is outvoted",
            summary: "n3 votes with wrong digests and agrees with whoever asks. The three honest replicas are a quorum of their own, and requests commit as usual.",
            seed: 4,
            params: QUIET,
            bug: None,
            narration: &[
                say(0, "n3 turns lying traitor."),
            ],
        },
        script: lying_backup,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "quorum-2f-unsafe",
            title: "Quorums of 2f (bug)",
            summary: "With certificates of 2f matching messages, an equivocating primary gets each backup to commit a different request at sequence number 1.",
            seed: 5,
            params: QUIET,
            bug: Some(BUG_QUORUM_2F),
            narration: &[
                say(0, "The bug is on: certificates need 2f = 2 matching messages, not 2f+1 = 3. n0 is an equivocating primary."),
            ],
        },
        script: no_script,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "three-f-replicas-unsafe",
            title: "n = 3f is not enough (bug)",
            summary: "Three replicas for f = 1, with quorums of 2f = 2: the two honest backups each form a quorum with the equivocating primary, for different requests.",
            seed: 6,
            params: QUIET,
            bug: Some(BUG_THREE_F_REPLICAS),
            narration: &[
                say(0, "Only 3f = 3 replicas; quorums are n - f = 2. n0 is an equivocating primary."),
            ],
        },
        script: no_script,
    },
];

fn normal_case(_: &Setup) -> Vec<TimedAction> {
    Vec::new()
}

fn no_script(_: &Setup) -> Vec<TimedAction> {
    Vec::new()
}

fn silent_primary(_: &Setup) -> Vec<TimedAction> {
    vec![at(0, traitor(0, Behaviour::Silent))]
}

fn equivocating_primary(_: &Setup) -> Vec<TimedAction> {
    vec![at(0, traitor(0, Behaviour::Equivocate))]
}

fn lying_backup(_: &Setup) -> Vec<TimedAction> {
    vec![at(0, traitor(3, Behaviour::Lie))]
}
