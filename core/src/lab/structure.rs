//! Data-structure topics: a structure driven by a timed plan of operations and a
//! person's requests.
//!
//! A topic implements [`StructureTopic`] (its state type, its preset script type,
//! and how a scenario becomes a starting state and a plan) and points its
//! `INFO.build` at [`build::<Self>`](build). The run is a [`StructureRun`], whose
//! typed state pages reach through [`state`]; requests from a page or a link are
//! the topic's typed [`crate::sim::ops::Structure::Request`], encoded in one place.

use std::any::Any;

use super::run::{Run, RunOptions, USER_ACTION_RANK};
use super::scenario::Scenario;
use super::topic::{scripts, BuildError, Preset, TopicInfo};
use crate::sim::action::TimedAction;
use crate::sim::checker::ViolationReport;
use crate::sim::ops::{OpsEngine, Structure};
use crate::sim::time::{Duration, Time};
use crate::sim::trace::Trace;
use crate::sim::view::{ClusterState, StateTable};

/// The plan of a run: operations at virtual times.
pub type Plan<S> = Vec<(Time, <S as Structure>::Op)>;

/// Places operation `k` of `ops` at `(k + 1) * spacing`, dropping any past
/// `horizon`: the plan of a topic whose story is a sequence of operations.
pub fn spaced<Op>(ops: Vec<Op>, spacing: Duration, horizon: Time) -> Vec<(Time, Op)> {
    let mut at = Time::ZERO;
    let mut plan = Vec::with_capacity(ops.len());
    for op in ops {
        at = at.after(spacing);
        if at > horizon {
            break;
        }
        plan.push((at, op));
    }
    plan
}

/// A data-structure topic: the typed half of its registration.
pub trait StructureTopic: 'static {
    const INFO: &'static TopicInfo;
    type State: Structure;
    /// What a preset's script is for this topic (usually a function that fills a
    /// [`crate::sim::ops::Planner`]).
    type Script: Sync + 'static;

    /// The starting state and the plan of a validated scenario; `script` is the
    /// chosen preset's, if any. Plans past `options.horizon` may be cut.
    fn setup(
        scenario: &Scenario,
        script: Option<&Self::Script>,
        options: RunOptions,
    ) -> Result<(Self::State, Plan<Self::State>), BuildError>;
}

/// A running data-structure topic.
pub struct StructureRun<T: StructureTopic> {
    engine: OpsEngine<T::State>,
}

impl<T: StructureTopic> StructureRun<T> {
    /// The structure after the last step.
    pub fn state(&self) -> &T::State {
        self.engine.structure()
    }
}

/// The typed state of a run of topic `T`, if `run` is one.
pub fn state<T: StructureTopic>(run: &dyn Run) -> Option<&T::State> {
    run.as_any()
        .downcast_ref::<StructureRun<T>>()
        .map(StructureRun::state)
}

impl<T: StructureTopic> Run for StructureRun<T> {
    fn step(&mut self) -> bool {
        self.engine.step()
    }

    fn next_time(&self) -> Option<Time> {
        self.engine.next_time()
    }

    fn now(&self) -> Time {
        self.engine.now()
    }

    fn steps(&self) -> u64 {
        self.engine.steps()
    }

    fn trace(&self) -> &Trace {
        self.engine.trace()
    }

    fn violations(&self) -> &[ViolationReport] {
        self.engine.violations()
    }

    fn schedule(&mut self, action: TimedAction, rank: u32) {
        self.engine.schedule(action, rank);
    }

    fn cluster(&self) -> ClusterState {
        ClusterState::default()
    }

    fn state_table_head(&self, rows: usize) -> StateTable {
        let mut table = self.engine.structure().state_table();
        table.rows.truncate(rows);
        table
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn fork(&self) -> Box<dyn Run> {
        Box::new(StructureRun::<T> {
            engine: self.engine.fork(),
        })
    }

    fn trace_mut(&mut self) -> &mut Trace {
        self.engine.trace_mut()
    }
}

/// Builds a run of `scenario` for topic `T`: validates it, finds the preset's
/// script, lets the topic make the state and the plan, then schedules the person's
/// requests.
pub fn build<T: StructureTopic>(
    scenario: &Scenario,
    options: RunOptions,
) -> Result<Box<dyn Run>, BuildError> {
    let topic = T::INFO;
    topic.validate(scenario)?;
    let script = match &scenario.preset {
        Some(name) => Some(
            scripts::<T::Script>(topic)
                .and_then(|presets: &'static [Preset<T::Script>]| {
                    presets.iter().find(|p| p.info.name == name)
                })
                .map(|preset| &preset.script)
                .ok_or_else(|| BuildError::UnknownPreset {
                    topic: topic.slug,
                    preset: name.clone(),
                })?,
        ),
        None => None,
    };
    let (state, plan) = T::setup(scenario, script, options)?;
    let mut engine = OpsEngine::new(state, plan, options.recording());
    for (i, action) in scenario.actions.iter().enumerate() {
        engine.schedule(action.clone(), USER_ACTION_RANK.saturating_add(i as u32));
    }
    Ok(Box::new(StructureRun::<T> { engine }))
}
