//! Random histories that are linearizable by construction, for tests, benchmarks and
//! demonstrations.
//!
//! Client threads run one operation at a time. Each operation gets an invoke time, a
//! completion time, and an instant strictly between them at which it takes effect;
//! running the operations through the model in the order of their instants gives
//! their results, so those instants are a linearization. Some clients give up (info,
//! or no completion at all) on an operation that then takes effect at a random later
//! instant, possibly after the client gave up, or never; some put, get or append
//! operations fail without taking effect. A thread whose client gave up continues as
//! a new process, as Jepsen's do.

use super::event::{EventKind, Function, History, HistoryEvent, Key, ProcessId, Value};
use super::model::{apply, KeyValue};
use crate::sim::rng::Rng;
use crate::sim::time::Time;
use std::collections::BTreeMap;

/// The shape of a generated history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenerateOptions {
    /// Operations in the history.
    pub operations: usize,
    /// Client threads running at once.
    pub processes: u32,
    /// Keys `0..keys`.
    pub keys: u32,
    /// The last `list_keys` keys take appends and gets; the others put, get and cas
    /// (and an occasional append, which fails once the key holds an integer).
    pub list_keys: u32,
    /// Chance in parts per million that a client gives up on an operation.
    pub info_ppm: u32,
    /// Chance in parts per million that an operation fails without taking effect.
    pub fail_ppm: u32,
    /// Put and cas draw their integers from `0..values`; few values make many reads
    /// ambiguous, which is what makes checking hard.
    pub values: u64,
}

impl Default for GenerateOptions {
    /// 1000 operations, 5 processes, 10 keys of which 2 are lists, 2 % info, 1 % fail,
    /// values below 20.
    fn default() -> Self {
        GenerateOptions {
            operations: 1000,
            processes: 5,
            keys: 10,
            list_keys: 2,
            info_ppm: 20_000,
            fail_ppm: 10_000,
            values: 20,
        }
    }
}

/// How a planned operation ends.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// Completes at its completion time with the model's result.
    Completes,
    /// Fails at its completion time without taking effect.
    Fails,
    /// The client records info at its completion time.
    GivesUp,
    /// The client records nothing more.
    Vanishes,
}

struct Planned {
    process: ProcessId,
    function: Function,
    key: Key,
    invoked: u64,
    completed: u64,
    /// When it takes effect; `None`: never.
    instant: Option<u64>,
    ending: Ending,
    input: Value,
    result: Option<(EventKind, Value)>,
}

/// A history of `options.operations` operations, linearizable by construction; the
/// same seed and options give the same history.
pub fn linearizable_history(seed: u64, options: &GenerateOptions) -> History {
    let mut rng = Rng::new(seed);
    let threads = options.processes.max(1);
    let keys = options.keys.max(1);
    let list_keys = options.list_keys.min(keys);
    let values = options.values.max(1);

    let mut free_at: Vec<u64> = (0..threads).map(|_| rng.below(50)).collect();
    let mut process_of: Vec<ProcessId> = (0..threads).collect();
    let mut planned: Vec<Planned> = Vec::with_capacity(options.operations);
    for _ in 0..options.operations {
        let thread = (0..threads as usize)
            .min_by_key(|&t| (free_at[t], t))
            .unwrap_or(0);
        let invoked = free_at[thread];
        let duration = rng.range_inclusive(2, 300);
        let completed = invoked + duration;
        let key = rng.below(keys as u64) as Key;
        let function = if key >= keys - list_keys {
            if rng.coin() {
                Function::Get
            } else {
                Function::Append
            }
        } else {
            match rng.below(100) {
                0..=39 => Function::Get,
                40..=73 => Function::Put,
                74..=97 => Function::Cas,
                _ => Function::Append,
            }
        };
        let (ending, instant) = if rng.chance_ppm(options.info_ppm) {
            let ending = if rng.below(4) == 0 {
                Ending::Vanishes
            } else {
                Ending::GivesUp
            };
            // Late effects are the interesting ones: allowed long after the give-up.
            let instant = rng
                .coin()
                .then(|| invoked + rng.range_inclusive(1, duration * 4));
            (ending, instant)
        } else if rng.chance_ppm(options.fail_ppm) && function != Function::Cas {
            (Ending::Fails, None)
        } else {
            (
                Ending::Completes,
                Some(invoked + rng.range_inclusive(1, duration - 1)),
            )
        };
        planned.push(Planned {
            process: process_of[thread],
            function,
            key,
            invoked,
            completed,
            instant,
            ending,
            input: Value::None,
            result: None,
        });
        free_at[thread] = completed + rng.range_inclusive(1, 60);
        if matches!(ending, Ending::GivesUp | Ending::Vanishes) {
            process_of[thread] += threads;
        }
    }

    // Take effect in instant order, choosing inputs as the state then suggests (a cas
    // that expects the current value half the time, so some succeed).
    let mut order: Vec<usize> = (0..planned.len())
        .filter(|&i| planned[i].instant.is_some())
        .collect();
    order.sort_by_key(|&i| (planned[i].instant, i));
    let mut state: BTreeMap<Key, KeyValue> = BTreeMap::new();
    let mut next_element: BTreeMap<Key, i64> = BTreeMap::new();
    for i in order {
        let current = state.entry(planned[i].key).or_default();
        let input = draw_input(&mut rng, &planned[i], current, &mut next_element, values);
        if let Some(applied) = apply(current, planned[i].function, &input) {
            *current = applied.next;
            planned[i].result = Some((applied.kind, applied.output));
        }
        planned[i].input = input;
    }
    for op in planned.iter_mut().filter(|op| op.instant.is_none()) {
        op.input = draw_input(&mut rng, op, &KeyValue::Absent, &mut next_element, values);
    }

    let mut events: Vec<HistoryEvent> = Vec::with_capacity(planned.len() * 2);
    for op in &planned {
        let event = |kind: EventKind, value: Value, time: u64| HistoryEvent {
            process: op.process,
            kind,
            function: op.function,
            key: op.key,
            value,
            time: Time(time),
        };
        events.push(event(EventKind::Invoke, op.input.clone(), op.invoked));
        let completion = match op.ending {
            Ending::Completes => op.result.clone(),
            Ending::Fails => Some((EventKind::Fail, failure_value(op))),
            Ending::GivesUp => Some((EventKind::Info, op.input.clone())),
            Ending::Vanishes => None,
        };
        if let Some((kind, value)) = completion {
            events.push(event(kind, value, op.completed));
        }
    }
    // Stable: an operation's invoke stays before its completion at equal times.
    events.sort_by_key(|event| event.time);
    History { events }
}

fn draw_input(
    rng: &mut Rng,
    op: &Planned,
    current: &KeyValue,
    next_element: &mut BTreeMap<Key, i64>,
    values: u64,
) -> Value {
    let draw = |rng: &mut Rng| rng.below(values) as i64;
    match op.function {
        Function::Get => Value::None,
        Function::Put => Value::Int(draw(rng)),
        Function::Cas => {
            let old = match current {
                KeyValue::Int(v) if rng.coin() => *v,
                _ => draw(rng),
            };
            Value::Pair(old, draw(rng))
        }
        Function::Append => {
            // Unique elements per key, as Jepsen's list-append workload uses.
            let element = next_element.entry(op.key).or_insert(0);
            *element += 1;
            Value::Int(*element)
        }
    }
}

/// The value a failure records: Jepsen keeps the cas pair; put, get and append say nil.
fn failure_value(op: &Planned) -> Value {
    match op.input {
        Value::Pair(..) => op.input.clone(),
        _ => Value::None,
    }
}
