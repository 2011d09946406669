//! The sequential specification the checker holds histories to: one key of a
//! key-value store that holds nothing, an integer, or a list of integers.
//!
//! Every key starts [`KeyValue::Absent`] and keys never influence each other, so a
//! history is linearizable exactly when each key's operations are (Herlihy and Wing's
//! locality, which Porcupine calls P-compositionality). One operation, run alone:
//!
//! | operation | key holds | result | key then holds |
//! |---|---|---|---|
//! | `get` | anything | ok, the value (`nil` when absent, `v`, or `[a b c]`) | unchanged |
//! | `put v` | anything | ok | `v` |
//! | `cas [old new]` | `old` | ok | `new` |
//! | `cas [old new]` | anything else (absent, another integer, a list) | fail | unchanged |
//! | `append v` | nothing | ok | `[v]` |
//! | `append v` | `[a … z]` | ok | `[a … z v]` |
//! | `append v` | an integer | fail | unchanged |
//!
//! A key never holds an empty list, so a get that returns `[]` fits no state. Inputs
//! of the wrong shape (a put or append without an integer, a cas without `[old new]`)
//! are not operations of this model: [`apply`] returns `None` for them, and the checker
//! finds an ok completion of one impossible.
//!
//! The checker runs the same rules on interned states ([`StateTable`]): every value a
//! key can hold gets a small number, lists as a trie of (shorter list, last element),
//! so comparing or hashing a state is one integer operation and an append is one
//! table lookup however long the list is.

use super::event::{EventKind, Function, Value};
use super::hash::FixedState;
use std::collections::{HashMap, HashSet};
use std::fmt;

/// What a key holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyValue {
    /// Never written.
    #[default]
    Absent,
    /// Written by put or a successful cas.
    Int(i64),
    /// Built by appends; never empty.
    List(Vec<i64>),
}

impl KeyValue {
    /// The value a get of this key returns.
    pub fn to_value(&self) -> Value {
        match self {
            KeyValue::Absent => Value::None,
            KeyValue::Int(v) => Value::Int(*v),
            KeyValue::List(items) => Value::List(items.clone()),
        }
    }
}

/// For sentences: `nothing`, `7`, `[1 2 3]`.
impl fmt::Display for KeyValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyValue::Absent => f.write_str("nothing"),
            KeyValue::Int(v) => write!(f, "{v}"),
            KeyValue::List(items) => write!(f, "{}", Value::List(items.clone())),
        }
    }
}

/// What one operation does when it runs alone on a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    /// [`EventKind::Ok`] or [`EventKind::Fail`].
    pub kind: EventKind,
    /// The completion's value: the value read for get, `[old new]` for cas, `nil` for
    /// put and append.
    pub output: Value,
    /// What the key holds afterwards.
    pub next: KeyValue,
}

/// Runs `function` with `input` on a key holding `current`, by the table in the module
/// documentation; `None` when the input is not one the model accepts.
pub fn apply(current: &KeyValue, function: Function, input: &Value) -> Option<Applied> {
    let ok = |output: Value, next: KeyValue| Applied {
        kind: EventKind::Ok,
        output,
        next,
    };
    match (function, input) {
        (Function::Get, _) => Some(ok(current.to_value(), current.clone())),
        (Function::Put, Value::Int(v)) => Some(ok(Value::None, KeyValue::Int(*v))),
        (Function::Cas, Value::Pair(old, new)) => {
            if *current == KeyValue::Int(*old) {
                Some(ok(Value::Pair(*old, *new), KeyValue::Int(*new)))
            } else {
                Some(Applied {
                    kind: EventKind::Fail,
                    output: Value::Pair(*old, *new),
                    next: current.clone(),
                })
            }
        }
        (Function::Append, Value::Int(v)) => match current {
            KeyValue::Absent => Some(ok(Value::None, KeyValue::List(vec![*v]))),
            KeyValue::List(items) => {
                let mut longer = items.clone();
                longer.push(*v);
                Some(ok(Value::None, KeyValue::List(longer)))
            }
            KeyValue::Int(_) => Some(Applied {
                kind: EventKind::Fail,
                output: Value::None,
                next: current.clone(),
            }),
        },
        _ => None,
    }
}

/// A key's state as a number in a [`StateTable`].
pub(crate) type StateId = u32;

/// The state of a key never written.
pub(crate) const ABSENT: StateId = 0;

/// The root lists grow from. No key holds it (a key is absent until its first
/// append), so a read of `[]` compares unequal to every state.
const EMPTY_LIST: StateId = 1;

/// A value no key can hold (a read of `[old new]`, or a table that ran out of
/// numbers): equal to no state.
pub(crate) const IMPOSSIBLE: StateId = StateId::MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Node {
    Absent,
    EmptyList,
    Int(i64),
    /// The list `parent` with `element` appended.
    Cons {
        parent: StateId,
        element: i64,
    },
}

