//! The saga's guided scenarios: the scripted actions and narration of each
//! preset. Every preset runs one saga, S1, over four services (n1 flight, n2
//! hotel, n3 car, n4 payment), with no automatic workload and no random
//! failures, so each story is the one its script forces. The narration's times
//! were read off each preset's trace (`distlab run saga --preset NAME`); tests
//! replay every preset and assert its story happens.

use crate::lab::protocol::{at, node};
use crate::lab::protocol::{ProtocolPreset, Setup};
use crate::lab::topic::say;
use crate::lab::topic::PresetInfo;
use crate::sim::action::{Action, TimedAction};

use super::message::{SagaId, SagaOp};
use super::{BUG_COMPENSATE_IN_FORWARD_ORDER, BUG_NO_RETRY_OF_COMPENSATION};

/// Parameters every orchestrated preset shares: four services, no workload,
/// no random failures.
const QUIET: &[(&str, i64)] = &[("services", 4), ("rate", 0), ("fail-percent", 0)];

/// The same, choreographed.
const QUIET_CHOREOGRAPHED: &[(&str, i64)] = &[
    ("services", 4),
    ("mode", 1),
    ("rate", 0),
    ("fail-percent", 0),
];

pub const PRESETS: &[ProtocolPreset] = &[
    ProtocolPreset {
        info: PresetInfo {
            name: "happy-path",
            title: "A trip is booked",
            summary: "The orchestrator books the flight, the hotel, the car and the payment in turn, logging each reply, and the saga completes.",
            seed: 1,
            params: QUIET,
            bug: None,
            narration: &[
                say(0, "n0 is the saga orchestrator; n1 books flights, n2 hotels, n3 cars and n4 takes the payment, each in its own database. Nothing happens until a saga starts."),
                say(100, "S1 starts: n0 writes 'S1 begin' to its durable saga log and sends BOOK flight to n1."),
                say(120, "n1 books the flight in its own database and commits at once: a local transaction, no locks held across services. It replies 'flight booked'."),
                say(149, "n0 logs the reply before anything else, then sends the next step's command: BOOK hotel to n2. Each step waits for the one before it."),
                say(203, "The hotel and then the car are booked the same way, each reply logged by n0."),
                say(250, "n4 takes the payment, the last step."),
                say(269, "Every step is booked: n0 writes 'S1 completed'. The timeline shows each booking held from its step until the saga completed."),
            ],
        },
        script: happy_path,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "compensate-halfway",
            title: "A step fails halfway",
            summary: "The car service has no car: the orchestrator cancels the hotel and then the flight, last booked first, and the saga ends compensated.",
            seed: 2,
            params: QUIET,
            bug: None,
            narration: &[
                say(0, "The car service (n3) will refuse its next booking: no cars left."),
                say(100, "S1 starts: n0 logs 'S1 begin' and sends BOOK flight to n1."),
                say(116, "The flight is booked, then the hotel: two local transactions committed, each at its own service."),
                say(218, "n3 has no car and refuses: a business failure, recorded in its database so that a retried BOOK gets the same answer."),
                say(245, "The saga cannot go forward, so it goes backward: n0 logs the refusal and runs the compensations of the booked steps, the last one first. CANCEL hotel goes to n2."),
                say(264, "n2 cancels the hotel booking and replies. Only then does n0 send CANCEL flight: the compensations run in reverse order, C2 before C1."),
                say(315, "n1 cancels the flight."),
                say(328, "Every booking is cancelled: n0 writes 'S1 compensated'. T1, T2 and then C2, C1: nothing of the trip remains, although each step had committed."),
            ],
        },
        script: compensate_halfway,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "orchestrator-crash",
            title: "Orchestrator crash and recovery",
            summary: "The orchestrator crashes while the car is being booked and loses the reply. On restart it reads its saga log, sends BOOK car again, and the car service answers from its database instead of booking twice.",
            seed: 3,
            params: QUIET,
            bug: None,
            narration: &[
                say(0, "A saga's whole state at the orchestrator is its durable saga log."),
                say(100, "S1 starts; the flight and the hotel are booked and n0 logs each reply."),
                say(167, "n0 sends BOOK car to n3..."),
                say(180, "...and crashes before the answer. Its memory is gone; its saga log is not."),
                say(192, "n3 books the car and replies to a process that is down: the reply is lost. n3's booking is in its own database."),
                say(1000, "n0 restarts and reads its log: S1 began, the flight and the hotel are booked, nothing about the car. It resumes S1 where the log says it is, and sends BOOK car again."),
                say(1022, "n3 finds S1 in its database and answers 'car booked' again instead of booking a second car: each step is idempotent per saga, so a retried request never double-books."),
                say(1034, "n0 logs the car and goes on: the payment is taken and n0 writes 'S1 completed' at 1072 ms."),
            ],
        },
        script: orchestrator_crash,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "choreographed-failure",
            title: "Choreography: a failure travels back",
            summary: "No orchestrator: each service reacts to the previous one's event. The payment is refused, and the refusal travels back: the car, the hotel and the flight cancel in turn.",
            seed: 4,
            params: QUIET_CHOREOGRAPHED,
            bug: None,
            narration: &[
                say(0, "Choreographed: n0 only starts the trip and hears how it ended. The payment service (n4) will refuse the next payment."),
                say(100, "n0 logs 'S1 begin' and publishes 'trip requested' to the flight service. Every event goes through its sender's durable outbox and is sent again until acknowledged."),
                say(111, "Each service reacts to the event before it: n1 books and publishes 'flight booked' to n2, which books the hotel and publishes 'hotel booked' to n3, which books the car."),
                say(173, "n4 declines the card and publishes 'payment refused' backwards, to the car service."),
                say(200, "The hotel service (n2) crashes."),
                say(202, "n3 cancels the car and publishes 'car cancelled' to n2, which is down: the event is lost. It stays in n3's outbox."),
                say(302, "No ack: n3 publishes it again 100 ms later, lost again, and waits twice as long for the next try (exponential backoff)."),
                say(450, "n2 restarts with its database intact: the hotel is still booked."),
                say(502, "n3's third try arrives: n2 cancels the hotel and passes 'hotel cancelled' back to n1, which cancels the flight."),
                say(555, "The flight service tells n0, which writes 'S1 compensated': car, hotel, flight, in reverse order, with no orchestrator."),
            ],
        },
        script: choreographed_failure,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "forward-order-unsafe",
            title: "Compensating in forward order (bug)",
            summary: "The payment is refused and the orchestrator cancels the flight first, while the hotel and the car still hold their bookings: the checker flags the order.",
            seed: 5,
            params: QUIET,
            bug: Some(BUG_COMPENSATE_IN_FORWARD_ORDER),
            narration: &[
                say(0, "The bug is on: compensation starts with the first step. The payment service (n4) will refuse the next payment."),
                say(100, "S1 starts; the flight, the hotel and the car are booked in turn."),
                say(256, "n4 declines the card."),
                say(275, "n0 logs the refusal and (bug) sends the first compensation to the flight, not to the car."),
                say(286, "n1 cancels the flight while the hotel and the car still hold S1's bookings: the saga is undone out of order, which the checker flags (compensations-in-reverse-order). A compensation may depend on what the later steps did: the refund before the car is returned. Switch the bug off and replay: car, hotel, flight."),
            ],
        },
        script: forward_order,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "lost-compensation-unsafe",
            title: "A lost compensation (bug)",
            summary: "The CANCEL for the hotel is lost and never sent again: the orchestrator declares the saga compensated while the hotel is still booked.",
            seed: 6,
            params: QUIET,
            bug: Some(BUG_NO_RETRY_OF_COMPENSATION),
            narration: &[
                say(0, "The bug is on: a compensation is sent once, and no reply counts as done. The payment service (n4) will refuse the next payment."),
                say(100, "S1 starts; the flight, the hotel and the car are booked in turn."),
                say(249, "n4 declines the card."),
                say(260, "The link from n0 to the hotel service (n2) is cut."),
                say(273, "n0 compensates, last booked first: the car is cancelled."),
                say(322, "CANCEL hotel is lost on the cut link."),
                say(422, "No reply in time. A correct orchestrator sends it again until the hotel answers; (bug) this one takes the silence for a cancellation and moves on."),
                say(442, "n1 cancels the flight while the hotel still holds S1: the checker flags compensations-in-reverse-order."),
                say(455, "n0 writes 'S1 compensated', but the hotel is still booked and nobody will ever cancel it: the checker flags all-or-nothing. Switch the bug off and replay: n0 keeps sending CANCEL hotel with backoff until the link heals."),
            ],
        },
        script: lost_compensation,
    },
];

