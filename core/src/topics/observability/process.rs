//! The processes of an observability run: the six hosts first (two per
//! service, nodes 0 to 5, the ones the fault plan crashes and partitions),
//! then the monitor (n6) and the users (n7).

use crate::sim::node::{Cx, Node};
use crate::sim::time::NodeId;
use crate::sim::view::{Cell, NodeSummary};

use super::client::Client;
use super::host::Host;
use super::message::{HostOp, ObservabilityMessage, ObservabilityTimer};
use super::monitor::Monitor;

/// One process of a run.
#[derive(Clone, Debug)]
pub enum ObservabilityProcess {
    Host(Box<Host>),
    Monitor(Box<Monitor>),
    Client(Client),
}

impl ObservabilityProcess {
    pub fn host(&self) -> Option<&Host> {
        match self {
            ObservabilityProcess::Host(host) => Some(host),
            _ => None,
        }
    }

    pub fn monitor(&self) -> Option<&Monitor> {
        match self {
            ObservabilityProcess::Monitor(monitor) => Some(monitor),
            _ => None,
        }
    }

    pub fn client(&self) -> Option<&Client> {
        match self {
            ObservabilityProcess::Client(client) => Some(client),
            _ => None,
        }
    }
}

impl Node for ObservabilityProcess {
    type Msg = ObservabilityMessage;
    type Timer = ObservabilityTimer;
    type Op = HostOp;

    fn on_start(&mut self, cx: &mut Cx<Self>) {
        match self {
            ObservabilityProcess::Host(host) => host.on_start(cx),
            ObservabilityProcess::Monitor(monitor) => monitor.on_start(cx),
            ObservabilityProcess::Client(client) => client.on_start(cx),
        }
    }

    fn on_message(&mut self, from: NodeId, msg: ObservabilityMessage, cx: &mut Cx<Self>) {
        match self {
            ObservabilityProcess::Host(host) => host.on_message(from, msg, cx),
            ObservabilityProcess::Monitor(monitor) => monitor.on_message(from, msg, cx),
            ObservabilityProcess::Client(client) => client.on_message(msg, cx),
        }
    }

    fn on_timer(&mut self, timer: ObservabilityTimer, cx: &mut Cx<Self>) {
        match self {
            ObservabilityProcess::Host(host) => host.on_timer(timer, cx),
            ObservabilityProcess::Monitor(monitor) => monitor.on_timer(timer, cx),
            ObservabilityProcess::Client(client) => client.on_timer(timer, cx),
        }
    }

    fn on_operation(&mut self, operation: HostOp, cx: &mut Cx<Self>) {
        match self {
            ObservabilityProcess::Host(host) => host.on_operation(operation, cx),
            _ => cx.note(|| format!("only a host can {operation}")),
        }
    }

    fn on_crash(&mut self) {
        match self {
            ObservabilityProcess::Host(host) => host.on_crash(),
            ObservabilityProcess::Monitor(monitor) => monitor.on_crash(),
            ObservabilityProcess::Client(_) => {}
        }
    }

    fn summary(&self) -> NodeSummary {
        match self {
            ObservabilityProcess::Host(host) => host.summary(),
            ObservabilityProcess::Monitor(monitor) => monitor.summary(),
            ObservabilityProcess::Client(client) => client.summary(),
        }
    }

    fn is_client(&self) -> bool {
        matches!(self, ObservabilityProcess::Client(_))
    }

    fn state_row(&self) -> Vec<Cell> {
        match self {
            ObservabilityProcess::Host(host) => host.state_row(),
            ObservabilityProcess::Monitor(monitor) => monitor.state_row(),
            ObservabilityProcess::Client(client) => client.state_row(),
        }
    }
}
