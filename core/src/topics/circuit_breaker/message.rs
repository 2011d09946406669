//! The vocabulary of the circuit-breaker topic: the two chains, what travels
//! between the client, the callers and the downstream, the timers, and the
//! downstream faults a person or a preset injects.

use std::fmt;

use crate::sim::action::{Operation, RawOperation};
use crate::sim::node::Labelled;
use crate::sim::time::{NodeId, Time};
use crate::traffic::request::{Request, RequestId};
use crate::traffic::service::WorkId;

/// The caller with the circuit breaker (and retries through it).
pub const CALLER_WITH_BREAKER: NodeId = NodeId(0);
/// The caller without one (retries only).
pub const CALLER_WITHOUT_BREAKER: NodeId = NodeId(1);
/// The downstream service, one identical copy per chain.
pub const DOWNSTREAM: NodeId = NodeId(2);
/// The client sending the same open-loop traffic down both chains.
pub const CLIENT: NodeId = NodeId(3);

/// One of the two identical chains: client → caller → its copy of the
/// downstream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Chain {
    /// Through the caller with the breaker.
    WithBreaker,
    /// Through the caller with retries only.
    WithoutBreaker,
}

impl Chain {
    pub const BOTH: [Chain; 2] = [Chain::WithBreaker, Chain::WithoutBreaker];

    pub fn index(self) -> usize {
        match self {
            Chain::WithBreaker => 0,
            Chain::WithoutBreaker => 1,
        }
    }

    pub fn caller(self) -> NodeId {
        match self {
            Chain::WithBreaker => CALLER_WITH_BREAKER,
            Chain::WithoutBreaker => CALLER_WITHOUT_BREAKER,
        }
    }

    /// The chain whose caller is `node`, if it is a caller.
    pub fn of_caller(node: NodeId) -> Option<Chain> {
        match node {
            CALLER_WITH_BREAKER => Some(Chain::WithBreaker),
            CALLER_WITHOUT_BREAKER => Some(Chain::WithoutBreaker),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Chain::WithBreaker => "with breaker",
            Chain::WithoutBreaker => "without breaker",
        }
    }
}

/// How a caller answers its client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// The downstream answered in time.
    Ok,
    /// Every attempt failed (an error, a full queue or no answer in time).
    Failed,
    /// The breaker refused the call: failed fast, without touching the
    /// downstream.
    Rejected,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Failed => "failed",
            Verdict::Rejected => "rejected fast",
        }
    }
}

/// What the downstream answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reply {
    Ok,
    /// The injected error rate failed the request (a 500).
    Error,
    /// The queue is full (a 503, at once).
    Overloaded,
}

/// Everything that travels on the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BreakerMessage {
    /// Client to caller: a request of the workload (both callers get it).
    Call(Request),
    /// Caller to client: how request `id`, sent at `sent_at` by the client's
    /// clock, ended after `attempts` attempts.
    Answer {
        id: RequestId,
        sent_at: Time,
        verdict: Verdict,
        attempts: u32,
    },
    /// Caller to downstream: one attempt (its own id) of a client's request.
    /// `probe` marks a half-open breaker's trial call, for the timeline.
    Attempt { request: Request, probe: bool },
    /// Downstream to caller: the attempt's result.
    Result { id: RequestId, reply: Reply },
}

impl Labelled for BreakerMessage {
    fn kind(&self) -> &'static str {
        match self {
            BreakerMessage::Call(_) => "Call",
            BreakerMessage::Answer { .. } => "Answer",
            BreakerMessage::Attempt { .. } => "Attempt",
            BreakerMessage::Result { .. } => "Result",
        }
    }

    fn label(&self) -> String {
        match self {
            BreakerMessage::Call(request) => format!("Call {}", request.id),
            BreakerMessage::Answer {
                id,
                verdict,
                attempts,
                ..
            } => format!("{id}: {} after {attempts} attempts", verdict.as_str()),
            BreakerMessage::Attempt { request, probe } => {
                let probe = if *probe { " (probe)" } else { "" };
                format!("Attempt a{}{probe}", request.id.0)
            }
            BreakerMessage::Result { id, reply } => format!(
                "a{}: {}",
                id.0,
                match reply {
                    Reply::Ok => "200",
                    Reply::Error => "500 error",
                    Reply::Overloaded => "503 queue full",
                }
            ),
        }
    }
}

