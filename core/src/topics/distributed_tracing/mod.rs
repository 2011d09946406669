//! Distributed tracing: following one request across the services it
//! crosses, and choosing which of those traces to keep.
//!
//! **The problem.** A checkout touches a gateway, an orders service, an
//! inventory service, a payments service and, behind a queue, a shipping
//! worker. When it is slow or fails, each service's own logs show a piece;
//! nothing shows the request. Dapper's answer (Sigelman et al., "Dapper, a
//! Large-Scale Distributed Systems Tracing Infrastructure", Google Technical
//! Report dapper-2010-1, 2010) is to give every request a trace id at the
//! edge and to record each unit of work as a *span* (section 2): the trace
//! id, the span's own id, the id of the span that caused it (its parent),
//! a name and its start and end. The spans of one trace form a tree that
//! tells where the time went.
//!
//! **The idea: propagate the context.** Every call carries the caller's
//! trace id and span id, so the callee's span can name its parent. W3C
//! Trace Context (W3C Recommendation, 23 November 2021) fixes the headers:
//! `traceparent` (section 3.2: `version-traceid-parentid-traceflags`,
//! lowercase hex, with the `sampled` flag) and `tracestate` (section 3.3:
//! up to 32 vendor `key=value` members, an updated member moving to the
//! front). A receiver that cannot parse `traceparent` must drop it and start
//! a new trace (section 3.2). The library [`crate::trace_context`] parses
//! and prints both exactly; every request here (a call, a publish, a
//! delivery) carries them as text and every service parses them on receipt.
//! Replies and the spans exported to the collector carry none: the
//! recommendation defines request headers, a reply is matched to its call
//! by the caller, and an exported span names its trace in its own fields.
//!
//! **Sampling.** Tracing everything costs: Dapper samples (section 4.1),
//! deciding at the root and passing the decision down with the context
//! (the `sampled` flag), so a trace is recorded whole or not at all. That is
//! *head* sampling: cheap, but it decides before knowing whether the request
//! will fail or be slow, so it keeps errors and slow requests at the same
//! rate as everything else. *Tail* sampling, as the OpenTelemetry
//! Collector's `tail_sampling` processor does it, buffers every span of a
//! trace for a decision wait, then keeps the traces with an error
//! (`status_code` policy) or a latency over a threshold (`latency` policy,
//! here the 95th percentile so far, from a DDSketch): it keeps what
//! matters, at the price of receiving and buffering every span.
//!
//! **The model.** Seven processes: the gateway n0 (each outside request is
//! a root span there), orders n1 (calls inventory n2 and payments n3 in
//! parallel, retries a failed payments call once as a new call, so a new
//! child span, then publishes the shipment to the queue n4 and answers),
//! the queue n4 (a durable FIFO whose consumer polls every 20-120 ms), the
//! shipping worker n5 (consumes shipments: its span continues the trace but
//! outlives its parent, since nobody waits for it), and the collector n6,
//! which receives every finished span and plays both samplers on the same
//! stream (see [`collector`]). Leaves take a log-normal time; payments fails
//! a configurable share of calls; buttons inject errors, slowness or a
//! single failure at a leaf, or send a request with a malformed
//! `traceparent` to the gateway. The timeline draws the spans as a
//! waterfall with each trace's critical path lit ([`waterfall`]); charts
//! compare what each sampler keeps and what it costs.
//!
//! **Invariants** ([`checker`]): `parent-exists` (every span's parent is in
//! the same trace, or it is the root the gateway started) and
//! `head-sampling-all-or-nothing` (every span carries its root's decision).
//!
//! **Bugs.** `context-dropped-at-queue`: the queue forwards the body
//! without its headers, so the shipping worker starts a new trace, an
//! orphan root (caught by `parent-exists`). `resample-at-each-hop`: each
//! service draws its own sampling decision instead of honouring the flag,
//! so head sampling keeps fragments of traces (caught by
//! `head-sampling-all-or-nothing`).
//!
//! **Liberties.** Spans are server spans only (one per service per
//! request, none for the client side of a call), so a call lost on the
//! network leaves no span, only the caller's timeout and error. Times are
//! each service's clock, which the fault plan never skews, so the
//! waterfall needs no clock-skew correction (Dapper's section 2.1 warns
//! about it). The collector sees every span, sampled or not, and counts
//! what a head-sampling pipeline would have exported; a real one would
//! never send the unsampled spans. Spans have no attributes or events
//! (Dapper's annotations), and the byte counts are an estimate of a compact
//! encoding.
//!
//! **Left out.** Span links (the OpenTelemetry way to tie a batch consumer
//! to many producers), baggage, the `traceresponse` header, adaptive and
//! consistent probability sampling, and the collector's own scaling (a
//! tail sampler must route all spans of a trace to one instance).

