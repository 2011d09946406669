//! The service level objective and its alerts, after the Google SRE
//! Workbook, chapter 5 "Alerting on SLOs", with time scaled down so a run of
//! a minute shows what takes a month.
//!
//! **The scale.** One evaluation interval, 100 ms of virtual time, stands for
//! 5 minutes: 1 s of virtual time is 50 minutes, so 1 hour is 1.2 s, 6 hours
//! 7.2 s, 3 days 86.4 s and the 30-day SLO window 864 s. Every window of the
//! workbook's table is then a whole number of intervals.
//!
//! **The objective.** 99.9% of a service's requests succeed over 30 days:
//! the error budget is 0.1% of its requests. A *burn rate* is how fast a
//! window spends it: the window's error ratio divided by 0.1%. Burning at 1
//! spends the budget exactly over the 30 days; at 14.4, 2% of it in an hour.
//!
//! **The alerts** (the workbook's "multiwindow, multi-burn-rate alerts",
//! its recommended table): page when the burn rate over 1 hour **and** over
//! 5 minutes both exceed 14.4 (2% of the budget in an hour), or over 6 hours
//! and 30 minutes both exceed 6 (5% in six hours); open a ticket when over 3
//! days and 6 hours both exceed 1 (10% in three days). The long window makes
//! an alert mean something (enough budget is gone); the short one, a
//! twelfth as long, makes it stop soon after the errors stop.
//!
//! **Before time zero.** A window longer than the run so far counts the run's
//! requests and errors as they are and assumes the time before the run was
//! clean at the same request rate (the service had been up for a month):
//! the burn rate is scaled by the part of the window the run covers.

use crate::sim::time::Duration;

/// One evaluation interval: 5 minutes of the scaled month.
pub const INTERVAL: Duration = Duration::from_millis(100);

/// The SLO: this many requests per million may fail (99.9%).
pub const BUDGET_PPM: u64 = 1_000;

/// A window of the alerting table, in intervals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub name: &'static str,
    pub intervals: u64,
}

pub const FIVE_MINUTES: Window = Window {
    name: "5 min",
    intervals: 1,
};
pub const THIRTY_MINUTES: Window = Window {
    name: "30 min",
    intervals: 6,
};
pub const ONE_HOUR: Window = Window {
    name: "1 h",
    intervals: 12,
};
pub const SIX_HOURS: Window = Window {
    name: "6 h",
    intervals: 72,
};
pub const THREE_DAYS: Window = Window {
    name: "3 days",
    intervals: 864,
};
/// The SLO's own window: the budget is spent over it.
pub const THIRTY_DAYS: Window = Window {
    name: "30 days",
    intervals: 8_640,
};

/// The windows whose burn rates the monitor keeps, in this order.
pub const WINDOWS: [Window; 6] = [
    FIVE_MINUTES,
    THIRTY_MINUTES,
    ONE_HOUR,
    SIX_HOURS,
    THREE_DAYS,
    THIRTY_DAYS,
];

/// Indices into [`WINDOWS`] (and into [`BurnRates`]).
pub const W5M: usize = 0;
pub const W30M: usize = 1;
pub const W1H: usize = 2;
pub const W6H: usize = 3;
pub const W3D: usize = 4;
pub const W30D: usize = 5;

/// The burn rate over each of [`WINDOWS`] at one evaluation.
pub type BurnRates = [f64; 6];

/// The fast page: 14.4 over 1 hour and 5 minutes (2% of the budget in an hour).
pub const FAST_BURN: f64 = 14.4;
/// The slower page: 6 over 6 hours and 30 minutes (5% in six hours).
pub const MEDIUM_BURN: f64 = 6.0;
/// The ticket: 1 over 3 days and 6 hours (10% in three days).
pub const SLOW_BURN: f64 = 1.0;

/// The alerts of one service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AlertKind {
    Page,
    Ticket,
}

impl AlertKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::Page => "page",
            AlertKind::Ticket => "ticket",
        }
    }
}

/// Whether the fast page's condition holds: both its windows over 14.4.
pub fn fast_burn(burn: &BurnRates) -> bool {
    burn[W1H] > FAST_BURN && burn[W5M] > FAST_BURN
}

