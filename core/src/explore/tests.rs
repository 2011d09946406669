use super::*;
use crate::lab::run::RunOptions;

fn request(bug: Option<&str>, bounds: Bounds, jobs: usize, symmetry: bool) -> ExploreRequest {
    ExploreRequest {
        bounds,
        bug: bug.map(str::to_string),
        jobs,
        symmetry,
    }
}

fn raft() -> &'static Explorer {
    find("raft").expect("raft opts in")
}

/// The default bounds to `depth` steps, with a lossy, duplicating network.
fn small(depth: u32) -> Bounds {
    Bounds {
        depth,
        drop: true,
        duplicate: true,
        ..raft().default_bounds
    }
}

/// `ProtocolTopic::EXPLORABLE` of a catalog entry (a structure is never
/// explorable).
macro_rules! declared_explorable {
    (protocol, $module:ident :: $topic:ident) => {
        <crate::topics::$module::$topic as crate::lab::protocol::ProtocolTopic>::EXPLORABLE
    };
    (structure, $module:ident :: $topic:ident) => {
        false
    };
}

macro_rules! declared_explorable_slugs {
    ($($module:ident :: $topic:ident => $family:ident),* $(,)?) => {
        [$((crate::topics::$module::INFO.slug, declared_explorable!($family, $module::$topic))),*]
            .into_iter()
            .filter(|&(_, explorable)| explorable)
            .map(|(slug, _)| slug)
            .collect::<Vec<&str>>()
    };
}

/// The topics that say they can be explored (the page shows their Explore
/// button) are exactly those with an explorer; `explorer` holds the other
/// direction at compile time.
#[test]
fn the_topics_that_declare_themselves_explorable_are_those_with_an_explorer() {
    let declared = crate::with_topics!(declared_explorable_slugs);
    let explorers: Vec<&str> = EXPLORERS.iter().map(|e| e.slug).collect();
    assert_eq!(declared, explorers);
}

#[test]
fn a_bundle_carries_its_own_topics_explorer_only() {
    assert_eq!(explorers_of_module("raft").len(), 1);
    assert_eq!(explorers_of_module("raft")[0].slug, "raft");
    assert!(explorers_of_module("bloom_filter").is_empty());
    assert_eq!(explorers_of_module("").len(), EXPLORERS.len());
}

#[test]
fn correct_raft_is_clean_and_counts_the_same_on_any_number_of_threads() {
    let one = (raft().explore)(&request(None, small(6), 1, true), &mut |_| true).unwrap();
    let two = (raft().explore)(&request(None, small(6), 2, true), &mut |_| true).unwrap();
    assert!(one.counterexample.is_none());
    assert_eq!(one, two);
    assert_eq!(one.depth, 6);
    assert!(one.unique > 1_000 && one.generated > one.unique);
}

#[test]
fn the_frontier_of_paths_counts_what_a_frontier_of_whole_states_counted() {
    // Counted when the frontier kept whole states. Three threads split a round
    // unevenly, so ranges start and end in the middle of a parent's children;
    // every state rebuilt by replay is held to the fingerprint it was found with.
    let bounds = Bounds {
        depth: 8,
        ..raft().default_bounds
    };
    for jobs in [1, 3] {
        let report = (raft().explore)(&request(None, bounds, jobs, true), &mut |_| true).unwrap();
        assert_eq!((report.generated, report.unique), (105_301, 47_085));
    }
}

#[test]
fn symmetry_merges_renamed_states_and_loses_no_behaviour() {
    let bounds = Bounds {
        drop: false,
        duplicate: false,
        ..small(7)
    };
    let with = (raft().explore)(&request(None, bounds, 1, true), &mut |_| true).unwrap();
    let without = (raft().explore)(&request(None, bounds, 1, false), &mut |_| true).unwrap();
    // Three interchangeable servers: up to six renamings of each state.
    assert!(with.unique * 3 < without.unique, "{with:?} {without:?}");
    assert!(with.unique * 6 >= without.unique, "{with:?} {without:?}");
    // A bug found without symmetry is found with it, at the same depth.
    let name = crate::topics::raft::BUG_FORGET_VOTE_ON_RESTART;
    let (bug, bounds) = (Some(name), (raft().bug_bounds)(name).unwrap());
    let with = (raft().explore)(&request(bug, bounds, 1, true), &mut |_| true).unwrap();
    let without = (raft().explore)(&request(bug, bounds, 1, false), &mut |_| true).unwrap();
    let (with, without) = (
        with.counterexample.unwrap(),
        without.counterexample.unwrap(),
    );
    assert_eq!(with.steps.len(), without.steps.len());
}

