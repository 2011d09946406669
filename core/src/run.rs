//! `Run`: one running scenario, whatever its topic, behind one object-safe trait.
//!
//! The web player, the command line and the seed sweeps all drive runs through this
//! trait, so they work unchanged for every topic. Protocol topics implement it with
//! [`crate::sim::Simulation`]; data-structure topics with their own operation
//! sequence. Topic pages that need more than the shared views downcast with
//! [`Run::as_any`] to read their typed state.

use std::any::Any;

use crate::catalog::TopicInfo;
use crate::check::ViolationReport;
use crate::scenario::TimedAction;
use crate::sim::node::{Cell, NodeSummary};
use crate::sim::time::{NodeId, Time};
use crate::sim::trace::Trace;

/// How a run is built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunOptions {
    /// Record the trace (events, messages, notes). Off for benchmarks and sweeps.
    pub trace: bool,
    /// Check the topic's invariants after every step.
    pub check: bool,
    /// How far ahead seeded plans (faults, client workload) are drawn; the run
    /// itself can go on past it.
    pub horizon: Time,
}

/// Ten minutes of virtual time: longer than anyone watches a run.
pub const DEFAULT_HORIZON: Time = Time::from_millis(600_000);

/// Ranks of a person's actions start here, after every planned action, so an action
/// added live sorts exactly where it sorts when the share link is replayed.
pub const USER_ACTION_RANK: u32 = 1 << 31;

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            trace: true,
            check: true,
            horizon: DEFAULT_HORIZON,
        }
    }
}

/// What the cluster view draws: nodes with their role and the network's shape.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterState {
    pub nodes: Vec<NodeState>,
    /// Partition side of each node (all equal when fully connected).
    pub groups: Vec<u32>,
    /// One-way cut links.
    pub cuts: Vec<(NodeId, NodeId)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeState {
    pub id: NodeId,
    pub up: bool,
    pub summary: NodeSummary,
}

/// The per-node state table: the topic's columns and one row per node.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StateTable {
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

/// One running scenario.
pub trait Run {
    /// The topic this run belongs to.
    fn info(&self) -> &'static TopicInfo;

    /// Processes the next queue entry. Returns false when nothing is left.
    fn step(&mut self) -> bool;

    /// The time of the next queue entry.
    fn next_time(&self) -> Option<Time>;

    /// The time of the last processed step.
    fn now(&self) -> Time;

    /// Steps processed so far.
    fn steps(&self) -> u64;

    fn trace(&self) -> &Trace;

    /// Every invariant violation found so far.
    fn violations(&self) -> &[ViolationReport];

    /// Schedules a person's action. `rank` orders it among actions of the same time
    /// (see [`crate::sim::queue::Class`]); times before [`Run::now`] run next.
    fn schedule(&mut self, action: TimedAction, rank: u32);

    fn cluster(&self) -> ClusterState;

    fn state_table(&self) -> StateTable;

    fn as_any(&self) -> &dyn Any;

    /// Steps until the next entry would be later than `until`.
    fn run_until(&mut self, until: Time) {
        while self.next_time().is_some_and(|t| t <= until) {
            if !self.step() {
                break;
            }
        }
    }

    /// Steps until `until` or the first violation, whichever comes first.
    fn run_until_violation(&mut self, until: Time) -> Option<ViolationReport> {
        while self.violations().is_empty() && self.next_time().is_some_and(|t| t <= until) {
            if !self.step() {
                break;
            }
        }
        self.violations().first().cloned()
    }
}
