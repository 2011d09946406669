//! The saga orchestrator (node 0 in orchestrated mode): Garcia-Molina and
//! Salem's saga execution component, as Richardson's orchestration-based saga
//! ("Microservices Patterns", section 4.2.2). It sends each step's command to
//! its service in order, waits for the reply, and when a step fails runs the
//! compensations of the booked steps in reverse order; every command is sent
//! again, with exponential backoff, until its reply arrives.
//!
//! Rules are labelled with the paper's sections: section 1 (a saga runs
//! T_1..T_n, or T_1..T_j and then C_j..C_1) and section 3 (the saga
//! execution component: the saga log, backward recovery, and restarting from the log; compensations
//! cannot fail, so they are retried until they succeed).
//!
//! Durable: the saga log. Volatile: how often each saga's current command was
//! retried.

use crate::sim::node::{Cx, Labelled};
use crate::sim::time::{NodeId, Time};
use crate::sim::view::{Cell, NodeSummary, Palette};

use super::message::{Booking, Command, SagaId, SagaMessage, SagaTimer, Step};
use super::node::{tail_list, Backoff, SagaBugs, SagaNode, Timing};
use super::saga_log::{Outcome, RecordKind, SagaLog, SagaState};

/// What a saga needs next, as its log says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Run T_k.
    Book(Step),
    /// Run C_k.
    Cancel(Step),
    /// Write end-saga.
    End(Outcome),
    /// Nothing: the saga has ended.
    Nothing,
}

/// The orchestrator.
#[derive(Clone, Debug)]
pub struct Orchestrator {
    id: NodeId,
    services: usize,
    timing: Timing,
    bugs: SagaBugs,
    // Durable.
    log: SagaLog,
    // Volatile.
    backoff: Backoff,
    /// When each compensation was sent again, for the saga lanes; never read
    /// by the protocol, and kept across a crash as a record of what happened.
    compensation_retries: Vec<(SagaId, Time)>,
}

impl Orchestrator {
    pub fn new(id: NodeId, services: usize, timing: Timing, bugs: SagaBugs) -> Self {
        Orchestrator {
            id,
            services,
            timing,
            bugs,
            log: SagaLog::default(),
            backoff: Backoff::default(),
            compensation_retries: Vec::new(),
        }
    }

    pub fn id(&self) -> NodeId {
        self.id
    }
    pub fn log(&self) -> &SagaLog {
        &self.log
    }
    /// When each compensation was sent again (saga, instant), oldest first.
    pub fn compensation_retries(&self) -> &[(SagaId, Time)] {
        &self.compensation_retries
    }

    /// What `state`'s saga needs next.
    pub fn next(&self, state: &SagaState) -> Next {
        if state.outcome.is_some() {
            return Next::Nothing;
        }
        match state.failed {
            None => {
                // Section 1: T_1, T_2, ... in order; after T_n the saga is done.
                let done = (1..=self.services as u8)
                    .take_while(|&k| state.is_booked(Step(k)))
                    .count();
                if done == self.services {
                    Next::End(Outcome::Completed)
                } else {
                    Next::Book(Step(done as u8 + 1))
                }
            }
            Some(_) => {
                // Section 1 and section 3 (backward recovery): C_j..C_1, the
                // last booked step first.
                let open = (1..=self.services as u8)
                    .map(Step)
                    .filter(|&k| state.is_booked(k) && !state.is_cancelled(k));
                let next = if self.bugs.compensate_in_forward_order {
                    // The bug: the first booked step first.
                    open.min()
                } else {
                    open.max()
                };
                match next {
                    Some(step) => Next::Cancel(step),
                    None => Next::End(Outcome::Compensated),
                }
            }
        }
    }

    /// Section 3: write begin-saga, then run T_1.
    pub fn start(&mut self, saga: SagaId, cx: &mut Cx<SagaNode>) {
        if self.log.saga(saga).is_some() {
            cx.note(|| format!("{saga} has started before: a saga id is used once"));
            return;
        }
        self.log.append(saga, RecordKind::Begin, cx.now());
        cx.note(|| format!("writes '{saga} begin' to the saga log"));
        self.advance(saga, cx);
    }

