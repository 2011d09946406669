//! The sliding window counter: two counters, the previous aligned window's and
//! the current one's, and an estimate of the sliding window's count that
//! assumes the previous window's requests were spread evenly through it
//! (Cloudflare, "How we built rate limiting capable of scaling to millions of
//! domains", 2017):
//!
//! `estimate = previous · (W - elapsed) / W + current`
//!
//! where `elapsed` is the time since the current window began. A request is
//! admitted when the estimate with it counted is at most `limit`. The
//! arithmetic is done multiplied through by `W`, in integers.

use super::{burst_at_least_one, emission_interval_us, window_us};

/// A sliding window counter (see the module doc).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlidingWindowCounter {
    window_us: u64,
    limit: u32,
    /// The current aligned window's index, its count and the previous one's.
    window: u64,
    current: u32,
    previous: u32,
    last_us: u64,
}

impl SlidingWindowCounter {
    /// At most `burst` requests by the estimate, windows of `burst / rate_per_second` s.
    pub fn new(rate_per_second: f64, burst: u32) -> Self {
        let burst = burst_at_least_one(burst);
        SlidingWindowCounter::with_window(
            burst,
            window_us(emission_interval_us(rate_per_second), burst),
        )
    }

    /// At most `limit` requests by the estimate, windows of `window_us`.
    pub fn with_window(limit: u32, window_us: u64) -> Self {
        SlidingWindowCounter {
            window_us: window_us.max(1),
            limit: burst_at_least_one(limit),
            window: 0,
            current: 0,
            previous: 0,
            last_us: 0,
        }
    }

    /// Admits a request at `now_us` if the estimate with it is at most `limit`.
    pub fn try_acquire(&mut self, now_us: u64) -> bool {
        self.roll(now_us);
        let estimate = self.scaled_estimate(self.current + 1);
        if estimate <= self.limit as u128 * self.window_us as u128 {
            self.current += 1;
            true
        } else {
            false
        }
    }

    /// The estimate at `now_us`, times `W`, and `W`: the estimate is the
    /// first divided by the second.
    pub fn estimate(&mut self, now_us: u64) -> (u128, u64) {
        self.roll(now_us);
        (self.scaled_estimate(self.current), self.window_us)
    }

    pub fn window_us(&self) -> u64 {
        self.window_us
    }

    /// `previous · (W - elapsed) + current · W` at the latest instant.
    fn scaled_estimate(&self, current: u32) -> u128 {
        let elapsed = self.last_us - self.window * self.window_us;
        let remaining = (self.window_us - elapsed) as u128;
        self.previous as u128 * remaining + current as u128 * self.window_us as u128
    }

    fn roll(&mut self, now_us: u64) {
        self.last_us = self.last_us.max(now_us);
        let window = self.last_us / self.window_us;
        if window == self.window {
            return;
        }
        self.previous = if window == self.window + 1 {
            self.current
        } else {
            0
        };
        self.current = 0;
        self.window = window;
    }
}
