//! Helpers shared by the topics' unit tests: build a run, reach its typed state,
//! apply operations outside a scenario, read the checker and the notes (the
//! data-structure topics); sweep heavy-fault seeds with and without each bug,
//! and check each bug's preset (the protocol topics).

use crate::lab::run::{Run, RunOptions};
use crate::lab::scenario::Scenario;
use crate::lab::structure::{self, StructureTopic};
use crate::lab::topic::TopicInfo;
use crate::sim::action::{Action, Operation, RawOperation};
use crate::sim::checker::Violation;
use crate::sim::faults::FaultLevel;
use crate::sim::ops::{OpsEngine, Structure};
use crate::sim::time::Time;
use crate::sim::trace::{EventKind, Trace};
use crate::sim::world::Recording;

/// The typed state of a run of topic `T`.
pub(crate) fn state<T: StructureTopic>(run: &dyn Run) -> &T::State {
    structure::state::<T>(run).expect("a run of this topic")
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

/// `structure` after every operation of `plan`, traced and checked.
pub(crate) fn applied<S: Structure>(structure: S, plan: Vec<(Time, S::Op)>) -> OpsEngine<S> {
    let recording = Recording {
        trace: true,
        check: true,
    };
    let mut engine = OpsEngine::new(structure, plan, recording);
    while engine.step() {}
    engine
}

/// What the structure's checker reports now.
pub(crate) fn violations_of<S: Structure>(structure: &S) -> Vec<Violation> {
    let mut found = Vec::new();
    structure.check(&mut found);
    found
}

/// Every note the trace recorded, in order.
pub(crate) fn notes_of(trace: &Trace) -> Vec<String> {
    trace
        .events
        .iter()
        .filter_map(|event| match &event.kind {
            EventKind::Note { text } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

/// The action a person's request `code(arg)` is in a link.
pub(crate) fn operation(code: u32, arg: u64) -> Action {
    Action::Operation {
        node: None,
        operation: RawOperation::new(code, &[arg]),
    }
}

/// `scenario` plus a person's requests `(ms, code, arg)`.
pub(crate) fn with_operations(mut scenario: Scenario, operations: &[(u64, u32, u64)]) -> Scenario {
    for &(ms, code, arg) in operations {
        scenario.push_action(Time::from_millis(ms), operation(code, arg));
    }
    scenario
}

/// What a structure makes of the request `code(arg)` now, as a link would carry
/// it: decoded, then resolved against the state.
pub(crate) trait ByCode: Structure {
    fn operation(&self, code: u32, arg: u64) -> Option<Self::Op> {
        let raw = RawOperation::new(code, &[arg]);
        Self::Request::from_raw(&raw).and_then(|request| self.resolve(&request))
    }
}

impl<S: Structure> ByCode for S {}

/// Every preset of `topic` runs to its end, its narration ends no later than its
/// last operation, and it holds every invariant, except that a preset with a bug
/// switched on must be caught by the invariant `caught_by`.
pub(crate) fn assert_every_preset_finishes(topic: &TopicInfo, caught_by: Option<&str>) {
    for preset in topic.presets() {
        let run = preset_run(topic, preset.name, Time::NEVER);
        assert_eq!(run.next_time(), None, "{} did not finish", preset.name);
        assert!(run.steps() > 0, "{}", preset.name);
        assert!((3..=6).contains(&preset.narration.len()), "{}", preset.name);
        assert!(
            preset.narration.iter().all(|n| n.at <= run.now()),
            "{}: narration after the last operation",
            preset.name
        );
        match (preset.bug, caught_by) {
            (Some(_), Some(invariant)) => assert!(
                run.violations().iter().any(|v| v.invariant == invariant),
                "{}: the bug was not caught by {invariant}",
                preset.name
            ),
            _ => assert!(
                run.violations().is_empty(),
                "{}: {:?}",
                preset.name,
                run.violations()
            ),
        }
    }
}

/// Every preset and a plain scenario replay to the same trace; another seed gives
/// another trace.
pub(crate) fn assert_deterministic(topic: &TopicInfo) {
    let hash = |scenario: &Scenario| run(topic, scenario, Time::NEVER).trace().hash();
    for preset in topic.presets() {
        let scenario = topic.preset_scenario(preset);
        assert_eq!(hash(&scenario), hash(&scenario), "{}", preset.name);
    }
    let (five, six) = (Scenario::new(topic.slug, 5), Scenario::new(topic.slug, 6));
    assert_eq!(hash(&five), hash(&five));
    assert_ne!(hash(&five), hash(&six));
}

/// Runs `topic` to `until` on heavy-fault seeds `seeds`: asserts that the
/// correct model breaks nothing on any of them, and returns on how many seeds
/// each of `bugs` (in order) broke an invariant.
pub(crate) fn heavy_sweep(
    topic: &TopicInfo,
    seeds: std::ops::RangeInclusive<u64>,
    until: Time,
    bugs: &[&str],
) -> Vec<usize> {
    let mut caught = vec![0; bugs.len()];
    for seed in seeds {
        let mut scenario = Scenario::new(topic.slug, seed);
        scenario.faults = FaultLevel::Heavy;
        let clean = run(topic, &scenario, until);
        assert!(
            clean.violations().is_empty(),
            "seed {seed}: {:?}",
            clean.violations()
        );
        for (count, bug) in caught.iter_mut().zip(bugs) {
            scenario.bug = Some(bug.to_string());
            if !run(topic, &scenario, until).violations().is_empty() {
                *count += 1;
            }
        }
    }
    caught
}

/// For each `(preset, bug, invariant)`: the preset run to `until` with the
/// bug on breaks `invariant` first, and without it breaks nothing. Returns
/// the instant each bug was caught, in order.
pub(crate) fn assert_caught_in_presets(
    topic: &TopicInfo,
    cases: &[(&str, &str, &str)],
    until: Time,
) -> Vec<Time> {
    cases
        .iter()
        .map(|&(name, bug, invariant)| {
            let preset = topic.preset(name).expect("the preset exists");
            let mut scenario = topic.preset_scenario(preset);
            scenario.bug = Some(bug.to_string());
            let buggy = run(topic, &scenario, until);
            let first = buggy.violations().first().expect("the bug is caught");
            assert_eq!(first.invariant, invariant, "{name}: {}", first.message);
            scenario.bug = None;
            let correct = run(topic, &scenario, until);
            assert!(
                correct.violations().is_empty(),
                "{name}: {:?}",
                correct.violations()
            );
            first.time
        })
        .collect()
}
