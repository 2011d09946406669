//! The leaky bucket as a queue: admitted requests wait in a bucket of
//! `burst` places and leak out one every emission interval `T`, so what leaves
//! is smooth whatever came in (Turner's leaky bucket, 1986; the queue form
//! textbooks draw as a bucket with a hole). A request that finds the bucket
//! full is refused.
//!
//! The leaky bucket as a *meter* (no queue: the bucket's level is a counter
//! that drains continuously, and a request that would overflow it is
//! non-conforming) is I.371's continuous-state leaky bucket, equivalent to the
//! GCRA: see [`super::Gcra`].
//!
//! Each admitted request is given its departure: `d = max(arrival, d_prev + T)`,
//! so departures are at least `T` apart and no request leaves before it came.
//! A request at `t` finds in the bucket the admitted requests whose departure
//! is at `t` or later (one leaving at this very instant still takes its
//! place), and is admitted when fewer than `burst` are there. Departures in
//! one busy period lie on a grid `start + k · T`, so the count is arithmetic:
//! no queue is stored.

use super::{burst_at_least_one, emission_interval_us};

/// A leaky bucket as a queue (see the module doc).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeakyBucket {
    interval_us: u64,
    burst: u32,
    /// The first and last departure of the current busy period, if any
    /// request was ever admitted (u128: `last + T` never overflows).
    busy: Option<(u128, u128)>,
    last_us: u64,
}

impl LeakyBucket {
    /// A bucket of `burst` places leaking one request every `1 / rate_per_second`.
    pub fn new(rate_per_second: f64, burst: u32) -> Self {
        LeakyBucket::with_interval(emission_interval_us(rate_per_second), burst)
    }

    /// A bucket of `burst` places leaking one request every `interval_us`.
    pub fn with_interval(interval_us: u64, burst: u32) -> Self {
        LeakyBucket {
            interval_us: interval_us.max(1),
            burst: burst_at_least_one(burst),
            busy: None,
            last_us: 0,
        }
    }

    /// Admits a request at `now_us` into the bucket if a place is free.
    pub fn try_acquire(&mut self, now_us: u64) -> bool {
        self.try_enqueue(now_us).is_some()
    }

    /// Admits a request at `now_us` if a place is free, and says when it
    /// leaves the bucket (saturated to u64).
    pub fn try_enqueue(&mut self, now_us: u64) -> Option<u64> {
        self.last_us = self.last_us.max(now_us);
        let t = self.last_us as u128;
        if self.waiting_at(t) >= self.burst as u128 {
            return None;
        }
        let interval = self.interval_us as u128;
        let departure = match self.busy {
            // The grid goes on: the request leaves one interval after the last.
            Some((start, last)) if last + interval >= t => {
                self.busy = Some((start, last + interval));
                last + interval
            }
            // The bucket ran dry before `t`: a new busy period starts now.
            _ => {
                self.busy = Some((t, t));
                t
            }
        };
        Some(departure.min(u64::MAX as u128) as u64)
    }

    /// Requests in the bucket at `now_us`: admitted, departing at `now_us` or later.
    pub fn waiting(&self, now_us: u64) -> u32 {
        let t = self.last_us.max(now_us) as u128;
        self.waiting_at(t).min(u32::MAX as u128) as u32
    }

    pub fn interval_us(&self) -> u64 {
        self.interval_us
    }

    fn waiting_at(&self, t: u128) -> u128 {
        let Some((start, last)) = self.busy else {
            return 0;
        };
        if last < t {
            return 0;
        }
        let interval = self.interval_us as u128;
        let total = (last - start) / interval + 1;
        if t <= start {
            return total;
        }
        // Departures start + k·T with k from ceil((t - start) / T) to the last.
        let gone = (t - start).div_ceil(interval);
        total - gone
    }
}
