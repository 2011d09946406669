//! Shrinking a failing run to a smaller scenario that still breaks the same
//! invariant, as model checkers hand back the shortest trace that fails.
//!
//! A failing seed of a sweep is a 30-second run with dozens of random faults, most
//! of them irrelevant. [`shrink`] makes it small, in this order:
//!
//! 1. the horizon becomes the instant of the violation;
//! 2. the random faults drawn from the seed become explicit actions (when the run
//!    still fails that way), so each can be dropped on its own;
//! 3. delta debugging (Zeller and Hildebrandt's ddmin) over the action list: whole
//!    faults first (a crash with its restart, a partition or cut with its heal, a
//!    loss rate with its reset), then single actions;
//! 4. each numeric parameter moves towards its simplest value (its minimum), first
//!    all the way, then by halving the distance;
//! 5. ddmin again, since fewer nodes or a lower rate can make more actions moot.
//!
//! "Fails" always means: the first violation of the run is the same invariant.
//! Every candidate is run from scratch with the trace off, so shrinking is a pure
//! function of its input (the same scenario gives the same result), and the result
//! is a scenario that was seen failing, never a guess.

use std::fmt;

use super::params::NODES;
use super::run::RunOptions;
use super::scenario::Scenario;
use super::topic::TopicInfo;
use crate::sim::action::{Action, TimedAction};
use crate::sim::checker::ViolationReport;
use crate::sim::faults::{fault_plan, FaultLevel};
use crate::sim::time::{Duration, Time};

/// The most candidate runs [`shrink`] tries; past it the best so far is returned.
pub const MAX_TRIALS: u32 = 5_000;

/// How big a failing run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunSize {
    /// Actions in the scenario, the seed's random faults included.
    pub actions: usize,
    /// Events processed up to and including the violation.
    pub events: u64,
    /// The instant of the violation.
    pub time: Time,
}

/// A shrunk counterexample.
#[derive(Clone, Debug)]
pub struct Shrunk {
    pub scenario: Scenario,
    /// Run it to here to see the violation (its instant).
    pub until: Time,
    /// The violation the shrunk scenario shows (the same invariant as the input's).
    pub violation: ViolationReport,
    pub before: RunSize,
    pub after: RunSize,
    /// Candidate runs tried.
    pub trials: u32,
}

/// Why a scenario could not be shrunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShrinkError {
    /// The scenario does not build (unknown topic, bug or parameter).
    Build(String),
    /// It runs to `until` without breaking any invariant.
    NoViolation,
}

impl fmt::Display for ShrinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShrinkError::Build(error) => write!(f, "the scenario does not build: {error}"),
            ShrinkError::NoViolation => f.write_str("the run breaks no invariant before its end"),
        }
    }
}

impl std::error::Error for ShrinkError {}

/// What a shrink reports while it works: the stage and the size so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShrinkProgress {
    pub stage: &'static str,
    pub trials: u32,
    pub actions: usize,
}

/// Runs `scenario` to `until` and returns its first violation, if any.
pub fn first_violation(
    topic: &TopicInfo,
    scenario: &Scenario,
    until: Time,
) -> Result<Option<(ViolationReport, u64)>, ShrinkError> {
    let options = RunOptions {
        trace: false,
        check: true,
        horizon: until,
    };
    let mut run =
        (topic.build)(scenario, options).map_err(|error| ShrinkError::Build(error.to_string()))?;
    let violation = run.run_until_violation(until);
    Ok(violation.map(|violation| (violation, run.steps())))
}

/// The candidate runs of one shrink, against one invariant.
struct Trials<'a, P> {
    topic: &'a TopicInfo,
    invariant: &'static str,
    until: Time,
    count: u32,
    budget: u32,
    progress: P,
}

impl<P: FnMut(ShrinkProgress)> Trials<'_, P> {
    /// Whether `scenario` still breaks the invariant first (and the budget lasts).
    fn fails(&mut self, scenario: &Scenario) -> bool {
        if self.count >= self.budget {
            return false;
        }
        self.count += 1;
        matches!(
            first_violation(self.topic, scenario, self.until),
            Ok(Some((violation, _))) if violation.invariant == self.invariant
        )
    }

    fn report(&mut self, stage: &'static str, scenario: &Scenario) {
        (self.progress)(ShrinkProgress {
            stage,
            trials: self.count,
            actions: scenario.actions.len(),
        });
    }
}

/// Shrinks `scenario`, which must break an invariant before `until`, trying at
/// most [`MAX_TRIALS`] candidates.
pub fn shrink(
    topic: &TopicInfo,
    scenario: &Scenario,
    until: Time,
    progress: impl FnMut(ShrinkProgress),
) -> Result<Shrunk, ShrinkError> {
    shrink_with_budget(topic, scenario, until, MAX_TRIALS, progress)
}

