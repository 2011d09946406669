//! The invariants of the observability topic, checked after every step of
//! the monitor (the only process whose view they concern), against the
//! ground truth the checker can see and the monitor cannot:
//!
//! - **sketch-within-bound**: at each evaluation, every service's reported
//!   fleet p50 and p99 are within relative error α of the exact percentiles
//!   of the durations all reporting hosts measured in that interval (DDSketch
//!   Proposition 2, kept by merging, §2.2). Skipped for an interval whose
//!   exact sample a host had to cut short.
//! - **alert-fires-on-fast-burn**: at each evaluation, when the burn rates
//!   over 1 hour and 5 minutes, recomputed here from the monitor's counts,
//!   both exceed 14.4, the service's page alert is firing: the evaluation
//!   interval is the "within one evaluation interval".
//! - **counters-monotonic**: each service's request and error totals, as the
//!   monitor derives them from the hosts' counters, never decrease, errors
//!   never outnumber requests, and neither exceeds what the service's hosts
//!   really answered (a restart must not count its requests twice, nor take
//!   them back).

use crate::decimal::decimal;
use crate::lab::topic::InvariantInfo;
use crate::sim::checker::{Checker, Violation};
use crate::sim::time::{NodeId, Time};

use super::message::{short_trace, ServiceName, MONITOR};
use super::monitor::Monitor;
use super::process::ObservabilityProcess;
use super::slo::{AlertKind, FAST_BURN, FIVE_MINUTES, ONE_HOUR};

pub const SKETCH_WITHIN_BOUND: &str = "sketch-within-bound";
pub const ALERT_FIRES_ON_FAST_BURN: &str = "alert-fires-on-fast-burn";
pub const COUNTERS_MONOTONIC: &str = "counters-monotonic";

pub const INVARIANTS: &[InvariantInfo] = &[
    InvariantInfo {
        name: SKETCH_WITHIN_BOUND,
        summary: "Every fleet p50 and p99 the monitor reports is within relative error α of the exact percentile of the durations its hosts measured in that interval.",
    },
    InvariantInfo {
        name: ALERT_FIRES_ON_FAST_BURN,
        summary: "When a service's burn rates over 1 hour and 5 minutes both exceed 14.4, its page alert is firing by the next evaluation.",
    },
    InvariantInfo {
        name: COUNTERS_MONOTONIC,
        summary: "Each service's request and error totals, as the monitor derives them from the hosts' counters across restarts, never decrease and never exceed what its hosts answered.",
    },
];

#[derive(Clone, Debug, Default)]
pub struct ObservabilityChecker {
    evaluations: u64,
    totals: [(i64, i64); 3],
    /// Percentiles compared, and the largest relative error seen (for the
    /// tests and the figures).
    compared: u64,
    worst_relative_error: f64,
}

impl ObservabilityChecker {
    pub fn new() -> Self {
        ObservabilityChecker::default()
    }

    /// Percentiles compared with their exact value so far.
    pub fn compared(&self) -> u64 {
        self.compared
    }

    /// The largest relative error of a reported percentile so far.
    pub fn worst_relative_error(&self) -> f64 {
        self.worst_relative_error
    }

    fn check_percentiles(&mut self, monitor: &Monitor, found: &mut Vec<Violation>) {
        let alpha = monitor.alpha();
        for service in ServiceName::ALL {
            let Some(evaluation) = monitor.board(service).last() else {
                continue;
            };
            if evaluation.truncated {
                continue;
            }
            for (name, q, reported) in [("p50", 0.5, evaluation.p50), ("p99", 0.99, evaluation.p99)]
            {
                let (Some(reported), Some(exact)) = (reported, evaluation.exact(q)) else {
                    continue;
                };
                self.compared += 1;
                let error = if exact > 0.0 {
                    (reported - exact).abs() / exact
                } else if reported == 0.0 {
                    0.0
                } else {
                    f64::INFINITY
                };
                self.worst_relative_error = self.worst_relative_error.max(error);
                if error > alpha * (1.0 + 1e-9) {
                    let exemplar = evaluation.exemplar.map_or_else(String::new, |e| {
                        format!(
                            "; its slowest bucket's exemplar is {} on {} (trace {}, {} ms)",
                            e.request,
                            e.host,
                            short_trace(e.trace_id),
                            e.micros / 1_000
                        )
                    });
                    found.push(Violation {
                        invariant: SKETCH_WITHIN_BOUND,
                        message: format!(
                            "{} interval i{}: the monitor reports {name} = {reported} ms but the exact {name} of the {} durations its {} hosts measured is {exact} ms, {}% off (α = {}%){exemplar}",
                            service.as_str(),
                            evaluation.interval,
                            evaluation.sample.len(),
                            evaluation.hosts,
                            decimal(error * 100.0, 1),
                            decimal(alpha * 100.0, 1),
                            reported = decimal(reported, 2),
                            exact = decimal(exact, 2),
                        ),
                    });
                }
            }
        }
    }

