//! The catalog: every topic that works, described as data.
//!
//! A topic is a [`TopicInfo`]: slug, title, category, summary, parameters with
//! defaults and ranges, presets (named scenarios with narration), deliberately broken
//! variants, named invariants, and the function that builds a [`Run`] from a
//! [`Scenario`]. The web app's home page, the command line's `list` and `bugs`, and
//! the seed sweeps all read this table; a topic appears here only when it works.

use std::fmt;

use crate::check::InvariantInfo;
use crate::run::{Run, RunOptions};
use crate::scenario::Scenario;
use crate::sim::time::Time;

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

/// A named scenario: its own seed and parameters, scripted actions (added by the
/// topic's build function), and narration.
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

/// A deliberately broken variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BugInfo {
    pub name: &'static str,
    pub summary: &'static str,
    /// The invariant(s) expected to catch it, for the docs.
    pub caught_by: &'static str,
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
    pub presets: &'static [PresetInfo],
    pub bugs: &'static [BugInfo],
    pub invariants: &'static [InvariantInfo],
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

    pub fn preset(&self, name: &str) -> Option<&'static PresetInfo> {
        self.presets.iter().find(|p| p.name == name)
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

/// Every topic, in catalog order.
pub fn topics() -> &'static [&'static TopicInfo] {
    crate::topics::ALL
}

/// The topic with this slug.
pub fn find(slug: &str) -> Option<&'static TopicInfo> {
    topics().iter().copied().find(|t| t.slug == slug)
}

/// Builds a run of `scenario` with its topic's build function.
pub fn build(scenario: &Scenario, options: RunOptions) -> Result<Box<dyn Run>, BuildError> {
    let topic =
        find(&scenario.topic).ok_or_else(|| BuildError::UnknownTopic(scenario.topic.clone()))?;
    (topic.build)(scenario, options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_unique_and_valid() {
        let mut slugs: Vec<_> = topics().iter().map(|t| t.slug).collect();
        assert!(slugs.iter().all(|s| crate::scenario::is_slug(s)));
        let count = slugs.len();
        slugs.sort();
        slugs.dedup();
        assert_eq!(slugs.len(), count);
    }

    #[test]
    fn every_topic_is_complete_and_its_presets_build() {
        for topic in topics() {
            assert!(!topic.summary.is_empty(), "{}", topic.slug);
            for spec in topic.params {
                assert!(spec.accepts(spec.default), "{}.{}", topic.slug, spec.name);
            }
            if topic.kind == TopicKind::Protocol {
                assert!(!topic.invariants.is_empty(), "{}", topic.slug);
            }
            for preset in topic.presets {
                assert!(
                    !preset.narration.is_empty(),
                    "{}/{}",
                    topic.slug,
                    preset.name
                );
                let scenario = topic.preset_scenario(preset);
                assert!(build(&scenario, RunOptions::default()).is_ok());
            }
            let plain = Scenario::new(topic.slug, 1);
            assert!(build(&plain, RunOptions::default()).is_ok());
        }
    }

    #[test]
    fn validation_names_the_problem() {
        let topic = find("raft").unwrap();
        let mut s = Scenario::new("raft", 1);
        s.bug = Some("no-such-bug".into());
        assert!(matches!(
            topic.validate(&s),
            Err(BuildError::UnknownBug { .. })
        ));
        let mut s = Scenario::new("raft", 1);
        s.set_param("nodes", 4);
        assert!(matches!(
            topic.validate(&s),
            Err(BuildError::ParamOutOfRange { .. })
        ));
        let mut s = Scenario::new("raft", 1);
        s.set_param("colour", 4);
        assert!(matches!(
            topic.validate(&s),
            Err(BuildError::UnknownParam { .. })
        ));
        assert!(build(&Scenario::new("nope", 1), RunOptions::default()).is_err());
    }
}