/// [`shrink`] with at most `budget` candidate runs (each runs to the violation).
pub fn shrink_with_budget(
    topic: &TopicInfo,
    scenario: &Scenario,
    until: Time,
    budget: u32,
    progress: impl FnMut(ShrinkProgress),
) -> Result<Shrunk, ShrinkError> {
    let (first, events) =
        first_violation(topic, scenario, until)?.ok_or(ShrinkError::NoViolation)?;
    let nodes = topic
        .param_spec(NODES)
        .map(|_| topic.param(scenario, NODES).max(1) as usize);
    // The actions that happened before the violation: later ones cannot matter.
    let before = RunSize {
        actions: scenario
            .actions
            .iter()
            .filter(|a| a.at <= first.time)
            .count()
            + nodes.map_or(0, |nodes| {
                fault_plan(scenario.faults, scenario.seed, nodes, first.time).len()
            }),
        events,
        time: first.time,
    };
    // One microsecond past the violation, so the step that breaks it still runs.
    let horizon = first.time.after(Duration(1));
    let mut trials = Trials {
        topic,
        invariant: first.invariant,
        until: horizon,
        count: 0,
        budget,
        progress,
    };
    let mut best = scenario.clone();
    best.actions.retain(|a| a.at <= horizon);

    // The seed's faults as explicit actions, when that keeps the failure (the
    // random plan and an explicit one can order same-instant actions differently).
    if let Some(nodes) = nodes.filter(|_| scenario.faults != FaultLevel::None) {
        let mut explicit = best.clone();
        explicit.faults = FaultLevel::None;
        explicit
            .actions
            .extend(fault_plan(scenario.faults, scenario.seed, nodes, horizon));
        crate::sort::sort_stably_by(&mut explicit.actions, |a| a.at.as_micros());
        if trials.fails(&explicit) {
            best = explicit;
        }
    }
    trials.report("faults made explicit", &best);

    best.actions = ddmin(&best, &mut trials);
    trials.report("actions", &best);

    for spec in topic.params {
        let current = topic.param(&best, spec.name);
        let simplest = spec.min;
        if current <= simplest || spec.step <= 0 {
            continue;
        }
        let with = |base: &Scenario, value: i64| {
            let mut candidate = base.clone();
            candidate.set_param(spec.name, value);
            candidate
        };
        let candidate = with(&best, simplest);
        if trials.fails(&candidate) {
            best = candidate;
            continue;
        }
        // Halve the distance to the simplest value while that still fails,
        // staying on the parameter's grid.
        let mut high = current;
        let mut low = simplest;
        while high - low > spec.step {
            let middle = low + ((high - low) / 2 / spec.step).max(1) * spec.step;
            let candidate = with(&best, middle);
            if trials.fails(&candidate) {
                best = candidate;
                high = middle;
            } else {
                low = middle;
            }
        }
        trials.report("parameters", &best);
    }

    best.actions = ddmin(&best, &mut trials);
    trials.report("actions again", &best);

    let (violation, events) = first_violation(topic, &best, horizon)?
        .filter(|(violation, _)| violation.invariant == first.invariant)
        .ok_or(ShrinkError::NoViolation)?;
    let after = RunSize {
        actions: best.actions.len()
            + match (best.faults, topic.param_spec(NODES)) {
                (FaultLevel::None, _) | (_, None) => 0,
                (level, Some(_)) => {
                    let nodes = topic.param(&best, NODES).max(1) as usize;
                    fault_plan(level, best.seed, nodes, violation.time).len()
                }
            },
        events,
        time: violation.time,
    };
    Ok(Shrunk {
        scenario: best,
        until: violation.time.after(Duration(1)),
        violation,
        before,
        after,
        trials: trials.count,
    })
}

/// How many failing runs of a sweep [`shrink_smallest`] shrinks.
pub const CANDIDATES: usize = 6;

/// Shrinks several failing runs of one sweep and keeps the smallest result (by
/// actions, then events, then the instant of the violation): which run shrinks
/// best is hard to tell beforehand, since a fault that looks irrelevant can be
/// what the failure hangs on. `failures` are (scenario, violation instant)
/// pairs; the [`CANDIDATES`] soonest are tried, and the lowest seed too.
pub fn shrink_smallest(
    topic: &TopicInfo,
    failures: &[(Scenario, Time)],
    until: Time,
    mut progress: impl FnMut(ShrinkProgress),
) -> Result<Shrunk, ShrinkError> {
    let mut order: Vec<usize> = (0..failures.len()).collect();
    crate::sort::sort_stably_by(&mut order, |&index| failures[index].1.as_micros());
    order.truncate(CANDIDATES);
    if !failures.is_empty() && !order.contains(&0) {
        order.push(0);
    }
    let mut best: Option<Shrunk> = None;
    for index in order {
        let shrunk = shrink(topic, &failures[index].0, until, &mut progress)?;
        let size = |s: &Shrunk| (s.after.actions, s.after.events, s.after.time);
        if best.as_ref().is_none_or(|b| size(&shrunk) < size(b)) {
            best = Some(shrunk);
        }
    }
    best.ok_or(ShrinkError::NoViolation)
}

