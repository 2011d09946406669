//! A regular-register check of a client history: weaker than linearizability,
//! and what a strict quorum system with R + W > N promises without write-back.
//!
//! # The condition
//!
//! Lamport ("On Interprocess Communication", Distributed Computing 1(2), 1986)
//! calls a single-writer register *regular* when a read returns the value of
//! the last write that completed before the read began, or of a write
//! concurrent with the read. With several writers (Shao, Pierce and Welch,
//! "Multi-writer consistency conditions for shared memory objects", DISC 2003)
//! "the last write" is not always one write, so this module checks the part
//! every variant agrees on, per key, with writes told apart by their values:
//!
//! - a read never returns a value that no write wrote (or whose write failed,
//!   or was invoked only after the read completed);
//! - a read never returns a value older than a write that completed before the
//!   read began: the value's write must not have completed before that write
//!   began (it would have been overwritten, in real time, before the read
//!   started). The initial value (nothing) is older than every write.
//!
//! Unlike linearizability, two reads that do not overlap may disagree on the
//! order of writes concurrent with them: a read that returns a new value and a
//! later read that returns the old one is regular while the write runs. That
//! new/old inversion is what ABD's write-back rules out.
//!
//! # The check
//!
//! One pass over the events, in order: precedence is list order, as in the
//! linearizability checker. Each read is judged at its completion against the
//! writes that had completed when it was invoked (remembered then as the one
//! among them invoked last: the value's write precedes some completed write
//! exactly when it completed before that one was invoked). Only `get` and
//! `put` are considered: `cas` and `append` are ignored; failed and info
//! reads returned nothing to judge; info and open writes may take effect at
//! any time after their invocation, so they never make a value old.
//! [`RegularChecker`] keeps its state between calls and reads only the events
//! added since, so a page can check after every step. Nothing here panics on
//! any history.

use super::event::{EventKind, Function, History, Key, ProcessId, Value};
use crate::sim::time::Time;

/// A read that broke the regular-register condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaleRead {
    pub process: ProcessId,
    pub key: Key,
    /// What it returned (`None` for nothing).
    pub returned: Option<i64>,
    /// The completed write it should have seen at least, when there is one.
    pub overwritten_by: Option<i64>,
    /// Indices of the read's invoke and completion in [`History::events`].
    pub invoke_index: usize,
    pub complete_index: usize,
    pub completed: Time,
    /// One sentence a person understands.
    pub explanation: String,
}

/// A write as the check knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Write {
    key: Key,
    value: i64,
    invoke_index: usize,
    /// Set when it completed `ok`.
    complete_index: Option<usize>,
    failed: bool,
}

/// The operation a process is running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Running {
    process: ProcessId,
    function: Function,
    key: Key,
    invoke_index: usize,
    /// For a read: the write invoked last among those completed when the read
    /// was invoked (its invoke index and value).
    floor: Option<(usize, i64)>,
    /// For a write: its index in `writes`.
    write: Option<usize>,
}

/// The regular-register check, fed a growing history.
#[derive(Clone, Debug, Default)]
pub struct RegularChecker {
    /// Events read so far.
    events: usize,
    writes: Vec<Write>,
    /// Sorted by process.
    running: Vec<Running>,
    /// Per key (sorted): the completed write invoked last so far.
    floors: Vec<(Key, (usize, i64))>,
    reads_checked: u64,
    stale: Vec<StaleRead>,
}

impl RegularChecker {
    pub fn new() -> Self {
        RegularChecker::default()
    }

    /// Reads the events added to `history` since the last call and returns the
    /// stale reads among them. A history shorter than last time (a rewound
    /// run) starts over.
    pub fn check(&mut self, history: &History) -> &[StaleRead] {
        if history.events.len() < self.events {
            *self = RegularChecker::default();
        }
        let already = self.stale.len();
        for index in self.events..history.events.len() {
            self.step(history, index);
        }
        self.events = history.events.len();
        &self.stale[already..]
    }

    /// Successful reads judged so far.
    pub fn reads_checked(&self) -> u64 {
        self.reads_checked
    }

    /// Every stale read found so far, in the order their reads completed.
    pub fn stale_reads(&self) -> &[StaleRead] {
        &self.stale
    }

    fn floor(&self, key: Key) -> Option<(usize, i64)> {
        self.floors
            .binary_search_by(|(k, _)| k.cmp(&key))
            .ok()
            .map(|at| self.floors[at].1)
    }

