//! Real-time push: how a server gets a stream of events to its clients over
//! the web (short polling, long polling, server-sent events, WebSockets),
//! what each costs in latency, requests, bytes and open connections, and how
//! each resumes after the network drops it without losing or repeating an
//! event.
//!
//! **Problem.** HTTP is request/response: the server speaks only when asked.
//! An application that must show events as they happen (a chat, a feed,
//! prices, a build log) needs the server to push. Asking often is simple and
//! wasteful; holding a request or a response open is cheaper per event but
//! occupies a connection per client on the server, and any connection can
//! die silently (a NAT forgets it, a proxy times it out, a phone changes
//! network). When it does, the events published meanwhile must not be lost.
//!
//! **Idea.** Four ways, compared on one event stream:
//!
//! - *Short polling*: `GET /events?after=N` every P ms; each answer carries
//!   what is newer than N. Latency is half the interval on average, and
//!   every client pays a full request with its headers each interval,
//!   events or not (RFC 6202, "Known Issues and Best Practices for the Use
//!   of Long Polling and Streaming in Bidirectional HTTP", §2).
//! - *Long polling*: the same request, but the server holds it until there
//!   is an event newer than N or a timeout, answers, and the client asks
//!   again at once (RFC 6202 §2.1-2.2: one request and response per event
//!   or batch, headers every time, and a round trip between batches during
//!   which events wait; §2.2 lists its costs, §2.4's "timeouts" its hold).
//! - *Server-sent events*: one `GET` whose `text/event-stream` response
//!   never ends; each event is a few lines (`id: N`, `data: ...`, a blank
//!   line), `retry:` sets the client's reconnection time, and on reconnect
//!   the browser sends the last id it saw as `Last-Event-ID` so the server
//!   can resend what was missed (HTML Living Standard, §9.2 "Server-sent
//!   events": §9.2.4 the event-stream format and the `id` and `retry`
//!   fields, §9.2.3 reconnection and the `Last-Event-ID` header). RFC 6202
//!   §3 describes this HTTP streaming and its issues (buffering proxies).
//! - *WebSockets*: an HTTP request with `Upgrade: websocket` answered by
//!   `101 Switching Protocols` (RFC 6455 §4, the opening handshake), then
//!   framed messages both ways with a 2 to 14 byte header (§5.2), and ping
//!   and pong control frames (§5.5.2-3) as a keepalive that tells a live
//!   connection from a dead one. Resuming is the application's job: here the
//!   client reopens with the last sequence number it saw.
//!
//! **The model.** One server (n0) publishes events (a Poisson stream at
//! `event-rate` per second, in bursts of `burst` on average) and keeps the
//! last `buffer` of them for resuming clients ([`server`]). Client groups
//! follow it, one per transport (n1 short polling, n2 long polling, n3 SSE,
//! n4 WebSocket) when the four are compared, or one group of the chosen
//! transport ([`client`]). A group stands for `clients` identical clients
//! sharing one network path and its fate: the timeline draws one connection
//! per group, while the costs count it once per client ([`process`]), so a
//! thousand clients stay readable. Every message is costed by the model in
//! [`cost`] (500 B of request headers, 200 B of response headers, SSE's
//! `id:`/`data:` lines, WebSocket's 2-14 B frame headers). A stream is a
//! TCP connection: the client takes its numbered frames in order (one that
//! overtook another waits for it), drops duplicates, and gives the
//! connection up when a frame is still missing after a heartbeat (TCP
//! delivers in order or not at all). A client notices a dead stream after three heartbeats of
//! silence (SSE comments from the server, pongs to its WebSocket pings) and
//! a dead long poll after its hold and three heartbeats, then reconnects
//! after its reconnection time (`reconnect-ms`, SSE's `retry:`), doubled per
//! failure in a row with jitter. The server closes a WebSocket that has not
//! pinged for three heartbeats; it cannot tell a dead SSE stream from an
//! idle one and keeps it until the client reconnects (RFC 6202 §3.2's
//! problem). The Network blip button (and the presets' blips) makes the
//! server lose every connection and hear nothing for a second; the page's
//! crashes, partitions and cuts do the rest. The server's log (head and
//! buffer) survives its crash; a client keeps what its application received.
//!
//! What the charts show: at 5 events a second, WebSockets deliver in about
//! one network latency for ~130 B per event per client, SSE the same for a
//! few bytes more; long polling adds a round trip per batch and ~850 B of
//! headers per event; short polling waits half its interval on average and
//! pays ~700 B per poll whether anything happened or not, times the number
//! of clients (its requests per second are `clients` / interval). Streams
//! and held polls keep one connection per client open on the server;
//! short polling keeps almost none.
//!
//! **Invariant** ([`checker`]): `exactly-once-in-order`: every client gets
//! every event exactly once and in order (no gap, no duplicate), checked
//! after every delivery; a disconnected client may lag, never skip.
//!
//! **Bug**: `sse-without-last-event-id`: the SSE client reconnects without
//! `Last-Event-ID` (as a hand-rolled `fetch` reader or a proxy that strips
//! the header would), so the server starts the new stream from its head and
//! the events published while the client was away are lost: a gap.
//!
//! **Where the model takes liberties.** Bytes are application-layer only
//! (no TCP/IP, TLS, chunked encoding or compression); short and long
//! polling reuse keep-alive connections, which are not counted as open; one
//! connection stands for a whole group, so its clients reconnect in
//! lockstep (no thundering-herd spread); when a client resumes from before
//! the buffer, the server sends a snapshot that stands for the events it no
//! longer has (an application would reload its state), and the checker
//! counts it as those events; the client keeps its position across its own
//! crash, as an application storing it would; the first connection already
//! carries the resume position (`?after=0`), which the standard's first
//! `EventSource` connection would not.
//!
//! **Left out**: HTTP/2 and HTTP/3 multiplexing, proxies that buffer
//! streams, WebSocket extensions (compression) and subprotocols, server
//! fan-out across instances, and exhaustive exploration.

