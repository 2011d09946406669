//! Rate limiters: six ways to say "at most so many requests per second, with
//! bursts up to so many", each a small exact state machine.
//!
//! Every limiter has the same two calls: `new(rate_per_second, burst)` and
//! `try_acquire(now_us) -> bool` (admit this request at `now_us` or not). Time
//! is an integer count of microseconds supplied by the caller (sans-IO, like
//! the simulator), and every decision is made in integer arithmetic, so a
//! sequence of calls gives the same decisions on every platform.
//!
//! **The rate in whole microseconds.** A rate `r` is turned once into an
//! emission interval `T = ceil(1_000_000 / r)` microseconds (ITU-T I.371's
//! increment `T`): the time one request's worth of allowance takes to come
//! back. Rounding the interval up rounds the rate down to the nearest rate
//! whose interval is a whole number of microseconds, so a limiter never admits
//! more than the rate asked for. A rate that is not positive (or is not a
//! number) never refills; a rate above a million per second is one per
//! microsecond. [`emission_interval_us`] is that conversion.
//!
//! **What `burst` means** (a `burst` of 0 is taken as 1: a limiter that admits
//! nothing is not a rate limiter):
//!
//! - [`TokenBucket`]: the bucket's capacity. It starts full, each request
//!   takes one token, a token comes back every `T`. In any interval of length
//!   `t` it admits at most `burst + t / T` requests (RFC 2697's committed burst
//!   size; the (r, b) token bucket of RFC 2215).
//! - [`Gcra`]: the tolerance `τ = (burst - 1) · T` of I.371's virtual
//!   scheduling algorithm: `burst` requests at once conform. It makes the same
//!   decisions as [`TokenBucket`] for every sequence of requests.
//! - [`LeakyBucket`] (as a queue): the queue's capacity. Admitted requests
//!   wait in it and leave one every `T`; a request is refused when `burst`
//!   requests are waiting (the one leaving at this very instant included).
//! - [`FixedWindow`], [`SlidingLog`], [`SlidingWindowCounter`]: the limit per
//!   window, and the window is `W = burst · T` long (`burst / rate` seconds),
//!   so all three allow the same long-run rate as the buckets. A fixed window
//!   counts in windows aligned at multiples of `W` from time zero; the sliding
//!   log in every window `(now - W, now]`; the sliding window counter weighs
//!   the previous aligned window's count by how much of it the sliding window
//!   still covers.
//!
//! **Time going backwards** is taken as no time passing: each limiter keeps the
//! latest instant it has seen and decides at that instant. Huge instants and
//! rates neither overflow nor panic (the arithmetic that can grow is done in
//! `u128` or saturates).

mod fixed_window;
mod gcra;
mod leaky_bucket;
mod sliding_log;
mod sliding_window_counter;
mod token_bucket;

pub use fixed_window::FixedWindow;
pub use gcra::Gcra;
pub use leaky_bucket::LeakyBucket;
pub use sliding_log::SlidingLog;
pub use sliding_window_counter::SlidingWindowCounter;
pub use token_bucket::TokenBucket;

/// The emission interval of `rate_per_second` in whole microseconds, rounded
/// up: `ceil(1_000_000 / rate)`, at least 1, and `u64::MAX` (never) for a rate
/// that is not positive or not a number.
pub fn emission_interval_us(rate_per_second: f64) -> u64 {
    if rate_per_second.is_nan() || rate_per_second <= 0.0 {
        return u64::MAX;
    }
    // `as` saturates: an infinite or huge interval becomes u64::MAX.
    ((1_000_000.0 / rate_per_second).ceil() as u64).max(1)
}

/// `burst`, with 0 taken as 1.
pub(crate) fn burst_at_least_one(burst: u32) -> u32 {
    burst.max(1)
}

/// The window of the window limiters: `burst · T` microseconds, saturating.
pub(crate) fn window_us(interval_us: u64, burst: u32) -> u64 {
    interval_us.saturating_mul(burst as u64)
}

#[cfg(test)]
mod tests;
