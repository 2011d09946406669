//! The vocabulary of the service-mesh topic: the two planes (the same shop
//! with and without a mesh), the workloads and their SPIFFE identities, what
//! travels between them, the timers, and the operations a person or a preset
//! sends.

use std::fmt;

use crate::sim::action::{Operation, RawOperation};
use crate::sim::node::Labelled;
use crate::sim::time::{NodeId, Time};
use crate::traffic::request::{Request, RequestId};
use crate::traffic::service::WorkId;

/// The client of the shop, outside the mesh.
pub const CLIENT: NodeId = NodeId(5);
/// A workload of the mesh whose identity the policy does not allow to call
/// payments.
pub const ROGUE: NodeId = NodeId(6);
/// The services, in node order (nodes 0 to 4).
pub const SERVICES: [Workload; 5] = [
    Workload::Gateway,
    Workload::Frontend,
    Workload::Catalog,
    Workload::Cart,
    Workload::Payments,
];

/// One of the two identical copies of the shop in a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Plane {
    /// Every service has a sidecar: retries, timeouts, circuit breaking,
    /// traffic split, mTLS and the authorization policy.
    Mesh,
    /// The same services calling each other directly: one attempt with the
    /// same timeouts, no limits, no canary, no identity check.
    Bare,
}

impl Plane {
    pub const BOTH: [Plane; 2] = [Plane::Mesh, Plane::Bare];

    pub fn index(self) -> usize {
        match self {
            Plane::Mesh => 0,
            Plane::Bare => 1,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Plane::Mesh => "mesh",
            Plane::Bare => "no mesh",
        }
    }
}

/// A workload: what a SPIFFE id names and what the policy speaks of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Workload {
    Gateway,
    Frontend,
    Catalog,
    Cart,
    Payments,
    /// The shop's customers: outside the mesh, no workload identity.
    Client,
    /// A workload of the trust domain (a batch job, a compromised pod) with
    /// a valid certificate but no business calling payments.
    Rogue,
}

/// How many workloads there are (for per-identity counters).
pub const WORKLOADS: usize = 7;

impl Workload {
    pub fn index(self) -> usize {
        self as usize
    }

    /// The workload running on `node`.
    pub fn of_node(node: NodeId) -> Option<Workload> {
        match node.index() {
            i if i < SERVICES.len() => Some(SERVICES[i]),
            5 => Some(Workload::Client),
            6 => Some(Workload::Rogue),
            _ => None,
        }
    }

    /// The node it runs on.
    pub fn node(self) -> NodeId {
        NodeId(self.index() as u32)
    }

    pub fn name(self) -> &'static str {
        match self {
            Workload::Gateway => "gateway",
            Workload::Frontend => "frontend",
            Workload::Catalog => "catalog",
            Workload::Cart => "cart",
            Workload::Payments => "payments",
            Workload::Client => "client",
            Workload::Rogue => "batch-job",
        }
    }

    /// Its SPIFFE id (`spiffe://trust-domain/path`), as its certificate
    /// carries it; the client, outside the mesh, has none.
    pub fn spiffe_id(self) -> String {
        match self {
            Workload::Client => "anonymous (no client certificate)".to_string(),
            other => format!("spiffe://shop.example/ns/shop/sa/{}", other.name()),
        }
    }
}

/// The version of a service a call is routed to (only the catalog has a
/// canary).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    Stable,
    Canary,
}

impl Version {
    pub fn index(self) -> usize {
        match self {
            Version::Stable => 0,
            Version::Canary => 1,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Version::Stable => "v1",
            Version::Canary => "v2 (canary)",
        }
    }
}

/// What the client's request is for: it decides the path through the shop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// gateway → frontend → catalog.
    Browse,
    /// gateway → frontend → cart → payments.
    Checkout,
}

/// How a call ended, as an HTTP status would say it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// 200.
    Ok,
    /// 500 from the application, or 502 when its own upstream call failed.
    Error,
    /// 503: a full queue, or the sidecar's circuit breaker overflowed.
    Overloaded,
    /// 403: the authorization policy does not allow the caller.
    Denied,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "200",
            Status::Error => "500",
            Status::Overloaded => "503",
            Status::Denied => "403 denied",
        }
    }
}

/// Everything that travels on the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MeshMessage {
    /// A call to a service. `source` is the caller's workload as its mTLS
    /// certificate proves it; `attempt` is the `x-envoy-attempt-count`
    /// header (1 for a first attempt), which the caller writes.
    Call {
        plane: Plane,
        request: Request,
        source: Workload,
        attempt: u32,
        kind: Kind,
        version: Version,
    },
    /// The answer to call `id`, sent at `sent_at` by its caller's clock.
    Reply {
        plane: Plane,
        id: RequestId,
        sent_at: Time,
        status: Status,
    },
}

