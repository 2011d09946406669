//! The server: it publishes the event stream and serves it four ways. It
//! keeps the last `buffer` events (with the stream's head, durable: the log
//! survives a crash) so that a client coming back can resume where it
//! stopped: after `?after=N` (polling), `Last-Event-ID: N` (SSE, HTML
//! Living Standard §9.2.4) or the sequence a WebSocket client resumes from.
//! Its connections (held long polls, open streams) are volatile.

use std::collections::VecDeque;

use crate::sim::node::{Cx, Labelled};
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::view::{Cell, NodeSummary, Palette};
use crate::traffic::distribution::exponential;

use super::cost::{wire_bytes, Meter};
use super::message::{
    ConnectionId, Event, FrameBody, PushMessage, PushOp, PushTimer, Seq, Transport,
};
use super::process::{PushConfig, PushProcess};

/// A stream open to a client group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stream {
    connection: ConnectionId,
    next_frame: u32,
    /// The last ping (WebSocket) or request heard on it.
    last_heard: Time,
}

/// A long poll the server holds, waiting for an event newer than `after`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Held {
    request: ConnectionId,
    after: Seq,
}

/// What the server knows of one client group.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Slot {
    /// The highest request or connection id seen: older or repeated ones are
    /// duplicates or stragglers and are ignored.
    latest: ConnectionId,
    stream: Option<Stream>,
    held: Option<Held>,
}

#[derive(Clone, Debug)]
pub struct Server {
    config: PushConfig,
    /// The last event published (durable).
    head: Seq,
    /// The last `config.buffer` events (durable).
    buffer: VecDeque<Event>,
    /// Bumped at every start, so a client can tell a restarted server's
    /// streams from the ones it had (durable).
    incarnation: u32,
    /// One per node, the server's own unused (volatile).
    slots: Vec<Slot>,
    /// Until then a blip drops everything the server sends or receives.
    deaf_until: Time,
    /// What the server sent each group, and its open connections.
    meters: Vec<Meter>,
}

impl Server {
    pub fn new(config: PushConfig) -> Self {
        let nodes = config.groups() + 1;
        Server {
            config,
            head: 0,
            buffer: VecDeque::new(),
            incarnation: 0,
            slots: vec![Slot::default(); nodes],
            deaf_until: Time::ZERO,
            meters: vec![Meter::default(); nodes],
        }
    }

    pub fn head(&self) -> Seq {
        self.head
    }

    /// What the server sent client group `node`, and its connections open.
    pub fn meter(&self, node: NodeId) -> Option<&Meter> {
        self.meters.get(node.index())
    }

    /// The oldest event the buffer still holds (the head's successor when
    /// it is empty).
    pub fn oldest(&self) -> Seq {
        self.buffer.front().map_or(self.head + 1, |event| event.seq)
    }

    /// Whether group `node` has a stream or a held poll open now.
    pub fn is_open(&self, node: NodeId) -> bool {
        self.slots
            .get(node.index())
            .is_some_and(|slot| slot.stream.is_some() || slot.held.is_some())
    }

    pub fn on_start(&mut self, cx: &mut Cx<PushProcess>) {
        self.incarnation += 1;
        self.slots = vec![Slot::default(); self.config.groups() + 1];
        self.schedule_publish(cx);
        cx.set_timer(PushTimer::Heartbeat, self.config.heartbeat);
    }

    /// Connections are lost; the log (head and buffer) is kept.
    pub fn on_crash(&mut self) {
        self.slots = vec![Slot::default(); self.config.groups() + 1];
    }

    pub fn on_operation(&mut self, operation: PushOp, cx: &mut Cx<PushProcess>) {
        let PushOp::Blip { ms } = operation;
        let now = cx.now();
        self.deaf_until = now.after(Duration::from_millis(ms));
        for slot in &mut self.slots {
            slot.stream = None;
            slot.held = None;
        }
        cx.note(|| {
            format!("network blip: every connection is lost and nothing gets through for {ms} ms")
        });
        self.sample(now);
    }

    pub fn on_timer(&mut self, timer: PushTimer, cx: &mut Cx<PushProcess>) {
        match timer {
            PushTimer::Publish => self.publish(cx),
            PushTimer::Heartbeat => self.heartbeat(cx),
            PushTimer::HoldOver { client, request } => {
                let held = self
                    .slots
                    .get(client.index())
                    .and_then(|slot| slot.held)
                    .filter(|held| held.request == request);
                if let Some(held) = held {
                    self.slots[client.index()].held = None;
                    self.respond(client, request, held.after, cx);
                }
            }
            other => cx.note(|| format!("ignores timer {}", other.label())),
        }
        self.sample(cx.now());
    }

