//! The fixed window counter: time is cut into windows of length `W` aligned at
//! multiples of `W` from zero, and each window admits at most `limit` requests
//! (a counter that resets when a new window starts; the common Redis
//! `INCR` + `EXPIRE` pattern).
//!
//! Its known weakness is the boundary: `limit` requests at the end of one
//! window and `limit` more at the start of the next are all admitted, `2 ·
//! limit` within an instant of each other.

use super::{burst_at_least_one, emission_interval_us, window_us};

/// A fixed window counter (see the module doc).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FixedWindow {
    window_us: u64,
    limit: u32,
    /// The window the count is for (its index: start / W), and the count.
    window: u64,
    count: u32,
    last_us: u64,
}

impl FixedWindow {
    /// `burst` requests per window of `burst / rate_per_second` seconds.
    pub fn new(rate_per_second: f64, burst: u32) -> Self {
        let burst = burst_at_least_one(burst);
        FixedWindow::with_window(
            burst,
            window_us(emission_interval_us(rate_per_second), burst),
        )
    }

    /// `limit` requests per window of `window_us` microseconds.
    pub fn with_window(limit: u32, window_us: u64) -> Self {
        FixedWindow {
            window_us: window_us.max(1),
            limit: burst_at_least_one(limit),
            window: 0,
            count: 0,
            last_us: 0,
        }
    }

    /// Admits a request at `now_us` if its window has not reached the limit.
    pub fn try_acquire(&mut self, now_us: u64) -> bool {
        self.roll(now_us);
        if self.count < self.limit {
            self.count += 1;
            true
        } else {
            false
        }
    }

    /// The window `now_us` falls in, and the requests admitted in it so far.
    pub fn count(&mut self, now_us: u64) -> (u64, u32) {
        self.roll(now_us);
        (self.window, self.count)
    }

    pub fn window_us(&self) -> u64 {
        self.window_us
    }

    pub fn limit(&self) -> u32 {
        self.limit
    }

    fn roll(&mut self, now_us: u64) {
        self.last_us = self.last_us.max(now_us);
        let window = self.last_us / self.window_us;
        if window != self.window {
            self.window = window;
            self.count = 0;
        }
    }
}
