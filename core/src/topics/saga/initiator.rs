//! The initiator of a choreographed saga (node 0 in choreographed mode): the
//! trip front end of Richardson's choreography-based saga ("Microservices
//! Patterns", section 4.2.1). It starts a saga by publishing "trip requested"
//! to the first service and learns its end from the last event of the chain:
//! the last service's "booked" (the trip is booked) or the first service's
//! "refused" or "cancelled" (every booking is undone). Nobody tells the
//! services what to do; each reacts to the event before it.
//!
//! Durable: its saga log (begin-saga and end-saga only: it does not see the
//! steps) and its outbox. Volatile: the retries' backoff.

use crate::sim::node::{Cx, Labelled};
use crate::sim::time::NodeId;
use crate::sim::view::{Cell, NodeSummary, Palette};

use super::message::{Event, SagaId, SagaMessage, SagaTimer, Step};
use super::node::{tail_list, Backoff, SagaNode, Timing};
use super::orchestrator::finished_text;
use super::outbox::Outbox;
use super::saga_log::{Outcome, RecordKind, SagaLog};

/// The initiator.
#[derive(Clone, Debug)]
pub struct Initiator {
    id: NodeId,
    services: usize,
    timing: Timing,
    // Durable.
    log: SagaLog,
    outbox: Outbox,
    // Volatile.
    backoff: Backoff,
}

impl Initiator {
    pub fn new(id: NodeId, services: usize, timing: Timing) -> Self {
        Initiator {
            id,
            services,
            timing,
            log: SagaLog::default(),
            outbox: Outbox::default(),
            backoff: Backoff::default(),
        }
    }

    pub fn id(&self) -> NodeId {
        self.id
    }
    pub fn log(&self) -> &SagaLog {
        &self.log
    }
    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// Writes begin-saga and publishes "trip requested" to the first service,
    /// in one local transaction (the outbox).
    pub fn start(&mut self, saga: SagaId, cx: &mut Cx<SagaNode>) {
        if self.log.saga(saga).is_some() {
            cx.note(|| format!("{saga} has started before: a saga id is used once"));
            return;
        }
        self.log.append(saga, RecordKind::Begin, cx.now());
        let first = Step(1).service();
        self.outbox.push(saga, first, Event::TripRequested);
        cx.note(|| format!("writes '{saga} begin' and publishes 'trip requested' to {first}"));
        self.resend(saga, cx);
    }

    /// Sends every unacknowledged event of `saga` and the timer that sends
    /// them again.
    fn resend(&mut self, saga: SagaId, cx: &mut Cx<SagaNode>) {
        let pending: Vec<_> = self.outbox.of(saga).copied().collect();
        if pending.is_empty() {
            return;
        }
        for p in pending {
            cx.send(
                p.to,
                SagaMessage::Event {
                    saga,
                    event: p.event,
                },
            );
        }
        let wait = self.backoff.next(saga, self.timing);
        cx.set_timer(SagaTimer::Retry(saga), wait);
    }

    /// The event that ends the chain.
    fn on_event(&mut self, from: NodeId, saga: SagaId, event: Event, cx: &mut Cx<SagaNode>) {
        let outcome = match event {
            // Richardson 4.2.1: the last service's event ends a booked trip...
            Event::Booked(step) if usize::from(step.0) == self.services => Some(Outcome::Completed),
            // ...and the end of the compensation chain an undone one.
            Event::Refused(_) | Event::Cancelled { .. } => Some(Outcome::Compensated),
            Event::Booked(_) | Event::TripRequested => None,
        };
        cx.send(from, SagaMessage::EventAck { saga, event });
        let Some(outcome) = outcome else {
            cx.note(|| format!("'{event} {saga}' is not for the initiator: acknowledged, ignored"));
            return;
        };
        match self.log.saga(saga) {
            None => cx.note(|| format!("{saga} never started here: acknowledged, ignored")),
            Some(state) if state.outcome.is_some() => {
                cx.note(|| format!("{saga} has ended: a repeated event, acknowledged"))
            }
            Some(_) => {
                self.log.append(saga, RecordKind::End(outcome), cx.now());
                // The answer proves "trip requested" arrived.
                self.outbox.forget(saga);
                self.backoff.reset(saga);
                cx.cancel_timer(SagaTimer::Retry(saga));
                cx.note(|| {
                    format!(
                        "'{event}' ends the chain: writes '{saga} {}'",
                        outcome.as_str()
                    )
                });
            }
        }
    }

    /// Section 3 of the paper, in choreography: the outbox is sent again.
    pub fn on_start(&mut self, cx: &mut Cx<SagaNode>) {
        for saga in self.outbox.sagas() {
            cx.note(|| format!("recovery: {saga} has unacknowledged events: sends them again"));
            self.resend(saga, cx);
        }
    }

    pub fn on_message(&mut self, from: NodeId, msg: SagaMessage, cx: &mut Cx<SagaNode>) {
        match msg {
            SagaMessage::Event { saga, event } => self.on_event(from, saga, event, cx),
            SagaMessage::EventAck { saga, event } => {
                if self.outbox.acknowledge(saga, event, from) && !self.outbox.has(saga) {
                    self.backoff.reset(saga);
                    cx.cancel_timer(SagaTimer::Retry(saga));
                }
            }
            SagaMessage::Command { .. } | SagaMessage::Reply { .. } => {
                let label = msg.label();
                cx.note(|| format!("the initiator takes no '{label}': ignored"));
            }
        }
    }

    pub fn on_timer(&mut self, timer: SagaTimer, cx: &mut Cx<SagaNode>) {
        let SagaTimer::Retry(saga) = timer;
        if self.outbox.has(saga) {
            cx.note(|| format!("no ack for {saga}'s events: publishes them again"));
        }
        self.resend(saga, cx);
    }

    pub fn on_crash(&mut self) {
        self.backoff.clear();
    }

    pub fn summary(&self) -> NodeSummary {
        let open = self.log.unfinished().count();
        NodeSummary {
            role: "initiator",
            palette: Palette::Lead,
            badge: format!("{open} open"),
            detail: format!(
                "{} initiator: {open} sagas in progress, {}",
                self.id,
                finished_text(&self.log)
            ),
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        let sagas: Vec<String> = self
            .log
            .sagas()
            .iter()
            .map(|s| match s.outcome {
                None => format!("{}: in progress", s.saga),
                Some(Outcome::Completed) => format!("{}: done", s.saga),
                Some(Outcome::Compensated) => format!("{}: compensated", s.saga),
            })
            .collect();
        let outbox: Vec<String> = self
            .outbox
            .pending()
            .iter()
            .map(|p| format!("{} {} to {}", p.event, p.saga, p.to))
            .collect();
        vec![
            Cell::Text(tail_list(&sagas, 6)),
            Cell::Text(finished_text(&self.log)),
            Cell::Text("-".to_string()),
            Cell::Text("-".to_string()),
            Cell::Text("-".to_string()),
            Cell::Text(tail_list(&outbox, 4)),
        ]
    }
}
