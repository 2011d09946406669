//! Skip list topic: presets tell their story, invariants hold and can fail, a
//! person's operations work or are refused, runs are deterministic.

use super::super::testing;
use super::*;
use crate::lab::run::Run;
use testing::ByCode;

const END: Time = Time::from_millis(60_000);

fn state(run: &dyn Run) -> &SkipListState {
    testing::state::<SkipListTopic>(run)
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

#[test]
fn every_preset_runs_to_the_end_with_its_invariants() {
    testing::assert_every_preset_finishes(&INFO, None);
}

#[test]
fn default_runs_are_clean_for_many_seeds_and_sizes() {
    for seed in 0..6 {
        for (keys, max) in [(12, 99), (0, 10), (10, 10), (1000, 1000), (300, 100_000)] {
            let mut scenario = Scenario::new(INFO.slug, seed);
            scenario.set_param("keys", keys);
            scenario.set_param("max", max);
            let run = run_scenario(&scenario);
            assert!(
                run.violations().is_empty(),
                "seed {seed} keys {keys} max {max}: {:?}",
                run.violations()
            );
            let s = state(run.as_ref());
            assert!(s.list().len() <= max as usize);
            assert!(s.list().keys().all(|&k| (1..=max as u64).contains(&k)));
        }
    }
}

#[test]
fn inserts_show_their_coin_flips() {
    let run = preset_run("coin-flips");
    let s = state(run.as_ref());
    assert_eq!(s.list().len(), 10);
    match s.last() {
        Some(SkipListEvent::Insert {
            flips,
            height,
            replaced,
            ..
        }) => {
            assert!(!replaced);
            let heads = flips.iter().filter(|c| **c == Coin::Heads).count();
            assert_eq!(*height, heads + 1);
            assert_eq!(flips.last(), Some(&Coin::Tails));
        }
        other => panic!("{other:?}"),
    }
    // Each of the ten inserts shows up as a step with a note.
    assert_eq!(run.steps(), 10);
    assert_eq!(s.cost().len(), 10);
}

#[test]
fn a_search_path_goes_right_and_down_to_lane_zero() {
    let run = run_to("search-path", 1000);
    let s = state(run.as_ref());
    let record = match s.last() {
        Some(SkipListEvent::Search(record)) => record.clone(),
        other => panic!("{other:?}"),
    };
    assert!(record.found);
    assert_eq!(record.steps.first().unwrap().level, s.list().height() - 1);
    assert_eq!(record.steps.last().unwrap().action, SearchAction::Stop);
    assert_eq!(record.steps.last().unwrap().next, Some(record.key));
    assert_eq!(record.downs(), s.list().height() - 1);
    assert!(record.comparisons >= 1 && record.comparisons <= s.list().len());

    let run = run_to("search-path", 3000);
    match state(run.as_ref()).last() {
        Some(SkipListEvent::Search(record)) => {
            assert!(!record.found);
            let stop = record.steps.last().unwrap();
            assert!(stop.from.is_none_or(|k| k < record.key));
            assert!(stop.next.is_none_or(|k| k > record.key));
        }
        other => panic!("{other:?}"),
    }

    let run = run_to("search-path", 5000);
    let removed = match state(run.as_ref()).last() {
        Some(SkipListEvent::Remove { key, removed, .. }) => {
            assert!(removed);
            *key
        }
        other => panic!("{other:?}"),
    };
    assert!(!state(run.as_ref()).list().contains_key(&removed));
    let run = run_to("search-path", 7000);
    assert!(matches!(
        state(run.as_ref()).last(),
        Some(SkipListEvent::Search(r)) if r.key == removed && !r.found
    ));
    let run = run_to("search-path", 9000);
    assert!(state(run.as_ref()).list().contains_key(&removed));
    assert_eq!(state(run.as_ref()).list().len(), 24);
}

#[test]
fn search_cost_grows_like_log_n() {
    let run = preset_run("cost-vs-log-n");
    let s = state(run.as_ref());
    assert_eq!(s.list().len(), 2048);
    let sizes: Vec<usize> = s.cost().iter().map(|c| c.n).collect();
    assert_eq!(
        sizes,
        [
            1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536,
            2048
        ]
    );
    for sample in s.cost() {
        assert!(sample.mean_comparisons <= sample.bound, "{sample:?}");
    }
    let last = s.cost().last().unwrap();
    assert_eq!(last.log2_n, 11.0);
    assert!(last.mean_comparisons > last.log2_n, "{last:?}");
    // Doubling the list adds a roughly constant cost, not a doubling of it.
    let at = |n: usize| s.cost().iter().find(|c| c.n == n).unwrap().mean_comparisons;
    assert!(at(2048) - at(1024) < 4.0);
    assert!(at(2048) < 2.0 * at(64));
}

#[test]
fn sorted_lanes_fails_for_an_out_of_order_lane() {
    let mut s = SkipListState::new(30, 99, 4);
    assert!(violations_of(&s).is_empty());
    let keys: Vec<u64> = s.reference().iter().copied().collect();
    assert!(s.list.swap_keys_for_test(&keys[3], &keys[20]));
    let found = violations_of(&s);
    assert!(
        found.iter().any(|v| v.invariant == SORTED_LANES),
        "{found:?}"
    );
}

#[test]
fn sorted_lanes_fails_when_an_upper_lane_is_not_a_sub_list() {
    let mut s = SkipListState::new(30, 99, 4);
    let tall = *s
        .list()
        .towers()
        .iter()
        .find(|t| t.height >= 2)
        .expect("a tower of height 2 among 30 keys")
        .key;
    assert!(s.list.unlink_from_bottom_lane_for_test(&tall));
    let found = violations_of(&s);
    let lanes = found
        .iter()
        .find(|v| v.invariant == SORTED_LANES)
        .expect("caught");
    assert!(
        lanes.message.contains("lane 0 holds 29 keys"),
        "{}",
        lanes.message
    );
    // The pure check names the key that the lane below lacks.
    let lane0: Vec<u64> = vec![1, 3];
    let lane1: Vec<u64> = vec![2];
    let lanes = vec![lane0.iter().collect(), lane1.iter().collect()];
    assert_eq!(
        lane_problem(&lanes, 2).as_deref(),
        Some("lane 1 holds 2, which lane 0 lacks")
    );
    let unsorted: Vec<u64> = vec![3, 1];
    assert_eq!(
        lane_problem(&[unsorted.iter().collect()], 2).as_deref(),
        Some("lane 0 has 3 before 1")
    );
    assert_eq!(lane_problem(&[], 0), None);
}

#[test]
fn matches_reference_fails_when_the_contents_differ() {
    let mut s = SkipListState::new(10, 99, 5);
    s.reference.insert(1000);
    let found = violations_of(&s);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].invariant, MATCHES_REFERENCE);

    let mut s = SkipListState::new(10, 99, 5);
    let first = *s.reference().iter().next().unwrap();
    s.list.remove(&first);
    let found = violations_of(&s);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].invariant, MATCHES_REFERENCE);
}

