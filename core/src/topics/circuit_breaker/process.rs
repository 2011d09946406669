//! The processes of a circuit-breaker run: the two callers first (nodes 0
//! and 1), then the downstream (node 2), then the client (node 3), all on one
//! network. The fault plan knows the first three; the client is crashed only
//! by hand.

use crate::sim::node::{Cx, Node};
use crate::sim::time::NodeId;
use crate::sim::view::{Cell, NodeSummary};

use super::caller::Caller;
use super::client::Client;
use super::downstream::Downstream;
use super::message::{BreakerMessage, BreakerTimer, DownstreamOp};

#[derive(Clone, Debug)]
pub enum BreakerProcess {
    Caller(Box<Caller>),
    Downstream(Box<Downstream>),
    Client(Box<Client>),
}

impl BreakerProcess {
    pub fn caller(&self) -> Option<&Caller> {
        match self {
            BreakerProcess::Caller(caller) => Some(caller),
            _ => None,
        }
    }

    pub fn downstream(&self) -> Option<&Downstream> {
        match self {
            BreakerProcess::Downstream(downstream) => Some(downstream),
            _ => None,
        }
    }

    pub fn client(&self) -> Option<&Client> {
        match self {
            BreakerProcess::Client(client) => Some(client),
            _ => None,
        }
    }
}

impl Node for BreakerProcess {
    type Msg = BreakerMessage;
    type Timer = BreakerTimer;
    type Op = DownstreamOp;

    fn on_start(&mut self, cx: &mut Cx<Self>) {
        match self {
            BreakerProcess::Caller(caller) => caller.on_start(cx),
            BreakerProcess::Downstream(downstream) => downstream.on_start(cx),
            BreakerProcess::Client(client) => client.on_start(cx),
        }
    }

    fn on_message(&mut self, from: NodeId, msg: BreakerMessage, cx: &mut Cx<Self>) {
        match self {
            BreakerProcess::Caller(caller) => caller.on_message(from, msg, cx),
            BreakerProcess::Downstream(downstream) => downstream.on_message(from, msg, cx),
            BreakerProcess::Client(client) => client.on_message(from, msg, cx),
        }
    }

    fn on_timer(&mut self, timer: BreakerTimer, cx: &mut Cx<Self>) {
        match self {
            BreakerProcess::Caller(caller) => caller.on_timer(timer, cx),
            BreakerProcess::Downstream(downstream) => downstream.on_timer(timer, cx),
            BreakerProcess::Client(client) => client.on_timer(timer, cx),
        }
    }

    fn on_operation(&mut self, operation: DownstreamOp, cx: &mut Cx<Self>) {
        match self {
            BreakerProcess::Downstream(downstream) => downstream.on_operation(operation, cx),
            _ => cx.note(|| format!("only the downstream takes \"{operation}\"")),
        }
    }

    fn on_crash(&mut self) {
        match self {
            BreakerProcess::Caller(caller) => caller.on_crash(),
            BreakerProcess::Downstream(downstream) => downstream.on_crash(),
            BreakerProcess::Client(client) => client.on_crash(),
        }
    }

    fn summary(&self) -> NodeSummary {
        match self {
            BreakerProcess::Caller(caller) => caller.summary(),
            BreakerProcess::Downstream(downstream) => downstream.summary(),
            BreakerProcess::Client(client) => client.summary(),
        }
    }

    fn is_client(&self) -> bool {
        matches!(self, BreakerProcess::Client(_))
    }

    fn state_row(&self) -> Vec<Cell> {
        match self {
            BreakerProcess::Caller(caller) => caller.state_row(),
            BreakerProcess::Downstream(downstream) => downstream.state_row(),
            BreakerProcess::Client(client) => client.state_row(),
        }
    }
}
