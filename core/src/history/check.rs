//! The linearizability checker: each key on its own, then the first key that fails,
//! shrunk to a small counterexample with a sentence that explains it.

use super::event::{Function, History, Key, Operation, Outcome, Value};
use super::hash::FixedState;
use super::model::KeyValue;
use super::search::{role, search, Role, SearchOutcome, Watched};
use crate::sim::time::Time;
use std::collections::HashMap;

/// The search budget of [`check`]: new configurations explored per key before giving
/// up. A linearizable history of n operations usually needs about n; a memo entry
/// costs a few tens of bytes, so the budget also bounds memory to tens of megabytes.
pub const DEFAULT_MAX_STATES: u64 = 1_000_000;

/// A witness that a history is linearizable.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Linearization {
    /// For each operation index (into [`History::operations`]) that took effect, the
    /// instant chosen for it (within `[invoked, completed]`; any instant after
    /// `invoked` for info and open operations), sorted by instant. Operations of one
    /// key keep the order the search found, which is the order they take effect in.
    ///
    /// Listed are every ok operation, every failed cas (it took effect as a read that
    /// saw another value), and the info and open operations the search needed; the
    /// info and open operations left out never took effect in this linearization.
    pub points: Vec<(usize, Time)>,
}

/// A witness that a history is not linearizable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counterexample {
    /// The first key, in key order, whose operations cannot be linearized.
    pub key: Key,
    /// Indices into [`History::operations`], ascending: the operation whose result is
    /// impossible, the operations that completed last before it was invoked (the
    /// state it must start from), the writes concurrent with it, and the write that
    /// produced the value it returned.
    pub operations: Vec<usize>,
    /// One sentence a person understands, e.g. "c2's get of key 3 returned 5 at
    /// 1200.000ms, but every order of the operations before it leaves key 3 holding 7."
    pub explanation: String,
}

/// What the checker concluded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Linearizable(Linearization),
    NotLinearizable(Counterexample),
    /// The search gave up after its budget without deciding; `explored` counts the
    /// configurations explored over all keys.
    Unknown {
        explored: u64,
    },
}

impl Verdict {
    pub fn is_linearizable(&self) -> bool {
        matches!(self, Verdict::Linearizable(_))
    }

    pub fn counterexample(&self) -> Option<&Counterexample> {
        match self {
            Verdict::NotLinearizable(counterexample) => Some(counterexample),
            _ => None,
        }
    }
}

/// Checks `history` against the model with [`DEFAULT_MAX_STATES`].
pub fn check(history: &History) -> Verdict {
    check_with_budget(history, DEFAULT_MAX_STATES)
}

/// Checks `history` against the model, exploring at most `max_states` configurations
/// per key (per key, so that one hard key cannot starve the others and each key's
/// verdict does not depend on the rest of the history).
///
/// Keys are checked in ascending order and the first that cannot be linearized is
/// reported, even when an earlier key ran out of budget: one key that cannot be
/// linearized is enough to decide.
pub fn check_with_budget(history: &History, max_states: u64) -> Verdict {
    let operations = history.operations();
    let mut combined = Combined::default();
    for (key, indices) in operations_by_key(&operations) {
        let result = check_key(key, &operations, &indices, max_states);
        if let Some(verdict) = combined.add(&result) {
            return verdict;
        }
    }
    combined.finish()
}

/// Indices of the operations of each key, in invoke order, by ascending key.
///
/// Linear in the operations (this runs after every completion in a live run);
/// only the keys are sorted.
pub(crate) fn operations_by_key(operations: &[Operation]) -> Vec<(Key, Vec<usize>)> {
    let mut bucket_of: HashMap<Key, usize, FixedState> = HashMap::with_hasher(FixedState);
    let mut by_key: Vec<(Key, Vec<usize>)> = Vec::new();
    for (index, operation) in operations.iter().enumerate() {
        let bucket = *bucket_of.entry(operation.key).or_insert_with(|| {
            by_key.push((operation.key, Vec::new()));
            by_key.len() - 1
        });
        by_key[bucket].1.push(index);
    }
    crate::sort::sort_stably_by(&mut by_key, |(key, _)| u64::from(*key));
    by_key
}

