//! The processes of a saga run as one sans-IO [`Node`] type: node 0 is the
//! [`Orchestrator`] (orchestrated mode) or the [`Initiator`] (choreographed
//! mode), nodes 1..n are the [`Service`]s, one per step. This file holds what
//! they share (timing, retries with exponential backoff, the bug switches) and
//! dispatches; the rules are in `orchestrator.rs`, `initiator.rs` and
//! `service.rs`.

use crate::sim::node::{Cx, Node};
use crate::sim::time::{Duration, NodeId};
use crate::sim::view::{Cell, NodeSummary};

use super::initiator::Initiator;
use super::message::{SagaId, SagaMessage, SagaOp, SagaTimer};
use super::orchestrator::Orchestrator;
use super::saga_log::SagaLog;
use super::service::Service;

/// How the saga's steps are coordinated (Richardson, "Microservices
/// Patterns", section 4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// An orchestrator tells each service what to do (section 4.2.2).
    Orchestrated,
    /// Each service reacts to the previous one's events (section 4.2.1).
    Choreographed,
}

/// Timing of retries, in virtual time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// The first retry of a request or event comes this long after it was sent
    /// (with the default 10-30 ms one-way latency, an answer takes at most
    /// 60 ms)...
    pub retry_first: Duration,
    /// ...each later one twice as long after the previous, up to this.
    pub retry_max: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            retry_first: Duration::from_millis(100),
            retry_max: Duration::from_millis(1_600),
        }
    }
}

/// Deliberately broken variants; each is off in a correct run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SagaBugs {
    /// Compensations run from the first step on instead of from the last
    /// booked one back.
    pub compensate_in_forward_order: bool,
    /// A compensation is sent once: the orchestrator takes a missing answer
    /// for done, a service publishes its compensation event without keeping
    /// it in its outbox.
    pub no_retry_of_compensation: bool,
}

/// How many times each saga's request was sent again, to space the next try
/// (exponential backoff). Volatile: a restarted process starts over.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Backoff {
    attempts: Vec<(SagaId, u32)>,
}

impl Backoff {
    /// The wait before the next try for `saga`, counting this try.
    pub fn next(&mut self, saga: SagaId, timing: Timing) -> Duration {
        let attempt = match self.attempts.iter_mut().find(|(s, _)| *s == saga) {
            Some((_, attempt)) => {
                *attempt = attempt.saturating_add(1);
                *attempt
            }
            None => {
                self.attempts.push((saga, 0));
                0
            }
        };
        let factor = 1u64 << attempt.min(16);
        Duration(
            timing
                .retry_first
                .as_micros()
                .saturating_mul(factor)
                .min(timing.retry_max.as_micros()),
        )
    }

    /// `saga` made progress: its next request starts from the first wait.
    pub fn reset(&mut self, saga: SagaId) {
        self.attempts.retain(|(s, _)| *s != saga);
    }

    pub fn clear(&mut self) {
        self.attempts.clear();
    }
}

/// A process of a saga run.
#[derive(Clone, Debug)]
pub enum SagaNode {
    Orchestrator(Orchestrator),
    Initiator(Initiator),
    Service(Service),
}

impl SagaNode {
    pub fn orchestrator(&self) -> Option<&Orchestrator> {
        match self {
            SagaNode::Orchestrator(o) => Some(o),
            _ => None,
        }
    }

    pub fn initiator(&self) -> Option<&Initiator> {
        match self {
            SagaNode::Initiator(i) => Some(i),
            _ => None,
        }
    }

    pub fn service(&self) -> Option<&Service> {
        match self {
            SagaNode::Service(s) => Some(s),
            _ => None,
        }
    }

    /// The saga log of node 0 (orchestrator or initiator).
    pub fn saga_log(&self) -> Option<&SagaLog> {
        match self {
            SagaNode::Orchestrator(o) => Some(o.log()),
            SagaNode::Initiator(i) => Some(i.log()),
            SagaNode::Service(_) => None,
        }
    }

    pub fn id(&self) -> NodeId {
        match self {
            SagaNode::Orchestrator(o) => o.id(),
            SagaNode::Initiator(i) => i.id(),
            SagaNode::Service(s) => s.id(),
        }
    }
}

impl Node for SagaNode {
    type Msg = SagaMessage;
    type Timer = SagaTimer;
    type Op = SagaOp;

    fn on_start(&mut self, cx: &mut Cx<Self>) {
        match self {
            SagaNode::Orchestrator(o) => o.on_start(cx),
            SagaNode::Initiator(i) => i.on_start(cx),
            SagaNode::Service(s) => s.on_start(cx),
        }
    }

    fn on_message(&mut self, from: NodeId, msg: SagaMessage, cx: &mut Cx<Self>) {
        match self {
            SagaNode::Orchestrator(o) => o.on_message(from, msg, cx),
            SagaNode::Initiator(i) => i.on_message(from, msg, cx),
            SagaNode::Service(s) => s.on_message(from, msg, cx),
        }
    }

    fn on_timer(&mut self, timer: SagaTimer, cx: &mut Cx<Self>) {
        match self {
            SagaNode::Orchestrator(o) => o.on_timer(timer, cx),
            SagaNode::Initiator(i) => i.on_timer(timer, cx),
            SagaNode::Service(s) => s.on_timer(timer, cx),
        }
    }

    fn on_operation(&mut self, operation: SagaOp, cx: &mut Cx<Self>) {
        match (self, operation) {
            (SagaNode::Orchestrator(o), SagaOp::Start { saga }) => o.start(saga, cx),
            (SagaNode::Initiator(i), SagaOp::Start { saga }) => i.start(saga, cx),
            (SagaNode::Service(s), SagaOp::FailNext { service }) if service == s.id() => {
                s.fail_next_booking(cx)
            }
            (_, SagaOp::FailNext { service }) => cx.note(|| {
                format!(
                    "'{service}'s next booking fails' is for {service}: send it to that service"
                )
            }),
            (SagaNode::Service(_), SagaOp::Start { saga }) => {
                cx.note(|| format!("a service cannot start {saga}: node n0 does"))
            }
        }
    }

    fn on_crash(&mut self) {
        match self {
            SagaNode::Orchestrator(o) => o.on_crash(),
            SagaNode::Initiator(i) => i.on_crash(),
            SagaNode::Service(s) => s.on_crash(),
        }
    }

    fn summary(&self) -> NodeSummary {
        match self {
            SagaNode::Orchestrator(o) => o.summary(),
            SagaNode::Initiator(i) => i.summary(),
            SagaNode::Service(s) => s.summary(),
        }
    }

    fn state_row(&self) -> Vec<Cell> {
        match self {
            SagaNode::Orchestrator(o) => o.state_row(),
            SagaNode::Initiator(i) => i.state_row(),
            SagaNode::Service(s) => s.state_row(),
        }
    }
}

/// The last `count` items as a comma-separated list, with an ellipsis for the
/// rest, or `-` when there are none: how the state table lists sagas.
pub fn tail_list(items: &[String], count: usize) -> String {
    if items.is_empty() {
        return "-".to_string();
    }
    let first = items.len().saturating_sub(count);
    let more = if first > 0 { "…, " } else { "" };
    format!("{more}{}", items[first..].join(", "))
}
