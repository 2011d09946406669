//! The cost model: bytes on the wire for each request, response, frame and
//! event of each transport, and the per-second meters the charts read.
//!
//! Application-layer bytes only: TCP/IP and TLS overhead, chunked encoding
//! and compression are left out, the same for every transport. The sizes
//! assumed (typical of a browser behind a CDN, RFC 6202 §2.2 calls HTTP
//! headers the main overhead of polling):
//!
//! - an HTTP request's headers (a poll, an SSE `GET`, the WebSocket Upgrade
//!   with its `Sec-WebSocket-Key`): [`REQUEST_HEADERS`] = 500 B;
//! - a response's headers (`200`, or `101 Switching Protocols`):
//!   [`RESPONSE_HEADERS`] = 200 B;
//! - a polled event in a JSON body: its payload plus `{"id":N,"data":…},`;
//!   an empty body is `[]`;
//! - an SSE event: `id: N\n`, `data: payload\n`, and the blank line that
//!   ends it; a heartbeat comment `:\n\n`; the first frame adds `retry: N`;
//! - a WebSocket frame: a 2-byte header up to 125 B of payload, 4 up to
//!   64 KiB, 10 beyond, plus a 4-byte mask key on frames from the client
//!   (RFC 6455 §5.2); an event's payload carries its id as `{"id":N,…}`.

use crate::sim::time::Time;

use super::message::{FrameBody, PushMessage, Seq, Transport};

pub const REQUEST_HEADERS: u64 = 500;
pub const RESPONSE_HEADERS: u64 = 200;

/// Decimal digits of `n`.
fn digits(n: Seq) -> u64 {
    let mut digits = 1;
    let mut rest = n / 10;
    while rest > 0 {
        digits += 1;
        rest /= 10;
    }
    digits
}

/// A WebSocket frame header for `payload` bytes (RFC 6455 §5.2), masked or not.
fn websocket_header(payload: u64, masked: bool) -> u64 {
    let length = match payload {
        0..=125 => 2,
        126..=65_535 => 4,
        _ => 10,
    };
    length + if masked { 4 } else { 0 }
}

/// A polled event in a JSON array: `{"id":N,"data":payload},`.
fn polled_event(seq: Seq, payload: u64) -> u64 {
    16 + digits(seq) + payload
}

/// The bytes `message` puts on the wire for a client of `transport`, with
/// events of `payload` bytes.
pub fn wire_bytes(message: &PushMessage, transport: Transport, payload: u64) -> u64 {
    match message {
        PushMessage::Poll { .. } | PushMessage::Connect { .. } => REQUEST_HEADERS,
        PushMessage::PollResponse {
            snapshot, events, ..
        } => {
            let snapshot = snapshot.map_or(0, |through| polled_event(through, payload));
            let events: u64 = events.iter().map(|e| polled_event(e.seq, payload)).sum();
            RESPONSE_HEADERS + 2 + snapshot + events
        }
        PushMessage::Ping { .. } => websocket_header(0, true),
        PushMessage::Frame { body, .. } => match (transport, body) {
            // `retry: 1000` and a blank line after the headers.
            (Transport::ServerSentEvents, FrameBody::Opened) => RESPONSE_HEADERS + 13,
            (_, FrameBody::Opened) => RESPONSE_HEADERS,
            (Transport::WebSocket, FrameBody::Event(event)) => {
                let body = 8 + digits(event.seq) + payload;
                websocket_header(body, false) + body
            }
            (Transport::WebSocket, FrameBody::Snapshot { through }) => {
                let body = 8 + digits(*through) + payload;
                websocket_header(body, false) + body
            }
            // `id: N\n` `data: payload\n` `\n`
            (_, FrameBody::Event(event)) => 4 + digits(event.seq) + 1 + 6 + payload + 2,
            (_, FrameBody::Snapshot { through }) => 4 + digits(*through) + 1 + 6 + payload + 2,
            (_, FrameBody::Comment) => 3,
            (_, FrameBody::Pong) => websocket_header(0, false),
        },
    }
}

/// What a group of clients cost in one second of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Second {
    pub bytes: u64,
    /// HTTP requests (polls, SSE `GET`s, Upgrades).
    pub requests: u64,
    /// The most connections open on the server at once (held requests and
    /// streams, not idle keep-alive sockets).
    pub open: u64,
}

/// Per-second costs of one group, as one side of it counted them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Meter {
    pub seconds: Vec<Second>,
    pub total: Second,
}

impl Meter {
    fn second(&mut self, now: Time) -> &mut Second {
        let index = (now.as_micros() / 1_000_000) as usize;
        if self.seconds.len() <= index {
            self.seconds.resize(index + 1, Second::default());
        }
        &mut self.seconds[index]
    }

    pub fn add(&mut self, now: Time, bytes: u64, requests: u64) {
        let second = self.second(now);
        second.bytes += bytes;
        second.requests += requests;
        self.total.bytes += bytes;
        self.total.requests += requests;
    }

    pub fn open(&mut self, now: Time, open: u64) {
        let second = self.second(now);
        second.open = second.open.max(open);
        self.total.open = self.total.open.max(open);
    }
}
