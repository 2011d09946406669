//! `OpsRun`: a data structure driven by a timed sequence of operations.
//!
//! Data-structure topics (Bloom filter, hash ring, Merkle tree, skip list, time-series
//! store) have no network, but they play, step, rewind and share exactly like the
//! protocols: a seeded plan of operations, one every so often in virtual time, plus a
//! person's own operations ([`Action::Operation`]), each a step in the same trace.
//! Pages downcast the run to `OpsRun<S>` and draw [`OpsRun::structure`].
//!
//! When to call what: the simulator calls [`Structure::apply`] once per operation,
//! then [`Structure::check`]; [`Structure::operation`] turns a person's action into
//! an operation (or refuses it).

use std::any::Any;
use std::fmt;

use crate::catalog::TopicInfo;
use crate::check::{Violation, ViolationReport};
use crate::run::{ClusterState, Run, RunOptions, StateTable, USER_ACTION_RANK};
use crate::scenario::{Action, Scenario, TimedAction};

use super::queue::{Class, EventQueue};
use super::rng::Rng;
use super::time::Time;
use super::trace::{EventKind, Trace, TraceEvent};

/// Where a structure writes its explanations of one operation.
pub struct Notes {
    tracing: bool,
    notes: Vec<String>,
}

impl Notes {
    /// Records an explanation; the closure runs only when the trace is on.
    pub fn note(&mut self, text: impl FnOnce() -> String) {
        if self.tracing {
            self.notes.push(text());
        }
    }
}

impl Notes {
    /// Notes that keep nothing: for applying operations outside a traced run.
    pub fn silent() -> Notes {
        Notes {
            tracing: false,
            notes: Vec::new(),
        }
    }
}

/// Builds a topic's plan of operations while applying each to a copy of the
/// starting state, so a plan can pick operations whose outcome it knows (an item
/// that will be a false positive, a key that is present) instead of hoping for one.
pub struct Planner<S: Structure> {
    /// The plan's own random stream.
    pub rng: Rng,
    /// The copy, as the run will have it after the operations planned so far.
    pub sim: S,
    ops: Vec<(Time, S::Op)>,
}

impl<S: Structure> Planner<S> {
    pub fn new(state: S, rng: Rng) -> Self {
        Planner {
            rng,
            sim: state,
            ops: Vec::new(),
        }
    }

    /// Plans `op` at `ms` milliseconds and applies it to the copy, exactly as the
    /// run will (a refused operation leaves the copy as it leaves the run).
    pub fn push(&mut self, ms: u64, op: S::Op) {
        let at = Time::from_millis(ms);
        self.sim.apply(&op, at, &mut Notes::silent());
        self.ops.push((at, op));
    }

    /// The plan, in the order it was built.
    pub fn into_plan(self) -> Vec<(Time, S::Op)> {
        self.ops
    }
}

/// A data structure a topic drives.
pub trait Structure: 'static {
    type Op: Clone + fmt::Display;

    /// Performs one operation at virtual time `now`.
    fn apply(&mut self, op: &Self::Op, now: Time, notes: &mut Notes);

    /// Checks the structure's invariants after an operation.
    fn check(&self, found: &mut Vec<Violation>) {
        let _ = found;
    }

    /// The operation a person asked for with `Action::Operation { code, arg }`, or
    /// `None` to refuse it (the run notes that it was ignored).
    fn operation(&self, code: u32, arg: u64) -> Option<Self::Op>;

    /// Rows for the shared state table, if the topic uses it.
    fn state_table(&self) -> StateTable {
        StateTable::default()
    }
}

enum Entry<Op> {
    Planned(Op),
    Action(TimedAction),
}

/// A run of structure `S` over a timed plan of operations.
pub struct OpsRun<S: Structure> {
    info: &'static TopicInfo,
    structure: S,
    queue: EventQueue<Entry<S::Op>>,
    now: Time,
    steps: u64,
    options: RunOptions,
    trace: Trace,
    violations: Vec<ViolationReport>,
    found: Vec<Violation>,
}

impl<S: Structure> OpsRun<S> {
    /// A run that applies `plan` (sorted or not) and the scenario's own actions.
    pub fn new(
        info: &'static TopicInfo,
        structure: S,
        plan: Vec<(Time, S::Op)>,
        scenario: &Scenario,
        options: RunOptions,
    ) -> Self {
        let mut queue = EventQueue::default();
        for (at, op) in plan {
            queue.push(at, Class::Event, Entry::Planned(op));
        }
        let mut run = OpsRun {
            info,
            structure,
            queue,
            now: Time::ZERO,
            steps: 0,
            options,
            trace: Trace::default(),
            violations: Vec::new(),
            found: Vec::new(),
        };
        for (i, action) in scenario.actions.iter().enumerate() {
            run.schedule(action.clone(), USER_ACTION_RANK.saturating_add(i as u32));
        }
        run
    }

