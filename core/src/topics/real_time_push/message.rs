//! The vocabulary of the real-time-push topic: the four transports, the
//! events of the stream, what travels between the server and its client
//! groups (HTTP requests and responses, stream frames, WebSocket pings), the
//! timers, and the network blip a person or a preset injects.

use std::fmt;

use crate::sim::action::{Operation, RawOperation};
use crate::sim::node::Labelled;
use crate::sim::time::{NodeId, Time};
use crate::sim::view::Palette;

/// The server publishing the stream; the client groups follow it.
pub const SERVER: NodeId = NodeId(0);

/// An event's position in the stream, from 1 (0: nothing seen yet).
pub type Seq = u64;

/// A request's or a connection's id, chosen by its client, increasing.
pub type ConnectionId = u64;

/// How a client group follows the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// A full request/response every poll interval (RFC 6202 §2's baseline).
    ShortPolling,
    /// A request held open until an event or a timeout, then re-issued
    /// (RFC 6202 §2.1).
    LongPolling,
    /// One long-lived `text/event-stream` response, events with ids, resumed
    /// with `Last-Event-ID` (HTML Living Standard, §9.2).
    ServerSentEvents,
    /// An HTTP Upgrade, then frames both ways, with ping/pong heartbeats
    /// (RFC 6455 §4, §5.5.2-3).
    WebSocket,
}

impl Transport {
    pub const ALL: [Transport; 4] = [
        Transport::ShortPolling,
        Transport::LongPolling,
        Transport::ServerSentEvents,
        Transport::WebSocket,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Transport::ShortPolling => "short polling",
            Transport::LongPolling => "long polling",
            Transport::ServerSentEvents => "SSE",
            Transport::WebSocket => "WebSocket",
        }
    }

    pub fn palette(self) -> Palette {
        match self {
            Transport::ShortPolling => Palette::Faulty,
            Transport::LongPolling => Palette::Suspect,
            Transport::ServerSentEvents => Palette::Lead,
            Transport::WebSocket => Palette::Done,
        }
    }

    /// Whether it keeps one connection open and streams frames on it.
    pub fn streams(self) -> bool {
        matches!(self, Transport::ServerSentEvents | Transport::WebSocket)
    }
}

/// One event of the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    pub seq: Seq,
    /// When the server published it, by its clock (for delivery latency).
    pub published_at: Time,
}

/// What one frame of a stream (an SSE response or a WebSocket) carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameBody {
    /// The response headers (SSE's `200 text/event-stream` with `retry:`) or
    /// the WebSocket handshake's `101 Switching Protocols`.
    Opened,
    Event(Event),
    /// The buffer no longer holds the events up to `through`: instead of
    /// them, a snapshot of the state they built (the model's liberty: the
    /// client takes it as those events, once and in order).
    Snapshot {
        through: Seq,
    },
    /// An SSE comment line (`:`) the server sends so idle proxies and the
    /// client know the stream is alive.
    Comment,
    /// A WebSocket pong answering the client's ping (RFC 6455 §5.5.3).
    Pong,
}

/// Everything that travels on the network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PushMessage {
    /// Client to server: `GET /events?after=N`, answered at once (short
    /// polling) or held until there is something newer or `hold` is over
    /// (long polling).
    Poll {
        request: ConnectionId,
        after: Seq,
        held: bool,
    },
    /// Server to client: the events after `after` (a snapshot first if the
    /// buffer no longer reaches back that far), possibly none.
    PollResponse {
        request: ConnectionId,
        after: Seq,
        snapshot: Option<Seq>,
        events: Vec<Event>,
    },
    /// Client to server: open a stream. SSE: `GET /stream` with
    /// `Last-Event-ID: resume_after` when the client sends it; WebSocket:
    /// the Upgrade request, resuming after `resume_after`.
    Connect {
        connection: ConnectionId,
        resume_after: Option<Seq>,
    },
    /// Server to client: frame `frame` (from 0) of stream `connection`, as
    /// opened by the server's `incarnation` (a restarted server's streams are
    /// new streams).
    Frame {
        connection: ConnectionId,
        incarnation: u32,
        frame: u32,
        body: FrameBody,
    },
    /// Client to server: a WebSocket ping (RFC 6455 §5.5.2).
    Ping { connection: ConnectionId },
}

