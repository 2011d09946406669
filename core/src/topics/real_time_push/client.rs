//! A client group: `clients` identical clients following the stream over
//! one transport, drawn as one connection. It delivers events to its
//! application in the order the transport hands them over, records what it
//! delivered (the checker reads it), and measures delivery latency, the
//! bytes and requests it sends.
//!
//! Each transport's client follows its specification: short polling asks
//! every `poll` ms; long polling re-asks as soon as an answer comes (RFC
//! 6202 §2.1); SSE reconnects after its reconnection time, doubled per
//! failure, sending `Last-Event-ID` (HTML Living Standard §9.2.3-4);
//! WebSocket pings every heartbeat (RFC 6455 §5.5.2) and reconnects the same
//! way. A stream is a TCP connection: its frames are numbered, taken in
//! order (a frame that overtook another waits for it), a duplicate is
//! dropped, and a frame still missing after a heartbeat (the network lost
//! it) breaks the connection: the client reconnects and resumes.

use crate::sim::node::{Cx, Labelled};
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::view::{Cell, NodeSummary, Palette};
use crate::traffic::plots::{quantile_rounded, PLOTTED_QUANTILES};
use crate::traffic::sketch::LatencySketch;

use super::cost::{wire_bytes, Meter};
use super::message::{
    ConnectionId, Event, FrameBody, PushMessage, PushTimer, Seq, Transport, SERVER,
};
use super::process::{PushConfig, PushProcess};

/// Where the client's connection stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientState {
    /// A request or a stream is on its way, not answered yet.
    Connecting,
    /// Answers or frames are arriving.
    Open,
    /// The connection was given up; waiting out the backoff.
    BackingOff,
}

impl ClientState {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientState::Connecting => "connecting",
            ClientState::Open => "open",
            ClientState::BackingOff => "backing off",
        }
    }
}

/// Most frames kept ahead of a missing one before the connection is given up.
const MAX_AHEAD: usize = 256;

/// Most doublings of the reconnection delay.
const MAX_DOUBLINGS: u32 = 4;

#[derive(Clone, Debug)]
pub struct Client {
    config: PushConfig,
    transport: Transport,
    // Durable: the application keeps what it received.
    /// The last event delivered to the application.
    last: Seq,
    /// What the application received, as maximal runs `(first, last)` of
    /// consecutive sequence numbers: one run if nothing was skipped or
    /// repeated.
    delivered: Vec<(Seq, Seq)>,
    events_delivered: u64,
    next_id: ConnectionId,
    // Volatile: the connection.
    state: ClientState,
    current: ConnectionId,
    incarnation: Option<u32>,
    expected_frame: u32,
    /// Frames that arrived ahead of a missing one, in frame order, and
    /// since when the missing one is awaited (TCP's reassembly queue).
    ahead: Vec<(u32, FrameBody)>,
    gap_since: Option<Time>,
    last_heard: Time,
    failures: u32,
    // Measures (kept across a crash).
    reconnects: u64,
    meter: Meter,
    latency: LatencySketch,
    /// Each finished second with deliveries, for the plots.
    delivery_seconds: Vec<DeliverySecond>,
    /// The second being measured: its number, its latencies, its deliveries.
    this_second: (u64, LatencySketch, u64),
}

/// What one client of a group received in one second of the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeliverySecond {
    /// Which second of the run (0 is the first).
    pub second: u64,
    /// Events the application received, snapshots included.
    pub delivered: u64,
    /// Delivery latency (publication to delivery) in milliseconds, at the
    /// plotted quantiles ([`crate::traffic::plots::PLOTTED_QUANTILES`]) of
    /// the events delivered one by one (0 when all came in a snapshot).
    pub latency_ms: [u64; 4],
}

