//! What a request carries through a chain of services: its id, the instant it
//! was sent, its deadline, and its trace context.
//!
//! The trace context follows W3C Trace Context (`traceparent`: a trace id
//! shared by every span of one end-to-end request, and the id of the span that
//! made this call, its parent). Ids are drawn from the node's seeded RNG, so
//! they are the same on every replay.

use std::fmt;

use crate::sim::rng::Rng;
use crate::sim::time::{Duration, Time};

/// A request's id, unique among the requests of the process that made it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(pub u64);

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "r{}", self.0)
    }
}

/// Where a request sits in its trace.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TraceContext {
    /// The end-to-end request this call belongs to.
    pub trace_id: u64,
    /// The span that made this call (zero at the root).
    pub parent_span: u64,
}

impl TraceContext {
    /// A new trace: a fresh trace id, no parent.
    pub fn root(rng: &mut Rng) -> TraceContext {
        TraceContext {
            trace_id: rng.next_u64() | 1,
            parent_span: 0,
        }
    }

    /// The context of a call made from span `span` of this trace.
    pub fn child(self, span: u64) -> TraceContext {
        TraceContext {
            trace_id: self.trace_id,
            parent_span: span,
        }
    }
}

/// A request as services see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Request {
    pub id: RequestId,
    /// When its sender sent it, by the sender's clock.
    pub sent_at: Time,
    /// When its sender stops waiting for it, if it ever does.
    pub deadline: Option<Time>,
    pub trace: TraceContext,
}

impl Request {
    /// A request sent at `now` that its sender waits `timeout` for.
    pub fn new(id: RequestId, now: Time, timeout: Option<Duration>, trace: TraceContext) -> Self {
        Request {
            id,
            sent_at: now,
            deadline: timeout.map(|timeout| now.after(timeout)),
            trace,
        }
    }

    /// Whether its sender has stopped waiting by `now`.
    pub fn expired(&self, now: Time) -> bool {
        self.deadline.is_some_and(|deadline| now >= deadline)
    }
}

/// Hands out request ids in order, from 1.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RequestIds {
    last: u64,
}

impl RequestIds {
    pub fn next_id(&mut self) -> RequestId {
        self.last += 1;
        RequestId(self.last)
    }

    /// How many ids were handed out.
    pub fn issued(&self) -> u64 {
        self.last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_and_trace_context() {
        let mut rng = Rng::new(1);
        let root = TraceContext::root(&mut rng);
        assert_ne!(root.trace_id, 0);
        assert_eq!(root.parent_span, 0);
        let child = root.child(7);
        assert_eq!((child.trace_id, child.parent_span), (root.trace_id, 7));
        let mut ids = RequestIds::default();
        let request = Request::new(
            ids.next_id(),
            Time::from_millis(10),
            Some(Duration::from_millis(5)),
            child,
        );
        assert_eq!(request.id, RequestId(1));
        assert!(!request.expired(Time::from_millis(14)));
        assert!(request.expired(Time::from_millis(15)));
        let patient = Request::new(ids.next_id(), Time::ZERO, None, root);
        assert!(!patient.expired(Time::NEVER));
        assert_eq!(ids.issued(), 2);
    }
}