impl Labelled for MeshMessage {
    fn kind(&self) -> &'static str {
        match self {
            MeshMessage::Call { .. } => "Call",
            MeshMessage::Reply { .. } => "Reply",
        }
    }

    fn label(&self) -> String {
        match self {
            MeshMessage::Call {
                plane,
                request,
                attempt,
                version,
                ..
            } => {
                let version = match version {
                    Version::Canary => " to v2",
                    Version::Stable => "",
                };
                let attempt = if *attempt > 1 {
                    format!(" (attempt {attempt})")
                } else {
                    String::new()
                };
                format!("{} {}{version}{attempt}", plane.as_str(), request.id)
            }
            MeshMessage::Reply {
                plane, id, status, ..
            } => format!("{} {id}: {}", plane.as_str(), status.as_str()),
        }
    }
}

/// Every timer of every process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MeshTimer {
    /// Client: send the next request.
    NextRequest,
    /// Service: work `work` of the application of `plane` and `version` is done.
    WorkDone(Plane, Version, WorkId),
    /// Sidecar or application: no answer to attempt `id` in time.
    TryTimeout(Plane, RequestId),
    /// Sidecar: the backoff before the next attempt of call `id` is over.
    Retry(Plane, RequestId),
    /// Frontend's sidecar: the rollout's step number `step` is due.
    RolloutStep(u32),
    /// Rogue: make its next call.
    RogueNext,
}

impl Labelled for MeshTimer {
    fn kind(&self) -> &'static str {
        match self {
            MeshTimer::NextRequest => "next-request",
            MeshTimer::WorkDone(..) => "work-done",
            MeshTimer::TryTimeout(..) => "try-timeout",
            MeshTimer::Retry(..) => "retry",
            MeshTimer::RolloutStep(_) => "rollout-step",
            MeshTimer::RogueNext => "rogue-next",
        }
    }

    fn label(&self) -> String {
        match self {
            MeshTimer::NextRequest => "send the next request".to_string(),
            MeshTimer::WorkDone(plane, version, work) => {
                format!(
                    "work {} done ({}, {})",
                    work.0,
                    plane.as_str(),
                    version.as_str()
                )
            }
            MeshTimer::TryTimeout(plane, id) => {
                format!("no answer to {id} in time ({})", plane.as_str())
            }
            MeshTimer::Retry(plane, id) => format!("retry {id} ({})", plane.as_str()),
            MeshTimer::RolloutStep(step) => format!("rollout step {step} due"),
            MeshTimer::RogueNext => "the batch job calls payments".to_string(),
        }
    }
}

/// What a person or a preset does to the shop (both planes at once).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MeshOp {
    /// The catalog's canary fails this percentage of its requests.
    BadCanary { percent: u8 },
    /// The rogue workload calls payments this many times.
    Rogue { calls: u8 },
    /// Payments runs at this percentage of its capacity (1 to 100).
    BrownOut { capacity_percent: u8 },
    /// Every injected fault of the service is lifted.
    Recover,
}

const BAD_CANARY_CODE: u32 = 1;
const ROGUE_CODE: u32 = 2;
const BROWN_OUT_CODE: u32 = 3;
const RECOVER_CODE: u32 = 4;

impl fmt::Display for MeshOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MeshOp::BadCanary { percent } => write!(f, "the canary fails {percent}% of requests"),
            MeshOp::Rogue { calls } => write!(f, "the batch job calls payments {calls} times"),
            MeshOp::BrownOut { capacity_percent } => {
                write!(f, "brown-out to {capacity_percent}% capacity")
            }
            MeshOp::Recover => write!(f, "faults lifted"),
        }
    }
}

impl Operation for MeshOp {
    fn to_raw(&self) -> RawOperation {
        match *self {
            MeshOp::BadCanary { percent } => {
                RawOperation::new(BAD_CANARY_CODE, &[u64::from(percent)])
            }
            MeshOp::Rogue { calls } => RawOperation::new(ROGUE_CODE, &[u64::from(calls)]),
            MeshOp::BrownOut { capacity_percent } => {
                RawOperation::new(BROWN_OUT_CODE, &[u64::from(capacity_percent)])
            }
            MeshOp::Recover => RawOperation::new(RECOVER_CODE, &[]),
        }
    }

    fn from_raw(raw: &RawOperation) -> Option<Self> {
        let value = |range: std::ops::RangeInclusive<u64>| match raw.args.as_slice() {
            [value] if range.contains(value) => Some(*value as u8),
            _ => None,
        };
        match raw.code {
            BAD_CANARY_CODE => value(0..=100).map(|percent| MeshOp::BadCanary { percent }),
            ROGUE_CODE => value(1..=50).map(|calls| MeshOp::Rogue { calls }),
            BROWN_OUT_CODE => {
                value(1..=100).map(|capacity_percent| MeshOp::BrownOut { capacity_percent })
            }
            RECOVER_CODE if raw.args.is_empty() => Some(MeshOp::Recover),
            _ => None,
        }
    }
}
