//! The partial-failures model's behaviour.

use super::INFO;
use crate::lab::run::RunOptions;
use crate::lab::scenario::Scenario;
use crate::sim::time::Time;

#[test]
fn a_plain_run_builds_and_holds_every_invariant() {
    let scenario = Scenario::new(INFO.slug, 1);
    let mut run = (INFO.build)(&scenario, RunOptions::default()).expect("builds");
    run.run_until(Time::from_millis(5_000));
    assert!(run.violations().is_empty(), "{:?}", run.violations());
}
