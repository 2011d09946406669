//! A service (nodes 1..n): step k of every saga, with its own local database.
//! It runs the step's local transaction T_k (book) and its compensation C_k
//! (cancel), each at most once per saga: a repeated command or event is
//! answered from the database, so a retry never books twice
//! (Garcia-Molina and Salem, section 1: T_k and C_k are ordinary transactions
//! of the service's database; section 3: a compensation cannot fail for a
//! business reason, so it always commits once it arrives).
//!
//! Orchestrated (Richardson, "Microservices Patterns", section 4.2.2), it
//! answers each command with a reply. Choreographed (section 4.2.1), it
//! subscribes to the events of the step before it (to book) and of the step
//! after it (to compensate), and publishes its own through its outbox: "booked"
//! to the next step (the initiator after the last), "refused" or "cancelled"
//! to the previous one (the initiator after the first).
//!
//! Durable: the database and the outbox. Volatile: the retries' backoff. Not
//! node state at all: the page's "its next booking fails" switch, which
//! survives a crash because it is a fact about the world (the hotel is full),
//! not about the process's memory.

use crate::sim::node::{Cx, Labelled};
use crate::sim::time::{NodeId, Time};
use crate::sim::view::{Cell, NodeSummary, Palette};

use super::database::Database;
use super::message::{Booking, Command, Event, SagaId, SagaMessage, SagaTimer, Step};
use super::node::{tail_list, Backoff, SagaBugs, SagaNode, Timing};
use super::outbox::Outbox;

/// A service.
#[derive(Clone, Debug)]
pub struct Service {
    id: NodeId,
    step: Step,
    services: usize,
    timing: Timing,
    bugs: SagaBugs,
    /// Chance, in percent, that a booking fails for a business reason.
    fail_percent: u32,
    // Durable.
    database: Database,
    outbox: Outbox,
    // Volatile.
    backoff: Backoff,
    // The page's switch (see the module's documentation).
    fail_next: bool,
    /// When a compensation event was published again (saga, instant), for
    /// the saga lanes; never read by the protocol.
    compensation_retries: Vec<(SagaId, Time)>,
}

impl Service {
    pub fn new(
        step: Step,
        services: usize,
        timing: Timing,
        bugs: SagaBugs,
        fail_percent: u32,
    ) -> Self {
        Service {
            id: step.service(),
            step,
            services,
            timing,
            bugs,
            fail_percent: fail_percent.min(100),
            database: Database::default(),
            outbox: Outbox::default(),
            backoff: Backoff::default(),
            fail_next: false,
            compensation_retries: Vec::new(),
        }
    }

