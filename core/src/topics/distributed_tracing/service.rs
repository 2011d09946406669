//! A traced service: the gateway, orders, inventory, payments or the
//! shipping worker, one sans-IO node each, instrumented as Dapper describes
//! (section 2): every request a service handles is a span with the trace id
//! and parent it received, and every call it makes carries its own span id
//! as the callee's parent, in a W3C `traceparent` header (section 3.2).
//!
//! Services run each request at once (no queueing: the traffic topics
//! model that); a leaf's work takes a log-normal time from its RNG.

use crate::sim::node::Cx;
use crate::sim::rng::PPM;
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::view::{Cell, NodeSummary, Palette};
use crate::trace_context::{TraceParent, TraceState};
use crate::traffic::distribution::ServiceTime;

use super::message::{
    short, Headers, SpanRecord, TraceMessage, TraceOp, TraceTimer, COLLECTOR, INVENTORY, ORDERS,
    PAYMENTS, QUEUE,
};
use super::process::TraceProcess;

/// The vendor key this lab writes into `tracestate`.
pub const VENDOR_KEY: &str = "distlab";
/// Orders' own `tracestate` key: which attempt of a payments call this is.
pub const ORDERS_KEY: &str = "orders";
/// What the malformed-request button sends: the specification's example
/// with an uppercase trace-id, which section 3.2.2.3 forbids.
pub const MALFORMED_TRACEPARENT: &str = "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01";
/// How long the gateway waits for orders.
pub const GATEWAY_TIMEOUT_MS: u64 = 1_000;
/// How long orders waits for inventory or payments, per attempt.
pub const CALL_TIMEOUT_MS: u64 = 250;
/// How long an injected fault (errors, slowness) lasts.
pub const FAULT_MS: u64 = 2_000;
/// What an injected slowness adds to every call.
pub const SLOW_MS: u64 = 300;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Gateway,
    Orders,
    Inventory,
    Payments,
    Shipping,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Gateway => "gateway",
            Role::Orders => "orders",
            Role::Inventory => "inventory",
            Role::Payments => "payments",
            Role::Shipping => "shipping",
        }
    }

    /// The name of the spans it records.
    pub fn span_name(self) -> &'static str {
        match self {
            Role::Gateway => "GET /checkout",
            Role::Orders => "checkout",
            Role::Inventory => "reserve",
            Role::Payments => "charge",
            Role::Shipping => "ship",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServiceConfig {
    /// Head sampling: the share of new traces the root marks sampled.
    pub head_rate_ppm: u32,
    /// How often a call fails on its own (payments' flakiness).
    pub error_ppm: u32,
    pub work: ServiceTime,
    /// The bug: every hop draws its own sampling decision.
    pub resample_at_each_hop: bool,
}

/// A span in progress.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Open {
    span: u64,
    /// Its position in the service's span log.
    index: usize,
    state: TraceState,
    /// The caller and call to answer when it ends.
    reply_to: Option<(NodeId, u64)>,
    /// Calls not yet resolved.
    waiting: u8,
    failed: bool,
}

/// A call in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Outgoing {
    call: u64,
    span: u64,
    to: NodeId,
    attempt: u8,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServiceStats {
    pub errors: u64,
    pub retries: u64,
    /// Headers refused: a malformed or missing `traceparent`.
    pub refused: u64,
}

#[derive(Clone, Debug)]
pub struct Service {
    role: Role,
    config: ServiceConfig,
    /// Every span this service started, in order. Kept through a crash: it
    /// stands for what the tracing library already reported, and the
    /// checker and the waterfall read it.
    spans: Vec<SpanRecord>,
    open: Vec<Open>,
    calls: Vec<Outgoing>,
    /// Kept through a crash, so a reply to a call made before it never
    /// matches a call made after.
    next_call: u64,
    errors_until: Time,
    slow_until: Time,
    fail_next: bool,
    stats: ServiceStats,
}

impl Service {
    pub fn new(role: Role, config: ServiceConfig) -> Self {
        Service {
            role,
            config,
            spans: Vec::new(),
            open: Vec::new(),
            calls: Vec::new(),
            next_call: 0,
            errors_until: Time::ZERO,
            slow_until: Time::ZERO,
            fail_next: false,
            stats: ServiceStats::default(),
        }
    }

