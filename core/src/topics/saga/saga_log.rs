//! The saga log: the durable log of node 0 (the orchestrator, or the initiator
//! of a choreographed saga), with an index by saga so a lookup does not scan
//! the log. Garcia-Molina and Salem, section 3 (the saga execution
//! component): it writes begin-saga, the end of each transaction and
//! compensation, and end-saga records to its log, and after a crash it reads
//! the log to finish every saga it finds unfinished: backward (compensating)
//! when one of its transactions had failed, forward otherwise.
//!
//! Everything appended here survives a crash. The times are the writer's own
//! clock, kept for the view (the timeline's marks and the stuck count), never
//! read by the protocol.

use std::fmt;

use crate::sim::time::Time;

use super::message::{Booking, SagaId, Step};

/// How a finished saga ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// T_1..T_n all committed.
    Completed,
    /// T_1..T_j committed and then C_j..C_1: nothing remains booked.
    Compensated,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::Compensated => "compensated",
        }
    }
}

/// What one record of the saga log says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// begin-saga.
    Begin,
    /// The end of a step's transaction or compensation, as the service replied:
    /// booked or refused (T_k), cancelled or voided (C_k).
    StepEnded(Step, Booking),
    /// end-saga.
    End(Outcome),
}

/// One record of the saga log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Record {
    pub saga: SagaId,
    pub kind: RecordKind,
    pub at: Time,
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            RecordKind::Begin => write!(f, "{} begin", self.saga),
            RecordKind::StepEnded(step, booking) => {
                write!(f, "{} {step} {}", self.saga, booking.as_str())
            }
            RecordKind::End(outcome) => write!(f, "{} {}", self.saga, outcome.as_str()),
        }
    }
}

/// What the log says about one saga.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SagaState {
    pub saga: SagaId,
    /// The steps whose transaction committed (bit k: step k).
    pub booked: u8,
    /// The booked steps whose compensation committed.
    pub cancelled: u8,
    /// The step whose transaction failed, once one did: the saga is aborting.
    pub failed: Option<Step>,
    pub outcome: Option<Outcome>,
    pub started_at: Time,
    pub finished_at: Option<Time>,
}

impl SagaState {
    pub fn is_booked(&self, step: Step) -> bool {
        self.booked & step.bit() != 0
    }

    pub fn is_cancelled(&self, step: Step) -> bool {
        self.cancelled & step.bit() != 0
    }
}

/// An append-only durable saga log.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SagaLog {
    records: Vec<Record>,
    /// One entry per saga, sorted by saga id.
    index: Vec<SagaState>,
}

impl SagaLog {
    pub fn append(&mut self, saga: SagaId, kind: RecordKind, at: Time) {
        self.records.push(Record { saga, kind, at });
        let position = match self.index.binary_search_by_key(&saga, |s| s.saga) {
            Ok(position) => position,
            Err(position) => {
                self.index.insert(
                    position,
                    SagaState {
                        saga,
                        booked: 0,
                        cancelled: 0,
                        failed: None,
                        outcome: None,
                        started_at: at,
                        finished_at: None,
                    },
                );
                position
            }
        };
        let state = &mut self.index[position];
        match kind {
            RecordKind::Begin => {}
            RecordKind::StepEnded(step, Booking::Booked) => state.booked |= step.bit(),
            RecordKind::StepEnded(step, Booking::Refused) => {
                state.failed.get_or_insert(step);
            }
            RecordKind::StepEnded(step, Booking::Cancelled | Booking::Voided) => {
                state.cancelled |= step.bit()
            }
            RecordKind::End(outcome) => {
                state.outcome = Some(outcome);
                state.finished_at = Some(at);
            }
        }
    }

    pub fn records(&self) -> &[Record] {
        &self.records
    }

    pub fn saga(&self, saga: SagaId) -> Option<&SagaState> {
        self.index
            .binary_search_by_key(&saga, |s| s.saga)
            .ok()
            .map(|i| &self.index[i])
    }

    /// Every saga the log mentions, in id order.
    pub fn sagas(&self) -> &[SagaState] {
        &self.index
    }

    /// The sagas begun and not ended, in id order.
    pub fn unfinished(&self) -> impl Iterator<Item = &SagaState> {
        self.index.iter().filter(|s| s.outcome.is_none())
    }

    /// How many sagas ended with `outcome`.
    pub fn count(&self, outcome: Outcome) -> usize {
        self.index
            .iter()
            .filter(|s| s.outcome == Some(outcome))
            .count()
    }
}
