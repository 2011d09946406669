//! Each algorithm's definition as a bound on the requests it admitted, checked
//! one admission at a time from the admitted instants alone (never the
//! limiter's own state), in constant time or over a deque of at most `burst`
//! instants:
//!
//! - token bucket and GCRA: in any interval of length `t`, at most
//!   `burst + t / T` admitted. For admissions `a_1 <= ... <= a_j` that is, for
//!   every `i <= j`, `(j - i + 1 - burst) · T <= a_j - a_i`, or
//!   `max_i (a_i - i · T) <= a_j - j · T + (burst - 1) · T`: one running
//!   maximum (the GCRA's own TAT, seen from outside);
//! - leaky bucket: every admitted request leaves no earlier than it came and
//!   at least `T` after the one before, and when one is admitted at most
//!   `burst` admitted requests (it included) have not left;
//! - fixed window: at most `burst` admitted per aligned window;
//! - sliding log: any `burst + 1` admitted in a row span at least `W`, so no
//!   window of length `W` holds more than `burst`;
//! - sliding window counter: at each admission, the estimate recomputed from
//!   the admitted instants' aligned windows, `previous · (W - elapsed) / W +
//!   current` (this one counted), is at most `burst`.

use std::collections::VecDeque;

use crate::sim::time::Time;

use super::message::Algorithm;

/// The bound of one algorithm, and what it has seen.
#[derive(Clone, Debug)]
pub enum Bound {
    /// Token bucket and GCRA.
    Rate {
        interval: i128,
        burst: i128,
        /// Admissions so far (`j`) and the running max of `a_i - i · T`, with
        /// that `i`'s instant.
        admitted: i128,
        lead: Option<(i128, i128, u64)>,
    },
    Queue {
        interval: u64,
        burst: usize,
        last_departure: Option<u64>,
        /// Departures not yet past at the latest admission (at most `burst`).
        waiting: VecDeque<u64>,
    },
    Window {
        window: u64,
        limit: u32,
        current: (u64, u32),
    },
    Log {
        window: u64,
        limit: usize,
        /// The last `limit` admitted instants.
        recent: VecDeque<u64>,
    },
    Estimate {
        window: u64,
        limit: u32,
        /// The current aligned window, its count, and the previous one's.
        current: (u64, u32),
        previous: u32,
    },
}

impl Bound {
    pub fn new(algorithm: Algorithm, interval_us: u64, burst: u32, window_us: u64) -> Self {
        match algorithm {
            Algorithm::TokenBucket | Algorithm::Gcra => Bound::Rate {
                interval: interval_us.max(1) as i128,
                burst: burst.max(1) as i128,
                admitted: 0,
                lead: None,
            },
            Algorithm::LeakyBucket => Bound::Queue {
                interval: interval_us.max(1),
                burst: burst.max(1) as usize,
                last_departure: None,
                waiting: VecDeque::new(),
            },
            Algorithm::FixedWindow => Bound::Window {
                window: window_us.max(1),
                limit: burst.max(1),
                current: (0, 0),
            },
            Algorithm::SlidingLog => Bound::Log {
                window: window_us.max(1),
                limit: burst.max(1) as usize,
                recent: VecDeque::new(),
            },
            Algorithm::SlidingWindowCounter => Bound::Estimate {
                window: window_us.max(1),
                limit: burst.max(1),
                current: (0, 0),
                previous: 0,
            },
        }
    }

    /// Counts an admission at `at` (leaving the queue at `departure`, for the
    /// leaky bucket); says why it breaks the definition, if it does.
    pub fn admit(&mut self, at: Time, departure: Option<Time>) -> Option<String> {
        let a = at.as_micros();
        match self {
            Bound::Rate {
                interval,
                burst,
                admitted,
                lead,
            } => {
                *admitted += 1;
                let j = *admitted;
                let here = a as i128 - j * *interval;
                let (max, i, from) = match *lead {
                    Some((max, i, from)) if max >= here => (max, i, from),
                    _ => (here, j, a),
                };
                *lead = Some((max, i, from));
                if max > here + (*burst - 1) * *interval {
                    let count = j - i + 1;
                    let span = a - from;
                    return Some(format!(
                        "{count} admitted in {} (from {} to {at}); the bound is {burst} + {}/{} = {}",
                        Time(span),
                        Time(from),
                        Time(span),
                        Time(*interval as u64),
                        *burst + span as i128 / *interval
                    ));
                }
                None
            }
            Bound::Queue {
                interval,
                burst,
                last_departure,
                waiting,
            } => {
                let Some(d) = departure.map(Time::as_micros) else {
                    return Some(format!("a request admitted at {at} has no departure"));
                };
                if d < a {
                    return Some(format!(
                        "a request admitted at {at} leaves before, at {}",
                        Time(d)
                    ));
                }
                if let Some(previous) = *last_departure {
                    if d < previous.saturating_add(*interval) {
                        return Some(format!(
                            "departures at {} and {} are less than {} apart",
                            Time(previous),
                            Time(d),
                            Time(*interval)
                        ));
                    }
                }
                *last_departure = Some(d);
                while waiting.front().is_some_and(|&w| w < a) {
                    waiting.pop_front();
                }
                waiting.push_back(d);
                if waiting.len() > *burst {
                    let inside = waiting.len();
                    waiting.pop_front();
                    return Some(format!(
                        "{inside} requests in a bucket of {burst} places at {at}"
                    ));
                }
                None
            }
            Bound::Window {
                window,
                limit,
                current,
            } => {
                let index = a / *window;
                if current.0 != index {
                    *current = (index, 0);
                }
                current.1 += 1;
                (current.1 > *limit).then(|| {
                    format!(
                        "{} admitted in window w{index} ({} to {}); the limit is {limit}",
                        current.1,
                        Time(index * *window),
                        Time((index + 1).saturating_mul(*window))
                    )
                })
            }
            Bound::Log {
                window,
                limit,
                recent,
            } => {
                let mut broken = None;
                if recent.len() == *limit {
                    let oldest = recent[0];
                    if a < oldest.saturating_add(*window) {
                        broken = Some(format!(
                            "{} admitted from {} to {at}, within one window of {}; the limit is {limit}",
                            *limit + 1,
                            Time(oldest),
                            Time(*window)
                        ));
                    }
                    recent.pop_front();
                }
                recent.push_back(a);
                broken
            }
            Bound::Estimate {
                window,
                limit,
                current,
                previous,
            } => {
                let index = a / *window;
                if current.0 != index {
                    *previous = if index == current.0 + 1 { current.1 } else { 0 };
                    *current = (index, 0);
                }
                current.1 += 1;
                let elapsed = a - index * *window;
                let scaled = *previous as u128 * (*window - elapsed) as u128
                    + current.1 as u128 * *window as u128;
                (scaled > *limit as u128 * *window as u128).then(|| {
                    let tenths = scaled * 10 / *window as u128;
                    format!(
                        "the estimate at {at} is {}.{} ({} previous weighted by {}/{}, {} current); the limit is {limit}",
                        tenths / 10,
                        tenths % 10,
                        previous,
                        Time(*window - elapsed),
                        Time(*window),
                        current.1
                    )
                })
            }
        }
    }
}