pub mod checker;
pub mod client;
pub mod cost;
pub mod message;
pub mod presets;
pub mod process;
pub mod server;

use crate::lab::machine::{MachineState, StateMachine, Transition};
use crate::lab::params;
use crate::lab::protocol::{self, OperationButton, ProtocolTopic, Setup};
use crate::lab::topic::{BugInfo, Category, ParamSpec, TopicInfo, TopicKind};
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::view::{Bar, Chart, Line, Plot};
use crate::sim::world::Simulation;
use crate::traffic::plots::{PLOTTED_QUANTILES, SKETCH_CAPTION};

use checker::{PushChecker, EXACTLY_ONCE_IN_ORDER};
use client::{Client, ClientState, DeliverySecond};
use cost::Second;
use message::{PushOp, Transport, SERVER};
use process::{PushConfig, PushProcess};
use server::Server;

pub const BUG_SSE_WITHOUT_LAST_EVENT_ID: &str = "sse-without-last-event-id";

pub const TRANSPORT: &str = "transport";
pub const CLIENTS: &str = "clients";
pub const EVENT_RATE: &str = "event-rate";
pub const BURST: &str = "burst";
pub const POLL: &str = "poll-ms";
pub const HOLD: &str = "hold-ms";
pub const HEARTBEAT: &str = "heartbeat-ms";
pub const RECONNECT: &str = "reconnect-ms";
pub const BUFFER: &str = "buffer";
pub const EVENT_BYTES: &str = "event-bytes";

/// How long the Network blip button cuts the server off.
pub const BLIP_MS: u64 = 1_000;

const fn number(
    name: &'static str,
    label: &'static str,
    (default, min, max, step): (i64, i64, i64, i64),
    help: &'static str,
) -> ParamSpec {
    ParamSpec {
        name,
        label,
        default,
        min,
        max,
        step,
        help,
        choices: &[],
    }
}

