//! The saga's vocabulary: sagas and their steps, what a service's local
//! transaction can end as, the commands and replies of an orchestrated saga,
//! the events of a choreographed one, the timers, and the operations a person
//! (or a preset) can send. The two styles of coordination and their message
//! names follow Richardson, "Microservices Patterns" (2018), chapter 4:
//! section 4.2.1 (choreography: services publish domain events such as "flight
//! booked" and the next one subscribes) and section 4.2.2 (orchestration: an
//! orchestrator sends command messages and waits for each reply).

use std::fmt;

use crate::lab::scenario::CLIENT_REQUEST_CODE;
use crate::sim::action::{Operation, RawOperation};
use crate::sim::node::Labelled;
use crate::sim::time::NodeId;

/// A saga (one trip to book), named by the request that started it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SagaId(pub u64);

impl fmt::Display for SagaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "S{}", self.0)
    }
}

/// What each service books, in the saga's order: step k is service k (node k).
pub const STEP_NAMES: [&str; 5] = ["flight", "hotel", "car", "payment", "insurance"];

/// The fewest and the most services (steps) a saga has.
pub const MIN_SERVICES: usize = 3;
pub const MAX_SERVICES: usize = STEP_NAMES.len();

/// Step k of every saga, from 1: the local transaction T_k of service k and its
/// compensation C_k (Garcia-Molina and Salem, section 1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Step(pub u8);

impl Step {
    /// The service that runs this step.
    pub fn service(self) -> NodeId {
        NodeId(u32::from(self.0))
    }

    /// The step a service runs, if `node` is one of `services` services.
    pub fn of(node: NodeId, services: usize) -> Option<Step> {
        (1..=services)
            .contains(&node.index())
            .then_some(Step(node.0 as u8))
    }

    pub fn name(self) -> &'static str {
        usize::from(self.0)
            .checked_sub(1)
            .and_then(|i| STEP_NAMES.get(i))
            .copied()
            .unwrap_or("step")
    }

    /// What the step's transaction does, as a note says it.
    pub fn booking_verb(self) -> &'static str {
        match self.0 {
            1 => "books the flight",
            2 => "books the hotel",
            3 => "books the car",
            4 => "takes the payment",
            _ => "issues the insurance",
        }
    }

    /// Why the step's service refuses a booking (a business failure).
    pub fn refusal(self) -> &'static str {
        match self.0 {
            1 => "no seats left",
            2 => "no rooms left",
            3 => "no cars left",
            4 => "card declined",
            _ => "not insurable",
        }
    }

    /// Bit of this step in a set of steps.
    pub fn bit(self) -> u8 {
        1 << (self.0 % 8)
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a service's local database holds for one saga: the outcome of its
/// local transaction, and whether it was compensated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Booking {
    /// T_k committed: the seat, room or car is held for the saga.
    Booked,
    /// T_k failed for a business reason ("no rooms"): nothing was booked.
    Refused,
    /// C_k committed: the booking was cancelled.
    Cancelled,
    /// A compensation arrived for a step never run here: nothing to undo, and a
    /// late T_k for this saga will be refused (a tombstone).
    Voided,
}

impl Booking {
    pub fn as_str(self) -> &'static str {
        match self {
            Booking::Booked => "booked",
            Booking::Refused => "refused",
            Booking::Cancelled => "cancelled",
            Booking::Voided => "voided",
        }
    }

    /// Whether the step holds something for the saga.
    pub fn held(self) -> bool {
        self == Booking::Booked
    }
}

/// What an orchestrator asks a service to do (Richardson 4.2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Command {
    /// Run T_k: book.
    Book,
    /// Run C_k: cancel the booking.
    Cancel,
}

impl Command {
    pub fn as_str(self) -> &'static str {
        match self {
            Command::Book => "BOOK",
            Command::Cancel => "CANCEL",
        }
    }
}

/// A domain event of a choreographed saga (Richardson 4.2.1): what happened
/// at the sender, which tells its subscriber what to do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Event {
    /// The initiator asks for a trip: the first service books.
    TripRequested,
    /// Step k booked: step k+1 books (after the last step, the trip is booked).
    Booked(Step),
    /// Step k could not book: step k-1 compensates.
    Refused(Step),
    /// Step `step` cancelled its booking while compensating a saga that failed
    /// at step `failed`: the step before it compensates next.
    Cancelled { step: Step, failed: Step },
}

