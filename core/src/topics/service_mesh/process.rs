//! The processes of a service-mesh run: the five services first (nodes 0
//! to 4: gateway, frontend, catalog, cart, payments), then the client
//! (node 5) and the rogue batch job (node 6). The fault plan knows the
//! services; the client and the batch job are crashed only by hand.

use crate::sim::node::{Cx, Node};
use crate::sim::time::NodeId;
use crate::sim::view::{Cell, NodeSummary};

use super::client::Client;
use super::message::{MeshMessage, MeshOp, MeshTimer};
use super::rogue::Rogue;
use super::service_node::ServiceNode;

#[derive(Clone, Debug)]
pub enum MeshProcess {
    Service(Box<ServiceNode>),
    Client(Box<Client>),
    Rogue(Box<Rogue>),
}

impl MeshProcess {
    pub fn service(&self) -> Option<&ServiceNode> {
        match self {
            MeshProcess::Service(service) => Some(service),
            _ => None,
        }
    }

    pub fn client(&self) -> Option<&Client> {
        match self {
            MeshProcess::Client(client) => Some(client),
            _ => None,
        }
    }

    pub fn rogue(&self) -> Option<&Rogue> {
        match self {
            MeshProcess::Rogue(rogue) => Some(rogue),
            _ => None,
        }
    }
}

impl Node for MeshProcess {
    type Msg = MeshMessage;
    type Timer = MeshTimer;
    type Op = MeshOp;

    fn on_start(&mut self, cx: &mut Cx<Self>) {
        match self {
            MeshProcess::Service(service) => service.on_start(cx),
            MeshProcess::Client(client) => client.on_start(cx),
            MeshProcess::Rogue(rogue) => rogue.on_start(cx),
        }
    }

    fn on_message(&mut self, from: NodeId, msg: MeshMessage, cx: &mut Cx<Self>) {
        match self {
            MeshProcess::Service(service) => service.on_message(from, msg, cx),
            MeshProcess::Client(client) => client.on_message(from, msg, cx),
            MeshProcess::Rogue(rogue) => rogue.on_message(from, msg, cx),
        }
    }

    fn on_timer(&mut self, timer: MeshTimer, cx: &mut Cx<Self>) {
        match self {
            MeshProcess::Service(service) => service.on_timer(timer, cx),
            MeshProcess::Client(client) => client.on_timer(timer, cx),
            MeshProcess::Rogue(rogue) => rogue.on_timer(timer, cx),
        }
    }

    fn on_operation(&mut self, operation: MeshOp, cx: &mut Cx<Self>) {
        match (self, operation) {
            (MeshProcess::Rogue(rogue), MeshOp::Rogue { calls }) => {
                rogue.start(u32::from(calls), cx)
            }
            (MeshProcess::Service(service), op) => service.on_operation(op, cx),
            (_, op) => cx.note(|| format!("cannot take \"{op}\" here")),
        }
    }

    fn on_crash(&mut self) {
        match self {
            MeshProcess::Service(service) => service.on_crash(),
            MeshProcess::Client(_) => {}
            MeshProcess::Rogue(rogue) => rogue.on_crash(),
        }
    }

    fn summary(&self) -> NodeSummary {
        match self {
            MeshProcess::Service(service) => service.summary(),
            MeshProcess::Client(client) => client.summary(),
            MeshProcess::Rogue(rogue) => rogue.summary(),
        }
    }

    fn is_client(&self) -> bool {
        !matches!(self, MeshProcess::Service(_))
    }

    fn state_row(&self) -> Vec<Cell> {
        match self {
            MeshProcess::Service(service) => service.state_row(),
            MeshProcess::Client(client) => client.state_row(),
            MeshProcess::Rogue(rogue) => rogue.state_row(),
        }
    }
}
