//! The guided scenarios of the service-mesh topic: each preset's metadata,
//! narration and script side by side. Every fault hits both planes at the
//! same instant, so the mesh and the bare shop live through it on one seed.

use crate::lab::protocol::{at, ProtocolPreset, Setup};
use crate::lab::topic::{say, PresetInfo};
use crate::sim::action::{Action, TimedAction};

use super::message::{MeshOp, Workload, ROGUE};
use super::BUG_POLICY_NOT_ENFORCED_ON_RETRY;

pub const PRESETS: &[ProtocolPreset] = &[
    ProtocolPreset {
        info: PresetInfo {
            name: "canary-rollout",
            title: "Canary rollout: 5% → 50% → 100%",
            summary: "A healthy canary of the catalog takes 5%, then 50%, then all of its traffic, and is promoted.",
            seed: 1,
            params: &[],
            bug: None,
            narration: &[
                say(0, "STORY"),
            ],
        },
        script: nothing,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "bad-canary",
            title: "A bad canary is rolled back",
            summary: "The catalog's canary starts failing at 50%: its error rate passes the threshold and the frontend's sidecar sends it nothing more.",
            seed: 1,
            params: &[],
            bug: None,
            narration: &[
                say(0, "STORY"),
            ],
        },
        script: bad_canary,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "rogue-caller",
            title: "A rogue caller is denied",
            summary: "A batch job with a valid certificate but no allow rule calls payments: the mesh's sidecar denies every attempt, the bare shop charges them.",
            seed: 1,
            params: &[],
            bug: None,
            narration: &[
                say(0, "STORY"),
            ],
        },
        script: rogue,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "brown-out",
            title: "Payments browns out, with and without the mesh",
            summary: "Payments runs at a quarter of its capacity for six seconds: the mesh's timeouts, retries and circuit breaker against plain calls.",
            seed: 1,
            params: &[],
            bug: None,
            narration: &[
                say(0, "STORY"),
            ],
        },
        script: brown_out,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "policy-not-enforced-on-retry",
            title: "The policy is skipped on retries",
            summary: "The bug: the sidecar checks only first attempts, and the rogue's retry reaches payments.",
            seed: 1,
            params: &[],
            bug: Some(BUG_POLICY_NOT_ENFORCED_ON_RETRY),
            narration: &[
                say(0, "STORY"),
            ],
        },
        script: nothing,
    },
];

fn nothing(_: &Setup) -> Vec<TimedAction> {
    Vec::new()
}

fn to(ms: u64, workload: Workload, op: MeshOp) -> TimedAction {
    at(ms, Action::operation(Some(workload.node()), &op))
}

/// The canary goes bad at 6 s, at 50%.
fn bad_canary(_: &Setup) -> Vec<TimedAction> {
    vec![to(
        6_000,
        Workload::Catalog,
        MeshOp::BadCanary { percent: 80 },
    )]
}

/// The batch job calls payments 10 times from 2 s.
fn rogue(_: &Setup) -> Vec<TimedAction> {
    vec![at(
        2_000,
        Action::operation(Some(ROGUE), &MeshOp::Rogue { calls: 10 }),
    )]
}

/// Payments at 25% of its capacity from 2 s to 8 s.
fn brown_out(_: &Setup) -> Vec<TimedAction> {
    vec![
        to(
            2_000,
            Workload::Payments,
            MeshOp::BrownOut {
                capacity_percent: 25,
            },
        ),
        to(8_000, Workload::Payments, MeshOp::Recover),
    ]
}