/// One key's verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct KeyResult {
    pub(crate) verdict: KeyVerdict,
    pub(crate) explored: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum KeyVerdict {
    Linearizable(Vec<(usize, Time)>),
    NotLinearizable(Counterexample),
    Unknown,
}

/// Key verdicts combined in key order into the history's verdict.
#[derive(Default)]
pub(crate) struct Combined {
    points: Vec<(usize, Time)>,
    unknown: bool,
    explored: u64,
}

impl Combined {
    /// Adds the next key's result; the history's verdict if it is already decided.
    pub(crate) fn add(&mut self, result: &KeyResult) -> Option<Verdict> {
        self.explored = self.explored.saturating_add(result.explored);
        match &result.verdict {
            KeyVerdict::Linearizable(points) => self.points.extend_from_slice(points),
            KeyVerdict::NotLinearizable(counterexample) => {
                return Some(Verdict::NotLinearizable(counterexample.clone()));
            }
            KeyVerdict::Unknown => self.unknown = true,
        }
        None
    }

    pub(crate) fn finish(mut self) -> Verdict {
        if self.unknown {
            return Verdict::Unknown {
                explored: self.explored,
            };
        }
        // Stable, so each key's operations keep their order at equal instants.
        crate::sort::sort_stably_by(&mut self.points, |&(_, instant)| instant.as_micros());
        Verdict::Linearizable(Linearization {
            points: self.points,
        })
    }
}

/// Checks the operations `indices` (all of key `key`, in invoke order). The result
/// depends only on those operations and their indices, which lets the live checker
/// reuse it while they do not change.
pub(crate) fn check_key(
    key: Key,
    operations: &[Operation],
    indices: &[usize],
    budget: u64,
) -> KeyResult {
    let own: Vec<&Operation> = indices.iter().filter_map(|&i| operations.get(i)).collect();
    match search(&own, None, budget, None) {
        SearchOutcome::Linearizable { order, explored } => {
            let mut points = Vec::with_capacity(order.len());
            let mut previous = Time::ZERO;
            for position in order {
                let operation = own[position];
                // As early as the operation and the ones before it allow: the search
                // linearized it only after everything before it was invoked, so this
                // is never past its completion in a history whose times follow its
                // order; in one whose times do not, the instant is clamped.
                let mut instant = previous.max(operation.invoked);
                if let Some(completed) = operation.completed {
                    instant = instant.min(completed);
                }
                points.push((indices[position], instant));
                previous = instant;
            }
            KeyResult {
                verdict: KeyVerdict::Linearizable(points),
                explored,
            }
        }
        SearchOutcome::Unknown { explored } => KeyResult {
            verdict: KeyVerdict::Unknown,
            explored,
        },
        SearchOutcome::NotLinearizable {
            explored, blocked, ..
        } => KeyResult {
            verdict: KeyVerdict::NotLinearizable(counterexample(
                key, &own, indices, budget, blocked,
            )),
            explored,
        },
    }
}

