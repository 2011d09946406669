//! The guided scenarios of the circuit-breaker topic: each preset's
//! metadata, narration and script side by side. Every script hits the
//! downstream (both copies at once) from the script, so both chains live
//! through the same fault on the same seed.

use crate::lab::protocol::{at, ProtocolPreset, Setup};
use crate::lab::topic::{say, PresetInfo};
use crate::sim::action::{Action, TimedAction};

use super::message::{DownstreamOp, DOWNSTREAM};
use super::{BUG_HALF_OPEN_LETS_ALL_THROUGH, BUG_RETRIES_BYPASS_BREAKER};

pub const PRESETS: &[ProtocolPreset] = &[
    ProtocolPreset {
        info: PresetInfo {
            name: "outage-and-recovery",
            title: "Outage: the breaker trips, probes and closes",
            summary: "The downstream is down for three seconds: the breaker trips open, fails fast, cools down, probes and closes once it is back.",
            seed: 1,
            params: &[],
            bug: None,
            narration: &[
                say(0, "TODO"),
            ],
        },
        script: outage,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "retries-keep-it-down",
            title: "The same outage without a breaker",
            summary: "The same run, told from the caller without a breaker: its retries triple the load and keep the recovered downstream saturated.",
            seed: 1,
            params: &[],
            bug: None,
            narration: &[
                say(0, "TODO"),
            ],
        },
        script: outage,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "half-open-lets-all-through",
            title: "Half-open lets everything through",
            summary: "The bug: a half-open breaker admits every call as a probe, and the probe limit is broken.",
            seed: 1,
            params: &[],
            bug: Some(BUG_HALF_OPEN_LETS_ALL_THROUGH),
            narration: &[
                say(0, "TODO"),
            ],
        },
        script: outage,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "retries-bypass-breaker",
            title: "Retries bypass the breaker",
            summary: "The bug: the retry loop sits below the breaker, so retries reach the downstream while the breaker is open.",
            seed: 1,
            params: &[],
            bug: Some(BUG_RETRIES_BYPASS_BREAKER),
            narration: &[
                say(0, "TODO"),
            ],
        },
        script: outage,
    },
];

fn downstream(ms: u64, op: DownstreamOp) -> TimedAction {
    at(ms, Action::operation(Some(DOWNSTREAM), &op))
}

/// The downstream is down from 2 s to 5 s.
fn outage(_: &Setup) -> Vec<TimedAction> {
    vec![
        downstream(2_000, DownstreamOp::Outage),
        downstream(5_000, DownstreamOp::Recover),
    ]
}