#[test]
fn operations_of_a_person_work() {
    let mut scenario = Scenario::new(INFO.slug, 8);
    scenario.set_param("keys", 0);
    scenario.set_param("max", 50);
    let op = |code, arg| testing::operation(code, arg);
    scenario.push_action(Time::from_millis(100), op(OP_INSERT, 7));
    scenario.push_action(Time::from_millis(200), op(OP_INSERT, 7));
    scenario.push_action(Time::from_millis(300), op(OP_INSERT_BATCH, 9));
    scenario.push_action(Time::from_millis(400), op(OP_SEARCH, 7));
    scenario.push_action(Time::from_millis(500), op(OP_REMOVE, 7));
    scenario.push_action(Time::from_millis(600), op(OP_REMOVE, 7));
    let mut run = (INFO.build)(&scenario, RunOptions::default()).unwrap();
    run.run_until(Time::from_millis(200));
    assert!(matches!(
        state(run.as_ref()).last(),
        Some(SkipListEvent::Insert { replaced: true, flips, .. }) if flips.is_empty()
    ));
    run.run_until(Time::from_millis(400));
    assert!(matches!(
        state(run.as_ref()).last(),
        Some(SkipListEvent::Search(r)) if r.found && r.key == 7
    ));
    run.run_until(Time::from_millis(600));
    let s = state(run.as_ref());
    assert_eq!(s.list().len(), 9);
    assert!(matches!(
        s.last(),
        Some(SkipListEvent::Remove { removed: false, .. })
    ));
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    let table = run.state_table();
    assert_eq!(table.columns, INFO.columns);
    assert_eq!(table.rows.len(), s.list().height());
}

#[test]
fn bad_codes_and_arguments_are_refused_without_panicking() {
    let s = SkipListState::new(5, 20, 1);
    let args = [0, 1, 5, 20, 21, 1000, 1001, u32::MAX as u64, u64::MAX];
    for code in 0..10 {
        for &arg in &args {
            let op = s.operation(code, arg);
            let expected = match code {
                OP_INSERT | OP_SEARCH | OP_REMOVE => (1..=20).contains(&arg),
                OP_INSERT_BATCH => (1..=15).contains(&arg),
                _ => false,
            };
            assert_eq!(op.is_some(), expected, "code {code} arg {arg}");
            if let Some(op) = op {
                let mut copy = s.clone();
                copy.perform(&op).unwrap();
                assert!(violations_of(&copy).is_empty(), "{op}");
            }
        }
    }
    // A full range refuses new keys but still takes a present one.
    let mut full = SkipListState::new(0, 10, 2);
    full.perform(&SkipListOp::InsertBatch { count: 10 })
        .unwrap();
    assert_eq!(full.room(), 0);
    assert_eq!(full.operation(OP_INSERT_BATCH, 1), None);
    assert!(full.operation(OP_INSERT, 3).is_some());
    assert!(full.perform(&SkipListOp::InsertBatch { count: 1 }).is_err());
    assert!(full.perform(&SkipListOp::Insert { key: 11 }).is_err());
    assert!(full.perform(&SkipListOp::Search { key: 0 }).is_err());
    assert!(violations_of(&full).is_empty());
}

#[test]
fn the_same_scenario_gives_the_same_trace() {
    testing::assert_deterministic(&INFO);
}

#[test]
fn sample_points_are_log_spaced() {
    let points: Vec<usize> = (1..=100).filter(|&n| is_sample_point(n)).collect();
    assert_eq!(points, [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96]);
    assert_eq!(log2(1024), 10.0);
    assert_eq!(log2(0), 0.0);
}