    pub fn role(&self) -> Role {
        self.role
    }

    pub fn spans(&self) -> &[SpanRecord] {
        &self.spans
    }

    pub fn stats(&self) -> ServiceStats {
        self.stats
    }

    pub fn on_crash(&mut self) {
        self.open.clear();
        self.calls.clear();
    }

    pub fn on_operation(&mut self, operation: TraceOp, cx: &mut Cx<TraceProcess>) {
        let now = cx.now();
        match operation {
            TraceOp::Request { malformed } if self.role == Role::Gateway => {
                let headers = Headers {
                    traceparent: malformed.then(|| MALFORMED_TRACEPARENT.to_string()),
                    tracestate: None,
                };
                // The edge trusts no outside context it cannot parse; a
                // request without one simply starts a trace here.
                let context = if malformed {
                    self.receive_context(&headers, cx)
                } else {
                    None
                };
                self.start_span(context, None, cx);
            }
            TraceOp::Request { .. } => cx.note(|| "only the gateway takes requests".to_string()),
            TraceOp::Errors => {
                self.errors_until = now.after(Duration::from_millis(FAULT_MS));
                cx.note(|| format!("{} fails every call for 2 s", self.role.as_str()));
            }
            TraceOp::Slow => {
                self.slow_until = now.after(Duration::from_millis(FAULT_MS));
                cx.note(|| format!("{} is 300 ms slower for 2 s", self.role.as_str()));
            }
            TraceOp::FailNext => {
                self.fail_next = true;
                cx.note(|| format!("{} will fail its next call", self.role.as_str()));
            }
        }
    }

    pub fn on_message(&mut self, from: NodeId, msg: TraceMessage, cx: &mut Cx<TraceProcess>) {
        match (self.role, msg) {
            (
                Role::Orders | Role::Inventory | Role::Payments,
                TraceMessage::Call { call, headers, .. },
            ) => {
                let context = self.receive_context(&headers, cx);
                self.start_span(context, Some((from, call)), cx);
            }
            (Role::Shipping, TraceMessage::Deliver { headers }) => {
                let context = self.receive_context(&headers, cx);
                self.start_span(context, None, cx);
            }
            (Role::Gateway | Role::Orders, TraceMessage::Reply { call, ok }) => {
                match self.calls.iter().position(|c| c.call == call) {
                    Some(i) => {
                        let outgoing = self.calls.remove(i);
                        cx.cancel_timer(TraceTimer::CallTimeout { call });
                        self.resolve(outgoing, ok, cx);
                    }
                    None => cx.note(|| format!("late or unknown reply to c{call}: dropped")),
                }
            }
            (_, msg) => cx.note(|| {
                format!(
                    "{} does not take {}: dropped",
                    self.role.as_str(),
                    crate::sim::node::Labelled::kind(&msg)
                )
            }),
        }
    }

    pub fn on_timer(&mut self, timer: TraceTimer, cx: &mut Cx<TraceProcess>) {
        match timer {
            TraceTimer::Work { span } => {
                let Some(i) = self.open.iter().position(|o| o.span == span) else {
                    return;
                };
                let now = cx.now();
                let failed = std::mem::take(&mut self.fail_next)
                    || now < self.errors_until
                    || cx.rng.chance_ppm(self.config.error_ppm);
                self.finish(i, failed, cx);
            }
            TraceTimer::CallTimeout { call } => {
                if let Some(i) = self.calls.iter().position(|c| c.call == call) {
                    let outgoing = self.calls.remove(i);
                    cx.note(|| format!("no reply to c{call} in time: the call failed"));
                    self.resolve(outgoing, false, cx);
                }
            }
            TraceTimer::Poll | TraceTimer::Decide => {}
        }
    }

