//! The message broker between orders and the shipping worker: a durable
//! FIFO that hands one shipment at a time to its consumer when it polls.
//!
//! OpenTelemetry's messaging conventions carry the trace context in the
//! message's own headers, so a consumer's span continues the producer's
//! trace even though nobody waits for it. The bug `context-dropped-at-queue`
//! forwards the body without those headers, as a broker client that copies
//! only the payload would: the consumer then starts a trace of its own.

use crate::sim::node::Cx;
use crate::sim::time::{Duration, NodeId};
use crate::sim::view::{Cell, NodeSummary, Palette};

use super::message::{Headers, TraceMessage, TraceTimer, ORDERS, SHIPPING};
use super::process::TraceProcess;

/// The consumer polls every 20 to 120 ms.
pub const POLL_MS: (u64, u64) = (20, 120);

#[derive(Clone, Debug, Default)]
pub struct Queue {
    /// Shipments waiting, oldest first. Durable: kept through a crash.
    held: Vec<Headers>,
    /// The bug: deliveries lose their trace context.
    drop_context: bool,
    delivered: u64,
}

impl Queue {
    pub fn new(drop_context: bool) -> Self {
        Queue {
            drop_context,
            ..Queue::default()
        }
    }

    pub fn held(&self) -> usize {
        self.held.len()
    }

    fn arm(cx: &mut Cx<TraceProcess>) {
        let wait = cx.rng.range_inclusive(POLL_MS.0, POLL_MS.1);
        cx.set_timer(TraceTimer::Poll, Duration::from_millis(wait));
    }

    pub fn on_start(&mut self, cx: &mut Cx<TraceProcess>) {
        if !self.held.is_empty() {
            Self::arm(cx);
        }
    }

    pub fn on_message(&mut self, from: NodeId, msg: TraceMessage, cx: &mut Cx<TraceProcess>) {
        match msg {
            TraceMessage::Publish { headers } if from == ORDERS => {
                self.held.push(headers);
                if self.held.len() == 1 {
                    Self::arm(cx);
                }
            }
            _ => cx.note(|| "the queue takes only shipments from orders: dropped".to_string()),
        }
    }

    pub fn on_timer(&mut self, timer: TraceTimer, cx: &mut Cx<TraceProcess>) {
        if timer != TraceTimer::Poll || self.held.is_empty() {
            return;
        }
        let mut headers = self.held.remove(0);
        if self.drop_context {
            // The bug: only the body crosses the queue.
            headers = Headers::default();
            cx.note(|| "the shipment leaves the queue without its trace context".to_string());
        }
        self.delivered += 1;
        cx.send(SHIPPING, TraceMessage::Deliver { headers });
        if !self.held.is_empty() {
            Self::arm(cx);
        }
    }

    pub fn summary(&self) -> NodeSummary {
        NodeSummary {
            role: "queue",
            palette: if self.held.is_empty() {
                Palette::Plain
            } else {
                Palette::Suspect
            },
            badge: self.held.len().to_string(),
            detail: format!(
                "queue: {} shipments waiting, {} delivered",
                self.held.len(),
                self.delivered
            ),
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        vec![
            Cell::Text(format!("{} shipments waiting", self.held.len())),
            Cell::Text(format!("{} delivered", self.delivered)),
        ]
    }
}
