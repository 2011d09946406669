//! The vocabulary of the partial-failures topic: the three tiers and the
//! client, the two chains that run side by side, what travels between them,
//! the timers, and the backend faults a person or a preset injects.

use std::fmt;

use crate::sim::action::{Operation, RawOperation};
use crate::sim::node::Labelled;
use crate::sim::time::{NodeId, Time};
use crate::traffic::request::{RequestId, TraceContext};
use crate::traffic::service::WorkId;

/// The frontend tier: the client calls it.
pub const FRONTEND: NodeId = NodeId(0);
/// The middle tier: the frontend calls it, it calls the backend.
pub const MIDDLE: NodeId = NodeId(1);
/// The backend: it does the work the two tiers above it wait for.
pub const BACKEND: NodeId = NodeId(2);
/// The client sending the same open-loop traffic down both chains.
pub const CLIENT: NodeId = NodeId(3);

/// The retrying layers between a client request and the backend (client,
/// frontend, middle): each multiplies the attempts below it.
pub const RETRYING_LAYERS: u32 = 3;

/// One of the two identical chains that share the tiers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Chain {
    /// Retries as the parameters say: backoff, budget, hedging, deadlines.
    Guarded,
    /// The same timeouts and attempts, retried after plain exponential
    /// backoff, with no budget, no hedging and no deadline propagation.
    Naive,
}

impl Chain {
    pub const BOTH: [Chain; 2] = [Chain::Guarded, Chain::Naive];

    pub fn index(self) -> usize {
        match self {
            Chain::Guarded => 0,
            Chain::Naive => 1,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Chain::Guarded => "guarded",
            Chain::Naive => "naive",
        }
    }
}

/// The tier a node plays, from its id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    Frontend,
    Middle,
    Backend,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Frontend => "frontend",
            Tier::Middle => "middle",
            Tier::Backend => "backend",
        }
    }

    /// Who this tier calls, if anyone.
    pub fn downstream(self) -> Option<NodeId> {
        match self {
            Tier::Frontend => Some(MIDDLE),
            Tier::Middle => Some(BACKEND),
            Tier::Backend => None,
        }
    }

    /// Who calls this tier.
    pub fn upstream(self) -> NodeId {
        match self {
            Tier::Frontend => CLIENT,
            Tier::Middle => FRONTEND,
            Tier::Backend => MIDDLE,
        }
    }
}

/// What a tier answers an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reply {
    Ok,
    /// The work failed, or every attempt below failed (a 500).
    Error,
    /// The queue is full or the service refuses work (a 503, at once).
    Unavailable,
}

/// Everything that travels on the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PartialMessage {
    /// An attempt: the caller's id for it, the deadline it propagates (gRPC
    /// `grpc-timeout`, here as an instant), and its trace context.
    /// `root_deadline` is when the client stops waiting for the attempt this
    /// one serves: the checker's ground truth, which the protocol never reads
    /// (the `no-deadline-propagation` bug drops `deadline`, never this).
    Request {
        chain: Chain,
        attempt: RequestId,
        deadline: Option<Time>,
        root_deadline: Time,
        trace: TraceContext,
    },
    Reply {
        chain: Chain,
        attempt: RequestId,
        reply: Reply,
    },
    /// The caller got its answer from the other copy of a hedged request:
    /// drop this one if it has not started.
    Cancel { chain: Chain, attempt: RequestId },
    /// A restarted tier tells its caller that the calls it had are gone, as
    /// a reset connection (or HTTP/2 GOAWAY) fails every call on it at once.
    GoAway,
}

impl Labelled for PartialMessage {
    fn kind(&self) -> &'static str {
        match self {
            PartialMessage::Request { .. } => "Request",
            PartialMessage::Reply { .. } => "Reply",
            PartialMessage::Cancel { .. } => "Cancel",
            PartialMessage::GoAway => "GoAway",
        }
    }

    fn label(&self) -> String {
        match self {
            PartialMessage::Request {
                chain,
                attempt,
                deadline,
                ..
            } => match deadline {
                Some(deadline) => {
                    format!("{} a{} (deadline {deadline})", chain.as_str(), attempt.0)
                }
                None => format!("{} a{}", chain.as_str(), attempt.0),
            },
            PartialMessage::Reply {
                chain,
                attempt,
                reply,
            } => format!(
                "{} a{}: {}",
                chain.as_str(),
                attempt.0,
                match reply {
                    Reply::Ok => "200",
                    Reply::Error => "500",
                    Reply::Unavailable => "503",
                }
            ),
            PartialMessage::Cancel { chain, attempt } => {
                format!("cancel {} a{}", chain.as_str(), attempt.0)
            }
            PartialMessage::GoAway => "GoAway: calls in flight are lost".to_string(),
        }
    }
}

