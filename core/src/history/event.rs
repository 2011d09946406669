//! Client events and the operations they pair into.
//!
//! The vocabulary is Jepsen's: a client process records an `:invoke` when it sends a
//! request and one completion when it learns the outcome (`:ok`, `:fail`, or `:info`
//! when it gave up without knowing). Knossos pairs an invoke with the next completion
//! of the same process; [`History::operations`] does the same.

use crate::sim::time::Time;
use std::fmt;

/// A client process. Jepsen gives a process that gave up (`:info`) a fresh number, so
/// one client thread may appear under several processes over a run.
pub type ProcessId = u32;

/// A key of the key-value store. Printed as a string in EDN and JSON (`:key "3"`), as
/// Jepsen's independent-key histories do.
pub type Key = u32;

/// What an event is: Jepsen's `:type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// The client sent the request.
    Invoke,
    /// The operation took effect and this is its result.
    Ok,
    /// The operation did not take effect.
    Fail,
    /// The client gave up without knowing whether the operation took effect; it may
    /// take effect at any later time, or never.
    Info,
}

impl EventKind {
    /// The Jepsen keyword without its colon: `invoke`, `ok`, `fail`, `info`.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Invoke => "invoke",
            EventKind::Ok => "ok",
            EventKind::Fail => "fail",
            EventKind::Info => "info",
        }
    }
}

/// What an operation does: Jepsen's `:f`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Function {
    /// Read the key.
    Get,
    /// Write an integer.
    Put,
    /// Compare-and-set: `[old new]`.
    Cas,
    /// Append an integer to the key's list.
    Append,
}

impl Function {
    /// The Jepsen keyword without its colon: `get`, `put`, `cas`, `append`.
    pub fn name(self) -> &'static str {
        match self {
            Function::Get => "get",
            Function::Put => "put",
            Function::Cas => "cas",
            Function::Append => "append",
        }
    }
}

/// A value as the history records it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Value {
    /// EDN `nil`: an invoke of get, a get of an absent key, the completion of put or
    /// append.
    None,
    /// The value of put, the element of append, a get of a key holding an integer.
    Int(i64),
    /// The `[old new]` of cas.
    Pair(i64, i64),
    /// A get of a key that appends built.
    List(Vec<i64>),
}

/// EDN notation: `nil`, `7`, `[0 1]`, `[1 2 3]`.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::None => f.write_str("nil"),
            Value::Int(v) => write!(f, "{v}"),
            Value::Pair(old, new) => write!(f, "[{old} {new}]"),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
        }
    }
}

/// One line of a history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryEvent {
    pub process: ProcessId,
    pub kind: EventKind,
    pub function: Function,
    pub key: Key,
    pub value: Value,
    pub time: Time,
}

/// A whole history in the order things happened (time non-decreasing).
///
/// The order of [`History::events`] is the real-time order the checker uses: an
/// operation precedes another when its completion comes earlier in the list than the
/// other's invoke, as in Knossos. Times are only reported, so two events at the same
/// virtual microsecond are still ordered, and a history whose times go backwards is
/// checked by its order rather than rejected.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct History {
    pub events: Vec<HistoryEvent>,
}

impl History {
    pub fn new() -> Self {
        History { events: Vec::new() }
    }

    pub fn push(&mut self, event: HistoryEvent) {
        self.events.push(event);
    }

    /// The operations, in the order of their invokes: each invoke paired with its
    /// process's next completion (ok, fail or info).
    ///
    /// An invoke with no completion yet is [`Outcome::Open`]; the checker treats it
    /// like info (it may or may not take effect). Malformed input is tolerated rather
    /// than rejected, because histories come from files and half-finished runs:
    ///
    /// - a completion whose process has no pending invoke is ignored;
    /// - an invoke while the same process still has one pending leaves the earlier
    ///   one open for good (that client lost track of it);
    /// - an operation takes its function and key from its invoke; the completion
    ///   contributes only its kind, value, time and index.
    pub fn operations(&self) -> Vec<Operation> {
        let mut operations: Vec<Operation> = Vec::new();
        // Sorted by process; a binary search keeps hostile files with many
        // processes quick without a map type of its own in every bundle.
        let mut pending: Vec<(ProcessId, usize)> = Vec::new();
        for (index, event) in self.events.iter().enumerate() {
            if event.kind == EventKind::Invoke {
                match pending.binary_search_by(|(process, _)| process.cmp(&event.process)) {
                    Ok(at) => pending[at].1 = operations.len(),
                    Err(at) => pending.insert(at, (event.process, operations.len())),
                }
                operations.push(Operation {
                    process: event.process,
                    function: event.function,
                    key: event.key,
                    input: event.value.clone(),
                    output: Value::None,
                    outcome: Outcome::Open,
                    invoked: event.time,
                    completed: None,
                    invoke_index: index,
                    complete_index: None,
                });
                continue;
            }
            let Ok(at) = pending.binary_search_by(|(process, _)| process.cmp(&event.process))
            else {
                continue;
            };
            let (_, position) = pending.remove(at);
            let Some(operation) = operations.get_mut(position) else {
                continue;
            };
            operation.complete_index = Some(index);
            match event.kind {
                EventKind::Ok | EventKind::Fail => {
                    operation.outcome = if event.kind == EventKind::Ok {
                        Outcome::Ok
                    } else {
                        Outcome::Fail
                    };
                    operation.output = event.value.clone();
                    operation.completed = Some(event.time);
                }
                // An info completion tells nothing about the result, and the operation
                // may still take effect later, so it keeps no output and no end.
                EventKind::Info | EventKind::Invoke => operation.outcome = Outcome::Info,
            }
        }
        operations
    }
}

/// How an operation ended.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// It took effect, with the recorded output.
    Ok,
    /// It did not take effect.
    Fail,
    /// The client gave up: it may take effect at any later time, or never.
    Info,
    /// No completion yet: checked like [`Outcome::Info`].
    Open,
}

/// An invoke paired with its completion.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Operation {
    pub process: ProcessId,
    pub function: Function,
    pub key: Key,
    /// The invoke's value.
    pub input: Value,
    /// The completion's value ([`Value::None`] if info or open).
    pub output: Value,
    pub outcome: Outcome,
    pub invoked: Time,
    /// `None` for info and open: it may take effect at any later time, or never.
    pub completed: Option<Time>,
    /// Index of the invoke in [`History::events`].
    pub invoke_index: usize,
    /// Index of the completion (ok, fail or info) in [`History::events`]; `None` while
    /// open.
    pub complete_index: Option<usize>,
}
