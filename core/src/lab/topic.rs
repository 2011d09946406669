//! What a topic is, as data: [`TopicInfo`] (slug, title, category, summary,
//! parameters with defaults and ranges, presets with their narration and scripts,
//! deliberately broken variants, named invariants) and the function that builds a
//! [`Run`] from a [`Scenario`].
//!
//! A topic module declares one `INFO` and implements [`super::protocol::ProtocolTopic`]
//! or [`super::structure::StructureTopic`]; the catalog lists it. The home page
//! needs only a [`Card`], which holds no code, so a bundle that shows the catalog
//! does not carry every topic's model.

use std::any::Any;
use std::fmt;

use super::run::{Run, RunOptions};
use super::scenario::Scenario;
use crate::sim::time::Time;

/// A named property a topic promises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvariantInfo {
    pub name: &'static str,
    /// One line: what must always hold.
    pub summary: &'static str,
}

/// The six groups of topics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Category {
    Consensus,
    Transactions,
    Replication,
    DataStructures,
    Resilience,
    Platform,
}

impl Category {
    pub const ALL: [Category; 6] = [
        Category::Consensus,
        Category::Transactions,
        Category::Replication,
        Category::DataStructures,
        Category::Resilience,
        Category::Platform,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Category::Consensus => "Consensus and coordination",
            Category::Transactions => "Transactions and delivery",
            Category::Replication => "Replication and consistency",
            Category::DataStructures => "Data structures",
            Category::Resilience => "Resilience and traffic",
            Category::Platform => "Platform and operations",
        }
    }
}

/// A tunable parameter of a topic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParamSpec {
    /// The name in scenarios and URLs, e.g. `nodes`.
    pub name: &'static str,
    /// The label in the UI.
    pub label: &'static str,
    pub default: i64,
    pub min: i64,
    pub max: i64,
    /// Allowed values are `min, min + step, ...`.
    pub step: i64,
    pub help: &'static str,
    /// Names of the values `min, min + step, ...` when the parameter picks a mode
    /// (Basic or Multi-Paxos, bully or ring); empty for a number.
    pub choices: &'static [&'static str],
}

impl ParamSpec {
    pub fn accepts(&self, value: i64) -> bool {
        value >= self.min
            && value <= self.max
            && (self.step <= 1 || (value - self.min) % self.step == 0)
    }
}

/// One sentence of a guided run, shown from `at` on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Narration {
    pub at: Time,
    pub text: &'static str,
}

/// Narration line `text`, shown from `ms` milliseconds on: what presets write.
pub const fn say(ms: u64, text: &'static str) -> Narration {
    Narration {
        at: Time::from_millis(ms),
        text,
    }
}

/// A named scenario: its own seed and parameters, and narration. Its script is
/// beside it in [`Preset`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PresetInfo {
    pub name: &'static str,
    pub title: &'static str,
    pub summary: &'static str,
    pub seed: u64,
    /// Parameters the preset sets (others keep their defaults).
    pub params: &'static [(&'static str, i64)],
    /// A bug the preset switches on, if the story needs one.
    pub bug: Option<&'static str>,
    pub narration: &'static [Narration],
}

/// A preset with its script: `S` is the topic kind's script type (timed actions for
/// a protocol, a plan of operations for a data structure).
#[derive(Clone, Copy, Debug)]
pub struct Preset<S> {
    pub info: PresetInfo,
    pub script: S,
}

/// A topic's presets, seen without their script type (the catalog, the CLI, the
/// controls). The typed builder gets its scripts back with [`scripts`].
pub trait Presets: Any + Sync {
    fn len(&self) -> usize;
    fn get(&self, index: usize) -> Option<&PresetInfo>;
    fn as_any(&self) -> &dyn Any;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<S: Sync + 'static> Presets for &'static [Preset<S>] {
    fn len(&self) -> usize {
        <[Preset<S>]>::len(self)
    }
    fn get(&self, index: usize) -> Option<&PresetInfo> {
        <[Preset<S>]>::get(self, index).map(|preset| &preset.info)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The typed presets of `topic`, if its presets have scripts of type `S`.
pub fn scripts<S: Sync + 'static>(topic: &TopicInfo) -> Option<&'static [Preset<S>]> {
    topic
        .presets
        .as_any()
        .downcast_ref::<&'static [Preset<S>]>()
        .copied()
}

/// A deliberately broken variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BugInfo {
    pub name: &'static str,
    pub summary: &'static str,
    /// The invariants expected to catch it; the conformance suite requires one of
    /// them to within `budget` seeds of a heavy-fault sweep.
    pub caught_by: &'static [&'static str],
    /// How many seeds a sweep may need to catch it.
    pub budget: u64,
}

/// A violation the theory expects of the correct model under some faults: the
/// topic declares it, its page explains it, and `distlab check` reports it as
/// expected instead of failing (three-phase commit's atomicity under network
/// partitions). Under the fault level [`crate::sim::faults::FaultLevel::Crashes`]
/// the invariant must still hold, and the conformance suite checks both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExpectedViolation {
    /// The invariant that the correct model breaks.
    pub invariant: &'static str,
    /// The faults that make it happen, in words: `network partitions`.
    pub when: &'static str,
    /// Why the theory expects it, in a sentence or two.
    pub explanation: &'static str,
    /// How many heavy-fault seeds a sweep may need to show it (the
    /// conformance suite requires it within that many).
    pub budget: u64,
}

/// Whether a topic is a cluster of nodes or a data structure driven by operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TopicKind {
    Protocol,
    DataStructure,
}

