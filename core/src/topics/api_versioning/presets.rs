//! The guided scenarios of the API-versioning topic: each preset's metadata,
//! narration and script side by side.

use crate::lab::protocol::{ProtocolPreset, Setup};
use crate::lab::topic::{say, PresetInfo};
use crate::sim::action::TimedAction;

use super::BUG_BREAKING_IN_MINOR;

pub const PRESETS: &[ProtocolPreset] = &[
    ProtocolPreset {
        info: PresetInfo {
            name: "six-changes",
            title: "Six changes, three major versions",
            summary: "The server releases its six changes three seconds apart; semver turns them into v1.1, v2.0, v2.1, v3.0, v4.0 and v5.0, and the clients follow the deprecations.",
            seed: 1,
            params: &[],
            bug: None,
            narration: &[
                say(0, "n0 is the API server at v1.0: an order is {id, amount, currency, status}. Six clients, n1 to n6, built against v1.0, ask for v1 by URI path, header or media type in turn, three requests a second each, every other one creating an order with a body in their own schema."),
            ],
        },
        script: no_script,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "breaking-change-in-minor",
            title: "A breaking change shipped as a minor version",
            summary: "The server numbers every change as a minor version: the required field customer lands in v1.2 and v1 clients' orders are refused.",
            seed: 1,
            params: &[],
            bug: Some(BUG_BREAKING_IN_MINOR),
            narration: &[
                say(0, "The same server and clients, but its release tool numbers every change as a minor version, without comparing the schemas."),
            ],
        },
        script: no_script,
    },
];

fn no_script(_: &Setup) -> Vec<TimedAction> {
    Vec::new()
}
