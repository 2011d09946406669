//! The trace: everything that happened in a run, in the order it happened.
//!
//! The trace is the interface between the simulator and everything that draws or
//! prints a run. Each processed queue entry is one *step*; a step records its primary
//! event (a delivery, a timer, a crash, ...) followed by what the handler did (sends,
//! notes) and any invariant violation found after it. Every event carries its Lamport
//! timestamp and, for small clusters, its vector clock.
//!
//! Messages are kept in a side table with their send time and their fate (arrival or
//! loss time), known at send, so a view can place every message in flight at any
//! instant. The canonical form of a trace is its JSON-lines rendering; two runs are
//! byte-identical when those lines are, and [`Trace::hash`] is FNV-1a over them.
//!
//! Long runs in the browser keep a window: [`Trace::forget_before`] drops old events
//! and messages, and [`Trace::mark`] / [`Trace::rewind`] return the trace to an
//! earlier step exactly (fates changed since are restored), so a player can go back
//! to a snapshot without replaying from the start.

use std::fmt::Write as _;

use super::network::{DropReason, Fate};
use super::time::{NodeId, Time};
use crate::history::{self, HistoryEvent};

/// Index of a message in [`Trace::messages`] (also counted when tracing is off).
pub type MessageId = u32;

/// Vector clocks are recorded only up to this many nodes; beyond it they cost more
/// than they teach.
pub const VECTOR_CLOCK_MAX_NODES: usize = 16;

/// One message (one copy, for duplicated messages) and its fate.
#[derive(Clone, Debug, PartialEq)]
pub struct MessageRecord {
    pub id: MessageId,
    pub from: NodeId,
    pub to: NodeId,
    /// The message type, e.g. `AppendEntries`; views colour by it.
    pub kind: &'static str,
    /// A one-line description, e.g. `AppendEntries t3 [4..5] commit=3`.
    pub label: String,
    pub sent_at: Time,
    /// Decided at send; a receiver that is down at arrival still loses it (that shows
    /// as a [`EventKind::Drop`] with [`DropReason::ReceiverDown`]).
    pub fate: Fate,
    /// For the second copy of a duplicated message: the first copy.
    pub copy_of: Option<MessageId>,
    /// The sender's Lamport timestamp of the send.
    pub lamport: u64,
}

impl MessageRecord {
    /// When this copy stops being in flight (arrival or loss).
    pub fn ends_at(&self) -> Time {
        match self.fate {
            Fate::Deliver { at } | Fate::Drop { at, .. } => at,
        }
    }

    pub fn is_lost_in_network(&self) -> bool {
        matches!(self.fate, Fate::Drop { .. })
    }
}

/// What happened.
#[derive(Clone, Debug, PartialEq)]
pub enum EventKind {
    /// The node started for the first time.
    Start,
    Send {
        message: MessageId,
    },
    Deliver {
        message: MessageId,
    },
    Drop {
        message: MessageId,
        reason: DropReason,
    },
    Timer {
        name: &'static str,
        label: String,
    },
    /// A client request or another external input to a node.
    Input {
        label: String,
    },
    Crash,
    Restart,
    /// A change of the network: partition, heal, cut, loss rate, latency.
    Network {
        label: String,
    },
    /// Something a node explains about itself ("became leader of term 3").
    Note {
        text: String,
    },
    /// An invariant failed after this step.
    Violation {
        invariant: &'static str,
        message: String,
    },
    /// A client invoked or completed an operation (the run's history, in the
    /// trace too).
    Client {
        event: HistoryEvent,
    },
}

impl EventKind {
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Start => "start",
            EventKind::Send { .. } => "send",
            EventKind::Deliver { .. } => "deliver",
            EventKind::Drop { .. } => "drop",
            EventKind::Timer { .. } => "timer",
            EventKind::Input { .. } => "input",
            EventKind::Crash => "crash",
            EventKind::Restart => "restart",
            EventKind::Network { .. } => "network",
            EventKind::Note { .. } => "note",
            EventKind::Violation { .. } => "violation",
            EventKind::Client { .. } => "client",
        }
    }
}

/// A history event in a line of its own: `client p0 ok put k3 7`.
fn client_text(event: &HistoryEvent) -> String {
    use history::{EventKind as Kind, Function, Value};
    let kind = match event.kind {
        Kind::Invoke => "invoke",
        Kind::Ok => "ok",
        Kind::Fail => "fail",
        Kind::Info => "info",
    };
    let function = match event.function {
        Function::Get => "get",
        Function::Put => "put",
        Function::Cas => "cas",
        Function::Append => "append",
    };
    let value = match &event.value {
        Value::None => String::new(),
        Value::Int(v) => format!(" {v}"),
        Value::Pair(a, b) => format!(" {a}->{b}"),
        Value::List(items) => {
            let items: Vec<String> = items.iter().map(|v| v.to_string()).collect();
            format!(" [{}]", items.join(" "))
        }
    };
    format!(
        "client p{} {kind} {function} k{}{value}",
        event.process, event.key
    )
}