/// Why a scenario does not fit its topic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BuildError {
    UnknownTopic(String),
    UnknownBug {
        topic: &'static str,
        bug: String,
    },
    UnknownPreset {
        topic: &'static str,
        preset: String,
    },
    UnknownParam {
        topic: &'static str,
        param: String,
    },
    ParamOutOfRange {
        param: &'static str,
        value: i64,
        min: i64,
        max: i64,
    },
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::UnknownTopic(topic) => write!(f, "there is no topic '{topic}'"),
            BuildError::UnknownBug { topic, bug } => {
                write!(f, "{topic} has no bug '{bug}'")
            }
            BuildError::UnknownPreset { topic, preset } => {
                write!(f, "{topic} has no scenario '{preset}'")
            }
            BuildError::UnknownParam { topic, param } => {
                write!(f, "{topic} has no parameter '{param}'")
            }
            BuildError::ParamOutOfRange {
                param,
                value,
                min,
                max,
            } => write!(f, "{param} = {value} is outside {min}..={max}"),
        }
    }
}

impl std::error::Error for BuildError {}

/// Builds a run of a scenario.
pub type BuildFn = fn(&Scenario, RunOptions) -> Result<Box<dyn Run>, BuildError>;

/// Everything about a topic.
pub struct TopicInfo {
    pub slug: &'static str,
    pub title: &'static str,
    pub category: Category,
    pub kind: TopicKind,
    /// One paragraph for the home page.
    pub summary: &'static str,
    /// The paper or RFC the model follows.
    pub reference: &'static str,
    pub params: &'static [ParamSpec],
    pub presets: &'static dyn Presets,
    pub bugs: &'static [BugInfo],
    pub invariants: &'static [InvariantInfo],
    /// Violations the correct model is expected to show under some faults
    /// (empty for almost every topic).
    pub expected: &'static [ExpectedViolation],
    /// Columns of the per-node state table.
    pub columns: &'static [&'static str],
    pub build: BuildFn,
}

impl fmt::Debug for TopicInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TopicInfo")
            .field("slug", &self.slug)
            .finish()
    }
}

impl TopicInfo {
    pub fn param_spec(&self, name: &str) -> Option<&'static ParamSpec> {
        self.params.iter().find(|p| p.name == name)
    }

    /// Every preset, in order.
    pub fn presets(&self) -> impl Iterator<Item = &'static PresetInfo> {
        let presets: &'static dyn Presets = self.presets;
        (0..presets.len()).filter_map(move |index| presets.get(index))
    }

    pub fn preset(&self, name: &str) -> Option<&'static PresetInfo> {
        self.presets().find(|p| p.name == name)
    }

    /// The expected violation of `invariant`, if the topic declares one.
    pub fn expected(&self, invariant: &str) -> Option<&'static ExpectedViolation> {
        self.expected.iter().find(|e| e.invariant == invariant)
    }

    pub fn bug(&self, name: &str) -> Option<&'static BugInfo> {
        self.bugs.iter().find(|b| b.name == name)
    }

    /// The value of `name` in `scenario`, or its default.
    pub fn param(&self, scenario: &Scenario, name: &str) -> i64 {
        scenario
            .param(name)
            .or_else(|| self.param_spec(name).map(|p| p.default))
            .unwrap_or(0)
    }

    /// Checks that the scenario names this topic, a known bug and preset, and known
    /// parameters within their ranges.
    pub fn validate(&self, scenario: &Scenario) -> Result<(), BuildError> {
        if scenario.topic != self.slug {
            return Err(BuildError::UnknownTopic(scenario.topic.clone()));
        }
        if let Some(bug) = &scenario.bug {
            if self.bug(bug).is_none() {
                return Err(BuildError::UnknownBug {
                    topic: self.slug,
                    bug: bug.clone(),
                });
            }
        }
        if let Some(preset) = &scenario.preset {
            if self.preset(preset).is_none() {
                return Err(BuildError::UnknownPreset {
                    topic: self.slug,
                    preset: preset.clone(),
                });
            }
        }
        for (name, value) in &scenario.params {
            let spec = self
                .param_spec(name)
                .ok_or_else(|| BuildError::UnknownParam {
                    topic: self.slug,
                    param: name.clone(),
                })?;
            if !spec.accepts(*value) {
                return Err(BuildError::ParamOutOfRange {
                    param: spec.name,
                    value: *value,
                    min: spec.min,
                    max: spec.max,
                });
            }
        }
        Ok(())
    }

    /// The scenario a preset starts from: its seed, parameters and bug.
    pub fn preset_scenario(&self, preset: &PresetInfo) -> Scenario {
        let mut scenario = Scenario::new(self.slug, preset.seed);
        scenario.preset = Some(preset.name.to_string());
        scenario.bug = preset.bug.map(str::to_string);
        for (name, value) in preset.params {
            scenario.set_param(name, *value);
        }
        scenario
    }
}

/// What the home page shows of a topic: no code, so a bundle that lists the
/// catalog stays small. The catalog makes one from each topic at compile time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Card {
    pub slug: &'static str,
    pub title: &'static str,
    pub category: Category,
    pub kind: TopicKind,
    pub summary: &'static str,
    pub bugs: usize,
    pub invariants: usize,
}

impl Card {
    pub const fn of(topic: &TopicInfo) -> Card {
        Card {
            slug: topic.slug,
            title: topic.title,
            category: topic.category,
            kind: topic.kind,
            summary: topic.summary,
            bugs: topic.bugs.len(),
            invariants: topic.invariants.len(),
        }
    }
}