/// A call a caller is working on, by its own numbering.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CallId(pub u64);

/// Every timer of every process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PartialTimer {
    /// Client: send the next request.
    NextRequest,
    /// Caller: attempt `id` got no answer in time.
    AttemptTimeout(Chain, RequestId),
    /// Caller: the backoff before call `id`'s next attempt is over.
    Retry(Chain, CallId),
    /// Caller: call `id` has waited the observed p95: send a hedge.
    Hedge(Chain, CallId),
    /// Tier: work `work` of the chain's service is done.
    WorkDone(Chain, WorkId),
}

impl Labelled for PartialTimer {
    fn kind(&self) -> &'static str {
        match self {
            PartialTimer::NextRequest => "next-request",
            PartialTimer::AttemptTimeout(..) => "attempt-timeout",
            PartialTimer::Retry(..) => "retry",
            PartialTimer::Hedge(..) => "hedge",
            PartialTimer::WorkDone(..) => "work-done",
        }
    }

    fn label(&self) -> String {
        match self {
            PartialTimer::NextRequest => "send the next request".to_string(),
            PartialTimer::AttemptTimeout(chain, id) => {
                format!("no answer to {} a{}", chain.as_str(), id.0)
            }
            PartialTimer::Retry(chain, call) => format!("retry {} call {}", chain.as_str(), call.0),
            PartialTimer::Hedge(chain, call) => format!("hedge {} call {}", chain.as_str(), call.0),
            PartialTimer::WorkDone(chain, work) => {
                format!("work {} done ({})", work.0, chain.as_str())
            }
        }
    }
}

/// A fault injected into the backend (both chains' copies at once), from the
/// page's buttons or a preset's script.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendOp {
    /// It runs at this percentage of its capacity (1 to 100).
    BrownOut { capacity_percent: u8 },
    /// It refuses every request with a 503 at once.
    Outage,
    /// A bimodal service time: some requests take a slow path.
    SlowTail,
    /// Every fault is lifted.
    Recover,
}

const BROWN_OUT_CODE: u32 = 1;
const OUTAGE_CODE: u32 = 2;
const SLOW_TAIL_CODE: u32 = 3;
const RECOVER_CODE: u32 = 4;

impl fmt::Display for BackendOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BackendOp::BrownOut { capacity_percent } => {
                write!(f, "backend brown-out to {capacity_percent}% capacity")
            }
            BackendOp::Outage => write!(f, "backend outage (503 to everything)"),
            BackendOp::SlowTail => write!(f, "backend slow tail"),
            BackendOp::Recover => write!(f, "backend recovers"),
        }
    }
}

impl Operation for BackendOp {
    fn to_raw(&self) -> RawOperation {
        match *self {
            BackendOp::BrownOut { capacity_percent } => {
                RawOperation::new(BROWN_OUT_CODE, &[u64::from(capacity_percent)])
            }
            BackendOp::Outage => RawOperation::new(OUTAGE_CODE, &[]),
            BackendOp::SlowTail => RawOperation::new(SLOW_TAIL_CODE, &[]),
            BackendOp::Recover => RawOperation::new(RECOVER_CODE, &[]),
        }
    }

    fn from_raw(raw: &RawOperation) -> Option<Self> {
        match (raw.code, raw.args.as_slice()) {
            (BROWN_OUT_CODE, [percent]) if (1..=100).contains(percent) => {
                Some(BackendOp::BrownOut {
                    capacity_percent: *percent as u8,
                })
            }
            (OUTAGE_CODE, []) => Some(BackendOp::Outage),
            (SLOW_TAIL_CODE, []) => Some(BackendOp::SlowTail),
            (RECOVER_CODE, []) => Some(BackendOp::Recover),
            _ => None,
        }
    }
}