/// What an operation needs of the state and does to it, on interned states.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Effect {
    /// An ok get: the state must equal `expect`.
    Read { expect: StateId },
    /// A put: any state becomes `value`.
    Put { value: StateId },
    /// A cas that took effect: `old` becomes `new`.
    Cas { old: StateId, new: StateId },
    /// A cas that failed: a read that saw anything but `old`.
    CasFailed { old: StateId },
    /// An append of `element`: absent or a list grows by it.
    Append { element: i64 },
    /// An ok completion of an input the model has no operation for.
    Never,
}

/// Interned key states: equal values get equal numbers.
pub(crate) struct StateTable {
    nodes: Vec<Node>,
    numbers: HashMap<Node, StateId, FixedState>,
}

impl StateTable {
    pub(crate) fn new() -> Self {
        let mut table = StateTable {
            nodes: Vec::new(),
            numbers: HashMap::with_hasher(FixedState),
        };
        table.intern(Node::Absent);
        table.intern(Node::EmptyList);
        table
    }

    fn intern(&mut self, node: Node) -> StateId {
        if let Some(&number) = self.numbers.get(&node) {
            return number;
        }
        // Numbers are u32 to keep the search's memo small; a search long enough to
        // exhaust them would have hit any sensible budget first, but stay correct
        // anyway: the new state compares equal to nothing.
        let Ok(number) = StateId::try_from(self.nodes.len()) else {
            return IMPOSSIBLE;
        };
        if number == IMPOSSIBLE {
            return IMPOSSIBLE;
        }
        self.nodes.push(node);
        self.numbers.insert(node, number);
        number
    }

    pub(crate) fn int(&mut self, value: i64) -> StateId {
        self.intern(Node::Int(value))
    }

    /// The list `from` with `elements` appended one by one; `from` is [`ABSENT`] or
    /// a list. Walking from a list already interned (the previous read) keeps the
    /// cost proportional to what is new.
    pub(crate) fn extend_list(&mut self, from: StateId, elements: &[i64]) -> StateId {
        let mut current = if from == ABSENT { EMPTY_LIST } else { from };
        for &element in elements {
            if current == IMPOSSIBLE {
                break;
            }
            current = self.intern(Node::Cons {
                parent: current,
                element,
            });
        }
        current
    }

    /// The number of a value a get returned.
    pub(crate) fn value(&mut self, value: &Value) -> StateId {
        match value {
            Value::None => ABSENT,
            Value::Int(v) => self.int(*v),
            Value::List(items) => self.extend_list(EMPTY_LIST, items),
            Value::Pair(..) => IMPOSSIBLE,
        }
    }

    /// Runs `effect` on `state`: the next state, or `None` when the operation cannot
    /// take effect (or complete as recorded) in that state.
    pub(crate) fn step(&mut self, state: StateId, effect: Effect) -> Option<StateId> {
        match effect {
            Effect::Read { expect } => (state == expect).then_some(state),
            Effect::Put { value } => Some(value),
            Effect::Cas { old, new } => (state == old).then_some(new),
            Effect::CasFailed { old } => (state != old).then_some(state),
            Effect::Append { element } => {
                let parent = match self.nodes.get(state as usize)? {
                    Node::Absent => EMPTY_LIST,
                    Node::Cons { .. } => state,
                    Node::Int(_) | Node::EmptyList => return None,
                };
                let next = self.intern(Node::Cons { parent, element });
                (next != IMPOSSIBLE).then_some(next)
            }
            Effect::Never => None,
        }
    }

    /// Every element of the lists `lists`. Reads of a growing list share their
    /// prefixes in the trie, so each list is walked only down to the first node an
    /// earlier one already covered: the cost is the number of distinct lists, not the
    /// sum of their lengths.
    pub(crate) fn elements_of(&self, lists: &[StateId]) -> HashSet<i64, FixedState> {
        let mut covered = vec![false; self.nodes.len()];
        let mut elements = HashSet::with_hasher(FixedState);
        for &list in lists {
            let mut current = list as usize;
            while let (Some(Node::Cons { parent, element }), Some(false)) =
                (self.nodes.get(current), covered.get(current).copied())
            {
                covered[current] = true;
                elements.insert(*element);
                current = *parent as usize;
            }
        }
        elements
    }

    /// The value behind a number, for explanations.
    pub(crate) fn key_value(&self, state: StateId) -> KeyValue {
        let mut elements = Vec::new();
        let mut current = state;
        loop {
            match self.nodes.get(current as usize) {
                Some(Node::Absent) | None => return KeyValue::Absent,
                Some(Node::Int(v)) => return KeyValue::Int(*v),
                Some(Node::EmptyList) => {
                    elements.reverse();
                    return KeyValue::List(elements);
                }
                Some(Node::Cons { parent, element }) => {
                    elements.push(*element);
                    current = *parent;
                }
            }
        }
    }
}
