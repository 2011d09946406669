//! The processes of a partial-failures run: the three tiers first (frontend
//! n0, middle n1, backend n2), then the client (n3), all on one network. The
//! fault plan knows the tiers; the client is crashed only by hand.

use crate::sim::node::{Cx, Node};
use crate::sim::time::NodeId;
use crate::sim::view::{Cell, NodeSummary};

use super::client::Client;
use super::message::{BackendOp, PartialMessage, PartialTimer};
use super::tier::TierNode;

#[derive(Clone, Debug)]
pub enum PartialProcess {
    Tier(Box<TierNode>),
    Client(Box<Client>),
}

impl PartialProcess {
    pub fn tier(&self) -> Option<&TierNode> {
        match self {
            PartialProcess::Tier(tier) => Some(tier),
            PartialProcess::Client(_) => None,
        }
    }

    pub fn client(&self) -> Option<&Client> {
        match self {
            PartialProcess::Client(client) => Some(client),
            PartialProcess::Tier(_) => None,
        }
    }

    fn begin_step(&mut self) {
        if let PartialProcess::Tier(tier) = self {
            tier.begin_step();
        }
    }
}

impl Node for PartialProcess {
    type Msg = PartialMessage;
    type Timer = PartialTimer;
    type Op = BackendOp;

    fn on_start(&mut self, cx: &mut Cx<Self>) {
        self.begin_step();
        match self {
            PartialProcess::Tier(tier) => tier.on_start(cx),
            PartialProcess::Client(client) => client.on_start(cx),
        }
    }

    fn on_message(&mut self, from: NodeId, msg: PartialMessage, cx: &mut Cx<Self>) {
        self.begin_step();
        match self {
            PartialProcess::Tier(tier) => tier.on_message(from, msg, cx),
            PartialProcess::Client(client) => client.on_message(from, msg, cx),
        }
    }

    fn on_timer(&mut self, timer: PartialTimer, cx: &mut Cx<Self>) {
        self.begin_step();
        match self {
            PartialProcess::Tier(tier) => tier.on_timer(timer, cx),
            PartialProcess::Client(client) => client.on_timer(timer, cx),
        }
    }

    fn on_operation(&mut self, operation: BackendOp, cx: &mut Cx<Self>) {
        self.begin_step();
        match self {
            PartialProcess::Tier(tier) => tier.on_operation(operation, cx),
            PartialProcess::Client(_) => {
                cx.note(|| format!("only the backend takes \"{operation}\""))
            }
        }
    }

    fn on_crash(&mut self) {
        self.begin_step();
        match self {
            PartialProcess::Tier(tier) => tier.on_crash(),
            PartialProcess::Client(client) => client.on_crash(),
        }
    }

    fn summary(&self) -> NodeSummary {
        match self {
            PartialProcess::Tier(tier) => tier.summary(),
            PartialProcess::Client(client) => client.summary(),
        }
    }

    fn is_client(&self) -> bool {
        matches!(self, PartialProcess::Client(_))
    }

    fn state_row(&self) -> Vec<Cell> {
        match self {
            PartialProcess::Tier(tier) => tier.state_row(),
            PartialProcess::Client(client) => client.state_row(),
        }
    }
}
