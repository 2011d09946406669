//! The generic cell rate algorithm, GCRA(T, τ), in the form of its virtual
//! scheduling algorithm (ITU-T Recommendation I.371, the GCRA's definition:
//! the theoretical arrival time TAT, the increment `T` and the limit `τ`).
//!
//! The algorithm keeps one number, the theoretical arrival time TAT of the next
//! request if requests came exactly one every `T`. A request at `t`:
//!
//! - if `t < TAT - τ`, it is too early: non-conforming, TAT unchanged;
//! - otherwise it conforms and `TAT = max(t, TAT) + T`.
//!
//! With `τ = (burst - 1) · T`, `burst` requests at once conform, and the
//! decisions are exactly those of a token bucket of `burst` tokens refilled
//! every `T` (the bucket's credit is `burst · T - max(TAT - t, 0)`); the tests
//! check that on thousands of random sequences. I.371 gives a second,
//! equivalent form, the continuous-state leaky bucket, whose counter is that
//! `max(TAT - t, 0)`: this is the leaky bucket as a meter.

use super::{burst_at_least_one, emission_interval_us};

/// GCRA(T, τ) by virtual scheduling (see the module doc).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gcra {
    interval_us: u64,
    /// τ, in microseconds (u128: `(burst - 1) · T` always fits).
    tolerance_us: u128,
    /// The theoretical arrival time (u128, so `TAT + T` never overflows).
    tat_us: u128,
    last_us: u64,
}

impl Gcra {
    /// GCRA with `T = 1 / rate_per_second` and `τ = (burst - 1) · T`.
    pub fn new(rate_per_second: f64, burst: u32) -> Self {
        Gcra::with_interval(emission_interval_us(rate_per_second), burst)
    }

    /// GCRA with increment `interval_us` and `τ = (burst - 1) · interval_us`.
    pub fn with_interval(interval_us: u64, burst: u32) -> Self {
        let interval_us = interval_us.max(1);
        let burst = burst_at_least_one(burst);
        Gcra {
            interval_us,
            tolerance_us: (burst as u128 - 1) * interval_us as u128,
            tat_us: 0,
            last_us: 0,
        }
    }

    /// Whether a request at `now_us` conforms; if it does, it is counted.
    pub fn try_acquire(&mut self, now_us: u64) -> bool {
        let t = self.advance(now_us);
        // t < TAT - τ, written without a subtraction that could go negative.
        if t + self.tolerance_us < self.tat_us {
            return false;
        }
        self.tat_us = self.tat_us.max(t) + self.interval_us as u128;
        true
    }

    /// The theoretical arrival time, in microseconds (saturated to u64).
    pub fn tat_us(&self) -> u64 {
        self.tat_us.min(u64::MAX as u128) as u64
    }

    pub fn interval_us(&self) -> u64 {
        self.interval_us
    }

    fn advance(&mut self, now_us: u64) -> u128 {
        self.last_us = self.last_us.max(now_us);
        self.last_us as u128
    }
}