    pub fn on_message(&mut self, from: NodeId, msg: PushMessage, cx: &mut Cx<PushProcess>) {
        let Some(transport) = self.config.transport_of(from) else {
            cx.note(|| format!("drops a message from {from}, which is no client group"));
            return;
        };
        let now = cx.now();
        if now < self.deaf_until {
            cx.note(|| "the network blip drops it".to_string());
            return;
        }
        match msg {
            PushMessage::Poll {
                request,
                after,
                held,
            } => self.on_poll(from, transport, request, after, held, cx),
            PushMessage::Connect {
                connection,
                resume_after,
            } => self.on_connect(from, transport, connection, resume_after, cx),
            PushMessage::Ping { connection } => {
                let slot = &mut self.slots[from.index()];
                match &mut slot.stream {
                    Some(stream)
                        if stream.connection == connection && transport == Transport::WebSocket =>
                    {
                        stream.last_heard = now;
                        self.frame(from, FrameBody::Pong, cx);
                    }
                    _ => cx.note(|| format!("ping on c{connection}, which is not open: dropped")),
                }
            }
            other => cx.note(|| format!("drops a {}: clients send no such thing", other.kind())),
        }
        self.sample(now);
    }

    /// RFC 6202 §2 (short) and §2.1 (long polling): answer with what is newer
    /// than `after`, or hold a long poll until there is something.
    fn on_poll(
        &mut self,
        from: NodeId,
        transport: Transport,
        request: ConnectionId,
        after: Seq,
        held: bool,
        cx: &mut Cx<PushProcess>,
    ) {
        let expected = if held {
            Transport::LongPolling
        } else {
            Transport::ShortPolling
        };
        if transport != expected {
            cx.note(|| format!("a {} client does not poll: dropped", transport.as_str()));
            return;
        }
        let slot = &mut self.slots[from.index()];
        if request <= slot.latest {
            cx.note(|| {
                format!(
                    "r{request} is a duplicate or older than r{}: dropped",
                    slot.latest
                )
            });
            return;
        }
        slot.latest = request;
        // A new long poll replaces the one held before (the client gave up on it).
        slot.held = None;
        if held && after >= self.head {
            self.slots[from.index()].held = Some(Held { request, after });
            cx.set_timer(
                PushTimer::HoldOver {
                    client: from,
                    request,
                },
                self.config.hold,
            );
            cx.note(|| {
                format!(
                    "holds r{request} until an event after {after} or {:?}",
                    self.config.hold
                )
            });
            return;
        }
        self.respond(from, request, after, cx);
    }

    /// HTML Living Standard §9.2 (SSE) and RFC 6455 §4 (the Upgrade): open a
    /// stream and replay what the client missed after `resume_after`.
    fn on_connect(
        &mut self,
        from: NodeId,
        transport: Transport,
        connection: ConnectionId,
        resume_after: Option<Seq>,
        cx: &mut Cx<PushProcess>,
    ) {
        if !transport.streams() {
            cx.note(|| format!("a {} client opens no stream: dropped", transport.as_str()));
            return;
        }
        let now = cx.now();
        let slot = &mut self.slots[from.index()];
        if connection <= slot.latest {
            cx.note(|| {
                format!(
                    "c{connection} is a duplicate or older than c{}: dropped",
                    slot.latest
                )
            });
            return;
        }
        slot.latest = connection;
        slot.stream = Some(Stream {
            connection,
            next_frame: 0,
            last_heard: now,
        });
        self.frame(from, FrameBody::Opened, cx);
        match resume_after {
            Some(after) => {
                let (snapshot, events) = self.since(after);
                if let Some(through) = snapshot {
                    cx.note(|| {
                        format!(
                            "the buffer starts at {}: snapshot through {through}",
                            through + 1
                        )
                    });
                    self.frame(from, FrameBody::Snapshot { through }, cx);
                }
                if !events.is_empty() {
                    cx.note(|| format!("resends {} events after {after}", events.len()));
                }
                for event in events {
                    self.frame(from, FrameBody::Event(event), cx);
                }
            }
            // Without an id the server can only start from now.
            None => cx.note(|| format!("no Last-Event-ID: the stream starts after {}", self.head)),
        }
    }

    /// The events after `after`, with a snapshot first when the buffer no
    /// longer reaches back that far.
    fn since(&self, after: Seq) -> (Option<Seq>, Vec<Event>) {
        let oldest = self.oldest();
        let snapshot = (after + 1 < oldest).then(|| oldest - 1);
        let events = self
            .buffer
            .iter()
            .filter(|e| e.seq > after)
            .copied()
            .collect();
        (snapshot, events)
    }

    /// Answers poll `request` with what is newer than `after`.
    fn respond(&mut self, to: NodeId, request: ConnectionId, after: Seq, cx: &mut Cx<PushProcess>) {
        let (snapshot, events) = self.since(after);
        self.send(
            to,
            PushMessage::PollResponse {
                request,
                after,
                snapshot,
                events,
            },
            cx,
        );
    }

