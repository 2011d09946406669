//! The invariants of the rate-limiting topic, checked after every step from
//! the decisions the processes write down.
//!
//! Side by side, each limiter's admissions are fed to its algorithm's
//! [`Bound`] (one invariant per algorithm, see [`super::bounds`]). Distributed,
//! the checker tallies each strategy's admitted and rejected requests per
//! window of the global limit, at the instant each decision counts (the
//! counter's for the central counter, the gateway's for the others):
//!
//! - **central counter limit**: the central counter strategy never admits more
//!   than `burst` in a window. The counter grants at most that, and a gateway
//!   admits a request only on a grant for it, once; so this holds exactly.
//! - local limits and local + sync are *measured*, not claimed: over-admission
//!   (admitted beyond `burst` in a window, summed over windows) and
//!   under-admission (requests rejected in a window that ended with room for
//!   them: `min(rejected, burst - admitted)` per window), for the charts.

use crate::lab::topic::InvariantInfo;
use crate::sim::checker::{Checker, Violation};
use crate::sim::time::{NodeId, Time};

use super::bounds::Bound;
use super::message::{Algorithm, Strategy};
use super::process::{Mode, RateConfig, RateProcess};

pub const TOKEN_BUCKET_BOUND: &str = "token-bucket-bound";
pub const LEAKY_BUCKET_QUEUE: &str = "leaky-bucket-queue";
pub const FIXED_WINDOW_LIMIT: &str = "fixed-window-limit";
pub const SLIDING_LOG_LIMIT: &str = "sliding-log-limit";
pub const SLIDING_WINDOW_ESTIMATE: &str = "sliding-window-estimate";
pub const GCRA_BOUND: &str = "gcra-bound";
pub const CENTRAL_COUNTER_LIMIT: &str = "central-counter-limit";

pub const INVARIANTS: &[InvariantInfo] = &[
    InvariantInfo {
        name: TOKEN_BUCKET_BOUND,
        summary: "The token bucket admits at most burst + t/T requests in any interval of length t.",
    },
    InvariantInfo {
        name: LEAKY_BUCKET_QUEUE,
        summary: "The leaky bucket lets requests out at least T apart, never before they came, and never holds more than burst.",
    },
    InvariantInfo {
        name: FIXED_WINDOW_LIMIT,
        summary: "The fixed window admits at most burst requests in each aligned window of length W = burst·T.",
    },
    InvariantInfo {
        name: SLIDING_LOG_LIMIT,
        summary: "The sliding log admits at most burst requests in any window of length W, wherever it starts.",
    },
    InvariantInfo {
        name: SLIDING_WINDOW_ESTIMATE,
        summary: "At each admission the sliding window counter's estimate (previous window weighted by its overlap, plus the current one) is at most burst.",
    },
    InvariantInfo {
        name: GCRA_BOUND,
        summary: "GCRA admits at most burst + t/T requests in any interval of length t (τ = (burst-1)·T).",
    },
    InvariantInfo {
        name: CENTRAL_COUNTER_LIMIT,
        summary: "Distributed, the central counter strategy admits at most burst requests per window across all gateways. Local limits and local + sync are measured, not claimed.",
    },
];

/// The invariant of each algorithm.
pub fn invariant_of(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::TokenBucket => TOKEN_BUCKET_BOUND,
        Algorithm::LeakyBucket => LEAKY_BUCKET_QUEUE,
        Algorithm::FixedWindow => FIXED_WINDOW_LIMIT,
        Algorithm::SlidingLog => SLIDING_LOG_LIMIT,
        Algorithm::SlidingWindowCounter => SLIDING_WINDOW_ESTIMATE,
        Algorithm::Gcra => GCRA_BOUND,
    }
}

/// One strategy's admitted and rejected requests in one window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WindowTally {
    pub admitted: u32,
    pub rejected: u32,
}

/// A window in which a strategy first went over the global limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OverLimit {
    pub at: Time,
    pub strategy: Strategy,
    pub window: u64,
}

/// A strategy's totals against the global limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StrategyTotals {
    pub admitted: u64,
    pub rejected: u64,
    pub over: u64,
    pub under: u64,
}

/// The incremental checker.
#[derive(Clone, Debug)]
pub struct RateChecker {
    config: RateConfig,
    /// Side by side: each limiter's bound and how many decisions were read.
    bounds: Vec<(Bound, usize)>,
    /// Distributed: per gateway, decisions read and central decisions read.
    cursors: Vec<(usize, usize)>,
    /// Per strategy (in [`Strategy::ALL`] order), per window from zero.
    tallies: [Vec<WindowTally>; 3],
    over: Vec<OverLimit>,
}

