//! Tests of the history module: the model, pairing, the formats, hand-made histories
//! with known verdicts, and generated histories checked before and after corruption.

use super::generate::{linearizable_history, GenerateOptions};
use super::model::{apply, Applied, KeyValue, StateTable, ABSENT};
use super::search::{role, Role};
use super::*;
use crate::sim::rng::Rng;
use crate::sim::time::Time;
use std::collections::BTreeMap;

use EventKind::{Fail, Info, Invoke, Ok};
use Function::{Append, Cas, Get, Put};

/// An event at `micros` virtual microseconds.
fn at(
    micros: u64,
    process: ProcessId,
    kind: EventKind,
    function: Function,
    key: Key,
    value: Value,
) -> HistoryEvent {
    HistoryEvent {
        process,
        kind,
        function,
        key,
        value,
        time: Time(micros),
    }
}

/// A history from events given as (time, process, kind, function, key, value).
fn history(events: &[(u64, ProcessId, EventKind, Function, Key, Value)]) -> History {
    let mut history = History::new();
    for (micros, process, kind, function, key, value) in events.iter().cloned() {
        history.push(at(micros, process, kind, function, key, value));
    }
    history
}

fn int(v: i64) -> Value {
    Value::Int(v)
}

fn list(items: &[i64]) -> Value {
    Value::List(items.to_vec())
}

fn counterexample(verdict: &Verdict) -> &Counterexample {
    match verdict {
        Verdict::NotLinearizable(counterexample) => counterexample,
        other => panic!("expected not linearizable, got {other:?}"),
    }
}