/// Whether a page should fire: the fast or the medium condition.
pub fn page(burn: &BurnRates) -> bool {
    fast_burn(burn) || (burn[W6H] > MEDIUM_BURN && burn[W30M] > MEDIUM_BURN)
}

/// Whether a ticket should be open.
pub fn ticket(burn: &BurnRates) -> bool {
    burn[W3D] > SLOW_BURN && burn[W6H] > SLOW_BURN
}

/// The burn rate over `window` ending with interval `last`, from per-interval
/// `(requests, errors)` counts indexed by interval (missing ones count zero).
/// A window reaching before time zero is scaled by the part the run covers.
pub fn burn_rate(counts: &[(i64, i64)], last: u64, window: Window) -> f64 {
    let covered = window.intervals.min(last + 1);
    let first = last + 1 - covered;
    let (mut requests, mut errors) = (0i64, 0i64);
    for interval in first..=last {
        if let Some(&(r, e)) = counts.get(interval as usize) {
            requests += r;
            errors += e;
        }
    }
    if requests <= 0 {
        return 0.0;
    }
    let ratio = errors.max(0) as f64 / requests as f64;
    ratio * 1e6 / BUDGET_PPM as f64 * covered as f64 / window.intervals as f64
}

/// Every window's burn rate at interval `last`.
pub fn burn_rates(counts: &[(i64, i64)], last: u64) -> BurnRates {
    WINDOWS.map(|window| burn_rate(counts, last, window))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_windows_follow_the_workbook_at_five_minutes_an_interval() {
        // 12 intervals of 5 minutes are an hour; 30 days are 8640 intervals.
        assert_eq!(ONE_HOUR.intervals * 5, 60);
        assert_eq!(SIX_HOURS.intervals * 5, 6 * 60);
        assert_eq!(THREE_DAYS.intervals * 5, 3 * 24 * 60);
        assert_eq!(THIRTY_DAYS.intervals * 5, 30 * 24 * 60);
        // Burning 14.4 for an hour spends 2% of a 30-day budget; 6 for six
        // hours, 5%; 1 for three days, 10%.
        let spent = |burn: f64, window: Window| burn * window.intervals as f64 / 8_640.0;
        assert!((spent(FAST_BURN, ONE_HOUR) - 0.02).abs() < 1e-12);
        assert!((spent(MEDIUM_BURN, SIX_HOURS) - 0.05).abs() < 1e-12);
        assert!((spent(SLOW_BURN, THREE_DAYS) - 0.10).abs() < 1e-12);
    }

    #[test]
    fn burn_rate_is_the_error_ratio_over_the_budget_scaled_by_coverage() {
        // 100 requests an interval, 2 errors: 2% is 20 times the 0.1% budget.
        let counts = vec![(100, 2); 100];
        assert!((burn_rate(&counts, 99, FIVE_MINUTES) - 20.0).abs() < 1e-9);
        assert!((burn_rate(&counts, 99, ONE_HOUR) - 20.0).abs() < 1e-9);
        // The 6-hour window (72 intervals) lies wholly inside the run.
        assert!((burn_rate(&counts, 99, SIX_HOURS) - 20.0).abs() < 1e-9);
        // The 3-day window covers 100 of 864 intervals; the rest was clean.
        let three_days = burn_rate(&counts, 99, THREE_DAYS);
        assert!((three_days - 20.0 * 100.0 / 864.0).abs() < 1e-9);
        // No requests, no burn; missing intervals count as none.
        assert_eq!(burn_rate(&[], 5, ONE_HOUR), 0.0);
    }

    #[test]
    fn both_windows_must_exceed_the_rate() {
        let mut burn = [0.0; 6];
        burn[W1H] = 20.0;
        assert!(!fast_burn(&burn), "the long window alone does not page");
        burn[W5M] = 20.0;
        assert!(fast_burn(&burn) && page(&burn));
        burn[W1H] = 14.4;
        assert!(!fast_burn(&burn), "the rate must be exceeded");
        let mut burn = [0.0; 6];
        burn[W6H] = 7.0;
        burn[W30M] = 7.0;
        assert!(page(&burn) && !fast_burn(&burn));
        let mut burn = [0.0; 6];
        burn[W3D] = 1.5;
        assert!(!ticket(&burn));
        burn[W6H] = 1.5;
        assert!(ticket(&burn) && !page(&burn));
    }
}
