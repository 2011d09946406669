//! Client histories of a key-value store and a linearizability checker for them.
//!
//! # The problem
//!
//! Clients of a replicated store see only their requests and the answers. Whether the
//! store behaved like one copy of the data, each operation taking effect at a single
//! instant between its request and its answer, is a property of the whole history:
//! linearizability (Herlihy and Wing, "Linearizability: A Correctness Condition for
//! Concurrent Objects", TOPLAS 1990). A stale read after a completed write, a lost
//! append, or two compare-and-sets succeeding from the same old value all break it.
//!
//! # Histories
//!
//! A [`History`] is a list of [`HistoryEvent`]s in Jepsen's format (as Knossos and
//! Elle read it): each client process records an invoke, then one completion, `ok`,
//! `fail` (did not take effect) or `info` (gave up without knowing). Operations are
//! `get`, `put v`, `cas [old new]` and `append v` on integer keys; [`model`]
//! specifies what each does. [`History::operations`] pairs invokes with completions;
//! [`to_edn`] and [`to_json_lines`] write a history one event a line.
//!
//! # The checker
//!
//! [`check`] decides whether some order of the operations, each placed within its
//! real-time interval, is a legal sequential run of the model:
//!
//! - keys are independent, so each key is checked on its own (Herlihy and Wing's
//!   locality; Porcupine's P-compositionality), and the first failing key in key
//!   order is reported;
//! - a key is checked by the depth-first search of Wing and Gong ("Testing and
//!   verifying concurrent objects", JPDC 17, 1993): repeatedly linearize one of the
//!   operations whose call precedes every pending return, backtracking at a dead end;
//!   with Lowe's memo of configurations already explored ("Testing for
//!   linearizability", Concurrency and Computation 29(4), 2017), on Porcupine's list
//!   of call and return entries (anishathalye/porcupine), plus three rules that keep
//!   info operations from making the search exponential (stated and justified in
//!   `search.rs`);
//! - `ok` operations must take effect before their completion; a failed `cas`
//!   took effect as a read that saw another value; a failed `put`, `get` or `append`
//!   is dropped; `info` and still-open operations may take effect at any later time,
//!   or never;
//! - when a key fails, the shortest failing prefix of its history is found by binary
//!   search and reported as a [`Counterexample`]: the operation whose completion makes
//!   it fail, the operations it conflicts with, and a sentence a person can read;
//! - the search explores at most a budget of configurations per key and otherwise
//!   answers [`Verdict::Unknown`], never a guess.
//!
//! [`regular`] checks the weaker regular-register condition (no read returns a
//! value overwritten before it began), with [`RegularChecker`] for growing
//! histories.
//!
//! [`LiveChecker`] checks a growing history again after each step, searching only the
//! keys whose operations changed. [`generate`] makes random linearizable histories
//! for tests and benchmarks.
//!
//! Precedence is the order of [`History::events`], not the recorded times, so events
//! at the same virtual microsecond are still ordered and a file whose times go
//! backwards cannot make the checker misbehave; nothing here panics on any history.
//!
//! # Example
//!
//! ```
//! use distlab_core::history::{
//!     check, EventKind, Function, History, HistoryEvent, Value, Verdict,
//! };
//! use distlab_core::sim::time::Time;
//!
//! let event = |process, kind, function, value, ms| HistoryEvent {
//!     process, kind, function, key: 3, value, time: Time::from_millis(ms),
//! };
//! let mut history = History::new();
//! history.push(event(0, EventKind::Invoke, Function::Put, Value::Int(7), 1));
//! history.push(event(0, EventKind::Ok, Function::Put, Value::None, 2));
//! history.push(event(1, EventKind::Invoke, Function::Get, Value::None, 3));
//! history.push(event(1, EventKind::Ok, Function::Get, Value::None, 4));
//! match check(&history) {
//!     Verdict::NotLinearizable(counterexample) => assert_eq!(
//!         counterexample.explanation,
//!         "c1's get of key 3 returned nothing at 4.000ms, but every order of the \
//!          operations before it leaves key 3 holding 7."
//!     ),
//!     other => panic!("{other:?}"),
//! }
//! ```

mod check;
mod event;
mod format;
pub mod generate;
pub(crate) mod hash;
mod live;
pub mod model;
pub mod regular;
mod search;

pub use check::{
    check, check_with_budget, Counterexample, Linearization, Verdict, DEFAULT_MAX_STATES,
};
pub use event::{
    EventKind, Function, History, HistoryEvent, Key, Operation, Outcome, ProcessId, Value,
};
pub use format::{event_edn, event_json, to_edn, to_json_lines};
pub use live::LiveChecker;
pub use model::KeyValue;
pub use regular::{check_regular, RegularChecker, StaleRead};

#[cfg(test)]
mod tests;
