//! The processes of a Raft run: servers ([`RaftNode`]) and the key-value
//! service's clients ([`KvClient`]), on one network so partitions and loss reach
//! both. Node ids `0..servers` are servers and the rest clients.

use crate::sim::node::{Cx, Node};
use crate::sim::time::NodeId;
use crate::sim::view::{Cell, NodeSummary};

use super::client::KvClient;
use super::message::{RaftMessage, RaftOp, RaftTimer, Role};
use super::node::RaftNode;

/// A server or a client.
#[derive(Clone, Debug)]
pub enum RaftProcess {
    Server(RaftNode),
    Client(KvClient),
}

impl RaftProcess {
    pub fn server(&self) -> Option<&RaftNode> {
        match self {
            RaftProcess::Server(server) => Some(server),
            RaftProcess::Client(_) => None,
        }
    }

    pub fn client(&self) -> Option<&KvClient> {
        match self {
            RaftProcess::Client(client) => Some(client),
            RaftProcess::Server(_) => None,
        }
    }

    pub fn id(&self) -> NodeId {
        match self {
            RaftProcess::Server(server) => server.id(),
            RaftProcess::Client(client) => client.id(),
        }
    }

    pub fn role(&self) -> Role {
        match self {
            RaftProcess::Server(server) => server.role(),
            RaftProcess::Client(_) => Role::Client,
        }
    }
}

impl Node for RaftProcess {
    type Msg = RaftMessage;
    type Timer = RaftTimer;
    type Op = RaftOp;

    fn on_start(&mut self, cx: &mut Cx<Self>) {
        match self {
            RaftProcess::Server(server) => server.on_start(cx),
            RaftProcess::Client(client) => client.on_start(cx),
        }
    }

    fn on_message(&mut self, from: NodeId, msg: RaftMessage, cx: &mut Cx<Self>) {
        match self {
            RaftProcess::Server(server) => server.on_message(from, msg, cx),
            RaftProcess::Client(client) => client.on_message(from, msg, cx),
        }
    }

    fn on_timer(&mut self, timer: RaftTimer, cx: &mut Cx<Self>) {
        match self {
            RaftProcess::Server(server) => server.on_timer(timer, cx),
            RaftProcess::Client(client) => client.on_timer(timer, cx),
        }
    }

    fn on_operation(&mut self, operation: RaftOp, cx: &mut Cx<Self>) {
        match (self, operation) {
            (RaftProcess::Server(server), RaftOp::Request { value }) => {
                server.on_bare_request(value, cx)
            }
            (RaftProcess::Client(client), RaftOp::Invoke(command)) => client.invoke(command, cx),
            (RaftProcess::Server(_), RaftOp::Invoke(command)) => {
                cx.note(|| format!("is a server: clients invoke {command}"))
            }
            (RaftProcess::Client(_), RaftOp::Request { .. }) => {
                cx.note(|| "is a client: requests go to the leader".to_string())
            }
        }
    }

    fn on_timeout_now(&mut self, cx: &mut Cx<Self>) {
        match self {
            RaftProcess::Server(server) => server.on_timeout_now(cx),
            RaftProcess::Client(_) => cx.note(|| "is a client: it runs no elections".to_string()),
        }
    }

    fn on_crash(&mut self) {
        match self {
            RaftProcess::Server(server) => server.on_crash(),
            RaftProcess::Client(client) => client.on_crash(),
        }
    }

    fn summary(&self) -> NodeSummary {
        match self {
            RaftProcess::Server(server) => server.summary(),
            RaftProcess::Client(client) => client.summary(),
        }
    }

    fn is_client(&self) -> bool {
        matches!(self, RaftProcess::Client(_))
    }

    fn state_row(&self) -> Vec<Cell> {
        match self {
            RaftProcess::Server(server) => server.state_row(),
            RaftProcess::Client(client) => client.state_row(),
        }
    }
}