    fn check_alerts(&self, monitor: &Monitor, found: &mut Vec<Violation>) {
        for service in ServiceName::ALL {
            let board = monitor.board(service);
            let Some(evaluation) = board.last() else {
                continue;
            };
            let burn = |intervals: u64| window_burn(board.counts(), evaluation.interval, intervals);
            let (long, short) = (burn(ONE_HOUR.intervals), burn(FIVE_MINUTES.intervals));
            if long > FAST_BURN && short > FAST_BURN && !monitor.firing(service, AlertKind::Page) {
                found.push(Violation {
                    invariant: ALERT_FIRES_ON_FAST_BURN,
                    message: format!(
                        "{} burns its error budget at {long}× over 1 hour and {short}× over 5 minutes (both above 14.4) at interval i{}, yet no page is firing",
                        service.as_str(),
                        evaluation.interval,
                        long = decimal(long, 1),
                        short = decimal(short, 1),
                    ),
                });
            }
        }
    }

    fn check_counters(
        &mut self,
        nodes: &[ObservabilityProcess],
        monitor: &Monitor,
        found: &mut Vec<Violation>,
    ) {
        for service in ServiceName::ALL {
            let (requests, errors) = monitor.board(service).totals();
            let (before_requests, before_errors) = self.totals[service.index()];
            let (answered, failed) = service
                .hosts()
                .filter_map(|h| nodes.get(h.index()).and_then(ObservabilityProcess::host))
                .map(|h| h.answered_ever())
                .fold((0u64, 0u64), |(a, f), (x, y)| (a + x, f + y));
            let problem = if requests < before_requests || errors < before_errors {
                Some(format!(
                    "fell from {before_requests} requests and {before_errors} errors to {requests} and {errors}"
                ))
            } else if errors > requests {
                Some(format!("counts {errors} errors out of {requests} requests"))
            } else if requests > answered as i64 || errors > failed as i64 {
                Some(format!(
                    "counts {requests} requests and {errors} errors but its hosts answered only {answered}, {failed} of them errors"
                ))
            } else {
                None
            };
            if let Some(problem) = problem {
                found.push(Violation {
                    invariant: COUNTERS_MONOTONIC,
                    message: format!("the monitor's total for {}: {problem}", service.as_str()),
                });
            }
            self.totals[service.index()] = (requests, errors);
        }
    }
}

/// The burn rate over the `intervals` ending with `last`, as the workbook
/// defines it (error ratio over the 0.1% budget), a window reaching before
/// time zero scaled by the part the run covers. Written apart from the
/// monitor's own, so a mistake there does not hide here.
fn window_burn(counts: &[(i64, i64)], last: u64, intervals: u64) -> f64 {
    let covered = intervals.min(last + 1);
    let window = counts
        .iter()
        .enumerate()
        .skip((last + 1 - covered) as usize)
        .take(covered as usize);
    let (requests, errors) = window.fold((0i64, 0i64), |(r, e), (_, c)| (r + c.0, e + c.1));
    if requests <= 0 {
        return 0.0;
    }
    errors.max(0) as f64 / requests as f64 / 0.001 * covered as f64 / intervals as f64
}

impl Checker<ObservabilityProcess> for ObservabilityChecker {
    fn check(
        &mut self,
        nodes: &[ObservabilityProcess],
        _up: &[bool],
        changed: NodeId,
        _now: Time,
        found: &mut Vec<Violation>,
    ) {
        if changed != MONITOR {
            return;
        }
        let Some(monitor) = nodes
            .get(MONITOR.index())
            .and_then(ObservabilityProcess::monitor)
        else {
            return;
        };
        self.check_counters(nodes, monitor, found);
        if monitor.evaluations() == self.evaluations {
            return;
        }
        self.evaluations = monitor.evaluations();
        self.check_percentiles(monitor, found);
        self.check_alerts(monitor, found);
    }
}