    /// Section 3.2 and 3.3: parse the headers; a `traceparent` that is
    /// missing or breaks a rule is dropped (and `tracestate` with it), and
    /// the service starts a new trace. A bad `tracestate` alone is dropped
    /// and the `traceparent` kept.
    fn receive_context(
        &mut self,
        headers: &Headers,
        cx: &mut Cx<TraceProcess>,
    ) -> Option<(TraceParent, TraceState)> {
        let Some(text) = &headers.traceparent else {
            self.stats.refused += 1;
            cx.note(|| "no traceparent: this span starts a new trace".to_string());
            return None;
        };
        let parent = match text.parse::<TraceParent>() {
            Ok(parent) => parent,
            Err(why) => {
                self.stats.refused += 1;
                cx.note(|| {
                    format!("traceparent {text} refused ({why}): dropped, a new trace starts here")
                });
                return None;
            }
        };
        let state = match headers.tracestate.as_deref().map(str::parse::<TraceState>) {
            None => TraceState::default(),
            Some(Ok(state)) => state,
            Some(Err(why)) => {
                cx.note(|| format!("tracestate refused ({why}): dropped"));
                TraceState::default()
            }
        };
        Some((parent, state))
    }

    fn nonzero(cx: &mut Cx<TraceProcess>) -> u64 {
        cx.rng.next_u64().max(1)
    }

    /// Dapper section 2.1: a span joins its caller's trace with the caller's
    /// span as parent, or, without a context, is the root of a new trace,
    /// whose sampling decision it makes (head sampling).
    fn start_span(
        &mut self,
        context: Option<(TraceParent, TraceState)>,
        reply_to: Option<(NodeId, u64)>,
        cx: &mut Cx<TraceProcess>,
    ) {
        let span = Self::nonzero(cx);
        let (trace, parent, sampled, state) = match context {
            Some((parent, state)) => {
                let sampled = if self.config.resample_at_each_hop {
                    cx.rng.chance_ppm(self.config.head_rate_ppm)
                } else {
                    parent.sampled()
                };
                (parent.trace_id, Some(parent.parent_id), sampled, state)
            }
            None => {
                let trace = (u128::from(Self::nonzero(cx)) << 64) | u128::from(cx.rng.next_u64());
                let sampled = cx.rng.chance_ppm(self.config.head_rate_ppm);
                let mut state = TraceState::default();
                let percent = self.config.head_rate_ppm / (PPM / 100);
                // A valid key and value, so `set` cannot refuse them.
                let _ = state.set(VENDOR_KEY, &format!("p:{percent}"));
                (trace, None, sampled, state)
            }
        };
        let record = SpanRecord {
            trace,
            span,
            parent,
            name: self.role.span_name(),
            service: cx.id(),
            start: cx.now(),
            end: None,
            error: false,
            sampled,
        };
        cx.note(|| {
            format!(
                "span {} ({}) starts, parent {}, trace {:032x}{}",
                short(span),
                record.name,
                parent.map_or("none: a root".to_string(), short),
                trace,
                if sampled { ", sampled" } else { "" }
            )
        });
        self.spans.push(record);
        self.open.push(Open {
            span,
            index: self.spans.len() - 1,
            state,
            reply_to,
            waiting: 0,
            failed: false,
        });
        let at = self.open.len() - 1;
        match self.role {
            Role::Gateway => self.call(at, ORDERS, "POST /orders", 1, cx),
            Role::Orders => {
                self.call(at, INVENTORY, "reserve", 1, cx);
                self.call(at, PAYMENTS, "charge", 1, cx);
            }
            _ => {
                let mut work = self.config.work.sample(cx.rng);
                if cx.now() < self.slow_until {
                    work = Duration(work.as_micros() + SLOW_MS * 1_000);
                }
                cx.set_timer(TraceTimer::Work { span }, work);
            }
        }
    }

    /// The headers of a call made from open span `at`: its trace, itself as
    /// the parent, its flags.
    fn headers(&self, at: usize, extra: Option<(&str, String)>) -> Headers {
        let open = &self.open[at];
        let record = &self.spans[open.index];
        let parent = TraceParent::new(record.trace, record.span, record.sampled);
        let mut state = open.state.clone();
        if let Some((key, value)) = extra {
            let _ = state.set(key, &value);
        }
        Headers {
            traceparent: parent.map(|p| p.to_string()),
            tracestate: (!state.is_empty()).then(|| state.to_string()),
        }
    }