    fn step(&mut self, history: &History, index: usize) {
        let Some(event) = history.events.get(index) else {
            return;
        };
        let slot = self
            .running
            .binary_search_by(|r| r.process.cmp(&event.process));
        if event.kind == EventKind::Invoke {
            let write = match (event.function, &event.value) {
                (Function::Put, Value::Int(value)) => {
                    self.writes.push(Write {
                        key: event.key,
                        value: *value,
                        invoke_index: index,
                        complete_index: None,
                        failed: false,
                    });
                    Some(self.writes.len() - 1)
                }
                _ => None,
            };
            let running = Running {
                process: event.process,
                function: event.function,
                key: event.key,
                invoke_index: index,
                floor: self.floor(event.key),
                write,
            };
            // An invoke while the process still runs another leaves that one
            // open for good, as History::operations does.
            match slot {
                Ok(at) => self.running[at] = running,
                Err(at) => self.running.insert(at, running),
            }
            return;
        }
        let Ok(at) = slot else {
            return;
        };
        let running = self.running.remove(at);
        match (running.function, event.kind) {
            (Function::Put, EventKind::Ok) => {
                let Some(write) = running.write.and_then(|w| self.writes.get_mut(w)) else {
                    return;
                };
                write.complete_index = Some(index);
                let (key, invoked, value) = (write.key, write.invoke_index, write.value);
                match self.floors.binary_search_by(|(k, _)| k.cmp(&key)) {
                    Ok(at) if self.floors[at].1 .0 < invoked => {
                        self.floors[at].1 = (invoked, value)
                    }
                    Ok(_) => {}
                    Err(at) => self.floors.insert(at, (key, (invoked, value))),
                }
            }
            (Function::Put, EventKind::Fail) => {
                if let Some(write) = running.write.and_then(|w| self.writes.get_mut(w)) {
                    write.failed = true;
                }
            }
            (Function::Get, EventKind::Ok) => {
                let returned = match &event.value {
                    Value::None => None,
                    Value::Int(value) => Some(*value),
                    // Not a register's value: nothing to judge.
                    _ => return,
                };
                self.judge(running, returned, index, event.time);
            }
            _ => {}
        }
    }

    fn judge(&mut self, read: Running, returned: Option<i64>, index: usize, completed: Time) {
        self.reads_checked += 1;
        let floor = read.floor;
        let explanation = match returned {
            None => match floor {
                None => return,
                Some((_, newer)) => format!(
                    "c{}'s read of key {} returned nothing at {completed}, but the write of {newer} had completed before the read began",
                    read.process, read.key
                ),
            },
            Some(value) => {
                let mut written = self
                    .writes
                    .iter()
                    .filter(|w| {
                        w.key == read.key && w.value == value && !w.failed && w.invoke_index < index
                    })
                    .peekable();
                if written.peek().is_none() {
                    format!(
                        "c{}'s read of key {} returned {value} at {completed}, a value no write wrote",
                        read.process, read.key
                    )
                } else {
                    let Some((floor_invoked, newer)) = floor else {
                        return;
                    };
                    // Fine if some write of this value did not complete before
                    // the floor write began.
                    if written.any(|w| w.complete_index.is_none_or(|c| c > floor_invoked)) {
                        return;
                    }
                    format!(
                        "c{}'s read of key {} returned {value} at {completed}, but the write of {newer}, which began after the write of {value} completed, had completed before the read began",
                        read.process, read.key
                    )
                }
            }
        };
        self.stale.push(StaleRead {
            process: read.process,
            key: read.key,
            returned,
            overwritten_by: floor.map(|(_, value)| value),
            invoke_index: read.invoke_index,
            complete_index: index,
            completed,
            explanation,
        });
    }
}