    /// Sends the command the saga needs next (or writes its end), and the
    /// timer that sends it again.
    fn advance(&mut self, saga: SagaId, cx: &mut Cx<SagaNode>) {
        let Some(state) = self.log.saga(saga).copied() else {
            return;
        };
        match self.next(&state) {
            Next::Book(step) => self.send(saga, step, Command::Book, cx),
            Next::Cancel(step) => self.send(saga, step, Command::Cancel, cx),
            Next::End(outcome) => {
                self.log.append(saga, RecordKind::End(outcome), cx.now());
                self.backoff.reset(saga);
                cx.cancel_timer(SagaTimer::Retry(saga));
                cx.note(|| match outcome {
                    Outcome::Completed => {
                        format!("every step of {saga} is booked: writes '{saga} completed'")
                    }
                    Outcome::Compensated => {
                        format!("every booking of {saga} is cancelled: writes '{saga} compensated'")
                    }
                });
            }
            Next::Nothing => {}
        }
    }

    fn send(&mut self, saga: SagaId, step: Step, command: Command, cx: &mut Cx<SagaNode>) {
        cx.send(
            step.service(),
            SagaMessage::Command {
                saga,
                step,
                command,
            },
        );
        let wait = self.backoff.next(saga, self.timing);
        cx.set_timer(SagaTimer::Retry(saga), wait);
    }

    /// A service's reply: the step's transaction or compensation committed
    /// (or had, if the command was a retry).
    fn on_reply(
        &mut self,
        from: NodeId,
        saga: SagaId,
        step: Step,
        command: Command,
        booking: Booking,
        cx: &mut Cx<SagaNode>,
    ) {
        if from != step.service() {
            cx.note(|| format!("{from} does not run the {step} step: its reply is ignored"));
            return;
        }
        let Some(state) = self.log.saga(saga).copied() else {
            cx.note(|| format!("a reply about {saga}, which never started here"));
            return;
        };
        let ended = match (self.next(&state), command, booking) {
            // Section 1: T_k committed, or failed for a business reason (which
            // starts backward recovery).
            (Next::Book(k), Command::Book, Booking::Booked | Booking::Refused) if k == step => {
                booking
            }
            // Section 3: C_k committed; it cannot fail, only be late. A step
            // with nothing to undo counts as undone.
            (Next::Cancel(k), Command::Cancel, Booking::Cancelled | Booking::Voided)
                if k == step =>
            {
                booking
            }
            _ => {
                cx.note(|| {
                    format!(
                        "late or repeated reply '{step} {} {saga}': nothing to do",
                        booking.as_str()
                    )
                });
                return;
            }
        };
        self.log
            .append(saga, RecordKind::StepEnded(step, ended), cx.now());
        self.backoff.reset(saga);
        let forward = self.bugs.compensate_in_forward_order;
        cx.note(|| match ended {
            Booking::Refused if forward => format!(
                "{step} refused {saga}: logs it and (bug) compensates the booked steps, first first"
            ),
            Booking::Refused => format!(
                "{step} refused {saga}: logs it and compensates the booked steps, last first"
            ),
            _ => format!("logs '{saga} {step} {}'", ended.as_str()),
        });
        self.advance(saga, cx);
    }

