//! The processes of an idempotency run and what they share: the payment API
//! server first (node 0), then the clients, all on one network, so loss,
//! duplication and delay reach every request and every answer.

use crate::sim::node::{Cx, Labelled, Node};
use crate::sim::time::{Duration, NodeId};
use crate::sim::view::{Cell, NodeSummary};

use super::client::PaymentClient;
use super::message::{PaymentMessage, PaymentOp, PaymentTimer};
use super::server::PaymentServer;

/// The server's id: it comes first.
pub const SERVER: NodeId = NodeId(0);

/// How a run is set up, as every process sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PaymentConfig {
    /// Whether requests carry idempotency keys and the server keeps them.
    pub keys: bool,
    /// The `key-stored-after-effect` bug: the server charges first and stores
    /// the key in a separate, later write.
    pub key_stored_after_effect: bool,
    /// How long the server keeps a finished key (from the key's first request).
    pub key_ttl: Duration,
    /// How long a client keeps retrying a payment, from its first try.
    pub retry_window: Duration,
    /// How long a client waits for an answer before it counts a try as lost.
    pub reply_timeout: Duration,
    /// The mean time between a client's payments, or `None` for no workload.
    pub payment_gap: Option<Duration>,
}

impl PaymentConfig {
    pub fn is_client(&self, node: NodeId) -> bool {
        node != SERVER
    }
}

/// The payment API server or a client.
#[derive(Clone, Debug)]
pub enum PaymentProcess {
    Server(PaymentServer),
    Client(PaymentClient),
}

impl PaymentProcess {
    pub fn server(&self) -> Option<&PaymentServer> {
        match self {
            PaymentProcess::Server(server) => Some(server),
            PaymentProcess::Client(_) => None,
        }
    }

    pub fn client(&self) -> Option<&PaymentClient> {
        match self {
            PaymentProcess::Client(client) => Some(client),
            PaymentProcess::Server(_) => None,
        }
    }
}

impl Node for PaymentProcess {
    type Msg = PaymentMessage;
    type Timer = PaymentTimer;
    type Op = PaymentOp;

    fn on_start(&mut self, cx: &mut Cx<Self>) {
        match self {
            PaymentProcess::Server(server) => server.on_start(cx),
            PaymentProcess::Client(client) => client.on_start(cx),
        }
    }

    fn on_message(&mut self, from: NodeId, msg: PaymentMessage, cx: &mut Cx<Self>) {
        match self {
            PaymentProcess::Server(server) => server.on_message(from, msg, cx),
            PaymentProcess::Client(client) => client.on_message(from, msg, cx),
        }
    }

    fn on_timer(&mut self, timer: PaymentTimer, cx: &mut Cx<Self>) {
        match self {
            PaymentProcess::Server(server) => server.on_timer(timer, cx),
            PaymentProcess::Client(client) => client.on_timer(timer, cx),
        }
    }

    fn on_operation(&mut self, operation: PaymentOp, cx: &mut Cx<Self>) {
        match self {
            PaymentProcess::Client(client) => client.on_operation(operation, cx),
            PaymentProcess::Server(_) => {
                cx.note(|| format!("the server does not {operation}: address it to a client"))
            }
        }
    }

    fn on_crash(&mut self) {
        match self {
            PaymentProcess::Server(server) => server.on_crash(),
            PaymentProcess::Client(client) => client.on_crash(),
        }
    }

    fn summary(&self) -> NodeSummary {
        match self {
            PaymentProcess::Server(server) => server.summary(),
            PaymentProcess::Client(client) => client.summary(),
        }
    }

    fn is_client(&self) -> bool {
        matches!(self, PaymentProcess::Client(_))
    }

    fn state_row(&self) -> Vec<Cell> {
        match self {
            PaymentProcess::Server(server) => server.state_row(),
            PaymentProcess::Client(client) => client.state_row(),
        }
    }
}

/// Notes that `what` came to a process that takes no such thing.
pub fn ignore<T: Labelled>(what: &T, cx: &mut Cx<PaymentProcess>) {
    cx.note(|| format!("ignores {}: not for this process", what.kind()));
}