    /// The structure as it is after the last step.
    pub fn structure(&self) -> &S {
        &self.structure
    }

    fn record(&mut self, kind: EventKind) {
        if self.options.trace {
            self.trace.events.push(TraceEvent {
                step: self.steps,
                time: self.now,
                node: None,
                lamport: self.steps,
                clock: None,
                kind,
            });
        }
    }

    fn apply(&mut self, op: S::Op) {
        if self.options.trace {
            let label = op.to_string();
            self.record(EventKind::Input { label });
        }
        let mut notes = Notes {
            tracing: self.options.trace,
            notes: Vec::new(),
        };
        self.structure.apply(&op, self.now, &mut notes);
        for text in notes.notes {
            self.record(EventKind::Note { text });
        }
        if self.options.check {
            let mut found = std::mem::take(&mut self.found);
            self.structure.check(&mut found);
            for violation in found.drain(..) {
                self.violations.push(ViolationReport {
                    invariant: violation.invariant,
                    message: violation.message.clone(),
                    step: self.steps,
                    time: self.now,
                });
                self.record(EventKind::Violation {
                    invariant: violation.invariant,
                    message: violation.message,
                });
            }
            self.found = found;
        }
    }
}

impl<S: Structure> Run for OpsRun<S> {
    fn info(&self) -> &'static TopicInfo {
        self.info
    }

    fn step(&mut self) -> bool {
        let Some((time, entry)) = self.queue.pop() else {
            return false;
        };
        self.now = self.now.max(time);
        self.steps += 1;
        match entry {
            Entry::Planned(op) => self.apply(op),
            Entry::Action(TimedAction { action, .. }) => match action {
                Action::Operation { code, arg } => match self.structure.operation(code, arg) {
                    Some(op) => self.apply(op),
                    None => self.record(EventKind::Note {
                        text: format!("ignored operation {code}({arg})"),
                    }),
                },
                other => self.record(EventKind::Note {
                    text: format!("ignored '{other}': this topic has no nodes or network"),
                }),
            },
        }
        true
    }

    fn next_time(&self) -> Option<Time> {
        self.queue.peek_time()
    }

    fn now(&self) -> Time {
        self.now
    }

    fn steps(&self) -> u64 {
        self.steps
    }

    fn trace(&self) -> &Trace {
        &self.trace
    }

    fn violations(&self) -> &[ViolationReport] {
        &self.violations
    }

    fn schedule(&mut self, action: TimedAction, rank: u32) {
        self.queue
            .push(action.at, Class::Action { rank }, Entry::Action(action));
    }

    fn cluster(&self) -> ClusterState {
        ClusterState::default()
    }

    fn state_table(&self) -> StateTable {
        self.structure.state_table()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Category, TopicKind};

    /// A counter whose invariant is "never above 3".
    struct Counter(u64);

    impl Structure for Counter {
        type Op = u64;
        fn apply(&mut self, op: &u64, _now: Time, notes: &mut Notes) {
            self.0 += op;
            let total = self.0;
            notes.note(|| format!("total is {total}"));
        }
        fn check(&self, found: &mut Vec<Violation>) {
            if self.0 > 3 {
                found.push(Violation {
                    invariant: "at-most-three",
                    message: format!("{} > 3", self.0),
                });
            }
        }
        fn operation(&self, code: u32, arg: u64) -> Option<u64> {
            (code == 0).then_some(arg)
        }
    }

    static INFO: TopicInfo = TopicInfo {
        slug: "counter",
        title: "Counter",
        category: Category::DataStructures,
        kind: TopicKind::DataStructure,
        summary: "test",
        reference: "",
        params: &[],
        presets: &[],
        bugs: &[],
        invariants: &[],
        columns: &[],
        build: |_, _| unreachable!(),
    };

    #[test]
    fn plan_and_actions_run_in_time_order_and_violations_are_reported() {
        let mut scenario = Scenario::new("counter", 1);
        scenario.push_action(Time(15), Action::Operation { code: 0, arg: 2 });
        scenario.push_action(Time(16), Action::Operation { code: 9, arg: 2 });
        scenario.push_action(Time(17), Action::Crash(crate::sim::time::NodeId(0)));
        let plan = vec![(Time(10), 1), (Time(20), 1)];
        let mut run = OpsRun::new(&INFO, Counter(0), plan, &scenario, RunOptions::default());
        run.run_until(Time(100));
        assert_eq!(run.steps(), 5);
        assert_eq!(run.structure().0, 4);
        assert_eq!(run.violations().len(), 1);
        assert_eq!(run.violations()[0].time, Time(20));
        let notes = run
            .trace()
            .events
            .iter()
            .filter(|e| matches!(&e.kind, EventKind::Note { text } if text.starts_with("ignored")))
            .count();
        assert_eq!(notes, 2);
    }
}
