//! The saga's handlers called one at a time, outside a simulation: the rules
//! a run rarely isolates (a retried command answered from the database, a
//! late BOOK after its CANCEL, a compensation for a step never run, recovery
//! in the middle of compensating), that each invariant can fire, and that
//! nonsense is dropped, never a panic.

use super::S1;
use crate::sim::action::{Operation, RawOperation};
use crate::sim::checker::{Checker, Violation};
use crate::sim::node::{Cx, Effects, Node, TimerOp};
use crate::sim::rng::Rng;
use crate::sim::time::{NodeId, Time};
use crate::topics::saga::checker::{
    SagaChecker, ALL_OR_NOTHING, COMPENSATIONS_IN_REVERSE_ORDER,
    NO_COMPENSATION_WITHOUT_FORWARD_STEP,
};
use crate::topics::saga::initiator::Initiator;
use crate::topics::saga::message::{
    Booking, Command, Event, SagaId, SagaMessage, SagaOp, SagaTimer, Step,
};
use crate::topics::saga::node::{SagaBugs, SagaNode, Timing};
use crate::topics::saga::orchestrator::Orchestrator;
use crate::topics::saga::service::Service;

/// Runs handlers outside a simulation and keeps what they asked for.
struct Harness {
    rng: Rng,
    effects: Effects<SagaMessage, SagaTimer>,
}

struct Called {
    sends: Vec<(NodeId, SagaMessage)>,
    timers: Vec<TimerOp<SagaTimer>>,
    notes: Vec<String>,
}

impl Harness {
    fn new() -> Self {
        Harness {
            rng: Rng::derive(1, 1),
            effects: Effects::default(),
        }
    }

    fn call(
        &mut self,
        node: &mut SagaNode,
        handler: impl FnOnce(&mut SagaNode, &mut Cx<SagaNode>),
    ) -> Called {
        {
            let mut cx = Cx::new(
                node.id(),
                Time::from_millis(5),
                5,
                true,
                &mut self.rng,
                &mut self.effects,
            );
            handler(node, &mut cx);
        }
        Called {
            sends: self.effects.sends.drain(..).collect(),
            timers: self.effects.timers.drain(..).collect(),
            notes: self.effects.notes.drain(..).collect(),
        }
    }

    fn deliver(&mut self, node: &mut SagaNode, from: u32, msg: SagaMessage) -> Called {
        self.call(node, |n, cx| n.on_message(NodeId(from), msg, cx))
    }
}

fn service(step: u8, bugs: SagaBugs) -> SagaNode {
    SagaNode::Service(Service::new(Step(step), 4, Timing::default(), bugs, 0))
}

fn command(step: u8, command: Command) -> SagaMessage {
    SagaMessage::Command {
        saga: S1,
        step: Step(step),
        command,
    }
}

fn reply(step: u8, command: Command, booking: Booking) -> SagaMessage {
    SagaMessage::Reply {
        saga: S1,
        step: Step(step),
        command,
        booking,
    }
}

fn journal(node: &SagaNode) -> Vec<(SagaId, Booking)> {
    node.service().unwrap().database().journal().to_vec()
}

#[test]
fn a_retried_book_is_answered_from_the_database_and_a_late_one_never_rebooks() {
    let mut harness = Harness::new();
    let mut hotel = service(2, SagaBugs::default());
    for _ in 0..2 {
        let called = harness.deliver(&mut hotel, 0, command(2, Command::Book));
        assert_eq!(
            called.sends,
            [(NodeId(0), reply(2, Command::Book, Booking::Booked))]
        );
    }
    hotel.on_crash();
    let called = harness.deliver(&mut hotel, 0, command(2, Command::Cancel));
    assert_eq!(
        called.sends,
        [(NodeId(0), reply(2, Command::Cancel, Booking::Cancelled))]
    );
    // A BOOK delayed in the network arrives after the CANCEL.
    let called = harness.deliver(&mut hotel, 0, command(2, Command::Book));
    assert_eq!(
        called.sends,
        [(NodeId(0), reply(2, Command::Book, Booking::Cancelled))]
    );
    assert_eq!(
        journal(&hotel),
        [(S1, Booking::Booked), (S1, Booking::Cancelled)],
        "booked once, cancelled once, across a crash"
    );
}