    pub fn id(&self) -> NodeId {
        self.id
    }
    pub fn step(&self) -> Step {
        self.step
    }
    pub fn database(&self) -> &Database {
        &self.database
    }
    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }
    /// The database, to build states no correct run reaches (tests only).
    #[cfg(test)]
    pub(crate) fn database_mut(&mut self) -> &mut Database {
        &mut self.database
    }

    /// When a compensation event was published again (saga, instant), oldest
    /// first.
    pub fn compensation_retries(&self) -> &[(SagaId, Time)] {
        &self.compensation_retries
    }

    /// Whether its next booking will fail (set from the page).
    pub fn fails_next(&self) -> bool {
        self.fail_next
    }

    /// The page's switch: the next new booking here fails.
    pub fn fail_next_booking(&mut self, cx: &mut Cx<SagaNode>) {
        self.fail_next = true;
        let step = self.step;
        cx.note(|| format!("the {step} service will refuse its next booking"));
    }

    /// T_k, at most once per saga: a repeated request gets the recorded
    /// outcome.
    fn book(&mut self, saga: SagaId, cx: &mut Cx<SagaNode>) -> Booking {
        let step = self.step;
        if let Some(booking) = self.database.get(saga) {
            cx.note(|| {
                format!(
                    "{saga} is already {} here: answers from the database",
                    booking.as_str()
                )
            });
            return booking;
        }
        let fails =
            std::mem::take(&mut self.fail_next) || cx.rng.below(100) < u64::from(self.fail_percent);
        let booking = if fails {
            Booking::Refused
        } else {
            Booking::Booked
        };
        self.database.set(saga, booking, cx.now());
        cx.note(|| match booking {
            Booking::Refused => format!(
                "{} for {saga}: refuses (a business failure)",
                step.refusal()
            ),
            _ => format!("{} for {saga}", step.booking_verb()),
        });
        booking
    }

    /// C_k, at most once per saga. A compensation for a step never run here
    /// leaves a tombstone, so the step can never run for that saga later.
    fn cancel(&mut self, saga: SagaId, cx: &mut Cx<SagaNode>) -> Booking {
        let step = self.step;
        match self.database.get(saga) {
            Some(Booking::Booked) => {
                self.database.set(saga, Booking::Cancelled, cx.now());
                cx.note(|| format!("cancels the {step} booking of {saga}"));
                Booking::Cancelled
            }
            Some(booking) => {
                cx.note(|| format!("{saga} is {} here: nothing more to undo", booking.as_str()));
                booking
            }
            None => {
                self.database.set(saga, Booking::Voided, cx.now());
                cx.note(|| format!("nothing was booked for {saga}: voids it, so it never books"));
                Booking::Voided
            }
        }
    }

    /// Orchestration: a command, answered with what the database holds.
    fn on_command(
        &mut self,
        from: NodeId,
        saga: SagaId,
        step: Step,
        command: Command,
        cx: &mut Cx<SagaNode>,
    ) {
        if step != self.step {
            cx.note(|| {
                format!(
                    "this service runs the {} step, not {step}: ignored",
                    self.step
                )
            });
            return;
        }
        let booking = match command {
            Command::Book => self.book(saga, cx),
            Command::Cancel => self.cancel(saga, cx),
        };
        cx.send(
            from,
            SagaMessage::Reply {
                saga,
                step,
                command,
                booking,
            },
        );
    }

    /// Where this service's events go: the next step's service (the initiator
    /// after the last) and the previous one's (the initiator before the first).
    fn next_service(&self) -> NodeId {
        if usize::from(self.step.0) >= self.services {
            NodeId(0)
        } else {
            Step(self.step.0 + 1).service()
        }
    }

    fn previous_service(&self) -> NodeId {
        Step(self.step.0.saturating_sub(1)).service()
    }

    /// Where the compensation goes after this step's: backwards (Richardson
    /// 4.2.1, the reverse of section 1's order); with the bug, forwards from
    /// the first step up to the one before the failed one.
    fn compensation_target(&self, failed: Step) -> NodeId {
        if self.bugs.compensate_in_forward_order {
            if self.step.0 + 1 < failed.0 {
                Step(self.step.0 + 1).service()
            } else {
                NodeId(0)
            }
        } else {
            self.previous_service()
        }
    }

    /// Choreography: an event from the step before (book) or after (cancel).
    fn on_event(&mut self, from: NodeId, saga: SagaId, event: Event, cx: &mut Cx<SagaNode>) {
        let before = self.database.get(saga);
        match event {
            Event::TripRequested | Event::Booked(_) => {
                if before.is_none() {
                    let step = self.step;
                    match self.book(saga, cx) {
                        Booking::Booked => {
                            self.publish(saga, self.next_service(), Event::Booked(step), cx)
                        }
                        _ => {
                            // The first compensation goes to the step before
                            // (with the bug, to the first step).
                            let to = if self.bugs.compensate_in_forward_order && step.0 > 1 {
                                Step(1).service()
                            } else {
                                self.previous_service()
                            };
                            self.publish(saga, to, Event::Refused(step), cx)
                        }
                    }
                } else {
                    cx.note(|| format!("'{event} {saga}' again: handled before"));
                }
            }
            Event::Refused(failed) | Event::Cancelled { failed, .. } => {
                if matches!(before, None | Some(Booking::Booked)) {
                    self.cancel(saga, cx);
                    let to = self.compensation_target(failed);
                    let step = self.step;
                    self.publish(saga, to, Event::Cancelled { step, failed }, cx);
                } else {
                    cx.note(|| format!("'{event} {saga}' again: handled before"));
                }
            }
        }
        cx.send(from, SagaMessage::EventAck { saga, event });
    }

    /// Puts `event` in the outbox (in the same local transaction as the change
    /// that caused it) and sends it; it is sent again until acknowledged.
    fn publish(&mut self, saga: SagaId, to: NodeId, event: Event, cx: &mut Cx<SagaNode>) {
        cx.note(|| format!("publishes '{event} {saga}' to {to}"));
        if self.bugs.no_retry_of_compensation && event.compensates() {
            // The bug: sent once, never kept, never sent again.
            cx.send(to, SagaMessage::Event { saga, event });
            return;
        }
        self.outbox.push(saga, to, event);
        self.resend(saga, cx);
    }

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

    /// After a crash the database and the outbox are intact: every event not
    /// yet acknowledged is sent again.
    pub fn on_start(&mut self, cx: &mut Cx<SagaNode>) {
        for saga in self.outbox.sagas() {
            cx.note(|| format!("recovery: {saga} has unacknowledged events: sends them again"));
            self.resend(saga, cx);
        }
    }

    pub fn on_message(&mut self, from: NodeId, msg: SagaMessage, cx: &mut Cx<SagaNode>) {
        match msg {
            SagaMessage::Command {
                saga,
                step,
                command,
            } => self.on_command(from, saga, step, command, cx),
            SagaMessage::Event { saga, event } => self.on_event(from, saga, event, cx),
            SagaMessage::EventAck { saga, event } => {
                if self.outbox.acknowledge(saga, event, from) && !self.outbox.has(saga) {
                    self.backoff.reset(saga);
                    cx.cancel_timer(SagaTimer::Retry(saga));
                }
            }
            SagaMessage::Reply { .. } => {
                let label = msg.label();
                cx.note(|| format!("a service takes no '{label}': ignored"));
            }
        }
    }

    pub fn on_timer(&mut self, timer: SagaTimer, cx: &mut Cx<SagaNode>) {
        let SagaTimer::Retry(saga) = timer;
        if self.outbox.has(saga) {
            cx.note(|| format!("no ack for {saga}'s events: publishes them again"));
        }
        if self.outbox.of(saga).any(|p| p.event.compensates()) {
            self.compensation_retries.push((saga, cx.now()));
        }
        self.resend(saga, cx);
    }

    pub fn on_crash(&mut self) {
        self.backoff.clear();
    }

    pub fn summary(&self) -> NodeSummary {
        let held = self.database.sagas_with(Booking::Booked).count();
        NodeSummary {
            role: self.step.name(),
            palette: if self.fail_next {
                Palette::Faulty
            } else if self.outbox.pending().is_empty() {
                Palette::Plain
            } else {
                Palette::Contend
            },
            badge: format!("{held} held"),
            detail: format!(
                "{} {} service (step {}): {held} bookings held{}",
                self.id,
                self.step,
                self.step.0,
                if self.fail_next {
                    ", its next booking fails"
                } else {
                    ""
                }
            ),
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        let list = |booking: Booking| -> String {
            let sagas: Vec<String> = self
                .database
                .sagas_with(booking)
                .map(|s| s.to_string())
                .collect();
            tail_list(&sagas, 6)
        };
        let outbox: Vec<String> = self
            .outbox
            .pending()
            .iter()
            .map(|p| format!("{} {} to {}", p.event, p.saga, p.to))
            .collect();
        vec![
            Cell::Text("-".to_string()),
            Cell::Text("-".to_string()),
            Cell::Text(list(Booking::Booked)),
            Cell::Text(list(Booking::Cancelled)),
            Cell::Text(list(Booking::Refused)),
            Cell::Text(tail_list(&outbox, 4)),
        ]
    }
}
