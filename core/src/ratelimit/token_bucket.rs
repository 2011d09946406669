//! The token bucket: a bucket of `burst` tokens that starts full, loses one
//! token per admitted request and gains one every emission interval `T`, never
//! holding more than `burst` (RFC 2697 section 2; the (r, b) token bucket of
//! RFC 2215 section 3.1).
//!
//! The tokens are kept as microseconds of credit, `T` per token, so the refill
//! is exact: `credit = min(burst · T, credit + elapsed)`, and a request is
//! admitted when `credit >= T`. In any interval of length `t` the bucket admits
//! at most `burst + t / T` requests: it holds at most `burst` tokens at the
//! interval's start and gains at most `t / T` during it.

use super::{burst_at_least_one, emission_interval_us};

/// A token bucket (see the module doc).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenBucket {
    interval_us: u64,
    burst: u32,
    /// Microseconds of credit, at most `burst · interval_us` (u128: that
    /// product of a u32 and a u64 always fits).
    credit_us: u128,
    /// The latest instant seen: earlier ones count as this one.
    last_us: u64,
}

impl TokenBucket {
    /// A full bucket of `burst` tokens refilled at `rate_per_second`.
    pub fn new(rate_per_second: f64, burst: u32) -> Self {
        TokenBucket::with_interval(emission_interval_us(rate_per_second), burst)
    }

    /// A full bucket of `burst` tokens, one token back every `interval_us`.
    pub fn with_interval(interval_us: u64, burst: u32) -> Self {
        let burst = burst_at_least_one(burst);
        let interval_us = interval_us.max(1);
        TokenBucket {
            interval_us,
            burst,
            credit_us: burst as u128 * interval_us as u128,
            last_us: 0,
        }
    }

    /// Admits a request at `now_us` if a whole token is in the bucket, and
    /// takes it.
    pub fn try_acquire(&mut self, now_us: u64) -> bool {
        self.refill(now_us);
        if self.credit_us >= self.interval_us as u128 {
            self.credit_us -= self.interval_us as u128;
            true
        } else {
            false
        }
    }

    /// Whole tokens in the bucket at `now_us` (refilling up to it).
    pub fn tokens(&mut self, now_us: u64) -> u32 {
        self.refill(now_us);
        (self.credit_us / self.interval_us as u128) as u32
    }

    pub fn interval_us(&self) -> u64 {
        self.interval_us
    }

    pub fn burst(&self) -> u32 {
        self.burst
    }

    fn refill(&mut self, now_us: u64) {
        let now_us = now_us.max(self.last_us);
        let capacity = self.burst as u128 * self.interval_us as u128;
        let elapsed = (now_us - self.last_us) as u128;
        self.credit_us = (self.credit_us + elapsed).min(capacity);
        self.last_us = now_us;
    }
}
