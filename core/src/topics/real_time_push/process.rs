//! The processes of a real-time-push run: the server (node 0), then one
//! client group per transport (nodes 1 to 4 when the four are compared, node
//! 1 alone otherwise), all on one network, and the run's configuration.
//!
//! A client group stands for `clients` identical clients that share one
//! network path and its fate: the timeline draws the one connection of the
//! group, and the costs (bytes, requests, open connections) count it once per
//! client. Latency is the same for every client of a group, so one
//! connection measures it.

use crate::sim::node::{Cx, Node};
use crate::sim::time::{Duration, NodeId};
use crate::sim::view::{Cell, NodeSummary};

use super::client::Client;
use super::message::{PushMessage, PushOp, PushTimer, Transport};
use super::server::Server;

/// Everything a run's processes need to know, from its parameters and bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PushConfig {
    /// One transport, or `None` to compare the four side by side.
    pub single: Option<Transport>,
    /// Clients per group.
    pub clients: u64,
    /// Events per second, on average.
    pub event_rate: u32,
    /// Mean events per burst (1: a plain Poisson stream).
    pub burst: u32,
    /// Short polling's interval.
    pub poll: Duration,
    /// How long the server holds a long poll with nothing to send.
    pub hold: Duration,
    /// SSE comment and WebSocket ping interval; three missed ones declare a
    /// connection dead.
    pub heartbeat: Duration,
    /// The first reconnection delay (SSE's `retry:`), doubled per failure.
    pub reconnect: Duration,
    /// Events the server keeps for resuming clients.
    pub buffer: usize,
    /// Bytes of an event's payload.
    pub payload: u64,
    /// The bug: SSE reconnects without `Last-Event-ID`.
    pub omit_last_event_id: bool,
}

impl PushConfig {
    /// How many client groups run.
    pub fn groups(&self) -> usize {
        if self.single.is_some() {
            1
        } else {
            Transport::ALL.len()
        }
    }

    /// The transport of client group `node`, if it is one.
    pub fn transport_of(&self, node: NodeId) -> Option<Transport> {
        let index = (node.0 as usize).checked_sub(1)?;
        match self.single {
            Some(transport) if index == 0 => Some(transport),
            Some(_) => None,
            None => Transport::ALL.get(index).copied(),
        }
    }

    /// The client groups' ids.
    pub fn group_ids(&self) -> impl Iterator<Item = NodeId> {
        (1..=self.groups() as u32).map(NodeId)
    }
}

#[derive(Clone, Debug)]
pub enum PushProcess {
    Server(Box<Server>),
    Client(Box<Client>),
}

impl PushProcess {
    pub fn server(&self) -> Option<&Server> {
        match self {
            PushProcess::Server(server) => Some(server),
            PushProcess::Client(_) => None,
        }
    }

    pub fn client(&self) -> Option<&Client> {
        match self {
            PushProcess::Client(client) => Some(client),
            PushProcess::Server(_) => None,
        }
    }
}

impl Node for PushProcess {
    type Msg = PushMessage;
    type Timer = PushTimer;
    type Op = PushOp;

    fn on_start(&mut self, cx: &mut Cx<Self>) {
        match self {
            PushProcess::Server(server) => server.on_start(cx),
            PushProcess::Client(client) => client.on_start(cx),
        }
    }

    fn on_message(&mut self, from: NodeId, msg: PushMessage, cx: &mut Cx<Self>) {
        match self {
            PushProcess::Server(server) => server.on_message(from, msg, cx),
            PushProcess::Client(client) => client.on_message(from, msg, cx),
        }
    }

    fn on_timer(&mut self, timer: PushTimer, cx: &mut Cx<Self>) {
        match self {
            PushProcess::Server(server) => server.on_timer(timer, cx),
            PushProcess::Client(client) => client.on_timer(timer, cx),
        }
    }

    fn on_operation(&mut self, operation: PushOp, cx: &mut Cx<Self>) {
        match self {
            PushProcess::Server(server) => server.on_operation(operation, cx),
            PushProcess::Client(_) => cx.note(|| format!("only the server takes \"{operation}\"")),
        }
    }

    fn on_crash(&mut self) {
        match self {
            PushProcess::Server(server) => server.on_crash(),
            PushProcess::Client(client) => client.on_crash(),
        }
    }

    fn summary(&self) -> NodeSummary {
        match self {
            PushProcess::Server(server) => server.summary(),
            PushProcess::Client(client) => client.summary(),
        }
    }

    fn is_client(&self) -> bool {
        matches!(self, PushProcess::Client(_))
    }

    fn state_row(&self) -> Vec<Cell> {
        match self {
            PushProcess::Server(server) => server.state_row(),
            PushProcess::Client(client) => client.state_row(),
        }
    }
}
