//! The guided scenarios of the quorum topic.

use crate::lab::protocol::{ProtocolPreset, Setup};
use crate::lab::topic::{say, PresetInfo};
use crate::sim::action::TimedAction;

pub const PRESETS: &[ProtocolPreset] = &[ProtocolPreset {
    info: PresetInfo {
        name: "workload",
        title: "Workload",
        summary: "placeholder while building",
        seed: 1,
        params: &[],
        bug: None,
        narration: &[say(0, "x")],
    },
    script: no_script,
}];

fn no_script(_: &Setup) -> Vec<TimedAction> {
    Vec::new()
}
