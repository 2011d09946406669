//! The vocabulary of the distributed-tracing topic: who is who, the spans
//! services record (Dapper's span: a trace id, its own id, its parent's id,
//! a name, a start and an end), the headers that carry the context between
//! them (W3C `traceparent` and `tracestate`), what travels on the network,
//! the timers and the operations a person or a preset sends.

use std::fmt;

use crate::sim::action::{Operation, RawOperation};
use crate::sim::node::Labelled;
use crate::sim::time::{NodeId, Time};

/// The edge: takes the outside request and starts its trace.
pub const GATEWAY: NodeId = NodeId(0);
/// Checks out an order: calls inventory and payments, then queues the
/// shipment.
pub const ORDERS: NodeId = NodeId(1);
pub const INVENTORY: NodeId = NodeId(2);
pub const PAYMENTS: NodeId = NodeId(3);
/// The message broker between orders and the shipping worker.
pub const QUEUE: NodeId = NodeId(4);
/// The worker that consumes shipments from the queue.
pub const SHIPPING: NodeId = NodeId(5);
/// Receives every finished span and plays both samplers on them.
pub const COLLECTOR: NodeId = NodeId(6);
/// How many processes a run has.
pub const PROCESSES: usize = 7;

/// Bytes a span takes on the wire to the collector: ids (16 + 8 + 8), two
/// timestamps (8 + 8), status and flags, and the name. An estimate of a
/// compact encoding such as OTLP's protobuf, without attributes.
pub fn span_bytes(span: &SpanRecord) -> u64 {
    16 + 8 + 8 + 8 + 8 + 2 + span.name.len() as u64
}

/// One span, as a service records it when it starts and finishes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpanRecord {
    pub trace: u128,
    pub span: u64,
    /// The span that called this one; `None` for the root of a trace.
    pub parent: Option<u64>,
    pub name: &'static str,
    pub service: NodeId,
    pub start: Time,
    /// `None` while it runs (or forever, if its service crashed first).
    pub end: Option<Time>,
    pub error: bool,
    /// The `sampled` flag this span carried: what head sampling decided.
    pub sampled: bool,
}

impl SpanRecord {
    pub fn duration_ms(&self) -> Option<u64> {
        self.end
            .map(|end| end.since(self.start).as_micros() / 1_000)
    }
}

/// The low 16 bits of an id in hex: enough to tell spans apart on screen.
pub fn short(id: u64) -> String {
    format!("{:04x}", id & 0xffff)
}

/// The trace context headers a call carries, as text: the receiver parses
/// them with [`crate::trace_context`], so a malformed one is caught where a
/// real service would catch it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Headers {
    pub traceparent: Option<String>,
    pub tracestate: Option<String>,
}

impl fmt::Display for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.traceparent {
            Some(parent) => write!(f, "traceparent: {parent}")?,
            None => write!(f, "no traceparent")?,
        }
        if let Some(state) = &self.tracestate {
            write!(f, ", tracestate: {state}")?;
        }
        Ok(())
    }
}

/// Everything that travels on the network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TraceMessage {
    /// A synchronous call (gateway → orders, orders → inventory or payments),
    /// numbered by its caller.
    Call {
        call: u64,
        operation: &'static str,
        headers: Headers,
    },
    /// The callee's answer to call `call`.
    Reply { call: u64, ok: bool },
    /// Orders hands a shipment to the queue and does not wait for it.
    Publish { headers: Headers },
    /// The queue hands the shipment to the shipping worker.
    Deliver { headers: Headers },
    /// A finished span, sent to the collector.
    Export { span: SpanRecord },
}

impl Labelled for TraceMessage {
    fn kind(&self) -> &'static str {
        match self {
            TraceMessage::Call { .. } => "Call",
            TraceMessage::Reply { .. } => "Reply",
            TraceMessage::Publish { .. } => "Publish",
            TraceMessage::Deliver { .. } => "Deliver",
            TraceMessage::Export { .. } => "Export",
        }
    }

    fn label(&self) -> String {
        match self {
            TraceMessage::Call {
                call,
                operation,
                headers,
            } => format!("Call c{call} {operation} ({headers})"),
            TraceMessage::Reply { call, ok } => {
                format!("Reply c{call} {}", if *ok { "ok" } else { "error" })
            }
            TraceMessage::Publish { headers } => format!("Publish shipment ({headers})"),
            TraceMessage::Deliver { headers } => format!("Deliver shipment ({headers})"),
            TraceMessage::Export { span } => format!(
                "Export span {} ({}{})",
                short(span.span),
                span.name,
                if span.sampled { ", sampled" } else { "" }
            ),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TraceTimer {
    /// A service's own work on span `span` is done.
    Work { span: u64 },
    /// No reply to call `call` in time.
    CallTimeout { call: u64 },
    /// The queue's consumer polls: the oldest shipment goes out.
    Poll,
    /// The collector decides the traces whose wait is over.
    Decide,
}

impl Labelled for TraceTimer {
    fn kind(&self) -> &'static str {
        match self {
            TraceTimer::Work { .. } => "work",
            TraceTimer::CallTimeout { .. } => "call timeout",
            TraceTimer::Poll => "poll",
            TraceTimer::Decide => "decide",
        }
    }

    fn label(&self) -> String {
        match self {
            TraceTimer::Work { span } => format!("work on span {} done", short(*span)),
            TraceTimer::CallTimeout { call } => format!("no reply to c{call}"),
            TraceTimer::Poll => "queue poll".to_string(),
            TraceTimer::Decide => "tail-sampling decisions".to_string(),
        }
    }
}

/// What a person or a preset asks of the services.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceOp {
    /// An outside request reaches the gateway; `malformed` gives it a
    /// `traceparent` the gateway must refuse.
    Request { malformed: bool },
    /// The service fails every call for the next two seconds.
    Errors,
    /// The service takes 300 ms longer on every call for the next two
    /// seconds.
    Slow,
    /// The service fails its next call, once.
    FailNext,
}

impl fmt::Display for TraceOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceOp::Request { malformed: false } => write!(f, "request"),
            TraceOp::Request { malformed: true } => {
                write!(f, "request with a malformed traceparent")
            }
            TraceOp::Errors => write!(f, "fail every call for 2 s"),
            TraceOp::Slow => write!(f, "300 ms slower for 2 s"),
            TraceOp::FailNext => write!(f, "fail the next call"),
        }
    }
}

impl Operation for TraceOp {
    fn to_raw(&self) -> RawOperation {
        match self {
            TraceOp::Request { malformed } => RawOperation::new(0, &[u64::from(*malformed)]),
            TraceOp::Errors => RawOperation::new(1, &[]),
            TraceOp::Slow => RawOperation::new(2, &[]),
            TraceOp::FailNext => RawOperation::new(3, &[]),
        }
    }

    fn from_raw(raw: &RawOperation) -> Option<Self> {
        match (raw.code, raw.args.as_slice()) {
            (0, [malformed]) if *malformed <= 1 => Some(TraceOp::Request {
                malformed: *malformed == 1,
            }),
            (1, []) => Some(TraceOp::Errors),
            (2, []) => Some(TraceOp::Slow),
            (3, []) => Some(TraceOp::FailNext),
            _ => None,
        }
    }
}