/// One entry of the trace.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceEvent {
    /// The step (processed queue entry) this event belongs to, from 1.
    pub step: u64,
    pub time: Time,
    pub node: Option<NodeId>,
    /// The node's Lamport clock after the event (0 for events at no node).
    pub lamport: u64,
    /// The node's vector clock after the event, for clusters of at most
    /// [`VECTOR_CLOCK_MAX_NODES`] nodes.
    pub clock: Option<Box<[u32]>>,
    pub kind: EventKind,
}

/// The whole record of a run (or, in a long browser run, its recent window).
#[derive(Clone, Debug, Default)]
pub struct Trace {
    pub events: Vec<TraceEvent>,
    /// Messages in send order: `messages[i]` has id `first_message + i`.
    pub messages: Vec<MessageRecord>,
    /// The id of `messages[0]` (earlier ones were forgotten).
    first_message: MessageId,
    /// Each fate changed after its send, with the fate it had before, in order.
    fate_changes: Vec<(MessageId, Fate)>,
}

/// A point of a trace to come back to with [`Trace::rewind`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceMark {
    /// Events of steps up to this one are kept.
    pub step: u64,
    /// Messages with ids below this are kept.
    pub messages_end: MessageId,
    fate_changes: usize,
}

impl Trace {
    /// The message with id `id`, if the trace holds it.
    pub fn message(&self, id: MessageId) -> Option<&MessageRecord> {
        let index = id.checked_sub(self.first_message)?;
        self.messages.get(index as usize)
    }

    /// Appends a message (its id must be the next one).
    pub fn push_message(&mut self, record: MessageRecord) {
        debug_assert_eq!(
            record.id,
            self.first_message + self.messages.len() as MessageId
        );
        self.messages.push(record);
    }

    /// Changes a message's fate after its send (a receiver that was down at
    /// arrival), remembering the old one for [`Trace::rewind`].
    pub fn set_fate(&mut self, id: MessageId, fate: Fate) {
        let Some(index) = id.checked_sub(self.first_message) else {
            return;
        };
        if let Some(record) = self.messages.get_mut(index as usize) {
            self.fate_changes.push((id, record.fate));
            record.fate = fate;
        }
    }

    /// Where the trace stands after step `step` (the last processed one).
    pub fn mark(&self, step: u64) -> TraceMark {
        TraceMark {
            step,
            messages_end: self.first_message + self.messages.len() as MessageId,
            fate_changes: self.fate_changes.len(),
        }
    }

    /// Whether everything since `mark` is still held (so [`Trace::rewind`] to it
    /// is exact).
    pub fn holds(&self, mark: &TraceMark) -> bool {
        mark.messages_end >= self.first_message
            && self.events.first().is_none_or(|e| e.step <= mark.step + 1)
    }

    /// Back to `mark`: later events and messages go, later fate changes are undone.
    pub fn rewind(&mut self, mark: &TraceMark) {
        let keep = self.events.partition_point(|e| e.step <= mark.step);
        self.events.truncate(keep);
        let keep = mark.messages_end.saturating_sub(self.first_message) as usize;
        self.messages.truncate(keep);
        while self.fate_changes.len() > mark.fate_changes {
            let Some((id, fate)) = self.fate_changes.pop() else {
                break;
            };
            if let Some(index) = id.checked_sub(self.first_message) {
                if let Some(record) = self.messages.get_mut(index as usize) {
                    record.fate = fate;
                }
            }
        }
    }

    /// Drops the events before `time`, and the oldest messages while they ended
    /// before it; what is left draws everything from `time` on.
    pub fn forget_before(&mut self, time: Time) {
        let events = self.events.partition_point(|e| e.time < time);
        self.events.drain(..events);
        let messages = self
            .messages
            .iter()
            .take_while(|m| m.ends_at() < time)
            .count();
        self.messages.drain(..messages);
        self.first_message += messages as MessageId;
        let first = self.first_message;
        self.fate_changes.retain(|(id, _)| *id >= first);
    }