fn start(saga: u64) -> Action {
    Action::operation(Some(node(0)), &SagaOp::Start { saga: SagaId(saga) })
}

fn fail_next(service: u32) -> Action {
    Action::operation(
        Some(node(service)),
        &SagaOp::FailNext {
            service: node(service),
        },
    )
}

fn happy_path(_: &Setup) -> Vec<TimedAction> {
    vec![at(100, start(1))]
}

fn compensate_halfway(_: &Setup) -> Vec<TimedAction> {
    vec![at(0, fail_next(3)), at(100, start(1))]
}

fn orchestrator_crash(_: &Setup) -> Vec<TimedAction> {
    vec![
        at(100, start(1)),
        at(180, Action::Crash(node(0))),
        at(1000, Action::Restart(node(0))),
    ]
}

fn choreographed_failure(_: &Setup) -> Vec<TimedAction> {
    vec![
        at(0, fail_next(4)),
        at(100, start(1)),
        at(200, Action::Crash(node(2))),
        at(450, Action::Restart(node(2))),
    ]
}

fn forward_order(_: &Setup) -> Vec<TimedAction> {
    vec![at(0, fail_next(4)), at(100, start(1))]
}

fn lost_compensation(_: &Setup) -> Vec<TimedAction> {
    vec![
        at(0, fail_next(4)),
        at(100, start(1)),
        at(
            260,
            Action::Cut {
                from: node(0),
                to: node(2),
            },
        ),
        at(
            1500,
            Action::Restore {
                from: node(0),
                to: node(2),
            },
        ),
    ]
}
