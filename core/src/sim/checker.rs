//! The checker's contract: what a topic's invariant checker is called with and
//! what it reports.
//!
//! A checker runs after every step that ran a handler (or crashed a node) and
//! pushes a [`Violation`] for each invariant that fails; the simulator places it in
//! the run as a [`ViolationReport`] and a trace event. Checkers are incremental
//! where they can be (they keep a registry of what was committed, who led which
//! term), so checking after every step stays cheap.

use std::fmt;

use super::node::Node;
use super::time::{NodeId, Time};
use crate::history::History;

/// What a checker found: which invariant, and one sentence on why it fails.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub invariant: &'static str,
    pub message: String,
}

/// A violation placed in the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ViolationReport {
    pub invariant: &'static str,
    pub message: String,
    /// The step after which it was found.
    pub step: u64,
    pub time: Time,
}

impl fmt::Display for ViolationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} violated at step {} ({}): {}",
            self.invariant, self.step, self.time, self.message
        )
    }
}

/// Checks a topic's invariants over the nodes of a simulation.
pub trait Checker<N: Node> {
    /// Called after every step that ran a handler on `changed` (or crashed it).
    /// `up[i]` says whether node i is running. Push what fails into `found`.
    fn check(
        &mut self,
        nodes: &[N],
        up: &[bool],
        changed: NodeId,
        now: Time,
        found: &mut Vec<Violation>,
    );

    /// Called after a step in which a client operation completed, with the whole
    /// client history so far. Topics with clients check it here (say, for
    /// linearizability); the default checks nothing.
    fn check_history(&mut self, history: &History, now: Time, found: &mut Vec<Violation>) {
        let _ = (history, now, found);
    }
}