    /// The messages from the oldest one still in flight at `at` on, to start a
    /// trace from a snapshot at `at` (see [`Trace::resume`]).
    pub fn in_flight_tail(&self, at: Time) -> Vec<MessageRecord> {
        let first = self
            .messages
            .iter()
            .position(|m| m.ends_at() > at)
            .unwrap_or(self.messages.len());
        self.messages[first..].to_vec()
    }

    /// A trace that starts at a snapshot: no events yet, and the messages that were
    /// in flight then (from [`Trace::in_flight_tail`]); `next_message` is the id the
    /// next send will take.
    pub fn resume(tail: Vec<MessageRecord>, next_message: MessageId) -> Trace {
        let first_message = tail
            .first()
            .map_or(next_message, |m| m.id)
            .min(next_message);
        Trace {
            events: Vec::new(),
            messages: tail,
            first_message,
            fate_changes: Vec::new(),
        }
    }

    /// The message an event refers to, if any.
    pub fn message_of(&self, event: &TraceEvent) -> Option<&MessageRecord> {
        match event.kind {
            EventKind::Send { message }
            | EventKind::Deliver { message }
            | EventKind::Drop { message, .. } => self.message(message),
            _ => None,
        }
    }

    /// Messages in flight at `at`: sent at or before it and not yet arrived or lost.
    /// Scans back from the newest send and stops once sends are older than
    /// `horizon` before `at`, so the cost is bounded by recent traffic.
    pub fn in_flight(&self, at: Time, horizon: super::time::Duration) -> Vec<&MessageRecord> {
        let oldest = Time(at.as_micros().saturating_sub(horizon.as_micros()));
        let mut flying: Vec<&MessageRecord> = self
            .messages
            .iter()
            .rev()
            .take_while(|m| m.sent_at >= oldest)
            .filter(|m| m.sent_at <= at && m.ends_at() > at)
            .collect();
        flying.reverse();
        flying
    }

