//! Bloom filter topic: presets tell their story, the invariant holds and can fail,
//! a person's operations work or are refused, runs are deterministic.

use super::super::testing;
use super::*;
use crate::lab::run::Run;
use testing::ByCode;

const END: Time = Time::from_millis(120_000);

fn state(run: &dyn Run) -> &BloomFilterState {
    testing::state::<BloomFilterTopic>(run)
}

fn run_scenario(scenario: &Scenario) -> Box<dyn Run> {
    testing::run(&INFO, scenario, END)
}

fn preset_run(name: &str) -> Box<dyn Run> {
    testing::preset_run(&INFO, name, END)
}

fn run_to(name: &str, ms: u64) -> Box<dyn Run> {
    testing::preset_run(&INFO, name, Time::from_millis(ms))
}

use super::super::testing::violations_of;

fn config(m: usize, k: u32, counting: bool) -> BloomConfig {
    BloomConfig {
        m,
        k,
        n: 10,
        counting,
        check_membership: true,
    }
}

fn last_query(run: &dyn Run) -> QueryRecord {
    match state(run).last() {
        Some(BloomEvent::Query(record)) => record.clone(),
        other => panic!("expected a query, got {other:?}"),
    }
}

#[test]
fn every_preset_runs_to_the_end_with_its_invariants() {
    testing::assert_every_preset_finishes(&INFO, Some(NO_FALSE_NEGATIVES));
}

#[test]
fn plain_and_counting_default_runs_are_clean_for_many_seeds() {
    for seed in 0..6 {
        for counting in [0, 1] {
            let mut scenario = Scenario::new(INFO.slug, seed);
            scenario.set_param("counting", counting);
            let run = run_scenario(&scenario);
            assert!(
                run.violations().is_empty(),
                "seed {seed}: {:?}",
                run.violations()
            );
            let s = state(run.as_ref());
            let expected = if counting == 1 { 39 } else { 40 };
            assert_eq!(s.live().len(), expected, "seed {seed} counting {counting}");
        }
    }
}

#[test]
fn insert_and_query_story() {
    let run = run_to("insert-and-query", 1000);
    match state(run.as_ref()).last() {
        Some(BloomEvent::Insert {
            probes, newly_set, ..
        }) => {
            assert_eq!(probes.len(), 3);
            assert!(*newly_set >= 1);
        }
        other => panic!("{other:?}"),
    }
    let run = run_to("insert-and-query", 5000);
    let member = last_query(run.as_ref());
    assert_eq!(member.outcome, QueryOutcome::TruePositive);
    assert!(member
        .setters
        .iter()
        .all(|s| s.items.contains(&member.item)));
    let run = run_to("insert-and-query", 6000);
    let stranger = last_query(run.as_ref());
    assert_eq!(stranger.outcome, QueryOutcome::TrueNegative);
    assert!(stranger.explanation.first_clear().is_some());
}

