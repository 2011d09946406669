//! The invariants of the partial-failures topic, checked after every step of
//! a tier or the client from what the checker saw of it after its previous
//! step:
//!
//! - **no work past deadline**: on a chain with deadline propagation on, no
//!   tier starts work on a request after the client stopped waiting for it.
//!   The checker compares the instant of each start with the root deadline
//!   each request carries beside its propagated one (ground truth the
//!   protocol never reads), so a hop that loses the deadline cannot hide it.
//! - **retries within budget**: a caller with a retry budget sends, in any
//!   second of its clock (since its last restart), at most
//!   [`budget_allowance`] of that second's first attempts. The checker
//!   counts retries and first attempts itself, from the callers' totals.
//! - **no synchronised retries**: a caller backing off with full jitter
//!   never fires more than [`MAX_RETRIES_AT_ONE_INSTANT`] retries of
//!   distinct calls at the same microsecond. Without jitter, every call that
//!   failed at the same instant (all the calls a restarted downstream lost,
//!   failed at once by its `GoAway`) retries at the same instant again:
//!   failure instant plus the same backoff. With full jitter each waits a
//!   uniform draw over tens of thousands of microseconds, and four of them
//!   landing on one microsecond is about `n⁴ / (24 · c³)` for `n` calls and
//!   a ceiling of `c` microseconds: below one in a hundred thousand runs for
//!   a hundred calls and the 50 ms first ceiling.

use crate::lab::topic::InvariantInfo;
use crate::sim::checker::{Checker, Violation};
use crate::sim::time::{NodeId, Time};

use super::caller::Caller;
use super::message::{Chain, CLIENT};
use super::policy::{budget_allowance, Backoff};
use super::process::PartialProcess;

pub const NO_WORK_PAST_DEADLINE: &str = "no-work-past-deadline";
pub const RETRIES_WITHIN_BUDGET: &str = "retries-within-budget";
pub const NO_SYNCHRONISED_RETRIES: &str = "no-synchronised-retries";

/// The most retries a full-jitter caller may fire at one instant.
pub const MAX_RETRIES_AT_ONE_INSTANT: u64 = 3;

pub const INVARIANTS: &[InvariantInfo] = &[
    InvariantInfo {
        name: NO_WORK_PAST_DEADLINE,
        summary: "With deadline propagation on, no tier starts work on a request after the client stopped waiting for it.",
    },
    InvariantInfo {
        name: RETRIES_WITHIN_BUDGET,
        summary: "A caller with a retry budget sends, in any second, at most 10% of that second's first attempts plus 10 retries.",
    },
    InvariantInfo {
        name: NO_SYNCHRONISED_RETRIES,
        summary: "A caller backing off with full jitter never fires more than 3 retries of distinct calls at the same instant.",
    },
];

/// What the checker saw of one caller.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Seen {
    incarnation: u64,
    second: u64,
    /// The totals when the current window began.
    firsts_base: u64,
    retries_base: u64,
    /// The totals after the caller's previous step.
    firsts: u64,
    retries: u64,
    /// Retries fired at `instant`.
    instant: Time,
    at_instant: u64,
}

#[derive(Clone, Debug, Default)]
pub struct PartialChecker {
    /// Per caller (frontend, middle, client) and chain.
    seen: [[Seen; 2]; 3],
    /// The most retries seen at one instant, for the tests and the view.
    most_at_once: u64,
}

impl PartialChecker {
    pub fn new() -> Self {
        PartialChecker::default()
    }

    pub fn most_retries_at_once(&self) -> u64 {
        self.most_at_once
    }
}

fn check_caller(
    seen: &mut Seen,
    caller: &Caller,
    node: NodeId,
    now: Time,
    most_at_once: &mut u64,
    found: &mut Vec<Violation>,
) {
    let stats = caller.stats();
    let policy = caller.policy();
    let second = now.as_micros() / 1_000_000;
    if stats.incarnation != seen.incarnation {
        // A restarted caller starts a fresh window.
        seen.incarnation = stats.incarnation;
        seen.second = second;
        seen.firsts_base = stats.firsts;
        seen.retries_base = stats.retries;
    } else if second != seen.second {
        seen.second = second;
        seen.firsts_base = seen.firsts;
        seen.retries_base = seen.retries;
    }
    if policy.budget {
        let firsts = stats.firsts - seen.firsts_base;
        let retries = stats.retries - seen.retries_base;
        let allowed = u64::from(budget_allowance(firsts.min(u64::from(u32::MAX)) as u32));
        if retries > allowed && stats.retries > seen.retries {
            found.push(Violation {
                invariant: RETRIES_WITHIN_BUDGET,
                message: format!(
                    "{node} sent {retries} retries in second {second} against {firsts} first attempts: its budget allows {allowed}"
                ),
            });
        }
    }
    let fired = stats.retries - seen.retries;
    if fired > 0 {
        if seen.instant == now {
            seen.at_instant += fired;
        } else {
            seen.instant = now;
            seen.at_instant = fired;
        }
        if policy.backoff == Backoff::FullJitter {
            *most_at_once = (*most_at_once).max(seen.at_instant);
            if seen.at_instant > MAX_RETRIES_AT_ONE_INSTANT {
                found.push(Violation {
                    invariant: NO_SYNCHRONISED_RETRIES,
                    message: format!(
                        "{node} fired {} retries of distinct calls at {now}: synchronised, as if its backoff had no jitter",
                        seen.at_instant
                    ),
                });
            }
        }
    }
    seen.firsts = stats.firsts;
    seen.retries = stats.retries;
}

impl Checker<PartialProcess> for PartialChecker {
    fn check(
        &mut self,
        nodes: &[PartialProcess],
        _up: &[bool],
        changed: NodeId,
        now: Time,
        found: &mut Vec<Violation>,
    ) {
        let Some(process) = nodes.get(changed.index()) else {
            return;
        };
        match process {
            PartialProcess::Tier(tier) => {
                for &(chain, root_deadline) in tier.started_now() {
                    if tier.lane(chain).deadlines && now >= root_deadline {
                        found.push(Violation {
                            invariant: NO_WORK_PAST_DEADLINE,
                            message: format!(
                                "the {} started work on a {} request at {now}, {} after the client stopped waiting for it",
                                tier.tier().as_str(),
                                chain.as_str(),
                                now.since(root_deadline)
                            ),
                        });
                    }
                }
                let slot = changed.index();
                if slot < 2 {
                    for chain in Chain::BOTH {
                        if let Some(caller) = &tier.lane(chain).caller {
                            check_caller(
                                &mut self.seen[slot][chain.index()],
                                caller,
                                changed,
                                now,
                                &mut self.most_at_once,
                                found,
                            );
                        }
                    }
                }
            }
            PartialProcess::Client(client) if changed == CLIENT => {
                for chain in Chain::BOTH {
                    check_caller(
                        &mut self.seen[2][chain.index()],
                        client.caller(chain),
                        changed,
                        now,
                        &mut self.most_at_once,
                        found,
                    );
                }
            }
            PartialProcess::Client(_) => {}
        }
    }
}