pub mod checker;
pub mod collector;
pub mod message;
pub mod presets;
pub mod process;
pub mod queue;
pub mod service;
pub mod waterfall;

#[cfg(test)]
mod tests;

use crate::lab::params::{self, REQUEST_RATE};
use crate::lab::protocol::{self, OperationButton, ProtocolTopic, Setup};
use crate::lab::topic::{BugInfo, Category, ParamSpec, TopicInfo, TopicKind};
use crate::sim::rng::PPM;
use crate::sim::time::{Duration, NodeId};
use crate::sim::view::{Annotations, Bar, Chart, Palette};
use crate::sim::world::Simulation;
use crate::traffic::distribution::ServiceTime;

use checker::{TracingChecker, HEAD_SAMPLING_ALL_OR_NOTHING, PARENT_EXISTS};
use collector::{Collector, Sampling};
use message::{TraceOp, COLLECTOR, GATEWAY, INVENTORY, PAYMENTS, SHIPPING};
use process::TraceProcess;
use queue::Queue;
use service::{Role, Service, ServiceConfig};

pub const BUG_CONTEXT_DROPPED_AT_QUEUE: &str = "context-dropped-at-queue";
pub const BUG_RESAMPLE_AT_EACH_HOP: &str = "resample-at-each-hop";

pub const HEAD_PERCENT: &str = "head-percent";
pub const ERROR_PERCENT: &str = "error-percent";

const RATE_PARAM: ParamSpec = ParamSpec {
    name: REQUEST_RATE,
    label: "Requests per second",
    default: 4,
    min: 0,
    max: 30,
    step: 1,
    help: "Checkouts arriving at the gateway, each one a new trace.",
    choices: &[],
};

const HEAD_PERCENT_PARAM: ParamSpec = ParamSpec {
    name: HEAD_PERCENT,
    label: "Head sampling rate (%)",
    default: 20,
    min: 1,
    max: 100,
    step: 1,
    help: "The share of traces the gateway marks sampled when it starts them.",
    choices: &[],
};

const ERROR_PERCENT_PARAM: ParamSpec = ParamSpec {
    name: ERROR_PERCENT,
    label: "Payments errors (%)",
    default: 5,
    min: 0,
    max: 100,
    step: 1,
    help: "The share of calls payments fails on its own; orders retries a failed one once.",
    choices: &[],
};

/// The distributed-tracing topic.
pub struct DistributedTracingTopic;

pub static INFO: TopicInfo = TopicInfo {
    slug: "distributed-tracing",
    title: "Distributed tracing",
    category: Category::Platform,
    kind: TopicKind::Protocol,
    summary: "A checkout crossing a gateway, orders, inventory, payments and, behind a queue, a shipping worker, traced with W3C traceparent headers: spans drawn as a waterfall with the critical path lit, a failed call retried as a new child span, and head sampling against tail sampling on the same traffic: which errors and slow traces each keeps, and what each costs.",
    reference: "W3C Trace Context (W3C Recommendation, 23 November 2021), sections 3.2 traceparent and 3.3 tracestate; Sigelman et al., Dapper, a Large-Scale Distributed Systems Tracing Infrastructure (Google Technical Report, 2010), sections 2 (spans, annotations) and 4.1 (sampling); OpenTelemetry Collector tail_sampling processor",
    params: &[
        RATE_PARAM,
        HEAD_PERCENT_PARAM,
        ERROR_PERCENT_PARAM,
        params::latency(10),
    ],
    presets: &presets::PRESETS,
    bugs: &[
        BugInfo {
            name: BUG_CONTEXT_DROPPED_AT_QUEUE,
            summary: "The queue forwards a shipment without its traceparent: the shipping worker starts a new trace, an orphan cut off from the checkout that caused it.",
            caught_by: &[PARENT_EXISTS],
            budget: 20,
        },
        BugInfo {
            name: BUG_RESAMPLE_AT_EACH_HOP,
            summary: "Every service draws its own sampling decision instead of honouring the sampled flag it received: head sampling keeps fragments of traces.",
            caught_by: &[HEAD_SAMPLING_ALL_OR_NOTHING],
            budget: 20,
        },
    ],
    invariants: checker::INVARIANTS,
    expected: &[],
    columns: &[
        "process",
        "role",
        "recent spans (id ← parent, duration)",
        "totals",
    ],
    build: protocol::build::<DistributedTracingTopic>,
};