#[test]
fn the_counterexample_is_a_shortest_one_and_the_same_on_two_threads() {
    let bug = crate::topics::raft::BUG_VOTE_WITHOUT_LOG_CHECK;
    let bounds = (raft().bug_bounds)(bug).unwrap();
    let one = (raft().explore)(&request(Some(bug), bounds, 1, true), &mut |_| true).unwrap();
    let two = (raft().explore)(&request(Some(bug), bounds, 2, true), &mut |_| true).unwrap();
    let found = one.counterexample.expect("found");
    assert_eq!(Some(&found), two.counterexample.as_ref());
    let shorter = Bounds {
        depth: found.steps.len() as u32 - 1,
        ..bounds
    };
    let none = (raft().explore)(&request(Some(bug), shorter, 1, true), &mut |_| true).unwrap();
    assert!(none.counterexample.is_none());
    assert!(!none.exhausted);
}

#[test]
fn the_counterexample_replays_in_the_simulator_to_the_same_violation() {
    let bug = crate::topics::raft::BUG_FORGET_VOTE_ON_RESTART;
    let bounds = (raft().bug_bounds)(bug).unwrap();
    let report = (raft().explore)(&request(Some(bug), bounds, 1, true), &mut |_| true).unwrap();
    let found = report.counterexample.expect("found");
    assert!(found.replays);
    // Through the link, as the player and `distlab run` open it.
    let scenario = crate::lab::scenario::Scenario::decode(&found.scenario.encode()).unwrap();
    let topic = crate::catalog::find("raft").unwrap();
    let mut run = (topic.build)(&scenario, RunOptions::default()).unwrap();
    run.run_until(found.time);
    let violation = run.violations().first().expect("the replay breaks it");
    assert_eq!(violation.invariant, found.invariant);
    assert_eq!(violation.time, found.time);
    // Nothing before the last step.
    let mut run = (topic.build)(&scenario, RunOptions::default()).unwrap();
    run.run_until(Time(found.time.as_micros() - 1));
    assert!(run.violations().is_empty());
}

#[test]
fn stopping_ends_the_search_early() {
    let mut calls = 0;
    let report = (raft().explore)(&request(None, small(9), 1, true), &mut |_| {
        calls += 1;
        false
    })
    .unwrap();
    assert_eq!(calls, 1);
    assert!(report.stopped && report.counterexample.is_none());
}

/// The three Raft bugs breadth-first search does not reach are found by the
/// walks their bounds ask for: the same counterexample on one thread and two,
/// shorter than the walk that found it, and the simulator's replay of its link
/// breaks the same invariant at its last step and not before.
#[test]
fn raft_bugs_beyond_the_search_are_found_by_walks_and_replay() {
    use crate::topics::raft::{BUG_COMMIT_OLD_TERM, BUG_NO_DEDUP, BUG_STALE_READ};
    let topic = crate::catalog::find("raft").unwrap();
    for bug in [BUG_COMMIT_OLD_TERM, BUG_STALE_READ, BUG_NO_DEDUP] {
        let bounds = (raft().bug_bounds)(bug).unwrap();
        assert!(bounds.walks > 0, "{bug}");
        let one = (raft().explore)(&request(Some(bug), bounds, 1, true), &mut |_| true).unwrap();
        let two = (raft().explore)(&request(Some(bug), bounds, 2, true), &mut |_| true).unwrap();
        let found = one.counterexample.expect(bug);
        assert_eq!(Some(&found), two.counterexample.as_ref(), "{bug}");
        assert_eq!(one.walks, two.walks, "{bug}: the walk that found it");
        assert!(topic.bug(bug).unwrap().caught_by.contains(&found.invariant));
        let walked = found.walked.expect("found by a walk") as usize;
        assert!(found.steps.len() < walked, "{bug}: {walked} steps");
        assert!(found.replays, "{bug}");
        let scenario = crate::lab::scenario::Scenario::decode(&found.scenario.encode()).unwrap();
        let mut run = (topic.build)(&scenario, RunOptions::default()).unwrap();
        run.run_until(Time(found.time.as_micros() - 1));
        assert!(run.violations().is_empty(), "{bug}");
        run.run_until(found.time);
        let violation = run.violations().first().expect("the replay breaks it");
        assert_eq!(violation.invariant, found.invariant, "{bug}");
    }
}

/// With clients in the state (their pending operations and the history),
/// correct Raft is clean, and the counts do not depend on the threads.
#[test]
fn correct_raft_with_clients_is_clean_on_any_number_of_threads() {
    let bounds = Bounds {
        depth: 7,
        crashes: 0,
        requests: 2,
        clients: 2,
        ..raft().default_bounds
    };
    let one = (raft().explore)(&request(None, bounds, 1, true), &mut |_| true).unwrap();
    let two = (raft().explore)(&request(None, bounds, 2, true), &mut |_| true).unwrap();
    assert!(one.counterexample.is_none());
    assert_eq!(one, two);
    // The clients' steps add states: more than without them.
    let bare = Bounds {
        clients: 0,
        ..bounds
    };
    let without = (raft().explore)(&request(None, bare, 1, true), &mut |_| true).unwrap();
    assert!(one.unique > without.unique, "{one:?} {without:?}");
}