/// Every timer of every process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BreakerTimer {
    /// Client: send the next request.
    NextRequest,
    /// Caller: attempt `id` got no answer in time.
    AttemptTimeout(RequestId),
    /// Caller: the backoff before the next attempt of the client's request
    /// `id` is over.
    Retry(RequestId),
    /// Caller: the cool-down of the breaker's opening number `opening` is over.
    CoolDown(u32),
    /// Downstream: work `work` of `chain`'s copy is done.
    WorkDone(Chain, WorkId),
}

impl Labelled for BreakerTimer {
    fn kind(&self) -> &'static str {
        match self {
            BreakerTimer::NextRequest => "next-request",
            BreakerTimer::AttemptTimeout(_) => "attempt-timeout",
            BreakerTimer::Retry(_) => "retry",
            BreakerTimer::CoolDown(_) => "cool-down",
            BreakerTimer::WorkDone(..) => "work-done",
        }
    }

    fn label(&self) -> String {
        match self {
            BreakerTimer::NextRequest => "send the next request".to_string(),
            BreakerTimer::AttemptTimeout(id) => format!("no answer to attempt a{}", id.0),
            BreakerTimer::Retry(id) => format!("retry {id}"),
            BreakerTimer::CoolDown(opening) => format!("cool-down {opening} over"),
            BreakerTimer::WorkDone(chain, work) => {
                format!("work {} done ({})", work.0, chain.as_str())
            }
        }
    }
}

/// A fault injected into the downstream (both copies at once), from the
/// page's buttons or a preset's script.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DownstreamOp {
    /// It hangs: it still queues requests (up to its limit; beyond it
    /// answers 503) but answers none until it recovers.
    Outage,
    /// Every fault is lifted.
    Recover,
    /// It runs at this percentage of its capacity (1 to 100).
    BrownOut { capacity_percent: u8 },
    /// This percentage of requests fails (0 to 100).
    Errors { percent: u8 },
}

const OUTAGE_CODE: u32 = 1;
const RECOVER_CODE: u32 = 2;
const BROWN_OUT_CODE: u32 = 3;
const ERRORS_CODE: u32 = 4;

impl fmt::Display for DownstreamOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DownstreamOp::Outage => write!(f, "downstream outage"),
            DownstreamOp::Recover => write!(f, "downstream recovers"),
            DownstreamOp::BrownOut { capacity_percent } => {
                write!(f, "downstream brown-out to {capacity_percent}% capacity")
            }
            DownstreamOp::Errors { percent } => {
                write!(f, "downstream fails {percent}% of requests")
            }
        }
    }
}

impl Operation for DownstreamOp {
    fn to_raw(&self) -> RawOperation {
        match *self {
            DownstreamOp::Outage => RawOperation::new(OUTAGE_CODE, &[]),
            DownstreamOp::Recover => RawOperation::new(RECOVER_CODE, &[]),
            DownstreamOp::BrownOut { capacity_percent } => {
                RawOperation::new(BROWN_OUT_CODE, &[u64::from(capacity_percent)])
            }
            DownstreamOp::Errors { percent } => {
                RawOperation::new(ERRORS_CODE, &[u64::from(percent)])
            }
        }
    }

    fn from_raw(raw: &RawOperation) -> Option<Self> {
        let percent = |range: std::ops::RangeInclusive<u64>| match raw.args.as_slice() {
            [value] if range.contains(value) => Some(*value as u8),
            _ => None,
        };
        match raw.code {
            OUTAGE_CODE if raw.args.is_empty() => Some(DownstreamOp::Outage),
            RECOVER_CODE if raw.args.is_empty() => Some(DownstreamOp::Recover),
            BROWN_OUT_CODE => {
                percent(1..=100).map(|capacity_percent| DownstreamOp::BrownOut { capacity_percent })
            }
            ERRORS_CODE => percent(0..=100).map(|percent| DownstreamOp::Errors { percent }),
            _ => None,
        }
    }
}
