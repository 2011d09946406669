//! The vocabulary of the multi-tenancy topic: tenants, the isolation models
//! and schedulers, what travels between tenants and servers, the timers, and
//! the operations a person or a preset sends.

use std::fmt;

use crate::sim::action::{Operation, RawOperation};
use crate::sim::node::Labelled;
use crate::sim::time::Time;
use crate::traffic::request::{Request, RequestId};
use crate::traffic::service::WorkId;

/// A tenant's number, from 0 (tenant 0 is the one that can turn noisy).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TenantId(pub u8);

impl TenantId {
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t{}", self.0)
    }
}

/// The largest request, in work units (sizes are 1 to this).
pub const MAX_SIZE: u32 = 4;

/// How tenants share the workers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isolation {
    /// One queue and one pool of workers for everyone.
    SharedPool,
    /// A queue per tenant and one pool; the scheduler picks among the queues.
    TenantQueues,
    /// The workers partitioned among the tenants, each part with its queue.
    TenantPools,
    /// Tenants mapped to cells; each cell a separate server with its own pool
    /// and a queue per tenant.
    Cells,
}

impl Isolation {
    pub const ALL: [Isolation; 4] = [
        Isolation::SharedPool,
        Isolation::TenantQueues,
        Isolation::TenantPools,
        Isolation::Cells,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Isolation::SharedPool => "shared pool",
            Isolation::TenantQueues => "per-tenant queues",
            Isolation::TenantPools => "per-tenant pools",
            Isolation::Cells => "cells",
        }
    }
}

/// Which waiting request a free worker takes, among a pool's queues.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Discipline {
    /// The one that arrived first, whoever sent it.
    Fifo,
    /// The smallest virtual finish time (weighted fair queuing).
    WeightedFair,
    /// Deficit round robin: queues take turns, each turn worth quantum × weight.
    DeficitRoundRobin,
}

impl Discipline {
    pub const ALL: [Discipline; 3] = [
        Discipline::Fifo,
        Discipline::WeightedFair,
        Discipline::DeficitRoundRobin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Discipline::Fifo => "FIFO",
            Discipline::WeightedFair => "WFQ",
            Discipline::DeficitRoundRobin => "DRR",
        }
    }
}

/// Why a server turned a request away.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// The tenant's token bucket was empty (HTTP 429).
    RateLimited,
    /// The tenant used its quota for this window (HTTP 429).
    OverQuota,
    /// The queue the request would wait in is full (HTTP 503).
    QueueFull,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::RateLimited => "rate limited",
            Refusal::OverQuota => "over quota",
            Refusal::QueueFull => "queue full",
        }
    }
}

/// Everything that travels on the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TenancyMessage {
    /// Tenant to server: a request of `size` work units.
    Call {
        tenant: TenantId,
        request: Request,
        size: u8,
    },
    /// Server to tenant: request `id`, sent at `sent_at` by the tenant's
    /// clock, was served (`None`) or refused.
    Answer {
        id: RequestId,
        sent_at: Time,
        refused: Option<Refusal>,
    },
}

impl Labelled for TenancyMessage {
    fn kind(&self) -> &'static str {
        match self {
            TenancyMessage::Call { .. } => "Call",
            TenancyMessage::Answer { refused: None, .. } => "Served",
            TenancyMessage::Answer { .. } => "Refused",
        }
    }

    fn label(&self) -> String {
        match self {
            TenancyMessage::Call {
                tenant,
                request,
                size,
            } => format!("{tenant} {} (size {size})", request.id),
            TenancyMessage::Answer { id, refused, .. } => match refused {
                None => format!("{id} served"),
                Some(refusal) => format!("{id} {}", refusal.as_str()),
            },
        }
    }
}

/// Every timer of every process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TenancyTimer {
    /// Tenant: send the next request of the workload.
    NextRequest,
    /// Server: work `1` of pool `0` is done.
    WorkDone(u8, WorkId),
}

impl Labelled for TenancyTimer {
    fn kind(&self) -> &'static str {
        match self {
            TenancyTimer::NextRequest => "next-request",
            TenancyTimer::WorkDone(..) => "work-done",
        }
    }

    fn label(&self) -> String {
        match self {
            TenancyTimer::NextRequest => "send the next request".to_string(),
            TenancyTimer::WorkDone(pool, work) => format!("work {} of pool {pool} done", work.0),
        }
    }
}

/// What a person or a preset asks of a tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TenancyOp {
    /// The tenant's rate jumps by the noise factor.
    NoisyOn,
    /// Back to its usual rate.
    NoisyOff,
    /// It sends this many requests at once (1 to [`MAX_BURST`]).
    Burst(u32),
}

/// The largest burst an operation may ask for.
pub const MAX_BURST: u32 = 200;

const NOISY_ON_CODE: u32 = 1;
const NOISY_OFF_CODE: u32 = 2;
const BURST_CODE: u32 = 3;

impl fmt::Display for TenancyOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TenancyOp::NoisyOn => write!(f, "noisy neighbour on"),
            TenancyOp::NoisyOff => write!(f, "noisy neighbour off"),
            TenancyOp::Burst(size) => write!(f, "burst of {size} requests"),
        }
    }
}

impl Operation for TenancyOp {
    fn to_raw(&self) -> RawOperation {
        match *self {
            TenancyOp::NoisyOn => RawOperation::new(NOISY_ON_CODE, &[]),
            TenancyOp::NoisyOff => RawOperation::new(NOISY_OFF_CODE, &[]),
            TenancyOp::Burst(size) => RawOperation::new(BURST_CODE, &[u64::from(size)]),
        }
    }

    fn from_raw(raw: &RawOperation) -> Option<Self> {
        match (raw.code, raw.args.as_slice()) {
            (NOISY_ON_CODE, []) => Some(TenancyOp::NoisyOn),
            (NOISY_OFF_CODE, []) => Some(TenancyOp::NoisyOff),
            (BURST_CODE, [size]) if (1..=u64::from(MAX_BURST)).contains(size) => {
                Some(TenancyOp::Burst(*size as u32))
            }
            _ => None,
        }
    }
}