/// Checks `history` as a set of regular registers, one per key: `Ok` with the
/// number of successful reads judged, or the first stale read.
pub fn check_regular(history: &History) -> Result<u64, StaleRead> {
    let mut checker = RegularChecker::new();
    match checker.check(history).first() {
        Some(stale) => Err(stale.clone()),
        None => Ok(checker.reads_checked()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::HistoryEvent;

    /// Builds a history from `(process, kind, function, value)` lines, one
    /// millisecond apart, all on key 0.
    fn history(lines: &[(ProcessId, EventKind, Function, Value)]) -> History {
        let mut history = History::new();
        for (ms, (process, kind, function, value)) in lines.iter().enumerate() {
            history.push(HistoryEvent {
                process: *process,
                kind: *kind,
                function: *function,
                key: 0,
                value: value.clone(),
                time: Time::from_millis(ms as u64),
            });
        }
        history
    }

    use EventKind::{Fail, Info, Invoke, Ok as Done};
    use Function::{Get, Put};

    fn int(v: i64) -> Value {
        Value::Int(v)
    }

    #[test]
    fn a_read_of_the_last_completed_write_is_regular() {
        let h = history(&[
            (0, Invoke, Put, int(1)),
            (0, Done, Put, int(1)),
            (1, Invoke, Get, Value::None),
            (1, Done, Get, int(1)),
        ]);
        assert_eq!(check_regular(&h), Ok(1));
    }

    #[test]
    fn a_read_of_nothing_after_a_completed_write_is_stale() {
        let h = history(&[
            (0, Invoke, Put, int(1)),
            (0, Done, Put, int(1)),
            (1, Invoke, Get, Value::None),
            (1, Done, Get, Value::None),
        ]);
        let stale = check_regular(&h).unwrap_err();
        assert_eq!(stale.returned, None);
        assert_eq!(stale.overwritten_by, Some(1));
        assert_eq!(stale.complete_index, 3);
        assert!(
            stale.explanation.contains("returned nothing"),
            "{}",
            stale.explanation
        );
    }

    #[test]
    fn a_read_of_an_overwritten_value_is_stale() {
        let h = history(&[
            (0, Invoke, Put, int(1)),
            (0, Done, Put, int(1)),
            (0, Invoke, Put, int(2)),
            (0, Done, Put, int(2)),
            (1, Invoke, Get, Value::None),
            (1, Done, Get, int(1)),
        ]);
        let stale = check_regular(&h).unwrap_err();
        assert_eq!((stale.returned, stale.overwritten_by), (Some(1), Some(2)));
    }

    #[test]
    fn a_read_may_return_a_concurrent_write_old_or_new() {
        // The new/old inversion: regular, though not linearizable.
        let h = history(&[
            (0, Invoke, Put, int(1)),
            (0, Done, Put, int(1)),
            (2, Invoke, Put, int(2)),
            (1, Invoke, Get, Value::None),
            (1, Done, Get, int(2)),
            (1, Invoke, Get, Value::None),
            (1, Done, Get, int(1)),
            (2, Done, Put, int(2)),
        ]);
        assert_eq!(check_regular(&h), Ok(2));
        assert!(matches!(
            crate::history::check(&h),
            crate::history::Verdict::NotLinearizable(_)
        ));
    }

    #[test]
    fn overlapping_writes_do_not_make_each_other_old() {
        // 1 and 2 overlap; once both complete, either may be read.
        let h = history(&[
            (0, Invoke, Put, int(1)),
            (2, Invoke, Put, int(2)),
            (0, Done, Put, int(1)),
            (2, Done, Put, int(2)),
            (1, Invoke, Get, Value::None),
            (1, Done, Get, int(1)),
        ]);
        assert_eq!(check_regular(&h), Ok(1));
    }

    #[test]
    fn values_never_written_or_failed_or_written_later_are_caught() {
        let never = history(&[(1, Invoke, Get, Value::None), (1, Done, Get, int(9))]);
        assert!(check_regular(&never)
            .unwrap_err()
            .explanation
            .contains("no write wrote"));
        let failed = history(&[
            (0, Invoke, Put, int(3)),
            (0, Fail, Put, Value::None),
            (1, Invoke, Get, Value::None),
            (1, Done, Get, int(3)),
        ]);
        assert!(check_regular(&failed).is_err());
        let later = history(&[
            (1, Invoke, Get, Value::None),
            (1, Done, Get, int(4)),
            (0, Invoke, Put, int(4)),
            (0, Done, Put, int(4)),
        ]);
        assert!(check_regular(&later).is_err());
    }

    #[test]
    fn info_writes_never_make_a_value_old_and_info_reads_are_not_judged() {
        let h = history(&[
            (0, Invoke, Put, int(1)),
            (0, Info, Put, Value::None),
            (2, Invoke, Put, int(2)),
            (2, Done, Put, int(2)),
            (1, Invoke, Get, Value::None),
            (1, Done, Get, int(1)),
            (1, Invoke, Get, Value::None),
            (1, Info, Get, Value::None),
        ]);
        assert_eq!(check_regular(&h), Ok(1));
    }

    #[test]
    fn the_live_checker_reads_only_new_events_and_restarts_on_a_shorter_history() {
        let mut h = history(&[(0, Invoke, Put, int(1)), (0, Done, Put, int(1))]);
        let mut checker = RegularChecker::new();
        assert!(checker.check(&h).is_empty());
        let stale = history(&[(1, Invoke, Get, Value::None), (1, Done, Get, Value::None)]);
        h.events.extend(stale.events.iter().cloned());
        assert_eq!(checker.check(&h).len(), 1);
        // Nothing new: nothing reported again.
        assert!(checker.check(&h).is_empty());
        assert_eq!(checker.stale_reads().len(), 1);
        // Rewound to before the read: starts over, finds nothing.
        h.events.truncate(2);
        assert!(checker.check(&h).is_empty());
        assert!(checker.stale_reads().is_empty());
    }

    #[test]
    fn malformed_histories_do_not_panic() {
        let h = history(&[
            (3, Done, Get, int(1)),
            (1, Invoke, Get, Value::None),
            (1, Invoke, Get, Value::None),
            (1, Done, Get, Value::List(vec![1])),
            (0, Invoke, Put, Value::None),
            (0, Done, Put, Value::None),
        ]);
        assert_eq!(check_regular(&h), Ok(0));
    }
}