    fn call(
        &mut self,
        at: usize,
        to: NodeId,
        operation: &'static str,
        attempt: u8,
        cx: &mut Cx<TraceProcess>,
    ) {
        let call = self.next_call;
        self.next_call += 1;
        // Orders notes the attempt in its own tracestate member, which moves
        // to the front as section 3.3.1.3 asks of an updated key.
        let extra = (to == PAYMENTS).then(|| (ORDERS_KEY, format!("a:{attempt}")));
        let headers = self.headers(at, extra);
        self.open[at].waiting += 1;
        let span = self.open[at].span;
        self.calls.push(Outgoing {
            call,
            span,
            to,
            attempt,
        });
        cx.send(
            to,
            TraceMessage::Call {
                call,
                operation,
                headers,
            },
        );
        let timeout = if self.role == Role::Gateway {
            GATEWAY_TIMEOUT_MS
        } else {
            CALL_TIMEOUT_MS
        };
        cx.set_timer(
            TraceTimer::CallTimeout { call },
            Duration::from_millis(timeout),
        );
    }

    /// A call ended: orders retries a failed payments call once, as a new
    /// call (so a new child span at payments); a span whose calls are all
    /// resolved ends.
    fn resolve(&mut self, outgoing: Outgoing, ok: bool, cx: &mut Cx<TraceProcess>) {
        let Some(at) = self.open.iter().position(|o| o.span == outgoing.span) else {
            return;
        };
        self.open[at].waiting = self.open[at].waiting.saturating_sub(1);
        if !ok && self.role == Role::Orders && outgoing.to == PAYMENTS && outgoing.attempt == 1 {
            self.stats.retries += 1;
            cx.note(|| "payments failed: retrying once, as a new call".to_string());
            self.call(at, PAYMENTS, "charge", 2, cx);
            return;
        }
        if !ok {
            self.open[at].failed = true;
        }
        if self.open[at].waiting > 0 {
            return;
        }
        if self.role == Role::Orders {
            // The shipment goes through the queue: orders does not wait for
            // it, so the shipping span outlives this one.
            let headers = self.headers(at, None);
            cx.send(QUEUE, TraceMessage::Publish { headers });
        }
        let failed = self.open[at].failed;
        self.finish(at, failed, cx);
    }

    /// Ends open span `at`: records its end, answers its caller and exports
    /// it to the collector.
    fn finish(&mut self, at: usize, failed: bool, cx: &mut Cx<TraceProcess>) {
        let open = self.open.remove(at);
        let now = cx.now();
        let Some(record) = self.spans.get_mut(open.index) else {
            return;
        };
        record.end = Some(now);
        record.error = failed;
        let record = *record;
        if failed {
            self.stats.errors += 1;
        }
        if let Some((caller, call)) = open.reply_to {
            cx.send(caller, TraceMessage::Reply { call, ok: !failed });
        }
        cx.send(COLLECTOR, TraceMessage::Export { span: record });
    }

    pub fn summary(&self) -> NodeSummary {
        let palette = if self.role == Role::Gateway {
            Palette::Lead
        } else if !self.open.is_empty() {
            Palette::Contend
        } else {
            Palette::Plain
        };
        NodeSummary {
            role: self.role.as_str(),
            palette,
            badge: self.open.len().to_string(),
            detail: format!(
                "{}: {} spans, {} open, {} errors",
                self.role.as_str(),
                self.spans.len(),
                self.open.len(),
                self.stats.errors
            ),
        }
    }

    /// The last three spans (id ← parent, duration), then the totals.
    pub fn state_row(&self) -> Vec<Cell> {
        let recent: Vec<String> = self
            .spans
            .iter()
            .rev()
            .take(3)
            .map(|s| {
                let parent = s.parent.map_or("root".to_string(), short);
                let took = match s.duration_ms() {
                    Some(ms) => format!("{ms} ms"),
                    None => "open".to_string(),
                };
                let error = if s.error { " error" } else { "" };
                format!("{} ← {parent} {took}{error}", short(s.span))
            })
            .collect();
        vec![
            Cell::Text(recent.join(", ")),
            Cell::Text(format!(
                "{} spans, {} errors, {} retries, {} contexts refused",
                self.spans.len(),
                self.stats.errors,
                self.stats.retries,
                self.stats.refused
            )),
        ]
    }
}
