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
                say(0, "n0 is the saga orchestrator; n1 books flights, n2 hotels, n3 cars and n4 takes the payment, each in its own database."),
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
            ],
        },
        script: lost_compensation,
    },
];

fn start(saga: u64) -> Action {
    Action::operation(
        Some(node(0)),
        &SagaOp::Start {
            saga: SagaId(saga),
        },
    )
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
    vec![at(0, fail_next(4)), at(100, start(1))]
}

fn forward_order(_: &Setup) -> Vec<TimedAction> {
    vec![at(0, fail_next(4)), at(100, start(1))]
}

fn lost_compensation(_: &Setup) -> Vec<TimedAction> {
    vec![
        at(0, fail_next(4)),
        at(100, start(1)),
        at(260, Action::Cut {
            from: node(0),
            to: node(2),
        }),
    ]
}
