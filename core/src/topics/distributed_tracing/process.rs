//! The processes of a tracing run, in node order: the gateway, orders,
//! inventory, payments, the queue, the shipping worker and the collector.

use crate::sim::node::{Cx, Node};
use crate::sim::time::NodeId;
use crate::sim::view::{Cell, NodeSummary};

use super::collector::Collector;
use super::message::{TraceMessage, TraceOp, TraceTimer};
use super::queue::Queue;
use super::service::Service;

#[derive(Clone, Debug)]
pub enum TraceProcess {
    Service(Box<Service>),
    Queue(Box<Queue>),
    Collector(Box<Collector>),
}

impl TraceProcess {
    pub fn service(&self) -> Option<&Service> {
        match self {
            TraceProcess::Service(service) => Some(service),
            _ => None,
        }
    }

    pub fn queue(&self) -> Option<&Queue> {
        match self {
            TraceProcess::Queue(queue) => Some(queue),
            _ => None,
        }
    }

    pub fn collector(&self) -> Option<&Collector> {
        match self {
            TraceProcess::Collector(collector) => Some(collector),
            _ => None,
        }
    }
}

impl Node for TraceProcess {
    type Msg = TraceMessage;
    type Timer = TraceTimer;
    type Op = TraceOp;

    fn on_start(&mut self, cx: &mut Cx<Self>) {
        match self {
            TraceProcess::Service(_) => {}
            TraceProcess::Queue(queue) => queue.on_start(cx),
            TraceProcess::Collector(collector) => collector.on_start(cx),
        }
    }

    fn on_message(&mut self, from: NodeId, msg: TraceMessage, cx: &mut Cx<Self>) {
        match self {
            TraceProcess::Service(service) => service.on_message(from, msg, cx),
            TraceProcess::Queue(queue) => queue.on_message(from, msg, cx),
            TraceProcess::Collector(collector) => collector.on_message(msg, cx),
        }
    }

    fn on_timer(&mut self, timer: TraceTimer, cx: &mut Cx<Self>) {
        match self {
            TraceProcess::Service(service) => service.on_timer(timer, cx),
            TraceProcess::Queue(queue) => queue.on_timer(timer, cx),
            TraceProcess::Collector(collector) => collector.on_timer(timer, cx),
        }
    }

    fn on_operation(&mut self, operation: TraceOp, cx: &mut Cx<Self>) {
        match self {
            TraceProcess::Service(service) => service.on_operation(operation, cx),
            _ => cx.note(|| format!("only a service takes \"{operation}\"")),
        }
    }

    fn on_crash(&mut self) {
        match self {
            TraceProcess::Service(service) => service.on_crash(),
            // Durable: the shipments stay queued.
            TraceProcess::Queue(_) => {}
            TraceProcess::Collector(collector) => collector.on_crash(),
        }
    }

    fn summary(&self) -> NodeSummary {
        match self {
            TraceProcess::Service(service) => service.summary(),
            TraceProcess::Queue(queue) => queue.summary(),
            TraceProcess::Collector(collector) => collector.summary(),
        }
    }

    fn state_row(&self) -> Vec<Cell> {
        match self {
            TraceProcess::Service(service) => service.state_row(),
            TraceProcess::Queue(queue) => queue.state_row(),
            TraceProcess::Collector(collector) => collector.state_row(),
        }
    }
}
