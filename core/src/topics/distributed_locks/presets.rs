//! The guided scenarios of the distributed-locks topic: each preset's metadata,
//! narration and script side by side.
//!
//! Scripts switch random pauses off (`pause-ms` 0) and pause a client
//! themselves when the story needs it, at an instant the preset's seed makes
//! fall inside that client's work under the lock.

use crate::lab::protocol::{ProtocolPreset, Setup};
use crate::lab::topic::{Narration, PresetInfo};
use crate::sim::action::{Action, TimedAction};
use crate::sim::time::{NodeId, Time};

use super::message::LockOp;
use super::{BUG_NO_FENCING, BUG_REDLOCK_DRIFT};

const fn say(ms: u64, text: &'static str) -> Narration {
    Narration {
        at: Time::from_millis(ms),
        text,
    }
}

pub const PRESETS: &[ProtocolPreset] = &[
    ProtocolPreset {
        info: PresetInfo {
            name: "happy-path",
            title: "Leases and fencing tokens",
            summary: "Two clients take turns: acquire a lease with a token, write with it, release.",
            seed: 1,
            params: &[("mode", 0), ("pause-ms", 0)],
            bug: None,
            narration: &[
                say(0, "TODO"),
                say(500, "TODO"),
                say(1500, "TODO"),
            ],
        },
        script: no_script,
    },
];

fn at(ms: u64, action: Action) -> TimedAction {
    TimedAction::at_ms(ms, action)
}

/// Pauses client `node` for `millis` from `ms` on.
fn pause(ms: u64, node: u32, millis: u64) -> TimedAction {
    at(ms, Action::operation(Some(NodeId(node)), &LockOp::Pause { millis }))
}

fn no_script(_: &Setup) -> Vec<TimedAction> {
    Vec::new()
}
