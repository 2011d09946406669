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
                say(0, "One server, n0, publishes about 5 events a second. Four groups of 100 clients follow it: n1 short-polls every second, n2 long-polls (the server holds each request up to 5 s), n3 holds an SSE stream, n4 a WebSocket that pings every 500 ms. The timeline draws one connection per group; the charts count all its clients."),
                say(1000, "Latency (Delivery latency p50 and p99): SSE and WebSocket deliver an event one network trip after it is published. Long polling does too while its request waits at the server, plus a round trip when an event comes while it is asking again. Short polling waits for the next poll: half its interval on average, up to all of it."),
                say(4000, "Cost (Requests per second, Bytes per second, Bytes per delivered event): short polling pays a full request and response, about 700 B of headers, every second per client, with events or without; long polling about one request per event batch, which at this rate is more than short polling; SSE and WebSocket made one request at the start and then pay only their framing per event."),
                say(7000, "And what the streams cost instead (Open connections on the server): SSE, WebSocket and long polling each keep one connection per client open on the server all the time; short polling keeps none between its requests. RFC 6202's trade: fewer requests and lower latency for held connections."),
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
                say(0, "The same four groups as in the first story, on the same stream. At 3 s the server's network blips for a second."),
                say(3000, "The blip: the server loses every connection and drops all it hears until 4 s. It keeps publishing into its buffer of the last 500 events, which is what the clients will resume from."),
                say(4500, "The streams have heard nothing for three heartbeats (1.5 s: no event, no SSE comment, no pong) and give their connections up; each reconnects after its jittered reconnection time. Short polling never noticed anything: its polls were dropped during the blip, and the first one after it brings every event it missed in one answer."),
                say(5000, "SSE reconnected with Last-Event-ID and the WebSocket with its last sequence: the server resent the events published since, from its buffer, in order, before the new ones. No client skipped or repeated an event: exactly-once-in-order holds."),
                say(9500, "Long polling is the slowest to notice: the server forgot its held request in the blip, but the client cannot tell a lost request from a held one until the hold (5 s) and three heartbeats are over. Then it asks again, after its last event, and gets everything it missed in one answer."),
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
                say(0, "One WebSocket group, n1, of 100 clients: one Upgrade answered by 101 Switching Protocols, then events as frames with a 2-byte header. n1 pings every 500 ms and the server answers each ping with a pong (RFC 6455 §5.5.2-3)."),
                say(3000, "The network between n1 and the server goes silent both ways. Nothing is closed, no FIN, no reset: without heartbeats neither side would ever know, and the server would keep the connection, and n1 would wait for events forever."),
                say(4500, "About three heartbeats later both sides know: n1 has had no frame, not even a pong, and gives the connection up; the server has had no ping and closes its side, freeing the connection (Open connections on the server falls to 0). n1's attempts to reconnect are lost too, and it backs off, doubling its wait each time."),
                say(6857, "The network healed at 5 s; n1's attempt during the silence was lost and it gave up again at 6.5 s. Its next attempt gets through: the new Upgrade resumes after the last event n1 saw, and the server replays the events published during the silence before the new ones. Nothing was skipped or repeated."),
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
                say(0, "The same four transports with 1,000 clients each. The timeline is the same (one connection per group); the charts count every client."),
                say(2000, "Short polling: 1,000 requests a second (Requests per second) and about 700 kB a second of headers, events or not, and each event still waits half a second on average. Long polling makes one request per event batch per client: several thousand a second at 5 events a second. SSE and WebSocket: 1,000 requests at the start, then only events and heartbeats."),
                say(4000, "The price of the streams is on the last chart: 1,000 connections open on the server for each of SSE, WebSocket and long polling (each client holds a request), against none for short polling between its requests. Lengthen the poll interval and short polling gets cheaper and slower; it never gets both."),
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
                say(0, "The bug: n3's SSE client reconnects without Last-Event-ID. The same four groups, and the same blip at 3 s as in the second story."),
                say(3000, "The blip: every connection is lost. The server keeps publishing into its buffer."),
                say(4500, "The streams hear nothing for three heartbeats and give up. The WebSocket client n4 reconnects from its last sequence and is resent what it missed. n3 reconnects with no Last-Event-ID, so the server cannot know where it stopped and starts the new stream from its head."),
                say(5227, "At 5227 ms the next event, 26, reaches n3, right after 12, and events 13 to 25, published while it was away, never will: exactly-once-in-order fires. Last-Event-ID is what turns a reconnection into a resumption."),
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
