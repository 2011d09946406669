//! The simulator's benchmark workload, the same natively and in WebAssembly: a
//! topic with 5 nodes (where it has a `nodes` parameter) and heavy faults, run for
//! a fixed stretch of virtual time per seed. Callers time it with their own clock
//! (`distlab bench`, `measure`, the page's `window.distlab.bench`), so the
//! simulator never reads one.

use super::params::NODES;
use super::run::RunOptions;
use super::scenario::Scenario;
use super::topic::{BuildError, TopicInfo};
use crate::sim::faults::FaultLevel;
use crate::sim::time::Time;

/// Virtual time each seed runs.
pub const RUN_LENGTH: Time = Time::from_millis(60_000);

/// The scenario of seed `seed`.
pub fn scenario(topic: &TopicInfo, seed: u64) -> Scenario {
    let mut scenario = Scenario::new(topic.slug, seed);
    scenario.faults = FaultLevel::Heavy;
    if topic.param_spec(NODES).is_some() {
        scenario.set_param(NODES, 5);
    }
    scenario
}

/// Runs seed `seed` for [`RUN_LENGTH`] with `trace` and `check` as given; returns
/// the steps (events) it took.
pub fn run_seed(topic: &TopicInfo, seed: u64, trace: bool, check: bool) -> Result<u64, BuildError> {
    let options = RunOptions {
        trace,
        check,
        horizon: RUN_LENGTH,
    };
    let mut run = (topic.build)(&scenario(topic, seed), options)?;
    run.run_until(RUN_LENGTH);
    Ok(run.steps())
}