impl Labelled for PushMessage {
    fn kind(&self) -> &'static str {
        match self {
            PushMessage::Poll { held: false, .. } => "Poll",
            PushMessage::Poll { held: true, .. } => "LongPoll",
            PushMessage::PollResponse { .. } => "PollResponse",
            PushMessage::Connect { .. } => "Connect",
            PushMessage::Frame {
                body: FrameBody::Event(_) | FrameBody::Snapshot { .. },
                ..
            } => "Event",
            PushMessage::Frame { .. } => "Control",
            PushMessage::Ping { .. } => "Ping",
        }
    }

    fn label(&self) -> String {
        match self {
            PushMessage::Poll {
                request,
                after,
                held,
            } => {
                let kind = if *held { "long poll" } else { "poll" };
                format!("{kind} r{request}: after {after}")
            }
            PushMessage::PollResponse {
                request,
                snapshot,
                events,
                ..
            } => {
                let snapshot = snapshot.map_or(String::new(), |s| format!("snapshot ≤{s} + "));
                match (events.first(), events.last()) {
                    (Some(first), Some(last)) => {
                        format!("r{request}: {snapshot}events {}..{}", first.seq, last.seq)
                    }
                    _ => format!("r{request}: {snapshot}no events"),
                }
            }
            PushMessage::Connect {
                connection,
                resume_after,
            } => match resume_after {
                Some(seq) => format!("open c{connection}, Last-Event-ID {seq}"),
                None => format!("open c{connection}, no Last-Event-ID"),
            },
            PushMessage::Frame {
                connection,
                frame,
                body,
                ..
            } => match body {
                FrameBody::Opened => format!("c{connection} opened"),
                FrameBody::Event(event) => format!("c{connection}#{frame}: event {}", event.seq),
                FrameBody::Snapshot { through } => {
                    format!("c{connection}#{frame}: snapshot ≤{through}")
                }
                FrameBody::Comment => format!("c{connection}#{frame}: heartbeat"),
                FrameBody::Pong => format!("c{connection}#{frame}: pong"),
            },
            PushMessage::Ping { connection } => format!("c{connection}: ping"),
        }
    }
}

/// Every timer of every process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PushTimer {
    /// Server: publish the next burst of events.
    Publish,
    /// Server: send SSE heartbeats, close silent WebSockets.
    Heartbeat,
    /// Server: long poll `request` of `client` was held for the whole hold
    /// time; answer it empty.
    HoldOver {
        client: NodeId,
        request: ConnectionId,
    },
    /// Client: the next short poll, or the periodic liveness check (and
    /// WebSocket ping) of the other transports.
    Tick,
    /// Client: the backoff before reconnecting is over.
    Reconnect,
}

impl Labelled for PushTimer {
    fn kind(&self) -> &'static str {
        match self {
            PushTimer::Publish => "publish",
            PushTimer::Heartbeat => "heartbeat",
            PushTimer::HoldOver { .. } => "hold-over",
            PushTimer::Tick => "tick",
            PushTimer::Reconnect => "reconnect",
        }
    }

    fn label(&self) -> String {
        match self {
            PushTimer::Publish => "publish the next events".to_string(),
            PushTimer::Heartbeat => "heartbeat the streams".to_string(),
            PushTimer::HoldOver { client, request } => {
                format!("nothing new for {client}'s r{request}: answer it empty")
            }
            PushTimer::Tick => "poll or check the connection".to_string(),
            PushTimer::Reconnect => "backoff over: reconnect".to_string(),
        }
    }
}

/// What a person or a preset does to the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PushOp {
    /// The server's network drops everything for `ms` milliseconds and every
    /// open connection is lost: clients notice, back off and reconnect.
    Blip { ms: u64 },
}

const BLIP_CODE: u32 = 1;
/// The longest blip an operation may ask for.
pub const MAX_BLIP_MS: u64 = 60_000;

impl fmt::Display for PushOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PushOp::Blip { ms } => write!(f, "network blip of {ms} ms"),
        }
    }
}

impl Operation for PushOp {
    fn to_raw(&self) -> RawOperation {
        match *self {
            PushOp::Blip { ms } => RawOperation::new(BLIP_CODE, &[ms]),
        }
    }

    fn from_raw(raw: &RawOperation) -> Option<Self> {
        match (raw.code, raw.args.as_slice()) {
            (BLIP_CODE, [ms]) if (1..=MAX_BLIP_MS).contains(ms) => Some(PushOp::Blip { ms: *ms }),
            _ => None,
        }
    }
}
