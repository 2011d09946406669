//! `OpsEngine`: a data structure driven by a timed sequence of operations.
//!
//! Data-structure topics (Bloom filter, hash ring, Merkle tree, skip list, time-series
//! store) have no network, but they play, step, rewind and share exactly like the
//! protocols: a seeded plan of operations, one every so often in virtual time, plus a
//! person's own requests ([`Action::Operation`]), each a step in the same trace.
//!
//! When to call what: the engine calls [`Structure::resolve`] on a person's request
//! (refused ones are noted and skipped), then [`Structure::apply`] once per
//! operation, then [`Structure::check`].

use std::fmt;

use super::action::{Action, Operation, TimedAction};
use super::checker::{Violation, ViolationReport};
use super::queue::{Class, EventQueue};
use super::rng::Rng;
use super::time::Time;
use super::trace::{EventKind, Trace, TraceEvent};
use super::view::StateTable;
use super::world::Recording;

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

    /// The plan `script` builds from a copy of `state`, drawing from `rng`.
    pub fn plan(state: &S, rng: Rng, script: impl FnOnce(&mut Self)) -> Vec<(Time, S::Op)> {
        let mut planner = Planner::new(state.clone(), rng);
        script(&mut planner);
        planner.into_plan()
    }
}

/// A data structure a topic drives.
pub trait Structure: Clone + 'static {
    /// An operation as plans build it, fully resolved.
    type Op: Clone + fmt::Display;
    /// What a person asks for from the page or a link; resolved against the state
    /// at the instant it runs (remove "the third node", edit a leaf to its value
    /// plus one).
    type Request: Operation;

    /// Performs one operation at virtual time `now`.
    fn apply(&mut self, op: &Self::Op, now: Time, notes: &mut Notes);

    /// Checks the structure's invariants after an operation.
    fn check(&self, found: &mut Vec<Violation>) {
        let _ = found;
    }

    /// The operation a person's request means now, or `None` to refuse it (the
    /// run notes that it was ignored).
    fn resolve(&self, request: &Self::Request) -> Option<Self::Op>;

    /// Rows for the shared state table, if the topic uses it.
    fn state_table(&self) -> StateTable {
        StateTable::default()
    }
}

#[derive(Clone)]
enum Entry<Op> {
    Planned(Op),
    Action(TimedAction),
}

/// A run of structure `S` over a timed plan of operations and a person's requests.
pub struct OpsEngine<S: Structure> {
    structure: S,
    queue: EventQueue<Entry<S::Op>>,
    now: Time,
    steps: u64,
    options: Recording,
    trace: Trace,
    violations: Vec<ViolationReport>,
    found: Vec<Violation>,
}

impl<S: Structure> OpsEngine<S> {
    /// An engine that applies `plan` (sorted or not); schedule a person's actions
    /// with [`OpsEngine::schedule`].
    pub fn new(structure: S, plan: Vec<(Time, S::Op)>, options: Recording) -> Self {
        let mut queue = EventQueue::default();
        for (at, op) in plan {
            queue.push(at, Class::Event, Entry::Planned(op));
        }
        OpsEngine {
            structure,
            queue,
            now: Time::ZERO,
            steps: 0,
            options,
            trace: Trace::default(),
            violations: Vec::new(),
            found: Vec::new(),
        }
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

    fn request(&mut self, action: Action) {
        let Action::Operation {
            operation: raw,
            node: _,
        } = action
        else {
            return self.record(EventKind::Note {
                text: format!("ignored '{action}': this topic has no nodes or network"),
            });
        };
        let op = S::Request::from_raw(&raw).and_then(|request| self.structure.resolve(&request));
        match op {
            Some(op) => self.apply(op),
            None => self.record(EventKind::Note {
                text: format!("ignored {raw}"),
            }),
        }
    }

    /// Processes the next queue entry. Returns false when nothing is left.
    pub fn step(&mut self) -> bool {
        let Some((time, entry)) = self.queue.pop() else {
            return false;
        };
        self.now = self.now.max(time);
        self.steps += 1;
        match entry {
            Entry::Planned(op) => self.apply(op),
            Entry::Action(TimedAction { action, .. }) => self.request(action),
        }
        true
    }

    /// The time of the next queue entry.
    pub fn next_time(&self) -> Option<Time> {
        self.queue.peek_time()
    }

    /// The time of the last processed step.
    pub fn now(&self) -> Time {
        self.now
    }

    /// Steps processed so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// Every invariant violation found so far.
    pub fn violations(&self) -> &[ViolationReport] {
        &self.violations
    }

    /// A copy of the engine as it is now, with an empty trace: a snapshot.
    pub fn fork(&self) -> Self {
        OpsEngine {
            structure: self.structure.clone(),
            queue: self.queue.clone(),
            now: self.now,
            steps: self.steps,
            options: self.options,
            trace: Trace::default(),
            violations: self.violations.clone(),
            found: Vec::new(),
        }
    }

    /// The trace, to keep apart from a snapshot or to window.
    pub fn trace_mut(&mut self) -> &mut Trace {
        &mut self.trace
    }

    /// Schedules a person's action; `rank` orders it among actions of the same
    /// time.
    pub fn schedule(&mut self, action: TimedAction, rank: u32) {
        self.queue
            .push(action.at, Class::Action { rank }, Entry::Action(action));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::action::RawOperation;

    /// A counter whose invariant is "never above 3".
    #[derive(Clone)]
    struct Counter(u64);

    #[derive(Clone, Debug, PartialEq)]
    struct Add(u64);

    impl fmt::Display for Add {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "add {}", self.0)
        }
    }

    impl Operation for Add {
        fn to_raw(&self) -> RawOperation {
            RawOperation::new(0, &[self.0])
        }
        fn from_raw(raw: &RawOperation) -> Option<Self> {
            (raw.code == 0).then(|| raw.arg(0).map(Add)).flatten()
        }
    }

    impl Structure for Counter {
        type Op = u64;
        type Request = Add;
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
        fn resolve(&self, request: &Add) -> Option<u64> {
            Some(request.0)
        }
    }

    #[test]
    fn plan_and_actions_run_in_time_order_and_violations_are_reported() {
        let recording = Recording {
            trace: true,
            check: true,
        };
        let plan = vec![(Time(10), 1), (Time(20), 1)];
        let mut engine = OpsEngine::new(Counter(0), plan, recording);
        let refused = Action::Operation {
            node: None,
            operation: RawOperation::new(9, &[2]),
        };
        let actions = [
            (15, Action::operation(None, &Add(2))),
            (16, refused),
            (17, Action::Crash(crate::sim::time::NodeId(0))),
        ];
        for (rank, (at, action)) in actions.into_iter().enumerate() {
            engine.schedule(
                TimedAction {
                    at: Time(at),
                    action,
                },
                rank as u32,
            );
        }
        while engine.step() {}
        assert_eq!(engine.steps(), 5);
        assert_eq!(engine.structure().0, 4);
        assert_eq!(engine.violations().len(), 1);
        assert_eq!(engine.violations()[0].time, Time(20));
        let notes = engine
            .trace()
            .events
            .iter()
            .filter(|e| matches!(&e.kind, EventKind::Note { text } if text.starts_with("ignored")))
            .count();
        assert_eq!(notes, 2);
    }
}
