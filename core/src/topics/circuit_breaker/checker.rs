//! The invariants of the circuit-breaker topic, checked after every step of
//! the caller with the breaker, from what the checker saw of it after its
//! previous step:
//!
//! - **open blocks downstream**: while the breaker is open, its caller sends
//!   the downstream nothing. A step that began and ended with the breaker in
//!   the same open state and sent attempts sent them while open. (Attempts
//!   sent before it opened may still arrive afterwards: the network delays
//!   them, the breaker does not recall them.)
//! - **half-open probe limit**: in half-open, at most the configured number
//!   of trial calls are in flight, counted from the caller's calls in flight
//!   (not from the breaker's own counter, which a broken breaker would keep
//!   wrong in the same way).

use crate::lab::topic::InvariantInfo;
use crate::sim::checker::{Checker, Violation};
use crate::sim::time::{NodeId, Time};

use super::breaker::State;
use super::message::CALLER_WITH_BREAKER;
use super::process::BreakerProcess;

pub const OPEN_BLOCKS_DOWNSTREAM: &str = "open-blocks-downstream";
pub const HALF_OPEN_PROBE_LIMIT: &str = "half-open-probe-limit";

pub const INVARIANTS: &[InvariantInfo] = &[
    InvariantInfo {
        name: OPEN_BLOCKS_DOWNSTREAM,
        summary: "While a breaker is open, its caller sends the downstream nothing: every call fails fast (attempts sent before it opened may still arrive).",
    },
    InvariantInfo {
        name: HALF_OPEN_PROBE_LIMIT,
        summary: "While a breaker is half-open, at most the configured number of probe calls are in flight.",
    },
];

/// What the checker saw of the breaker after the caller's previous step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Seen {
    /// The breaker's state number, if it was open.
    open_epoch: Option<u32>,
    attempts_sent: u64,
}

#[derive(Clone, Debug, Default)]
pub struct BreakerChecker {
    seen: Seen,
    /// The most probes seen in flight at once, for the tests and the view.
    most_probes: u32,
}

impl BreakerChecker {
    pub fn new() -> Self {
        BreakerChecker::default()
    }

    pub fn most_probes_in_flight(&self) -> u32 {
        self.most_probes
    }
}

impl Checker<BreakerProcess> for BreakerChecker {
    fn check(
        &mut self,
        nodes: &[BreakerProcess],
        _up: &[bool],
        changed: NodeId,
        _now: Time,
        found: &mut Vec<Violation>,
    ) {
        if changed != CALLER_WITH_BREAKER {
            return;
        }
        let Some(caller) = nodes.get(changed.index()).and_then(BreakerProcess::caller) else {
            return;
        };
        let Some(breaker) = caller.breaker() else {
            return;
        };
        let sent = caller.stats().attempts_sent;
        let open_epoch = match breaker.state() {
            State::Open { .. } => Some(breaker.epoch()),
            _ => None,
        };
        if let (Some(before), Some(now)) = (self.seen.open_epoch, open_epoch) {
            if before == now && sent > self.seen.attempts_sent {
                let since = match breaker.state() {
                    State::Open { since } => since,
                    _ => Time::ZERO,
                };
                found.push(Violation {
                    invariant: OPEN_BLOCKS_DOWNSTREAM,
                    message: format!(
                        "the breaker has been open since {since}, yet its caller just sent {} attempt(s) to the downstream",
                        sent - self.seen.attempts_sent
                    ),
                });
            }
        }
        self.seen = Seen {
            open_epoch,
            attempts_sent: sent,
        };
        if let State::HalfOpen { .. } = breaker.state() {
            let probes = caller.probes_in_flight();
            self.most_probes = self.most_probes.max(probes);
            let limit = breaker.config().probes;
            if probes > limit {
                found.push(Violation {
                    invariant: HALF_OPEN_PROBE_LIMIT,
                    message: format!(
                        "the breaker is half-open with {probes} probe calls in flight; at most {limit} are allowed"
                    ),
                });
            }
        }
    }
}