impl RateChecker {
    pub fn new(config: RateConfig) -> Self {
        let bounds = match config.mode {
            Mode::SideBySide => Algorithm::ALL
                .iter()
                .map(|&algorithm| {
                    let bound = Bound::new(
                        algorithm,
                        config.interval_us,
                        config.burst,
                        config.window_us(),
                    );
                    (bound, 0)
                })
                .collect(),
            Mode::Distributed => Vec::new(),
        };
        RateChecker {
            config,
            bounds,
            cursors: vec![(0, 0); config.gateways as usize + 1],
            tallies: [Vec::new(), Vec::new(), Vec::new()],
            over: Vec::new(),
        }
    }

    /// Each strategy's tallies per window, in [`Strategy::ALL`] order.
    pub fn tallies(&self) -> &[Vec<WindowTally>; 3] {
        &self.tallies
    }

    /// The first over-admission of each strategy in each window, in order.
    pub fn over_limit(&self) -> &[OverLimit] {
        &self.over
    }

    /// A strategy's totals: admitted, rejected, over- and under-admission.
    pub fn totals(&self, strategy: Strategy) -> StrategyTotals {
        let limit = self.config.burst;
        let mut totals = StrategyTotals::default();
        for tally in &self.tallies[strategy as usize] {
            totals.admitted += tally.admitted as u64;
            totals.rejected += tally.rejected as u64;
            totals.over += tally.admitted.saturating_sub(limit) as u64;
            let room = limit.saturating_sub(tally.admitted);
            totals.under += tally.rejected.min(room) as u64;
        }
        totals
    }

    /// Counts a decision of `strategy` at `at`; says if the window went over.
    fn tally(&mut self, strategy: Strategy, admitted: bool, at: Time) -> Option<u32> {
        let window = at.as_micros() / self.config.window_us();
        let tallies = &mut self.tallies[strategy as usize];
        let index = window as usize;
        if tallies.len() <= index {
            tallies.resize(index + 1, WindowTally::default());
        }
        let tally = &mut tallies[index];
        if !admitted {
            tally.rejected += 1;
            return None;
        }
        tally.admitted += 1;
        let count = tally.admitted;
        if count <= self.config.burst {
            return None;
        }
        if count == self.config.burst + 1 {
            self.over.push(OverLimit {
                at,
                strategy,
                window,
            });
        }
        Some(count)
    }

    fn check_limiter(&mut self, me: usize, node: &RateProcess, found: &mut Vec<Violation>) {
        let (Some(limiter), Some((bound, read))) = (node.limiter(), self.bounds.get_mut(me)) else {
            return;
        };
        let decisions = limiter.decisions();
        for decision in decisions.get(*read..).unwrap_or_default() {
            if !decision.admitted {
                continue;
            }
            if let Some(message) = bound.admit(decision.at, decision.departure) {
                found.push(Violation {
                    invariant: invariant_of(limiter.algorithm()),
                    message: format!("{}: {message}", limiter.algorithm().as_str()),
                });
            }
        }
        *read = decisions.len();
    }

    fn check_gateway(&mut self, me: usize, node: &RateProcess, found: &mut Vec<Violation>) {
        let Some(gateway) = node.gateway() else {
            return;
        };
        let Some(&(read, central_read)) = self.cursors.get(me) else {
            return;
        };
        let decisions = gateway.decisions();
        for decision in decisions.get(read..).unwrap_or_default() {
            self.tally(Strategy::Local, decision.local, decision.arrived);
            self.tally(Strategy::Synced, decision.synced, decision.arrived);
        }
        let order = gateway.central_order();
        for &index in order.get(central_read..).unwrap_or_default() {
            let Some((admitted, at)) = decisions.get(index).and_then(|d| d.central.decided())
            else {
                continue;
            };
            if let Some(count) = self.tally(Strategy::Central, admitted, at) {
                let window = at.as_micros() / self.config.window_us();
                found.push(Violation {
                    invariant: CENTRAL_COUNTER_LIMIT,
                    message: format!(
                        "{count} requests admitted in window w{window} through the central counter (the last by n{me} at {at}); the limit is {}",
                        self.config.burst
                    ),
                });
            }
        }
        self.cursors[me] = (decisions.len(), order.len());
    }
}

impl Checker<RateProcess> for RateChecker {
    fn check(
        &mut self,
        nodes: &[RateProcess],
        _up: &[bool],
        changed: NodeId,
        _now: Time,
        found: &mut Vec<Violation>,
    ) {
        let me = changed.index();
        let Some(node) = nodes.get(me) else {
            return;
        };
        match self.config.mode {
            Mode::SideBySide => self.check_limiter(me, node, found),
            Mode::Distributed => self.check_gateway(me, node, found),
        }
    }
}