/// Shrinks a key that cannot be linearized to the shortest failing prefix of its
/// history and names the operation whose completion makes it fail.
///
/// Cutting the history after an event leaves the operations still running there
/// free to take effect or not, so a prefix that cannot be linearized stays so however
/// the history goes on: failure is monotone in the cut, and a binary search over the
/// completions finds the first cut that fails. Proving that a cut fails costs a whole
/// search, so the search of the whole history first suggests where it got stuck
/// (`blocked`); when the cut at that completion fails and the one before it does not,
/// two searches suffice.
fn counterexample(
    key: Key,
    own: &[&Operation],
    indices: &[usize],
    budget: u64,
    blocked: Option<usize>,
) -> Counterexample {
    let mut cuts: Vec<(usize, usize)> = own
        .iter()
        .enumerate()
        .filter(|(_, op)| matches!(op.outcome, Outcome::Ok | Outcome::Fail))
        .filter_map(|(position, op)| op.complete_index.map(|event| (event, position)))
        .collect();
    crate::sort::sort_stably_by(&mut cuts, |&(event, _)| event as u64);
    let Some(last) = cuts.len().checked_sub(1) else {
        // Only completed operations can make a key fail; keep a sentence anyway.
        return Counterexample {
            key,
            operations: indices.to_vec(),
            explanation: format!("The operations of key {key} cannot be linearized."),
        };
    };
    // The smallest cut known to fail, with what its search saw of the operation whose
    // completion it ends at.
    let mut smallest_failing: Option<(usize, Watched)> = None;
    let mut fails = |cut: usize| {
        let (event, position) = cuts[cut];
        match search(own, Some(event), budget, Some(position)) {
            SearchOutcome::NotLinearizable { watched, .. } => {
                if smallest_failing
                    .as_ref()
                    .is_none_or(|(known, _)| cut < *known)
                {
                    smallest_failing = Some((cut, watched));
                }
                true
            }
            _ => false,
        }
    };
    // The whole history failed, and so does the cut after its last completion: what
    // it leaves out are operations still running, which need not take effect.
    let (mut low, mut high) = (0, last);
    let hint = blocked.and_then(|position| cuts.iter().position(|&(_, p)| p == position));
    if let Some(hinted) = hint {
        if fails(hinted) {
            high = hinted;
            if hinted == 0 || !fails(hinted - 1) {
                low = hinted;
            } else {
                high = hinted - 1;
            }
        } else {
            low = (hinted + 1).min(last);
        }
    }
    while low < high {
        let middle = low + (high - low) / 2;
        if fails(middle) {
            high = middle;
        } else {
            low = middle + 1;
        }
    }
    let (cut, culprit) = cuts[low];
    let watched = match smallest_failing {
        Some((known, watched)) if known == low => watched,
        _ => match search(own, Some(cut), budget, Some(culprit)) {
            SearchOutcome::NotLinearizable { watched, .. } => watched,
            _ => Watched::default(),
        },
    };
    let operations = involved(own, cut, culprit, &watched)
        .into_iter()
        .map(|position| indices[position])
        .collect();
    Counterexample {
        key,
        operations,
        explanation: explain(key, own[culprit], cut, &watched),
    }
}

/// Positions of the operations a person should look at, in the history cut at `cut`
/// where `culprit`'s completion (event `cut`) made it fail: the culprit; the
/// operations that completed before its invoke with nothing completing between them
/// and it (at most one a process: what fixes the state it starts from); the writes
/// concurrent with it, including the info and open ones invoked before it completed
/// that could have left a state it was refused in; and, for a get, the latest write
/// invoked before it completed that wrote the value it returned.
fn involved(own: &[&Operation], cut: usize, culprit: usize, watched: &Watched) -> Vec<usize> {
    let mut chosen = vec![culprit];
    let Some(target) = own.get(culprit) else {
        return chosen;
    };
    let called = target.invoke_index;
    let roles: Vec<Role> = own.iter().map(|op| role(op, Some(cut))).collect();
    let roles = &roles;
    let others = || {
        own.iter().enumerate().filter(move |&(position, op)| {
            position != culprit && roles[position] != Role::Dropped && op.invoke_index < cut
        })
    };
    let end = |position: usize, op: &Operation| match roles[position] {
        Role::Definite => op.complete_index,
        _ => None,
    };

    // When the search saw every state the culprit could meet, an info or open write
    // that leaves none of them was never what it met; naming it would only add noise.
    let knows_states = !watched.refused_in.is_empty() && !watched.accepted;
    let could_leave = |op: &Operation| match (op.function, &op.input) {
        (Function::Put, Value::Int(v)) | (Function::Cas, Value::Pair(_, v)) => {
            watched.refused_in.contains(&KeyValue::Int(*v))
        }
        (Function::Append, Value::Int(element)) => watched
            .refused_in
            .iter()
            .any(|state| matches!(state, KeyValue::List(items) if items.contains(element))),
        _ => false,
    };
    for (position, op) in others() {
        let concurrent = end(position, op).is_none_or(|event| event > called);
        let failed_cas = op.function == Function::Cas && op.outcome == Outcome::Fail;
        let relevant = match roles[position] {
            Role::Optional => !knows_states || could_leave(op),
            _ => !failed_cas,
        };
        if concurrent && op.function != Function::Get && relevant {
            chosen.push(position);
        }
    }

    let before: Vec<(usize, usize)> = others()
        .filter_map(|(position, op)| end(position, op).map(|event| (position, event)))
        .filter(|&(_, event)| event < called)
        .collect();
    let latest_invoke = before
        .iter()
        .map(|&(position, _)| own[position].invoke_index)
        .max();
    for &(position, event) in &before {
        if latest_invoke.is_none_or(|invoke| event > invoke) {
            chosen.push(position);
        }
    }

    if target.function == Function::Get && target.outcome == Outcome::Ok {
        let source = others()
            .filter(|(_, op)| writes_value(op, &target.output))
            .max_by_key(|(_, op)| op.invoke_index);
        if let Some((position, _)) = source {
            chosen.push(position);
        }
    }
    crate::sort::sort_stably_by(&mut chosen, |&position| position as u64);
    chosen.dedup();
    chosen
}

