//! One of the six limiters of the side-by-side mode: it takes every request
//! the client sends it, decides at once with its algorithm from
//! [`crate::ratelimit`], and writes the decision down (the checker and the
//! timeline read it). It answers nobody: a real one would answer 429 Too Many
//! Requests. The token bucket also forwards what it admits to the backend's
//! guarded copy ([`super::backend`]).
//!
//! With the `refill-past-burst` bug the token bucket is the broken one in
//! [`UncappedTokenBucket`]: its refill forgets the capacity.

use crate::ratelimit::{
    FixedWindow, Gcra, LeakyBucket, SlidingLog, SlidingWindowCounter, TokenBucket,
};
use crate::sim::node::{Cx, Labelled};
use crate::sim::time::Time;
use crate::sim::view::{Cell, NodeSummary, Palette};

use super::message::{Algorithm, RateMessage, RequestId};
use super::process::{RateConfig, RateProcess, BACKEND};

/// A token bucket whose refill is not capped at its capacity: after a quiet
/// spell it holds more than `burst` tokens and lets a larger burst through
/// (`tokens += elapsed · rate` without the `min`, a common slip).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UncappedTokenBucket {
    interval_us: u64,
    credit_us: u128,
    last_us: u64,
}

impl UncappedTokenBucket {
    pub fn new(interval_us: u64, burst: u32) -> Self {
        let interval_us = interval_us.max(1);
        UncappedTokenBucket {
            interval_us,
            credit_us: burst.max(1) as u128 * interval_us as u128,
            last_us: 0,
        }
    }

    pub fn try_acquire(&mut self, now_us: u64) -> bool {
        let now_us = now_us.max(self.last_us);
        // The bug: no `.min(capacity)`.
        self.credit_us += (now_us - self.last_us) as u128;
        self.last_us = now_us;
        if self.credit_us >= self.interval_us as u128 {
            self.credit_us -= self.interval_us as u128;
            true
        } else {
            false
        }
    }
}

/// The state of one algorithm.
#[derive(Clone, Debug, PartialEq, Eq)]
enum State {
    TokenBucket(TokenBucket),
    Uncapped(UncappedTokenBucket),
    LeakyBucket(LeakyBucket),
    FixedWindow(FixedWindow),
    SlidingLog(SlidingLog),
    SlidingWindowCounter(SlidingWindowCounter),
    Gcra(Gcra),
}

/// A decision, as the limiter wrote it down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    pub request: RequestId,
    /// When the request came, by the limiter's clock.
    pub at: Time,
    pub admitted: bool,
    /// The leaky bucket's: when the admitted request leaves the queue.
    pub departure: Option<Time>,
}

/// One limiter process.
#[derive(Clone, Debug)]
pub struct Limiter {
    algorithm: Algorithm,
    state: State,
    /// Every decision, in order (the record of what was served).
    decisions: Vec<Decision>,
    admitted: u64,
    rejected: u64,
}

impl Limiter {
    pub fn new(algorithm: Algorithm, config: &RateConfig) -> Self {
        let (interval, burst, window) = (config.interval_us, config.burst, config.window_us());
        let state = match algorithm {
            Algorithm::TokenBucket if config.refill_past_burst => {
                State::Uncapped(UncappedTokenBucket::new(interval, burst))
            }
            Algorithm::TokenBucket => {
                State::TokenBucket(TokenBucket::with_interval(interval, burst))
            }
            Algorithm::LeakyBucket => {
                State::LeakyBucket(LeakyBucket::with_interval(interval, burst))
            }
            Algorithm::FixedWindow => State::FixedWindow(FixedWindow::with_window(burst, window)),
            Algorithm::SlidingLog => State::SlidingLog(SlidingLog::with_window(burst, window)),
            Algorithm::SlidingWindowCounter => {
                State::SlidingWindowCounter(SlidingWindowCounter::with_window(burst, window))
            }
            Algorithm::Gcra => State::Gcra(Gcra::with_interval(interval, burst)),
        };
        Limiter {
            algorithm,
            state,
            decisions: Vec::new(),
            admitted: 0,
            rejected: 0,
        }
    }

    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    pub fn decisions(&self) -> &[Decision] {
        &self.decisions
    }

