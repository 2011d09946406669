//! The guided scenarios of the real-time-push topic: each preset's
//! metadata, narration and script side by side.

use crate::lab::protocol::{at, ProtocolPreset, Setup};
use crate::lab::topic::{say, PresetInfo};
use crate::sim::action::{Action, TimedAction};

use super::message::{PushOp, SERVER};
use super::{BUG_SSE_WITHOUT_LAST_EVENT_ID, CLIENTS, TRANSPORT};

pub const PRESETS: &[ProtocolPreset] = &[
    ProtocolPreset {
        info: PresetInfo {
            name: "four-transports",
            title: "Four transports, one stream",
            summary: "Short polling, long polling, SSE and WebSockets follow the same events: latency against requests against bytes.",
            seed: 1,
            params: &[],
            bug: None,
            narration: &[
                say(0, "TODO"),
            ],
        },
        script: nothing,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "blip-and-resume",
            title: "A network blip, and SSE resumes",
            summary: "The server loses every connection for a second: each client notices in its own way, reconnects and resumes without a gap.",
            seed: 1,
            params: &[],
            bug: None,
            narration: &[
                say(0, "TODO"),
            ],
        },
        script: blip,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "websocket-heartbeat",
            title: "Heartbeats find a dead WebSocket",
            summary: "The network between a WebSocket client and the server goes silent without closing anything: unanswered pings tell both sides the connection is dead.",
            seed: 1,
            params: &[(TRANSPORT, 4)],
            bug: None,
            narration: &[
                say(0, "TODO"),
            ],
        },
        script: isolate_client,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "short-polling-at-scale",
            title: "Short polling at 1,000 clients",
            summary: "A thousand clients per transport: short polling's requests and bytes grow with clients and time, not with events.",
            seed: 1,
            params: &[(CLIENTS, 1_000)],
            bug: None,
            narration: &[
                say(0, "TODO"),
            ],
        },
        script: nothing,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "sse-without-last-event-id",
            title: "SSE without Last-Event-ID",
            summary: "The bug: the SSE client reconnects without Last-Event-ID after a blip, and the events published meanwhile are lost.",
            seed: 1,
            params: &[],
            bug: Some(BUG_SSE_WITHOUT_LAST_EVENT_ID),
            narration: &[
                say(0, "TODO"),
            ],
        },
        script: blip,
    },
];

fn nothing(_: &Setup) -> Vec<TimedAction> {
    Vec::new()
}

/// The server is cut off for a second at 3 s.
fn blip(_: &Setup) -> Vec<TimedAction> {
    vec![at(
        3_000,
        Action::operation(Some(SERVER), &PushOp::Blip { ms: 1_000 }),
    )]
}

/// The first client group is cut off from the server, both ways, from 3 s
/// to 5 s: nothing is closed, packets just stop.
fn isolate_client(_: &Setup) -> Vec<TimedAction> {
    vec![
        at(3_000, Action::Partition(vec![0, 1])),
        at(5_000, Action::Heal),
    ]
}
