//! Virtual time and node identity.
//!
//! Simulated time is an integer count of microseconds since the run started. Nothing
//! in the simulator reads a real clock; time only moves when the event queue does.

use std::fmt;
use std::ops::{Add, Sub};

/// An instant of virtual time, in microseconds since the start of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(pub u64);

/// A span of virtual time, in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(pub u64);

impl Time {
    /// The start of every run.
    pub const ZERO: Time = Time(0);
    /// Later than any event a run can schedule.
    pub const NEVER: Time = Time(u64::MAX);

    pub const fn from_millis(ms: u64) -> Time {
        Time(ms.saturating_mul(1_000))
    }

    pub const fn as_micros(self) -> u64 {
        self.0
    }

    /// Whole milliseconds, rounded down.
    pub const fn as_millis(self) -> u64 {
        self.0 / 1_000
    }

    /// The time `span` later, saturating at [`Time::NEVER`].
    pub const fn after(self, span: Duration) -> Time {
        Time(self.0.saturating_add(span.0))
    }

    /// The span from `earlier` to `self`, or zero when `earlier` is later.
    pub const fn since(self, earlier: Time) -> Duration {
        Duration(self.0.saturating_sub(earlier.0))
    }
}

impl Duration {
    pub const ZERO: Duration = Duration(0);

    pub const fn from_millis(ms: u64) -> Duration {
        Duration(ms.saturating_mul(1_000))
    }

    pub const fn from_micros(us: u64) -> Duration {
        Duration(us)
    }

    pub const fn as_micros(self) -> u64 {
        self.0
    }
}

impl Add<Duration> for Time {
    type Output = Time;
    fn add(self, span: Duration) -> Time {
        self.after(span)
    }
}

impl Sub<Time> for Time {
    type Output = Duration;
    fn sub(self, earlier: Time) -> Duration {
        self.since(earlier)
    }
}

/// Formats as milliseconds with three decimals, e.g. `152.340ms`.
impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}ms", self.0 / 1_000, self.0 % 1_000)
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}ms", self.0 / 1_000, self.0 % 1_000)
    }
}

/// A node of the simulated system, numbered from zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u32);

impl NodeId {
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "n{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_arithmetic_saturates() {
        assert_eq!(Time::NEVER.after(Duration(5)), Time::NEVER);
        assert_eq!(Time(3).since(Time(10)), Duration::ZERO);
        assert_eq!(Time(10) - Time(3), Duration(7));
        assert_eq!(Time::from_millis(2) + Duration::from_millis(1), Time(3_000));
    }

    #[test]
    fn display_is_milliseconds() {
        assert_eq!(Time(152_340).to_string(), "152.340ms");
        assert_eq!(NodeId(3).to_string(), "n3");
    }
}