fn points(verdict: &Verdict) -> &[(usize, Time)] {
    match verdict {
        Verdict::Linearizable(linearization) => &linearization.points,
        other => panic!("expected linearizable, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------
// The model

#[test]
fn model_follows_its_table() {
    let ok = |output: Value, next: KeyValue| {
        Some(Applied {
            kind: Ok,
            output,
            next,
        })
    };
    let failed = |output: Value, next: KeyValue| {
        Some(Applied {
            kind: Fail,
            output,
            next,
        })
    };
    let absent = KeyValue::Absent;
    let seven = KeyValue::Int(7);
    let listed = KeyValue::List(vec![1, 2]);
    assert_eq!(
        apply(&absent, Get, &Value::None),
        ok(Value::None, absent.clone())
    );
    assert_eq!(apply(&seven, Get, &Value::None), ok(int(7), seven.clone()));
    assert_eq!(
        apply(&listed, Get, &Value::None),
        ok(list(&[1, 2]), listed.clone())
    );
    assert_eq!(
        apply(&listed, Put, &int(3)),
        ok(Value::None, KeyValue::Int(3))
    );
    assert_eq!(
        apply(&seven, Cas, &Value::Pair(7, 8)),
        ok(Value::Pair(7, 8), KeyValue::Int(8))
    );
    for holding in [&absent, &KeyValue::Int(6), &listed] {
        assert_eq!(
            apply(holding, Cas, &Value::Pair(7, 8)),
            failed(Value::Pair(7, 8), holding.clone()),
            "cas on {holding:?}"
        );
    }
    assert_eq!(
        apply(&absent, Append, &int(4)),
        ok(Value::None, KeyValue::List(vec![4]))
    );
    assert_eq!(
        apply(&listed, Append, &int(4)),
        ok(Value::None, KeyValue::List(vec![1, 2, 4]))
    );
    assert_eq!(
        apply(&seven, Append, &int(4)),
        failed(Value::None, seven.clone())
    );
    // Inputs of the wrong shape are not operations of the model.
    assert_eq!(apply(&absent, Put, &Value::None), None);
    assert_eq!(apply(&absent, Put, &Value::Pair(1, 2)), None);
    assert_eq!(apply(&absent, Cas, &int(1)), None);
    assert_eq!(apply(&absent, Append, &list(&[1])), None);
}

#[test]
fn interned_states_follow_the_model() {
    use super::model::Effect;
    let mut rng = Rng::new(11);
    for _ in 0..200 {
        let mut table = StateTable::new();
        let mut state = ABSENT;
        let mut value = KeyValue::Absent;
        for _ in 0..40 {
            let (function, input) = match rng.below(4) {
                0 => (Get, Value::None),
                1 => (Put, int(rng.below(3) as i64)),
                2 => (Cas, Value::Pair(rng.below(3) as i64, rng.below(3) as i64)),
                _ => (Append, int(rng.below(3) as i64)),
            };
            let applied = apply(&value, function, &input).expect("well-formed");
            let effect = match (function, &input) {
                (Get, _) => Effect::Read {
                    expect: table.value(&applied.output),
                },
                (Put, Value::Int(v)) => Effect::Put {
                    value: table.int(*v),
                },
                (Cas, Value::Pair(old, new)) if applied.kind == Ok => Effect::Cas {
                    old: table.int(*old),
                    new: table.int(*new),
                },
                (Cas, Value::Pair(old, _)) => Effect::CasFailed {
                    old: table.int(*old),
                },
                (Append, Value::Int(v)) => Effect::Append { element: *v },
                _ => unreachable!(),
            };
            let next = table.step(state, effect);
            if applied.kind == Fail && function == Append {
                assert_eq!(next, None, "append on an integer");
            } else {
                state = next.expect("the interned model agrees");
            }
            value = applied.next;
            assert_eq!(table.key_value(state), value);
        }
    }
}

#[test]
fn reads_of_impossible_values_match_no_state() {
    let mut table = StateTable::new();
    let empty = table.value(&list(&[]));
    let pair = table.value(&Value::Pair(1, 2));
    let one = table.extend_list(ABSENT, &[1]);
    for state in [ABSENT, table.int(0), one] {
        assert_ne!(state, empty);
        assert_ne!(state, pair);
    }
    assert_eq!(table.value(&list(&[1, 2])), table.extend_list(one, &[2]));
}

#[test]
fn key_values_read_as_a_sentence_would() {
    assert_eq!(KeyValue::Absent.to_string(), "nothing");
    assert_eq!(KeyValue::Int(-3).to_string(), "-3");
    assert_eq!(KeyValue::List(vec![1, 2, 3]).to_string(), "[1 2 3]");
}

// ---------------------------------------------------------------------------------
// Pairing

#[test]
fn operations_pair_each_invoke_with_its_processes_next_completion() {
    let h = history(&[
        (1, 0, Invoke, Put, 3, int(7)),
        (2, 1, Invoke, Get, 3, Value::None),
        (3, 1, Ok, Get, 3, int(7)),
        (4, 0, Ok, Put, 3, Value::None),
        (5, 2, Invoke, Cas, 4, Value::Pair(1, 2)),
        (6, 2, Fail, Cas, 4, Value::Pair(1, 2)),
        (7, 3, Invoke, Append, 4, int(9)),
        (8, 3, Info, Append, 4, int(9)),
        (9, 4, Invoke, Get, 5, Value::None),
    ]);
    let operations = h.operations();
    assert_eq!(operations.len(), 5);
    let put = &operations[0];
    assert_eq!(
        (put.process, put.function, put.key, &put.input, &put.output),
        (0, Put, 3, &int(7), &Value::None)
    );
    assert_eq!(put.outcome, Outcome::Ok);
    assert_eq!((put.invoked, put.completed), (Time(1), Some(Time(4))));
    assert_eq!((put.invoke_index, put.complete_index), (0, Some(3)));
    let get = &operations[1];
    assert_eq!((&get.output, get.complete_index), (&int(7), Some(2)));
    assert_eq!(operations[2].outcome, Outcome::Fail);
    assert_eq!(operations[2].output, Value::Pair(1, 2));
    let info = &operations[3];
    assert_eq!(info.outcome, Outcome::Info);
    assert_eq!((info.completed, info.complete_index), (None, Some(7)));
    assert_eq!(info.output, Value::None);
    let open = &operations[4];
    assert_eq!(open.outcome, Outcome::Open);
    assert_eq!((open.completed, open.complete_index), (None, None));
}

#[test]
fn malformed_pairings_are_tolerated() {
    let h = history(&[
        (1, 0, Ok, Get, 1, int(5)),     // a completion without an invoke: ignored
        (2, 0, Invoke, Put, 1, int(1)), // left open by the next invoke of process 0
        (3, 0, Invoke, Put, 1, int(2)), // paired with the ok below
        (4, 0, Ok, Append, 9, Value::None), // function and key come from the invoke
        (5, 0, Info, Put, 1, Value::None), // nothing pending any more: ignored
    ]);
    let operations = h.operations();
    assert_eq!(operations.len(), 2);
    assert_eq!(operations[0].outcome, Outcome::Open);
    assert_eq!(operations[0].input, int(1));
    assert_eq!(operations[1].outcome, Outcome::Ok);
    assert_eq!((operations[1].function, operations[1].key), (Put, 1));
    assert_eq!(operations[1].complete_index, Some(3));
}

// ---------------------------------------------------------------------------------
// Formats

#[test]
fn edn_lines_are_jepsen_op_maps() {
    let h = history(&[
        (1_200_000, 0, Invoke, Put, 3, int(7)),
        (1_200_500, 0, Ok, Put, 3, Value::None),
        (1_300_000, 1, Invoke, Cas, 3, Value::Pair(7, 8)),
        (1_300_001, 1, Fail, Cas, 3, Value::Pair(7, 8)),
        (1_400_000, 12, Invoke, Get, 10, Value::None),
        (1_400_002, 12, Ok, Get, 10, list(&[1, 2, 3])),
        (1_500_000, 2, Invoke, Append, 0, int(-4)),
        (1_500_003, 2, Info, Append, 0, int(-4)),
    ]);
    let expected = "\
{:process 0, :type :invoke, :f :put, :key \"3\", :value 7, :time 1200000000}
{:process 0, :type :ok, :f :put, :key \"3\", :value nil, :time 1200500000}
{:process 1, :type :invoke, :f :cas, :key \"3\", :value [7 8], :time 1300000000}
{:process 1, :type :fail, :f :cas, :key \"3\", :value [7 8], :time 1300001000}
{:process 12, :type :invoke, :f :get, :key \"10\", :value nil, :time 1400000000}
{:process 12, :type :ok, :f :get, :key \"10\", :value [1 2 3], :time 1400002000}
{:process 2, :type :invoke, :f :append, :key \"0\", :value -4, :time 1500000000}
{:process 2, :type :info, :f :append, :key \"0\", :value -4, :time 1500003000}
";
    assert_eq!(to_edn(&h), expected);
    assert_eq!(
        event_edn(&h.events[0]),
        "{:process 0, :type :invoke, :f :put, :key \"3\", :value 7, :time 1200000000}"
    );
    assert_eq!(to_edn(&History::new()), "");
}

#[test]
fn json_lines_carry_the_same_fields() {
    let h = history(&[
        (1_200_000, 0, Invoke, Put, 3, int(7)),
        (1_200_500, 0, Ok, Put, 3, Value::None),
        (1_300_000, 1, Invoke, Cas, 3, Value::Pair(7, 8)),
        (1_400_002, 12, Ok, Get, 10, list(&[1, 2, 3])),
        (1_400_003, 12, Ok, Get, 10, list(&[])),
        (1_500_003, 2, Info, Append, 0, int(-4)),
    ]);
    let expected = "\
{\"process\":0,\"type\":\"invoke\",\"f\":\"put\",\"key\":\"3\",\"value\":7,\"time\":1200000000}
{\"process\":0,\"type\":\"ok\",\"f\":\"put\",\"key\":\"3\",\"value\":null,\"time\":1200500000}
{\"process\":1,\"type\":\"invoke\",\"f\":\"cas\",\"key\":\"3\",\"value\":[7,8],\"time\":1300000000}
{\"process\":12,\"type\":\"ok\",\"f\":\"get\",\"key\":\"10\",\"value\":[1,2,3],\"time\":1400002000}
{\"process\":12,\"type\":\"ok\",\"f\":\"get\",\"key\":\"10\",\"value\":[],\"time\":1400003000}
{\"process\":2,\"type\":\"info\",\"f\":\"append\",\"key\":\"0\",\"value\":-4,\"time\":1500003000}
";
    assert_eq!(to_json_lines(&h), expected);
    assert_eq!(
        event_json(&h.events[0]),
        "{\"process\":0,\"type\":\"invoke\",\"f\":\"put\",\"key\":\"3\",\"value\":7,\"time\":1200000000}"
    );
}

#[test]
fn the_latest_virtual_time_does_not_overflow_nanoseconds() {
    let mut event = at(0, 0, Invoke, Get, 0, Value::None);
    event.time = Time::NEVER;
    assert!(event_edn(&event).ends_with(":time 18446744073709551615000}"));
    assert!(event_json(&event).ends_with("\"time\":18446744073709551615000}"));
}

// ---------------------------------------------------------------------------------
// Hand-made histories

#[test]
fn an_empty_history_is_linearizable() {
    assert_eq!(
        check(&History::new()),
        Verdict::Linearizable(Linearization::default())
    );
}

#[test]
fn a_read_concurrent_with_a_put_may_see_it() {
    // p1's get starts and ends while p0's put is running, and sees its value.
    let h = history(&[
        (0, 0, Invoke, Put, 1, int(1)),
        (2, 1, Invoke, Get, 1, Value::None),
        (5, 1, Ok, Get, 1, int(1)),
        (10, 0, Ok, Put, 1, Value::None),
    ]);
    let verdict = check(&h);
    assert_eq!(points(&verdict), &[(0, Time(0)), (1, Time(2))]);
    // Or not see it: the get then goes first.
    let mut before = h.clone();
    before.events[2].value = Value::None;
    assert_eq!(points(&check(&before)), &[(1, Time(2)), (0, Time(2))]);
}

#[test]
fn concurrent_puts_are_ordered_by_what_later_reads_saw() {
    // The puts overlap; the reads after both say 1 won, so 2 went first.
    let h = history(&[
        (0, 0, Invoke, Put, 1, int(1)),
        (1, 1, Invoke, Put, 1, int(2)),
        (5, 0, Ok, Put, 1, Value::None),
        (6, 1, Ok, Put, 1, Value::None),
        (7, 2, Invoke, Get, 1, Value::None),
        (8, 2, Ok, Get, 1, int(1)),
        (9, 2, Invoke, Get, 1, Value::None),
        (10, 2, Ok, Get, 1, int(1)),
    ]);
    let verdict = check(&h);
    let order: Vec<usize> = points(&verdict).iter().map(|&(i, _)| i).collect();
    assert_eq!(order, vec![1, 0, 2, 3]);
}

#[test]
fn a_stale_read_after_a_completed_put_is_caught() {
    let h = history(&[
        (1_000, 0, Invoke, Put, 3, int(5)),
        (1_100, 0, Ok, Put, 3, Value::None),
        (1_150, 1, Invoke, Put, 3, int(7)),
        (1_180, 1, Ok, Put, 3, Value::None),
        (1_190, 2, Invoke, Get, 3, Value::None),
        (1_200_000, 2, Ok, Get, 3, int(5)),
    ]);
    let verdict = check(&h);
    let found = counterexample(&verdict);
    assert_eq!(found.key, 3);
    assert_eq!(
        found.explanation,
        "c2's get of key 3 returned 5 at 1200.000ms, but every order of the operations \
         before it leaves key 3 holding 7."
    );
    // The read, the put it missed, and the put whose value it saw.
    assert_eq!(found.operations, vec![0, 1, 2]);
}

#[test]
fn a_lost_append_is_caught() {
    let h = history(&[
        (0, 0, Invoke, Append, 2, int(1)),
        (1, 0, Ok, Append, 2, Value::None),
        (2, 1, Invoke, Append, 2, int(2)),
        (3, 1, Ok, Append, 2, Value::None),
        (4, 0, Invoke, Get, 2, Value::None),
        (5, 0, Ok, Get, 2, list(&[1])),
    ]);
    let verdict = check(&h);
    let found = counterexample(&verdict);
    assert_eq!(found.operations, vec![0, 1, 2]);
    assert_eq!(
        found.explanation,
        "c0's get of key 2 returned [1] at 0.005ms, but every order of the operations \
         before it leaves key 2 holding [1 2]."
    );
}

#[test]
fn two_cas_succeeding_from_the_same_old_value_are_caught() {
    let h = history(&[
        (0, 0, Invoke, Put, 4, int(0)),
        (1, 0, Ok, Put, 4, Value::None),
        (2, 1, Invoke, Cas, 4, Value::Pair(0, 1)),
        (3, 1, Ok, Cas, 4, Value::Pair(0, 1)),
        (4, 2, Invoke, Cas, 4, Value::Pair(0, 2)),
        (5, 2, Ok, Cas, 4, Value::Pair(0, 2)),
    ]);
    let verdict = check(&h);
    let found = counterexample(&verdict);
    assert_eq!(found.operations, vec![1, 2]);
    assert_eq!(
        found.explanation,
        "c2's cas of key 4 from 0 to 2 succeeded at 0.005ms, but every order of the \
         operations before it leaves key 4 holding 1."
    );
    // Had they overlapped, one could have gone first and the other failed... but both
    // succeeded, so overlapping does not help either.
    let mut overlapping = h.clone();
    overlapping.events.swap(3, 4);
    assert!(matches!(check(&overlapping), Verdict::NotLinearizable(_)));
}

#[test]
fn an_info_put_may_take_effect_late() {
    // p0 gave up on its put at 2, yet a read at 20 sees it: it took effect late.
    let h = history(&[
        (0, 0, Invoke, Put, 1, int(9)),
        (2, 0, Info, Put, 1, int(9)),
        (10, 1, Invoke, Get, 1, Value::None),
        (11, 1, Ok, Get, 1, Value::None),
        (20, 1, Invoke, Get, 1, Value::None),
        (21, 1, Ok, Get, 1, int(9)),
    ]);
    // The put is placed right after the first read, the earliest instant that works.
    assert_eq!(
        points(&check(&h)),
        &[(1, Time(10)), (0, Time(10)), (2, Time(20))]
    );
}

#[test]
fn an_info_put_may_never_take_effect() {
    let h = history(&[
        (0, 0, Invoke, Put, 1, int(9)),
        (2, 0, Info, Put, 1, int(9)),
        (10, 1, Invoke, Get, 1, Value::None),
        (11, 1, Ok, Get, 1, Value::None),
        (20, 1, Invoke, Get, 1, Value::None),
        (21, 1, Ok, Get, 1, Value::None),
    ]);
    assert_eq!(points(&check(&h)), &[(1, Time(10)), (2, Time(20))]);
}

#[test]
fn an_open_operation_may_have_taken_effect() {
    let h = history(&[
        (0, 0, Invoke, Append, 1, int(9)),
        (10, 1, Invoke, Get, 1, Value::None),
        (11, 1, Ok, Get, 1, list(&[9])),
    ]);
    assert_eq!(points(&check(&h)), &[(0, Time(0)), (1, Time(10))]);
}

#[test]
fn info_operations_chain_when_a_read_needs_them() {
    // Only the info put of 5 then the info cas 5 -> 6 explain the read of 6 on key 1,
    // and only the info appends of 1 then 2 explain the read of [1 2] on key 2.
    let h = history(&[
        (0, 0, Invoke, Put, 1, int(5)),
        (1, 0, Info, Put, 1, int(5)),
        (2, 1, Invoke, Cas, 1, Value::Pair(5, 6)),
        (3, 1, Info, Cas, 1, Value::Pair(5, 6)),
        (6, 3, Invoke, Get, 1, Value::None),
        (7, 3, Ok, Get, 1, int(6)),
        (8, 4, Invoke, Append, 2, int(2)),
        (9, 5, Invoke, Append, 2, int(1)),
        (10, 6, Invoke, Get, 2, Value::None),
        (11, 6, Ok, Get, 2, list(&[1, 2])),
    ]);
    let verdict = check(&h);
    assert_eq!(points(&verdict).len(), 6, "{verdict:?}");
    if let Verdict::Linearizable(linearization) = &verdict {
        verify(&h, linearization).expect("a valid linearization");
    }
}

#[test]
fn info_operations_are_used_at_most_once() {
    // Reads of 6, 5, 6 fit: put 6, put 5 (late), cas 5 -> 6 (late). A fourth read of
    // 5 does not: each of those writes can take effect only once.
    let mut events = vec![
        (0, 0, Invoke, Put, 1, int(5)),
        (1, 0, Info, Put, 1, int(5)),
        (2, 1, Invoke, Cas, 1, Value::Pair(5, 6)),
        (3, 1, Info, Cas, 1, Value::Pair(5, 6)),
        (4, 2, Invoke, Put, 1, int(6)),
        (5, 2, Info, Put, 1, int(6)),
    ];
    for (i, seen) in [6, 5, 6].into_iter().enumerate() {
        let start = 10 + 2 * i as u64;
        events.push((start, 3, Invoke, Get, 1, Value::None));
        events.push((start + 1, 3, Ok, Get, 1, int(seen)));
    }
    let fits = history(&events);
    match check(&fits) {
        Verdict::Linearizable(linearization) => {
            verify(&fits, &linearization).expect("a valid linearization")
        }
        other => panic!("{other:?}"),
    }
    events.push((20, 3, Invoke, Get, 1, Value::None));
    events.push((21, 3, Ok, Get, 1, int(5)));
    let verdict = check(&history(&events));
    let found = counterexample(&verdict);
    assert_eq!(
        found.explanation,
        "c3's get of key 1 returned 5 at 0.021ms, but every order of the operations \
         before it leaves key 1 holding 6."
    );
    // The read, the one before it, and the info writes that might have intervened.
    assert_eq!(found.operations, vec![0, 1, 2, 5, 6]);
}

#[test]
fn a_failed_cas_is_a_read_of_another_value() {
    let base = [
        (0, 0, Invoke, Put, 2, int(1)),
        (1, 0, Ok, Put, 2, Value::None),
        (2, 1, Invoke, Cas, 2, Value::Pair(1, 3)),
        (3, 1, Fail, Cas, 2, Value::Pair(1, 3)),
    ];
    let verdict = check(&history(&base));
    let found = counterexample(&verdict);
    assert_eq!(
        found.explanation,
        "c1's cas of key 2 from 1 to 3 failed at 0.003ms, but every order of the \
         operations before it leaves key 2 holding 1."
    );
    assert_eq!(found.operations, vec![0, 1]);
    // Expecting another value, the failure is fine; and it is listed as a read.
    let mut other = base.to_vec();
    other[2].5 = Value::Pair(2, 3);
    other[3].5 = Value::Pair(2, 3);
    assert_eq!(
        points(&check(&history(&other))),
        &[(0, Time(0)), (1, Time(2))]
    );
    // A concurrent put of 4 can explain the failure.
    let mut raced = base.to_vec();
    raced.push((2, 2, Invoke, Put, 2, int(4)));
    raced.push((4, 2, Ok, Put, 2, Value::None));
    raced.sort_by_key(|e| e.0);
    assert!(check(&history(&raced)).is_linearizable());
}

#[test]
fn failed_puts_gets_and_appends_never_happened() {
    let h = history(&[
        (0, 0, Invoke, Put, 1, int(5)),
        (1, 0, Fail, Put, 1, Value::None),
        (2, 0, Invoke, Append, 1, int(5)),
        (3, 0, Fail, Append, 1, Value::None),
        (4, 0, Invoke, Get, 1, Value::None),
        (5, 0, Fail, Get, 1, int(99)),
        (6, 1, Invoke, Get, 1, Value::None),
        (7, 1, Ok, Get, 1, Value::None),
    ]);
    assert_eq!(points(&check(&h)), &[(3, Time(6))]);
    let mut saw_it = h.clone();
    saw_it.events[7].value = int(5);
    let verdict = check(&saw_it);
    let found = counterexample(&verdict);
    assert_eq!(
        found.explanation,
        "c1's get of key 1 returned 5 at 0.007ms, but every order of the operations \
         before it leaves key 1 holding nothing."
    );
}

#[test]
fn an_ok_append_to_an_integer_is_impossible() {
    let h = history(&[
        (0, 0, Invoke, Put, 1, int(5)),
        (1, 0, Ok, Put, 1, Value::None),
        (2, 0, Invoke, Append, 1, int(6)),
        (3, 0, Ok, Append, 1, Value::None),
    ]);
    let verdict = check(&h);
    assert_eq!(
        counterexample(&verdict).explanation,
        "c0's append of 6 to key 1 completed at 0.003ms, but every order of the operations \
         before it leaves key 1 holding 5."
    );
    let mut failed = h.clone();
    failed.events[3].kind = Fail;
    assert!(check(&failed).is_linearizable());
}

#[test]
fn malformed_ok_operations_are_impossible_and_say_so() {
    let h = history(&[
        (0, 0, Invoke, Put, 1, Value::Pair(1, 2)),
        (1, 0, Ok, Put, 1, Value::None),
    ]);
    let verdict = check(&h);
    assert_eq!(
        counterexample(&verdict).explanation,
        "c0's put of [1 2] to key 1 completed at 0.001ms, but the model has no such \
         operation (put and append take an integer, cas takes [old new])."
    );
    // Not completed ok, they cannot matter.
    let mut info = h.clone();
    info.events[1].kind = Info;
    assert!(check(&info).is_linearizable());
}

#[test]
fn a_read_of_an_empty_list_fits_no_state() {
    let h = history(&[
        (0, 0, Invoke, Get, 1, Value::None),
        (1, 0, Ok, Get, 1, list(&[])),
    ]);
    assert!(matches!(check(&h), Verdict::NotLinearizable(_)));
}

#[test]
fn an_info_write_invoked_after_a_read_completed_cannot_explain_it() {
    let h = history(&[
        (0, 0, Invoke, Get, 1, Value::None),
        (1, 0, Ok, Get, 1, int(9)),
        (2, 1, Invoke, Put, 1, int(9)),
        (3, 1, Info, Put, 1, int(9)),
    ]);
    let verdict = check(&h);
    assert_eq!(counterexample(&verdict).operations, vec![0]);
}

#[test]
fn the_first_failing_key_in_key_order_is_reported() {
    let stale = |key: Key, start: u64| {
        [
            (start, 0, Invoke, Put, key, int(1)),
            (start + 1, 0, Ok, Put, key, Value::None),
            (start + 2, 1, Invoke, Get, key, Value::None),
            (start + 3, 1, Ok, Get, key, int(2)),
        ]
    };
    let mut events = stale(9, 0).to_vec();
    events.extend(stale(4, 10));
    events.extend([
        (20, 2, Invoke, Put, 1, int(1)),
        (21, 2, Ok, Put, 1, Value::None),
    ]);
    let verdict = check(&history(&events));
    assert_eq!(counterexample(&verdict).key, 4);
    assert_eq!(counterexample(&verdict).operations, vec![2, 3]);
}

#[test]
fn precedence_follows_the_order_of_events_not_their_times() {
    // All at the same instant: the put completes before the get is invoked.
    let h = history(&[
        (5, 0, Invoke, Put, 1, int(1)),
        (5, 0, Ok, Put, 1, Value::None),
        (5, 1, Invoke, Get, 1, Value::None),
        (5, 1, Ok, Get, 1, Value::None),
    ]);
    assert!(matches!(check(&h), Verdict::NotLinearizable(_)));
    // Times running backwards do not confuse it either.
    let mut backwards = h.clone();
    for (i, event) in backwards.events.iter_mut().enumerate() {
        event.time = Time(100 - i as u64);
    }
    assert!(matches!(check(&backwards), Verdict::NotLinearizable(_)));
    backwards.events[3].value = int(1);
    let verdict = check(&backwards);
    for &(index, instant) in points(&verdict) {
        let operation = &backwards.operations()[index];
        assert!(
            Some(instant) <= operation.completed,
            "clamped into its interval"
        );
    }
}

#[test]
fn the_budget_bounds_the_search_and_unknown_says_how_far_it_got() {
    // Key 1 needs two configurations, key 2 one.
    let h = history(&[
        (0, 0, Invoke, Put, 1, int(1)),
        (1, 0, Ok, Put, 1, Value::None),
        (2, 0, Invoke, Put, 1, int(2)),
        (3, 0, Ok, Put, 1, Value::None),
        (4, 0, Invoke, Put, 2, int(1)),
        (5, 0, Ok, Put, 2, Value::None),
    ]);
    assert_eq!(check_with_budget(&h, 0), Verdict::Unknown { explored: 0 });
    assert_eq!(check_with_budget(&h, 1), Verdict::Unknown { explored: 2 });
    assert!(check_with_budget(&h, 2).is_linearizable());
    assert!(check_with_budget(&History::new(), 0).is_linearizable());
}

#[test]
fn a_known_failure_is_reported_even_after_an_unknown_key() {
    let mut events = vec![];
    // Key 0 needs more than one configuration; key 1 fails at its first.
    for i in 0..3 {
        events.push((i * 2, 0, Invoke, Put, 0, int(i as i64)));
        events.push((i * 2 + 1, 0, Ok, Put, 0, Value::None));
    }
    events.push((10, 1, Invoke, Get, 1, Value::None));
    events.push((11, 1, Ok, Get, 1, int(3)));
    let verdict = check_with_budget(&history(&events), 1);
    assert_eq!(counterexample(&verdict).key, 1);
}

// ---------------------------------------------------------------------------------
// Generated histories

/// Replays a linearization through the model and checks every promise it makes.
fn verify(history: &History, linearization: &Linearization) -> Result<(), String> {
    let operations = history.operations();
    let mut chosen = vec![false; operations.len()];
    let mut by_key: BTreeMap<Key, Vec<usize>> = BTreeMap::new();
    let mut previous = Time::ZERO;
    for &(index, instant) in &linearization.points {
        let operation = operations.get(index).ok_or("index out of range")?;
        if std::mem::replace(&mut chosen[index], true) {
            return Err(format!("operation {index} listed twice"));
        }
        if instant < previous {
            return Err("points not sorted by instant".into());
        }
        previous = instant;
        if instant < operation.invoked || operation.completed.is_some_and(|end| instant > end) {
            return Err(format!("operation {index} placed outside its interval"));
        }
        by_key.entry(operation.key).or_default().push(index);
    }
    for (index, operation) in operations.iter().enumerate() {
        let must = role(operation, None) == Role::Definite;
        if must && !chosen[index] {
            return Err(format!("completed operation {index} missing"));
        }
        if role(operation, None) == Role::Dropped && chosen[index] {
            return Err(format!("operation {index} cannot take effect"));
        }
    }
    for (key, order) in by_key {
        let mut value = KeyValue::Absent;
        for (place, &index) in order.iter().enumerate() {
            let operation = &operations[index];
            let applied = apply(&value, operation.function, &operation.input)
                .ok_or(format!("operation {index} malformed"))?;
            let expected_kind = match operation.outcome {
                Outcome::Fail => Fail,
                _ => Ok,
            };
            if applied.kind != expected_kind {
                return Err(format!("operation {index} on key {key} cannot complete so"));
            }
            if operation.function == Get
                && operation.outcome == Outcome::Ok
                && applied.output != operation.output
            {
                return Err(format!("get {index} on key {key} saw another value"));
            }
            // Real time: nothing placed later may have completed before this began.
            for &later in &order[place + 1..] {
                let later = &operations[later];
                if role(later, None) == Role::Definite
                    && later
                        .complete_index
                        .is_some_and(|end| end < operation.invoke_index)
                {
                    return Err(format!(
                        "operation {index} placed after one that preceded it"
                    ));
                }
            }
            value = applied.next;
        }
    }
    // `Ok` alone is the event kind in this file.
    Result::Ok(())
}

fn options_for(rng: &mut Rng) -> GenerateOptions {
    GenerateOptions {
        operations: rng.range_inclusive(50, 300) as usize,
        ..GenerateOptions::default()
    }
}

/// Makes one ok get of `history` impossible: returns the corrupted history and the
/// index (into operations) of the get.
fn corrupt(history: &History, rng: &mut Rng) -> Option<(History, usize)> {
    let operations = history.operations();
    let gets: Vec<usize> = (0..operations.len())
        .filter(|&i| operations[i].function == Get && operations[i].outcome == Outcome::Ok)
        .collect();
    let &read = rng.pick(&gets)?;
    let operation = &operations[read];
    let stale = if rng.coin() {
        stale_value(&operations, read, rng)
    } else {
        None
    };
    let value = stale.unwrap_or_else(|| match &operation.output {
        // Appended elements are small and unique; a million was never appended.
        Value::List(items) => {
            let mut longer = items.clone();
            longer.push(1_000_000);
            Value::List(longer)
        }
        _ => Value::Int(1_000_000),
    });
    let mut corrupted = history.clone();
    corrupted.events[operation.complete_index?].value = value;
    Some((corrupted, read))
}

/// A value the key held earlier but that was certainly overwritten before the read
/// was invoked, if the history has one.
fn stale_value(operations: &[Operation], read: usize, rng: &mut Rng) -> Option<Value> {
    let get = &operations[read];
    let same_key: Vec<&Operation> = operations.iter().filter(|op| op.key == get.key).collect();
    let completed_before = |op: &Operation| {
        op.outcome == Outcome::Ok && op.complete_index.is_some_and(|end| end < get.invoke_index)
    };
    if let Value::List(items) = &get.output {
        // Before an append that completed earlier, the list lacked its element.
        let mut cuts: Vec<usize> = same_key
            .iter()
            .filter(|op| op.function == Append && completed_before(op))
            .filter_map(|op| match op.input {
                Value::Int(element) => items.iter().position(|&e| e == element),
                _ => None,
            })
            .collect();
        cuts.sort_unstable();
        cuts.dedup();
        let &cut = rng.pick(&cuts)?;
        return Some(if cut == 0 {
            Value::None
        } else {
            Value::List(items[..cut].to_vec())
        });
    }
    // An integer v is impossible if every write that could leave v completed before
    // some ok write of another value began, and that write completed before the read.
    let writes = |op: &Operation| -> Option<i64> {
        match (op.function, &op.input) {
            (Put, Value::Int(v)) if op.outcome != Outcome::Fail => Some(*v),
            (Cas, Value::Pair(_, new)) if op.outcome != Outcome::Fail => Some(*new),
            _ => None,
        }
    };
    let mut candidates: Vec<i64> = same_key
        .iter()
        .filter(|op| op.outcome == Outcome::Ok)
        .filter_map(|op| writes(op))
        .filter(|&v| get.output != Value::Int(v))
        .collect();
    candidates.sort_unstable();
    candidates.dedup();
    rng.shuffle(&mut candidates);
    candidates.into_iter().find_map(|v| {
        let mut last_write_of_v = 0;
        for op in same_key.iter().filter(|op| writes(op) == Some(v)) {
            last_write_of_v = last_write_of_v.max(
                op.complete_index
                    .filter(|_| matches!(op.outcome, Outcome::Ok))?,
            );
        }
        let overwritten = same_key.iter().any(|op| {
            completed_before(op)
                && op.invoke_index > last_write_of_v
                && writes(op).is_some_and(|w| w != v)
        });
        overwritten.then_some(Value::Int(v))
    })
}

#[test]
fn generated_histories_are_linearizable_and_corrupted_reads_are_caught() {
    let mut rng = Rng::new(2024);
    let mut caught = 0;
    let mut stale = 0;
    for seed in 0..300 {
        let options = options_for(&mut rng);
        let generated = linearizable_history(seed, &options);
        assert_eq!(generated.operations().len(), options.operations);
        let verdict = check(&generated);
        match &verdict {
            Verdict::Linearizable(linearization) => {
                if let Err(problem) = verify(&generated, linearization) {
                    panic!("seed {seed}: {problem}\n{}", to_edn(&generated));
                }
            }
            other => panic!("seed {seed}: {other:?}\n{}", to_edn(&generated)),
        }
        let Some((corrupted, read)) = corrupt(&generated, &mut rng) else {
            continue;
        };
        let operations = corrupted.operations();
        if operations[read].output != Value::Int(1_000_000)
            && !matches!(&operations[read].output, Value::List(items) if items.last() == Some(&1_000_000))
        {
            stale += 1;
        }
        let verdict = check(&corrupted);
        let found = match &verdict {
            Verdict::NotLinearizable(found) => found,
            other => panic!("seed {seed}: corrupted read {read} passed: {other:?}"),
        };
        assert_eq!(found.key, operations[read].key, "seed {seed}");
        assert!(
            found.operations.contains(&read),
            "seed {seed}: {found:?} misses read {read}"
        );
        let process = format!("c{}'s get of key {}", operations[read].process, found.key);
        assert!(
            found.explanation.starts_with(&process),
            "{}",
            found.explanation
        );
        caught += 1;
    }
    assert!(caught > 250, "only {caught} corrupted");
    assert!(stale > 50, "only {stale} stale reads");
}

#[test]
fn generated_histories_with_many_info_operations_still_check() {
    let options = GenerateOptions {
        operations: 400,
        info_ppm: 150_000,
        ..GenerateOptions::default()
    };
    for seed in 0..20 {
        let generated = linearizable_history(seed, &options);
        match check(&generated) {
            Verdict::Linearizable(linearization) => {
                verify(&generated, &linearization).expect("a valid linearization")
            }
            other => panic!("seed {seed}: {other:?}"),
        }
    }
}

#[test]
fn checking_is_deterministic() {
    let mut rng = Rng::new(5);
    let generated = linearizable_history(77, &GenerateOptions::default());
    let (corrupted, _) = corrupt(&generated, &mut rng).expect("has gets");
    assert_eq!(check(&generated), check(&generated.clone()));
    assert_eq!(check(&corrupted), check(&corrupted.clone()));
    assert_eq!(
        linearizable_history(77, &GenerateOptions::default()),
        generated
    );
}

#[test]
fn the_live_checker_agrees_with_check_on_every_prefix() {
    let mut rng = Rng::new(99);
    for seed in 0..12 {
        let options = GenerateOptions {
            operations: rng.range_inclusive(40, 90) as usize,
            ..GenerateOptions::default()
        };
        let generated = linearizable_history(seed, &options);
        let corrupted = corrupt(&generated, &mut rng).map(|(h, _)| h);
        for full in std::iter::once(generated).chain(corrupted) {
            let mut live = LiveChecker::new();
            let mut prefix = History::new();
            for event in &full.events {
                prefix.push(event.clone());
                assert_eq!(live.check(&prefix), &check(&prefix), "seed {seed}");
                assert!(live.rechecked() <= 1, "one new event changes one key");
            }
            // Rewinding starts over and still agrees.
            prefix.events.truncate(full.events.len() / 2);
            assert_eq!(live.check(&prefix), &check(&prefix));
            assert_eq!(live.verdict(), &check(&prefix));
        }
    }
}

#[test]
fn the_live_checker_searches_only_changed_keys() {
    let generated = linearizable_history(3, &GenerateOptions::default());
    let mut live = LiveChecker::new();
    live.check(&generated);
    assert_eq!(live.rechecked(), 10);
    live.check(&generated);
    assert_eq!(live.rechecked(), 0);
    let mut longer = generated.clone();
    let time = longer.events.last().map_or(Time::ZERO, |e| e.time);
    longer.push(HistoryEvent {
        time,
        ..at(0, 999, Invoke, Put, 4, int(1))
    });
    live.check(&longer);
    assert_eq!(live.rechecked(), 1);
    // A history of the same length with other contents is noticed too.
    let mut other = longer.clone();
    if let Some(event) = other.events.iter_mut().find(|e| e.key == 7 && e.kind == Ok) {
        event.value = int(1_000_000);
    }
    assert_eq!(live.check(&other), &check(&other));
    assert_eq!(live.rechecked(), 1);
}

#[test]
fn arbitrary_events_never_panic() {
    let mut rng = Rng::new(7);
    let value = |rng: &mut Rng| match rng.below(5) {
        0 => Value::None,
        1 => Value::Int(rng.below(4) as i64 - 1),
        2 => Value::Pair(rng.below(3) as i64, rng.below(3) as i64),
        3 => Value::List((0..rng.below(3)).map(|_| rng.below(3) as i64).collect()),
        _ => Value::Int(i64::MIN),
    };
    for _ in 0..400 {
        let mut history = History::new();
        for _ in 0..rng.below(60) {
            let kind = [Invoke, Invoke, Ok, Fail, Info][rng.below(5) as usize];
            let function = [Get, Put, Cas, Append][rng.below(4) as usize];
            history.push(HistoryEvent {
                process: rng.below(4) as u32,
                kind,
                function,
                key: rng.below(3) as u32,
                value: value(&mut rng),
                time: Time(rng.next_u64() >> rng.below(64)),
            });
        }
        let verdict = check_with_budget(&history, 20_000);
        if let Verdict::Linearizable(linearization) = &verdict {
            verify_points_only(&history, linearization);
        }
        let mut live = LiveChecker::with_budget(20_000);
        assert_eq!(live.check(&history), &verdict);
        let _ = (to_edn(&history), to_json_lines(&history));
    }
}

/// Whether some order of `operations` is a legal run of the model, by trying every
/// order and every choice of which info and open operations take effect.
fn brute_force(operations: &[Operation]) -> bool {
    fn extend(operations: &[Operation], placed: &mut Vec<bool>, value: &KeyValue) -> bool {
        let must = |op: &Operation| role(op, None) == Role::Definite;
        if operations
            .iter()
            .zip(placed.iter())
            .all(|(op, &p)| p || !must(op))
        {
            return true;
        }
        for next in 0..operations.len() {
            let op = &operations[next];
            if placed[next] || role(op, None) == Role::Dropped {
                continue;
            }
            // Everything that completed before it was invoked goes first.
            let waits = operations.iter().zip(placed.iter()).any(|(other, &p)| {
                !p && must(other)
                    && other
                        .complete_index
                        .is_some_and(|end| end < op.invoke_index)
            });
            if waits {
                continue;
            }
            let Some(applied) = apply(value, op.function, &op.input) else {
                continue;
            };
            let fits = match op.outcome {
                Outcome::Ok => {
                    applied.kind == Ok && (op.function != Get || applied.output == op.output)
                }
                Outcome::Fail => applied.kind == Fail,
                Outcome::Info | Outcome::Open => true,
            };
            if fits {
                placed[next] = true;
                if extend(operations, placed, &applied.next) {
                    return true;
                }
                placed[next] = false;
            }
        }
        false
    }
    extend(
        operations,
        &mut vec![false; operations.len()],
        &KeyValue::Absent,
    )
}

#[test]
fn the_search_agrees_with_brute_force_on_small_histories() {
    // One key, three processes, tiny values so that results coincide often, every
    // kind of outcome, and duplicate appended elements.
    let mut rng = Rng::new(31337);
    let mut verdicts = [0; 2];
    for round in 0..3000 {
        let mut history = History::new();
        let mut pending: [Option<(Function, Value)>; 3] = [None, None, None];
        let mut made = 0;
        let target = rng.range_inclusive(2, 7);
        let mut time = 0;
        while made < target || pending.iter().any(Option::is_some) {
            time += 1;
            let process = rng.below(3) as usize;
            let small = |rng: &mut Rng| rng.below(3) as i64;
            match pending[process].take() {
                None if made < target => {
                    let (function, input) = match rng.below(4) {
                        0 => (Get, Value::None),
                        1 => (Put, int(small(&mut rng))),
                        2 => (Cas, Value::Pair(small(&mut rng), small(&mut rng))),
                        _ => (Append, int(small(&mut rng))),
                    };
                    history.push(at(time, process as u32, Invoke, function, 0, input.clone()));
                    pending[process] = Some((function, input));
                    made += 1;
                }
                None => {}
                Some((function, input)) => {
                    let (kind, value) = match rng.below(10) {
                        0 => (Info, input),
                        1 => (Fail, input),
                        // Left open for good: the process stops.
                        2 if made >= target => continue,
                        _ => match function {
                            Get => (
                                Ok,
                                match rng.below(4) {
                                    0 => Value::None,
                                    1 => list(
                                        &[small(&mut rng), small(&mut rng)]
                                            [..rng.below(3) as usize],
                                    ),
                                    _ => int(small(&mut rng)),
                                },
                            ),
                            _ => (Ok, Value::None),
                        },
                    };
                    history.push(at(time, process as u32, kind, function, 0, value));
                }
            }
        }
        let expected = brute_force(&history.operations());
        let verdict = check(&history);
        assert_eq!(
            verdict.is_linearizable(),
            expected,
            "round {round}: {verdict:?}\n{}",
            to_edn(&history)
        );
        if let Verdict::Linearizable(linearization) = &verdict {
            verify(&history, linearization).expect("a valid linearization");
        }
        verdicts[expected as usize] += 1;
    }
    assert!(verdicts[0] > 500 && verdicts[1] > 500, "{verdicts:?}");
}

/// For arbitrary histories only the bookkeeping is checked: indices are valid and
/// listed once.
fn verify_points_only(history: &History, linearization: &Linearization) {
    let count = history.operations().len();
    let mut seen = vec![false; count];
    for &(index, _) in &linearization.points {
        assert!(index < count);
        assert!(!std::mem::replace(&mut seen[index], true));
    }
}