const TRANSPORT_PARAM: ParamSpec = ParamSpec {
    name: TRANSPORT,
    label: "Transport",
    default: 0,
    min: 0,
    max: 4,
    step: 1,
    help: "The four side by side on the same stream, or one of them.",
    choices: &[
        "compare all four",
        "short polling",
        "long polling",
        "server-sent events",
        "WebSockets",
    ],
};

const CLIENTS_PARAM: ParamSpec = number(
    CLIENTS,
    "Clients per transport",
    (100, 1, 1_000, 1),
    "Clients each group stands for: costs count once per client, the timeline draws one connection.",
);
const EVENT_RATE_PARAM: ParamSpec = number(
    EVENT_RATE,
    "Events per second",
    (5, 0, 200, 1),
    "The server's mean publishing rate.",
);
const BURST_PARAM: ParamSpec = number(
    BURST,
    "Burstiness (mean events per burst)",
    (1, 1, 20, 1),
    "Events published at once, 1 to twice this minus one; 1 is a plain random stream.",
);
const POLL_PARAM: ParamSpec = number(
    POLL,
    "Short-poll interval (ms)",
    (1_000, 100, 10_000, 100),
    "How often a short-polling client asks.",
);
const HOLD_PARAM: ParamSpec = number(
    HOLD,
    "Long-poll hold (ms)",
    (5_000, 500, 30_000, 500),
    "How long the server holds a long poll with nothing new before answering it empty.",
);
const HEARTBEAT_PARAM: ParamSpec = number(
    HEARTBEAT,
    "Heartbeat (ms)",
    (500, 100, 10_000, 100),
    "SSE comment and WebSocket ping interval; three missed ones declare a connection dead.",
);
const RECONNECT_PARAM: ParamSpec = number(
    RECONNECT,
    "Reconnection time (ms)",
    (250, 50, 5_000, 50),
    "The first delay before reconnecting (SSE's retry:), doubled per failure in a row, with jitter.",
);
const BUFFER_PARAM: ParamSpec = number(
    BUFFER,
    "Resume buffer (events)",
    (500, 10, 5_000, 10),
    "Events the server keeps for clients that resume; older ones come back as a snapshot.",
);
const EVENT_BYTES_PARAM: ParamSpec = number(
    EVENT_BYTES,
    "Event payload (bytes)",
    (100, 10, 10_000, 10),
    "The data of one event, before each transport's framing.",
);

/// The real-time-push topic.
pub struct RealTimePushTopic;

pub static INFO: TopicInfo = TopicInfo {
    slug: "real-time-push",
    title: "Real-time push",
    category: Category::Resilience,
    kind: TopicKind::Protocol,
    summary: "Short polling, long polling, server-sent events and WebSockets side by side on one event stream, for 1 to 1,000 clients each: delivery latency, requests, bytes and open connections over time. Blip the network and watch each transport notice, back off, reconnect and resume without losing or repeating an event; switch off SSE's Last-Event-ID and the checker catches the gap.",
    reference: "HTML Living Standard, Server-sent events (§9.2: text/event-stream, id and retry fields, Last-Event-ID); RFC 6455, The WebSocket Protocol (§4 opening handshake, §5.2 framing, §5.5.2-3 ping and pong); RFC 6202, Known Issues and Best Practices for the Use of Long Polling and Streaming in Bidirectional HTTP",
    params: &[
        TRANSPORT_PARAM,
        CLIENTS_PARAM,
        EVENT_RATE_PARAM,
        BURST_PARAM,
        POLL_PARAM,
        HOLD_PARAM,
        HEARTBEAT_PARAM,
        RECONNECT_PARAM,
        BUFFER_PARAM,
        EVENT_BYTES_PARAM,
        params::DROP_PERCENT,
        params::latency(20),
    ],
    presets: &presets::PRESETS,
    bugs: &[BugInfo {
        name: BUG_SSE_WITHOUT_LAST_EVENT_ID,
        summary: "The SSE client reconnects without Last-Event-ID: the server starts the new stream from its head and the events published while the client was away are lost. Runs with an SSE group.",
        caught_by: &[EXACTLY_ONCE_IN_ORDER],
        budget: 20,
    }],
    invariants: checker::INVARIANTS,
    expected: &[],
    columns: &["process", "role", "position", "connection", "history", "cost"],
    build: protocol::build::<RealTimePushTopic>,
};