#[test]
fn a_compensation_for_a_step_never_run_voids_it_so_it_never_books() {
    let mut harness = Harness::new();
    let mut car = service(3, SagaBugs::default());
    let called = harness.deliver(&mut car, 0, command(3, Command::Cancel));
    assert_eq!(
        called.sends,
        [(NodeId(0), reply(3, Command::Cancel, Booking::Voided))]
    );
    harness.deliver(&mut car, 0, command(3, Command::Book));
    assert_eq!(journal(&car), [(S1, Booking::Voided)]);
}

#[test]
fn the_fail_step_switch_refuses_the_next_new_booking_only() {
    let mut harness = Harness::new();
    let mut car = service(3, SagaBugs::default());
    harness.deliver(&mut car, 0, command(3, Command::Book));
    harness.call(&mut car, |n, cx| {
        n.on_operation(SagaOp::FailNext { service: NodeId(3) }, cx)
    });
    // A retry of a booked saga is not a new booking.
    harness.deliver(&mut car, 0, command(3, Command::Book));
    assert!(car.service().unwrap().fails_next());
    let called = harness.deliver(
        &mut car,
        0,
        SagaMessage::Command {
            saga: SagaId(2),
            step: Step(3),
            command: Command::Book,
        },
    );
    assert!(matches!(
        called.sends[..],
        [(
            _,
            SagaMessage::Reply {
                booking: Booking::Refused,
                ..
            }
        )]
    ));
    assert!(!car.service().unwrap().fails_next());
}

#[test]
fn a_restarted_orchestrator_resumes_compensating_from_the_last_booked_step() {
    let mut harness = Harness::new();
    let mut orchestrator = SagaNode::Orchestrator(Orchestrator::new(
        NodeId(0),
        4,
        Timing::default(),
        SagaBugs::default(),
    ));
    harness.call(&mut orchestrator, |n, cx| {
        n.on_operation(SagaOp::Start { saga: S1 }, cx)
    });
    harness.deliver(
        &mut orchestrator,
        1,
        reply(1, Command::Book, Booking::Booked),
    );
    harness.deliver(
        &mut orchestrator,
        2,
        reply(2, Command::Book, Booking::Booked),
    );
    let called = harness.deliver(
        &mut orchestrator,
        3,
        reply(3, Command::Book, Booking::Refused),
    );
    assert_eq!(called.sends, [(NodeId(2), command(2, Command::Cancel))]);
    // A repeated reply and a reply from the wrong service change nothing.
    let called = harness.deliver(
        &mut orchestrator,
        2,
        reply(2, Command::Book, Booking::Booked),
    );
    assert!(called.sends.is_empty());
    let called = harness.deliver(
        &mut orchestrator,
        1,
        reply(2, Command::Cancel, Booking::Cancelled),
    );
    assert!(called.sends.is_empty());
    orchestrator.on_crash();
    let called = harness.call(&mut orchestrator, |n, cx| n.on_start(cx));
    assert_eq!(called.sends, [(NodeId(2), command(2, Command::Cancel))]);
    assert!(matches!(
        called.timers[..],
        [TimerOp::Set(SagaTimer::Retry(S1), _)]
    ));
    // No reply: sent again, each time waiting twice as long.
    let mut waits = Vec::new();
    for _ in 0..6 {
        let called = harness.call(&mut orchestrator, |n, cx| {
            n.on_timer(SagaTimer::Retry(S1), cx)
        });
        assert_eq!(called.sends, [(NodeId(2), command(2, Command::Cancel))]);
        let [TimerOp::Set(_, wait)] = called.timers[..] else {
            panic!("{:?}", called.timers.len())
        };
        waits.push(wait.as_micros() / 1_000);
    }
    assert_eq!(waits, [200, 400, 800, 1_600, 1_600, 1_600]);
    harness.deliver(
        &mut orchestrator,
        2,
        reply(2, Command::Cancel, Booking::Cancelled),
    );
    let called = harness.deliver(
        &mut orchestrator,
        1,
        reply(1, Command::Cancel, Booking::Cancelled),
    );
    assert!(called.sends.is_empty());
    assert!(called.notes.iter().any(|n| n.contains("compensated")));
}

