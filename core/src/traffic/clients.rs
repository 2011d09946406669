//! Where load comes from: open-loop arrivals, which do not wait for answers,
//! and closed-loop users, who do.
//!
//! The difference matters under overload (Schroeder, Wierman and
//! Harchol-Balter, "Open Versus Closed: A Cautionary Tale", NSDI 2006): an
//! open-loop source keeps sending at its rate however slow the service gets,
//! so a queue can grow without bound; N closed-loop users can have at most N
//! requests outstanding, so they slow down with the service. Both are
//! components a client node owns: it asks for the gap to its next request
//! (open loop) or the think time before a user's next one (closed loop) and
//! sets a timer for it.

use super::distribution::{exponential, ServiceTime};
use crate::sim::rng::Rng;
use crate::sim::time::{Duration, Time};

/// How an open-loop source spaces its requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrivals {
    /// A Poisson process: exponential gaps of mean `1 / per_second`.
    Poisson { per_second: u32 },
    /// Bursty: a Poisson process at `per_second` during `on`, then silence
    /// during `off`, repeating from time zero.
    OnOff {
        per_second: u32,
        on: Duration,
        off: Duration,
    },
}

/// An open-loop source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenLoop {
    pub arrivals: Arrivals,
}

impl OpenLoop {
    pub fn new(arrivals: Arrivals) -> Self {
        OpenLoop { arrivals }
    }

    /// The instant of the next request after one at `now`, or `None` if the
    /// source never sends.
    pub fn next_arrival(&self, now: Time, rng: &mut Rng) -> Option<Time> {
        let (per_second, on, off) = match self.arrivals {
            Arrivals::Poisson { per_second } => (per_second, None, Duration::ZERO),
            Arrivals::OnOff {
                per_second,
                on,
                off,
            } => (per_second, Some(on), off),
        };
        if per_second == 0 || on == Some(Duration::ZERO) {
            return None;
        }
        let gap = Duration(exponential(rng, 1e6 / f64::from(per_second)).round() as u64);
        let Some(on) = on else {
            return Some(now.after(gap));
        };
        // The process is memoryless, so a gap that runs into a silent period
        // simply resumes at the next burst with what is left of it.
        let period = on.as_micros() + off.as_micros();
        let mut at = now.as_micros();
        let mut left = gap.as_micros();
        loop {
            let phase = at % period;
            if phase >= on.as_micros() {
                at += period - phase;
                continue;
            }
            let room = on.as_micros() - phase;
            if left < room {
                return Some(Time(at + left));
            }
            left -= room;
            at += room;
        }
    }
}

/// `users` users, each sending a request, waiting for its answer, then
/// thinking for a while before the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClosedLoop {
    pub users: u32,
    pub think: ServiceTime,
}

impl ClosedLoop {
    /// When each user sends its first request: spread by one think time each,
    /// so they do not all start in the same microsecond.
    pub fn first_requests(&self, now: Time, rng: &mut Rng) -> Vec<Time> {
        (0..self.users)
            .map(|_| now.after(self.think.sample(rng)))
            .collect()
    }

    /// A user got its answer at `now`: when it sends its next request.
    pub fn after_answer(&self, now: Time, rng: &mut Rng) -> Time {
        now.after(self.think.sample(rng))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_rate_is_right() {
        let source = OpenLoop::new(Arrivals::Poisson { per_second: 50 });
        let mut rng = Rng::new(5);
        let mut now = Time::ZERO;
        let mut count = 0;
        while let Some(next) = source.next_arrival(now, &mut rng) {
            if next >= Time::from_millis(100_000) {
                break;
            }
            now = next;
            count += 1;
        }
        assert!((4_850..5_150).contains(&count), "{count}");
        let silent = OpenLoop::new(Arrivals::Poisson { per_second: 0 });
        assert_eq!(silent.next_arrival(Time::ZERO, &mut rng), None);
    }

    #[test]
    fn on_off_sends_only_in_bursts() {
        let on = Duration::from_millis(200);
        let off = Duration::from_millis(800);
        let source = OpenLoop::new(Arrivals::OnOff {
            per_second: 100,
            on,
            off,
        });
        let mut rng = Rng::new(6);
        let mut now = Time::ZERO;
        let mut count = 0;
        loop {
            let next = source.next_arrival(now, &mut rng).unwrap();
            if next >= Time::from_millis(100_000) {
                break;
            }
            assert!(next.as_micros() % 1_000_000 < 200_000, "{next}");
            now = next;
            count += 1;
        }
        // 100 per second for a fifth of the time.
        assert!((1_900..2_100).contains(&count), "{count}");
    }

    #[test]
    fn closed_loop_users_think() {
        let users = ClosedLoop {
            users: 4,
            think: ServiceTime::Constant(Duration::from_millis(100)),
        };
        let mut rng = Rng::new(7);
        assert_eq!(
            users.first_requests(Time::ZERO, &mut rng),
            vec![Time::from_millis(100); 4]
        );
        assert_eq!(
            users.after_answer(Time::from_millis(50), &mut rng),
            Time::from_millis(150)
        );
    }
}
