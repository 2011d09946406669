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
                say(0, "Four replicas (n = 3f+1 for f = 1) and a client, n4. n0 is the primary of view 0; n1, n2 and n3 are backups. Quorums are 2f+1 = 3."),
                say(100, "The client sends its request t1 to the primary it believes in, n0 (section 4.1)."),
                say(113, "Pre-prepare: n0 assigns sequence number n1 and multicasts PRE-PREPARE(v0, n1, #5fe1) with the request. Only the primary may assign numbers."),
                say(127, "Prepare: each backup checks the view, the watermarks and that it accepted nothing else for v0 n1, logs the pre-prepare and multicasts PREPARE(v0, n1, #5fe1)."),
                say(134, "n1 now holds the pre-prepare and 2f = 2 matching PREPAREs from different backups: a prepared certificate (P with a tick in the certificate table under the timeline). No other digest can be prepared at v0 n1 by an honest replica. It multicasts COMMIT; the others follow within 8 ms."),
                say(150, "Commit: with 2f+1 = 3 matching COMMITs a replica is committed-local; n2 first. It executes the request in sequence order and replies to the client. The timeline's mark shows the moment 2f+1 honest replicas had committed."),
                say(164, "The client accepts the result once f+1 = 2 replicas sent the same one: at least one of them is honest. The next request follows, and so on."),
                say(642, "After n4, every replica multicasts CHECKPOINT with its state; with 2f+1 matching ones the checkpoint is stable and the log below it is thrown away (section 4.3)."),
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
                say(0, "n0, the primary of view 0, turns silent traitor: it will receive everything and send nothing."),
                say(100, "The client sends t1 to n0. Nothing comes back."),
                say(500, "No f+1 replies within 400 ms: the client multicasts the request to every replica (section 4.1). Each backup relays it to the primary and starts its request timer."),
                say(816, "The timers expire with the request still not executed: n3, n1 and n2 move to view 1 and multicast VIEW-CHANGE(v1) with their stable checkpoint and their prepared certificates, none here (section 4.4)."),
                say(836, "n1, primary of view 1 (1 mod 4), has 2f+1 = 3 VIEW-CHANGEs (its own, n2's, n3's): it multicasts NEW-VIEW. Nothing was prepared, so there is nothing to re-issue. It already holds the request from the client's multicast and assigns it n1 in view 1."),
                say(855, "n2 and n3 check that NEW-VIEW's pre-prepares follow from its VIEW-CHANGEs and enter view 1; n3 had logged the pre-prepare that beat NEW-VIEW to it."),
                say(862, "The three phases run again in view 1, without n0: three honest replicas are a quorum."),
                say(892, "The client accepts; the replies said view 1, so its next request goes to n1."),
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
                say(111, "n0 assigns n1 to the client's request, but tells each backup something else: #5fe1 to n1, #ee1f to n2, #d00b to n3, and sends each a COMMIT for its own digest, hoping each will think it has a quorum."),
                say(118, "Each backup accepts the first pre-prepare it sees for v0 n1 and multicasts PREPARE for it. Each gets two PREPAREs for other digests: no digest has 2f = 2 matching PREPAREs, so nobody is prepared and nobody commits. n0's COMMITs alone are worth nothing."),
                say(418, "The backups' request timers expire: VIEW-CHANGE(v1) from n2, n1 and n3, with empty prepared sets."),
                say(436, "n1 gathers 3 VIEW-CHANGEs and sends NEW-VIEW; n0 sees f+1 replicas moving on and follows (section 4.5.2). Everyone is in view 1 by 453 ms."),
                say(500, "The client multicasts its request; n1, an honest primary, assigns it n1 in view 1 (#5fe1, the real request)."),
                say(543, "Committed and executed at every replica, n0 included (as a backup it follows the protocol). The equivocation cost a view change and nothing else."),
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
                say(0, "n3 turns lying traitor: its PREPAREs and COMMITs carry a wrong digest, and it agrees with whoever sends it a PREPARE."),
                say(107, "n0, an honest primary, assigns n1 to the client's request and multicasts PRE-PREPARE #5fe1."),
                say(120, "n3 multicasts PREPARE #3713, which matches nothing. When n2's PREPARE for #5fe1 reaches it, it answers n2 alone with a PREPARE and COMMIT for #5fe1: it votes for anything."),
                say(130, "n0, n1 and n2 are prepared with the honest n1 and n2 PREPAREs (and n3's agreeable echo, which would not matter): 2f matching PREPAREs need only honest backups."),
                say(143, "2f+1 = 3 honest COMMITs: committed at n2, n1 and n0. n3's wrong COMMITs are simply outvoted."),
                say(157, "The client accepts with two matching replies; n3's reply carries a wrong result and matches no one. One traitor in 3f+1 = 4 is tolerated: requests keep committing in view 0."),
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
                say(0, "The bug is on: certificates need 2f = 2 matching messages, not 2f+1 = 3. n0 is set up as an equivocating primary."),
                say(118, "n0 assigns n1 and sends each backup a different request (#5fe1 to n1, #ee1f to n2, #d00b to n3), with a COMMIT for each one's own digest."),
                say(131, "n3 holds the pre-prepare and its own PREPARE: two matching messages, a 'certificate' under the bug. With its own COMMIT and n0's it has two COMMITs: it commits #d00b at n1 and executes it."),
                say(135, "n1 does the same for #5fe1: two honest replicas committed different requests at sequence number 1, and the checker flags commit-agreement and execution-agreement. Quorums of 2 out of 4 need not overlap at all, let alone in an honest replica."),
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
                say(0, "Only 3f = 3 replicas for f = 1. Waiting for 2f+1 = 3 would stall at the first crash, so quorums are n - f = 2. n0 is set up as an equivocating primary."),
                say(114, "n0 assigns n1 and sends #2a2e to n1 and #70f8 to n2, each with a matching COMMIT."),
                say(126, "n1 has the pre-prepare and its PREPARE, then n0's COMMIT and its own: a quorum of 2, committed #2a2e."),
                say(131, "n2 commits #70f8 the same way. Two quorums of 2 out of 3 share one replica, and that one is the traitor: the checker flags commit-agreement and execution-agreement. With 3f+1 replicas and quorums of 2f+1 they would share f+1, one of them honest."),
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