    /// No reply in time: send the command again (section 3: a compensation
    /// is retried until it succeeds).
    fn on_retry(&mut self, saga: SagaId, cx: &mut Cx<SagaNode>) {
        let Some(state) = self.log.saga(saga).copied() else {
            return;
        };
        match self.next(&state) {
            Next::Cancel(step) if self.bugs.no_retry_of_compensation => {
                // The bug: a compensation sent once is taken for done.
                cx.note(|| {
                    format!("no reply to CANCEL {step} {saga}: (bug) takes it as cancelled")
                });
                self.log.append(
                    saga,
                    RecordKind::StepEnded(step, Booking::Cancelled),
                    cx.now(),
                );
                self.backoff.reset(saga);
                self.advance(saga, cx);
            }
            Next::Book(step) | Next::Cancel(step) => {
                if matches!(self.next(&state), Next::Cancel(_)) {
                    self.compensation_retries.push((saga, cx.now()));
                }
                cx.note(|| format!("no reply from {step} about {saga}: sends the command again"));
                self.advance(saga, cx);
            }
            Next::End(_) | Next::Nothing => {}
        }
    }

    /// Section 3: after a crash, every saga the log shows unfinished resumes
    /// where the log says it is: its current command is sent again (the
    /// services answer a repeated command from their databases).
    pub fn on_start(&mut self, cx: &mut Cx<SagaNode>) {
        let unfinished: Vec<SagaId> = self.log.unfinished().map(|s| s.saga).collect();
        for saga in unfinished {
            cx.note(|| format!("recovery: {saga} is unfinished in the saga log: resumes it"));
            self.advance(saga, cx);
        }
    }

    pub fn on_message(&mut self, from: NodeId, msg: SagaMessage, cx: &mut Cx<SagaNode>) {
        match msg {
            SagaMessage::Reply {
                saga,
                step,
                command,
                booking,
            } => self.on_reply(from, saga, step, command, booking, cx),
            SagaMessage::Command { .. }
            | SagaMessage::Event { .. }
            | SagaMessage::EventAck { .. } => {
                let label = msg.label();
                cx.note(|| format!("the orchestrator takes no '{label}': ignored"));
            }
        }
    }

    pub fn on_timer(&mut self, timer: SagaTimer, cx: &mut Cx<SagaNode>) {
        let SagaTimer::Retry(saga) = timer;
        self.on_retry(saga, cx);
    }

    pub fn on_crash(&mut self) {
        self.backoff.clear();
    }

    /// A saga's state as the state table says it.
    pub fn describe(&self, state: &SagaState) -> String {
        let saga = state.saga;
        match self.next(state) {
            Next::Book(step) => format!("{saga}: step {} forward", step.0),
            Next::Cancel(step) => format!("{saga}: step {} compensating", step.0),
            Next::End(_) | Next::Nothing => match state.outcome {
                Some(Outcome::Completed) => format!("{saga}: done"),
                Some(Outcome::Compensated) => format!("{saga}: compensated"),
                None => format!("{saga}: ending"),
            },
        }
    }

    pub fn summary(&self) -> NodeSummary {
        let open = self.log.unfinished().count();
        NodeSummary {
            role: "orchestrator",
            palette: Palette::Lead,
            badge: format!("{open} open"),
            detail: format!(
                "{} orchestrator: {open} sagas in progress, {} completed, {} compensated",
                self.id,
                self.log.count(Outcome::Completed),
                self.log.count(Outcome::Compensated)
            ),
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        // The unfinished sagas, then the last few finished ones.
        let mut shown: Vec<String> = self.log.unfinished().map(|s| self.describe(s)).collect();
        let finished: Vec<String> = self
            .log
            .sagas()
            .iter()
            .filter(|s| s.outcome.is_some())
            .map(|s| self.describe(s))
            .collect();
        let recent = finished.len().saturating_sub(3);
        shown.extend(finished[recent..].iter().cloned());
        vec![
            Cell::Text(tail_list(&shown, 8)),
            Cell::Text(finished_text(&self.log)),
            Cell::Text("-".to_string()),
            Cell::Text("-".to_string()),
            Cell::Text("-".to_string()),
            Cell::Text("-".to_string()),
        ]
    }
}

/// How many sagas ended each way, as the state table says it.
pub fn finished_text(log: &SagaLog) -> String {
    format!(
        "{} completed, {} compensated",
        log.count(Outcome::Completed),
        log.count(Outcome::Compensated)
    )
}