/// The run's configuration from its parameters and bug.
pub fn config(setup: &Setup) -> PushConfig {
    let clamp = |spec: &ParamSpec| setup.param(spec.name).clamp(spec.min, spec.max);
    let millis = |spec: &ParamSpec| Duration::from_millis(clamp(spec) as u64);
    let bug = setup.bug(BUG_SSE_WITHOUT_LAST_EVENT_ID);
    let single = match clamp(&TRANSPORT_PARAM) {
        1 => Some(Transport::ShortPolling),
        2 => Some(Transport::LongPolling),
        4 => Some(Transport::WebSocket),
        3 => Some(Transport::ServerSentEvents),
        _ => None,
    };
    PushConfig {
        // The bug lives in the SSE client: make sure one runs.
        single: single.filter(|&t| !bug || t == Transport::ServerSentEvents),
        clients: clamp(&CLIENTS_PARAM) as u64,
        event_rate: clamp(&EVENT_RATE_PARAM) as u32,
        burst: clamp(&BURST_PARAM) as u32,
        poll: millis(&POLL_PARAM),
        hold: millis(&HOLD_PARAM),
        heartbeat: millis(&HEARTBEAT_PARAM),
        reconnect: millis(&RECONNECT_PARAM),
        buffer: clamp(&BUFFER_PARAM) as usize,
        payload: clamp(&EVENT_BYTES_PARAM) as u64,
        omit_last_event_id: bug,
    }
}

const CONNECTING: usize = 0;
const OPEN: usize = 1;
const BACKING_OFF: usize = 2;

pub static MACHINE: StateMachine = StateMachine {
    title: "a client group's connection",
    states: &[
        MachineState {
            name: "connecting",
            x: 0,
            y: 0,
        },
        MachineState {
            name: "open",
            x: 2,
            y: 0,
        },
        MachineState {
            name: "backing off",
            x: 1,
            y: 1,
        },
    ],
    transitions: &[
        Transition {
            from: CONNECTING,
            to: OPEN,
            label: "answer or 200/101",
            timeout: false,
        },
        Transition {
            from: OPEN,
            to: BACKING_OFF,
            label: "silence or lost frame",
            timeout: true,
        },
        Transition {
            from: CONNECTING,
            to: BACKING_OFF,
            label: "no answer",
            timeout: true,
        },
        Transition {
            from: BACKING_OFF,
            to: CONNECTING,
            label: "reconnection time over",
            timeout: true,
        },
    ],
};

type PushSimulation = Simulation<PushProcess, PushChecker>;

/// A group's transport, its costs per second and its latency quantiles per
/// second, as the plots read them.
type Group<'a> = (Transport, Vec<Second>, &'a [DeliverySecond]);

/// The server of a run.
pub fn server_of(simulation: &PushSimulation) -> Option<&Server> {
    simulation
        .nodes()
        .get(SERVER.index())
        .and_then(PushProcess::server)
}

/// The client groups of a run, with their ids.
pub fn clients_of(simulation: &PushSimulation) -> impl Iterator<Item = (NodeId, &Client)> {
    simulation
        .nodes()
        .iter()
        .enumerate()
        .filter_map(|(i, node)| node.client().map(|client| (NodeId(i as u32), client)))
}

