//! The circuit breaker itself, as a plain state machine the caller owns:
//! closed, open, half-open (Nygard, "Release It!", "Circuit Breaker"), with
//! the sliding window of outcomes that decides when to trip (count-based or
//! time-based, as Resilience4j offers both).
//!
//! The caller asks [`Breaker::acquire`] before every attempt, including
//! retries, and reports every attempt's outcome with [`Breaker::on_result`],
//! passing back the [`Permit`] it got: an outcome from an earlier state (a
//! call let through while closed that fails after the breaker opened) is
//! ignored, so only what happened in the current state decides the next.

use std::fmt;

use crate::sim::time::{Duration, Time};

/// Which outcomes the window keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowKind {
    /// The last `n` calls.
    Count(u32),
    /// The calls of the last `d`.
    Time(Duration),
}

/// The breaker's settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BreakerConfig {
    pub window: WindowKind,
    /// Trip when at least this percentage of the window failed...
    pub threshold_percent: u32,
    /// ...and the window holds at least this many calls.
    pub minimum_calls: u32,
    /// How long it stays open before letting probes through.
    pub cool_down: Duration,
    /// Trial calls let through in half-open.
    pub probes: u32,
    /// The `half-open-lets-all-through` bug: half-open admits every call.
    pub half_open_lets_all_through: bool,
}

/// The three states of the pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// Calls pass; outcomes are counted.
    Closed,
    /// Calls fail fast until the cool-down is over.
    Open { since: Time },
    /// Up to `probes` trial calls pass; the rest fail fast.
    HalfOpen {
        /// Trial calls let through so far.
        admitted: u32,
        /// Trial calls that succeeded so far.
        succeeded: u32,
    },
}

impl State {
    pub fn name(&self) -> &'static str {
        match self {
            State::Closed => "closed",
            State::Open { .. } => "open",
            State::HalfOpen { .. } => "half-open",
        }
    }
}

/// What the breaker let through: the state number it was let through in and
/// whether it is a half-open trial call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Permit {
    pub epoch: u32,
    pub probe: bool,
}

/// A change of state, for the caller to act on (a cool-down timer) and note.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Closed to open: `failed` of `calls` in the window failed.
    Tripped { failed: u32, calls: u32 },
    /// Half-open to open: a trial call failed.
    Reopened,
    /// Half-open to closed: every trial call succeeded.
    Closed,
}

/// The sliding window of outcomes: (when, succeeded), oldest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutcomeWindow {
    kind: WindowKind,
    outcomes: Vec<(Time, bool)>,
}

impl OutcomeWindow {
    pub fn new(kind: WindowKind) -> Self {
        OutcomeWindow {
            kind,
            outcomes: Vec::new(),
        }
    }

    pub fn kind(&self) -> WindowKind {
        self.kind
    }

    pub fn record(&mut self, now: Time, ok: bool) {
        self.outcomes.push((now, ok));
        self.expire(now);
    }

    /// Drops what fell out of the window by `now`.
    pub fn expire(&mut self, now: Time) {
        let keep_from = match self.kind {
            WindowKind::Count(n) => self.outcomes.len().saturating_sub(n as usize),
            WindowKind::Time(span) => self
                .outcomes
                .iter()
                .position(|&(at, _)| now.since(at) < span)
                .unwrap_or(self.outcomes.len()),
        };
        self.outcomes.drain(..keep_from);
    }

    pub fn clear(&mut self) {
        self.outcomes.clear();
    }

    /// (failed, calls) in the window.
    pub fn failures(&self) -> (u32, u32) {
        let failed = self.outcomes.iter().filter(|(_, ok)| !ok).count();
        (failed as u32, self.outcomes.len() as u32)
    }

    /// The outcomes, oldest first.
    pub fn outcomes(&self) -> impl Iterator<Item = bool> + '_ {
        self.outcomes.iter().map(|&(_, ok)| ok)
    }
}

/// A circuit breaker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Breaker {
    config: BreakerConfig,
    state: State,
    /// Counts changes of state, so a permit from an earlier state is known.
    epoch: u32,
    /// How often it opened (tripped or reopened): names cool-down timers.
    openings: u32,
    window: OutcomeWindow,
}

impl Breaker {
    pub fn new(config: BreakerConfig) -> Self {
        Breaker {
            config,
            state: State::Closed,
            epoch: 0,
            openings: 0,
            window: OutcomeWindow::new(config.window),
        }
    }

    pub fn config(&self) -> &BreakerConfig {
        &self.config
    }

    pub fn state(&self) -> State {
        self.state
    }

    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    pub fn openings(&self) -> u32 {
        self.openings
    }

    pub fn window(&self) -> &OutcomeWindow {
        &self.window
    }

    /// Whether a call may go to the downstream now.
    pub fn acquire(&mut self) -> Option<Permit> {
        match &mut self.state {
            State::Closed => Some(Permit {
                epoch: self.epoch,
                probe: false,
            }),
            // Nygard: "the circuit breaker fails the call immediately".
            State::Open { .. } => None,
            // Nygard: after the timeout "the next call is let through";
            // Resilience4j generalises it to a set number of trial calls.
            State::HalfOpen { admitted, .. } => {
                if *admitted >= self.config.probes && !self.config.half_open_lets_all_through {
                    return None;
                }
                *admitted += 1;
                Some(Permit {
                    epoch: self.epoch,
                    probe: true,
                })
            }
        }
    }

    /// The outcome of a call let through with `permit`.
    pub fn on_result(&mut self, now: Time, permit: Permit, ok: bool) -> Option<Change> {
        if permit.epoch != self.epoch {
            // Let through in an earlier state: it says nothing about this one.
            return None;
        }
        match &mut self.state {
            State::Closed => {
                self.window.record(now, ok);
                let (failed, calls) = self.window.failures();
                let tripped = calls >= self.config.minimum_calls
                    && failed * 100 >= self.config.threshold_percent * calls;
                tripped.then(|| {
                    self.open(now);
                    Change::Tripped { failed, calls }
                })
            }
            State::Open { .. } => None,
            State::HalfOpen { succeeded, .. } => {
                if !ok {
                    self.open(now);
                    return Some(Change::Reopened);
                }
                *succeeded += 1;
                if *succeeded >= self.config.probes {
                    self.enter(State::Closed);
                    self.window.clear();
                    return Some(Change::Closed);
                }
                None
            }
        }
    }

    /// The cool-down of opening `opening` is over: half-open, if it is still
    /// that opening.
    pub fn on_cool_down(&mut self, opening: u32) -> bool {
        if !matches!(self.state, State::Open { .. }) || opening != self.openings {
            return false;
        }
        self.enter(State::HalfOpen {
            admitted: 0,
            succeeded: 0,
        });
        true
    }

    /// Back to closed with an empty window, as after a restart (an in-memory
    /// breaker forgets). Openings keep their numbers, so the cool-down timer
    /// of an opening before the reset finds nothing to do.
    pub fn reset(&mut self) {
        self.enter(State::Closed);
        self.window.clear();
    }

    fn open(&mut self, now: Time) {
        self.openings += 1;
        self.enter(State::Open { since: now });
    }

    fn enter(&mut self, state: State) {
        self.state = state;
        self.epoch += 1;
    }
}

impl fmt::Display for WindowKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WindowKind::Count(n) => write!(f, "last {n} calls"),
            WindowKind::Time(span) => write!(f, "last {} ms", span.as_micros() / 1_000),
        }
    }
}
