//! The users: an open-loop Poisson stream of requests to each service, each
//! request the root span of a new trace (W3C Trace Context), sent to one of
//! the service's hosts picked at random, as a load balancer would.

use std::collections::VecDeque;

use crate::sim::node::{Cx, Labelled};
use crate::sim::time::{NodeId, Time};
use crate::sim::view::{Cell, NodeSummary, Palette};
use crate::traffic::clients::{Arrivals, OpenLoop};
use crate::traffic::request::{Request, RequestId, RequestIds, TraceContext};

use super::message::{ObservabilityMessage, ObservabilityTimer, ServiceName, HOSTS_PER_SERVICE};
use super::process::ObservabilityProcess;

/// Root spans the client keeps, the newest: about four seconds of traffic
/// at the default rate, so a trace opened from a recent log line or
/// exemplar still has its root.
pub const SPANS_KEPT: usize = 1_024;

/// The root span of one trace: a user's request, from sending to answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RootSpan {
    pub trace_id: u64,
    pub request: RequestId,
    pub service: ServiceName,
    pub host: NodeId,
    pub sent_at: Time,
    /// When the answer came, and its status; `None` while waiting (or lost).
    pub answered: Option<(Time, u16)>,
}

/// The client.
#[derive(Clone, Debug)]
pub struct Client {
    source: OpenLoop,
    ids: RequestIds,
    answered: u64,
    failed: u64,
    spans: VecDeque<RootSpan>,
}

impl Client {
    /// A client sending `per_second` requests a second to each service.
    pub fn new(per_second: u32) -> Self {
        Client {
            source: OpenLoop::new(Arrivals::Poisson { per_second }),
            ids: RequestIds::default(),
            answered: 0,
            failed: 0,
            spans: VecDeque::new(),
        }
    }

    /// The root span of trace `trace_id`, if the client still keeps it.
    pub fn root_span(&self, trace_id: u64) -> Option<&RootSpan> {
        self.spans.iter().rev().find(|s| s.trace_id == trace_id)
    }

    pub fn sent(&self) -> u64 {
        self.ids.issued()
    }

    /// Answers received, and those that were errors.
    pub fn answered(&self) -> (u64, u64) {
        (self.answered, self.failed)
    }

    pub fn on_start(&mut self, cx: &mut Cx<ObservabilityProcess>) {
        for service in ServiceName::ALL {
            self.schedule(service, cx);
        }
    }

    fn schedule(&mut self, service: ServiceName, cx: &mut Cx<ObservabilityProcess>) {
        let now = cx.now();
        if let Some(next) = self.source.next_arrival(now, cx.rng) {
            cx.set_timer(ObservabilityTimer::NextCall(service), next.since(now));
        }
    }

    pub fn on_timer(&mut self, timer: ObservabilityTimer, cx: &mut Cx<ObservabilityProcess>) {
        let ObservabilityTimer::NextCall(service) = timer else {
            cx.note(|| format!("the client ignores timer {}", timer.label()));
            return;
        };
        let Some(host) = service
            .hosts()
            .nth(cx.rng.below(u64::from(HOSTS_PER_SERVICE)) as usize)
        else {
            return;
        };
        let trace = TraceContext::root(cx.rng);
        // The client's own span is the root; the host's span is its child.
        let request = Request::new(self.ids.next_id(), cx.now(), None, trace.child(1));
        if self.spans.len() == SPANS_KEPT {
            self.spans.pop_front();
        }
        self.spans.push_back(RootSpan {
            trace_id: trace.trace_id,
            request: request.id,
            service,
            host,
            sent_at: cx.now(),
            answered: None,
        });
        cx.send(host, ObservabilityMessage::Call { service, request });
        self.schedule(service, cx);
    }

    pub fn on_message(&mut self, msg: ObservabilityMessage, cx: &mut Cx<ObservabilityProcess>) {
        match msg {
            ObservabilityMessage::Reply { id, status, .. } => {
                // Answers come soon after their calls: search from the newest.
                if let Some(span) = self.spans.iter_mut().rev().find(|s| s.request == id) {
                    span.answered.get_or_insert((cx.now(), status));
                }
                self.answered += 1;
                if status >= 500 {
                    self.failed += 1;
                }
            }
            other => cx.note(|| format!("the client takes only replies; drops {}", other.label())),
        }
    }

    pub fn summary(&self) -> NodeSummary {
        NodeSummary {
            role: "users",
            palette: Palette::Plain,
            badge: "users".to_string(),
            detail: format!(
                "{} requests sent, {} answered, {} of them errors",
                self.sent(),
                self.answered,
                self.failed
            ),
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        vec![
            Cell::Text(format!("{} sent", self.sent())),
            Cell::Text(format!("{} failed", self.failed)),
            Cell::Text(String::new()),
            Cell::Text(format!("{} answered", self.answered)),
        ]
    }
}