impl Client {
    pub fn new(config: PushConfig, transport: Transport) -> Self {
        Client {
            config,
            transport,
            last: 0,
            delivered: Vec::new(),
            events_delivered: 0,
            next_id: 0,
            state: ClientState::Connecting,
            current: 0,
            incarnation: None,
            expected_frame: 0,
            ahead: Vec::new(),
            gap_since: None,
            last_heard: Time::ZERO,
            failures: 0,
            reconnects: 0,
            meter: Meter::default(),
            latency: LatencySketch::default(),
            delivery_seconds: Vec::new(),
            this_second: (0, LatencySketch::default(), 0),
        }
    }

    pub fn transport(&self) -> Transport {
        self.transport
    }

    /// How many clients the group stands for.
    pub fn clients(&self) -> u64 {
        self.config.clients
    }

    pub fn state(&self) -> ClientState {
        self.state
    }

    pub fn last(&self) -> Seq {
        self.last
    }

    pub fn delivered(&self) -> &[(Seq, Seq)] {
        &self.delivered
    }

    pub fn events_delivered(&self) -> u64 {
        self.events_delivered
    }

    pub fn reconnects(&self) -> u64 {
        self.reconnects
    }

    pub fn meter(&self) -> &Meter {
        &self.meter
    }

    pub fn latency(&self) -> &LatencySketch {
        &self.latency
    }

    /// The finished seconds with deliveries, in order (the current second
    /// is still being measured).
    pub fn delivery_seconds(&self) -> &[DeliverySecond] {
        &self.delivery_seconds
    }

    pub fn on_start(&mut self, cx: &mut Cx<PushProcess>) {
        self.failures = 0;
        self.open(cx);
        cx.set_timer(PushTimer::Tick, self.tick());
    }

    /// The connection is gone; what the application received is kept.
    pub fn on_crash(&mut self) {
        self.state = ClientState::Connecting;
        self.incarnation = None;
        self.ahead.clear();
        self.gap_since = None;
    }

    fn tick(&self) -> Duration {
        match self.transport {
            Transport::ShortPolling => self.config.poll,
            _ => self.config.heartbeat,
        }
    }

    /// Sends a new request (polling) or opens a new stream, abandoning the
    /// one before.
    fn open(&mut self, cx: &mut Cx<PushProcess>) {
        self.next_id += 1;
        self.current = self.next_id;
        self.incarnation = None;
        self.expected_frame = 0;
        self.ahead.clear();
        self.gap_since = None;
        self.last_heard = cx.now();
        if self.state == ClientState::BackingOff {
            self.state = ClientState::Connecting;
        }
        let message = match self.transport {
            Transport::ShortPolling | Transport::LongPolling => PushMessage::Poll {
                request: self.current,
                after: self.last,
                held: self.transport == Transport::LongPolling,
            },
            Transport::ServerSentEvents => PushMessage::Connect {
                connection: self.current,
                // The bug: the reconnection forgets the header, so the server
                // starts from its head.
                resume_after: (!self.config.omit_last_event_id).then_some(self.last),
            },
            Transport::WebSocket => PushMessage::Connect {
                connection: self.current,
                resume_after: Some(self.last),
            },
        };
        self.send(message, 1, cx);
    }

    fn send(&mut self, message: PushMessage, requests: u64, cx: &mut Cx<PushProcess>) {
        let clients = self.config.clients;
        let bytes = wire_bytes(&message, self.transport, self.config.payload);
        self.meter
            .add(cx.now(), bytes * clients, requests * clients);
        cx.send(SERVER, message);
    }

    /// Gives up the connection and reconnects after the reconnection time,
    /// doubled per failure in a row, with jitter over its upper half.
    fn back_off(&mut self, why: &'static str, cx: &mut Cx<PushProcess>) {
        self.state = ClientState::BackingOff;
        self.reconnects += 1;
        let doubling = self.failures.min(MAX_DOUBLINGS);
        self.failures += 1;
        let delay = self.config.reconnect.as_micros() << doubling;
        let delay = delay / 2 + cx.rng.below(delay / 2 + 1);
        let current = self.current;
        cx.note(|| {
            format!(
                "{why}: gives up c{current}, reconnects in {} ms",
                delay / 1000
            )
        });
        cx.set_timer(PushTimer::Reconnect, Duration::from_micros(delay));
    }