/// The actions of `actions` grouped into faults: a crash with the restart that
/// ends it, a partition with the heal, a cut with its restore, a loss rate with
/// the reset to zero; every other action alone. Dropping a crash but keeping its
/// restart (or the other way round) makes a different fault, so ddmin first
/// drops whole faults. Each group lists indices into `actions`, in order.
fn fault_groups(actions: &[TimedAction]) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    // The open group of each kind of fault: (what closes it, group index).
    let mut open: Vec<(Action, usize)> = Vec::new();
    for (index, timed) in actions.iter().enumerate() {
        let closes = |opener: &Action| match (opener, &timed.action) {
            (Action::Crash(a), Action::Restart(b)) => a == b,
            (Action::Partition(_) | Action::Cut { .. }, Action::Heal) => true,
            (Action::Cut { from, to }, Action::Restore { from: f, to: t }) => from == f && to == t,
            (Action::SetDropRate(_), Action::SetDropRate(0)) => true,
            _ => false,
        };
        if let Some(position) = open.iter().position(|(opener, _)| closes(opener)) {
            let (_, group) = open.remove(position);
            groups[group].push(index);
            // A heal ends every partition and cut at once.
            if timed.action == Action::Heal {
                open.retain(|(opener, _)| {
                    !matches!(opener, Action::Partition(_) | Action::Cut { .. })
                });
            }
            continue;
        }
        groups.push(vec![index]);
        if matches!(
            timed.action,
            Action::Crash(_) | Action::Partition(_) | Action::Cut { .. } | Action::SetDropRate(1..)
        ) {
            open.push((timed.action.clone(), groups.len() - 1));
        }
    }
    groups
}

/// ddmin over `scenario`'s actions in `groups` (indices into its actions; a group
/// is kept or dropped whole): the groups of the smallest list found (1-minimal
/// when the budget lasts) whose scenario still fails.
fn ddmin_groups<P: FnMut(ShrinkProgress)>(
    scenario: &Scenario,
    mut groups: Vec<Vec<usize>>,
    trials: &mut Trials<'_, P>,
) -> Vec<TimedAction> {
    let with = |groups: &[Vec<usize>]| {
        let mut kept: Vec<usize> = groups.iter().flatten().copied().collect();
        kept.sort_unstable();
        let mut candidate = scenario.clone();
        candidate.actions = kept.iter().map(|&i| scenario.actions[i].clone()).collect();
        candidate
    };
    if groups.is_empty() || trials.fails(&with(&[])) {
        return Vec::new();
    }
    let mut parts = 2usize;
    while groups.len() >= 2 {
        let chunk = groups.len().div_ceil(parts);
        let ranges: Vec<(usize, usize)> = (0..groups.len())
            .step_by(chunk)
            .map(|start| (start, (start + chunk).min(groups.len())))
            .collect();
        let mut reduced = false;
        // A part alone that still fails.
        for &(start, end) in &ranges {
            if trials.fails(&with(&groups[start..end])) {
                groups = groups[start..end].to_vec();
                parts = 2;
                reduced = true;
                break;
            }
        }
        // Or everything but one part.
        if !reduced && ranges.len() > 2 {
            for &(start, end) in &ranges {
                let complement: Vec<Vec<usize>> = groups[..start]
                    .iter()
                    .chain(&groups[end..])
                    .cloned()
                    .collect();
                if trials.fails(&with(&complement)) {
                    groups = complement;
                    parts = (parts - 1).max(2);
                    reduced = true;
                    break;
                }
            }
        }
        if !reduced {
            if parts >= groups.len() {
                break;
            }
            parts = (parts * 2).min(groups.len());
        }
    }
    with(&groups).actions
}

/// ddmin over `scenario`'s actions: whole faults first, then single actions.
fn ddmin<P: FnMut(ShrinkProgress)>(
    scenario: &Scenario,
    trials: &mut Trials<'_, P>,
) -> Vec<TimedAction> {
    let faults = ddmin_groups(scenario, fault_groups(&scenario.actions), trials);
    let mut smaller = scenario.clone();
    smaller.actions = faults;
    let singles = (0..smaller.actions.len()).map(|i| vec![i]).collect();
    ddmin_groups(&smaller, singles, trials)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::time::NodeId;

    fn at(ms: u64, action: Action) -> TimedAction {
        TimedAction {
            at: Time::from_millis(ms),
            action,
        }
    }

    #[test]
    fn faults_are_grouped_with_what_ends_them() {
        let cut = |a, b| Action::Cut {
            from: NodeId(a),
            to: NodeId(b),
        };
        let actions = [
            at(1, Action::Crash(NodeId(1))),
            at(2, Action::SetDropRate(50_000)),
            at(3, cut(0, 2)),
            at(4, Action::Crash(NodeId(2))),
            at(5, Action::Restart(NodeId(1))),
            at(6, Action::Partition(vec![0, 1, 1])),
            at(7, Action::Heal),
            at(8, Action::SetDropRate(0)),
            at(9, Action::Restart(NodeId(3))),
            at(10, Action::Heal),
        ];
        assert_eq!(
            fault_groups(&actions),
            [
                vec![0, 4],
                vec![1, 7],
                // The first heal ends the cut (and the partition after it).
                vec![2, 6],
                // Node 2 never restarts; node 3 restarts without a crash.
                vec![3],
                vec![5],
                vec![8],
                vec![9],
            ]
        );
    }
}
