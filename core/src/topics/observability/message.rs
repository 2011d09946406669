//! The vocabulary of the observability topic: the three services and where
//! their hosts sit, what travels (calls and replies carrying trace context,
//! and the hosts' metric reports to the monitor), the timers, and the faults
//! a person or a preset injects into a host.

use std::fmt;

use crate::sim::action::{Operation, RawOperation};
use crate::sim::node::Labelled;
use crate::sim::time::{NodeId, Time};
use crate::traffic::request::{Request, RequestId};
use crate::traffic::service::WorkId;
use crate::traffic::sketch::LatencySketch;

/// Hosts per service: a fleet, so a fleet percentile merges several hosts.
pub const HOSTS_PER_SERVICE: u32 = 2;
/// Every host, `0..HOSTS`: the nodes the fault plan crashes and partitions.
pub const HOSTS: u32 = 3 * HOSTS_PER_SERVICE;
/// The metrics backend: it receives the reports, keeps the time series,
/// computes the fleet percentiles and burn rates and fires the alerts.
pub const MONITOR: NodeId = NodeId(HOSTS);
/// The users: open-loop traffic to every service.
pub const CLIENT: NodeId = NodeId(HOSTS + 1);

/// One of the simulated system's services.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ServiceName {
    Frontend,
    Search,
    Payments,
}

impl ServiceName {
    pub const ALL: [ServiceName; 3] = [
        ServiceName::Frontend,
        ServiceName::Search,
        ServiceName::Payments,
    ];

    pub fn index(self) -> usize {
        match self {
            ServiceName::Frontend => 0,
            ServiceName::Search => 1,
            ServiceName::Payments => 2,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ServiceName::Frontend => "frontend",
            ServiceName::Search => "search",
            ServiceName::Payments => "payments",
        }
    }

    /// The service host `node` belongs to, if it is a host.
    pub fn of_host(node: NodeId) -> Option<ServiceName> {
        (node.0 < HOSTS).then(|| Self::ALL[(node.0 / HOSTS_PER_SERVICE) as usize])
    }

    /// The hosts of this service.
    pub fn hosts(self) -> impl Iterator<Item = NodeId> {
        let first = self.index() as u32 * HOSTS_PER_SERVICE;
        (first..first + HOSTS_PER_SERVICE).map(NodeId)
    }
}

/// One request that fell in a histogram bucket: the bucket's exemplar, so a
/// dashboard can jump from a slow bucket to one request that made it
/// (OpenMetrics exemplars).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Exemplar {
    pub trace_id: u64,
    pub request: RequestId,
    pub host: NodeId,
    /// When it arrived at the host, by the host's clock.
    pub arrived_at: Time,
    pub micros: u64,
}

/// What a host pushes to the monitor at the end of each interval.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub service: ServiceName,
    /// How many times the host has started: a new value means its counters
    /// began again at zero (a process restart).
    pub boots: u32,
    /// Reports of this boot, from 1: the monitor drops a stale or repeated one.
    pub seq: u64,
    /// The interval the report covers (its index from time zero, by the
    /// host's clock).
    pub interval: u64,
    /// Counters since the host started: requests answered, and those answered
    /// with an error (RED's rate and errors).
    pub requests_total: u64,
    pub errors_total: u64,
    /// A gauge: requests queued or in service at the host as it reports. A
    /// level, not a count: read as sampled, never differenced or reset-fixed.
    pub in_flight: u32,
    /// The interval's request durations in milliseconds (RED's duration).
    pub sketch: LatencySketch,
    /// The same durations exactly, in microseconds, sorted: the ground truth
    /// the sketch is checked against, at most [`SAMPLE_LIMIT`] of them.
    pub sample: Vec<u64>,
    /// More than [`SAMPLE_LIMIT`] requests: the sample is not the whole interval.
    pub truncated: bool,
    /// The interval's requests per dashboard bucket ([`BUCKET_BOUNDS_MS`]).
    pub buckets: [u64; BUCKETS],
    /// Each bucket's exemplar: its newest request this interval.
    pub bucket_exemplars: [Option<Exemplar>; BUCKETS],
}

/// The dashboard histogram's upper bounds in milliseconds (Prometheus `le`
/// buckets); one more bucket holds everything slower.
pub const BUCKET_BOUNDS_MS: [u64; 6] = [5, 10, 25, 50, 100, 250];
/// Buckets of the dashboard histogram.
pub const BUCKETS: usize = BUCKET_BOUNDS_MS.len() + 1;

/// The dashboard bucket of a request that took `micros`.
pub fn bucket_of(micros: u64) -> usize {
    BUCKET_BOUNDS_MS
        .iter()
        .position(|&bound| micros <= bound * 1_000)
        .unwrap_or(BUCKET_BOUNDS_MS.len())
}