fn check(checker: &mut SagaChecker, nodes: &[SagaNode], changed: u32) -> Vec<Violation> {
    let mut found = Vec::new();
    let up = vec![true; nodes.len()];
    checker.check(nodes, &up, NodeId(changed), Time::ZERO, &mut found);
    found
}

fn cluster() -> Vec<SagaNode> {
    let mut nodes = vec![SagaNode::Initiator(Initiator::new(
        NodeId(0),
        4,
        Timing::default(),
    ))];
    nodes.extend((1..=4).map(|k| service(k, SagaBugs::default())));
    nodes
}

#[test]
fn declaring_a_saga_completed_while_steps_hold_nothing_breaks_all_or_nothing() {
    let mut harness = Harness::new();
    let mut nodes = cluster();
    let mut checker = SagaChecker::default();
    harness.call(&mut nodes[0], |n, cx| {
        n.on_operation(SagaOp::Start { saga: S1 }, cx)
    });
    assert!(check(&mut checker, &nodes, 0).is_empty());
    let called = harness.deliver(
        &mut nodes[0],
        4,
        SagaMessage::Event {
            saga: S1,
            event: Event::Booked(Step(4)),
        },
    );
    assert!(called.sends.contains(&(
        NodeId(4),
        SagaMessage::EventAck {
            saga: S1,
            event: Event::Booked(Step(4))
        }
    )));
    let found = check(&mut checker, &nodes, 0);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].invariant, ALL_OR_NOTHING);
    assert!(
        found[0].message.contains("flight, hotel, car, payment"),
        "{}",
        found[0].message
    );
}

#[test]
fn a_cancellation_without_its_booking_breaks_no_compensation_without_forward_step() {
    let mut nodes = cluster();
    let mut checker = SagaChecker::default();
    let SagaNode::Service(hotel) = &mut nodes[2] else {
        unreachable!()
    };
    hotel.database_mut().set(S1, Booking::Cancelled, Time::ZERO);
    let found = check(&mut checker, &nodes, 2);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].invariant, NO_COMPENSATION_WITHOUT_FORWARD_STEP);
}

#[test]
fn cancelling_a_step_before_a_later_one_breaks_compensations_in_reverse_order() {
    let mut harness = Harness::new();
    let mut nodes = cluster();
    let mut checker = SagaChecker::default();
    for k in [1u8, 2] {
        harness.deliver(&mut nodes[k as usize], 0, command(k, Command::Book));
        assert!(check(&mut checker, &nodes, u32::from(k)).is_empty());
    }
    harness.deliver(&mut nodes[1], 0, command(1, Command::Cancel));
    let found = check(&mut checker, &nodes, 1);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].invariant, COMPENSATIONS_IN_REVERSE_ORDER);
    // In reverse order nothing fires.
    harness.deliver(&mut nodes[2], 0, command(2, Command::Cancel));
    assert!(check(&mut checker, &nodes, 2).is_empty());
}

#[test]
fn a_choreographed_service_books_on_the_event_before_it_and_publishes_until_acked() {
    let mut harness = Harness::new();
    let mut hotel = service(2, SagaBugs::default());
    let booked = SagaMessage::Event {
        saga: S1,
        event: Event::Booked(Step(1)),
    };
    let called = harness.deliver(&mut hotel, 1, booked.clone());
    let hotel_booked = SagaMessage::Event {
        saga: S1,
        event: Event::Booked(Step(2)),
    };
    assert!(called.sends.contains(&(NodeId(3), hotel_booked.clone())));
    assert!(called.sends.contains(&(
        NodeId(1),
        SagaMessage::EventAck {
            saga: S1,
            event: Event::Booked(Step(1))
        }
    )));
    // The event survives a crash and is published again on restart.
    hotel.on_crash();
    let called = harness.call(&mut hotel, |n, cx| n.on_start(cx));
    assert_eq!(called.sends, [(NodeId(3), hotel_booked)]);
    // A duplicate of the event before is acknowledged, not booked again.
    let called = harness.deliver(&mut hotel, 1, booked);
    assert_eq!(called.sends.len(), 1);
    assert_eq!(journal(&hotel), [(S1, Booking::Booked)]);
    // The ack empties the outbox.
    harness.deliver(
        &mut hotel,
        3,
        SagaMessage::EventAck {
            saga: S1,
            event: Event::Booked(Step(2)),
        },
    );
    assert!(hotel.service().unwrap().outbox().pending().is_empty());
    // The refusal of the step after it: cancel and pass it backwards.
    let called = harness.deliver(
        &mut hotel,
        3,
        SagaMessage::Event {
            saga: S1,
            event: Event::Refused(Step(3)),
        },
    );
    assert!(called.sends.contains(&(
        NodeId(1),
        SagaMessage::Event {
            saga: S1,
            event: Event::Cancelled {
                step: Step(2),
                failed: Step(3)
            }
        }
    )));
}

