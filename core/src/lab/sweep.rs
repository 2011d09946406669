//! Seed sweeps: run one topic's scenario over many seeds with the checker on and
//! report every seed that breaks an invariant, with what `distlab run` needs to
//! replay it.
//!
//! Seeds are independent, so a sweep splits into ranges that give the same report
//! whatever order they run in; [`sweep`] runs one range.

use std::fmt;

use super::run::RunOptions;
use super::scenario::Scenario;
use super::topic::TopicInfo;
use crate::sim::checker::ViolationReport;
use crate::sim::faults::FaultLevel;
use crate::sim::time::Time;

/// What a sweep is asked to do.
#[derive(Clone, Debug)]
pub struct SweepConfig {
    pub topic: &'static TopicInfo,
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
pub struct SweepError(pub String);

impl fmt::Display for SweepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SweepError {}

impl SweepConfig {
    /// A sweep of `seeds` seeds of `topic` from seed 0, heavy faults, 30 s each.
    pub fn new(topic: &'static TopicInfo, seeds: u64) -> Self {
        SweepConfig {
            topic,
            from_seed: 0,
            seeds,
            faults: FaultLevel::Heavy,
            bug: None,
            params: Vec::new(),
            until: Time::from_millis(30_000),
        }
    }

    /// The scenario the sweep runs for `seed`.
    pub fn scenario(&self, seed: u64) -> Scenario {
        let mut scenario = Scenario::new(self.topic.slug, seed);
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
    let options = RunOptions {
        trace: false,
        check: true,
        horizon: config.until,
    };
    let mut report = SweepReport::default();
    for seed in config.from_seed..config.from_seed.saturating_add(config.seeds) {
        let scenario = config.scenario(seed);
        let mut run = (config.topic.build)(&scenario, options)
            .map_err(|error| SweepError(error.to_string()))?;
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
