//! The sliding log: the instants of the requests admitted in the last window
//! `W`, kept in order; a request at `t` is admitted when fewer than `limit` of
//! them lie in `(t - W, t]`. Exact (no window of length `W` ever holds more
//! than `limit` admitted requests) at the cost of one timestamp per admitted
//! request, which is why Stripe's and Cloudflare's write-ups move on to
//! counters.

use std::collections::VecDeque;

use super::{burst_at_least_one, emission_interval_us, window_us};

/// A sliding log (see the module doc).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlidingLog {
    window_us: u64,
    limit: u32,
    /// Admitted instants in the current window, oldest first (at most `limit`).
    log: VecDeque<u64>,
    last_us: u64,
}

impl SlidingLog {
    /// `burst` requests in any window of `burst / rate_per_second` seconds.
    pub fn new(rate_per_second: f64, burst: u32) -> Self {
        let burst = burst_at_least_one(burst);
        SlidingLog::with_window(
            burst,
            window_us(emission_interval_us(rate_per_second), burst),
        )
    }

    /// `limit` requests in any window of `window_us` microseconds.
    pub fn with_window(limit: u32, window_us: u64) -> Self {
        SlidingLog {
            window_us: window_us.max(1),
            limit: burst_at_least_one(limit),
            log: VecDeque::new(),
            last_us: 0,
        }
    }

    /// Admits a request at `now_us` if fewer than `limit` were admitted in
    /// `(now_us - W, now_us]`, and logs it.
    pub fn try_acquire(&mut self, now_us: u64) -> bool {
        self.trim(now_us);
        if self.log.len() < self.limit as usize {
            self.log.push_back(self.last_us);
            true
        } else {
            false
        }
    }

    /// Requests admitted in the window ending at `now_us`.
    pub fn in_window(&mut self, now_us: u64) -> u32 {
        self.trim(now_us);
        self.log.len() as u32
    }

    pub fn window_us(&self) -> u64 {
        self.window_us
    }

    /// Drops what fell out of the window: instants `a` with `a + W <= now`.
    fn trim(&mut self, now_us: u64) {
        self.last_us = self.last_us.max(now_us);
        while let Some(&oldest) = self.log.front() {
            if oldest.saturating_add(self.window_us) > self.last_us {
                break;
            }
            self.log.pop_front();
        }
    }
}