/// What group `node` cost in each second, both directions summed: bytes
/// from both sides, requests from the client, open connections from the
/// server.
pub fn seconds_of(simulation: &PushSimulation, node: NodeId, client: &Client) -> Vec<Second> {
    let sent = &client.meter().seconds;
    let received = server_of(simulation)
        .and_then(|server| server.meter(node))
        .map_or(&[][..], |meter| &meter.seconds[..]);
    (0..sent.len().max(received.len()))
        .map(|i| {
            let a = sent.get(i).copied().unwrap_or_default();
            let b = received.get(i).copied().unwrap_or_default();
            Second {
                bytes: a.bytes + b.bytes,
                requests: a.requests + b.requests,
                open: b.open,
            }
        })
        .collect()
}

/// Bytes (both directions) and requests per event delivered, per client,
/// over the whole run so far; `None` before the first delivery.
pub fn cost_per_event(
    simulation: &PushSimulation,
    node: NodeId,
    client: &Client,
) -> Option<(u64, f64)> {
    let delivered = client.events_delivered();
    if delivered == 0 {
        return None;
    }
    let server_bytes = server_of(simulation)
        .and_then(|server| server.meter(node))
        .map_or(0, |meter| meter.total.bytes);
    let total = client.meter().total;
    let per_client_event = (delivered * client.clients()) as f64;
    Some((
        ((total.bytes + server_bytes) as f64 / per_client_event).round() as u64,
        total.requests as f64 / per_client_event,
    ))
}

impl ProtocolTopic for RealTimePushTopic {
    const INFO: &'static TopicInfo = &INFO;
    type Node = PushProcess;
    type Checker = PushChecker;
    const FOCUS_ROLE: &'static str = "server";

    /// The fault plan's processes: the server and the four groups (a run
    /// with one group ignores what the plan does to the others).
    const FIXED_NODES: usize = 5;

    fn setup(setup: &Setup) -> (Vec<PushProcess>, PushChecker) {
        let config = config(setup);
        let mut processes = vec![PushProcess::Server(Box::new(Server::new(config)))];
        for node in config.group_ids() {
            if let Some(transport) = config.transport_of(node) {
                processes.push(PushProcess::Client(Box::new(Client::new(
                    config, transport,
                ))));
            }
        }
        let checker = PushChecker::new(processes.len());
        (processes, checker)
    }

    /// The server, while it runs: blips go to it and "crash the focus"
    /// crashes it.
    fn focus(_nodes: &[PushProcess], up: &[bool]) -> Option<NodeId> {
        up.get(SERVER.index())
            .copied()
            .unwrap_or(false)
            .then_some(SERVER)
    }

