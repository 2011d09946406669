//! `Run`: one running scenario, whatever its topic, behind one object-safe trait.
//!
//! The web player, the command line and the seed sweeps all drive runs through this
//! trait, so they work unchanged for every topic. Protocol topics run as
//! [`super::protocol::ProtocolRun`], data-structure topics as
//! [`super::structure::StructureRun`]; a page that needs a topic's typed state gets
//! it through the one generic accessor of its kind, never by its own downcast.

use std::any::Any;

use crate::history::History;
use crate::sim::action::TimedAction;
use crate::sim::checker::ViolationReport;
use crate::sim::time::Time;
use crate::sim::trace::{MessageId, Trace};
use crate::sim::view::{ClusterState, StateTable};
use crate::sim::world::Recording;

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

pub use crate::sim::queue::USER_ACTION_RANK;

impl RunOptions {
    /// What the simulator records.
    pub fn recording(self) -> Recording {
        Recording {
            trace: self.trace,
            check: self.check,
        }
    }
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            trace: true,
            check: true,
            horizon: DEFAULT_HORIZON,
        }
    }
}

/// One running scenario.
pub trait Run {
    /// Processes the next queue entry. Returns false when nothing is left.
    fn step(&mut self) -> bool;

    /// The time of the next queue entry.
    fn next_time(&self) -> Option<Time>;

    /// The time of the last processed step.
    fn now(&self) -> Time;

    /// Steps processed so far.
    fn steps(&self) -> u64;

    /// The clients' history (invocations and completions), for topics whose
    /// clients record one; `None` for the rest.
    fn history(&self) -> Option<&History> {
        None
    }

    fn trace(&self) -> &Trace;

    /// Every invariant violation found so far.
    fn violations(&self) -> &[ViolationReport];

    /// Schedules a person's action. `rank` orders it among actions of the same time
    /// (see [`crate::sim::queue::Class`]); times before [`Run::now`] run next.
    fn schedule(&mut self, action: TimedAction, rank: u32);

    fn cluster(&self) -> ClusterState;

    /// The state table's first `rows` rows: what a page shows, without
    /// summarising the thousands of nodes it only counts (the whole table is
    /// [`Run::state_table`]).
    fn state_table_head(&self, rows: usize) -> StateTable;

    /// The run as its concrete type, for the generic accessors of each topic kind.
    fn as_any(&self) -> &dyn Any;

    /// A copy of the run as it is now, without its trace: a snapshot to come back
    /// to. Give it a trace (the run's, rewound with [`Trace::rewind`], or a fresh
    /// one from [`Trace::resume`]) through [`Run::trace_mut`] before showing it.
    fn fork(&self) -> Box<dyn Run>;

    /// The trace, for windowing long runs and moving it onto a snapshot.
    fn trace_mut(&mut self) -> &mut Trace;

    /// The id the next message will take (0 for topics without messages).
    fn next_message(&self) -> MessageId {
        0
    }

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

impl dyn Run + '_ {
    /// The whole state table: every node's row. Not part of the trait, so a
    /// page bundle, which calls only [`Run::state_table_head`], carries one
    /// table builder per topic.
    pub fn state_table(&self) -> StateTable {
        self.state_table_head(usize::MAX)
    }
}