/// Whether `op`, taking effect, could leave the key holding `value`.
fn writes_value(op: &Operation, value: &Value) -> bool {
    match (op.function, &op.input, value) {
        (Function::Put, Value::Int(written), Value::Int(read)) => written == read,
        (Function::Cas, Value::Pair(_, new), Value::Int(read)) => {
            new == read && op.outcome != Outcome::Fail
        }
        (Function::Append, Value::Int(element), Value::List(items)) => {
            items.last() == Some(element)
        }
        _ => false,
    }
}

/// The one sentence of a counterexample.
fn explain(key: Key, culprit: &Operation, cut: usize, watched: &Watched) -> String {
    let process = culprit.process;
    let when = culprit.completed.unwrap_or(culprit.invoked);
    let what = match (culprit.function, &culprit.outcome, &culprit.input) {
        (Function::Get, Outcome::Ok, _) => {
            format!("get of key {key} returned {}", shown(&culprit.output))
        }
        (Function::Cas, Outcome::Ok, Value::Pair(old, new)) => {
            format!("cas of key {key} from {old} to {new} succeeded")
        }
        (Function::Cas, Outcome::Fail, Value::Pair(old, new)) => {
            format!("cas of key {key} from {old} to {new} failed")
        }
        (Function::Get, _, _) => format!("get of key {key} failed"),
        (function, Outcome::Fail, input) => {
            format!("{} of {input} to key {key} failed", function.name())
        }
        (function, _, input) => format!("{} of {input} to key {key} completed", function.name()),
    };
    let why = if watched.malformed {
        "but the model has no such operation (put and append take an integer, cas takes [old new])"
            .to_string()
    } else if role(culprit, Some(cut)) == Role::Dropped {
        "so it did not take effect, and without it no order of the operations before it agrees \
         with what they returned"
            .to_string()
    } else if !watched.refused_in.is_empty() && !watched.accepted {
        format!(
            "but every order of the operations before it leaves key {key} holding {}",
            alternatives(&watched.refused_in)
        )
    } else {
        "but no order of it and the operations before and during it agrees with what they all \
         returned"
            .to_string()
    };
    format!("c{process}'s {what} at {when}, {why}.")
}

/// A value as a sentence names it: `nothing` for nil.
fn shown(value: &Value) -> String {
    match value {
        Value::None => "nothing".to_string(),
        other => other.to_string(),
    }
}

/// "7", "7 or 9", "7, 9 or 11", up to five named, and past that "7, 9, 11, 13 or one
/// of 3 other values".
fn alternatives(values: &[KeyValue]) -> String {
    const LISTED: usize = 4;
    let names: Vec<String> = values.iter().map(KeyValue::to_string).collect();
    match names.len() {
        0 => String::new(),
        1 => names[0].clone(),
        // Naming one more value is shorter than "one of 1 other value".
        n if n <= LISTED + 1 => format!("{} or {}", names[..n - 1].join(", "), names[n - 1]),
        n => {
            let rest = n - LISTED;
            let noun = if rest == 1 { "value" } else { "values" };
            format!(
                "{} or one of {rest} other {noun}",
                names[..LISTED].join(", ")
            )
        }
    }
}