    const OPERATIONS: &'static [OperationButton] = &[OperationButton {
        label: "Network blip",
        help: "The server loses every connection and hears nothing for a second: clients notice, back off, reconnect and resume",
        at_node: false,
    }];

    fn operation(button: usize, _at: NodeId, _setup: &Setup, _sent: u64) -> Option<PushOp> {
        (button == 0).then_some(PushOp::Blip { ms: BLIP_MS })
    }

    const MACHINE: Option<&'static StateMachine> = Some(&MACHINE);

    fn machine_state(node: &PushProcess) -> Option<usize> {
        Some(match node.client()?.state() {
            ClientState::Connecting => CONNECTING,
            ClientState::Open => OPEN,
            ClientState::BackingOff => BACKING_OFF,
        })
    }

    /// Bytes and requests per delivered event so far, per transport.
    const CHARTED: bool = true;

    fn charts(simulation: &PushSimulation) -> Vec<Chart> {
        let mut bytes = Vec::new();
        let mut requests = Vec::new();
        for (node, client) in clients_of(simulation) {
            let transport = client.transport();
            let (b, r) = cost_per_event(simulation, node, client).unwrap_or((0, 0.0));
            let label = transport.as_str().to_string();
            bytes.push(Bar {
                label: label.clone(),
                value: b,
                palette: transport.palette(),
            });
            requests.push(Bar {
                label,
                value: (r * 100.0).round() as u64,
                palette: transport.palette(),
            });
        }
        vec![
            Chart {
                title: "Bytes per delivered event".into(),
                unit: "B",
                caption:
                    "both directions, headers and framing included, per client, over the run so far"
                        .into(),
                bars: bytes,
            },
            Chart {
                title: "Requests per 100 delivered events".into(),
                unit: "",
                caption: "HTTP requests (polls, SSE GETs, Upgrades) per client".into(),
                bars: requests,
            },
        ]
    }

    /// Latency, requests, bytes and open connections second by second, one
    /// line per transport.
    const PLOTTED: bool = true;

    fn plots(simulation: &PushSimulation) -> Vec<Plot> {
        let groups: Vec<Group> = clients_of(simulation)
            .map(|(node, client)| {
                (
                    client.transport(),
                    seconds_of(simulation, node, client),
                    client.delivery_seconds(),
                )
            })
            .collect();
        let end_of = |second: usize| Time::from_millis(1000 * (second as u64 + 1));
        let cost =
            |title: &str, unit: &'static str, caption: &str, value: fn(&Second) -> u64| Plot {
                title: title.into(),
                unit,
                caption: caption.into(),
                lines: groups
                    .iter()
                    .map(|(transport, seconds, _)| Line {
                        label: transport.as_str().to_string(),
                        palette: transport.palette(),
                        points: seconds
                            .iter()
                            .enumerate()
                            .map(|(i, s)| (end_of(i), value(s)))
                            .collect(),
                    })
                    .collect(),
            };
        let per_delivery_second =
            |title: String,
             unit: &'static str,
             caption: String,
             value: &dyn Fn(&DeliverySecond) -> u64| Plot {
                title,
                unit,
                caption,
                lines: groups
                    .iter()
                    .map(|(transport, _, seconds)| Line {
                        label: transport.as_str().to_string(),
                        palette: transport.palette(),
                        points: seconds
                            .iter()
                            .map(|s| (end_of(s.second as usize), value(s)))
                            .collect(),
                    })
                    .collect(),
            };
        let mut plots: Vec<Plot> = PLOTTED_QUANTILES
            .iter()
            .enumerate()
            .map(|(index, quantile)| {
                per_delivery_second(
                    format!("Delivery latency {}", quantile.name),
                    "ms",
                    format!("from publication to delivery, each second with deliveries, {SKETCH_CAPTION}"),
                    &|s| s.latency_ms[index],
                )
            })
            .collect();
        let mut delivered = per_delivery_second(
            "Events delivered per second".into(),
            "",
            "to each client of the group, snapshots included".into(),
            &|s| s.delivered,
        );
        // A second without deliveries is a zero here (a blip), not a gap.
        for line in &mut delivered.lines {
            line.points = fill_missing_seconds(&line.points);
        }
        plots.push(delivered);
        plots.extend([
            cost(
                "Requests per second",
                "req/s",
                "HTTP requests from all the group's clients",
                |s| s.requests,
            ),
            cost(
                "Bytes per second",
                "kB/s",
                "on the wire, both directions, all the group's clients",
                |s| s.bytes / 1000,
            ),
            cost(
                "Open connections on the server",
                "",
                "held polls and streams, the most at once each second",
                |s| s.open,
            ),
        ]);
        plots
    }
}

/// Per-second points with a zero at the end of every second missing between
/// the first and the last.
fn fill_missing_seconds(points: &[(Time, u64)]) -> Vec<(Time, u64)> {
    let mut filled = Vec::with_capacity(points.len());
    for &(at, value) in points {
        while let Some(&(previous, _)) = filled.last() {
            let next = previous + Duration::from_millis(1000);
            if next >= at {
                break;
            }
            filled.push((next, 0));
        }
        filled.push((at, value));
    }
    filled
}

#[cfg(test)]
mod tests;
