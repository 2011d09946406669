//! How a caller retries: attempts, per-attempt timeout, backoff (none,
//! capped exponential, or capped exponential with full jitter, as in the AWS
//! Builders' Library's "Timeouts, retries, and backoff with jitter"), a retry
//! budget, hedging after the observed p95 (Dean & Barroso, "The Tail at
//! Scale", CACM 2013, "Hedged requests"), and deadline propagation (gRPC:
//! each hop sends the time left, and work past it is dropped).

use crate::sim::rng::Rng;
use crate::sim::time::{Duration, Time};

/// The wait before a retry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backoff {
    /// Retry at once.
    None,
    /// `min(cap, base · 2^(n-1))` before retry n: every caller that failed at
    /// the same instant retries at the same instant.
    Exponential,
    /// A uniform draw in `[0, min(cap, base · 2^(n-1)))` (AWS "full jitter").
    FullJitter,
}

impl Backoff {
    pub fn as_str(self) -> &'static str {
        match self {
            Backoff::None => "none",
            Backoff::Exponential => "exponential",
            Backoff::FullJitter => "exponential, full jitter",
        }
    }
}

/// The first backoff's ceiling; each further one doubles, up to the cap.
pub const BACKOFF_BASE: Duration = Duration::from_millis(50);
pub const BACKOFF_CAP: Duration = Duration::from_millis(800);

/// The retry budget: retries in a second of the caller's clock may be at
/// most this percentage of the first attempts of that second...
pub const BUDGET_PERCENT: u32 = 10;
/// ... plus this many (Finagle's `RetryBudget` keeps a minimum too, so a
/// quiet caller can still retry).
pub const BUDGET_RESERVE: u32 = 10;

/// A caller's retry behaviour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per call, the first included.
    pub attempts: u32,
    /// How long an attempt may take before it counts as failed.
    pub timeout: Duration,
    pub backoff: Backoff,
    /// Whether retries are held to the budget.
    pub budget: bool,
    /// Whether a second copy is sent after the observed p95 without an answer.
    pub hedging: bool,
    /// Whether deadlines are propagated and honoured.
    pub deadlines: bool,
    /// The `retry-without-jitter` bug: full jitter is configured but the
    /// caller waits the whole ceiling.
    pub jitter_dropped: bool,
    /// The `no-deadline-propagation` bug: this caller sends no deadline
    /// downstream even though deadlines are on.
    pub deadline_dropped: bool,
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1 for the first retry).
    pub fn backoff(&self, retry: u32, rng: &mut Rng) -> Duration {
        let ceiling = BACKOFF_BASE
            .as_micros()
            .saturating_mul(1 << retry.saturating_sub(1).min(20))
            .min(BACKOFF_CAP.as_micros());
        match self.backoff {
            Backoff::None => Duration::ZERO,
            Backoff::Exponential => Duration(ceiling),
            Backoff::FullJitter if self.jitter_dropped => Duration(ceiling),
            Backoff::FullJitter => Duration(rng.below(ceiling.max(1))),
        }
    }
}

/// Retries allowed in a second with `firsts` first attempts.
pub fn budget_allowance(firsts: u32) -> u32 {
    firsts * BUDGET_PERCENT / 100 + BUDGET_RESERVE
}

/// The retry budget's window: first attempts and retries in the current
/// second of the caller's clock. Volatile: a restarted caller starts a fresh
/// window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RetryBudget {
    second: u64,
    firsts: u32,
    retries: u32,
}

impl RetryBudget {
    fn roll(&mut self, now: Time) {
        let second = now.as_micros() / 1_000_000;
        if second != self.second {
            *self = RetryBudget {
                second,
                ..RetryBudget::default()
            };
        }
    }

    pub fn on_first(&mut self, now: Time) {
        self.roll(now);
        self.firsts += 1;
    }

    /// Takes a retry from the budget if there is one left this second.
    pub fn try_retry(&mut self, now: Time) -> bool {
        self.roll(now);
        if self.retries < budget_allowance(self.firsts) {
            self.retries += 1;
            true
        } else {
            false
        }
    }

    /// First attempts and retries in the window.
    pub fn window(&self) -> (u32, u32) {
        (self.firsts, self.retries)
    }
}