/// Each service's configuration from the scenario's parameters and bug.
pub fn service_config(setup: &Setup, role: Role) -> ServiceConfig {
    let clamp = |spec: &ParamSpec| setup.param(spec.name).clamp(spec.min, spec.max) as u32;
    let ms = Duration::from_millis;
    let work = match role {
        Role::Inventory => ServiceTime::LogNormal {
            median: ms(20),
            sigma_milli: 400,
        },
        // Payments has the long tail the slow traces come from.
        Role::Payments => ServiceTime::LogNormal {
            median: ms(40),
            sigma_milli: 600,
        },
        Role::Shipping => ServiceTime::LogNormal {
            median: ms(30),
            sigma_milli: 300,
        },
        Role::Gateway | Role::Orders => ServiceTime::Constant(Duration::ZERO),
    };
    ServiceConfig {
        head_rate_ppm: clamp(&HEAD_PERCENT_PARAM) * (PPM / 100),
        error_ppm: if role == Role::Payments {
            clamp(&ERROR_PERCENT_PARAM) * (PPM / 100)
        } else {
            0
        },
        work,
        resample_at_each_hop: setup.bug(BUG_RESAMPLE_AT_EACH_HOP),
    }
}

/// The collector of `simulation`, if it has one.
pub fn collector_of(simulation: &Simulation<TraceProcess, TracingChecker>) -> Option<&Collector> {
    simulation
        .nodes()
        .get(COLLECTOR.index())
        .and_then(TraceProcess::collector)
}

/// The speed benchmark the README quotes natively and in wasm (both call
/// this): one run per seed in `seeds`, heavy faults, 30 requests per second
/// for 30 s of virtual time, the checker on and the trace off. Returns the
/// spans the checker saw.
pub fn benchmark_spans(seeds: std::ops::Range<u64>) -> u64 {
    use crate::lab::run::RunOptions;
    use crate::lab::scenario::Scenario;
    use crate::sim::faults::FaultLevel;
    use crate::sim::time::Time;
    let mut spans = 0;
    for seed in seeds {
        let mut scenario = Scenario::new(INFO.slug, seed);
        scenario.faults = FaultLevel::Heavy;
        scenario.set_param(REQUEST_RATE, 30);
        let options = RunOptions {
            trace: false,
            ..RunOptions::default()
        };
        let Ok(mut run) = (INFO.build)(&scenario, options) else {
            continue;
        };
        run.run_until(Time::from_millis(30_000));
        if let Some(simulation) = protocol::simulation::<DistributedTracingTopic>(run.as_ref()) {
            spans += simulation.checker().spans_seen();
        }
    }
    spans
}

fn bar(label: &str, value: u64, palette: Palette) -> Bar {
    Bar {
        label: label.to_string(),
        value,
        palette,
    }
}

