//! The guided scenarios of the partial-failures topic: each preset's
//! metadata, narration and script side by side. Every script hits the
//! backend (both chains' copies at once) or crashes a tier, so both chains
//! live through the same fault on the same seed.

use crate::lab::protocol::{at, ProtocolPreset, Setup};
use crate::lab::topic::{say, PresetInfo};
use crate::sim::action::{Action, TimedAction};

use super::message::{BackendOp, BACKEND};
use super::{BUG_NO_DEADLINE_PROPAGATION, BUG_RETRY_WITHOUT_JITTER};

pub const PRESETS: &[ProtocolPreset] = &[
    ProtocolPreset {
        info: PresetInfo {
            name: "retry-storm",
            title: "A retry storm through three tiers",
            summary: "The backend browns out for four seconds: the naive chain's retries multiply its load toward 27 attempts per request, the guarded chain's budget holds it near one.",
            seed: 1,
            params: &[],
            bug: None,
            narration: &[
                say(0, "TODO"),
            ],
        },
        script: brown_out,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "jitter-calms-it",
            title: "Backoff with jitter calms the wave",
            summary: "The backend crashes and restarts: every call it lost fails at once, and the naive chain retries them all at the same instant while full jitter spreads the guarded chain's retries out.",
            seed: 2,
            params: &[("budget", 0)],
            bug: None,
            narration: &[
                say(0, "TODO"),
            ],
        },
        script: backend_bounce,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "hedging-cuts-the-tail",
            title: "Hedging cuts the p99 on a slow tail",
            summary: "3% of the backend's requests take a slow path: the guarded middle hedges attempts outstanding past the p95 and the client's p99 drops.",
            seed: 3,
            params: &[("hedging", 1)],
            bug: None,
            narration: &[
                say(0, "TODO"),
            ],
        },
        script: slow_tail,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "deadlines-stop-wasted-work",
            title: "Deadlines stop wasted work",
            summary: "The backend browns out: the guarded chain drops work whose deadline passed and stops retrying past it, the naive chain keeps the backend busy for nobody.",
            seed: 4,
            params: &[("budget", 0)],
            bug: None,
            narration: &[
                say(0, "TODO"),
            ],
        },
        script: brown_out,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "retry-without-jitter",
            title: "Retries without jitter",
            summary: "The bug: full jitter is configured but the guarded callers wait the whole ceiling, and the calls a restart failed together retry together.",
            seed: 2,
            params: &[],
            bug: Some(BUG_RETRY_WITHOUT_JITTER),
            narration: &[
                say(0, "TODO"),
            ],
        },
        script: backend_bounce,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "no-deadline-propagation",
            title: "The deadline is dropped at a hop",
            summary: "The bug: the frontend calls the middle without the deadline, and the backend works on requests the client gave up on.",
            seed: 4,
            params: &[],
            bug: Some(BUG_NO_DEADLINE_PROPAGATION),
            narration: &[
                say(0, "TODO"),
            ],
        },
        script: brown_out,
    },
];

fn backend(ms: u64, op: BackendOp) -> TimedAction {
    at(ms, Action::operation(Some(BACKEND), &op))
}

/// The backend runs at a fifth of its capacity from 2 s to 6 s.
fn brown_out(_: &Setup) -> Vec<TimedAction> {
    vec![
        backend(
            2_000,
            BackendOp::BrownOut {
                capacity_percent: 20,
            },
        ),
        backend(6_000, BackendOp::Recover),
    ]
}

/// The backend crashes at 2 s and restarts 300 ms later.
fn backend_bounce(_: &Setup) -> Vec<TimedAction> {
    vec![
        at(2_000, Action::Crash(BACKEND)),
        at(2_300, Action::Restart(BACKEND)),
    ]
}

/// A slow tail from 1 s on.
fn slow_tail(_: &Setup) -> Vec<TimedAction> {
    vec![backend(1_000, BackendOp::SlowTail)]
}
