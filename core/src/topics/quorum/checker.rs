//! The quorum topic's invariants: two checks of the clients' history, run
//! after every step in which an operation completed.
//!
//! - **regular**: no read returns a value older than a write that completed
//!   before the read began, nor a value never written
//!   ([`crate::history::regular`]). Quorum intersection gives it: with strict
//!   quorums and R + W > N a read quorum meets the write quorum of every
//!   completed write, and ABD's version counters order a write after every
//!   write that completed before it began.
//! - **linearizable**: the operations can be put in one order, each taking
//!   effect at an instant within its call, that a register explains
//!   ([`crate::history::check`]). Intersection is not enough: a read that
//!   meets a write still in progress returns its new value, and a later read
//!   whose quorum misses it returns the old one (the new/old inversion). ABD's
//!   write-back closes it: a read answers only once a write quorum holds what
//!   it returns.
//!
//! Each is *claimed* only where the theory guarantees it ([`Claims`]); an
//! unclaimed check is still computed (the page's history view shows the
//! linearizability verdict either way), but not reported as a violation: in those regimes the failures are the
//! lesson.

use crate::history::{History, LiveChecker, RegularChecker, Verdict};
use crate::lab::topic::InvariantInfo;
use crate::sim::checker::{Checker, Violation};
use crate::sim::time::{NodeId, Time};

use super::process::{QuorumConfig, QuorumProcess, ReadRepair};

pub const REGULAR: &str = "regular";
pub const LINEARIZABLE: &str = "linearizable";

pub const INVARIANTS: &[InvariantInfo] = &[
    InvariantInfo {
        name: REGULAR,
        summary: "No read returns a value older than a write that completed before the read began, nor a value never written. Claimed with strict quorums and R + W > N (quorum intersection); computed, not claimed, with R + W <= N or sloppy quorums.",
    },
    InvariantInfo {
        name: LINEARIZABLE,
        summary: "The reads and writes can be put in one order, each at an instant within its call, that a register explains. Claimed only with strict quorums, R + W > N and ABD's write-back; without write-back a read can see a write in progress and a later read miss it (the history view shows it; not claimed).",
    },
];

/// Which checks the theory guarantees in a configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Claims {
    pub regular: bool,
    pub linearizable: bool,
}

impl Claims {
    pub fn of(config: &QuorumConfig) -> Claims {
        let intersect = !config.sloppy && config.r + config.w > config.n;
        Claims {
            regular: intersect,
            linearizable: intersect && config.read_repair == ReadRepair::WriteBack,
        }
    }

    /// Why a check is claimed or not, in a few words.
    pub fn reason(&self, config: &QuorumConfig, linearizable: bool) -> &'static str {
        if config.sloppy {
            "not claimed: sloppy quorums need not intersect"
        } else if config.r + config.w <= config.n {
            "not claimed: R + W <= N, quorums need not intersect"
        } else if linearizable && config.read_repair != ReadRepair::WriteBack {
            "not claimed: no write-back"
        } else {
            "claimed"
        }
    }
}

/// Histories longer than this are not checked for linearizability live (the
/// search could take seconds); the regular check has no such limit.
pub const MAX_CHECKED_HISTORY: usize = 20_000;

/// A check's first failure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub at: Time,
    pub message: String,
}

/// The incremental checker.
#[derive(Clone, Debug)]
pub struct QuorumChecker {
    claims: Claims,
    regular: RegularChecker,
    linearizability: LiveChecker,
    /// Operations in the history when it was last checked for linearizability.
    operations: usize,
    not_linearizable: Option<Failure>,
}

impl QuorumChecker {
    pub fn new(claims: Claims) -> Self {
        QuorumChecker {
            claims,
            regular: RegularChecker::new(),
            linearizability: LiveChecker::new(),
            operations: 0,
            not_linearizable: None,
        }
    }

    pub fn claims(&self) -> Claims {
        self.claims
    }

    /// Successful reads the regular check has judged, and how many were stale.
    pub fn reads(&self) -> (u64, usize) {
        (
            self.regular.reads_checked(),
            self.regular.stale_reads().len(),
        )
    }

    pub fn first_stale_read(&self) -> Option<&crate::history::StaleRead> {
        self.regular.stale_reads().first()
    }

    /// The first time the history was found not linearizable, if it was.
    pub fn not_linearizable(&self) -> Option<&Failure> {
        self.not_linearizable.as_ref()
    }

    /// Client events in the history at the last check.
    pub fn events_checked(&self) -> usize {
        self.operations
    }
}

impl Checker<QuorumProcess> for QuorumChecker {
    /// Both invariants are about what clients saw: nothing to check per node.
    fn check(
        &mut self,
        _nodes: &[QuorumProcess],
        _up: &[bool],
        _changed: NodeId,
        _now: Time,
        _found: &mut Vec<Violation>,
    ) {
    }

    fn check_history(&mut self, history: &History, now: Time, found: &mut Vec<Violation>) {
        self.operations = history.events.len();
        for stale in self.regular.check(history) {
            if self.claims.regular {
                found.push(Violation {
                    invariant: REGULAR,
                    message: stale.explanation.clone(),
                });
            }
        }
        if self.not_linearizable.is_some() || history.events.len() > MAX_CHECKED_HISTORY {
            return;
        }
        if let Verdict::NotLinearizable(counterexample) = self.linearizability.check(history) {
            let message = counterexample.explanation.clone();
            if self.claims.linearizable {
                found.push(Violation {
                    invariant: LINEARIZABLE,
                    message: message.clone(),
                });
            }
            self.not_linearizable = Some(Failure { at: now, message });
        }
    }
}