    /// The JSON line of one event: the trace's canonical, portable form.
    pub fn event_json(&self, event: &TraceEvent) -> String {
        let mut out = String::with_capacity(128);
        let _ = write!(
            out,
            "{{\"step\":{},\"t\":{},\"node\":",
            event.step,
            event.time.as_micros()
        );
        match event.node {
            Some(node) => {
                let _ = write!(out, "{}", node.0);
            }
            None => out.push_str("null"),
        }
        let _ = write!(
            out,
            ",\"lamport\":{},\"kind\":\"{}\"",
            event.lamport,
            event.kind.name()
        );
        if let Some(clock) = &event.clock {
            out.push_str(",\"vc\":[");
            for (i, c) in clock.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let _ = write!(out, "{c}");
            }
            out.push(']');
        }
        match &event.kind {
            EventKind::Start | EventKind::Crash | EventKind::Restart => {}
            EventKind::Send { message }
            | EventKind::Deliver { message }
            | EventKind::Drop { message, .. } => {
                if let Some(record) = self.message(*message) {
                    let _ = write!(
                        out,
                        ",\"msg\":{},\"from\":{},\"to\":{},\"type\":",
                        record.id, record.from.0, record.to.0
                    );
                    push_json_string(&mut out, record.kind);
                    out.push_str(",\"label\":");
                    push_json_string(&mut out, &record.label);
                    if let EventKind::Send { .. } = event.kind {
                        let _ = write!(out, ",\"sent\":{}", record.sent_at.as_micros());
                        match record.fate {
                            Fate::Deliver { at } => {
                                let _ = write!(out, ",\"arrives\":{}", at.as_micros());
                            }
                            Fate::Drop { at, reason } => {
                                let _ = write!(
                                    out,
                                    ",\"lost\":{},\"reason\":\"{}\"",
                                    at.as_micros(),
                                    reason.as_str()
                                );
                            }
                        }
                        if let Some(first) = record.copy_of {
                            let _ = write!(out, ",\"copy_of\":{first}");
                        }
                    }
                }
                if let EventKind::Drop { reason, .. } = &event.kind {
                    let _ = write!(out, ",\"reason\":\"{}\"", reason.as_str());
                }
            }
            EventKind::Timer { name, label } => {
                out.push_str(",\"timer\":");
                push_json_string(&mut out, name);
                out.push_str(",\"label\":");
                push_json_string(&mut out, label);
            }
            EventKind::Input { label } | EventKind::Network { label } => {
                out.push_str(",\"label\":");
                push_json_string(&mut out, label);
            }
            EventKind::Note { text } => {
                out.push_str(",\"text\":");
                push_json_string(&mut out, text);
            }
            EventKind::Violation { invariant, message } => {
                out.push_str(",\"invariant\":");
                push_json_string(&mut out, invariant);
                out.push_str(",\"message\":");
                push_json_string(&mut out, message);
            }
            EventKind::Client { event } => {
                // The history's own JSON fields, after the trace's.
                let fields = history::event_json(event);
                out.push(',');
                out.push_str(fields.trim_start_matches('{').trim_end_matches('}'));
            }
        }
        out.push('}');
        out
    }

    /// A one-line human description of an event, as the CLI prints it.
    pub fn event_text(&self, event: &TraceEvent) -> String {
        let at = match event.node {
            Some(node) => node.to_string(),
            None => "--".to_string(),
        };
        let what = match &event.kind {
            EventKind::Start => "start".to_string(),
            EventKind::Crash => "CRASH".to_string(),
            EventKind::Restart => "restart".to_string(),
            EventKind::Send { message } => match self.message(*message) {
                Some(m) => match m.fate {
                    Fate::Deliver { at: Time::NEVER } => {
                        format!("send {} -> {} (held)", m.label, m.to)
                    }
                    Fate::Deliver { at } => format!("send {} -> {} (arrives {at})", m.label, m.to),
                    Fate::Drop { at, reason } => {
                        format!(
                            "send {} -> {} (lost at {at}: {})",
                            m.label,
                            m.to,
                            reason.as_str()
                        )
                    }
                },
                None => "send ?".to_string(),
            },
            EventKind::Deliver { message } => match self.message(*message) {
                Some(m) => format!("recv {} <- {}", m.label, m.from),
                None => "recv ?".to_string(),
            },
            EventKind::Drop { message, reason } => match self.message(*message) {
                Some(m) => format!(
                    "drop {} {} -> {} ({})",
                    m.label,
                    m.from,
                    m.to,
                    reason.as_str()
                ),
                None => "drop ?".to_string(),
            },
            EventKind::Timer { label, .. } => format!("timer {label}"),
            EventKind::Input { label } => format!("input {label}"),
            EventKind::Network { label } => format!("network {label}"),
            EventKind::Note { text } => format!("  note: {text}"),
            EventKind::Violation { invariant, message } => {
                format!("VIOLATION {invariant}: {message}")
            }
            EventKind::Client { event } => client_text(event),
        };
        format!(
            "{:>6} {:>12} {:>4} {}",
            event.step,
            event.time.to_string(),
            at,
            what
        )
    }

    /// FNV-1a 64 over the JSON lines (each followed by a newline): equal hashes mean
    /// byte-identical traces, natively and in wasm.
    pub fn hash(&self) -> u64 {
        let mut hash = Fnv1a::default();
        for event in &self.events {
            hash.write(self.event_json(event).as_bytes());
            hash.write(b"\n");
        }
        hash.finish()
    }
}

/// FNV-1a, 64-bit: tiny, portable, good enough to compare traces.
#[derive(Clone, Copy, Debug)]
pub struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv1a {
    pub fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 ^= byte as u64;
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    pub fn finish(self) -> u64 {
        self.0
    }
}

/// Appends `text` as a JSON string literal.
pub fn push_json_string(out: &mut String, text: &str) {
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_reference_values() {
        let mut h = Fnv1a::default();
        h.write(b"");
        assert_eq!(h.finish(), 0xcbf2_9ce4_8422_2325);
        let mut h = Fnv1a::default();
        h.write(b"a");
        assert_eq!(h.finish(), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn json_strings_are_escaped() {
        let mut out = String::new();
        push_json_string(&mut out, "a\"b\\c\nd\u{1}");
        assert_eq!(out, r#""a\"b\\c\nd\u0001""#);
    }

    #[test]
    fn in_flight_respects_send_and_end_times() {
        let record = |id, sent, at| MessageRecord {
            id,
            from: NodeId(0),
            to: NodeId(1),
            kind: "Ping",
            label: "Ping".into(),
            sent_at: Time(sent),
            fate: Fate::Deliver { at: Time(at) },
            copy_of: None,
            lamport: 1,
        };
        let trace = Trace {
            events: vec![],
            messages: vec![record(0, 0, 10), record(1, 5, 20), record(2, 12, 30)],
            ..Trace::default()
        };
        let ids = |t| {
            trace
                .in_flight(Time(t), crate::sim::time::Duration(1_000))
                .iter()
                .map(|m| m.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(6), vec![0, 1]);
        assert_eq!(ids(10), vec![1]);
        assert_eq!(ids(15), vec![1, 2]);
        assert_eq!(ids(40), Vec::<u32>::new());
    }
}