    pub fn on_timer(&mut self, timer: PushTimer, cx: &mut Cx<PushProcess>) {
        let now = cx.now();
        match timer {
            PushTimer::Tick => {
                cx.set_timer(PushTimer::Tick, self.tick());
                let silence = now.since(self.last_heard);
                let heartbeats = Duration(3 * self.config.heartbeat.as_micros());
                match (self.transport, self.state) {
                    (Transport::ShortPolling, _) => self.open(cx),
                    (_, ClientState::BackingOff) => {}
                    (Transport::LongPolling, _)
                        if silence
                            > Duration(self.config.hold.as_micros() + heartbeats.as_micros()) =>
                    {
                        self.back_off("no answer to the long poll", cx);
                    }
                    // A long poll may be silent for its whole hold.
                    (Transport::LongPolling, _) => {}
                    (_, _) if silence > heartbeats => {
                        self.back_off("nothing heard for three heartbeats", cx);
                    }
                    (_, _)
                        if self
                            .gap_since
                            .is_some_and(|since| now.since(since) > self.config.heartbeat) =>
                    {
                        // The network lost it: TCP would retransmit or give
                        // up; the model gives up.
                        self.back_off("a frame is missing: the connection broke", cx);
                    }
                    (Transport::WebSocket, ClientState::Open) => {
                        let ping = PushMessage::Ping {
                            connection: self.current,
                        };
                        self.send(ping, 0, cx);
                    }
                    _ => {}
                }
            }
            PushTimer::Reconnect if self.state == ClientState::BackingOff => self.open(cx),
            other => cx.note(|| format!("ignores timer {}", other.label())),
        }
    }

    pub fn on_message(&mut self, from: NodeId, msg: PushMessage, cx: &mut Cx<PushProcess>) {
        if from != SERVER {
            cx.note(|| format!("drops a message from {from}: only the server sends here"));
            return;
        }
        match msg {
            PushMessage::PollResponse {
                request,
                after,
                snapshot,
                events,
            } if !self.transport.streams() => {
                if request != self.current
                    || after != self.last
                    || self.state == ClientState::BackingOff
                {
                    cx.note(|| {
                        format!(
                            "r{request} is stale (waiting on r{} after {}): dropped",
                            self.current, self.last
                        )
                    });
                    return;
                }
                self.state = ClientState::Open;
                self.failures = 0;
                self.last_heard = cx.now();
                if let Some(through) = snapshot {
                    self.deliver_snapshot(through, cx);
                }
                for event in events {
                    self.deliver(event, cx);
                }
                if self.transport == Transport::LongPolling {
                    self.open(cx);
                }
            }
            PushMessage::Frame {
                connection,
                incarnation,
                frame,
                body,
            } if self.transport.streams() => {
                self.on_frame(connection, incarnation, frame, body, cx)
            }
            other => cx.note(|| format!("a {} client drops {other:?}", self.transport.as_str())),
        }
    }

    fn on_frame(
        &mut self,
        connection: ConnectionId,
        incarnation: u32,
        frame: u32,
        body: FrameBody,
        cx: &mut Cx<PushProcess>,
    ) {
        if connection != self.current || self.state == ClientState::BackingOff {
            cx.note(|| format!("frame of c{connection}, which it no longer uses: dropped"));
            return;
        }
        if *self.incarnation.get_or_insert(incarnation) != incarnation {
            return self.back_off("the server restarted under the stream", cx);
        }
        if frame < self.expected_frame || self.ahead.iter().any(|&(f, _)| f == frame) {
            cx.note(|| format!("frame {frame} again: TCP drops the duplicate"));
            return;
        }
        self.last_heard = cx.now();
        if frame > self.expected_frame {
            if self.ahead.len() >= MAX_AHEAD {
                return self.back_off("too many frames ahead of a missing one", cx);
            }
            let at = self.ahead.partition_point(|&(f, _)| f < frame);
            self.ahead.insert(at, (frame, body));
            self.gap_since.get_or_insert(cx.now());
            cx.note(|| format!("frame {frame} waits for frame {}", self.expected_frame));
            return;
        }
        self.take(body, cx);
        while self
            .ahead
            .first()
            .is_some_and(|&(f, _)| f == self.expected_frame)
        {
            let (_, body) = self.ahead.remove(0);
            self.take(body, cx);
        }
        if self.ahead.is_empty() {
            self.gap_since = None;
        }
    }