#[test]
fn without_retries_a_choreographed_compensation_is_not_kept_in_the_outbox() {
    let mut harness = Harness::new();
    let bugs = SagaBugs {
        no_retry_of_compensation: true,
        ..SagaBugs::default()
    };
    let mut hotel = service(2, bugs);
    harness.deliver(
        &mut hotel,
        1,
        SagaMessage::Event {
            saga: S1,
            event: Event::Booked(Step(1)),
        },
    );
    harness.deliver(
        &mut hotel,
        3,
        SagaMessage::Event {
            saga: S1,
            event: Event::Refused(Step(3)),
        },
    );
    let pending = hotel.service().unwrap().outbox().pending();
    assert!(
        pending.iter().all(|p| !p.event.compensates()),
        "{pending:?}"
    );
}

#[test]
fn nonsense_is_dropped_with_a_note() {
    let mut harness = Harness::new();
    let mut hotel = service(2, SagaBugs::default());
    let called = harness.deliver(&mut hotel, 0, command(3, Command::Book));
    assert!(called.sends.is_empty() && !called.notes.is_empty());
    let called = harness.deliver(&mut hotel, 0, reply(2, Command::Book, Booking::Booked));
    assert!(called.sends.is_empty() && !called.notes.is_empty());
    let called = harness.call(&mut hotel, |n, cx| {
        n.on_operation(SagaOp::Start { saga: S1 }, cx)
    });
    assert!(called.sends.is_empty() && !called.notes.is_empty());
    let called = harness.call(&mut hotel, |n, cx| {
        n.on_operation(SagaOp::FailNext { service: NodeId(3) }, cx)
    });
    assert!(!called.notes.is_empty() && !hotel.service().unwrap().fails_next());
    assert!(journal(&hotel).is_empty());

    let mut orchestrator = SagaNode::Orchestrator(Orchestrator::new(
        NodeId(0),
        4,
        Timing::default(),
        SagaBugs::default(),
    ));
    let called = harness.deliver(
        &mut orchestrator,
        2,
        reply(2, Command::Book, Booking::Booked),
    );
    assert!(
        called.sends.is_empty() && !called.notes.is_empty(),
        "unknown saga"
    );
    let called = harness.call(&mut orchestrator, |n, cx| {
        n.on_timer(SagaTimer::Retry(SagaId(9)), cx)
    });
    assert!(called.sends.is_empty());
    harness.call(&mut orchestrator, |n, cx| {
        n.on_operation(SagaOp::Start { saga: S1 }, cx)
    });
    let called = harness.call(&mut orchestrator, |n, cx| {
        n.on_operation(SagaOp::Start { saga: S1 }, cx)
    });
    assert!(called.sends.is_empty(), "a saga id is used once");
}

#[test]
fn operations_round_trip_and_refuse_anything_else() {
    for op in [
        SagaOp::Start { saga: SagaId(7) },
        SagaOp::FailNext { service: NodeId(3) },
    ] {
        assert_eq!(SagaOp::from_raw(&op.to_raw()), Some(op));
    }
    assert_eq!(SagaOp::from_raw(&RawOperation::new(1, &[1 << 40])), None);
    assert_eq!(SagaOp::from_raw(&RawOperation::new(2, &[1])), None);
    assert_eq!(SagaOp::from_raw(&RawOperation::new(0, &[])), None);
}