    /// The next frame of `to`'s stream, if one is open.
    fn frame(&mut self, to: NodeId, body: FrameBody, cx: &mut Cx<PushProcess>) {
        let Some(stream) = self
            .slots
            .get_mut(to.index())
            .and_then(|s| s.stream.as_mut())
        else {
            return;
        };
        let message = PushMessage::Frame {
            connection: stream.connection,
            incarnation: self.incarnation,
            frame: stream.next_frame,
            body,
        };
        stream.next_frame += 1;
        self.send(to, message, cx);
    }

    fn send(&mut self, to: NodeId, message: PushMessage, cx: &mut Cx<PushProcess>) {
        if let Some(transport) = self.config.transport_of(to) {
            let bytes = wire_bytes(&message, transport, self.config.payload);
            self.meters[to.index()].add(cx.now(), bytes * self.config.clients, 0);
        }
        cx.send(to, message);
    }

    /// Publishes a burst (1 to 2·burst − 1 events, `burst` on average) and
    /// pushes it to every open stream and held poll.
    fn publish(&mut self, cx: &mut Cx<PushProcess>) {
        let now = cx.now();
        let burst = u64::from(self.config.burst.max(1));
        let count = 1 + cx.rng.below(2 * burst - 1);
        let first = self.head + 1;
        for _ in 0..count {
            self.head += 1;
            self.buffer.push_back(Event {
                seq: self.head,
                published_at: now,
            });
            if self.buffer.len() > self.config.buffer {
                self.buffer.pop_front();
            }
        }
        let head = self.head;
        cx.note(|| format!("publishes events {first}..{head}"));
        for node in self.config.group_ids() {
            let slot = self.slots[node.index()];
            if slot.stream.is_some() {
                for seq in first..=head {
                    let event = Event {
                        seq,
                        published_at: now,
                    };
                    self.frame(node, FrameBody::Event(event), cx);
                }
            }
            if let Some(held) = slot.held {
                self.slots[node.index()].held = None;
                cx.cancel_timer(PushTimer::HoldOver {
                    client: node,
                    request: held.request,
                });
                self.respond(node, held.request, held.after, cx);
            }
        }
        self.schedule_publish(cx);
    }

    fn schedule_publish(&mut self, cx: &mut Cx<PushProcess>) {
        if self.config.event_rate == 0 {
            return;
        }
        let bursts_per_second =
            f64::from(self.config.event_rate) / f64::from(self.config.burst.max(1));
        let gap = exponential(cx.rng, 1e6 / bursts_per_second).round() as u64;
        cx.set_timer(PushTimer::Publish, Duration::from_micros(gap.max(1)));
    }

    /// SSE: a comment line on every stream, so the client sees it is alive.
    /// WebSocket: close streams whose client has not pinged for three
    /// heartbeats (RFC 6455 §5.5.2: the ping is the keepalive).
    fn heartbeat(&mut self, cx: &mut Cx<PushProcess>) {
        let now = cx.now();
        let silence = Duration(3 * self.config.heartbeat.as_micros());
        for node in self.config.group_ids() {
            let Some(stream) = self.slots[node.index()].stream else {
                continue;
            };
            match self.config.transport_of(node) {
                Some(Transport::ServerSentEvents) if now >= self.deaf_until => {
                    self.frame(node, FrameBody::Comment, cx)
                }
                Some(Transport::WebSocket) if now.since(stream.last_heard) > silence => {
                    self.slots[node.index()].stream = None;
                    cx.note(|| {
                        format!(
                            "no ping on c{} for three heartbeats: closes it",
                            stream.connection
                        )
                    });
                }
                _ => {}
            }
        }
        cx.set_timer(PushTimer::Heartbeat, self.config.heartbeat);
    }

    /// Counts each group's open connections into this second's meter.
    fn sample(&mut self, now: Time) {
        for node in self.config.group_ids() {
            let open = if self.is_open(node) {
                self.config.clients
            } else {
                0
            };
            self.meters[node.index()].open(now, open);
        }
    }

    pub fn summary(&self) -> NodeSummary {
        let open = self.config.group_ids().filter(|&n| self.is_open(n)).count();
        NodeSummary {
            role: "server",
            palette: Palette::Lead,
            badge: format!("{}", self.head),
            detail: format!(
                "server: published {} events, keeps {}..{}; {open} groups connected",
                self.head,
                self.oldest(),
                self.head
            ),
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        let connections: Vec<String> = self
            .config
            .group_ids()
            .filter_map(|node| {
                let slot = self.slots[node.index()];
                match (slot.stream, slot.held) {
                    (Some(stream), _) => Some(format!("{node}: c{} open", stream.connection)),
                    (_, Some(held)) => Some(format!("{node}: r{} held", held.request)),
                    _ => None,
                }
            })
            .collect();
        vec![
            Cell::Text(format!("head {}", self.head)),
            Cell::Text(format!("buffer {}..{}", self.oldest(), self.head)),
            Cell::Text(if connections.is_empty() {
                "no connections".to_string()
            } else {
                connections.join(", ")
            }),
            Cell::Text(format!("incarnation {}", self.incarnation)),
        ]
    }
}