impl Event {
    /// Whether the event asks its receiver to compensate (rather than book, or
    /// to learn that the trip is booked).
    pub fn compensates(self) -> bool {
        matches!(self, Event::Refused(_) | Event::Cancelled { .. })
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::TripRequested => f.write_str("trip requested"),
            Event::Booked(step) => write!(f, "{step} booked"),
            Event::Refused(step) => write!(f, "{step} refused"),
            Event::Cancelled { step, .. } => write!(f, "{step} cancelled"),
        }
    }
}

/// The messages of both styles.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SagaMessage {
    /// Orchestrator to service: run step `step` of `saga` (or its compensation).
    Command {
        saga: SagaId,
        step: Step,
        command: Command,
    },
    /// Service to orchestrator: what its database now holds for the step.
    Reply {
        saga: SagaId,
        step: Step,
        command: Command,
        booking: Booking,
    },
    /// Choreography: an event published to its subscriber, sent again until
    /// acknowledged.
    Event { saga: SagaId, event: Event },
    /// Choreography: the subscriber handled the event.
    EventAck { saga: SagaId, event: Event },
}

impl SagaMessage {
    pub fn saga(&self) -> SagaId {
        match self {
            SagaMessage::Command { saga, .. }
            | SagaMessage::Reply { saga, .. }
            | SagaMessage::Event { saga, .. }
            | SagaMessage::EventAck { saga, .. } => *saga,
        }
    }
}

impl Labelled for SagaMessage {
    fn kind(&self) -> &'static str {
        match self {
            SagaMessage::Command { .. } => "Command",
            SagaMessage::Reply { .. } => "Reply",
            SagaMessage::Event { .. } => "Event",
            SagaMessage::EventAck { .. } => "EventAck",
        }
    }

    fn label(&self) -> String {
        match self {
            SagaMessage::Command {
                saga,
                step,
                command,
            } => format!("{} {step} {saga}", command.as_str()),
            SagaMessage::Reply {
                saga,
                step,
                booking,
                ..
            } => format!("{step} {} {saga}", booking.as_str()),
            SagaMessage::Event { saga, event } => format!("{event} {saga}"),
            SagaMessage::EventAck { saga, event } => format!("ack '{event} {saga}'"),
        }
    }
}

/// The one timer: a saga's request (or event) is late, send it again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SagaTimer {
    Retry(SagaId),
}

impl Labelled for SagaTimer {
    fn kind(&self) -> &'static str {
        "retry"
    }

    fn label(&self) -> String {
        let SagaTimer::Retry(saga) = self;
        format!("no answer for {saga}: send again")
    }
}

/// What a person (or a preset) can ask of a saga run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SagaOp {
    /// Node 0 (orchestrator or initiator) starts a saga.
    Start { saga: SagaId },
    /// Service `service`'s next forward step fails ("no rooms"). Address it to
    /// that service.
    FailNext { service: NodeId },
}

impl fmt::Display for SagaOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SagaOp::Start { saga } => write!(f, "start {saga}"),
            SagaOp::FailNext { service } => {
                write!(f, "{service}'s next booking fails")
            }
        }
    }
}

/// The scenario code of [`SagaOp::FailNext`]; its one argument is the service's
/// id. [`SagaOp::Start`] takes the client request code, with the saga number.
const FAIL_NEXT_CODE: u32 = 1;

impl Operation for SagaOp {
    fn to_raw(&self) -> RawOperation {
        match self {
            SagaOp::Start { saga } => RawOperation::new(CLIENT_REQUEST_CODE, &[saga.0]),
            SagaOp::FailNext { service } => {
                RawOperation::new(FAIL_NEXT_CODE, &[u64::from(service.0)])
            }
        }
    }

    fn from_raw(raw: &RawOperation) -> Option<Self> {
        match (raw.code, raw.args.as_slice()) {
            (CLIENT_REQUEST_CODE, &[saga]) => Some(SagaOp::Start { saga: SagaId(saga) }),
            (FAIL_NEXT_CODE, &[service]) => Some(SagaOp::FailNext {
                service: NodeId(u32::try_from(service).ok()?),
            }),
            _ => None,
        }
    }
}
