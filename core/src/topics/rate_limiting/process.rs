//! The processes of a rate-limiting run and the configuration they share.
//!
//! Side by side: the six limiters first (nodes 0 to 5, one lane each, in the
//! order of [`Algorithm::ALL`]), then the traffic client (node 6), which sends
//! every request to all six and to the backend (node 7), whose guarded copy
//! gets what the token bucket admits. Distributed: the central counter (node 0), the
//! gateways (1 to `gateways`), then the client, which sends each burst to one
//! gateway.

use crate::sim::node::{Cx, Labelled, Node};
use crate::sim::time::{Duration, NodeId};
use crate::sim::view::{Cell, NodeSummary};

use super::backend::Backend;
use super::client::TrafficClient;
use super::gateway::{CentralCounter, Gateway};
use super::limiter::Limiter;
use super::message::{RateMessage, RateOp, RateTimer};

/// Whether the run compares the six algorithms or the distributed strategies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    SideBySide,
    Distributed,
}

/// How a run is set up, as every process sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateConfig {
    pub mode: Mode,
    /// The limit's emission interval `T` (one request's worth of allowance).
    pub interval_us: u64,
    /// The burst: bucket capacity, or the limit per window of `burst · T`.
    pub burst: u32,
    /// Gateways in distributed mode.
    pub gateways: u32,
    /// The traffic: mean requests per second (0: none) and mean burst size.
    pub offered_per_second: u32,
    pub burstiness: u32,
    /// How often a gateway tells the others its count (local + sync).
    pub sync_period: Duration,
    /// How long a gateway waits for the counter before it gives up.
    pub answer_timeout: Duration,
    /// Bug `refill-past-burst`: the token bucket's refill is not capped.
    pub refill_past_burst: bool,
    /// Bug `fail-open`: a gateway admits when the counter does not answer.
    pub fail_open: bool,
}

impl RateConfig {
    /// The window of the window algorithms and of the global limit: `burst · T`.
    pub fn window_us(&self) -> u64 {
        self.interval_us.saturating_mul(self.burst as u64).max(1)
    }

    /// The traffic client's id: after the limiters, or after the gateways.
    pub fn client(&self) -> NodeId {
        match self.mode {
            Mode::SideBySide => NodeId(6),
            Mode::Distributed => NodeId(self.gateways + 1),
        }
    }

    /// The gateways' ids, in distributed mode.
    pub fn gateway_ids(&self) -> impl Iterator<Item = NodeId> {
        (1..=self.gateways).map(NodeId)
    }

    /// Each gateway's share of the limit per window under local limits:
    /// `burst / gateways`, at least one.
    pub fn local_share(&self) -> u32 {
        (self.burst / self.gateways.max(1)).max(1)
    }
}

/// The central counter's id in distributed mode.
pub const COUNTER: NodeId = NodeId(0);

/// The backend's id side by side: after the client.
pub const BACKEND: NodeId = NodeId(7);

/// One process of a run.
#[derive(Clone, Debug)]
pub enum RateProcess {
    Limiter(Limiter),
    Counter(CentralCounter),
    Gateway(Gateway),
    Client(TrafficClient),
    /// Boxed: two service stations are far larger than any other process.
    Backend(Box<Backend>),
}

impl RateProcess {
    pub fn limiter(&self) -> Option<&Limiter> {
        match self {
            RateProcess::Limiter(limiter) => Some(limiter),
            _ => None,
        }
    }

    pub fn gateway(&self) -> Option<&Gateway> {
        match self {
            RateProcess::Gateway(gateway) => Some(gateway),
            _ => None,
        }
    }

    pub fn counter(&self) -> Option<&CentralCounter> {
        match self {
            RateProcess::Counter(counter) => Some(counter),
            _ => None,
        }
    }

    pub fn backend(&self) -> Option<&Backend> {
        match self {
            RateProcess::Backend(backend) => Some(backend.as_ref()),
            _ => None,
        }
    }

    pub fn client(&self) -> Option<&TrafficClient> {
        match self {
            RateProcess::Client(client) => Some(client),
            _ => None,
        }
    }
}

impl Node for RateProcess {
    type Msg = RateMessage;
    type Timer = RateTimer;
    type Op = RateOp;

    fn on_start(&mut self, cx: &mut Cx<Self>) {
        match self {
            RateProcess::Gateway(gateway) => gateway.on_start(cx),
            RateProcess::Client(client) => client.on_start(cx),
            RateProcess::Limiter(_) | RateProcess::Counter(_) | RateProcess::Backend(_) => {}
        }
    }

    fn on_message(&mut self, from: NodeId, msg: RateMessage, cx: &mut Cx<Self>) {
        match self {
            RateProcess::Limiter(limiter) => limiter.on_message(msg, cx),
            RateProcess::Counter(counter) => counter.on_message(from, msg, cx),
            RateProcess::Gateway(gateway) => gateway.on_message(from, msg, cx),
            RateProcess::Backend(backend) => backend.on_message(from, msg, cx),
            RateProcess::Client(_) => {
                cx.note(|| format!("the client ignores {}: nothing is sent to it", msg.label()))
            }
        }
    }

    fn on_timer(&mut self, timer: RateTimer, cx: &mut Cx<Self>) {
        match self {
            RateProcess::Gateway(gateway) => gateway.on_timer(timer, cx),
            RateProcess::Client(client) => client.on_timer(timer, cx),
            RateProcess::Backend(backend) => backend.on_timer(timer, cx),
            RateProcess::Limiter(_) | RateProcess::Counter(_) => {
                cx.note(|| format!("ignores timer {}: it sets none", timer.label()))
            }
        }
    }

    fn on_operation(&mut self, operation: RateOp, cx: &mut Cx<Self>) {
        match self {
            RateProcess::Client(client) => client.on_operation(operation, cx),
            _ => cx.note(|| format!("only the traffic client can {operation}")),
        }
    }

    fn on_crash(&mut self) {
        match self {
            RateProcess::Gateway(gateway) => gateway.on_crash(),
            // Its queue and work in progress are lost; its seconds are the record.
            RateProcess::Backend(backend) => backend.on_crash(),
            // The limiters' and the counter's state is durable (see the topic's
            // liberties); the client keeps its request numbers.
            RateProcess::Limiter(_) | RateProcess::Counter(_) | RateProcess::Client(_) => {}
        }
    }

    fn summary(&self) -> NodeSummary {
        match self {
            RateProcess::Limiter(limiter) => limiter.summary(),
            RateProcess::Counter(counter) => counter.summary(),
            RateProcess::Gateway(gateway) => gateway.summary(),
            RateProcess::Client(client) => client.summary(),
            RateProcess::Backend(backend) => backend.summary(),
        }
    }

    fn is_client(&self) -> bool {
        matches!(self, RateProcess::Client(_))
    }

    fn state_row(&self) -> Vec<Cell> {
        match self {
            RateProcess::Limiter(limiter) => limiter.state_row(),
            RateProcess::Counter(counter) => counter.state_row(),
            RateProcess::Gateway(gateway) => gateway.state_row(),
            RateProcess::Client(client) => client.state_row(),
            RateProcess::Backend(backend) => backend.state_row(),
        }
    }
}