    /// Requests admitted and rejected so far.
    pub fn counts(&self) -> (u64, u64) {
        (self.admitted, self.rejected)
    }

    pub fn on_message(&mut self, msg: RateMessage, cx: &mut Cx<RateProcess>) {
        let RateMessage::Request { id } = msg else {
            cx.note(|| format!("a limiter takes requests only; drops {}", msg.label()));
            return;
        };
        let now = cx.now();
        let t = now.as_micros();
        let (admitted, departure) = match &mut self.state {
            State::TokenBucket(limiter) => (limiter.try_acquire(t), None),
            State::Uncapped(limiter) => (limiter.try_acquire(t), None),
            State::LeakyBucket(limiter) => match limiter.try_enqueue(t) {
                Some(departure) => (true, Some(Time(departure))),
                None => (false, None),
            },
            State::FixedWindow(limiter) => (limiter.try_acquire(t), None),
            State::SlidingLog(limiter) => (limiter.try_acquire(t), None),
            State::SlidingWindowCounter(limiter) => (limiter.try_acquire(t), None),
            State::Gcra(limiter) => (limiter.try_acquire(t), None),
        };
        if admitted {
            self.admitted += 1;
            if self.algorithm == Algorithm::TokenBucket {
                cx.send(BACKEND, RateMessage::Request { id });
            }
        } else {
            self.rejected += 1;
        }
        self.decisions.push(Decision {
            request: id,
            at: now,
            admitted,
            departure,
        });
        let algorithm = self.algorithm.as_str();
        cx.note(|| match (admitted, departure) {
            (true, Some(leaves)) => format!("{algorithm} queues {id}; it leaves at {leaves}"),
            (true, None) => format!("{algorithm} admits {id}"),
            (false, _) => format!("{algorithm} rejects {id} (429)"),
        });
    }

    /// What is left of the allowance, in the algorithm's own terms.
    fn allowance(&self) -> String {
        let now = self.decisions.last().map_or(0, |d| d.at.as_micros());
        match &self.state {
            State::TokenBucket(limiter) => format!("{} tokens", limiter.clone().tokens(now)),
            State::Uncapped(_) => "uncapped bucket".to_string(),
            State::LeakyBucket(limiter) => format!("{} queued", limiter.waiting(now)),
            State::FixedWindow(limiter) => {
                let (window, count) = limiter.clone().count(now);
                format!("w{window}: {count}/{}", limiter.limit())
            }
            State::SlidingLog(limiter) => format!("{} in window", limiter.clone().in_window(now)),
            State::SlidingWindowCounter(limiter) => {
                let (scaled, window) = limiter.clone().estimate(now);
                let tenths = scaled * 10 / window.max(1) as u128;
                format!("estimate {}.{}", tenths / 10, tenths % 10)
            }
            State::Gcra(limiter) => format!("TAT {}", Time(limiter.tat_us())),
        }
    }

    pub fn summary(&self) -> NodeSummary {
        let rejecting = self.decisions.last().is_some_and(|d| !d.admitted);
        NodeSummary {
            role: self.algorithm.as_str(),
            palette: if rejecting {
                Palette::Suspect
            } else {
                Palette::Lead
            },
            badge: format!("{}/{}", self.admitted, self.admitted + self.rejected),
            detail: format!(
                "{}: {} admitted, {} rejected; {}",
                self.algorithm.as_str(),
                self.admitted,
                self.rejected,
                self.allowance()
            ),
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        vec![
            Cell::Text(self.admitted.to_string()),
            Cell::Text(self.rejected.to_string()),
            Cell::Text(self.allowance()),
        ]
    }
}
