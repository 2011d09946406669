//! Helpers shared by the data-structure topics' unit tests: build a run, reach its
//! structure, read its checker and its notes.

use crate::catalog::TopicInfo;
use crate::check::Violation;
use crate::run::{Run, RunOptions};
use crate::scenario::{Action, Scenario};
use crate::sim::ops::{OpsRun, Structure};
use crate::sim::time::Time;
use crate::sim::trace::EventKind;

/// The structure inside an `OpsRun<S>` run.
pub(crate) fn structure<S: Structure>(run: &dyn Run) -> &S {
    run.as_any()
        .downcast_ref::<OpsRun<S>>()
        .expect("a run of this structure")
        .structure()
}

/// Builds `scenario` of `topic` (a valid scenario: panics otherwise).
pub(crate) fn build(topic: &TopicInfo, scenario: &Scenario) -> Box<dyn Run> {
    (topic.build)(scenario, RunOptions::default()).expect("the scenario builds")
}

/// Builds `scenario` and runs it up to `until`.
pub(crate) fn run(topic: &TopicInfo, scenario: &Scenario, until: Time) -> Box<dyn Run> {
    let mut run = build(topic, scenario);
    run.run_until(until);
    run
}

/// Preset `name` of `topic`, run up to `until`.
pub(crate) fn preset_run(topic: &TopicInfo, name: &str, until: Time) -> Box<dyn Run> {
    let preset = topic.preset(name).expect("the preset exists");
    run(topic, &topic.preset_scenario(preset), until)
}

/// What the structure's checker reports now.
pub(crate) fn violations_of<S: Structure>(structure: &S) -> Vec<Violation> {
    let mut found = Vec::new();
    structure.check(&mut found);
    found
}

/// Every note the run recorded, in order.
pub(crate) fn notes_of(run: &dyn Run) -> Vec<String> {
    run.trace()
        .events
        .iter()
        .filter_map(|event| match &event.kind {
            EventKind::Note { text } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

/// `scenario` plus a person's operations `(ms, code, arg)`.
pub(crate) fn with_operations(mut scenario: Scenario, operations: &[(u64, u32, u64)]) -> Scenario {
    for &(ms, code, arg) in operations {
        scenario.push_action(Time::from_millis(ms), Action::Operation { code, arg });
    }
    scenario
}
