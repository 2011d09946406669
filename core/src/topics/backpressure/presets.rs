//! The guided scenarios of the backpressure topic: each preset's metadata,
//! narration and script side by side. All overload stage B (about 100 items
//! a second) with a producer of 120 a second, so they differ in the policy.

use crate::lab::protocol::{at, ProtocolPreset, Setup};
use crate::lab::topic::{say, PresetInfo};
use crate::sim::action::{Action, TimedAction};

use super::message::{stage_id, PipelineOp};
use super::BUG_CREDIT_LEAK;

pub const PRESETS: &[ProtocolPreset] = &[
    ProtocolPreset {
        info: PresetInfo {
            name: "unbounded-overload",
            title: "Overload with unbounded queues",
            summary: "120 items a second into a pipeline whose middle stage serves 100: B's queue, its memory and every item's latency grow for as long as the overload lasts.",
            seed: 1,
            params: &[("policy", 0), ("rate", 120)],
            bug: None,
            narration: &[
                say(0, "DRAFT"),
            ],
        },
        script: no_script,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "block-overload",
            title: "The same overload with block",
            summary: "The same producer and pipeline, but a full stage pauses its upstream: the pause travels back to the producer, which is slowed to B's pace; memory and latency stay flat.",
            seed: 1,
            params: &[("policy", 3), ("rate", 120)],
            bug: None,
            narration: &[
                say(0, "DRAFT"),
            ],
        },
        script: no_script,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "drop-newest",
            title: "Drop newest: the old items survive",
            summary: "Stage C slows to half speed for four seconds; its full queue refuses what arrives, and the items it delivers afterwards are the ones that waited longest.",
            seed: 2,
            params: &[("policy", 1), ("rate", 80)],
            bug: None,
            narration: &[
                say(0, "DRAFT"),
            ],
        },
        script: slow_sink,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "drop-oldest",
            title: "Drop oldest: the fresh items survive",
            summary: "The same slowdown, but a full queue evicts its oldest item: what is delivered is fresh, and the work spent on the evicted items is wasted.",
            seed: 2,
            params: &[("policy", 2), ("rate", 80)],
            bug: None,
            narration: &[
                say(0, "DRAFT"),
            ],
        },
        script: slow_sink,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "credit-flow",
            title: "Credit-based flow: request(n)",
            summary: "Each stage grants its upstream credits for the room in its queue, as Reactive Streams' request(n) does; the upstream never sends more than it was granted, and a burst is absorbed by the producer.",
            seed: 3,
            params: &[("policy", 4), ("rate", 120)],
            bug: None,
            narration: &[
                say(0, "DRAFT"),
            ],
        },
        script: burst,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "credit-leak",
            title: "A credit granted twice",
            summary: "The bug: senders add every request's n, repeats included; the periodic re-send of a request grants its credits again, the upstream sends beyond the demand, and the checker catches it.",
            seed: 3,
            params: &[("policy", 4), ("rate", 120)],
            bug: Some(BUG_CREDIT_LEAK),
            narration: &[
                say(0, "DRAFT"),
            ],
        },
        script: no_script,
    },
];

fn no_script(_: &Setup) -> Vec<TimedAction> {
    Vec::new()
}

/// Stage C serves at half speed from 2 s to 6 s.
fn slow_sink(_: &Setup) -> Vec<TimedAction> {
    let slow = |ms| {
        at(
            ms,
            Action::operation(Some(stage_id(2)), &PipelineOp::SlowStage),
        )
    };
    vec![slow(2_000), slow(6_000)]
}

/// The producer doubles its rate at 3 s.
fn burst(_: &Setup) -> Vec<TimedAction> {
    vec![at(3_000, Action::operation(None, &PipelineOp::Burst))]
}