/// The most exact durations a host keeps per interval.
pub const SAMPLE_LIMIT: usize = 256;

/// Everything that travels on the network.
#[derive(Clone, Debug, PartialEq)]
pub enum ObservabilityMessage {
    /// Client to host: a user's request, with its trace context.
    Call {
        service: ServiceName,
        request: Request,
    },
    /// Host to client: the answer (an HTTP status) to request `id`.
    Reply {
        id: RequestId,
        trace_id: u64,
        status: u16,
    },
    /// Host to monitor: the interval's metrics (boxed: a sketch is large).
    Report(Box<Report>),
}

/// A trace id as dashboards print it: its first 24 bits in hex.
pub fn short_trace(trace_id: u64) -> String {
    format!("{:06x}", trace_id >> 40)
}

impl Labelled for ObservabilityMessage {
    fn kind(&self) -> &'static str {
        match self {
            ObservabilityMessage::Call { .. } => "Call",
            ObservabilityMessage::Reply { .. } => "Reply",
            ObservabilityMessage::Report(_) => "Report",
        }
    }

    fn label(&self) -> String {
        match self {
            ObservabilityMessage::Call { service, request } => format!(
                "{} {} trace {}",
                service.as_str(),
                request.id,
                short_trace(request.trace.trace_id)
            ),
            ObservabilityMessage::Reply {
                id,
                trace_id,
                status,
            } => format!("{id}: {status} trace {}", short_trace(*trace_id)),
            ObservabilityMessage::Report(report) => format!(
                "metrics i{}: {} req, {} err total",
                report.interval, report.requests_total, report.errors_total
            ),
        }
    }
}

/// Every timer of every process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ObservabilityTimer {
    /// Client: the next request to this service.
    NextCall(ServiceName),
    /// Host: a request's work is done.
    WorkDone(WorkId),
    /// Host: the interval is over; push its metrics.
    Report,
    /// Monitor: evaluate the interval that just closed.
    Evaluate,
}

impl Labelled for ObservabilityTimer {
    fn kind(&self) -> &'static str {
        match self {
            ObservabilityTimer::NextCall(_) => "next-call",
            ObservabilityTimer::WorkDone(_) => "work-done",
            ObservabilityTimer::Report => "report",
            ObservabilityTimer::Evaluate => "evaluate",
        }
    }

    fn label(&self) -> String {
        match self {
            ObservabilityTimer::NextCall(service) => format!("call {}", service.as_str()),
            ObservabilityTimer::WorkDone(work) => format!("work {} done", work.0),
            ObservabilityTimer::Report => "push the interval's metrics".to_string(),
            ObservabilityTimer::Evaluate => "evaluate rules".to_string(),
        }
    }
}

/// A fault injected into one host, from the page's buttons or a script.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostOp {
    /// This many requests per million fail with a 500 (a bad deploy).
    Errors { ppm: u32 },
    /// Every request holds its worker this many milliseconds longer.
    Slow { added_ms: u32 },
    /// Back to healthy.
    Recover,
}

const ERRORS_CODE: u32 = 1;
const SLOW_CODE: u32 = 2;
const RECOVER_CODE: u32 = 3;

/// The longest added latency an operation may ask for.
pub const MAX_ADDED_MS: u32 = 10_000;

impl fmt::Display for HostOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostOp::Errors { ppm } => {
                write!(f, "fail {}.{}% of requests", ppm / 10_000, ppm / 1_000 % 10)
            }
            HostOp::Slow { added_ms } => write!(f, "slow down by {added_ms} ms"),
            HostOp::Recover => write!(f, "recover"),
        }
    }
}

impl Operation for HostOp {
    fn to_raw(&self) -> RawOperation {
        match *self {
            HostOp::Errors { ppm } => RawOperation::new(ERRORS_CODE, &[u64::from(ppm)]),
            HostOp::Slow { added_ms } => RawOperation::new(SLOW_CODE, &[u64::from(added_ms)]),
            HostOp::Recover => RawOperation::new(RECOVER_CODE, &[]),
        }
    }

    fn from_raw(raw: &RawOperation) -> Option<Self> {
        let argument = |max: u64| match raw.args.as_slice() {
            [value] if *value <= max => Some(*value as u32),
            _ => None,
        };
        match raw.code {
            ERRORS_CODE => argument(1_000_000).map(|ppm| HostOp::Errors { ppm }),
            SLOW_CODE => {
                argument(u64::from(MAX_ADDED_MS)).map(|added_ms| HostOp::Slow { added_ms })
            }
            RECOVER_CODE if raw.args.is_empty() => Some(HostOp::Recover),
            _ => None,
        }
    }
}
