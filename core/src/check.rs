//! Invariants: named properties checked after every step, and seed sweeps.
//!
//! Each topic declares its invariants as data ([`InvariantInfo`]: a name and a
//! one-line explanation) and implements [`Checker`], which the simulator calls after
//! every step that changed a node. A violation becomes a trace event the UI marks on
//! the timeline, and [`sweep`] turns it into a seed and a replay command.
//!
//! Checkers are incremental where they can be (they keep a registry of what was
//! committed, who led which term), so checking after every step stays cheap.

use std::fmt;

use crate::catalog;
use crate::run::RunOptions;
use crate::scenario::{FaultLevel, Scenario};
use crate::sim::node::Node;
use crate::sim::time::{NodeId, Time};

/// A named property a topic promises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvariantInfo {
    pub name: &'static str,
    /// One line: what must always hold.
    pub summary: &'static str,
}

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
}

/// What a sweep is asked to do.
#[derive(Clone, Debug)]
pub struct SweepConfig {
    pub topic: String,
    pub from_seed: u64,
    pub seeds: u64,
    pub faults: FaultLevel,
    pub bug: Option<String>,
    /// Parameters applied to every seed (e.g. `nodes`).
    pub params: Vec<(String, i64)>,
    /// How long each seed runs, in virtual time.
    pub until: Time,
}

/// One seed that failed.
#[derive(Clone, Debug)]
pub struct SweepFailure {
    pub seed: u64,
    pub violation: ViolationReport,
}

/// The outcome of a sweep.
#[derive(Clone, Debug, Default)]
pub struct SweepReport {
    pub seeds: u64,
    pub steps: u64,
    pub failures: Vec<SweepFailure>,
}

/// Why a sweep could not run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SweepError {
    UnknownTopic(String),
    Build(String),
}

impl fmt::Display for SweepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SweepError::UnknownTopic(topic) => write!(f, "unknown topic '{topic}'"),
            SweepError::Build(message) => write!(f, "{message}"),
        }
    }
}

impl std::error::Error for SweepError {}

impl SweepConfig {
    /// The scenario the sweep runs for `seed`.
    pub fn scenario(&self, seed: u64) -> Scenario {
        let mut scenario = Scenario::new(&self.topic, seed);
        scenario.faults = self.faults;
        scenario.bug = self.bug.clone();
        for (name, value) in &self.params {
            scenario.set_param(name, *value);
        }
        scenario
    }
}

/// Runs every seed of the sweep with the checker on and the trace off; each seed
/// stops at its first violation. `progress` is called after each seed.
pub fn sweep(
    config: &SweepConfig,
    mut progress: impl FnMut(u64, Option<&SweepFailure>),
) -> Result<SweepReport, SweepError> {
    let topic = catalog::find(&config.topic)
        .ok_or_else(|| SweepError::UnknownTopic(config.topic.clone()))?;
    let options = RunOptions {
        trace: false,
        check: true,
        horizon: config.until,
    };
    let mut report = SweepReport::default();
    for seed in config.from_seed..config.from_seed.saturating_add(config.seeds) {
        let scenario = config.scenario(seed);
        let mut run = (topic.build)(&scenario, options)
            .map_err(|error| SweepError::Build(error.to_string()))?;
        let violation = run.run_until_violation(config.until);
        report.seeds += 1;
        report.steps += run.steps();
        match violation {
            Some(violation) => {
                report.failures.push(SweepFailure { seed, violation });
                progress(seed, report.failures.last());
            }
            None => progress(seed, None),
        }
    }
    Ok(report)
}