    /// The next frame of the stream, in order.
    fn take(&mut self, body: FrameBody, cx: &mut Cx<PushProcess>) {
        self.expected_frame += 1;
        match body {
            FrameBody::Opened => {
                self.state = ClientState::Open;
                self.failures = 0;
            }
            FrameBody::Event(event) => self.deliver(event, cx),
            FrameBody::Snapshot { through } => self.deliver_snapshot(through, cx),
            FrameBody::Comment | FrameBody::Pong => {}
        }
    }

    /// Hands `first..=last` to the application, as its record shows.
    fn record(&mut self, first: Seq, last: Seq) {
        match self.delivered.last_mut() {
            Some(run) if run.1 + 1 == first => run.1 = last,
            _ => self.delivered.push((first, last)),
        }
        self.last = last;
        self.events_delivered += last.saturating_sub(first) + 1;
    }

    /// What the application receives, as tests forge it for the checker.
    #[cfg(test)]
    pub(super) fn forge_delivery(&mut self, first: Seq, last: Seq) {
        self.record(first, last);
    }

    fn deliver(&mut self, event: Event, cx: &mut Cx<PushProcess>) {
        self.record(event.seq, event.seq);
        let now = cx.now();
        let latency = now.since(event.published_at);
        self.latency.record_duration(latency);
        self.count_deliveries(now, 1);
        self.this_second.1.record_duration(latency);
    }

    /// Counts `events` delivered at `now` in that second's measures, first
    /// closing the previous second if `now` is in a later one.
    fn count_deliveries(&mut self, now: Time, events: u64) {
        let second = now.as_micros() / 1_000_000;
        if second != self.this_second.0 {
            self.close_second();
            self.this_second.0 = second;
        }
        self.this_second.2 += events;
    }

    fn deliver_snapshot(&mut self, through: Seq, cx: &mut Cx<PushProcess>) {
        let first = self.last + 1;
        cx.note(|| format!("takes a snapshot for events {first}..{through}, gone from the buffer"));
        self.record(first, through);
        self.count_deliveries(cx.now(), through.saturating_sub(first) + 1);
    }

    /// Keeps the finished second's deliveries and quantiles for the plots.
    fn close_second(&mut self) {
        let (second, sketch, delivered) = &mut self.this_second;
        if *delivered > 0 {
            self.delivery_seconds.push(DeliverySecond {
                second: *second,
                delivered: *delivered,
                latency_ms: PLOTTED_QUANTILES
                    .map(|quantile| quantile_rounded(sketch, quantile.rank).unwrap_or(0)),
            });
            *sketch = LatencySketch::default();
            *delivered = 0;
        }
    }

    pub fn summary(&self) -> NodeSummary {
        NodeSummary {
            role: self.transport.as_str(),
            palette: match self.state {
                ClientState::Open => self.transport.palette(),
                ClientState::Connecting => Palette::Contend,
                ClientState::BackingOff => Palette::Suspect,
            },
            badge: format!("{}", self.last),
            detail: format!(
                "{} clients over {}: {}, last event {}, {} reconnects",
                self.config.clients,
                self.transport.as_str(),
                self.state.as_str(),
                self.last,
                self.reconnects
            ),
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        vec![
            Cell::Text(format!("last event {}", self.last)),
            Cell::Text(format!("{} c{}", self.state.as_str(), self.current)),
            Cell::Text(format!("{} reconnects", self.reconnects)),
            Cell::Text(format!(
                "{} clients: {} requests, {} kB sent",
                self.config.clients,
                self.meter.total.requests,
                self.meter.total.bytes / 1000
            )),
        ]
    }
}