#[test]
fn a_false_positive_is_found_and_explained() {
    let run = run_to("false-positive", 5000);
    let fill = state(run.as_ref()).filter().fill_ratio();
    assert!((0.35..0.7).contains(&fill), "fill {fill}");
    let run = run_to("false-positive", 6000);
    assert_eq!(last_query(run.as_ref()).outcome, QueryOutcome::TrueNegative);
    let run = run_to("false-positive", 7000);
    let s = state(run.as_ref());
    let record = last_query(run.as_ref());
    assert_eq!(record.outcome, QueryOutcome::FalsePositive);
    assert!(!s.live().contains_key(&record.item));
    // Every probed bit was set by at least one inserted item, none of them the query.
    assert!(!record.setters.is_empty());
    for setter in &record.setters {
        assert!(!setter.items.is_empty(), "{setter:?}");
        assert!(setter.items.iter().all(|i| s.live().contains_key(i)));
    }
    let run = run_to("false-positive", 8000);
    match state(run.as_ref()).last() {
        Some(BloomEvent::Measure(sample)) => {
            assert_eq!(sample.items, 16);
            assert!((sample.theory - 0.149).abs() < 0.01, "{sample:?}");
            assert!((sample.measured - sample.theory).abs() < 0.1, "{sample:?}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_measured_rate_follows_the_formula_as_the_filter_fills() {
    let run = preset_run("fill-up");
    let s = state(run.as_ref());
    let series = s.series();
    // The start, one sample per item, and the final measurement.
    assert_eq!(series.len(), 1 + 800 + 1);
    assert_eq!(series.last().unwrap().items, 800);
    for sample in series.iter().step_by(50) {
        // 2000 probes: the binomial standard deviation is at most 1.1 percentage
        // points; the filter's own fill adds a little. Five points is generous.
        assert!((sample.measured - sample.theory).abs() < 0.05, "{sample:?}");
    }
    let last = series.last().unwrap();
    assert!((0.35..0.45).contains(&last.theory), "{last:?}");
    let sizing = s.sizing();
    assert_eq!(
        (sizing.for_one_percent.m, sizing.for_one_percent.k),
        (7669, 7)
    );
    assert_eq!(sizing.optimal_k, 2);
}

#[test]
fn counting_filter_deletes_and_refuses_strangers() {
    let run = run_to("counting-delete", 5000);
    let victim = last_query(run.as_ref());
    assert_eq!(victim.outcome, QueryOutcome::TruePositive);
    let run = run_to("counting-delete", 6000);
    match state(run.as_ref()).last() {
        Some(BloomEvent::Remove {
            item,
            result: RemoveResult::Removed { positions, .. },
        }) => {
            assert_eq!(*item, victim.item);
            assert_eq!(positions.len(), 3);
        }
        other => panic!("{other:?}"),
    }
    assert!(!state(run.as_ref()).live().contains_key(&victim.item));
    let run = run_to("counting-delete", 7000);
    assert_eq!(last_query(run.as_ref()).outcome, QueryOutcome::TrueNegative);
    let run = run_to("counting-delete", 8000);
    assert!(matches!(
        state(run.as_ref()).last(),
        Some(BloomEvent::Remove {
            result: RemoveResult::Refused,
            ..
        })
    ));
}

#[test]
fn deleting_a_false_positive_loses_a_member() {
    let run = run_to("delete-false-positive", 5000);
    let found = last_query(run.as_ref());
    assert_eq!(found.outcome, QueryOutcome::FalsePositive);
    let run = run_to("delete-false-positive", 6000);
    assert!(matches!(
        state(run.as_ref()).last(),
        Some(BloomEvent::Remove { item, result: RemoveResult::Removed { .. } }) if *item == found.item
    ));
    assert_eq!(run.violations()[0].invariant, NO_FALSE_NEGATIVES);
    assert_eq!(run.violations()[0].time, Time::from_millis(6000));
    let run = run_to("delete-false-positive", 7000);
    let lost = last_query(run.as_ref());
    assert_eq!(lost.outcome, QueryOutcome::ListMismatch);
    assert!(state(run.as_ref()).live().contains_key(&lost.item));
}

#[test]
fn the_remove_unchecked_bug_is_caught_within_a_few_seeds() {
    let mut caught = 0;
    for seed in 0..10 {
        let mut scenario = Scenario::new(INFO.slug, seed);
        scenario.bug = Some(BUG_REMOVE_UNCHECKED.into());
        let mut run = (INFO.build)(&scenario, RunOptions::default()).unwrap();
        assert!(state(run.as_ref()).filter().is_counting());
        if let Some(v) = run.run_until_violation(END) {
            assert_eq!(v.invariant, NO_FALSE_NEGATIVES);
            caught += 1;
        }
    }
    assert!(caught >= 7, "caught in only {caught} of 10 seeds");
}

#[test]
fn no_false_negatives_fails_when_a_member_tests_absent() {
    // Recorded as inserted but never put into the filter.
    let mut s = BloomFilterState::new(config(256, 3, false), 1);
    s.perform(&BloomOp::Insert { item: 5 }).unwrap();
    assert!(violations_of(&s).is_empty());
    s.live.insert(77, 1);
    let found = violations_of(&s);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].invariant, NO_FALSE_NEGATIVES);
    assert!(found[0].message.contains("item-77"), "{}", found[0].message);

    // The real failure: removing a false positive from a counting filter without
    // checking membership zeroes a counter a member needs.
    let mut s = BloomFilterState::new(
        BloomConfig {
            check_membership: false,
            ..config(64, 3, true)
        },
        2,
    );
    s.perform(&BloomOp::InsertBatch { count: 20 }).unwrap();
    assert!(violations_of(&s).is_empty());
    let mut broke = false;
    for _ in 0..10 {
        s.perform(&BloomOp::RemoveFalsePositive).unwrap();
        if !violations_of(&s).is_empty() {
            broke = true;
            break;
        }
    }
    assert!(broke, "removing false positives never hurt a member");
}

#[test]
fn operations_of_a_person_work() {
    let mut scenario = Scenario::new(INFO.slug, 3);
    scenario.set_param("n", 0);
    scenario.set_param("counting", 1);
    let op = |code, arg| testing::operation(code, arg);
    scenario.push_action(Time::from_millis(100), op(OP_INSERT, 42));
    scenario.push_action(Time::from_millis(200), op(OP_QUERY, 42));
    scenario.push_action(Time::from_millis(300), op(OP_INSERT_BATCH, 30));
    scenario.push_action(Time::from_millis(400), op(OP_MEASURE, 0));
    scenario.push_action(Time::from_millis(500), op(OP_REMOVE, 42));
    scenario.push_action(Time::from_millis(600), op(OP_FIND_FALSE_POSITIVE, 0));
    scenario.push_action(Time::from_millis(700), op(OP_REMOVE_FALSE_POSITIVE, 0));
    let mut run = (INFO.build)(&scenario, RunOptions::default()).unwrap();
    run.run_until(Time::from_millis(200));
    assert_eq!(last_query(run.as_ref()).outcome, QueryOutcome::TruePositive);
    run.run_until(Time::from_millis(500));
    let s = state(run.as_ref());
    assert_eq!(s.live().len(), 30);
    assert!(!s.live().contains_key(&42));
    run.run_until(Time::from_millis(700));
    let s = state(run.as_ref());
    assert_eq!(s.live().len(), 30);
    assert!(matches!(
        s.last(),
        Some(BloomEvent::Remove {
            result: RemoveResult::Refused,
            ..
        }) | Some(BloomEvent::NoFalsePositive { .. })
    ));
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    assert_eq!(run.state_table().rows.len(), 6);
}

#[test]
fn bad_codes_and_arguments_are_refused_without_panicking() {
    let plain = BloomFilterState::new(config(64, 3, false), 1);
    let counting = BloomFilterState::new(config(64, 3, true), 1);
    let args = [0, 1, 1000, 1001, u32::MAX as u64, u64::MAX];
    for code in 0..12 {
        for &arg in &args {
            for s in [&plain, &counting] {
                let op = s.operation(code, arg);
                let expected = match code {
                    OP_INSERT | OP_QUERY | OP_MEASURE | OP_FIND_FALSE_POSITIVE => true,
                    OP_INSERT_BATCH => (1..=1000).contains(&arg),
                    OP_REMOVE | OP_REMOVE_FALSE_POSITIVE => s.filter().is_counting(),
                    _ => false,
                };
                assert_eq!(op.is_some(), expected, "code {code} arg {arg}");
                // Whatever is accepted runs without panicking.
                if let Some(op) = op {
                    let mut copy = s.clone();
                    let _ = copy.perform(&op);
                    assert!(violations_of(&copy).is_empty(), "{op}");
                }
            }
        }
    }
    assert_eq!(plain.operation(u32::MAX, 0), None);
    // Planned removals on a plain filter change nothing.
    let mut copy = plain.clone();
    assert!(copy.perform(&BloomOp::Remove { item: 1 }).is_err());
    assert!(copy.perform(&BloomOp::RemoveFalsePositive).is_err());
}

#[test]
fn the_item_limit_holds() {
    let mut s = BloomFilterState::new(config(4096, 2, false), 9);
    for _ in 0..10 {
        s.perform(&BloomOp::InsertBatch { count: 1000 }).unwrap();
    }
    assert_eq!(s.live().len(), MAX_ITEMS);
    assert_eq!(s.operation(OP_INSERT_BATCH, 1), None);
    assert_eq!(s.operation(OP_INSERT, u64::MAX), None);
    assert!(s.perform(&BloomOp::InsertBatch { count: 1 }).is_err());
    assert!(s.perform(&BloomOp::Insert { item: u64::MAX }).is_err());
    // Re-inserting a live item is still allowed: it adds no distinct item.
    let member = *s.live().keys().next().unwrap();
    assert!(s.operation(OP_INSERT, member).is_some());
}

#[test]
fn the_same_scenario_gives_the_same_trace() {
    testing::assert_deterministic(&INFO);
}