/// What each sampler kept and cost, as the page's bar charts.
pub fn sampling_charts(s: &Sampling) -> Vec<Chart> {
    let kept = |title: &str, caption: &str, all: u64, head: u64, tail: u64| Chart {
        title: title.to_string(),
        // The title says they are traces; "1 traces" read wrong.
        unit: "",
        caption: caption.to_string(),
        bars: vec![
            bar("decided", all, Palette::Plain),
            bar("kept by head sampling", head, Palette::Contend),
            bar("kept by tail sampling", tail, Palette::Done),
        ],
    };
    let cost = |title: &str, unit: &'static str, all: u64, head: u64, tail: u64| Chart {
        title: title.to_string(),
        unit,
        caption:
            "Tail sampling receives and buffers everything; each sampler exports what it keeps."
                .to_string(),
        bars: vec![
            bar("received and buffered", all, Palette::Suspect),
            bar("exported by head sampling", head, Palette::Contend),
            bar("exported by tail sampling", tail, Palette::Done),
        ],
    };
    vec![
        kept(
            "Error traces kept",
            "Traces with a failed span, of those the collector decided.",
            s.error_traces,
            s.head_kept_error,
            s.tail_kept_error,
        ),
        kept(
            "Slow traces kept",
            "Traces slower than the p95 of the traces decided before them.",
            s.slow_traces,
            s.head_kept_slow,
            s.tail_kept_slow,
        ),
        kept(
            "All traces kept",
            "Every trace the collector decided.",
            s.traces,
            s.head_kept,
            s.tail_kept,
        ),
        cost(
            "Spans",
            "spans",
            s.spans_received,
            s.head_spans,
            s.tail_spans,
        ),
        cost(
            "Bytes",
            "bytes",
            s.bytes_received,
            s.head_bytes,
            s.tail_bytes,
        ),
    ]
}

/// Whether button operations that inject a fault can go to `at`: the
/// services that do their own work.
fn leaf(at: NodeId) -> bool {
    matches!(at, INVENTORY | PAYMENTS | SHIPPING)
}

impl ProtocolTopic for DistributedTracingTopic {
    const INFO: &'static TopicInfo = &INFO;
    type Node = TraceProcess;
    type Checker = TracingChecker;
    const FOCUS_ROLE: &'static str = "gateway";
    const FIXED_NODES: usize = message::PROCESSES;

    fn setup(setup: &Setup) -> (Vec<TraceProcess>, TracingChecker) {
        let service = |role: Role| {
            TraceProcess::Service(Box::new(Service::new(role, service_config(setup, role))))
        };
        let processes = vec![
            service(Role::Gateway),
            service(Role::Orders),
            service(Role::Inventory),
            service(Role::Payments),
            TraceProcess::Queue(Box::new(Queue::new(
                setup.bug(BUG_CONTEXT_DROPPED_AT_QUEUE),
            ))),
            service(Role::Shipping),
            TraceProcess::Collector(Box::default()),
        ];
        (processes, TracingChecker::new())
    }

    /// The gateway, while it runs: requests enter there.
    fn focus(_nodes: &[TraceProcess], up: &[bool]) -> Option<NodeId> {
        up.get(GATEWAY.index())
            .copied()
            .unwrap_or(false)
            .then_some(GATEWAY)
    }

    fn client_request(_index: u64) -> Option<TraceOp> {
        Some(TraceOp::Request { malformed: false })
    }

    const OPERATIONS: &'static [OperationButton] = &[
        OperationButton {
            label: "Bad traceparent",
            help: "A request reaches the gateway with an uppercase trace-id, which W3C Trace Context forbids: it is dropped and a new trace starts",
            at_node: false,
        },
        OperationButton {
            label: "Errors for 2 s",
            help: "The chosen service (inventory, payments or shipping) fails every call for two seconds",
            at_node: true,
        },
        OperationButton {
            label: "Slow for 2 s",
            help: "The chosen service (inventory, payments or shipping) takes 300 ms longer on every call for two seconds",
            at_node: true,
        },
        OperationButton {
            label: "Fail next call",
            help: "The chosen service (inventory, payments or shipping) fails its next call, once",
            at_node: true,
        },
    ];

    fn operation(button: usize, at: NodeId, _setup: &Setup, _sent: u64) -> Option<TraceOp> {
        match button {
            0 => Some(TraceOp::Request { malformed: true }),
            1 if leaf(at) => Some(TraceOp::Errors),
            2 if leaf(at) => Some(TraceOp::Slow),
            3 if leaf(at) => Some(TraceOp::FailNext),
            _ => None,
        }
    }

    const ANNOTATED: bool = true;

    fn annotations(simulation: &Simulation<TraceProcess, TracingChecker>) -> Annotations {
        waterfall::annotations(simulation.nodes())
    }

    const CHARTED: bool = true;

    fn charts(simulation: &Simulation<TraceProcess, TracingChecker>) -> Vec<Chart> {
        collector_of(simulation)
            .map(|collector| sampling_charts(collector.sampling()))
            .unwrap_or_default()
    }
}
